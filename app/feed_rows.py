"""The rows of the event and place feeds, fast on a large store.

`queries/feed-events.rq` sorts every upcoming event before cutting a page: at 10M triples
(550k events) that took 98 s, far past any deadline. The feeds pick the page the way the
agenda does (`agenda.page_events`: the per-state start index and postings), then read the
columns of feed-events.rq for those events only, each part an index lookup (LATERAL), and
keep the rows for the store state (`agenda.cached_rows`). The place feeds do the same with
the sorted places of /places (`lists.places_iris`; feed-places.rq took 16 s at 10M).
tests/integration/test_page_speed.py checks that the rows equal the named queries'.
"""

from __future__ import annotations

import dataclasses

from . import agenda, lists, reading
from .filters import EventFilters, Paging

# The columns of queries/feed-events.rq; {events} is a VALUES list of IRIs from the index
# (from the store, never request text).
EVENT_DETAILS = """PREFIX schema: <https://schema.org/>
PREFIX mutu: <https://w3id.org/mutu/ns#>
SELECT ?event ?start (SAMPLE(?end0) AS ?end) (SAMPLE(?status0) AS ?status)
       (SAMPLE(?rrule0) AS ?rrule) (SAMPLE(?url0) AS ?url)
       (SAMPLE(?nf) AS ?name_fr) (SAMPLE(?nn) AS ?name_nl) (SAMPLE(?ne) AS ?name_en) (SAMPLE(?n0) AS ?name)
       (SAMPLE(?df) AS ?description_fr) (SAMPLE(?dn) AS ?description_nl) (SAMPLE(?de) AS ?description_en)
       (SAMPLE(?d0) AS ?description)
       (SAMPLE(?org) AS ?organizer) (SAMPLE(?of) AS ?organizer_fr) (SAMPLE(?on) AS ?organizer_nl)
       (SAMPLE(?oe) AS ?organizer_en) (SAMPLE(?o0) AS ?organizer_name)
       (SAMPLE(?loc) AS ?place) (SAMPLE(?pf) AS ?place_fr) (SAMPLE(?pn) AS ?place_nl)
       (SAMPLE(?pe) AS ?place_en) (SAMPLE(?p0) AS ?place_name)
       (SAMPLE(?st) AS ?street) (SAMPLE(?pc) AS ?postcode) (SAMPLE(?lo) AS ?locality)
       (SAMPLE(?la) AS ?latitude) (SAMPLE(?lg) AS ?longitude)
       (GROUP_CONCAT(DISTINCT STR(?cat); SEPARATOR=" ") AS ?categories)
WHERE {
  VALUES ?event { {events} }
  LATERAL { ?event a schema:Event ; schema:startDate ?start }
  LATERAL {
    OPTIONAL { ?event schema:endDate ?end0 }
    OPTIONAL { ?event schema:eventStatus ?status0 }
    OPTIONAL { ?event mutu:rrule ?rrule0 }
    OPTIONAL { ?event schema:url ?url0 }
    OPTIONAL { ?event schema:organizer ?org }
    OPTIONAL { ?event schema:location ?loc }
  }
  LATERAL { OPTIONAL { ?event mutu:category ?cat } }
  LATERAL {
    OPTIONAL { ?event schema:name ?n0 FILTER (LANG(?n0) = "") }
    OPTIONAL { ?event schema:name ?nf FILTER (LANG(?nf) = "fr") }
    OPTIONAL { ?event schema:name ?nn FILTER (LANG(?nn) = "nl") }
    OPTIONAL { ?event schema:name ?ne FILTER (LANG(?ne) = "en") }
    OPTIONAL { ?event schema:description ?d0 FILTER (LANG(?d0) = "") }
    OPTIONAL { ?event schema:description ?df FILTER (LANG(?df) = "fr") }
    OPTIONAL { ?event schema:description ?dn FILTER (LANG(?dn) = "nl") }
    OPTIONAL { ?event schema:description ?de FILTER (LANG(?de) = "en") }
  }
  LATERAL {
    OPTIONAL { ?org schema:name ?o0 FILTER (LANG(?o0) = "") }
    OPTIONAL { ?org schema:name ?of FILTER (LANG(?of) = "fr") }
    OPTIONAL { ?org schema:name ?on FILTER (LANG(?on) = "nl") }
    OPTIONAL { ?org schema:name ?oe FILTER (LANG(?oe) = "en") }
  }
  LATERAL {
    OPTIONAL { ?loc schema:name ?p0 FILTER (LANG(?p0) = "") }
    OPTIONAL { ?loc schema:name ?pf FILTER (LANG(?pf) = "fr") }
    OPTIONAL { ?loc schema:name ?pn FILTER (LANG(?pn) = "nl") }
    OPTIONAL { ?loc schema:name ?pe FILTER (LANG(?pe) = "en") }
  }
  LATERAL {
    OPTIONAL { ?loc schema:address ?address .
               OPTIONAL { ?address schema:streetAddress ?st }
               OPTIONAL { ?address schema:postalCode ?pc }
               OPTIONAL { ?address schema:addressLocality ?lo } }
  }
  LATERAL { OPTIONAL { ?loc schema:geo ?geo . ?geo schema:latitude ?la ; schema:longitude ?lg } }
}
GROUP BY ?event ?start"""


