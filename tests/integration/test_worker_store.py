"""WorkerStore, the killable-process backend: same answers as the embedded store, a deadline
that kills and respawns its worker, in-flight reads retried and in-flight writes failed cleanly.

Durations are made by a slow SPARQL endpoint on loopback (SERVICE), not by CPU-bound
queries, so the timing does not depend on the machine's speed.
"""

from __future__ import annotations

import io
import statistics
import threading
import time

import pyoxigraph as ox
import pytest

from app.errors import QuerySyntaxError, QueryTimeout, ResultTooLarge, StoreRestarted
from app.store import QueryDataset
from app.store.embedded import EmbeddedStore
from app.store.worker import WorkerStore
from limits_helpers import SlowEndpoint

pytestmark = pytest.mark.integration

G = "http://example.org/g"
EX = "http://example.org/"


def triples(n):
    out = [ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(f"v{i}", language="fr"))
           for i in range(n)]
    blank = ox.BlankNode("b1")
    out += [ox.Triple(ox.NamedNode(EX + "s0"), ox.NamedNode(EX + "q"), blank),
            ox.Triple(blank, ox.NamedNode(EX + "p"), ox.Literal("1", datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#integer")))]
    return out


@pytest.fixture
def slow():
    endpoint = SlowEndpoint()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def worker(tmp_path):
    store = WorkerStore(str(tmp_path / "store"), query_timeout=2)
    store.replace_graph(G, triples(50), meta_update="INSERT DATA { }", graph_is_new=True)
    yield store
    store.close()


def test_same_answers_as_the_embedded_store(tmp_path, worker):
    dataset = QueryDataset((G,), (G,))
    select = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s ?o"
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    from_worker = (worker.select(select, dataset=dataset), worker.ask("ASK { ?s ?p ?o }", dataset=dataset),
                   set(map(str, worker.construct(construct, dataset=dataset))),
                   worker.graph_size(G), worker.named_graphs(), worker.is_empty(),
                   set(map(str, worker.graph_triples(G))),
                   worker.select("SELECT ?s ?o WHERE { ?s ?p ?o }", dataset=dataset,
                                 bindings={"o": ox.Literal("v3", language="fr")}))
    out = io.BytesIO()
    worker.dump(out)
    worker.close()
    embedded = EmbeddedStore(str(tmp_path / "store"))
    try:
        from_embedded = (embedded.select(select, dataset=dataset), embedded.ask("ASK { ?s ?p ?o }", dataset=dataset),
                         set(map(str, embedded.construct(construct, dataset=dataset))),
                         embedded.graph_size(G), embedded.named_graphs(), embedded.is_empty(),
                         set(map(str, embedded.graph_triples(G))),
                         embedded.select("SELECT ?s ?o WHERE { ?s ?p ?o }", dataset=dataset,
                                         bindings={"o": ox.Literal("v3", language="fr")}))
        expected = io.BytesIO()
        embedded.dump(expected)
    finally:
        embedded.close()
    assert from_worker == from_embedded
    assert from_worker[3] == 52 and len(from_worker[7]) == 1
    assert sorted(out.getvalue().splitlines()) == sorted(expected.getvalue().splitlines())


def test_run_errors_and_bulk_add_cross_the_process_boundary(tmp_path):
    store = WorkerStore(str(tmp_path / "store"), query_timeout=5, max_rows=10)
    try:
        store.bulk_add(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(G)) for t in triples(120))
        assert store.graph_size(G) == 122
        output = store.run("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10", dataset=None,
                           choose=lambda kind: "text/csv")
        assert output.kind == "solutions" and output.media_type == "text/csv; charset=utf-8"
        assert len(output.body.splitlines()) == 11
        with pytest.raises(ResultTooLarge):
            store.run("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=None,
                      choose=lambda kind: "application/sparql-results+json")
        with pytest.raises(QuerySyntaxError):
            store.select("SELECT WHERE {")
    finally:
        store.close()



def test_a_large_answer_crosses_in_pieces_and_equals_the_embedded_stores(tmp_path):
    """Answers of several STREAM_PIECEs reach the server in pieces while the child serialises;
    put back together they are byte for byte the embedded store's, including when the child
    drops the pieces it sent (a first pass that could not prove the cap) or refuses the answer.
    """
    from app.store.embedded import STREAM_PIECE

    rows = 3000
    filler = "x" * 300  # about 1 MB of JSON for 3000 rows: four pieces
    quads = [ox.Quad(ox.NamedNode(f"{EX}s{i:05}"), ox.NamedNode(EX + "p"), ox.Literal(f"{i} {filler}"),
                     ox.NamedNode(G)) for i in range(rows)]
    query = "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s"
    json = "application/sparql-results+json"
    caps = (0, rows + 5, rows, rows - 1)  # no cap; well under it; exactly at it; over it
    store = WorkerStore(str(tmp_path / "store"), query_timeout=20)
    try:
        store.bulk_add(quads)
    finally:
        store.close()
    from_worker = {}
    for cap in caps:
        store = WorkerStore(str(tmp_path / "store"), query_timeout=20, max_rows=cap)
        try:
            from_worker[cap] = _body_or_error(store, query, json)
        finally:
            store.close()
    embedded = EmbeddedStore(str(tmp_path / "store"))
    try:
        for cap in caps:
            embedded.max_rows = cap
            assert from_worker[cap] == _body_or_error(embedded, query, json), cap
    finally:
        embedded.close()
    whole = from_worker[rows + 5]
    assert len(whole) > 3 * STREAM_PIECE
    assert len(__import__("json").loads(whole)["results"]["bindings"]) == rows
    assert from_worker[rows] == whole  # the first pass gave up after sending pieces: all redone
    assert from_worker[rows - 1] == "ResultTooLarge"


def _body_or_error(store, query, media_type):
    try:
        return store.run(query, dataset=None, choose=lambda kind: media_type).body
    except ResultTooLarge:
        return "ResultTooLarge"

def test_deadline_kills_the_worker_reads_in_flight_are_retried_writes_fail_cleanly(worker, slow):
    old_pid = worker.pid
    results = {}

    def runaway():
        started = time.monotonic()
        try:
            worker.select(f"SELECT * WHERE {{ SERVICE <{slow.url}/sparql?s=30> {{ ?x ?y ?z }} }}")
        except QueryTimeout as error:
            results["runaway"] = (time.monotonic() - started, error)

    def read():
        # In flight when the runaway's deadline (2 s) kills the worker; retried on the new one.
        results["read"] = worker.select(f"SELECT ?x WHERE {{ SERVICE <{slow.url}/sparql?s=0.6> {{ ?x ?y ?z }} }}")

    def write():
        try:
            worker.update(f"INSERT {{ GRAPH <{G}> {{ ?x <{EX}written> true }} }} WHERE {{ "
                          f"SERVICE <{slow.url}/sparql?s=0.6> {{ ?x ?y ?z }} }}")
            results["write"] = "committed"
        except StoreRestarted as error:
            results["write"] = error

    threads = [threading.Thread(target=runaway)]
    threads[0].start()
    time.sleep(1.6)
    threads += [threading.Thread(target=read), threading.Thread(target=write)]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(30)

    seconds, error = results["runaway"]
    assert 2.0 <= seconds < 4.0 and "2 s" in error.message
    assert worker.restarts == 1 and worker.pid != old_pid
    assert [row["x"].value for row in results["read"]] == ["http://example.org/slow"]
    assert isinstance(results["write"], StoreRestarted) and results["write"].status == 503
    assert not worker.ask(f"ASK {{ GRAPH <{G}> {{ ?s <{EX}written> ?o }} }}")
    assert worker.graph_size(G) == 52


def test_no_deadline_when_timeout_is_zero(tmp_path, slow):
    store = WorkerStore(str(tmp_path / "store"), query_timeout=0)
    try:
        rows = store.select(f"SELECT ?x WHERE {{ SERVICE <{slow.url}/sparql?s=0.3> {{ ?x ?y ?z }} }}")
        assert len(rows) == 1 and store.restarts == 0
    finally:
        store.close()


def _p50_ms(call, n=300):
    for _ in range(20):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def test_overhead_per_query_is_small(tmp_path, worker):
    query = "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"
    via_worker = _p50_ms(lambda: worker.select(query))
    worker.close()
    embedded = EmbeddedStore(str(tmp_path / "store"))
    try:
        in_process = _p50_ms(lambda: embedded.select(query))
    finally:
        embedded.close()
    print(f"p50 trivial query: worker {via_worker:.3f} ms, embedded {in_process:.3f} ms")
    assert via_worker - in_process < 3.0
