"""Choose the media type of a query result from the Accept header and the `format=` parameter.

The offered types per result kind, in the server's order of preference (which breaks ties
between equal q-values):

- "boolean" (ASK): SPARQL JSON, SPARQL XML; also CSV and TSV (pyoxigraph writes a bare
  `true` / `false`; the CSV/TSV spec only defines SELECT results, so they rank last).
- "solutions" (SELECT): SPARQL JSON, SPARQL XML, CSV, TSV.
- "graph" (CONSTRUCT, DESCRIBE): Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML.

Generic names count as the specific type: `application/json` is SPARQL JSON for results
and JSON-LD for graphs, `application/xml` / `text/xml` are SPARQL XML or RDF/XML.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadRequest, NotAcceptable

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
NQUADS = "application/n-quads"
TRIG = "application/trig"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
HTML = "text/html"

OFFERS = {
    "boolean": (JSON, XML, CSV, TSV),
    "solutions": (JSON, XML, CSV, TSV),
    "graph": (TURTLE, NTRIPLES, NQUADS, TRIG, JSONLD, RDFXML),
}

# Other names clients use for the offered types, per kind.
_RESULT_ALIASES = {"application/json": JSON, "application/xml": XML, "text/xml": XML}
_GRAPH_ALIASES = {
    "application/json": JSONLD, "application/x-json+ld": JSONLD,
    "application/xml": RDFXML, "text/xml": RDFXML,
    "application/turtle": TURTLE, "application/x-turtle": TURTLE,
    "text/plain": NTRIPLES, "application/x-trig": TRIG,
}
ALIASES = {"boolean": _RESULT_ALIASES, "solutions": _RESULT_ALIASES, "graph": _GRAPH_ALIASES}

# `format=` values: short names (the ones the HTML form offers), a few names other
# servers and SPARQLWrapper send, and media types.
FORMAT_NAMES = {
    "json": JSON, "xml": XML, "csv": CSV, "tsv": TSV,
    "turtle": TURTLE, "ntriples": NTRIPLES, "nquads": NQUADS, "trig": TRIG,
    "jsonld": JSONLD, "rdfxml": RDFXML,
}
_FORMAT_SYNONYMS = {
    "ttl": "turtle", "n3": "turtle", "nt": "ntriples", "n-triples": "ntriples",
    "nq": "nquads", "n-quads": "nquads", "json-ld": "jsonld", "rdf+xml": "rdfxml",
    "rdf": "rdfxml", "rdf/xml": "rdfxml",
}
# A short name asked for a kind that lacks it, but has its obvious twin.
_FORMAT_TWINS = {"graph": {JSON: JSONLD, XML: RDFXML}}

KIND_LABELS = {"boolean": "an ASK result", "solutions": "a SELECT result",
               "graph": "a CONSTRUCT or DESCRIBE result"}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return self.type == "*" or (self.type == main and self.subtype in ("*", sub))


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped, q defaults to 1."""
    ranges = []
    for part in (header or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        if not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main, sub, q))
    return ranges


def _quality(ranges: list[MediaRange], offer: str, aliases: list[str]) -> float:
    """The q-value the client gives `offer` (the most specific matching range wins).

    Aliases count only when named exactly: `text/*` must not select SPARQL XML via `text/xml`.
    """
    best_q, best_spec = -1.0, -1
    for r in ranges:
        exact_alias = r.specificity == 2 and f"{r.type}/{r.subtype}" in aliases
        if (r.matches(offer) or exact_alias) and (
                r.specificity > best_spec or (r.specificity == best_spec and r.q > best_q)):
            best_q, best_spec = r.q, r.specificity
    return max(best_q, 0.0)


def best_match(accept: str | None, offers: tuple[str, ...],
               aliases: dict[str, str] | None = None) -> str | None:
    """The offer the Accept header prefers, None if it accepts none; absent Accept -> first offer."""
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    aliases = aliases or {}
    best, best_q = None, 0.0
    for offer in offers:
        q = _quality(ranges, offer, [alias for alias, target in aliases.items() if target == offer])
        if q > best_q:
            best, best_q = offer, q
    return best


def format_override(values: list[str], kind: str) -> str | None:
    """The media type a `format=` parameter asks for, or None without one.

    Several values may come (SPARQLWrapper sends a name and a media type): the first one
    known for this kind wins. An unknown name is a bad request; a known one that this
    kind of result cannot take is not acceptable.
    """
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None
    offers = OFFERS[kind]
    known = []
    for value in values:
        lowered = value.lower()
        name = _FORMAT_SYNONYMS.get(lowered, lowered)
        media = FORMAT_NAMES.get(name) or (lowered if "/" in lowered else None)
        if media is None:
            continue
        media = ALIASES[kind].get(media, media)
        media = _FORMAT_TWINS.get(kind, {}).get(media, media)
        if media in offers:
            return media
        known.append(value)
    if known:
        raise NotAcceptable(f"format={known[0]} is not available for {KIND_LABELS[kind]}; "
                            f"available: {available(kind)}")
    raise BadRequest(f"unknown format {values[0]!r}; use one of {', '.join(FORMAT_NAMES)} "
                     "or a media type")


def available(kind: str) -> str:
    """The offers of a kind as text for error messages."""
    names = {media: name for name, media in FORMAT_NAMES.items()}
    return ", ".join(f"{media} (format={names[media]})" for media in OFFERS[kind])


def choose(kind: str, accept: str | None, format_values: list[str] | None = None) -> str:
    """The media type to serialise a `kind` result to, or raise NotAcceptable."""
    override = format_override(format_values or [], kind)
    if override:
        return override
    chosen = best_match(accept, OFFERS[kind], ALIASES[kind])
    if chosen is None:
        raise NotAcceptable(f"cannot serve {KIND_LABELS[kind]} as {accept!r}; "
                            f"available: {available(kind)}")
    return chosen
