"""Fast list pages on a large store: sorted lists and inverted indexes kept per store state.

pyoxigraph sorts IRIs slowly (it compares their strings: `ORDER BY ?a` over the 11k
alternatives of a 1M-triple store takes about 2 s) and evaluates `FILTER EXISTS` row by row
(a category filter over every alternative or event: 9-12 s). So, like the agenda index
(app.agenda), the lists keep per store state and set of visible graphs (`agenda.per_state`,
built through `reading.select_for_index`, so access rules hold):

- the IRIs of `schema:Organization` / `schema:Place`, sorted as SPARQL sorts IRIs (by code
  point, like Python's `str`); the events are in the agenda's order;
- for each filter value asked for (a category with its narrower ones, a postal code or a
  commune, an organiser, a place), the sorted positions in that order of the items it keeps
  (`postings.Posting`), from one query for that value: the members of those categories, not
  every category link of the store;
- for a text search, the names and descriptions of the type folded once, the way the named
  queries fold them in SPARQL, in the list's order in one byte string (`postings.Text`).

A page walks the positions that every filter keeps, each jumping to its next one (a bisect,
a `bytes.find`), and stops at the end of the page: its cost does not grow with the store.
Then it reads the details of the page's rows with one LATERAL query.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from . import agenda, reading
from .postings import Order, Posting, Text, Without, walk

PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX mutu: <https://w3id.org/mutu/ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

_TYPED = PREFIXES + "SELECT ?x WHERE { ?x a %s }"
# LATERAL: the members of each narrower category looked up in the index (a join reads every
# category link of the store: 6 s at 10M triples, against 0.5 s for a top category here).
_IN_CATEGORY = PREFIXES + "SELECT ?x WHERE { ?c skos:broader* %s LATERAL { ?x mutu:category ?c } }"
# The members first, then hash-joined to the locations (a lookup per member in every visible
# graph: 9 s against 3 s at 10M triples).
_PLACES_IN_CATEGORY = PREFIXES + """SELECT DISTINCT ?p WHERE {
  { SELECT ?x WHERE { ?c skos:broader* %s LATERAL { ?x mutu:category ?c } } } ?x schema:location ?p }"""
# Addresses (?a) of a postal code / of a commune: its localities are found first, then looked up.
_POSTCODE = "?a schema:postalCode %s ."
_LOCALITIES = PREFIXES + "SELECT DISTINCT ?l WHERE { ?a schema:addressLocality ?l FILTER (LCASE(STR(?l)) = %s) }"
_LOCALITY = "VALUES ?l { %s } ?a schema:addressLocality ?l ."
_PLACES_AT = PREFIXES + "SELECT ?p WHERE { %s ?p schema:address ?a }"
_LOCATED_AT = PREFIXES + "SELECT ?x WHERE { %s ?p schema:address ?a . ?x schema:location ?p }"
_BY = PREFIXES + "SELECT DISTINCT ?x WHERE { ?x %s %s }"
# Two sub-selects, so they are hash-joined: looking each item's texts up in every visible
# graph took three times as long (31 s against 11 s for the alternatives at 10M triples). One
# query per property, so each one fits a query deadline (the events' names take about 20 s
# at 10M triples, their names and descriptions together 35-40 s).
_TEXTS = PREFIXES + """SELECT ?x ?text WHERE {
  { SELECT ?x ?text WHERE { ?x %s ?text } } { SELECT ?x WHERE { ?x a %s } } }"""
_TEXT_PROPERTIES = ("https://schema.org/name", "https://schema.org/description")
# What the named queries' REPLACE chain does after LCASE (queries/alternatives.rq, events.rq).
_FOLD = {**dict.fromkeys("àáâãäå", "a"), **dict.fromkeys("èéêë", "e"), **dict.fromkeys("ìíîï", "i"),
         **dict.fromkeys("òóôõöø", "o"), **dict.fromkeys("ùúûü", "u"), "ç": "c"}
_FOLDED = re.compile("[%s]" % "".join(_FOLD))
_TYPES = {"alternatives": "https://schema.org/Organization", "events": "https://schema.org/Event"}
_KEPT = 512  # postings kept per state and set of visible graphs (filter values asked for)
_FEW = 1000  # at most this many matches: a text search is kept as a posting

# The details of a page's rows; {iris} is a VALUES list of IRIs from the store. LATERAL makes
# each part index lookups for one subject; the parts that give one row per subject come first,
# so the later ones (names in several languages multiply rows) are not evaluated twice.
ALTERNATIVE_DETAILS = PREFIXES + """SELECT * WHERE {
  VALUES ?alternative { {iris} }
  LATERAL { OPTIONAL { ?alternative schema:location ?place } }
  LATERAL { OPTIONAL { ?place schema:address ?address . ?address schema:postalCode ?postcode
                       OPTIONAL { ?address schema:addressLocality ?locality } } }
  LATERAL { OPTIONAL { ?place schema:geo ?geo . ?geo schema:latitude ?latitude ; schema:longitude ?longitude } }
  LATERAL {
    OPTIONAL { ?alternative schema:url ?url }
    OPTIONAL { ?alternative schema:name ?name_fr FILTER (LANG(?name_fr) = "fr") }
    OPTIONAL { ?alternative schema:name ?name_nl FILTER (LANG(?name_nl) = "nl") }
    OPTIONAL { ?alternative schema:name ?name_en FILTER (LANG(?name_en) = "en") }
    OPTIONAL { ?alternative schema:description ?description_fr FILTER (LANG(?description_fr) = "fr") }
    OPTIONAL { ?alternative schema:description ?description_nl FILTER (LANG(?description_nl) = "nl") }
    OPTIONAL { ?alternative schema:description ?description_en FILTER (LANG(?description_en) = "en") }
    OPTIONAL { ?alternative schema:name ?name }
  }
}"""

PLACE_DETAILS = PREFIXES + """SELECT * WHERE {
  VALUES ?place { {iris} }
  LATERAL { OPTIONAL { ?place schema:address ?address . ?address schema:postalCode ?postcode
                       OPTIONAL { ?address schema:streetAddress ?street }
                       OPTIONAL { ?address schema:addressLocality ?locality } } }
  LATERAL { OPTIONAL { ?place schema:geo ?geo . ?geo schema:latitude ?latitude ; schema:longitude ?longitude } }
  LATERAL {
    OPTIONAL { ?place schema:name ?name_fr FILTER (LANG(?name_fr) = "fr") }
    OPTIONAL { ?place schema:name ?name_nl FILTER (LANG(?name_nl) = "nl") }
    OPTIONAL { ?place schema:name ?name_en FILTER (LANG(?name_en) = "en") }
    OPTIONAL { ?place schema:name ?name }
  }
}"""

_DROP = ("address", "geo")


def _sorted(type_iri: str) -> Order:
    rows = reading.select_for_index(_TYPED % ox.NamedNode(type_iri))
    return Order(sorted({row["x"].value for row in rows}))


def order(name: str) -> Order:
    """The items of a list ("alternatives", "places", "events") in the order its pages walk."""
    if name == "alternatives":
        return agenda.per_state("lists.alternatives", lambda: _sorted("https://schema.org/Organization"))
    if name == "places":
        return agenda.per_state("lists.places", lambda: _sorted("https://schema.org/Place"))
    return agenda.per_state("lists.events", lambda: Order(agenda.index().events, "<{}>".format))


def alternatives_sorted() -> list[str]:
    """IRIs of the visible schema:Organization resources, in SPARQL's IRI order."""
    return order("alternatives").items


