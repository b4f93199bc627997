"""Every read made on behalf of a request goes through here, so access rules hold on every path.

Pages, feeds, named-query API and linked-data views call these functions; none of them
builds a dataset or chooses graphs itself.
"""

from __future__ import annotations

from typing import Mapping

import pyoxigraph as ox
from flask import g

from . import queries, result_cache
from .access import ANONYMOUS, query_dataset, visible_graphs
from .errors import MutuError
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


def _terms(bindings: Mapping[str, object] | None) -> tuple:
    return tuple(sorted((name, str(term)) for name, term in (bindings or {}).items()))


def _rows(sparql: str, data: QueryDataset, bindings=None) -> list[dict]:
    rows = result_cache.cached(
        ("select", sparql, data, _terms(bindings)), sparql,
        lambda: get_store().select(sparql, dataset=data, bindings=bindings), result_cache.rows_size)
    return [dict(row) for row in rows]  # copies: callers may add or drop columns


def select(sparql: str, bindings: Mapping[str, object] | None = None) -> list[dict]:
    """Run a SELECT of Mutu's own (never request text) on the visible graphs."""
    return _rows(sparql, dataset(), bindings)


def select_for_index(sparql: str, bindings: Mapping[str, object] | None = None) -> list[dict]:
    """Run a SELECT of Mutu's own on the visible graphs whose rows the caller keeps in a form
    of its own, once per store state (an index: app.lists, app.agenda): not in the result cache.

    At 10M triples the members of one category are 8 MB of rows; kept there as well they
    filled the cache and pushed out results that cost seconds (the digest's: 10 s again).
    """
    return get_store().select(sparql, dataset=dataset(), bindings=bindings)  # fresh rows, no copy


def construct(sparql: str, bindings: Mapping[str, object] | None = None) -> list[ox.Triple]:
    """Run a CONSTRUCT/DESCRIBE of Mutu's own on the visible graphs."""
    data = dataset()
    return list(result_cache.cached(
        ("construct", sparql, data, _terms(bindings)), sparql,
        lambda: get_store().construct(sparql, dataset=data, bindings=bindings),
        lambda triples: 64 + 200 * len(triples)))


def named(name: str, raw: Mapping[str, str] | None = None, **typed) -> tuple[queries.NamedQuery, list[dict]]:
    """Run a named query: raw request strings are parsed by its declared types (400 on error);
    `typed` values (already RDF terms or ints, from Mutu's own code) override them."""
    query = queries.get(name)
    values = query.parse_params(raw or {})
    values.update(typed)
    return query, _rows(query.sparql(values), dataset())


def named_output(name: str, raw: Mapping[str, str] | None, choose, **typed) -> tuple[queries.NamedQuery, QueryOutput]:
    """Run a named query like `named`, serialised by the store in the format `choose(kind)` picks
    (the SPARQL result formats of the named-query API)."""
    query = queries.get(name)
    values = query.parse_params(raw or {})
    values.update(typed)
    text, data = query.sparql(values), dataset()
    # What `choose` answers for each kind of result is all the format depends on.
    formats = tuple(_choice(choose, kind) for kind in ("boolean", "solutions", "graph"))
    return query, result_cache.cached(
        ("run", text, data, formats), text,
        lambda: get_store().run(text, dataset=data, choose=choose), lambda out: 256 + len(out.body))


def _choice(choose, kind: str) -> str:
    try:
        return choose(kind)
    except MutuError as error:  # e.g. NotAcceptable: part of the key too, raised again by run
        return f"{type(error).__name__}: {error}"
