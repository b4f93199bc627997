"""The demo dataset (app/demo.py, demo/): counts, dates, references, languages, shapes."""

from __future__ import annotations

import datetime
from functools import lru_cache
from urllib.parse import urlparse

import pyoxigraph
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from app.demo import DemoSource, demo_sources, event_date
from app.namespaces import CATEGORY_SCHEME, KNOWN_LICENCES
from app.resources import files, folder

MUTU = Namespace("https://w3id.org/mutu/ns#")
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SH = Namespace("http://www.w3.org/ns/shacl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

BASE = "https://mutu.brussels/"
ORDER = ["categories", "licences", "places", "alternatives", "documents", "offers", "offer-contacts", "events"]
SUMMER = datetime.date(2026, 6, 15)
WINTER = datetime.date(2026, 12, 1)
# Across both DST changes within the four months, and leap day.
ANCHORS = [SUMMER, WINTER, datetime.date(2027, 3, 1), datetime.date(2028, 2, 20), datetime.date.today()]
SUSY_SOURCE = "TransforMap SUSY export (public domain)"


@lru_cache(maxsize=None)
def sources(today: datetime.date = WINTER) -> dict[str, DemoSource]:
    return {source.name: source for source in demo_sources(today)}


@lru_cache(maxsize=None)
def graph(name: str, today: datetime.date = WINTER) -> Graph:
    return Graph().parse(data=sources(today)[name].data, format="turtle")


def subjects_of(g: Graph, cls: URIRef) -> set:
    return set(g.subjects(RDF.type, cls))


def events(today: datetime.date):
    g = graph("events", today)
    for event in sorted(subjects_of(g, MUTU.Event)):
        start = g.value(event, SCHEMA.startDate)
        end = g.value(event, SCHEMA.endDate)
        yield g, event, start, end


# --- the API ----------------------------------------------------------------------------------


def test_sources_in_load_order_with_metadata():
    listed = demo_sources(WINTER)
    assert [s.name for s in listed] == ORDER
    for source in listed:
        assert isinstance(source, DemoSource)
        assert source.format == "turtle"
        assert source.licence in KNOWN_LICENCES
        assert set(source.title) == {"fr", "nl", "en"} and all(source.title.values())
        assert set(source.description) == {"fr", "nl", "en"} and all(source.description.values())
        assert source.publisher and source.source
        assert isinstance(source.data, bytes) and source.data
        source.data.decode("utf-8")
    graphs = {s.name: s.graph for s in listed}
    assert graphs == {
        "categories": BASE + "graph/categories",
        "licences": BASE + "graph/licences",
        "places": BASE + "graph/demo-places",
        "alternatives": BASE + "graph/demo-alternatives",
        "documents": BASE + "graph/demo-documents",
        "offers": BASE + "graph/demo-offers",
        "offer-contacts": BASE + "graph/demo-offer-contacts",
        "events": BASE + "graph/demo-events",
    }
    visibility = {s.name: s.visibility for s in listed}
    assert visibility.pop("offer-contacts") == "partners"
    assert set(visibility.values()) == {"public"}
    licences = {s.name: s.licence for s in listed}
    assert licences["categories"] == "https://unlicense.org/"
    assert licences["licences"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    for name in ("places", "alternatives", "events"):
        assert KNOWN_LICENCES[licences[name]] in ("CC-BY-4.0", "CC-BY-SA-4.0")
    for name in ("documents", "offers", "offer-contacts"):
        assert KNOWN_LICENCES[licences[name]] == "CC-BY-4.0"


def test_categories_and_licences_reuse_the_ontology_files():
    by_name = sources()
    assert by_name["categories"].data == (folder("ontology") / "categories.ttl").read_bytes()
    assert by_name["licences"].data == (folder("ontology") / "licences.ttl").read_bytes()


def test_default_anchor_is_today():
    assert demo_sources()[-1].data == demo_sources(datetime.date.today())[-1].data


@pytest.mark.parametrize("today", ANCHORS)
def test_deterministic_bytes_for_the_same_date(today):
    first = [(s.name, s.graph, s.data) for s in demo_sources(today)]
    second = [(s.name, s.graph, s.data) for s in demo_sources(today)]
    assert first == second


def test_events_move_with_the_anchor():
    assert sources(SUMMER)["events"].data != sources(WINTER)["events"].data
    assert sources(SUMMER)["alternatives"].data == sources(WINTER)["alternatives"].data


# --- parsing and counts -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ORDER)
def test_each_source_parses_as_turtle_with_rdflib_and_oxigraph(name):
    data = sources()[name].data
    assert len(Graph().parse(data=data, format="turtle")) > 0
    quads = list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) > 0


def test_counts():
    alternatives = graph("alternatives")
    alts = subjects_of(alternatives, MUTU.Alternative)
    assert len(alts) >= 25
    for alt in alts:
        assert (alt, RDF.type, SCHEMA.Organization) in alternatives
        assert (alt, RDF.type, ORG.Organization) in alternatives
        assert str(alt).startswith(BASE + "alternative/")

    places = subjects_of(graph("places"), MUTU.Place)
    assert len(places) >= 15
    assert all((p, RDF.type, SCHEMA.Place) in graph("places") for p in places)
    assert all(str(p).startswith(BASE + "place/") for p in places)

    evs = subjects_of(graph("events"), MUTU.Event)
    assert len(evs) >= 40
    assert all((e, RDF.type, SCHEMA.Event) in graph("events") for e in evs)

    licences = subjects_of(graph("licences"), MUTU.Licence)
    assert {str(x) for x in licences} == set(KNOWN_LICENCES)

    concepts = {c for c in graph("categories").subjects(SKOS.inScheme, URIRef(CATEGORY_SCHEME))}
    assert len(concepts) >= 100

    docs = subjects_of(graph("documents"), MUTU.Document)
    assert len(docs) >= 5
    assert all((d, RDF.type, SCHEMA.CreativeWork) in graph("documents") for d in docs)
    assert all(str(d).startswith(BASE + "document/") for d in docs)
    assert subjects_of(graph("documents"), SCHEMA.HowTo)  # some are step-by-step know-how

    offers = subjects_of(graph("offers"), MUTU.Offer)
    requests = subjects_of(graph("offers"), MUTU.Request)
    assert len(offers) + len(requests) >= 10
    assert len(offers) >= 5 and len(requests) >= 3
    assert all((o, RDF.type, SCHEMA.Offer) in graph("offers") for o in offers)
    assert all((r, RDF.type, SCHEMA.Demand) in graph("offers") for r in requests)
    assert all(str(o).startswith(BASE + "offer/") for o in offers)
    assert all(str(r).startswith(BASE + "request/") for r in requests)


def test_slugs_are_lower_case_ascii_and_hyphens():
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-")
    for name, cls, prefix in (
        ("alternatives", MUTU.Alternative, "alternative/"),
        ("places", MUTU.Place, "place/"),
        ("events", MUTU.Event, "event/"),
        ("documents", MUTU.Document, "document/"),
        ("offers", MUTU.Offer, "offer/"),
        ("offers", MUTU.Request, "request/"),
    ):
        for subject in subjects_of(graph(name), cls):
            slug = str(subject)[len(BASE + prefix):]
            assert slug and set(slug) <= allowed, subject


# --- events stay upcoming ---------------------------------------------------------------------


def _offset(value: Literal) -> str:
    return str(value)[-6:]


@pytest.mark.parametrize("today", ANCHORS)
def test_all_events_are_upcoming_within_about_four_months(today):
    count = 0
    for _, event, start, end in events(today):
        count += 1
        assert start.datatype == XSD.dateTime and end.datatype == XSD.dateTime
        begins = datetime.datetime.fromisoformat(str(start))
        finishes = datetime.datetime.fromisoformat(str(end))
        assert begins.tzinfo is not None
        assert begins.date() > today, event
        assert begins.date() <= today + datetime.timedelta(days=130), event
        assert finishes > begins, event
        assert str(event).endswith("-" + begins.date().isoformat())
    assert count >= 40


@pytest.mark.parametrize("today", ANCHORS)
def test_utc_offsets_follow_brussels_time(today):
    """+01:00 in winter, +02:00 in summer; checked against fixed months, not the tz database."""
    seen = set()
    for _, event, start, end in events(today):
        day = datetime.date.fromisoformat(str(start)[:10])
        expected = {1: "+01:00", 2: "+01:00", 11: "+01:00", 12: "+01:00",
                    4: "+02:00", 5: "+02:00", 6: "+02:00", 7: "+02:00", 8: "+02:00", 9: "+02:00"}
        if day.month in expected:
            assert _offset(start) == expected[day.month], (event, start)
            assert _offset(end) == expected[day.month], (event, end)
        assert _offset(start) in ("+01:00", "+02:00")
        seen.add(_offset(start))
    if today == SUMMER:
        assert "+02:00" in seen
    if today == WINTER:
        assert "+01:00" in seen


def test_summer_and_winter_examples():
    # The weekly GASAP pick-up is on Thursdays at 18:00 local time.
    summer = [str(s) for g, e, s, _ in events(SUMMER) if "/gasap-distribution-" in str(e)]
    winter = [str(s) for g, e, s, _ in events(WINTER) if "/gasap-distribution-" in str(e)]
    assert summer == ["2026-06-18T18:00:00+02:00"]
    assert winter == ["2026-12-03T18:00:00+01:00"]


def test_dst_change_inside_the_window():
    # From 1 March 2027, events run past the switch to summer time on 28 March 2027.
    offsets = {_offset(s) for _, _, s, _ in events(datetime.date(2027, 3, 1))}
    assert offsets == {"+01:00", "+02:00"}
    for _, event, start, _ in events(datetime.date(2027, 3, 1)):
        day = datetime.date.fromisoformat(str(start)[:10])
        assert _offset(start) == ("+02:00" if day >= datetime.date(2027, 3, 28) else "+01:00"), event


def test_same_anchor_same_event_iris():
    a = subjects_of(graph("events", WINTER), MUTU.Event)
    b = subjects_of(Graph().parse(data=demo_sources(WINTER)[-1].data, format="turtle"), MUTU.Event)
    assert a == b


def test_recurring_and_cancelled_events():
    g = graph("events")
    cancelled = set(g.subjects(SCHEMA.eventStatus, SCHEMA.EventCancelled))
    assert 2 <= len(cancelled) <= 3
    recurring = list(g.subject_objects(MUTU.rrule))
    assert len(recurring) >= 5
    weekdays = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    for event, rule in recurring:
        assert str(rule).startswith("FREQ=")
        parts = dict(p.split("=", 1) for p in str(rule).split(";"))
        start = datetime.date.fromisoformat(str(g.value(event, SCHEMA.startDate))[:10])
        # the start date is the first occurrence, so it falls on the rule's weekday
        assert weekdays[start.weekday()] == parts["BYDAY"][-2:], (event, rule)
    languages = {str(x) for x in g.objects(None, SCHEMA.inLanguage)}
    assert languages == {"fr", "nl", "en"}
    statuses = set(g.objects(None, SCHEMA.eventStatus))
    assert statuses <= {SCHEMA.EventScheduled, SCHEMA.EventCancelled}
    assert all(isinstance(x, Literal) and x.datatype == XSD.boolean
               for x in g.objects(None, SCHEMA.isAccessibleForFree))


def test_event_date_rules():
    saturday = datetime.date(2026, 12, 5)
    assert event_date(datetime.date(2026, 12, 1), rrule="FREQ=WEEKLY;BYDAY=SA") == saturday
    assert event_date(saturday, rrule="FREQ=WEEKLY;BYDAY=SA") == saturday
    assert event_date(datetime.date(2026, 12, 6), rrule="FREQ=MONTHLY;BYDAY=1SA") == datetime.date(2027, 1, 2)
    assert event_date(datetime.date(2026, 12, 1), rrule="FREQ=MONTHLY;BYDAY=-1TH") == datetime.date(2026, 12, 31)
    assert event_date(datetime.date(2026, 12, 1), weekday="MO") == datetime.date(2026, 12, 7)
    assert event_date(datetime.date(2026, 12, 1)) == datetime.date(2026, 12, 1)


# --- references and text ----------------------------------------------------------------------


def test_every_reference_resolves_inside_the_demo():
    alts = subjects_of(graph("alternatives"), MUTU.Alternative)
    places = subjects_of(graph("places"), MUTU.Place)
    concepts = set(graph("categories").subjects(SKOS.inScheme, URIRef(CATEGORY_SCHEME)))
    for name in ("alternatives", "places", "events"):
        g = graph(name)
        for _, category in g.subject_objects(MUTU.category):
            assert category in concepts, (name, category)
        for _, place in g.subject_objects(SCHEMA.location):
            assert place in places, (name, place)
        for _, organizer in g.subject_objects(SCHEMA.organizer):
            assert organizer in alts, (name, organizer)
    for alt in alts:
        assert graph("alternatives").value(alt, SCHEMA.location) is not None
        assert graph("alternatives").value(alt, MUTU.category) is not None
    g = graph("events")
    for event in subjects_of(g, MUTU.Event):
        assert g.value(event, SCHEMA.organizer) is not None
        assert g.value(event, SCHEMA.location) is not None
        assert g.value(event, MUTU.category) is not None
    # every place is used by an alternative or an event
    used = set(graph("alternatives").objects(None, SCHEMA.location)) | set(g.objects(None, SCHEMA.location))
    assert places <= used


def test_documents_and_offers_reference_the_demo():
    """Every author, offeredBy, soughtBy and about is an existing demo alternative (a fictional
    one: the documents and offers are made up); categories are concepts of the scheme."""
    alts = subjects_of(graph("alternatives"), MUTU.Alternative)
    fictional = {a for a in alts if graph("alternatives").value(a, DCTERMS.source) is None}
    concepts = set(graph("categories").subjects(SKOS.inScheme, URIRef(CATEGORY_SCHEME)))
    g = graph("documents")
    for doc in subjects_of(g, MUTU.Document):
        authors = set(g.objects(doc, SCHEMA.author))
        assert authors and authors <= fictional, doc
        assert set(g.objects(doc, SCHEMA.about)) <= alts, doc
        licences = list(g.objects(doc, DCTERMS.license))
        assert len(licences) == 1 and str(licences[0]) in KNOWN_LICENCES, doc
        assert urlparse(str(g.value(doc, SCHEMA.url))).hostname == "example.org", doc
        assert g.value(doc, SCHEMA.datePublished) is not None, doc
        assert {str(x) for x in g.objects(doc, SCHEMA.inLanguage)} <= {"fr", "nl", "en"}, doc
        categories = set(g.objects(doc, MUTU.category))
        assert categories and categories <= concepts, doc
    assert len({str(x) for d in subjects_of(g, MUTU.Document) for x in g.objects(d, DCTERMS.license)}) >= 4
    g = graph("offers")
    kinds = set()
    conditions = set()
    for item in subjects_of(g, MUTU.Offer) | subjects_of(g, MUTU.Request):
        who = list(g.objects(item, SCHEMA.offeredBy)) + list(g.objects(item, MUTU.soughtBy))
        assert len(who) == 1 and who[0] in fictional, item
        kinds.add(g.value(item, MUTU.offerKind))
        conditions.add(g.value(item, MUTU.conditions))
        categories = set(g.objects(item, MUTU.category))
        assert categories and categories <= concepts, item
        price = g.value(item, SCHEMA.price)
        if price is not None:
            assert price.datatype == XSD.decimal and float(price) >= 0, item
            assert str(g.value(item, SCHEMA.priceCurrency)) == "EUR", item
            assert g.value(item, MUTU.conditions) == MUTU.paid, item
        both = g + graph("offer-contacts")
        contacts = list(both.objects(item, SCHEMA.email)) + list(both.objects(item, SCHEMA.telephone))
        assert contacts, item
        for value in both.objects(item, SCHEMA.email):
            assert str(value).endswith("@example.org"), value
        for value in both.objects(item, SCHEMA.telephone):
            assert str(value).startswith("+32 2 555 "), value
    assert kinds == {MUTU.skill, MUTU.service, MUTU.room, MUTU.equipment}
    assert conditions == {MUTU.free, MUTU.exchange, MUTU.paid}


def test_partners_contacts_only_hold_contacts_of_demo_offers():
    """The partners-only dataset states nothing but e-mail and telephone, about offers and
    requests described in the public offers graph, which then holds no contact for them."""
    contacts, offers = graph("offer-contacts"), graph("offers")
    described = subjects_of(offers, MUTU.Offer) | subjects_of(offers, MUTU.Request)
    assert len(set(contacts.subjects())) >= 3
    assert {p for _, p, _ in contacts} == {SCHEMA.email, SCHEMA.telephone}
    for subject in set(contacts.subjects()):
        assert subject in described, subject
        assert offers.value(subject, SCHEMA.email) is None and offers.value(subject, SCHEMA.telephone) is None
    assert any(offers.value(item, SCHEMA.email) for item in described)  # some contacts stay public


def _langs(g: Graph, subject, prop) -> list[str]:
    return [o.language for o in g.objects(subject, prop) if isinstance(o, Literal)]


def test_fr_nl_en_text():
    g = graph("alternatives")
    for alt in subjects_of(g, MUTU.Alternative):
        for prop in (SCHEMA.name, SCHEMA.description):
            langs = _langs(g, alt, prop)
            assert sorted(langs) == ["en", "fr", "nl"], (alt, prop)  # one per language
    g = graph("places")
    for place in subjects_of(g, MUTU.Place):
        langs = _langs(g, place, SCHEMA.name)
        assert {"fr", "nl"} <= set(langs) and len(langs) == len(set(langs)), place
    g = graph("events")
    for event in subjects_of(g, MUTU.Event):
        assert sorted(_langs(g, event, SCHEMA.name)) == ["en", "fr", "nl"], event
        assert sorted(_langs(g, event, SCHEMA.description)) == ["en", "fr", "nl"], event
    g = graph("documents")
    for doc in subjects_of(g, MUTU.Document):
        for prop in (SCHEMA.name, SCHEMA.abstract):
            assert sorted(_langs(g, doc, prop)) == ["en", "fr", "nl"], (doc, prop)
    g = graph("offers")
    for item in subjects_of(g, MUTU.Offer) | subjects_of(g, MUTU.Request):
        for prop in (SCHEMA.name, SCHEMA.description):
            assert sorted(_langs(g, item, prop)) == ["en", "fr", "nl"], (item, prop)
        langs = _langs(g, item, MUTU.availability)
        assert not langs or sorted(langs) == ["en", "fr", "nl"], item


def test_places_have_brussels_addresses_and_coordinates():
    g = graph("places")
    communes = set()
    for place in subjects_of(g, MUTU.Place):
        addresses = list(g.objects(place, SCHEMA.address))
        assert len(addresses) == 1
        address = addresses[0]
        assert (address, RDF.type, SCHEMA.PostalAddress) in g
        assert g.value(address, SCHEMA.streetAddress)
        postcode = str(g.value(address, SCHEMA.postalCode))
        assert postcode.isdigit() and 1000 <= int(postcode) <= 1210
        assert str(g.value(address, SCHEMA.addressCountry)) == "BE"
        assert {"fr", "nl"} <= set(_langs(g, address, SCHEMA.addressLocality))
        communes.add(postcode)
        geo = g.value(place, SCHEMA.geo)
        assert (geo, RDF.type, SCHEMA.GeoCoordinates) in g
        lat, lon = g.value(geo, SCHEMA.latitude), g.value(geo, SCHEMA.longitude)
        assert lat.datatype == XSD.decimal and lon.datatype == XSD.decimal
        assert 50.76 <= float(lat) <= 50.92 and 4.24 <= float(lon) <= 4.48, place
        wkt = g.value(g.value(place, GEO.hasGeometry), GEO.asWKT)
        assert wkt.datatype == GEO.wktLiteral
        assert str(wkt) == f"POINT({lon} {lat})"
    assert len(communes) >= 10


def test_real_records_cite_susy_and_fictional_ones_use_example_org():
    g = graph("alternatives")
    real = 0
    for alt in subjects_of(g, MUTU.Alternative):
        url = g.value(alt, SCHEMA.url)
        assert isinstance(url, URIRef)
        host = urlparse(str(url)).hostname or ""
        if g.value(alt, DCTERMS.source) is not None:
            real += 1
            assert str(g.value(alt, DCTERMS.source)) == SUSY_SOURCE
            assert not host.endswith("example.org")
        else:
            assert host == "example.org", alt
            for prop in (SCHEMA.email,):
                for value in g.objects(alt, prop):
                    assert str(value).endswith("example.org"), value
            for value in g.objects(alt, SCHEMA.telephone):
                assert str(value).startswith("+32 2 555 "), value  # a fictional range
    assert real >= 5


# --- shapes -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    paths = files("shapes", "*.ttl")
    assert paths and (folder("shapes") / "mutu.ttl").exists(), "shapes/mutu.ttl is missing"
    g = Graph()
    for path in paths:
        g.parse(path, format="turtle")
    return g


@pytest.mark.parametrize("name", ["places", "alternatives", "documents", "offers", "offer-contacts", "events"])
def test_no_shacl_violation_on_the_demo(name):
    from pyshacl import validate

    data = Graph()
    for other in ORDER:
        data += graph(other)  # the source plus the other demo sources as context
    _, report, _ = validate(data, shacl_graph=shapes_graph(), inference="none", allow_warnings=True)
    own = set(graph(name).subjects())
    violations, warnings = [], []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        if focus not in own:
            continue
        severity = report.value(result, SH.resultSeverity)
        entry = (str(focus), str(report.value(result, SH.resultPath)), str(report.value(result, SH.resultMessage)))
        if severity == SH.Violation:
            violations.append(entry)
        elif severity == SH.Warning:
            warnings.append(entry)
    assert violations == []
    assert len(warnings) <= 5, warnings


def test_offsets_without_a_tz_database(monkeypatch):
    """The EU-rule fallback (no tz database installed) gives the same offsets as zoneinfo."""
    import app.demo as demo

    with_zoneinfo = [demo.xsd_datetime(demo.brussels_datetime(datetime.date(2026, 1, 1) + datetime.timedelta(days=n), "19:00"))
                     for n in range(0, 800, 3)]
    monkeypatch.setattr(demo, "_brussels_zone", lambda: None)
    fallback = [demo.xsd_datetime(demo.brussels_datetime(datetime.date(2026, 1, 1) + datetime.timedelta(days=n), "19:00"))
                for n in range(0, 800, 3)]
    assert fallback == with_zoneinfo
    assert demo_sources(WINTER)[-1].data == sources(WINTER)["events"].data
