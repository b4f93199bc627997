"""SPARQL 1.1 Update for token holders: scope checks, the protocol's dataset, one atomic write.

The lexer (app.sparql_text.analyse_update) finds the graphs an update writes before it
runs: a non-admin token must be allowed on every one of them, and a write target that is
not a constant (GRAPH ?g in a template, CLEAR/DROP NAMED or ALL) is refused for it. LOAD is
refused for everyone (it would make the server fetch any URL) and so is SERVICE (same
reason). `using-graph-uri` / `using-named-graph-uri` are applied by rewriting the update's
dataset (pyoxigraph's update has no parameter for them). app.writes then runs the update on
copies of the graphs the token may read, checks what actually changed against the scope
again, validates and commits everything in one transaction.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox

from . import sparql_text, writes
from .access import may_write
from .errors import BadRequest, Forbidden, QuerySyntaxError, Unauthorized
from .state import get_store, settings


def _first(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    return values[0] if values and values[0] else None


def run(update: str, params: dict[str, list[str]], *, base: str, viewer) -> str:
    """Apply one update request; returns a one-line summary per changed graph."""
    if viewer is None:
        raise Unauthorized("updates need a token: send it as `Authorization: Bearer <token>`")
    base_iri = settings().base_iri
    analysis = sparql_text.analyse_update(update, base_iri=base)
    if analysis.load:
        raise Forbidden("LOAD is not allowed here (the server would fetch any URL); load "
                        "files with `mutu load` or PUT them to /graph-store")
    if analysis.service:
        raise Forbidden("SERVICE is not allowed in updates")
    using = params.get("using-graph-uri", [])
    using_named = params.get("using-named-graph-uri", [])
    text = update
    if using or using_named:
        if analysis.has_using or analysis.has_with:
            raise BadRequest("using-graph-uri / using-named-graph-uri cannot be combined with "
                             "USING, USING NAMED or WITH in the update (SPARQL 1.1 Protocol 2.2.3)")
        for iri in using + using_named:
            try:
                ox.NamedNode(iri)
            except ValueError:
                raise BadRequest(f"not an IRI: {iri!r}") from None
        text = sparql_text.with_protocol_dataset(update, analysis, using, using_named)
    try:
        # Syntax first, on an empty store, so a malformed update is a 400 whatever it names.
        ox.Store().update(text, base_iri=base)
    except SyntaxError as error:
        raise QuerySyntaxError(f"SPARQL update syntax error: {error}") from None
    except (OSError, RuntimeError):
        pass  # evaluation errors are reported by the real run below
    if viewer.role != "admin":
        if analysis.undetermined:
            raise Forbidden("this update writes to graphs that cannot be known before it runs "
                            "(GRAPH ?var in a template, or CLEAR/DROP NAMED/ALL); name each graph")
        for target in analysis.targets:
            graph = writes.default_graph(base_iri) if target is None else target
            if not may_write(viewer, graph):
                raise Forbidden(f"the token {viewer.name!r} may not write <{graph}>; "
                                "nothing was changed")

    def operation(scratch: ox.Store, default_iri: str) -> None:
        try:
            scratch.update(text, base_iri=base)
        except SyntaxError as error:
            raise QuerySyntaxError(f"SPARQL update syntax error: {error}") from None
        except (OSError, RuntimeError) as error:
            raise BadRequest(f"the update failed: {error}; nothing was changed") from None

    options = writes.WriteOptions(
        licence=_first(params, "licence"), visibility=_first(params, "visibility"),
        title=_first(params, "title"), owner=_first(params, "owner"), source="sparql-update")
    result = writes.execute(
        get_store(), base_iri, viewer, operation=operation,
        referenced=analysis.iris | set(using) | set(using_named) | _targets(analysis, base_iri),
        all_graphs=analysis.all_graphs, action="update", options=options,
        checksum=hashlib.sha256(update.encode("utf-8")).hexdigest())
    if not result.changes:
        return "no graph changed"
    return "\n".join(f"{c.status} <{c.graph}>: +{c.added} -{c.removed} triples" for c in result.changes)


def _targets(analysis, base_iri: str) -> set[str]:
    return {writes.default_graph(base_iri) if t is None else t for t in analysis.targets}
