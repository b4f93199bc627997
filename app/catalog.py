"""The catalog graph: one dcat:Dataset per source graph, its licence, visibility and loads."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass

import pyoxigraph as ox

from .namespaces import DCAT, DCTERMS, FOAF, MUTU, PROV, RDF, VOID, XSD
from .store import QueryDataset, Store


def catalog_iri(base_iri: str) -> str:
    """IRI of the full catalog graph (and of the dcat:Catalog it describes).

    The full graph names every dataset, private ones included, so only admins read it;
    everyone else reads the views below.
    """
    return base_iri + "catalog"


# Visibilities that have a catalog view: a copy of the records of datasets of that visibility,
# rebuilt in the same transaction as every catalog change. Private records have no view.
VIEW_VISIBILITIES = ("public", "partners")


def view_iri(base_iri: str, visibility: str) -> str:
    """IRI of the catalog view holding the records of `visibility` datasets (public, partners)."""
    if visibility not in VIEW_VISIBILITIES:
        raise ValueError(f"no catalog view for {visibility!r}")
    return f"{base_iri}catalog/{visibility}"


def refresh_views_update(base_iri: str) -> str:
    """SPARQL update rebuilding every catalog view from the full catalog graph."""
    cat = str(_n(catalog_iri(base_iri)))
    parts = []
    for vis in VIEW_VISIBILITIES:
        view = str(_n(view_iri(base_iri, vis)))
        parts.append(f"DROP SILENT GRAPH {view}")
        parts.append(f"""INSERT {{ GRAPH {view} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {cat} {{
  ?g <{MUTU}visibility> <{MUTU}{vis}> .
  {{ ?g ?p ?o BIND(?g AS ?s) }}
  UNION {{ ?s <{PROV}generated> ?g . ?s ?p ?o }}
  UNION {{ ?g <{DCTERMS}publisher>|<{DCTERMS}rightsHolder> ?s . ?s ?p ?o }}
  UNION {{ ?a <{PROV}generated> ?g ; <{PROV}wasAssociatedWith> ?s . ?s ?p ?o }}
  UNION {{ ?s <{DCAT}dataset> ?g BIND(<{DCAT}dataset> AS ?p) BIND(?g AS ?o) }}
  UNION {{ BIND({cat} AS ?s) BIND(<{RDF}type> AS ?p) BIND(<{DCAT}Catalog> AS ?o) }}
}} }}""")
    return " ;\n".join(parts)


def remove_description_update(base_iri: str, graph: str) -> str:
    """SPARQL update removing a dataset's record from the catalog (its load history stays)."""
    cat = str(_n(catalog_iri(base_iri)))
    g = str(_n(graph))
    return (f"DELETE {{ GRAPH {cat} {{ {g} ?p ?o }} }} WHERE {{ GRAPH {cat} {{ {g} ?p ?o }} }} ;\n"
            f"DELETE WHERE {{ GRAPH {cat} {{ ?c <{DCAT}dataset> {g} }} }} ;\n"
            + refresh_views_update(base_iri))


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
    owner: str | None = None


DATASETS_QUERY = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX mutu: <https://w3id.org/mutu/ns#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?g (SAMPLE(?t) AS ?title) (SAMPLE(?l) AS ?licence) (SAMPLE(?v) AS ?visibility)
       (SAMPLE(?sum) AS ?sha256) (SAMPLE(?n) AS ?triples) (SAMPLE(?m) AS ?modified)
       (SAMPLE(?src) AS ?source) (SAMPLE(?pn) AS ?publisher) (SAMPLE(?on) AS ?owner)
WHERE {
  ?g a mutu:Dataset ; mutu:visibility ?v .
  OPTIONAL { ?g dcterms:title ?t }
  OPTIONAL { ?g dcterms:license ?l }
  OPTIONAL { ?g mutu:sha256 ?sum }
  OPTIONAL { ?g void:triples ?n }
  OPTIONAL { ?g dcterms:modified ?m }
  OPTIONAL { ?g dcterms:source ?src }
  OPTIONAL { ?g dcterms:publisher/foaf:name ?pn }
  OPTIONAL { ?g dcterms:rightsHolder/foaf:name ?on }
} GROUP BY ?g ORDER BY ?g
"""


_cached: dict[tuple[int, str], tuple[DatasetRecord, ...]] = {}
_cached_lock = threading.Lock()


def datasets(store: Store, base_iri: str) -> list[DatasetRecord]:
    """Every dataset the catalog records, whatever its visibility.

    Every request needs it (access rules, validators), so when the store says which state
    it is in (`Store.generation`) the records are kept until the next write.
    """
    generation = store.generation
    if generation is None:
        return _read_datasets(store, base_iri)
    key = (generation, base_iri)
    found = _cached.get(key)
    if found is None:
        found = tuple(_read_datasets(store, base_iri))
        with _cached_lock:
            if len(_cached) >= 16:
                _cached.clear()
            _cached[key] = found
    return list(found)


def _read_datasets(store: Store, base_iri: str) -> list[DatasetRecord]:
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
            owner=row["owner"].value if "owner" in row else None,
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
                        description: dict | None = None, owner: str | None = None) -> list[ox.Triple]:
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
    if owner:
        holder = _n(f"{base_iri}agent/{_slug(owner)}")
        out += [t(g, _n(DCTERMS + "rightsHolder"), holder),
                t(holder, _n(RDF + "type"), _n(FOAF + "Agent")),
                t(holder, _n(FOAF + "name"), _lit(owner))]
    return out


def _slug(text: str) -> str:
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "anonymous"


def replace_description_update(base_iri: str, graph: str, triples: list[ox.Triple]) -> str:
    """SPARQL update replacing a dataset's description in the catalog (load history is kept),
    then rebuilding the catalog views, so both change in the same transaction.

    Every term is written by pyoxigraph's own N-Triples serialiser, never from raw text.
    """
    cat = str(_n(catalog_iri(base_iri)))
    g = str(_n(graph))
    body = " .\n".join(str(t) for t in triples)
    return (f"DELETE {{ GRAPH {cat} {{ {g} ?p ?o }} }} WHERE {{ GRAPH {cat} {{ {g} ?p ?o }} }} ;\n"
            f"INSERT DATA {{ GRAPH {cat} {{\n{body} .\n}} }} ;\n" + refresh_views_update(base_iri))
