"""The words of the digest in French, Dutch and English (messages, day and month names).

Kept apart from app.i18n because the digest is read outside the site (newsletters, e-mails),
where whole sentences and dates are written out rather than shown next to a form.
"""

from __future__ import annotations

import datetime as dt

LANGUAGES = ("fr", "nl", "en")

MESSAGES = {
    "digest": ("Digest", "Overzicht", "Digest"),
    "title": ("Les alternatives bruxelloises", "De Brusselse alternatieven", "Brussels alternatives"),
    "period": ("Du {start} au {end}", "Van {start} tot {end}", "From {start} to {end}"),
    "agenda": ("Agenda", "Agenda", "What's on"),
    "no_events": ("Aucun événement prévu pour cette période.", "Geen activiteiten in deze periode.",
                  "No events in this period."),
    "more_events": ("Tout l'agenda", "De volledige agenda", "The full agenda"),
    "changed_since": ("Nouveau ou modifié depuis le {date}", "Nieuw of gewijzigd sinds {date}",
                      "New or changed since {date}"),
    "alternatives": ("Alternatives", "Alternatieven", "Alternatives"),
    "documents": ("Documents partagés", "Gedeelde documenten", "Shared documents"),
    "offers": ("Offres et demandes", "Aanbod en vragen", "Offers and requests"),
    "nothing_changed": ("Rien de neuf.", "Niets nieuws.", "Nothing new."),
    "more": ("La suite sur le site", "Meer op de site", "More on the site"),
    "offer": ("Offre", "Aanbod", "Offer"),
    "request": ("Demande", "Vraag", "Request"),
    "by": ("par", "door", "by"),
    "free": ("gratuit", "gratis", "free"),
    "exchange": ("en échange", "in ruil", "in exchange"),
    "paid": ("payant", "betalend", "paid"),
    "cancelled": ("annulé", "geannuleerd", "cancelled"),
    "all_day": ("toute la journée", "hele dag", "all day"),
    "licence": ("licence", "licentie", "licence"),
    "changed_on": ("modifié le {date}", "gewijzigd op {date}", "changed on {date}"),
    "footer": ("Données partagées sur Mutu, le graphe des alternatives citoyennes à Bruxelles. "
               "Sources et licences :",
               "Gegevens gedeeld op Mutu, de graaf van Brusselse burgeralternatieven. "
               "Bronnen en licenties:",
               "Data shared on Mutu, the graph of Brussels citizen alternatives. "
               "Sources and licences:"),
    # The /digest page
    "intro": ("Un résumé à reprendre dans une lettre d'information ou sur un site partenaire : "
              "les événements de la période et ce qui est nouveau ou modifié récemment. "
              "Choisissez la période et les filtres, puis copiez le format qui vous convient.",
              "Een overzicht om over te nemen in een nieuwsbrief of op een partnersite: "
              "de activiteiten van de periode en wat onlangs nieuw of gewijzigd is. "
              "Kies de periode en de filters en kopieer dan het formaat dat je nodig hebt.",
              "A summary to reuse in a newsletter or on a partner site: the events of the "
              "period and what is new or changed recently. Choose the period and filters, then "
              "copy the format you need."),
    "days": ("Nombre de jours", "Aantal dagen", "Number of days"),
    "recent": ("Nouveautés des N jours précédents", "Nieuw in de N dagen ervoor",
               "New in the N days before"),
    "free_only": ("Seulement ce qui est gratuit", "Alleen wat gratis is", "Free only"),
    "make": ("Composer", "Samenstellen", "Make the digest"),
    "preview": ("Aperçu", "Voorbeeld", "Preview"),
    "formats": ("Formats à copier", "Formaten om te kopiëren", "Formats to copy"),
    "fragment": ("Fragment HTML (à coller dans une lettre d'information)",
                 "HTML-fragment (om in een nieuwsbrief te plakken)",
                 "HTML fragment (to paste into a newsletter)"),
    "markdown": ("Markdown (texte brut)", "Markdown (platte tekst)", "Markdown (plain text)"),
    "email": ("Page HTML pour e-mail (mise en page par tableaux, styles en ligne)",
              "HTML-pagina voor e-mail (tabelopmaak, inline stijlen)",
              "E-mail HTML page (table layout, inline styles)"),
    "open": ("Ouvrir", "Openen", "Open"),
    "copy_hint": ("Sélectionnez le texte et copiez-le.", "Selecteer de tekst en kopieer hem.",
                  "Select the text and copy it."),
}

WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def say(key: str, lang: str, **values) -> str:
    """One message in `lang`, with `{name}` fields filled."""
    text = MESSAGES[key][LANGUAGES.index(lang)]
    return text.format(**values) if values else text


def long_date(day: dt.date, lang: str) -> str:
    """A date written out: "samedi 5 décembre 2026", "zaterdag 5 december 2026", "Saturday 5 December 2026"."""
    return f"{WEEKDAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def day_heading(day: dt.date, lang: str) -> str:
    """A date written out as a heading (capital first letter): "Samedi 5 décembre 2026"."""
    text = long_date(day, lang)
    return text[:1].upper() + text[1:]


def short_date(day: dt.date, lang: str) -> str:
    """A date without weekday: "5 décembre 2026"."""
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"