def _fetch(events: list[str]) -> dict[str, dict]:
    rows = reading.select(EVENT_DETAILS.replace("{events}", " ".join(events)))
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(str(row["event"]), row)
    return first


def events(found: EventFilters, paging: Paging) -> tuple[list[dict], bool]:
    """One feed page of events (the rows of queries/feed-events.rq) and whether more follow."""
    chosen = agenda.page_events(dataclasses.replace(found, paging=paging))
    return paging.cut(agenda.cached_rows("feeds.events", chosen, _fetch))


# The columns of queries/feed-places.rq; {places} is a VALUES list of IRIs from the store.
PLACE_DETAILS = """PREFIX schema: <https://schema.org/>
PREFIX mutu: <https://w3id.org/mutu/ns#>
SELECT ?place
       (SAMPLE(?nf) AS ?name_fr) (SAMPLE(?nn) AS ?name_nl) (SAMPLE(?ne) AS ?name_en) (SAMPLE(?n0) AS ?name)
       (SAMPLE(?st) AS ?street) (SAMPLE(?pc) AS ?postcode) (SAMPLE(?lo) AS ?locality)
       (SAMPLE(?la) AS ?latitude) (SAMPLE(?lg) AS ?longitude) (SAMPLE(?u) AS ?url)
       (GROUP_CONCAT(DISTINCT STR(?cat); SEPARATOR=" ") AS ?categories)
WHERE {
  VALUES ?place { {places} }
  LATERAL {
    OPTIONAL { ?place schema:name ?n0 FILTER (LANG(?n0) = "") }
    OPTIONAL { ?place schema:name ?nf FILTER (LANG(?nf) = "fr") }
    OPTIONAL { ?place schema:name ?nn FILTER (LANG(?nn) = "nl") }
    OPTIONAL { ?place schema:name ?ne FILTER (LANG(?ne) = "en") }
    OPTIONAL { ?place schema:url ?u }
  }
  LATERAL {
    OPTIONAL { ?place schema:address ?address .
               OPTIONAL { ?address schema:streetAddress ?st }
               OPTIONAL { ?address schema:postalCode ?pc }
               OPTIONAL { ?address schema:addressLocality ?lo } }
  }
  LATERAL { OPTIONAL { ?place schema:geo ?geo . ?geo schema:latitude ?la ; schema:longitude ?lg } }
  LATERAL { OPTIONAL { ?x2 schema:location ?place ; mutu:category ?cat } }
}
GROUP BY ?place"""


def _fetch_places(places: list[str]) -> dict[str, dict]:
    rows = reading.select(PLACE_DETAILS.replace("{places}", " ".join(f"<{p}>" for p in places)))
    return {row["place"].value: row for row in rows}


def places(found, paging: Paging) -> tuple[list[dict], bool]:
    """One feed page of places (the rows of queries/feed-places.rq) and whether more follow."""
    chosen = lists.places_iris(dataclasses.replace(found, paging=paging))
    return paging.cut(agenda.cached_rows("feeds.places", chosen, _fetch_places))
