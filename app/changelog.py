"""The transparency log: every change to the store is a PROV activity in a log graph.

Each change (load, refresh, update, graph-store write, link decision, token creation or
revocation) is a `mutu:Change` (a `prov:Activity`) in the full log graph `<base>log`, with
the token or user name (never a secret), its time, the graph, the number of triples added
and removed and, when known, the checksum of the source. Changes to public graphs are also
written to `<base>log/public`, which every reader can query, and which `/changes` and
`/changes.atom` show.

`record_update` returns the SPARQL text, so a write can log itself in its own transaction;
`record` applies it on its own.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox

from . import catalog
from .access import log_iri, public_log_iri
from .namespaces import DCTERMS, FOAF, MUTU, PROV, RDF, XSD
from .store import QueryDataset, Store

ACTIONS = ("load", "refresh", "update", "graph-store", "delete", "link", "token-create",
           "token-revoke", "self-service")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def change_triples(base_iri: str, *, action: str, graph: str | None, who: str, added: int,
                   removed: int, checksum: str | None = None, time: str | None = None) -> list[ox.Triple]:
    """The triples describing one change."""
    change = _n(f"{base_iri}change/{uuid.uuid4().hex}")
    agent = _n(f"{base_iri}agent/{catalog._slug(who)}")
    when = ox.Literal(time or catalog.now(), datatype=_n(XSD + "dateTime"))
    integer = _n(XSD + "integer")
    t = ox.Triple
    out = [
        t(change, _n(RDF + "type"), _n(MUTU + "Change")),
        t(change, _n(RDF + "type"), _n(PROV + "Activity")),
        t(change, _n(MUTU + "action"), ox.Literal(action)),
        t(change, _n(PROV + "endedAtTime"), when),
        t(change, _n(PROV + "wasAssociatedWith"), agent),
        t(change, _n(MUTU + "triplesAdded"), ox.Literal(str(int(added)), datatype=integer)),
        t(change, _n(MUTU + "triplesRemoved"), ox.Literal(str(int(removed)), datatype=integer)),
        t(agent, _n(RDF + "type"), _n(PROV + "Agent")),
        t(agent, _n(FOAF + "name"), ox.Literal(who)),
    ]
    if graph:
        out.append(t(change, _n(DCTERMS + "subject"), _n(graph)))
    if checksum:
        out.append(t(change, _n(MUTU + "sha256"), ox.Literal(checksum)))
    return out


def record_update(base_iri: str, *, action: str, graph: str | None, who: str, added: int,
                  removed: int, checksum: str | None = None, public: bool = False,
                  time: str | None = None) -> str:
    """SPARQL update adding one change to the log (and to the public log when `public`)."""
    triples = change_triples(base_iri, action=action, graph=graph, who=who, added=added,
                             removed=removed, checksum=checksum, time=time)
    body = " .\n".join(str(t) for t in triples)
    graphs = [log_iri(base_iri)] + ([public_log_iri(base_iri)] if public else [])
    return "INSERT DATA { " + " ".join(f"GRAPH {_n(g)} {{\n{body} .\n}}" for g in graphs) + " }"


def record(store: Store, base_iri: str, *, action: str, graph: str | None, who: str,
           added: int, removed: int, checksum: str | None = None, time: str | None = None) -> None:
    """Record one change in its own transaction; public when `graph` is a public graph."""
    record_ = catalog.find(store, base_iri, graph) if graph else None
    store.update(record_update(base_iri, action=action, graph=graph, who=who, added=added,
                               removed=removed, checksum=checksum, time=time,
                               public=record_ is not None and record_.visibility == "public"))


RECENT_QUERY = """
PREFIX mutu: <https://w3id.org/mutu/ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT DISTINCT ?change ?action ?time ?who ?graph ?added ?removed ?sha256 WHERE {
  ?change a mutu:Change ; mutu:action ?action ; prov:endedAtTime ?time ;
          mutu:triplesAdded ?added ; mutu:triplesRemoved ?removed ;
          prov:wasAssociatedWith/foaf:name ?who .
  OPTIONAL { ?change dcterms:subject ?graph }
  OPTIONAL { ?change mutu:sha256 ?sha256 }
} ORDER BY DESC(?time) LIMIT 200
"""


def recent(store: Store, base_iri: str, *, public_only: bool = True, limit: int = 200) -> list[dict]:
    """The latest changes, newest first, as plain dicts (public log unless told otherwise)."""
    graph = public_log_iri(base_iri) if public_only else log_iri(base_iri)
    rows = store.select(RECENT_QUERY.replace("LIMIT 200", f"LIMIT {int(limit)}"),
                        dataset=QueryDataset((graph,), ()))
    return [{k: v.value for k, v in row.items()} for row in rows]
