"""The fast paths of the list pages (app.lists, the agenda index) give the rows of the named
queries they stand for, on the demo data, for every filter and a few pages; a load reaches
their per-state indexes.

The speed itself is measured by bench/pages.py (not a timed test).
"""

from __future__ import annotations

import pytest

from app import agenda, filters, lists, ld, reading
from app.namespaces import DEFAULT_BASE_IRI as BASE
from app.state import get_store
from conftest import TTL_PREFIXES, load_fixture

CATEGORIES = [None, "food-agriculture", "grow-it-yourself-together", "community-garden", "cohousing",
              "no-such-category"]
COMMUNES = [None, "1050", "1000", "Ixelles", "saint-gilles", "9999"]


def _iris(rows, key):
    return [row[key].value for row in rows]


def _names(rows, key):
    return [(row[key].value, row.get("name_fr"), row.get("name_nl"), row.get("postcode"))
            for row in rows]


def _args(category, commune, page, per_page):
    out = {"page": str(page), "per_page": str(per_page)}
    if category:
        out["category"] = category
    if commune:
        out["commune"] = commune
    return out


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("commune", COMMUNES)
def test_alternatives_and_places_match_the_named_queries(demo_app, category, commune):
    with demo_app.test_request_context("/"):
        for page, per_page in ((1, 20), (2, 3), (3, 2)):
            args = _args(category, commune, page, per_page)
            f = filters.alternative_filters(args, BASE)
            _, expected = reading.named("alternatives", {}, **f.bindings())
            got = lists.alternatives_page(f)
            assert _iris(got, "alternative") == _iris(expected, "alternative"), args
            assert _names(got, "alternative") == _names(expected, "alternative"), args
            f = filters.place_filters(args, BASE)
            _, expected = reading.named("places", {}, **f.bindings())
            got = lists.places_page(f)
            assert _iris(got, "place") == _iris(expected, "place"), args
            assert _names(got, "place") == _names(expected, "place"), args


SEARCHES = ["cafe", "Café", "REPAIR", "potager", "ç", "e", "bruxelles", "vélo", "no such words here", "  jardin   partagé "]


@pytest.mark.parametrize("q", SEARCHES)
@pytest.mark.parametrize("category", [None, "food-agriculture"])
def test_text_search_matches_the_named_queries(demo_app, q, category):
    with demo_app.test_request_context("/"):
        for page, per_page in ((1, 20), (2, 3)):
            args = {**_args(category, None, page, per_page), "q": q}
            f = filters.alternative_filters(args, BASE)
            _, expected = reading.named("alternatives", {}, **f.bindings())
            got = lists.alternatives_page(f)
            assert _iris(got, "alternative") == _iris(expected, "alternative"), args
            f = filters.event_filters({**args, "from": "2000-01-01"}, BASE)
            _, expected = reading.named("events", {}, **f.bindings())
            expected, more_expected = f.paging.cut(expected)
            got, more = agenda.page(f)
            assert [r["event"].value for r in got] == [r["event"].value for r in expected], args
            assert more == more_expected


def test_text_search_finds_something(demo_app):
    """The comparison above would pass on two empty answers: make sure the searches do match."""
    with demo_app.test_request_context("/"):
        found = lists.alternatives_page(filters.alternative_filters({"q": "cafe"}, BASE))
        assert found and all("caf" in (r.get("name_fr") or r.get("name")).value.lower()
                             or "description_fr" in r for r in found)
        events, _ = agenda.page(filters.event_filters({"q": "e", "from": "2000-01-01"}, BASE))
        assert len(events) > 3


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("commune", COMMUNES)
def test_agenda_filters_match_the_named_query(demo_app, category, commune):
    with demo_app.test_request_context("/"):
        organizers = [None] + [r["o"].value for r in reading.select(
            "SELECT DISTINCT ?o WHERE { ?e <https://schema.org/organizer> ?o } LIMIT 2")]
        for organizer in organizers:
            for page, per_page in ((1, 50), (2, 3)):
                args = _args(category, commune, page, per_page)
                if organizer:
                    args["organizer"] = organizer
                f = filters.event_filters(args, BASE)
                _, expected = reading.named("events", {}, **f.bindings())
                expected, more_expected = f.paging.cut(expected)
                got, more = agenda.page(f)
                assert [(r["event"].value, r["start"].value) for r in got] == \
                    [(r["event"].value, r["start"].value) for r in expected], args
                assert more == more_expected


