"""The catalog graph: one dcat:Dataset per source graph, its licence, visibility and loads."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pyoxigraph as ox

from .namespaces import DCAT, DCTERMS, FOAF, MUTU, PROV, RDF, VOID, XSD
from .store import QueryDataset, Store


def catalog_iri(base_iri: str) -> str:
    """IRI of the catalog graph (and of the dcat:Catalog it describes)."""
    return base_iri + "catalog"


@dataclass(frozen=True)
class DatasetRecord:
    """What the catalog says about one source graph."""

    graph: str
    title: str
    licence: str
    visibility: str
    sha256: str | None
    triples: int | None
    modified: str | None
    source: str | None
    publisher: str | None


DATASETS_QUERY = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX mutu: <https://w3id.org/mutu/ns#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?g (SAMPLE(?t) AS ?title) (SAMPLE(?l) AS ?licence) (SAMPLE(?v) AS ?visibility)
       (SAMPLE(?sum) AS ?sha256) (SAMPLE(?n) AS ?triples) (SAMPLE(?m) AS ?modified)
       (SAMPLE(?src) AS ?source) (SAMPLE(?pn) AS ?publisher)
WHERE {
  ?g a mutu:Dataset ; mutu:visibility ?v .
  OPTIONAL { ?g dcterms:title ?t }
  OPTIONAL { ?g dcterms:license ?l }
  OPTIONAL { ?g mutu:sha256 ?sum }
  OPTIONAL { ?g void:triples ?n }
  OPTIONAL { ?g dcterms:modified ?m }
  OPTIONAL { ?g dcterms:source ?src }
  OPTIONAL { ?g dcterms:publisher/foaf:name ?pn }
} GROUP BY ?g ORDER BY ?g
"""


def datasets(store: Store, base_iri: str) -> list[DatasetRecord]:
    """Every dataset the catalog records, whatever its visibility."""
    rows = store.select(DATASETS_QUERY, dataset=QueryDataset((catalog_iri(base_iri),), ()))
    out = []
    for row in rows:
        vis = row["visibility"].value
        out.append(DatasetRecord(
            graph=row["g"].value,
            title=row["title"].value if "title" in row else row["g"].value,
            licence=row["licence"].value if "licence" in row else "",
            visibility=vis[len(MUTU):] if vis.startswith(MUTU) else vis,
            sha256=row["sha256"].value if "sha256" in row else None,
            triples=int(row["triples"].value) if "triples" in row else None,
            modified=row["modified"].value if "modified" in row else None,
            source=row["source"].value if "source" in row else None,
            publisher=row["publisher"].value if "publisher" in row else None,
        ))
    return out


def find(store: Store, base_iri: str, graph: str) -> DatasetRecord | None:
    """The catalog record of one graph, or None."""
    return next((d for d in datasets(store, base_iri) if d.graph == graph), None)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value, datatype: str | None = None, language: str | None = None) -> ox.Literal:
    if language:
        return ox.Literal(str(value), language=language)
    if datatype:
        return ox.Literal(str(value), datatype=_n(datatype))
    return ox.Literal(str(value))


def now() -> str:
    """Current UTC time as an xsd:dateTime lexical form."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def dataset_description(base_iri: str, graph: str, *, title: str | dict, licence: str,
                        visibility: str, source: str, publisher: str | None, who: str,
                        sha256: str, triples: int, started: str, ended: str,
                        description: dict | None = None) -> list[ox.Triple]:
    """The catalog triples describing one load of a graph (the Dataset and its prov:Activity)."""
    g = _n(graph)
    catalog = _n(catalog_iri(base_iri))
    activity = _n(f"{base_iri}activity/{uuid.uuid4().hex}")
    agent = _n(f"{base_iri}agent/{_slug(who)}")
    t = ox.Triple
    out = [
        t(catalog, _n(RDF + "type"), _n(DCAT + "Catalog")),
        t(catalog, _n(DCAT + "dataset"), g),
        t(g, _n(RDF + "type"), _n(MUTU + "Dataset")),
        t(g, _n(RDF + "type"), _n(DCAT + "Dataset")),
        t(g, _n(DCTERMS + "license"), _n(licence)),
        t(g, _n(MUTU + "visibility"), _n(MUTU + visibility)),
        t(g, _n(DCTERMS + "source"), _lit(source)),
        t(g, _n(DCTERMS + "modified"), _lit(ended, XSD + "dateTime")),
        t(g, _n(VOID + "triples"), _lit(triples, XSD + "integer")),
        t(g, _n(MUTU + "sha256"), _lit(sha256)),
        t(g, _n(PROV + "wasGeneratedBy"), activity),
        t(activity, _n(RDF + "type"), _n(PROV + "Activity")),
        t(activity, _n(PROV + "startedAtTime"), _lit(started, XSD + "dateTime")),
        t(activity, _n(PROV + "endedAtTime"), _lit(ended, XSD + "dateTime")),
        t(activity, _n(PROV + "wasAssociatedWith"), agent),
        t(activity, _n(PROV + "used"), _lit(source)),
        t(activity, _n(PROV + "generated"), g),
        t(activity, _n(VOID + "triples"), _lit(triples, XSD + "integer")),
        t(activity, _n(MUTU + "sha256"), _lit(sha256)),
        t(agent, _n(RDF + "type"), _n(PROV + "Agent")),
        t(agent, _n(FOAF + "name"), _lit(who)),
    ]
    titles = title if isinstance(title, dict) else {None: title}
    for lang, text in titles.items():
        out.append(t(g, _n(DCTERMS + "title"), _lit(text, language=lang)))
    for lang, text in (description or {}).items():
        out.append(t(g, _n(DCTERMS + "description"), _lit(text, language=lang)))
    if publisher:
        pub = _n(f"{base_iri}agent/{_slug(publisher)}")
        out += [t(g, _n(DCTERMS + "publisher"), pub), t(pub, _n(RDF + "type"), _n(FOAF + "Agent")),
                t(pub, _n(FOAF + "name"), _lit(publisher))]
    return out


def _slug(text: str) -> str:
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "anonymous"


def replace_description_update(base_iri: str, graph: str, triples: list[ox.Triple]) -> str:
    """SPARQL update replacing a dataset's description in the catalog (load history is kept).

    Every term is written by pyoxigraph's own N-Triples serialiser, never from raw text.
    """
    cat = str(_n(catalog_iri(base_iri)))
    g = str(_n(graph))
    body = " .\n".join(str(t) for t in triples)
    return (f"DELETE {{ GRAPH {cat} {{ {g} ?p ?o }} }} WHERE {{ GRAPH {cat} {{ {g} ?p ?o }} }} ;\n"
            f"INSERT DATA {{ GRAPH {cat} {{\n{body} .\n}} }}")
