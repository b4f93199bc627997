"""Languages of the pages: French, Dutch, English.

The language comes from `?lang=` (which also sets the `mutu_lang` cookie), else the cookie,
else Accept-Language, else French. Data is shown in that language, falling back to the
others in the order fr, nl, en, then any value.
"""

from __future__ import annotations

from flask import g, request

LANGUAGES = ("fr", "nl", "en")
COOKIE = "mutu_lang"
NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}

MESSAGES = {
    "skip": ("Aller au contenu", "Naar de inhoud", "Skip to content"),
    "home": ("Accueil", "Start", "Home"),
    "alternatives": ("Alternatives", "Alternatieven", "Alternatives"),
    "places": ("Lieux", "Plaatsen", "Places"),
    "events": ("Agenda", "Agenda", "Agenda"),
    "categories": ("Catégories", "Categorieën", "Categories"),
    "licences": ("Licences", "Licenties", "Licences"),
    "datasets": ("Sources de données", "Databronnen", "Datasets"),
    "ontology": ("Vocabulaire", "Vocabularium", "Vocabulary"),
    "shapes": ("Contrat de données", "Datacontract", "Data contract"),
    "sparql": ("Requêtes SPARQL", "SPARQL-zoekopdrachten", "SPARQL queries"),
    "language": ("Langue", "Taal", "Language"),
    "tagline": ("Le graphe partagé des alternatives citoyennes à Bruxelles",
                "De gedeelde graaf van Brusselse burgeralternatieven",
                "The shared graph of Brussels citizen alternatives"),
    "counts": ("Ce que le graphe contient", "Wat de graaf bevat", "What the graph holds"),
    "upcoming": ("Prochains événements", "Komende activiteiten", "Upcoming events"),
    "latest": ("Derniers chargements", "Laatste ladingen", "Latest loads"),
    "search": ("Rechercher", "Zoeken", "Search"),
    "category": ("Catégorie", "Categorie", "Category"),
    "commune": ("Commune ou code postal", "Gemeente of postcode", "Commune or postal code"),
    "filter": ("Filtrer", "Filteren", "Filter"),
    "next": ("Page suivante", "Volgende pagina", "Next page"),
    "previous": ("Page précédente", "Vorige pagina", "Previous page"),
    "none": ("Rien trouvé.", "Niets gevonden.", "Nothing found."),
    "organizer": ("Organisé par", "Georganiseerd door", "Organised by"),
    "place": ("Lieu", "Plaats", "Place"),
    "from": ("Du", "Van", "From"),
    "to": ("Au", "Tot", "To"),
    "address": ("Adresse", "Adres", "Address"),
    "website": ("Site web", "Website", "Website"),
    "sources": ("Sources et licences", "Bronnen en licenties", "Sources and licences"),
    "same_as": ("Ailleurs", "Elders", "Elsewhere"),
    "also_in": ("Aussi dans", "Ook in", "Also in"),
    "other_sources": ("autre(s) source(s)", "andere bron(nen)", "other source(s)"),
    "same_cluster": ("Dans d'autres sources", "In andere bronnen", "In other sources"),
    "happens_here": ("Ce qui se passe ici", "Wat hier gebeurt", "What happens here"),
    "located_here": ("Alternatives ici", "Alternatieven hier", "Alternatives here"),
    "other_formats": ("Autres formats", "Andere formaten", "Other formats"),
    "fact": ("Fait", "Feit", "Fact"),
    "value": ("Valeur", "Waarde", "Value"),
    "source": ("Source", "Bron", "Source"),
    "licence": ("Licence", "Licentie", "Licence"),
    "title": ("Titre", "Titel", "Title"),
    "publisher": ("Éditeur", "Uitgever", "Publisher"),
    "visibility": ("Visibilité", "Zichtbaarheid", "Visibility"),
    "last_load": ("Dernier chargement", "Laatste lading", "Last load"),
    "triples": ("Triplets", "Triples", "Triples"),
    "validation": ("Validation", "Validatie", "Validation"),
    "valid": ("conforme (chargé après validation)", "conform (na validatie geladen)",
              "conforms (loaded after validation)"),
    "allows": ("Permet", "Staat toe", "Allows"),
    "requires": ("Exige", "Vereist", "Requires"),
    "prohibits": ("Interdit", "Verbiedt", "Prohibits"),
    "map": ("Carte", "Kaart", "Map"),
    "cancelled": ("annulé", "geannuleerd", "cancelled"),
    "description": ("Description", "Beschrijving", "Description"),
    "broader": ("Catégorie parente", "Bovenliggende categorie", "Broader category"),
    "narrower": ("Sous-catégories", "Subcategorieën", "Narrower categories"),
    "classes": ("Classes", "Klassen", "Classes"),
    "properties": ("Propriétés", "Eigenschappen", "Properties"),
    "property": ("Propriété", "Eigenschap", "Property"),
    "cardinality": ("Cardinalité", "Kardinaliteit", "Cardinality"),
    "datatype": ("Type de valeur", "Waardetype", "Value type"),
    "constraints": ("Contraintes", "Beperkingen", "Constraints"),
    "severity": ("Gravité", "Ernst", "Severity"),
    "message": ("Message", "Bericht", "Message"),
    "triples_in_graph": ("Contenu (extrait)", "Inhoud (uittreksel)", "Content (excerpt)"),
    "query_help": ("Écrivez une requête SPARQL ; les requêtes nommées servent d'exemples.",
                   "Schrijf een SPARQL-zoekopdracht; de benoemde zoekopdrachten dienen als voorbeeld.",
                   "Write a SPARQL query; the named queries are examples."),
    "not_found": ("Introuvable", "Niet gevonden", "Not found"),
    "digest": ("Digest pour lettre d'information", "Overzicht voor nieuwsbrief", "Newsletter digest"),
    # widgets for partner sites (app/widgets.py)
    "widgets": ("Widgets", "Widgets", "Widgets"),
    "widgets_intro": ("Intégrez l'agenda, la carte ou la fiche d'une alternative dans votre site : "
                      "copiez un des codes ci-dessous. Les widgets fonctionnent sans JavaScript ; "
                      "le script ajuste en plus la hauteur du cadre.",
                      "Plaats de agenda, de kaart of de fiche van een alternatief op uw website: "
                      "kopieer een van de codes hieronder. De widgets werken zonder JavaScript; "
                      "het script past ook de hoogte van het kader aan.",
                      "Put the agenda, the map or an alternative's card on your site: copy one of "
                      "the snippets below. Widgets work without JavaScript; the script also sizes "
                      "the frame to its content."),
    "new_tab": ("nouvel onglet", "nieuw tabblad", "new tab"),
    "free_only": ("gratuit", "gratis", "free"),
    "full_agenda": ("Tout l'agenda sur Mutu", "De volledige agenda op Mutu", "The full agenda on Mutu"),
    "full_map": ("Tous les lieux sur Mutu", "Alle plaatsen op Mutu", "All places on Mutu"),
    "full_card": ("La fiche complète sur Mutu", "De volledige fiche op Mutu", "The full page on Mutu"),
    "widget_agenda": ("Les prochains événements, par jour, avec les filtres de l'agenda.",
                      "De komende activiteiten per dag, met de filters van de agenda.",
                      "Upcoming events by day, with the agenda's filters."),
    "widget_map": ("Les lieux sur une carte (une liste sans JavaScript), avec les filtres des lieux.",
                   "De plaatsen op een kaart (een lijst zonder JavaScript), met de filters van de plaatsen.",
                   "Places on a map (a list without JavaScript), with the places' filters."),
    "widget_card": ("Une alternative : description, catégories, lieux, site web, prochains événements.",
                    "Een alternatief: beschrijving, categorieën, plaatsen, website, komende activiteiten.",
                    "One alternative: description, categories, places, website, upcoming events."),
    "preview": ("Aperçu", "Voorbeeld", "Preview"),
    "snippet_iframe": ("Cadre (iframe)", "Kader (iframe)", "Frame (iframe)"),
    "snippet_script": ("Script (hauteur automatique)", "Script (automatische hoogte)", "Script (automatic height)"),
    "parameters": ("Paramètres", "Parameters", "Parameters"),
    "allowed": ("Valeurs admises", "Toegelaten waarden", "Allowed values"),
    "look_all": ("Apparence (tous les widgets)", "Uiterlijk (alle widgets)", "Look (all widgets)"),
    "p_colour": ("couleur hexadécimale, avec ou sans #; le texte et les liens doivent contraster "
                 "au moins 4,5:1 avec le fond", "hexadecimale kleur, met of zonder #; tekst en links "
                 "moeten minstens 4,5:1 contrasteren met de achtergrond", "hex colour, with or without "
                 "#; text and links must contrast at least 4.5:1 with the background"),
    "p_accent": ("liens et filets", "links en lijnen", "links and rules"),
    "p_bg": ("fond", "achtergrond", "background"),
    "p_text": ("texte", "tekst", "text"),
    "p_font": ("police", "lettertype", "font"),
    "p_lang": ("langue", "taal", "language"),
    "p_n": ("nombre d'éléments (événements, lieux ; pour la fiche : ses prochains événements)",
            "aantal items (activiteiten, plaatsen; voor de fiche: de komende activiteiten)",
            "number of items (events, places; for the card: its upcoming events)"),
    "p_compact": ("présentation compacte", "compacte weergave", "compact layout"),
    "p_free": ("seulement les événements gratuits", "alleen gratis activiteiten", "free events only"),
    "p_filters": ("Mêmes filtres que la page", "Dezelfde filters als de pagina", "Same filters as the page"),
    "your_widget": ("Votre widget", "Uw widget", "Your widget"),
}


