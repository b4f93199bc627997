"""The worker backend: the pyoxigraph store lives in a child process that can be killed.

pyoxigraph cannot cancel a query (no timeout, signals wait for the query to return), so
the only way to truly stop a runaway evaluation — or a SERVICE call hanging on a slow
endpoint — is to kill the process running it. `WorkerStore` keeps the store in one child
process and talks to it over a Unix socket, one connection per calling thread; the child
serves each connection in its own thread, so queries still run concurrently on one shared
pyoxigraph Store (it releases the GIL while evaluating).

A call with a deadline waits for its answer at most that long. Past it, the caller kills
the child (SIGKILL), starts a new one on the same directory (the lock is released with
the dead process), and raises QueryTimeout. Other calls in flight at that moment lose
their connection: reads are sent again once to the new child; writes fail with
StoreRestarted (each write is one pyoxigraph transaction, so a killed write leaves
nothing behind; a half bulk-loaded new graph has no catalog entry and is dropped when the
new child opens the store).

Everything crossing the process boundary is bytes or plain values: pyoxigraph terms do
pickle, but about 50x slower than pyoxigraph's own N-Triples and SPARQL JSON writers and
parsers, which carry rows and triples here.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Client, Connection, Listener
from typing import BinaryIO, Iterable

import pyoxigraph as ox

from .. import errors, memory
from ..errors import (MutuError, NotAcceptable, QueryEvaluationError, QueryTimeout,
                      StoreRestarted, StoreUnavailable)
from . import FormatChooser, QueryOutput, Store, solution_rows

log = logging.getLogger("mutu.worker")

ROWS_FORMAT = ox.QueryResultsFormat.JSON  # explicit datatypes: no short forms to reinterpret
KINDS = ("boolean", "solutions", "graph")
CHUNK = 1 << 20  # dump stream and bulk_add batches
BULK_BATCH = 50_000  # quads per bulk_add message
# Errors the child may report; anything else is reported as QueryEvaluationError.
_ERROR_CLASSES = {name: cls for name, cls in vars(errors).items()
                  if isinstance(cls, type) and issubclass(cls, MutuError)}


class WorkerStore(Store):
    """A Store whose pyoxigraph store is owned by a killable child process.

    `query_timeout` (seconds, 0 for none) is the deadline of every read and of `update`;
    bulk writes (`replace_graph`, `bulk_add`, `drop_graph`) and `dump` have none, since
    they come from trusted loads and may legitimately take long. `base_iri`, when given,
    lets each new child drop graphs left without a catalog entry by a killed load.
    `malloc` is MUTU_MALLOC ("auto", "jemalloc", "system"): the fork server, and so every
    child, starts with jemalloc preloaded unless "system" (`allocator` says what the child
    got: a fork server an earlier WorkerStore of this process started keeps its own).
    """

    def __init__(self, location: str, *, query_timeout: float = 10.0, max_rows: int = 0,
                 base_iri: str | None = None, start_method: str = "forkserver",
                 malloc_arenas: int = 0, huge_pages: bool = False, malloc: str = "system"):
        if location == ":memory:":
            # A respawned child would start empty: the data would die with the first kill.
            raise StoreUnavailable("the worker backend needs an on-disk store, not :memory:")
        self.location = location
        self.query_timeout = query_timeout
        self._options = {"max_rows": max_rows, "base_iri": base_iri, "malloc_arenas": malloc_arenas}
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            # The fork server imports pyoxigraph once; each new child is then a fork of it.
            self._context.set_forkserver_preload([__name__, "app.pipeline"])
        self._dir = tempfile.mkdtemp(prefix="mutu-worker-")
        self._authkey = secrets.token_bytes(32)
        self._lock = threading.Lock()  # guards the child, its generation and its address
        self._local = threading.local()  # this thread's connection and its generation
        self._generation = 0
        self._process = None
        self._control: Connection | None = None
        self._address = ""
        self.restarts = 0
        self.last_respawn_seconds: float | None = None
        self._closed = False
        self.allocator = ""  # the child's malloc, as it reports it: "jemalloc" or "system"
        try:
            library = memory.preload_for(malloc) if start_method == "forkserver" else None
        except ValueError as error:
            raise StoreUnavailable(str(error)) from None
        # Query evaluation walks hash tables of tens of megabytes: with malloc on huge pages
        # (transparent, where the kernel allows them) it misses the TLB less, 4-5 % faster on
        # the heavy queries measured. The fork server starts with the first child.
        tunables = (memory.children_tunables(memory.HUGE_PAGES)
                    if huge_pages and start_method == "forkserver" else contextlib.nullcontext())
        with self._lock, tunables, memory.children_preload(library):
            self._spawn()

    # -- the child's life ------------------------------------------------------------

    def _spawn(self) -> None:
        """Start a child on the store and wait until it accepts connections (lock held)."""
        started = time.perf_counter()
        self._address = os.path.join(self._dir, f"worker-{self._generation}.sock")
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_child_main, name=f"mutu-store-worker-{self._generation}", daemon=True,
            args=(self.location, self._address, self._authkey, child_end, self._options))
        process.start()
        child_end.close()
        try:
            message = parent_end.recv()
        except EOFError:
            process.join(5)
            raise StoreUnavailable(f"the store worker for {self.location} exited while "
                                   f"starting (exit code {process.exitcode})") from None
        if message[0] != "ready":
            process.join(5)
            raise _rebuild(message)
        self._process, self._control = process, parent_end
        self.allocator = message[2]
        self.last_respawn_seconds = time.perf_counter() - started

    def _kill(self) -> None:
        """Stop the current child at once (lock held); its in-flight work ends with it."""
        if self._process is None:
            return
        self._process.kill()
        self._process.join(10)
        self._control.close()
        try:
            os.remove(self._address)
        except FileNotFoundError:
            pass
        self._process = self._control = None

    def _restart(self, generation: int, reason: str) -> None:
        """Replace the child of `generation`, unless another thread already did."""
        with self._lock:
            if generation != self._generation or self._closed:
                return
            started = time.perf_counter()
            self._kill()
            self._generation += 1
            self.restarts += 1
            try:
                self._spawn()
            finally:
                log.warning("store worker restarted (%s) in %.0f ms", reason,
                            (time.perf_counter() - started) * 1000)

    @property
    def pid(self) -> int | None:
        """Process id of the current child (for tests and logs)."""
        process = self._process
        return process.pid if process is not None else None

    def close(self) -> None:
        """Ask the child to flush and exit; kill it if it does not."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._process is not None:
                try:
                    self._control.send("close")
                except OSError:
                    pass
                self._process.join(10)
                self._kill()
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- calls -----------------------------------------------------------------------

    def _connection(self) -> tuple[int, Connection]:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is not None and local.generation == self._generation:
            return local.generation, conn
        if conn is not None:
            conn.close()
            local.conn = None
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            if self._process is None:  # a previous respawn failed: try again
                self._spawn()
            generation, address = self._generation, self._address
        local.conn = Client(address, family="AF_UNIX", authkey=self._authkey)
        local.generation = generation
        return generation, local.conn

    def _forget_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def _call(self, op: str, *args, timeout: float = 0, retry: bool = True, sink=None,
              restart=None):
        """Send one call to the child and return its value.

        `timeout` > 0 is the deadline: past it the child is killed and QueryTimeout
        raised. If the child dies under the call (another call's deadline, a crash), a
        call with `retry` is sent once more to the new child; others raise StoreRestarted.
        `sink` receives streamed chunks (dump, run); `restart` is called before each attempt
        so that a retried call's chunks do not follow the lost attempt's.
        """
        deadline = time.monotonic() + timeout if timeout > 0 else None
        for attempt in (1, 2):
            if restart is not None:
                restart()
            sent = False
            generation = self._generation
            if deadline is not None and time.monotonic() >= deadline:
                # Out of time before (re)sending: fail without disturbing the new child.
                raise _timeout(timeout)
            try:
                generation, conn = self._connection()
                conn.send((op, args))
                sent = True
                while True:
                    if deadline is not None:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0 or not conn.poll(remaining):
                            self._forget_connection()
                            self._restart(generation, f"a call ran past its {timeout:g} s deadline")
                            raise _timeout(timeout)
                    reply = conn.recv()
                    if reply[0] != "chunk":
                        break
                    sink(reply[1])
            except (EOFError, OSError) as error:
                # The child died (killed for another call's deadline, or crashed).
                self._forget_connection()
                self._restart(generation, f"lost the worker: {type(error).__name__}")
                if attempt == 1 and (retry or not sent):
                    continue
                raise StoreRestarted(
                    "the store worker was restarted while this operation ran (another query "
                    "reached its deadline); nothing was written, please retry") from None
            if reply[0] == "ok":
                return reply[1]
            raise _rebuild(reply)

    # -- the Store interface -----------------------------------------------------------

    def _rows(self, data: bytes) -> list[dict]:
        return solution_rows(ox.parse_query_results(data, format=ROWS_FORMAT))

    def select(self, sparql, *, dataset=None, bindings=None):
        data = self._call("select", sparql, dataset, _terms_out(bindings), timeout=self.query_timeout)
        return self._rows(data)

    def ask(self, sparql, *, dataset=None, bindings=None):
        return self._call("ask", sparql, dataset, _terms_out(bindings), timeout=self.query_timeout)

    def construct(self, sparql, *, dataset=None, bindings=None):
        data = self._call("construct", sparql, dataset, _terms_out(bindings), timeout=self.query_timeout)
        return _triples_in(data)

    def run(self, sparql, *, dataset, choose: FormatChooser, bindings=None, base_iri=None):
        # The chooser is a closure over the request: ask it now for every kind, send the answers.
        choices = {}
        for kind in KINDS:
            try:
                choices[kind] = ("ok", choose(kind))
            except NotAcceptable as error:
                choices[kind] = ("err", error.message, error.detail)
        # A large body arrives in pieces while the child still serialises the rest.
        pieces = _Pieces()
        kind, media_type, rest = self._call("run", sparql, dataset, _terms_out(bindings), base_iri,
                                            choices, timeout=self.query_timeout, sink=pieces.receive,
                                            restart=pieces.clear)
        return QueryOutput(kind, media_type, pieces.body(rest))

    def update(self, sparql):
        self._call("update", sparql, timeout=self.query_timeout, retry=False)

    def named_graphs(self):
        return self._call("named_graphs", timeout=self.query_timeout)

    def graph_triples(self, graph):
        return _triples_in(self._call("graph_triples", graph, timeout=self.query_timeout))

    def graph_size(self, graph):
        return self._call("graph_size", graph, timeout=self.query_timeout)

    def replace_graph(self, graph, triples, *, meta_update, graph_is_new):
        self._call("replace_graph", graph, _triples_out(triples), meta_update, graph_is_new,
                   retry=False)

    def drop_graph(self, graph):
        self._call("drop_graph", graph, retry=False)

    def dump(self, out: BinaryIO, graph=None):
        # Not retried: chunks already written to `out` cannot be taken back.
        self._call("dump", graph, retry=False, sink=out.write)

    def bulk_add(self, quads: Iterable[ox.Quad]):
        batch = []
        for quad in quads:
            batch.append(quad)
            if len(batch) >= BULK_BATCH:
                self._call("bulk_add", ox.serialize(batch, format=ox.RdfFormat.N_QUADS), retry=False)
                batch = []
        if batch:
            self._call("bulk_add", ox.serialize(batch, format=ox.RdfFormat.N_QUADS), retry=False)

    def is_empty(self):
        return self._call("is_empty", timeout=self.query_timeout)


