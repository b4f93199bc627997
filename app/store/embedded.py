"""The embedded backend: pyoxigraph on disk (or in memory), shared by the server's threads."""

from __future__ import annotations

import os
import threading
from typing import BinaryIO, Iterable, Mapping, Protocol

import pyoxigraph as ox

from ..errors import QueryEvaluationError, QuerySyntaxError, ResultTooLarge, StoreUnavailable
from . import FormatChooser, QueryDataset, QueryOutput, Store, Term, solution_rows

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
EMPTY_GRAPH = ox.NamedNode("urn:x-mutu:empty-graph")
TEXT_TYPES = {"text/csv", "text/tab-separated-values", "text/turtle"}


def _dataset_kwargs(dataset: QueryDataset | None) -> dict:
    if dataset is None:
        return {}
    return {
        # An empty default graph is a graph nobody writes to, never the store's default graph.
        "default_graph": [ox.NamedNode(g) for g in dataset.default_graphs] or [EMPTY_GRAPH],
        "named_graphs": [ox.NamedNode(g) for g in dataset.named_graphs],
    }


def _substitutions(bindings: Mapping[str, Term] | None) -> dict | None:
    if not bindings:
        return None
    return {ox.Variable(name): term for name, term in bindings.items()}


FLUSH_AFTER = 1.0  # seconds without a write before the write buffer is flushed to disk


