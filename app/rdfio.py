"""Reading RDF input: format detection, parsing with clear errors, schema.org normalisation."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .errors import InputError
from .namespaces import CC, DCAT, DCTERMS, MUTU, ORG, RDF, SCHEMA, SCHEMA_HTTP, SKOS

# Names accepted by --format, with the media types and extensions that select them.
FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
ALIASES = {
    "ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "nq": "nquads",
    "n-quads": "nquads", "json-ld": "jsonld", "json": "jsonld", "rdf": "rdfxml",
    "xml": "rdfxml", "rdf/xml": "rdfxml", "owl": "rdfxml",
}
EXTENSIONS = {
    ".ttl": "turtle", ".turtle": "turtle", ".nt": "ntriples", ".nq": "nquads", ".trig": "trig",
    ".jsonld": "jsonld", ".json": "jsonld", ".rdf": "rdfxml", ".xml": "rdfxml", ".owl": "rdfxml",
}


def format_name(name: str | None, path: str | None = None) -> str:
    """Resolve a --format value, a media type or a file extension to one of FORMATS."""
    if name:
        key = name.strip().lower()
        key = ALIASES.get(key, key)
        if key in FORMATS:
            return key
        try:
            fmt = ox.RdfFormat.from_media_type(name)
        except ValueError:
            fmt = None
        if fmt is not None:
            return next(k for k, v in FORMATS.items() if v == fmt)
        raise InputError(f"unknown RDF format {name!r}; use one of: {', '.join(FORMATS)}")
    if path:
        suffixes = [s.lower() for s in Path(path).suffixes]
        if suffixes and suffixes[-1] == ".gz":
            raise InputError(f"{path}: compressed files are not read; decompress it first")
        if suffixes and suffixes[-1] in EXTENSIONS:
            return EXTENSIONS[suffixes[-1]]
        raise InputError(f"{path}: cannot tell the RDF format from the file name; "
                         f"pass --format ({', '.join(FORMATS)})")
    raise InputError("no RDF format given")


def parse(data: bytes, fmt: str, *, source: str = "input", base_iri: str | None = None) -> list[ox.Triple]:
    """Parse RDF bytes into triples (named graphs of quad formats are merged), or raise InputError."""
    data = check_bytes(data, source)
    try:
        # Fresh blank-node labels: "_:b0" of two files must not become one node in the store.
        quads = ox.parse(data, format=FORMATS[fmt], base_iri=base_iri, rename_blank_nodes=True)
        triples = [q.triple for q in quads]
    except SyntaxError as error:
        raise InputError(f"{source}: {fmt} syntax error: {error.msg if hasattr(error, 'msg') else error}",
                         detail=_where(error)) from None
    except ValueError as error:
        raise InputError(f"{source}: cannot read as {fmt}: {error}") from None
    if not triples:
        raise InputError(f"{source}: the file holds no triples")
    return triples


def check_bytes(data: bytes, source: str) -> bytes:
    """The input without a UTF-8 byte order mark; InputError when empty or UTF-16."""
    if not data or data.isspace():  # strip() would copy the whole input
        raise InputError(f"{source}: the file is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{source}: the file is UTF-16; RDF input must be UTF-8")
    return data


def _where(error: SyntaxError) -> str | None:
    if getattr(error, "lineno", None):
        return f"line {error.lineno}, column {error.offset or 1}"
    return None


# Subclass axioms of ontology/mutu.ttl applied on load, so plain schema.org queries see
# Mutu's own records and vice versa without any reasoner at query time.
IMPLIED_TYPES = {
    MUTU + "Alternative": (SCHEMA + "Organization", ORG + "Organization"),
    MUTU + "Place": (SCHEMA + "Place",),
    MUTU + "Event": (SCHEMA + "Event",),
    MUTU + "Licence": (DCTERMS + "LicenseDocument", CC + "License"),
    MUTU + "Category": (SKOS + "Concept",),
    MUTU + "Dataset": (DCAT + "Dataset",),
    MUTU + "Document": (SCHEMA + "CreativeWork",),
    MUTU + "Offer": (SCHEMA + "Offer",),
    MUTU + "Request": (SCHEMA + "Demand",),
    MUTU + "OfferKind": (SKOS + "Concept",),
    MUTU + "OfferCondition": (SKOS + "Concept",),
}
_TYPE = ox.NamedNode(RDF + "type")


def _https(term):
    if isinstance(term, ox.NamedNode) and term.value.startswith(SCHEMA_HTTP):
        return ox.NamedNode(SCHEMA + term.value[len(SCHEMA_HTTP):])
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(SCHEMA_HTTP):
        return ox.Literal(term.value, datatype=_https(term.datatype))
    return term


def normalise(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Rewrite http://schema.org/ to https://schema.org/, add implied types, drop duplicates."""
    seen = set()
    out = []
    for t in triples:
        t = ox.Triple(_https(t.subject), _https(t.predicate), _https(t.object))
        key = str(t)
        if key not in seen:
            seen.add(key)
            out.append(t)
        if t.predicate == _TYPE and isinstance(t.object, ox.NamedNode):
            for implied in IMPLIED_TYPES.get(t.object.value, ()):
                extra = ox.Triple(t.subject, _TYPE, ox.NamedNode(implied))
                key = str(extra)
                if key not in seen:
                    seen.add(key)
                    out.append(extra)
    return out
