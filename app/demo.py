"""The Mutu demo dataset: the sources a demo load puts in the store, in load order.

Static parts are Turtle files (ontology/categories.ttl, ontology/licences.ttl, demo/places.ttl,
demo/alternatives.ttl, demo/documents.ttl, demo/offers.ttl, demo/offer-contacts.ttl, the last
one with `partners` visibility). Events are kept in demo/events.json as day offsets from an anchor date with local Brussels times, and are turned into Turtle here, so the events stay upcoming whenever
the demo is started. Everything is deterministic for a given anchor date: no network, no store.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import lru_cache

from app.namespaces import DEFAULT_BASE_IRI, KNOWN_LICENCES, MUTU, SCHEMA, XSD
from app.resources import folder

GRAPH_BASE = DEFAULT_BASE_IRI + "graph/"
EVENT_BASE = DEFAULT_BASE_IRI + "event/"
PLACE_BASE = DEFAULT_BASE_IRI + "place/"
ALTERNATIVE_BASE = DEFAULT_BASE_IRI + "alternative/"
CATEGORY_BASE = DEFAULT_BASE_IRI + "category/"

CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
UNLICENSE = "https://unlicense.org/"
# The demo data (places, alternatives, events) is shared under CC BY 4.0: see demo/README.md.
DEMO_LICENCE = CC_BY
DEMO_PUBLISHER = "Mutu demo"

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
STATUSES = {
    "scheduled": "EventScheduled",
    "cancelled": "EventCancelled",
    "postponed": "EventPostponed",
    "rescheduled": "EventRescheduled",
    "moved-online": "EventMovedOnline",
}


@dataclass(frozen=True)
class DemoSource:
    name: str  # "categories", "licences", "places", "alternatives", "documents", "offers", "offer-contacts", "events"
    graph: str  # the named graph (and dcat:Dataset) IRI
    title: dict[str, str]  # {"fr":..., "nl":..., "en":...}
    description: dict[str, str]
    licence: str  # a known licence IRI (app.namespaces.KNOWN_LICENCES)
    publisher: str
    source: str  # where the data came from (file name or URL)
    data: bytes  # the graph as Turtle (UTF-8)
    format: str = "turtle"
    visibility: str = "public"  # public, partners or private (app.access)


# ---------------------------------------------------------------------------------------------
# Time zone: Europe/Brussels


def _eu_summer_time(local: datetime.datetime) -> bool:
    """EU rule (fallback when no tz database is installed): summer time from the last Sunday of
    March 01:00 UTC to the last Sunday of October 01:00 UTC."""

    def last_sunday(year: int, month: int) -> datetime.date:
        day = datetime.date(year, month, 31)
        return day - datetime.timedelta(days=(day.weekday() - 6) % 7)

    utc_guess = local - datetime.timedelta(hours=1)  # daytime events: one hour either way is fine
    start = datetime.datetime.combine(last_sunday(local.year, 3), datetime.time(1))
    end = datetime.datetime.combine(last_sunday(local.year, 10), datetime.time(1))
    return start <= utc_guess < end


@lru_cache(maxsize=1)
def _brussels_zone() -> datetime.tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Brussels")
    except Exception:  # no tz database (e.g. a bare Windows install without tzdata)
        return None


def brussels_datetime(day: datetime.date, hhmm: str) -> datetime.datetime:
    """The aware datetime of a local Brussels wall-clock time on a given day."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    local = datetime.datetime.combine(day, datetime.time(hour, minute))
    zone = _brussels_zone()
    if zone is not None:
        return local.replace(tzinfo=zone)
    offset = datetime.timedelta(hours=2 if _eu_summer_time(local) else 1)
    return local.replace(tzinfo=datetime.timezone(offset))


def xsd_datetime(moment: datetime.datetime) -> str:
    """Lexical xsd:dateTime with a numeric offset, e.g. 2026-12-02T19:00:00+01:00."""
    offset = moment.utcoffset()
    fixed = moment.replace(tzinfo=datetime.timezone(offset))
    return fixed.isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# Event dates


def _first_weekday_on_or_after(day: datetime.date, weekday: str) -> datetime.date:
    target = WEEKDAYS.index(weekday)
    return day + datetime.timedelta(days=(target - day.weekday()) % 7)