class _Flusher:
    """Writes the store's write buffer (RocksDB's memtable) to disk once writes pause.

    Written quads stay in the memtable, which every later scan merges with the files on disk:
    after the one small write `mutu serve` makes as it opens the store, scans at 1M triples
    were 4-5 % slower until a flush (digest-free-events 62.7 -> 65.9 ms, places 526 -> 549 ms;
    after a flush 62.6 and 527). A flush takes 7-8 ms, so it waits for a pause in the writes
    instead of following each one.
    """

    def __init__(self, flush, delay: float = FLUSH_AFTER):
        self._flush, self.delay = flush, delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.flushes = 0

    def wrote(self) -> None:
        """A write was committed: flush once `delay` seconds pass without another."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self._run)
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _run(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self._flush()
        except (OSError, AttributeError):  # closed meanwhile: close() flushes itself
            return
        self.flushes += 1


class EmbeddedStore(Store):
    """pyoxigraph Store; one process opens a directory read-write (it holds a lock).

    `max_rows` (0: no cap) bounds the solutions or triples `run` serialises: beyond it the
    query fails with ResultTooLarge instead of sending a cut result.
    """

    def __init__(self, location: str, *, read_only: bool = False, max_rows: int = 0):
        self._flusher: _Flusher | None = None  # on-disk, read-write stores only
        self.location = location
        self.max_rows = max_rows
        self.read_only = read_only
        try:
            if location == ":memory:":
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(location)
            else:
                from ..restore import recover

                recover(location)
                os.makedirs(location, exist_ok=True)
                self._store = ox.Store(location)
                self._flusher = _Flusher(lambda: self._store.flush())
        except OSError as error:
            text = str(error)
            if "lock" in text.lower():
                raise StoreUnavailable(
                    f"the store {location} is in use by another process "
                    "(is `mutu serve` running on it?)", detail=text) from None
            raise StoreUnavailable(f"cannot open the store {location}: {text}") from None

    # -- queries ---------------------------------------------------------------------

    def _query(self, sparql, dataset, bindings, base_iri=None):
        try:
            return self._store.query(sparql, base_iri=base_iri, substitutions=_substitutions(bindings),
                                     **_dataset_kwargs(dataset))
        except SyntaxError as error:
            raise QuerySyntaxError(f"SPARQL syntax error: {error}") from None
        except (OSError, RuntimeError) as error:
            # RuntimeError: e.g. a substituted variable missing from the SELECT projection.
            raise QueryEvaluationError(f"query evaluation failed: {error}") from None

    def select(self, sparql, *, dataset=None, bindings=None):
        results = self._query(sparql, dataset, bindings)
        if not isinstance(results, ox.QuerySolutions):
            raise QuerySyntaxError("expected a SELECT query")
        try:
            return solution_rows(results)
        except (OSError, ValueError) as error:
            raise QueryEvaluationError(f"query evaluation failed: {error}") from None

    def ask(self, sparql, *, dataset=None, bindings=None):
        results = self._query(sparql, dataset, bindings)
        if not isinstance(results, ox.QueryBoolean):
            raise QuerySyntaxError("expected an ASK query")
        return bool(results)

    def construct(self, sparql, *, dataset=None, bindings=None):
        results = self._query(sparql, dataset, bindings)
        if not isinstance(results, ox.QueryTriples):
            raise QuerySyntaxError("expected a CONSTRUCT or DESCRIBE query")
        try:
            return list(results)
        except (OSError, ValueError) as error:
            raise QueryEvaluationError(f"query evaluation failed: {error}") from None

    def run(self, sparql, *, dataset, choose: FormatChooser, bindings=None, base_iri=None,
            stream: BodyStream | None = None):
        """Evaluate and serialise a query in the negotiated format (see `Store.run`).

        With `stream`, the body's leading bytes may be handed to `stream.write` while it is
        being serialised (and taken back with `stream.discard` when a first attempt is
        abandoned); the returned body is then only what follows them.
        """
        results = self._query(sparql, dataset, bindings, base_iri)
        if isinstance(results, ox.QueryBoolean):
            kind, formats = "boolean", RESULT_FORMATS
        elif isinstance(results, ox.QuerySolutions):
            kind, formats = "solutions", RESULT_FORMATS
        else:
            kind, formats = "graph", GRAPH_FORMATS
        media_type = choose(kind)
        try:
            # serialize() drains the iterator here, on this thread, before any byte is sent.
            if self.max_rows and kind == "solutions" and media_type in _MARKS:
                body = _bounded(results, formats[media_type], _MARKS[media_type], self.max_rows,
                                stream)
                if body is None:  # perhaps over the cap: evaluate again, counting exactly
                    again = self._query(sparql, dataset, bindings, base_iri)
                    body = _capped(again, kind, formats[media_type], self.max_rows)
            elif self.max_rows and kind != "boolean":
                body = _capped(results, kind, formats[media_type], self.max_rows)
            else:
                body = results.serialize(format=formats[media_type])
        except (OSError, ValueError) as error:
            raise QueryEvaluationError(f"query evaluation failed: {error}") from None
        if media_type in TEXT_TYPES:
            media_type += "; charset=utf-8"
        return QueryOutput(kind, media_type, body)

    # -- writes ----------------------------------------------------------------------

    def update(self, sparql):
        try:
            self._store.update(sparql)
        except SyntaxError as error:
            raise QuerySyntaxError(f"SPARQL update syntax error: {error}") from None
        except OSError as error:
            raise QueryEvaluationError(f"update failed: {error}") from None
        self._wrote()

    def _wrote(self) -> None:
        if self._flusher is not None:
            self._flusher.wrote()

    def named_graphs(self):
        # One quad is enough to know a graph is not empty (counting took 6.5 s for a 1M graph).
        return {g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)
                and self._has_quads(g)}

    def graph_triples(self, graph):
        return [q.triple for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))]

    def graph_size(self, graph):
        count = 0
        for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            count += 1
        return count

    def replace_graph(self, graph, triples, *, meta_update, graph_is_new):
        name = ox.NamedNode(graph)
        if graph_is_new:
            # Invisible until meta_update registers it: bulk-load, then one small transaction.
            self._store.remove_graph(name) if self._has_quads(name) else None
            self._store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
            self.update(meta_update)
            return
        self.update(_diff_update(graph, self.graph_triples(graph), triples) + " ;\n" + meta_update)

    def _has_quads(self, name):
        for _ in self._store.quads_for_pattern(None, None, None, name):
            return True
        return False

    def drop_graph(self, graph):
        name = ox.NamedNode(graph)
        if self._has_quads(name):
            self._store.remove_graph(name)
            self._wrote()

    def dump(self, out: BinaryIO, graph=None):
        if graph is None:
            self._store.dump(out, format=ox.RdfFormat.N_QUADS)
        else:
            quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            ox.serialize(quads, out, format=ox.RdfFormat.N_QUADS)

    def bulk_load_ntriples(self, graph: str, data: bytes, *, lenient: bool = False):
        """Bulk-load N-Triples bytes into a graph (no transaction: for a graph no reader sees).

        `lenient` skips the parser's checks: only for bytes that a strict parse accepts."""
        # Called from a thread: the catalog update that makes the graph visible counts as the write.
        self._store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph),
                              lenient=lenient)

    def bulk_add(self, quads: Iterable[ox.Quad]):
        self._store.bulk_extend(quads)

    def optimize(self):
        """Compact the store's files (RocksDB): queries after a large bulk load get faster."""
        try:
            self._store.optimize()
        except OSError as error:
            raise StoreUnavailable(f"cannot optimize the store {self.location}: {error}") from None

    def is_empty(self):
        for _ in self._store.quads_for_pattern(None, None, None, None):
            return False
        return True

    def close(self):
        if self._flusher is not None:
            self._flusher.cancel()
        # A read-only instance has nothing to flush (pyoxigraph refuses it: RuntimeError).
        if hasattr(self._store, "flush") and self.location != ":memory:" and not self.read_only:
            try:
                self._store.flush()
            except OSError:
                pass
        self._store = None


class _TooManyLines(Exception):
    pass


