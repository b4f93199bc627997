"""The one write path for clients: SPARQL Update, the Graph Store Protocol and self-service.

A write never runs on the store directly. The graphs it may read or write are copied into
a scratch in-memory store (only graphs the token may read: a write can never read a private
graph it could not query), the operation runs there, and the result is compared with the
originals. Then:

1. every graph that changed must be in the token's write scope (403 otherwise) and must
   not be one of Mutu's own graphs (catalog, views, log);
2. every changed graph, as it would be after the write, with its catalog record, is
   validated against the shapes (422 with the report otherwise);
3. the differences, the catalog records and the change-log entries are applied to the store
   as one SPARQL update, that is one transaction.

Nothing is written unless all three pass. Writes are serialised by a lock, so two writes
never compute their results from the same old state.

The default graph of a write (GSP `?default`, triples outside GRAPH in an update) is the
source graph `<base>graph/default`.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Callable

import pyoxigraph as ox

from . import catalog, changelog
from .access import can_read, may_write, system_graphs
from .errors import BadRequest, Forbidden, InvalidData, Unauthorized
from .namespaces import KNOWN_LICENCES, VISIBILITIES, licence_iri
from .pipeline import reference_context
from .rdfterms import graph_from_triples
from .store import Store
from .store.embedded import _diff_update
from .validation import validate

_lock = threading.Lock()


def default_graph(base_iri: str) -> str:
    """The source graph that plays the default graph for writes."""
    return base_iri + "graph/default"


@dataclass
class WriteOptions:
    """Catalog settings for graphs a write creates (or changes, when given)."""

    licence: str | None = None
    visibility: str | None = None
    title: str | None = None
    owner: str | None = None
    source: str | None = None


@dataclass
class Change:
    graph: str
    status: str  # "created", "updated" or "deleted"
    added: int
    removed: int


@dataclass
class WriteResult:
    changes: list[Change] = field(default_factory=list)

    def status_of(self, graph: str) -> str | None:
        return next((c.status for c in self.changes if c.graph == graph), None)


Operation = Callable[[ox.Store, str], None]


def _key(t: ox.Triple) -> str:
    return str(t)


def _triples(scratch: ox.Store, graph) -> list[ox.Triple]:
    return [q.triple for q in scratch.quads_for_pattern(None, None, None, graph)]


def execute(store: Store, base_iri: str, viewer, *, operation: Operation, referenced=(),
            all_graphs: bool = False, action: str, options: WriteOptions | None = None,
            checksum: str | None = None, deleted: set[str] | None = None) -> WriteResult:
    """Run `operation(scratch, default_graph_iri)` on copies, check, validate and commit.

    `referenced` are the graph IRIs the operation names; `all_graphs` copies every readable
    graph (GRAPH ?g, CLEAR ALL...). `deleted` names graphs the operation removes as datasets
    even if they still have a name in the scratch store (GSP DELETE of the default graph).
    """
    if viewer is None:
        raise Unauthorized("writes need a token: send it as `Authorization: Bearer <token>`")
    options = options or WriteOptions()
    default_iri = default_graph(base_iri)
    with _lock:
        records = {d.graph: d for d in catalog.datasets(store, base_iri)}
        readable = {g for g, d in records.items() if can_read(d, viewer)}
        wanted = readable if all_graphs else (set(referenced) & readable)
        if default_iri in readable:
            wanted.add(default_iri)
        scratch = ox.Store()
        before: dict[str, list[ox.Triple]] = {}
        for g in sorted(wanted):
            triples = store.graph_triples(g)
            before[g] = triples
            name = ox.DefaultGraph() if g == default_iri else ox.NamedNode(g)
            if g != default_iri:
                scratch.add_graph(name)
            scratch.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
        operation(scratch, default_iri)

        after: dict[str, list[ox.Triple] | None] = {}
        names = {n.value for n in scratch.named_graphs() if isinstance(n, ox.NamedNode)}
        for g in set(before) | names | {default_iri}:
            if g == default_iri:
                triples = _triples(scratch, ox.DefaultGraph())
                exists = bool(triples) or g in before
            else:
                exists = g in names
                triples = _triples(scratch, ox.NamedNode(g)) if exists else []
            if g in (deleted or ()):
                exists = False
            after[g] = triples if exists else None

        changes: list[Change] = []
        for g, triples in sorted(after.items()):
            old = before.get(g)
            existed = g in records
            if triples is None:
                if existed and g in before:
                    changes.append(Change(g, "deleted", 0, len(old)))
                continue
            if not existed:
                changes.append(Change(g, "created", len(triples), 0))
                continue
            old_keys, new_keys = {_key(t) for t in old}, {_key(t) for t in triples}
            if old_keys != new_keys:
                changes.append(Change(g, "updated", len(new_keys - old_keys), len(old_keys - new_keys)))
            elif _options_change(options, records[g]):
                changes.append(Change(g, "updated", 0, 0))

        for change in changes:
            if change.graph in system_graphs(base_iri):
                raise Forbidden(f"<{change.graph}> is maintained by Mutu itself and cannot be "
                                "written; nothing was changed")
            if not may_write(viewer, change.graph):
                raise Forbidden(f"the token {viewer.name!r} may not write <{change.graph}>; "
                                "nothing was changed")

        parts = []
        for change in changes:
            g = change.graph
            record = records.get(g)
            public_before = record is not None and record.visibility == "public"
            if change.status == "deleted":
                parts.append(f"DROP SILENT GRAPH {ox.NamedNode(g)}")
                parts.append(catalog.remove_description_update(base_iri, g))
                parts.append(changelog.record_update(
                    base_iri, action="delete" if action == "graph-store" else action, graph=g,
                    who=viewer.name, added=0, removed=change.removed, public=public_before))
                continue
            triples = after[g]
            meta = _meta(base_iri, g, record, options, viewer, action, triples)
            visibility = _visibility(options, record)
            report = validate(graph_from_triples(triples + meta),
                              context=reference_context(store, base_iri, triples))
            if not report.ok:
                raise InvalidData(f"<{g}> would break the contract "
                                  f"({len(report.violations)} violation(s)); nothing was changed",
                                  report)
            if change.status == "created":
                if store.graph_size(g):
                    parts.append(f"DROP SILENT GRAPH {ox.NamedNode(g)}")  # invisible leftover
                parts.append(_diff_update(g, [], triples))
            else:
                parts.append(_diff_update(g, before[g], triples))
            parts.append(catalog.replace_description_update(base_iri, g, meta))
            parts.append(changelog.record_update(
                base_iri, action=action, graph=g, who=viewer.name, added=change.added,
                removed=change.removed, checksum=checksum,
                public=public_before or visibility == "public"))
        if parts:
            store.update(" ;\n".join(parts))
        return WriteResult(changes)


def _options_change(options: WriteOptions, record: catalog.DatasetRecord) -> bool:
    licence = licence_iri(options.licence) if options.licence else None
    return bool((licence and licence != record.licence)
                or (options.visibility and options.visibility != record.visibility)
                or (options.title and options.title != record.title)
                or (options.owner and options.owner != record.owner))


def _visibility(options: WriteOptions, record) -> str:
    visibility = options.visibility or (record.visibility if record else "public")
    if visibility not in VISIBILITIES:
        raise BadRequest(f"visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    return visibility


def _meta(base_iri, graph, record, options, viewer, action, triples):
    licence = options.licence or (record.licence if record else None) or viewer.licence
    if not licence:
        raise BadRequest(f"<{graph}> is a new graph and every dataset needs a licence: pass "
                         "`licence` (an IRI or one of " + ", ".join(KNOWN_LICENCES.values())
                         + "), or give the token a default licence")
    known = licence_iri(licence)
    if known is None:
        raise BadRequest(f"unknown licence {licence!r}; use one of "
                         + ", ".join(KNOWN_LICENCES.values()))
    body = "\n".join(sorted(_key(t) for t in triples)).encode("utf-8")
    now = catalog.now()
    return catalog.dataset_description(
        base_iri, graph, title=options.title or (record.title if record else graph),
        licence=known, visibility=_visibility(options, record),
        source=options.source or (record.source if record and record.source else action),
        publisher=record.publisher if record else None, who=viewer.name,
        sha256=hashlib.sha256(body).hexdigest(), triples=len(triples), started=now, ended=now,
        owner=options.owner or (record.owner if record else None))
