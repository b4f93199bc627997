"""The one load pipeline: read -> parse -> normalise -> validate -> replace the graph atomically.

Nothing is written unless the whole input parses and breaks no Violation-level shape; the
graph and its catalog record then change together, so readers see the old or the new graph.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from . import catalog, changelog
from .errors import InputError, InvalidData
from .namespaces import KNOWN_LICENCES, RDF, VISIBILITIES, licence_iri
from .rdfio import format_name, normalise, parse
from .resources import files
from .store import QueryDataset, Store
from .validation import Report, validate_triples


@dataclass
class LoadOutcome:
    """What a load did."""

    graph: str
    status: str  # "loaded", "unchanged" or "dry-run"
    triples: int
    report: Report | None
    seconds: float
    timings: dict = field(default_factory=dict)


def read_input(path: str, max_bytes: int) -> bytes:
    """Read a whole input file, refusing missing, unreadable, empty or oversized files."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    if p.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if size > max_bytes:
        raise InputError(f"{path}: {size} bytes is over the limit of {max_bytes} bytes "
                         "(MUTU_MAX_LOAD_BYTES)")
    try:
        return p.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None


def default_graph_iri(base_iri: str, path: str) -> str:
    """The graph a file loads into when no --graph is given: <base>graph/<file stem>."""
    stem = Path(path).name.split(".")[0]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "data"
    return f"{base_iri}graph/{slug}"


def check_graph_iri(graph: str) -> str:
    """Return a valid absolute IRI or raise InputError."""
    try:
        ox.NamedNode(graph)
    except ValueError:
        raise InputError(f"--graph {graph!r} is not a valid IRI") from None
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", graph):
        raise InputError(f"--graph {graph!r} must be an absolute IRI")
    return graph


_categories_lock = threading.Lock()
_categories: rdflib.Graph | None = None


def shipped_context() -> rdflib.Graph:
    """The category scheme shipped with Mutu, always available to resolve mutu:category."""
    global _categories
    with _categories_lock:
        if _categories is None:
            graph = rdflib.Graph()
            for path in files("ontology", "categories.ttl"):
                graph.parse(path, format="turtle")
            _categories = graph
        return _categories


_CONTEXT_QUERY = """
SELECT ?s ?p ?o WHERE {
  VALUES ?p { <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2004/02/skos/core#inScheme> }
  ?s ?p ?o
}"""


def reference_context(store: Store | None, base_iri: str, triples: list[ox.Triple]) -> rdflib.Graph:
    """Types and schemes of the IRIs the data points to but does not describe, from the store."""
    def targets():
        subjects = {t.subject for t in triples}
        return {t.object for t in triples if isinstance(t.object, ox.NamedNode)
                and t.object not in subjects and t.predicate.value != RDF + "type"}
    return _context(store, base_iri, targets)


def _context(store: Store | None, base_iri: str, find_targets) -> rdflib.Graph:
    """The shipped categories, plus types and schemes of find_targets() read from the store
    (only called when the store has datasets: a first load into an empty store skips it)."""
    context = rdflib.Graph()
    context += shipped_context()
    if store is None:
        return context
    graphs = tuple(d.graph for d in catalog.datasets(store, base_iri))
    if not graphs:
        return context
    targets = find_targets()
    if not targets:
        return context
    dataset = QueryDataset(graphs, ())
    targets = sorted(targets, key=lambda n: n.value)
    for start in range(0, len(targets), 500):
        chunk = targets[start:start + 500]
        # Values travel as N-Triples terms made by pyoxigraph, never as raw input text.
        values = " ".join(str(n) for n in chunk)
        query = _CONTEXT_QUERY.replace("?s ?p ?o\n}", f"VALUES ?s {{ {values} }}\n  ?s ?p ?o\n}}")
        for row in store.select(query, dataset=dataset):
            context.add((rdflib.URIRef(row["s"].value), rdflib.URIRef(row["p"].value),
                         rdflib.URIRef(row["o"].value) if isinstance(row["o"], ox.NamedNode)
                         else rdflib.Literal(row["o"].value)))
    return context