class _LineCounter:
    """A write-only buffer that gives up once it holds more than `limit` lines."""

    def __init__(self, limit: int):
        self.limit, self.lines, self.parts = limit, 0, []

    def write(self, chunk) -> int:
        chunk = bytes(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _TooManyLines()
        self.parts.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


# A byte string each solution of a format adds at least once, and that markup of the same
# result cannot add otherwise except inside literals (which only makes the count too high):
# JSON solutions are separated by `},{` (a `"` before `{` would be escaped inside a string),
# XML has one `<result>` per solution, CSV and TSV a line per solution plus the header.
_MARKS = {"application/sparql-results+json": b"},{", "application/sparql-results+xml": b"<result>",
          "text/csv": b"\n", "text/tab-separated-values": b"\n"}


class BodyStream(Protocol):
    """Where `EmbeddedStore.run` may hand the leading bytes of a body while it serialises."""

    def write(self, data: bytes) -> None: ...

    def discard(self) -> None: ...


STREAM_PIECE = 256 * 1024  # bytes handed to a BodyStream at a time


class _MarkCounter:
    """A write-only buffer counting `mark`, which gives up once it has seen more than `limit`.

    With a `stream`, every STREAM_PIECE bytes kept so far are handed to it, so that a caller
    in another process can receive them while the rest is still being evaluated.
    """

    def __init__(self, mark: bytes, limit: int, stream: BodyStream | None = None):
        self.mark, self.limit, self.count, self.parts, self.tail = mark, limit, 0, [], b""
        self.stream, self.size, self.streamed = stream, 0, False

    def write(self, chunk) -> int:
        chunk = bytes(chunk)
        # The tail is shorter than the mark, so it never holds a whole one by itself.
        joined = self.tail + chunk
        self.count += joined.count(self.mark)
        if self.count > self.limit:
            raise _TooManyLines()
        self.tail = joined[-(len(self.mark) - 1):] if len(self.mark) > 1 else b""
        self.parts.append(chunk)
        self.size += len(chunk)
        if self.stream is not None and self.size >= STREAM_PIECE:
            self.stream.write(b"".join(self.parts))
            self.parts, self.size, self.streamed = [], 0, True
        return len(chunk)

    def flush(self) -> None:
        pass


def _bounded(results, target, mark: bytes, max_rows: int,
             stream: BodyStream | None = None) -> bytes | None:
    """Serialise solutions straight into `target`, or None when the count of `mark` does not
    prove that they are well under `max_rows` (then `_capped` counts exactly).

    The marks are an upper bound of the solutions give or take two (separators, header), so
    only results with at most `max_rows - 2` marks are accepted this way: one serialisation
    instead of `_capped`'s TSV pass, parse and second serialisation (30 % of a 500-row query).
    With a `stream`, the body's leading pieces go there (see `EmbeddedStore.run`).
    """
    counter = _MarkCounter(mark, max(max_rows - 2, 0), stream)
    try:
        results.serialize(counter, format=target)
    except _TooManyLines:
        if counter.streamed:
            stream.discard()
        return None
    return b"".join(counter.parts)


def _capped(results, kind: str, target, max_rows: int) -> bytes:
    """Serialise `results`, refusing more than `max_rows` solutions or triples.

    Counting happens while pyoxigraph writes a line-per-item format (TSV for solutions, one
    solution per line with newlines escaped; N-Triples for triples), so a huge result is
    abandoned after about `max_rows` items, not after all were built. The counted text is
    then re-serialised by pyoxigraph's own parser and writer into the requested format.
    """
    line_format = ox.QueryResultsFormat.TSV if kind == "solutions" else ox.RdfFormat.N_TRIPLES
    # TSV has a header line; N-Triples has none.
    counter = _LineCounter(max_rows + (1 if kind == "solutions" else 0))
    try:
        results.serialize(counter, format=line_format)
    except _TooManyLines:
        what = "solutions" if kind == "solutions" else "triples"
        raise ResultTooLarge(
            f"the result has more than {max_rows} {what} (MUTU_MAX_ROWS); nothing was sent: "
            "add a LIMIT, or narrow the query") from None
    text = b"".join(counter.parts)
    if target == line_format:
        return text
    if kind == "solutions":
        return ox.parse_query_results(text, format=line_format).serialize(format=target)
    return ox.serialize(ox.parse(text, format=line_format), format=target)


def _diff_update(graph: str, old: list[ox.Triple], new: list[ox.Triple]) -> str:
    """One SPARQL update turning `old` into `new` inside `graph`.

    Ground triples are diffed; blank nodes cannot be named in DELETE DATA, so every triple
    that touches one is deleted by pattern and the new ones re-inserted.
    """
    def ground(t):
        return not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)

    old_ground = {str(t) for t in old if ground(t)}
    new_ground = {str(t) for t in new if ground(t)}
    old_blank = any(not ground(t) for t in old)
    new_blank = [str(t) for t in new if not ground(t)]
    g = str(ox.NamedNode(graph))
    parts = []
    removed = old_ground - new_ground
    if removed:
        parts.append(f"DELETE DATA {{ GRAPH {g} {{\n" + " .\n".join(sorted(removed)) + " .\n} }")
    if old_blank:
        parts.append(f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {g} {{ ?s ?p ?o "
                     "FILTER(isBlank(?s) || isBlank(?o)) } }")
    added = (new_ground - old_ground)
    if added or new_blank:
        parts.append(f"INSERT DATA {{ GRAPH {g} {{\n" + " .\n".join(sorted(added) + new_blank) + " .\n} }")
    if not parts:
        parts.append(f"INSERT DATA {{ }}")
    return " ;\n".join(parts)