def places_sorted() -> list[str]:
    return order("places").items


def _kept(key: tuple, build):
    """`build()`'s value (a seeker) for this store state and set of visible graphs."""
    postings = agenda.per_state("lists.postings", dict)
    found = postings.get(key)
    if found is None:
        found = build()
        if len(postings) >= _KEPT:
            postings.clear()  # a crawler trying every value: start again rather than grow
        postings[key] = found
    return found


def kept(name: str, key: tuple, members) -> Posting:
    """The posting of `members()` (a set of IRIs, `key` names it) in list `name`, per store state."""
    return _kept((name, *key), lambda: order(name).posting(members()))


def search(name: str, q: str):
    """The items of list `name` with a name or description containing `q` (folded): a posting
    when few match (one scan of the texts, then no more for that `q`), else a search that
    reads the texts only as far as the page goes (many match: the page ends soon)."""
    def build():
        found = text(name).search(q)
        few = found.few(_FEW)
        return found if few is None else few
    return _kept((name, "q", q), build)


def _values(query: str, key: str) -> set[str]:
    return {row[key].value for row in reading.select_for_index(query)}


def in_category(name: str, category: ox.NamedNode) -> Posting:
    """Items with `mutu:category/skos:broader* category` (narrower categories match too)."""
    return kept(name, ("category", category.value), lambda: _values(_IN_CATEGORY % category, "x"))