def _nth_weekday(year: int, month: int, n: int, weekday: str) -> datetime.date | None:
    """The n-th (1..5, or -1..-5 from the end) given weekday of a month, if it exists."""
    target = WEEKDAYS.index(weekday)
    if n > 0:
        first = datetime.date(year, month, 1)
        day = first + datetime.timedelta(days=(target - first.weekday()) % 7 + 7 * (n - 1))
    else:
        next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
        last = next_month - datetime.timedelta(days=1)
        day = last - datetime.timedelta(days=(last.weekday() - target) % 7 + 7 * (-n - 1))
    return day if day.month == month else None


def _rrule_parts(rrule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)


def event_date(earliest: datetime.date, weekday: str | None = None, rrule: str | None = None) -> datetime.date:
    """The first day on or after `earliest` matching the event's weekday or recurrence rule, so
    that the start date of a recurring event is its first occurrence (mutu:rrule contract).
    Supported: FREQ=WEEKLY with BYDAY=XX[,YY], FREQ=MONTHLY with BYDAY=nXX; otherwise no shift."""
    if rrule:
        parts = _rrule_parts(rrule)
        days = [d for d in parts.get("BYDAY", "").split(",") if d]
        if parts.get("FREQ") == "WEEKLY" and days:
            return min(_first_weekday_on_or_after(earliest, d) for d in days)
        if parts.get("FREQ") == "MONTHLY" and len(days) == 1 and days[0][-2:] in WEEKDAYS and days[0][:-2]:
            n, wd = int(days[0][:-2]), days[0][-2:]
            year, month = earliest.year, earliest.month
            for _ in range(13):
                found = _nth_weekday(year, month, n, wd)
                if found is not None and found >= earliest:
                    return found
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            raise ValueError(f"cannot place rrule {rrule!r}")
    if weekday:
        return _first_weekday_on_or_after(earliest, weekday)
    return earliest


# ---------------------------------------------------------------------------------------------
# Turtle writing


def _literal(text: str, lang: str | None = None) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _lang_values(values: dict[str, str]) -> str:
    return ", ".join(_literal(values[lang], lang) for lang in ("fr", "nl", "en") if values.get(lang))


def _check_slug(slug: str) -> str:
    if not slug or not all(c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in slug):
        raise ValueError(f"bad slug {slug!r} in demo/events.json")
    return slug


def load_event_records() -> list[dict]:
    with open(folder("demo") / "events.json", encoding="utf-8") as handle:
        return json.load(handle)["events"]


def events_turtle(today: datetime.date) -> bytes:
    """The demo events as Turtle, dated relative to `today` (all start after `today`)."""
    rows = []
    for record in load_event_records():
        day = int(record["day"])
        if day < 1:
            raise ValueError(f"event {record['slug']!r} must start at least one day after the anchor")
        date = event_date(today + datetime.timedelta(days=day), record.get("weekday"), record.get("rrule"))
        start = brussels_datetime(date, record["start"])
        end = brussels_datetime(date, record["end"]) if record.get("end") else None
        rows.append((start, record["slug"], date, end, record))
    rows.sort(key=lambda row: (row[0], row[1]))

    out = [
        "# Mutu demo data: events, generated by app/demo.py from demo/events.json.",
        f"# Anchor date {today.isoformat()}. Licence: CC BY 4.0 (see demo/README.md).",
        f"@prefix mutu: <{MUTU}> .",
        f"@prefix schema: <{SCHEMA}> .",
        f"@prefix xsd: <{XSD}> .",
        f"@prefix event: <{EVENT_BASE}> .",
        f"@prefix place: <{PLACE_BASE}> .",
        f"@prefix alternative: <{ALTERNATIVE_BASE}> .",
        f"@prefix category: <{CATEGORY_BASE}> .",
        "",
    ]
    seen = set()
    for start, slug, date, end, record in rows:
        local = f"{_check_slug(slug)}-{date.isoformat()}"
        if local in seen:
            raise ValueError(f"two demo events share the IRI event/{local}")
        seen.add(local)
        status = STATUSES[record.get("status", "scheduled")]
        lines = [
            f"event:{local} a mutu:Event, schema:Event ;",
            f"    schema:name {_lang_values(record['name'])} ;",
        ]
        if record.get("description"):
            lines.append(f"    schema:description {_lang_values(record['description'])} ;")
        lines.append(f'    schema:startDate "{xsd_datetime(start)}"^^xsd:dateTime ;')
        if end is not None:
            lines.append(f'    schema:endDate "{xsd_datetime(end)}"^^xsd:dateTime ;')
        lines += [
            f"    schema:location place:{_check_slug(record['location'])} ;",
            f"    schema:organizer alternative:{_check_slug(record['organizer'])} ;",
            f"    schema:eventStatus schema:{status} ;",
            f"    schema:inLanguage {_literal(record['lang'])} ;",
        ]
        if "free" in record:
            lines.append(f"    schema:isAccessibleForFree {'true' if record['free'] else 'false'} ;")
        if record.get("rrule"):
            lines.append(f"    mutu:rrule {_literal(record['rrule'])} ;")
        categories = ", ".join(f"category:{_check_slug(c)}" for c in record.get("categories", []))
        if categories:
            lines.append(f"    mutu:category {categories} ;")
        lines[-1] = lines[-1][: -len(" ;")] + " ."
        out.append("\n".join(lines))
        out.append("")
    return "\n".join(out).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Sources