# -- values across the boundary --------------------------------------------------------

class _Pieces:
    """The leading pieces of a `run` body, as the child sends them (None: drop them all)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def receive(self, piece: bytes | None) -> None:
        if piece is None:
            self.parts.clear()
        else:
            self.parts.append(piece)

    def clear(self) -> None:
        self.parts.clear()

    def body(self, rest: bytes) -> bytes:
        return b"".join(self.parts + [rest]) if self.parts else rest


def _terms_out(bindings) -> dict[str, str] | None:
    """Bindings as N-Triples term strings (a term is its own unambiguous serialisation)."""
    if not bindings:
        return None
    return {name: str(term) for name, term in bindings.items()}


def _terms_in(bindings: dict[str, str] | None):
    if not bindings:
        return None
    # One N-Triples line per binding, parsed by pyoxigraph, so no term syntax is hand-read here.
    names = list(bindings)
    text = "".join(f"<urn:x-mutu:s> <urn:x-mutu:p> {bindings[n]} .\n" for n in names)
    parsed = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    return {name: triple.object for name, triple in zip(names, parsed)}


def _triples_out(triples) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def _triples_in(data: bytes) -> list[ox.Triple]:
    return list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))


def _timeout(seconds: float) -> QueryTimeout:
    return QueryTimeout(f"the query ran longer than {seconds:g} s (MUTU_QUERY_TIMEOUT) and was "
                        "stopped; narrow it (a LIMIT, fewer joins, sort inside a sub-select) "
                        "and try again")


def _rebuild(reply) -> MutuError:
    """The error a child reported, as an exception of the same class."""
    _, name, message, detail = reply
    cls = _ERROR_CLASSES.get(name, QueryEvaluationError)
    if cls is errors.InvalidData:  # carries a report object; never raised by the store itself
        cls = QueryEvaluationError
    return cls(message, detail=detail)


# -- the child ---------------------------------------------------------------------------

def _child_main(location, address, authkey, control, options) -> None:
    """Entry point of the child: open the store, then serve connections until told to stop."""
    # Ctrl-C on `mutu serve` reaches the whole process group: the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .embedded import EmbeddedStore

    memory.limit_arenas(options.get("malloc_arenas", 0))
    trimmer = memory.IdleTrimmer()

    try:
        store = EmbeddedStore(location, max_rows=options["max_rows"])
        if options["base_iri"]:
            from ..pipeline import cleanup_orphans

            cleanup_orphans(store, options["base_iri"])
    except MutuError as error:
        control.send(("err", type(error).__name__, error.message, error.detail))
        return
    listener = Listener(address, family="AF_UNIX", authkey=authkey)
    control.send(("ready", os.getpid(), memory.current_allocator()))
    threading.Thread(target=_watch_parent, args=(control, store), daemon=True).start()
    while True:
        try:
            conn = listener.accept()
        except (OSError, EOFError, multiprocessing.AuthenticationError):
            continue
        threading.Thread(target=_serve, args=(store, conn, trimmer), daemon=True).start()


def _watch_parent(control: Connection, store) -> None:
    """Exit when the parent says so or dies (EOF), so the store lock is never orphaned."""
    try:
        control.recv()
    except (EOFError, OSError):
        pass
    store.close()
    os._exit(0)


def _serve(store, conn: Connection, trimmer) -> None:
    """Answer one connection's calls in order, on this thread (result iterators stay here)."""
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError):
            return
        trimmer.busy()
        try:
            reply = ("ok", HANDLERS[op](store, conn, *args))
        except MutuError as error:
            reply = ("err", type(error).__name__, error.message, error.detail)
        except Exception as error:  # noqa: BLE001 - a bug must reach the caller, not kill the thread
            reply = ("err", "QueryEvaluationError", f"store worker error: {type(error).__name__}: "
                     f"{error}", None)
        try:
            conn.send(reply)
        except OSError:
            return
        finally:
            reply = None  # the result's bytes are freed before an idle trim may run
            trimmer.done()


