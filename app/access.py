"""Which graphs a request may read or write, and the dataset its query runs on.

Every read path (the SPARQL endpoint, pages, feeds, named queries, exports) takes its graphs
from `visible_graphs`; every write path asks `may_write`. The rules:

- anonymous: public source graphs, the public catalog view and the public change log;
- partner token: also `partners` graphs and the partners catalog view;
- editor token: public graphs plus exactly the graphs of its scope, whatever their
  visibility (that is how a collective reads its private graphs); it writes its scope only;
- admin token: every source graph, the full catalog and the full change log; writes anywhere.

The full catalog graph names every dataset, private ones too, so it is admin-only; the
views (see app.catalog) hold the records others may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import catalog
from .store import QueryDataset, Store

ROLES = ("partner", "editor", "admin")


@dataclass(frozen=True)
class Viewer:
    """An authenticated token holder: its name (never the secret), role and graph scope."""

    name: str
    role: str
    graphs: tuple[str, ...] = ()
    licence: str | None = None  # default licence of the graphs this token creates


# Who is asking when no token is sent.
ANONYMOUS = None


def log_iri(base_iri: str) -> str:
    """The full change log (admin only)."""
    return base_iri + "log"


def public_log_iri(base_iri: str) -> str:
    """The public change log: changes to public graphs."""
    return base_iri + "log/public"


def system_graphs(base_iri: str) -> tuple[str, ...]:
    """Graphs Mutu maintains itself: never source graphs, never written by clients."""
    return (catalog.catalog_iri(base_iri),
            *(catalog.view_iri(base_iri, v) for v in catalog.VIEW_VISIBILITIES),
            log_iri(base_iri), public_log_iri(base_iri))


def can_read(record: catalog.DatasetRecord, viewer) -> bool:
    """May `viewer` read the source graph described by `record`?"""
    if record.visibility == "public":
        return True
    if viewer is None:
        return False
    if viewer.role == "admin":
        return True
    if viewer.role == "partner" and record.visibility == "partners":
        return True
    return record.graph in viewer.graphs


def may_write(viewer, graph: str) -> bool:
    """May `viewer` change (or create, or delete) `graph`?"""
    if viewer is None:
        return False
    if viewer.role == "admin":
        return True
    return viewer.role == "editor" and graph in viewer.graphs


def readable_sources(store: Store, base_iri: str, viewer=ANONYMOUS) -> list[catalog.DatasetRecord]:
    """Catalog records of the source graphs the viewer may read."""
    return [d for d in catalog.datasets(store, base_iri) if can_read(d, viewer)]


def visible_graphs(store: Store, base_iri: str, viewer=ANONYMOUS) -> tuple[str, ...]:
    """Source graphs the viewer may read, plus the catalog views and change logs it may read."""
    graphs = [d.graph for d in readable_sources(store, base_iri, viewer)]
    if viewer is not None and viewer.role == "admin":
        # The full graphs contain the views: listing both would double every triple.
        return tuple(graphs) + (catalog.catalog_iri(base_iri), log_iri(base_iri))
    graphs.append(catalog.view_iri(base_iri, "public"))
    if viewer is not None and viewer.role == "partner":
        graphs.append(catalog.view_iri(base_iri, "partners"))
    graphs.append(public_log_iri(base_iri))
    return tuple(graphs)


def query_dataset(visible: tuple[str, ...], *, default_graph_uris=(), named_graph_uris=(),
                  query_from=(), query_from_named=()) -> QueryDataset:
    """The dataset of one query, per SPARQL 1.1 Protocol section 2.1.4, restricted to `visible`.

    Protocol parameters override the query's FROM / FROM NAMED; with neither, the default
    graph is the union of the visible graphs and every visible graph is a named graph. A
    graph the viewer may not read acts as an empty graph, so its existence is not revealed.
    """
    allowed = set(visible)
    if default_graph_uris or named_graph_uris:
        return QueryDataset(tuple(g for g in default_graph_uris if g in allowed),
                            tuple(g for g in named_graph_uris if g in allowed))
    if query_from or query_from_named:
        return QueryDataset(tuple(g for g in query_from if g in allowed),
                            tuple(g for g in query_from_named if g in allowed))
    return QueryDataset(tuple(visible), tuple(visible))
