"""RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML): the foundation's path.

Records for --skip-invalid are the resources described: each IRI subject with the blank
nodes hanging from it. The format comes from the `format` option or the file extension.
"""

from __future__ import annotations

import pyoxigraph as ox

from app.rdfio import EXTENSIONS, format_name, normalise, parse

from . import Loader, LoaderOptions, LoaderResult, Record

_MEDIA = ("text/turtle", "application/n-triples", "application/n-quads", "application/trig",
          "application/ld+json", "application/rdf+xml")


class RdfLoader(Loader):
    name = "rdf"
    description = "RDF: Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML (option format=)"
    media_types = _MEDIA
    extensions = tuple(EXTENSIONS)

    def sniff(self, head: bytes) -> bool:
        text = head.lstrip(b"\xef\xbb\xbf").lstrip()
        return (text.startswith((b"@prefix", b"@base", b"PREFIX", b"prefix", b"<http", b"<?xml"))
                or b"<rdf:RDF" in head[:2000] or b'"@context"' in head[:4000])

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        fmt = format_name(options.get("format"), options.filename or "input.ttl")
        triples = normalise(parse(data, fmt, source=options.filename or options.source))
        return LoaderResult(triples, records_by_subject(triples), read=0)


def records_by_subject(triples: list[ox.Triple]) -> list[Record]:
    """One record per IRI subject; a blank node belongs to the subjects that point to it."""
    owners: dict = {}
    for t in triples:
        if isinstance(t.object, ox.BlankNode) and not isinstance(t.subject, ox.BlankNode):
            owners.setdefault(t.object, set()).add(t.subject.value)
    records: dict[str, Record] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            iri = t.subject.value
            if iri not in records:
                records[iri] = Record(len(records) + 1, iri, {iri})
    for record in records.values():
        record.subjects |= {f"_:{b.value}" for b, who in owners.items() if record.id in who}
    return list(records.values())