def _select(store, conn, sparql, dataset, bindings):
    results = store._query(sparql, dataset, _terms_in(bindings))
    if not isinstance(results, ox.QuerySolutions):
        raise errors.QuerySyntaxError("expected a SELECT query")
    try:
        return results.serialize(format=ROWS_FORMAT)
    except (OSError, ValueError) as error:
        raise QueryEvaluationError(f"query evaluation failed: {error}") from None


def _ask(store, conn, sparql, dataset, bindings):
    return store.ask(sparql, dataset=dataset, bindings=_terms_in(bindings))


def _construct(store, conn, sparql, dataset, bindings):
    return _triples_out(store.construct(sparql, dataset=dataset, bindings=_terms_in(bindings)))


def _run(store, conn, sparql, dataset, bindings, base_iri, choices):
    def choose(kind):
        answer = choices[kind]
        if answer[0] == "ok":
            return answer[1]
        raise NotAcceptable(answer[1], detail=answer[2])

    output = store.run(sparql, dataset=dataset, choose=choose, bindings=_terms_in(bindings),
                       base_iri=base_iri, stream=_PieceSender(conn))
    return output.kind, output.media_type, output.body


class _PieceSender:
    """The BodyStream of a `run` call: each piece goes to the parent as a chunk message."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def write(self, data: bytes) -> None:
        self.conn.send(("chunk", data))

    def discard(self) -> None:
        self.conn.send(("chunk", None))


class _ChunkWriter:
    """File-like object that streams what is written to the parent in ~1 MiB messages."""

    def __init__(self, conn: Connection):
        self.conn, self.parts, self.size = conn, [], 0

    def write(self, data) -> int:
        data = bytes(data)
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.parts:
            self.conn.send(("chunk", b"".join(self.parts)))
            self.parts, self.size = [], 0


def _dump(store, conn, graph):
    writer = _ChunkWriter(conn)
    store.dump(writer, graph)
    writer.flush()


def _bulk_add(store, conn, data):
    store.bulk_add(ox.parse(data, format=ox.RdfFormat.N_QUADS))


HANDLERS = {
    "select": _select,
    "ask": _ask,
    "construct": _construct,
    "run": _run,
    "update": lambda store, conn, sparql: store.update(sparql),
    "named_graphs": lambda store, conn: store.named_graphs(),
    "graph_triples": lambda store, conn, graph: _triples_out(store.graph_triples(graph)),
    "graph_size": lambda store, conn, graph: store.graph_size(graph),
    "replace_graph": lambda store, conn, graph, data, meta_update, graph_is_new: store.replace_graph(
        graph, _triples_in(data), meta_update=meta_update, graph_is_new=graph_is_new),
    "drop_graph": lambda store, conn, graph: store.drop_graph(graph),
    "dump": _dump,
    "bulk_add": _bulk_add,
    "is_empty": lambda store, conn: store.is_empty(),
}


def open_worker_store(settings) -> Store:
    """The store `mutu serve` uses: a killable worker when queries have a deadline.

    With MUTU_QUERY_TIMEOUT=0, or a :memory: store (a killed worker would lose it), the
    embedded store is used directly and queries have no deadline.
    """
    from . import open_store
    from .embedded import EmbeddedStore
    from .remote import is_remote

    if is_remote(settings.store):
        # A remote store runs in its own server: each HTTP call is bounded by
        # MUTU_REMOTE_TIMEOUT; stopping the server's own evaluation is that server's job.
        return open_store(settings.store, settings=settings, max_rows=settings.max_rows)
    if settings.query_timeout <= 0 or settings.store == ":memory:":
        if settings.query_timeout > 0:
            print("mutu: warning: a :memory: store cannot live in a killable worker; "
                  "queries have no deadline", file=sys.stderr)
        return EmbeddedStore(settings.store, max_rows=settings.max_rows)
    return WorkerStore(settings.store, query_timeout=settings.query_timeout,
                       max_rows=settings.max_rows, base_iri=settings.base_iri,
                       malloc_arenas=settings.malloc_arenas, huge_pages=settings.malloc_huge_pages,
                       malloc=settings.malloc)
