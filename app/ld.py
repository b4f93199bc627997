"""Linked data: descriptions of the resources Mutu mints, their RDF twins and schema.org JSON-LD.

Every read goes through `reading`, one subject at a time (index lookups, fast at any size);
LATERAL keeps pyoxigraph from hash-joining optional parts over the whole store.
"""

from __future__ import annotations

import datetime as dt
import json

import pyoxigraph as ox

from . import negotiation, reading
from .namespaces import DCTERMS, MUTU, PREFIXES, RDF, SCHEMA
from .params import BRUSSELS
from .store.embedded import GRAPH_FORMATS

KINDS = ("alternative", "place", "event", "category", "graph")
TWINS = {"ttl": negotiation.TURTLE, "jsonld": negotiation.JSONLD, "nt": negotiation.NTRIPLES,
         "rdf": negotiation.RDFXML}
NESTED = (SCHEMA + "address", SCHEMA + "geo", SCHEMA + "encoding")

FACTS = """SELECT ?s ?g ?p ?o ?p2 ?o2 WHERE {
  GRAPH ?g { ?s ?p ?o }
  LATERAL { OPTIONAL { GRAPH ?g { ?o ?p2 ?o2 } FILTER (?p IN (<https://schema.org/address>, <https://schema.org/geo>, <https://schema.org/encoding>)) } }
}"""

# Incoming links of one subject, written into the text as N-Triples terms ({s}, {now}: an
# ox.NamedNode and an ox.Literal, never request text). The subject must be a constant in each
# branch: a substituted ?s does not reach inside sub-selects, and `VALUES ?p` after the
# pattern made pyoxigraph scan every organizer/location link and sort all upcoming events
# of the store (1-2 s at 1M triples); with the subject written in, each branch is a few
# index lookups (about 1 ms).
INCOMING = """PREFIX schema: <https://schema.org/>
SELECT ?x ?p ?start WHERE {
  { SELECT ?x ?p ?start WHERE {
      { ?x schema:organizer {s} BIND (schema:organizer AS ?p) }
      UNION { ?x schema:location {s} BIND (schema:location AS ?p) }
      ?x schema:startDate ?start . FILTER (?start >= {now})
    } ORDER BY ?start LIMIT 20 }
  UNION
  { SELECT ?x ?p WHERE { ?x schema:location {s} ; a schema:Organization . BIND (schema:location AS ?p) } LIMIT 50 }
  UNION
  { SELECT ?x ?p WHERE {
      { ?x schema:sameAs {s} BIND (schema:sameAs AS ?p) }
      UNION { ?x <http://www.w3.org/2002/07/owl#sameAs> {s} BIND (<http://www.w3.org/2002/07/owl#sameAs> AS ?p) }
    } LIMIT 20 }
}"""

# Names of a few IRIs in one query: {iris} is a VALUES list of N-Triples IRIs (from the
# store); LATERAL makes each one an index lookup instead of a scan of every name.
NAMES = """SELECT ?x ?name WHERE { VALUES ?x { {iris} }
  LATERAL { ?x <https://schema.org/name>|<http://www.w3.org/2004/02/skos/core#prefLabel>|<http://purl.org/dc/terms/title> ?name } }"""


