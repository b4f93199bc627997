"""Fast list pages on a large store: sorted IRIs and filter sets kept per store state.

pyoxigraph sorts IRIs slowly (it compares their strings: `ORDER BY ?a` over the 11k
alternatives of a 1M-triple store takes about 2 s) and evaluates `FILTER EXISTS` row by row
(a category filter over every alternative or event: 9-12 s). So, like the agenda index
(app.agenda), the lists keep per store state and set of visible graphs (`agenda.per_state`,
built through `reading.select`, so access rules hold):

- the IRIs of `schema:Organization` / `schema:Place`, sorted as SPARQL sorts IRIs (by code
  point, like Python's `str`);
- lazily, `mutu:category` members (category -> subjects) and `schema:location` links.

A page walks the sorted list (or the agenda's start index) keeping the members of the
filter sets, then reads the details of the page's rows with one LATERAL query. A text
search (`q`) scans, in Python, the names and descriptions of the type folded once per state
the way the named queries fold them in SPARQL (about 1 s per search at 1M in SPARQL).
"""

from __future__ import annotations

import pyoxigraph as ox

from . import agenda, reading

PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX mutu: <https://w3id.org/mutu/ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

_TYPED = PREFIXES + "SELECT ?x WHERE { ?x a %s }"
_CATEGORY = PREFIXES + "SELECT ?x ?c WHERE { ?x mutu:category ?c }"
_LOCATION = PREFIXES + "SELECT ?x ?p WHERE { ?x schema:location ?p }"
_NARROWER = PREFIXES + "SELECT DISTINCT ?c WHERE { ?c skos:broader* %s }"
# Subjects whose place has this postal code / commune (schema:location/schema:address/...).
_POSTCODE = PREFIXES + "SELECT DISTINCT ?p WHERE { ?a schema:postalCode %s . ?p schema:address ?a }"
_COMMUNE = PREFIXES + """SELECT DISTINCT ?p WHERE {
  ?a schema:addressLocality ?l . FILTER (LCASE(STR(?l)) = %s) ?p schema:address ?a }"""
_BY = PREFIXES + "SELECT DISTINCT ?x WHERE { ?x %s %s }"
_TEXTS = PREFIXES + "SELECT ?x ?text WHERE { ?x a %s ; schema:name|schema:description ?text }"
# What the named queries' REPLACE chain does after LCASE (queries/alternatives.rq, events.rq).
_FOLD = str.maketrans({**dict.fromkeys("àáâãäå", "a"), **dict.fromkeys("èéêë", "e"),
                       **dict.fromkeys("ìíîï", "i"), **dict.fromkeys("òóôõöø", "o"),
                       **dict.fromkeys("ùúûü", "u"), "ç": "c"})

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


def _sorted(type_iri: str) -> list[str]:
    rows = reading.select(_TYPED % ox.NamedNode(type_iri))
    return sorted({row["x"].value for row in rows})


def alternatives_sorted() -> list[str]:
    """IRIs of the visible schema:Organization resources, in SPARQL's IRI order."""
    return agenda.per_state("lists.alternatives", lambda: _sorted("https://schema.org/Organization"))


def places_sorted() -> list[str]:
    return agenda.per_state("lists.places", lambda: _sorted("https://schema.org/Place"))


def _pairs(query: str, key: str, value: str) -> dict[str, set]:
    out: dict[str, set] = {}
    for row in reading.select(query):
        out.setdefault(row[value].value, set()).add(row[key].value)
    return out


def category_members() -> dict[str, set]:
    """category IRI -> subjects with that `mutu:category` (directly)."""
    return agenda.per_state("lists.category", lambda: _pairs(_CATEGORY, "x", "c"))


def located() -> dict[str, set]:
    """place IRI -> subjects whose `schema:location` it is."""
    return agenda.per_state("lists.location", lambda: _pairs(_LOCATION, "x", "p"))


def _texts(type_iri: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for row in reading.select(_TEXTS % ox.NamedNode(type_iri)):
        out.setdefault(row["x"].value, []).append(row["text"].value.lower().translate(_FOLD))
    return {x: tuple(texts) for x, texts in out.items()}


def matching_text(type_iri: str, q: str) -> set[str]:
    """Subjects of `type_iri` with a name or description containing the folded text `q`."""
    texts = agenda.per_state(f"lists.text.{type_iri}", lambda: _texts(type_iri))
    return {x for x, values in texts.items() if any(q in value for value in values)}


def in_category(category: ox.NamedNode) -> set[str]:
    """Subjects with `mutu:category/skos:broader* category` (narrower categories match too)."""
    members = category_members()
    out: set[str] = set()
    for row in reading.select(_NARROWER % category):
        out |= members.get(row["c"].value, set())
    return out


def places_of_commune(bindings: dict) -> set[str] | None:
    """Places whose address has the postal code / commune of the filter (None: no such filter)."""
    if "postcode" in bindings:
        return {r["p"].value for r in reading.select(_POSTCODE % bindings["postcode"])}
    if "commune" in bindings:
        return {r["p"].value for r in reading.select(_COMMUNE % bindings["commune"])}
    return None


def located_at(places: set[str]) -> set[str]:
    where = located()
    out: set[str] = set()
    for p in places:
        out |= where.get(p, set())
    return out


def walk(ordered, keep, offset: int, limit: int) -> list[str]:
    """The `limit` items of `ordered` after the first `offset` that `keep` accepts."""
    out = []
    for item in ordered:
        if keep(item):
            if offset:
                offset -= 1
                continue
            out.append(item)
            if len(out) >= limit:
                break
    return out


def _all(sets: list[set]):
    sets = sorted(sets, key=len)
    return lambda x: all(x in s for s in sets)


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
    sets = []
    if f.q:
        sets.append(matching_text("https://schema.org/Organization", f.q))
    if f.category is not None:
        sets.append(in_category(f.category))
    places = places_of_commune(f.bindings())
    if places is not None:
        sets.append(located_at(places))
    hidden_set = set(hidden)
    keep_sets = _all(sets)
    keep = (lambda x: x not in hidden_set and keep_sets(x)) if hidden_set else keep_sets
    iris = walk(alternatives_sorted(), keep, f.paging.offset, f.paging.limit)
    return details(ALTERNATIVE_DETAILS, "alternative", iris)


def places_page(f) -> list[dict]:
    """Rows of /places (columns of queries/places.rq)."""
    return details(PLACE_DETAILS, "place", places_iris(f))


def places_iris(f) -> list[str]:
    """The places of one page of /places (IRI order, one more than per_page when more follow)."""
    sets = []
    if f.category is not None:
        members = in_category(f.category)
        where = located()
        sets.append({p for p, xs in where.items() if not xs.isdisjoint(members)})
    places = places_of_commune(f.bindings())
    if places is not None:
        sets.append(places)
    return walk(places_sorted(), _all(sets), f.paging.offset, f.paging.limit)


def event_filter(f):
    """A membership test for the agenda's filters other than dates."""
    sets = []
    if f.q:
        sets.append(matching_text("https://schema.org/Event", f.q))
    if f.category is not None:
        sets.append(in_category(f.category))
    for prop, value in (("https://schema.org/organizer", f.organizer),
                        ("https://schema.org/location", f.place)):
        if value is not None:
            sets.append({r["x"].value for r in reading.select(_BY % (ox.NamedNode(prop), value))})
    places = places_of_commune(f.bindings())
    if places is not None:
        sets.append(located_at(places))
    return _all(sets)