def _cells(rows):
    # Every column, with the categories as a set (GROUP_CONCAT's order is not specified).
    out = []
    for row in rows:
        cells = {k: v.value for k, v in row.items() if k != "categories"}
        cells["categories"] = frozenset(row["categories"].value.split()) if "categories" in row else None
        out.append(cells)
    return out


@pytest.mark.parametrize("category", [None, "food-agriculture", "repair-cafe"])
@pytest.mark.parametrize("commune", [None, "1050", "saint-gilles"])
def test_event_feed_rows_match_the_named_query(demo_app, category, commune):
    from app import feed_rows

    with demo_app.test_request_context("/"):
        for start in (None, "2000-01-01"):
            for page, per_page in ((1, 500), (2, 4)):
                args = _args(category, commune, 1, 50)
                if start:
                    args["from"] = start
                f = filters.event_filters(args, BASE)
                paging = filters.Paging(page, per_page)
                bindings = {**f.bindings(), **paging.bindings()}
                _, expected = reading.named("feed-events", {}, **bindings)
                expected, more_expected = paging.cut(expected)
                got, more = feed_rows.events(f, paging)
                assert _cells(got) == _cells(expected), args
                assert more == more_expected
                if start and not category and not commune:
                    assert len(got) >= 4  # the comparison is not between two empty pages


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("commune", COMMUNES)
def test_place_feed_rows_match_the_named_query(demo_app, category, commune):
    from app import feed_rows

    with demo_app.test_request_context("/"):
        for page, per_page in ((1, 500), (2, 4), (3, 5)):
            f = filters.place_filters(_args(category, commune, 1, 50), BASE)
            paging = filters.Paging(page, per_page)
            _, expected = reading.named("feed-places", {}, **{**f.bindings(), **paging.bindings()})
            expected, more_expected = paging.cut(expected)
            got, more = feed_rows.places(f, paging)
            assert _cells(got) == _cells(expected), (category, commune, page)
            assert more == more_expected
            if page == 1 and not category and not commune:
                assert len(got) >= 20


def test_incoming_links_and_names_of_a_demo_alternative(demo_app):
    with demo_app.test_request_context("/"):
        row = reading.select("SELECT ?o (COUNT(?e) AS ?n) WHERE { ?e <https://schema.org/organizer> ?o } "
                             "GROUP BY ?o ORDER BY DESC(?n) LIMIT 1")[0]
        d = ld.describe(row["o"].value)
        events = [s for s, p, start in d.incoming if start is not None]
        assert events, "the busiest organiser has upcoming events"
        names = ld.names(events + ["https://mutu.brussels/alternative/no-such-thing"])
        assert all(names[e] for e in events)
        assert names["https://mutu.brussels/alternative/no-such-thing"] == []
        assert list(names) == list(dict.fromkeys(events)) + ["https://mutu.brussels/alternative/no-such-thing"]


MAROLLES = TTL_PREFIXES + """

alternative:potager-marolles a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Potager des Marolles"@fr ;
    mutu:category category:food-agriculture ;
    schema:location place:salle-marolles .

place:salle-marolles a mutu:Place, schema:Place ;
    schema:name "Salle des Marolles"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Haute 1" ;
                     schema:postalCode "1000" ; schema:addressLocality "Bruxelles" ;
                     schema:addressCountry "BE" ] .

event:fete-marolles a mutu:Event, schema:Event ;
    schema:name "Fête des Marolles"@fr ;
    schema:startDate "2030-02-01T14:00:00+01:00"^^xsd:dateTime ;
    schema:location place:salle-marolles ;
    schema:organizer alternative:potager-marolles ;
    mutu:category category:food-agriculture .
"""


def test_a_load_reaches_the_list_indexes(app, client):
    """The indexes are per store state: a load is seen by every filter at the next request."""
    pages = ["/alternatives?q=marolles", "/alternatives?category=food-agriculture",
             "/alternatives?commune=1000", "/places?category=food-agriculture", "/places?commune=bruxelles",
             "/events?from=2030-01-01&q=marolles", "/events?from=2030-01-01&category=food-agriculture",
             "/events?from=2030-01-01&commune=1000"]
    for path in pages:
        assert "Marolles" not in client.get(path).get_data(as_text=True), path
    with app.app_context():
        load_fixture(get_store(), MAROLLES, BASE + "graph/marolles")
    for path in pages:
        assert "Marolles" in client.get(path).get_data(as_text=True), path