class Description:
    """What the visible graphs say about one IRI: facts with their graph, and incoming links."""

    def __init__(self, iri: str):
        self.iri = iri
        self.node = ox.NamedNode(iri)
        self.facts: list[tuple[str, str, object]] = []  # (graph, property, value)
        self.nested: dict[str, list[tuple[str, object]]] = {}  # node -> [(property, value)]
        self.incoming: list[tuple[str, str, object]] = []  # (subject, property, start or None)

    @property
    def exists(self) -> bool:
        return bool(self.facts)

    def values(self, prop: str) -> list:
        seen, out = set(), []
        for _, p, o in self.facts:
            if p == prop and str(o) not in seen:
                seen.add(str(o))
                out.append(o)
        return out

    def types(self) -> set[str]:
        return {o.value for o in self.values(RDF + "type")}

    def nested_value(self, prop: str, inner: str):
        for o in self.values(prop):
            for p, v in self.nested.get(str(o), []):
                if p == inner:
                    return v
        return None

    def triples(self) -> list[ox.Triple]:
        """The RDF description: facts, the address and coordinates, and incoming links."""
        out, seen = [], set()

        def add(t):
            if t not in seen:
                seen.add(t)
                out.append(t)

        for _, p, o in self.facts:
            add(ox.Triple(self.node, ox.NamedNode(p), o))
        nodes = {str(o): o for _, p, o in self.facts if p in NESTED}
        for key, pairs in self.nested.items():
            for p, v in pairs:
                add(ox.Triple(nodes[key], ox.NamedNode(p), v))
        for s, p, _ in self.incoming:
            add(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), self.node))
        return out


def describe(iri: str, *, incoming: bool = True) -> Description:
    """Read one resource (a few index lookups)."""
    d = Description(iri)
    node = ox.NamedNode(iri)
    for row in reading.select(FACTS, {"s": node}):
        d.facts.append((row["g"].value, row["p"].value, row["o"]))
        if "p2" in row:
            pair = (row["p2"].value, row["o2"])
            bucket = d.nested.setdefault(str(row["o"]), [])
            if pair not in bucket:
                bucket.append(pair)
    if incoming and d.facts:
        now = dt.datetime.now(BRUSSELS).replace(hour=0, minute=0, second=0, microsecond=0)
        now_term = ox.Literal(now.isoformat(timespec="seconds"), datatype=ox.NamedNode(PREFIXES["xsd"] + "dateTime"))
        seen = set()
        text = INCOMING.replace("{s}", str(node)).replace("{now}", str(now_term))
        for row in reading.select(text):
            key = (row["x"].value, row["p"].value)
            if key not in seen:
                seen.add(key)
                d.incoming.append((row["x"].value, row["p"].value, row.get("start")))
    return d


def names(iris: list[str]) -> dict[str, list]:
    """Names (schema:name, skos:prefLabel, dcterms:title) of a few IRIs, one lookup each."""
    out: dict[str, list] = {iri: [] for iri in iris}
    if not out:
        return out
    nodes = " ".join(str(ox.NamedNode(iri)) for iri in out)
    for row in reading.select(NAMES.replace("{iris}", nodes)):
        out[row["x"].value].append(row["name"])
    return out


def serialize(triples: list[ox.Triple], media_type: str) -> bytes:
    """Triples in one of the twin formats, with Mutu's prefixes where the format has them."""
    fmt = GRAPH_FORMATS[media_type]
    if media_type in (negotiation.TURTLE,):
        return ox.serialize(triples, format=fmt, prefixes=PREFIXES)
    return ox.serialize(triples, format=fmt)


# -- schema.org JSON-LD embedded in pages --------------------------------------------------

CONTEXT = {"@vocab": SCHEMA}


def _plain(term):
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        dtype = term.datatype.value
        if dtype.endswith(("#string",)):
            return term.value
        return {"@value": term.value, "@type": dtype}
    return None


def schema_jsonld(d: Description) -> dict:
    """A schema.org JSON-LD object of the subject (type, names, description, links, address)."""
    obj = {"@context": CONTEXT, "@id": d.iri}
    types = sorted(t.removeprefix(SCHEMA) for t in d.types() if t.startswith(SCHEMA))
    if types:
        obj["@type"] = types
    for prop in ("name", "description", "url", "email", "telephone", "startDate", "endDate",
                 "eventStatus", "organizer", "location", "sameAs", "inLanguage", "abstract",
                 "author", "about", "datePublished"):
        values = [_plain(v) for v in d.values(SCHEMA + prop)]
        values = [v for v in values if v is not None]
        if values:
            obj[prop] = values if len(values) > 1 else values[0]
    licences = [v.value for v in d.values(DCTERMS + "license")]
    if licences:
        obj["license"] = licences[0]
    for prop, inner_type in (("address", "PostalAddress"), ("geo", "GeoCoordinates")):
        for o in d.values(SCHEMA + prop):
            inner = {"@type": inner_type}
            for p, v in d.nested.get(str(o), []):
                if p.startswith(SCHEMA) and p != RDF + "type":
                    inner[p.removeprefix(SCHEMA)] = _plain(v)
            obj[prop] = inner
    if SCHEMA + "Offer" in d.types() or SCHEMA + "Demand" in d.types():
        _offer_or_demand(d, obj)
    return obj