def _address(bindings: dict) -> str | None:
    """The address pattern of the filter's postal code / commune ('' when no address has it)."""
    if "postcode" in bindings:
        return _POSTCODE % bindings["postcode"]
    if "commune" in bindings:
        localities = " ".join(str(r["l"]) for r in reading.select(_LOCALITIES % bindings["commune"]))
        return _LOCALITY % localities if localities else ""
    return None


def at_commune(name: str, bindings: dict) -> Posting | None:
    """Items whose place (places: whose address) has the postal code / commune of the filter
    (None: no such filter)."""
    value = bindings.get("postcode", bindings.get("commune"))
    if value is None:
        return None
    template, key = (_PLACES_AT, "p") if name == "places" else (_LOCATED_AT, "x")

    def members():
        pattern = _address(bindings)
        return _values(template % pattern, key) if pattern else set()
    return kept(name, ("commune", "postcode" in bindings, value.value), members)


def fold(value: str) -> str:
    """Lower case, accented vowels and ç as plain letters: the named queries' folding."""
    return _FOLDED.sub(_plain, value.lower())


def _plain(match) -> str:
    return _FOLD[match.group()]


def text(name: str) -> Text:
    """The folded names and descriptions of a list's items, in its order."""
    def build():
        items = order(name)
        texts: dict[str, list[str]] = {}
        for prop in _TEXT_PROPERTIES:
            for row in reading.select_for_index(_TEXTS % (ox.NamedNode(prop), ox.NamedNode(_TYPES[name]))):
                texts.setdefault(items.form(row["x"].value), []).append(fold(row["text"].value))
        return Text(texts, items.items)
    return agenda.per_state(f"lists.text.{name}", build)


def without(name: str, hidden: tuple[str, ...]) -> Without:
    items = order(name)
    return Without({items.first[i] for i in map(items.form, hidden) if i in items.first})


def details(template: str, key: str, iris: list[str]) -> list[dict]:
    """One row per IRI (the first solution), in the given order."""
    def fetch(missing: list[str]) -> dict[str, dict]:
        rows = reading.select(template.replace("{iris}", " ".join(str(ox.NamedNode(i)) for i in missing)))
        first: dict[str, dict] = {}
        for row in rows:
            for name in _DROP:
                row.pop(name, None)
            first.setdefault(row[key].value, row)
        return first

    return agenda.cached_rows(f"lists.details.{key}", iris, fetch)


# -- the three lists -----------------------------------------------------------------------

def alternatives_page(f, hidden: tuple[str, ...] = ()) -> list[dict] | None:
    """Rows of /alternatives (columns of queries/alternatives.rq)."""
    seekers = []
    if f.q:
        seekers.append(search("alternatives", f.q))
    if f.category is not None:
        seekers.append(in_category("alternatives", f.category))
    commune = at_commune("alternatives", f.bindings())
    if commune is not None:
        seekers.append(commune)
    if hidden:
        seekers.append(without("alternatives", hidden))
    items = alternatives_sorted()
    found = walk(seekers, 0, len(items), f.paging.offset, f.paging.limit)
    return details(ALTERNATIVE_DETAILS, "alternative", [items[p] for p in found])


def places_page(f) -> list[dict]:
    """Rows of /places (columns of queries/places.rq)."""
    return details(PLACE_DETAILS, "place", places_iris(f))


def places_iris(f) -> list[str]:
    """The places of one page of /places (IRI order, one more than per_page when more follow)."""
    seekers = []
    if f.category is not None:
        category = f.category
        seekers.append(kept("places", ("category", category.value),
                            lambda: _values(_PLACES_IN_CATEGORY % category, "p")))
    commune = at_commune("places", f.bindings())
    if commune is not None:
        seekers.append(commune)
    items = places_sorted()
    return [items[p] for p in walk(seekers, 0, len(items), f.paging.offset, f.paging.limit)]


def event_seekers(f) -> list:
    """The agenda's filters other than dates, as seekers over `order("events")`."""
    seekers = []
    if f.q:
        seekers.append(search("events", f.q))
    if f.category is not None:
        seekers.append(in_category("events", f.category))
    for prop, value in (("https://schema.org/organizer", f.organizer),
                        ("https://schema.org/location", f.place)):
        if value is not None:
            query = _BY % (ox.NamedNode(prop), value)
            seekers.append(kept("events", (prop, value.value), lambda q=query: _values(q, "x")))
    commune = at_commune("events", f.bindings())
    if commune is not None:
        seekers.append(commune)
    return seekers
