"""Every read made on behalf of a request goes through here, so access rules hold on every path.

Pages, feeds, named-query API and linked-data views call these functions; none of them
builds a dataset or chooses graphs itself.
"""

from __future__ import annotations

from typing import Mapping

import pyoxigraph as ox
from flask import g

from . import queries
from .access import ANONYMOUS, query_dataset, visible_graphs
from .state import get_store, settings
from .store import QueryDataset, QueryOutput


def viewer():
    """Who is asking (set by authentication when it exists; anonymous otherwise)."""
    return g.get("mutu_viewer", ANONYMOUS)


def visible() -> tuple[str, ...]:
    """The graphs the current viewer may read (cached for the request)."""
    cached = g.get("mutu_visible")
    if cached is None:
        cached = visible_graphs(get_store(), settings().base_iri, viewer())
        g.mutu_visible = cached
    return cached


def dataset() -> QueryDataset:
    """Union of the visible graphs as default graph, each visible graph as a named graph."""
    return query_dataset(visible())


def select(sparql: str, bindings: Mapping[str, object] | None = None) -> list[dict]:
    """Run a SELECT of Mutu's own (never request text) on the visible graphs."""
    return get_store().select(sparql, dataset=dataset(), bindings=bindings)


def construct(sparql: str, bindings: Mapping[str, object] | None = None) -> list[ox.Triple]:
    """Run a CONSTRUCT/DESCRIBE of Mutu's own on the visible graphs."""
    return get_store().construct(sparql, dataset=dataset(), bindings=bindings)


def named(name: str, raw: Mapping[str, str] | None = None, **typed) -> tuple[queries.NamedQuery, list[dict]]:
    """Run a named query: raw request strings are parsed by its declared types (400 on error);
    `typed` values (already RDF terms or ints, from Mutu's own code) override them."""
    query = queries.get(name)
    values = query.parse_params(raw or {})
    values.update(typed)
    rows = get_store().select(query.sparql(values), dataset=dataset())
    return query, rows


def named_output(name: str, raw: Mapping[str, str] | None, choose, **typed) -> tuple[queries.NamedQuery, QueryOutput]:
    """Run a named query like `named`, serialised by the store in the format `choose(kind)` picks
    (the SPARQL result formats of the named-query API)."""
    query = queries.get(name)
    values = query.parse_params(raw or {})
    values.update(typed)
    return query, get_store().run(query.sparql(values), dataset=dataset(), choose=choose)