# schema:businessFunction takes GoodRelations' business functions: a room or equipment is
# made available for a while (LeaseOut), a skill or service is provided (ProvideService).
GR = "http://purl.org/goodrelations/v1#"
BUSINESS_FUNCTIONS = {MUTU + "room": GR + "LeaseOut", MUTU + "equipment": GR + "LeaseOut",
                      MUTU + "skill": GR + "ProvideService", MUTU + "service": GR + "ProvideService"}


def _offer_or_demand(d: Description, obj: dict) -> None:
    """Offer / Demand terms: who (offeredBy, or `seeks` from the seeker), price, dates,
    category; the contact channel (not a property of Offer or Demand) as the alternative's
    contactPoint. Values come from `d`, so contacts are only those the reader may see."""
    offer = SCHEMA + "Offer" in d.types()
    who = [o for o in d.values(SCHEMA + "offeredBy" if offer else MUTU + "soughtBy")
           if isinstance(o, ox.NamedNode)]
    categories = [o for o in d.values(MUTU + "category") if isinstance(o, ox.NamedNode)]
    labels = names([o.value for o in who + categories])
    contact = {"@type": "ContactPoint"}
    for prop in ("email", "telephone"):
        if prop in obj:
            contact[prop] = obj.pop(prop)
    nodes = []
    for o in who:
        node = {"@id": o.value, "@type": "Organization"}
        if labels.get(o.value):
            node["name"] = [_plain(n) for n in labels[o.value]]
        if len(contact) > 1:
            node["contactPoint"] = contact
        nodes.append(node)
    if nodes and offer:
        obj["offeredBy"] = nodes if len(nodes) > 1 else nodes[0]
    elif nodes:
        obj["@reverse"] = {"seeks": nodes if len(nodes) > 1 else nodes[0]}
    for prop in ("availabilityStarts", "availabilityEnds"):
        values = [_plain(v) for v in d.values(SCHEMA + prop)]
        if values:
            obj[prop] = values[0]
    price = [_plain(v) for v in d.values(SCHEMA + "price")]
    currency = [v.value for v in d.values(SCHEMA + "priceCurrency")]
    if not price and MUTU + "free" in {o.value for o in d.values(MUTU + "conditions")}:
        price, currency = [0], currency or ["EUR"]  # schema.org: a price of 0 marks a free offer
    if price:
        terms = {"price": price[0], **({"priceCurrency": currency[0]} if currency else {})}
        if offer:
            obj.update(terms)
        else:  # Demand has no price of its own, only a price specification
            obj["priceSpecification"] = {"@type": "PriceSpecification", **terms}
    kinds = [BUSINESS_FUNCTIONS[o.value] for o in d.values(MUTU + "offerKind") if o.value in BUSINESS_FUNCTIONS]
    if offer and kinds:
        obj["businessFunction"] = {"@id": kinds[0]}
    if offer and categories:  # Demand has no category
        obj["category"] = [{"@id": c.value, **({"name": [_plain(n) for n in labels[c.value]]}
                                               if labels.get(c.value) else {})} for c in categories]


def script_json(obj) -> str:
    """JSON safe inside <script>: `<`, `>` and `&` are written as \\u escapes, so `</script>`
    in the data cannot close the element."""
    text = json.dumps(obj, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
