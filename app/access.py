"""Which graphs a request may read, and the dataset its query runs on."""

from __future__ import annotations

from . import catalog
from .store import QueryDataset, Store

# Who is asking; anonymous readers see public graphs only (later: partner and owner tokens).
ANONYMOUS = None


def visible_graphs(store: Store, base_iri: str, viewer=ANONYMOUS) -> tuple[str, ...]:
    """Source graphs the viewer may read, plus the catalog graph."""
    graphs = [d.graph for d in catalog.datasets(store, base_iri) if d.visibility == "public"]
    return tuple(graphs) + (catalog.catalog_iri(base_iri),)


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