def load(store: Store, base_iri: str, data: bytes, *, fmt: str, graph: str, source: str,
         licence: str | None = None, title: str | dict | None = None, visibility: str | None = None,
         publisher: str | None = None, who: str | None = None, description: dict | None = None,
         dry_run: bool = False, owner: str | None = None, action: str = "load") -> LoadOutcome:
    """Validate `data` and make it the whole content of `graph`, with its catalog record."""
    started_clock = time.perf_counter()
    timings = {}
    started = catalog.now()
    graph = check_graph_iri(graph)
    if visibility is not None and visibility not in VISIBILITIES:
        raise InputError(f"--visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    previous = catalog.find(store, base_iri, graph)
    if licence is not None:
        licence = licence_iri(licence) or licence
    else:
        licence = previous.licence if previous else None
    if not licence:
        raise InputError("every dataset needs a licence: pass --licence with one of "
                         + ", ".join(KNOWN_LICENCES.values()))
    visibility = visibility or (previous.visibility if previous else "public")
    if title is None:
        title = previous.title if previous else Path(source).name
    sha256 = hashlib.sha256(data).hexdigest()

    if previous is None and _fast_path(store, fmt, data, dry_run):
        return _fast_load(store, base_iri, data, graph=graph, source=source, licence=licence,
                          title=title, visibility=visibility, publisher=publisher, who=who,
                          description=description, dry_run=dry_run, sha256=sha256,
                          started=started, started_clock=started_clock, timings=timings,
                          owner=owner, action=action)
    t0 = time.perf_counter()
    triples = normalise(parse(data, fmt, source=source, base_iri=None))
    timings["parse"] = time.perf_counter() - t0
    return _load_checked(store, base_iri, triples, graph=graph, source=source, licence=licence,
                         title=title, visibility=visibility, publisher=publisher, who=who,
                         description=description, dry_run=dry_run, sha256=sha256,
                         previous=previous, started=started, started_clock=started_clock,
                         timings=timings, owner=owner, action=action)


def load_triples(store: Store, base_iri: str, triples: list[ox.Triple], *, sha256: str, graph: str,
                 source: str, licence: str | None = None, title: str | dict | None = None,
                 visibility: str | None = None, publisher: str | None = None,
                 who: str | None = None, description: dict | None = None, dry_run: bool = False,
                 prune=None, timings: dict | None = None) -> LoadOutcome:
    """Like :func:`load` for triples made by a loader (``loaders/``); `sha256` is the input's.

    `prune(report, triples)`, when given, is called while the data has violations: it
    returns the triples without the records the violations hang on (``--skip-invalid``),
    or raises; the result is validated again.
    """
    started_clock = time.perf_counter()
    started = catalog.now()
    graph = check_graph_iri(graph)
    if visibility is not None and visibility not in VISIBILITIES:
        raise InputError(f"--visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    previous = catalog.find(store, base_iri, graph)
    if licence is not None:
        licence = licence_iri(licence) or licence
    else:
        licence = previous.licence if previous else None
    if not licence:
        raise InputError("every dataset needs a licence: pass --licence with one of "
                         + ", ".join(KNOWN_LICENCES.values()))
    visibility = visibility or (previous.visibility if previous else "public")
    if title is None:
        title = previous.title if previous else Path(source).name
    triples = normalise(triples)
    return _load_checked(store, base_iri, triples, graph=graph, source=source, licence=licence,
                         title=title, visibility=visibility, publisher=publisher, who=who,
                         description=description, dry_run=dry_run, sha256=sha256,
                         previous=previous, started=started, started_clock=started_clock,
                         timings=dict(timings or {}), prune=prune)


def _load_checked(store, base_iri, triples, *, graph, source, licence, title, visibility, publisher,
                  who, description, dry_run, sha256, previous, started, started_clock, timings,
                  prune=None, owner=None, action="load") -> LoadOutcome:
    if (previous and previous.sha256 == sha256 and previous.licence == licence
            and previous.visibility == visibility and _same_title(title, previous.title)
            and (owner is None or owner == previous.owner) and not dry_run):
        return LoadOutcome(graph, "unchanged", len(triples), None,
                           time.perf_counter() - started_clock, timings)

    who = who or _who()
    meta = catalog.dataset_description(
        base_iri, graph, title=title, licence=licence, visibility=visibility, source=source,
        publisher=publisher or (previous.publisher if previous else None), who=who,
        sha256=sha256, triples=len(triples), started=started, ended=catalog.now(),
        description=description, owner=owner or (previous.owner if previous else None))

    t0 = time.perf_counter()
    context = reference_context(store, base_iri, triples)
    # pyoxigraph triples straight to the SHACL engine (MUTU_SHACL_ENGINE; no rdflib copy of
    # the data with the default SPARQL engine).
    report = validate_triples(triples + meta, context=context)
    while not report.ok and prune is not None:
        kept = prune(report, triples)
        if len(kept) == len(triples):
            break
        triples = kept
        meta = catalog.dataset_description(
            base_iri, graph, title=title, licence=licence, visibility=visibility, source=source,
            publisher=publisher or (previous.publisher if previous else None), who=who,
            sha256=sha256, triples=len(triples), started=started, ended=catalog.now(),
            description=description)
        report = validate_triples(triples + meta, context=context)
    timings["validate"] = time.perf_counter() - t0
    if not report.ok:
        raise InvalidData(f"{source}: the data breaks the contract "
                          f"({len(report.violations)} violation(s)); nothing was loaded", report)
    if dry_run:
        return LoadOutcome(graph, "dry-run", len(triples), report,
                           time.perf_counter() - started_clock, timings)

    t0 = time.perf_counter()
    update = catalog.replace_description_update(base_iri, graph, meta)
    added, removed = _change_counts(store.graph_triples(graph) if previous else [], triples)
    # The change log entry commits with the catalog record (same transaction).
    update += " ;\n" + changelog.record_update(
        base_iri, action=action, graph=graph, who=who, added=added, removed=removed,
        checksum=sha256, public=visibility == "public" or (previous is not None and previous.visibility == "public"))
    store.replace_graph(graph, triples, meta_update=update, graph_is_new=previous is None)
    timings["write"] = time.perf_counter() - t0
    return LoadOutcome(graph, "loaded", len(triples), report,
                       time.perf_counter() - started_clock, timings)


def _fast_path(store, fmt: str, data: bytes, dry_run: bool) -> bool:
    """A first load that fastload can do with the very same outcome (SPARQL SHACL engine)."""
    from . import fastload, shacl_sparql
    from .validation import _engine, default_shapes

    return (_engine(None) == "sparql" and fastload.eligible(store, fmt, data, dry_run=dry_run)
            and shacl_sparql.supports(default_shapes()))


def _fast_load(store, base_iri, data, *, graph, source, licence, title, visibility, publisher,
               who, description, dry_run, sha256, started, started_clock, timings, owner,
               action) -> LoadOutcome:
    """A first load through app.fastload: disk bulk load and in-memory validation in parallel."""
    from . import fastload, shacl_sparql
    from .rdfterms import triples_from_graph
    from .validation import default_shapes

    who = who or _who()

    def make_meta(count):
        return catalog.dataset_description(
            base_iri, graph, title=title, licence=licence, visibility=visibility, source=source,
            publisher=publisher, who=who, sha256=sha256, triples=count, started=started,
            ended=catalog.now(), description=description, owner=owner)

    def make_context(find_targets):
        return triples_from_graph(_context(store, base_iri, find_targets))

    def validate(mem, meta, context, originals):
        report = shacl_sparql.validate_store(mem, default_shapes(), meta, context, originals)
        report.engine = "sparql"
        return report

    def commit(meta, count):
        update = catalog.replace_description_update(base_iri, graph, meta)
        # The change log entry commits with the catalog record (same transaction).
        update += " ;\n" + changelog.record_update(
            base_iri, action=action, graph=graph, who=who, added=count, removed=0,
            checksum=sha256, public=visibility == "public")
        store.update(update)

    count, report = fastload.load_new_graph(
        store, data, graph=graph, source=source, make_meta=make_meta, make_context=make_context,
        validate=validate, commit=commit, dry_run=dry_run, timings=timings)
    return LoadOutcome(graph, "dry-run" if dry_run else "loaded", count, report,
                       time.perf_counter() - started_clock, timings)


def load_file(store: Store, base_iri: str, path: str, *, fmt: str | None = None,
              graph: str | None = None, max_bytes: int = 512 * 1024 * 1024, **options) -> LoadOutcome:
    """Load one RDF file (format from --format or the extension) into a graph."""
    name = format_name(fmt, path)
    data = read_input(path, max_bytes)
    return load(store, base_iri, data, fmt=name, graph=graph or default_graph_iri(base_iri, path),
                source=options.pop("source", None) or os.path.basename(path), **options)


def cleanup_orphans(store: Store, base_iri: str) -> list[str]:
    """Drop graphs that hold quads but have no catalog record (left by an interrupted load)."""
    from .access import system_graphs

    known = {d.graph for d in catalog.datasets(store, base_iri)} | set(system_graphs(base_iri))
    orphans = sorted(store.named_graphs() - known)
    for graph in orphans:
        store.drop_graph(graph)
    if catalog.datasets(store, base_iri):
        # Stores written before the catalog views existed get them here.
        store.update(catalog.refresh_views_update(base_iri))
    return orphans


def _change_counts(old: list[ox.Triple], new: list[ox.Triple]) -> tuple[int, int]:
    """Triples added and removed (triples with blank nodes count as replaced)."""
    def key(t):
        ground = not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
        return str(t) if ground else None

    old_keys = {key(t) for t in old} - {None}
    new_keys = {key(t) for t in new} - {None}
    old_blank = sum(1 for t in old if key(t) is None)
    new_blank = sum(1 for t in new if key(t) is None)
    return len(new_keys - old_keys) + new_blank, len(old_keys - new_keys) + old_blank


def _same_title(title, recorded: str) -> bool:
    if isinstance(title, dict):
        return recorded in title.values()
    return title == recorded


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