def choose() -> str:
    """The language of this request (cached on `g`)."""
    cached = g.get("mutu_lang")
    if cached:
        return cached
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        lang = asked
    elif request.cookies.get(COOKIE) in LANGUAGES:
        lang = request.cookies[COOKIE]
    else:
        lang = request.accept_languages.best_match(LANGUAGES, default="fr")
    g.mutu_lang = lang
    return lang


def t(key: str, lang: str | None = None) -> str:
    """One interface message in the request's language."""
    return MESSAGES[key][LANGUAGES.index(lang or choose())]


def order(lang: str) -> tuple[str, ...]:
    """The chosen language first, then fr, nl, en."""
    return (lang,) + tuple(x for x in LANGUAGES if x != lang)


def pick(values, lang: str | None = None):
    """The best value of a list of literals for the language (fallback fr, nl, en, any)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    for tag in order(lang or choose()):
        for value in values:
            if getattr(value, "language", None) == tag:
                return value
    return values[0]


def pick_column(row: dict, prefix: str, lang: str | None = None):
    """From a row with `<prefix>_fr`, `_nl`, `_en` (and maybe `<prefix>`), the best value."""
    for tag in order(lang or choose()):
        if row.get(f"{prefix}_{tag}") is not None:
            return row[f"{prefix}_{tag}"]
    return row.get(prefix)