def _file_bytes(folder_name: str, file_name: str) -> bytes:
    return (folder(folder_name) / file_name).read_bytes()


def demo_sources(today: datetime.date | None = None) -> list[DemoSource]:
    """The demo sources in load order: categories, licences, places, alternatives, documents,
    offers, offer-contacts (partners only), events (events last: they are the only part that
    depends on `today`)."""
    if today is None:
        today = datetime.date.today()
    sources = [
        DemoSource(
            name="categories",
            graph=GRAPH_BASE + "categories",
            title={
                "fr": "Catégories des alternatives",
                "nl": "Categorieën van de alternatieven",
                "en": "Categories of alternatives",
            },
            description={
                "fr": "Le schéma SKOS de catégories partagé par Mutu, construit à partir de la taxonomie SSEDAS (TransforMap).",
                "nl": "Het gedeelde SKOS-categorieënschema van Mutu, opgebouwd uit de SSEDAS-taxonomie (TransforMap).",
                "en": "Mutu's shared SKOS category scheme, built from the SSEDAS taxonomy (TransforMap).",
            },
            licence=UNLICENSE,
            publisher="Mutu",
            source="ontology/categories.ttl",
            data=_file_bytes("ontology", "categories.ttl"),
        ),
        DemoSource(
            name="licences",
            graph=GRAPH_BASE + "licences",
            title={
                "fr": "Licences connues",
                "nl": "Gekende licenties",
                "en": "Known licences",
            },
            description={
                "fr": "Les huit licences sous lesquelles un jeu de données peut être partagé dans Mutu.",
                "nl": "De acht licenties waaronder een dataset in Mutu gedeeld kan worden.",
                "en": "The eight licences under which a dataset may be shared in Mutu.",
            },
            licence=CC0,
            publisher="Mutu",
            source="ontology/licences.ttl",
            data=_file_bytes("ontology", "licences.ttl"),
        ),
        DemoSource(
            name="places",
            graph=GRAPH_BASE + "demo-places",
            title={
                "fr": "Lieux (démo)",
                "nl": "Plaatsen (demo)",
                "en": "Places (demo)",
            },
            description={
                "fr": "Lieux des alternatives bruxelloises dans 18 des 19 communes, avec adresse et coordonnées. En partie issus de l'export TransforMap SUSY (domaine public), en partie fictifs.",
                "nl": "Plaatsen van Brusselse alternatieven in 18 van de 19 gemeenten, met adres en coördinaten. Deels uit de TransforMap SUSY-export (publiek domein), deels fictief.",
                "en": "Places of Brussels alternatives in 18 of the 19 municipalities, with address and coordinates. Partly from the TransforMap SUSY export (public domain), partly fictional.",
            },
            licence=DEMO_LICENCE,
            publisher=DEMO_PUBLISHER,
            source="demo/places.ttl",
            data=_file_bytes("demo", "places.ttl"),
        ),
        DemoSource(
            name="alternatives",
            graph=GRAPH_BASE + "demo-alternatives",
            title={
                "fr": "Alternatives bruxelloises (démo)",
                "nl": "Brusselse alternatieven (demo)",
                "en": "Brussels alternatives (demo)",
            },
            description={
                "fr": "Coopératives, GASAP, potagers, repair cafés, outilothèques, SEL… Les fiches réelles viennent de l'export TransforMap SUSY (domaine public) ; les autres sont fictives.",
                "nl": "Coöperaties, aankoopgroepen, moestuinen, repaircafés, gereedschapsbibs, LETS… De echte fiches komen uit de TransforMap SUSY-export (publiek domein); de andere zijn fictief.",
                "en": "Co-ops, buying groups, gardens, repair cafés, tool libraries, time banks… Real records come from the TransforMap SUSY export (public domain); the others are fictional.",
            },
            licence=DEMO_LICENCE,
            publisher=DEMO_PUBLISHER,
            source="demo/alternatives.ttl",
            data=_file_bytes("demo", "alternatives.ttl"),
        ),
        DemoSource(
            name="documents",
            graph=GRAPH_BASE + "demo-documents",
            title={
                "fr": "Base documentaire commune (démo)",
                "nl": "Gemeenschappelijke documentatiebank (demo)",
                "en": "Common documentation base (demo)",
            },
            description={
                "fr": "Guides, savoir-faire, modèles et solutions partagés par les alternatives, chacun sous sa propre licence. Fictifs.",
                "nl": "Gidsen, knowhow, sjablonen en oplossingen die alternatieven delen, elk onder een eigen licentie. Fictief.",
                "en": "Guides, know-how, templates and solutions shared by alternatives, each under its own licence. Fictional.",
            },
            licence=DEMO_LICENCE,
            publisher=DEMO_PUBLISHER,
            source="demo/documents.ttl",
            data=_file_bytes("demo", "documents.ttl"),
        ),
        DemoSource(
            name="offers",
            graph=GRAPH_BASE + "demo-offers",
            title={
                "fr": "Offres et demandes entre alternatives (démo)",
                "nl": "Aanbod en vragen tussen alternatieven (demo)",
                "en": "Offers and requests between alternatives (demo)",
            },
            description={
                "fr": "Compétences, services, locaux et matériel que les alternatives s'offrent ou se demandent : gratuits, en échange ou payants. Fictifs.",
                "nl": "Vaardigheden, diensten, lokalen en materiaal die alternatieven elkaar aanbieden of vragen: gratis, in ruil of betalend. Fictief.",
                "en": "Skills, services, rooms and equipment alternatives offer each other or seek: free, in exchange or paid. Fictional.",
            },
            licence=DEMO_LICENCE,
            publisher=DEMO_PUBLISHER,
            source="demo/offers.ttl",
            data=_file_bytes("demo", "offers.ttl"),
        ),
        DemoSource(
            name="offer-contacts",
            graph=GRAPH_BASE + "demo-offer-contacts",
            title={
                "fr": "Contacts réservés aux partenaires : offres et demandes (démo)",
                "nl": "Contactgegevens enkel voor partners: aanbod en vragen (demo)",
                "en": "Partners-only contacts of offers and requests (demo)",
            },
            description={
                "fr": "Les adresses e-mail et numéros de téléphone de quelques offres et demandes, visibles des seuls partenaires. Fictifs.",
                "nl": "De e-mailadressen en telefoonnummers van enkele aanbiedingen en vragen, enkel zichtbaar voor partners. Fictief.",
                "en": "E-mail addresses and telephone numbers of some offers and requests, visible to partners only. Fictional.",
            },
            licence=DEMO_LICENCE,
            publisher=DEMO_PUBLISHER,
            source="demo/offer-contacts.ttl",
            data=_file_bytes("demo", "offer-contacts.ttl"),
            visibility="partners",
        ),
        DemoSource(
            name="events",
            graph=GRAPH_BASE + "demo-events",
            title={
                "fr": "Agenda des alternatives (démo)",
                "nl": "Agenda van de alternatieven (demo)",
                "en": "Alternatives' calendar (demo)",
            },
            description={
                "fr": "Événements fictifs des quatre prochains mois : ateliers, marchés, assemblées, certains récurrents ou annulés.",
                "nl": "Fictieve evenementen van de komende vier maanden: workshops, markten, vergaderingen, sommige terugkerend of geannuleerd.",
                "en": "Fictional events over the next four months: workshops, markets, assemblies, some recurring or cancelled.",
            },
            licence=DEMO_LICENCE,
            publisher=DEMO_PUBLISHER,
            source="demo/events.json",
            data=events_turtle(today),
        ),
    ]
    for source in sources:
        assert source.licence in KNOWN_LICENCES, source.licence
    return sources
