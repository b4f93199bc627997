"""Limits that protect the service, against real `mutu serve` processes on loopback.

Instance A (`--query-timeout 1`, small caps) federates with instance B and with a slow local
endpoint (MUTU_SERVICE_ALLOW + MUTU_SERVICE_ALLOW_PRIVATE=1). Instance B lists loopback,
metadata and disguised loopback endpoints in its allow-list but not
MUTU_SERVICE_ALLOW_PRIVATE, so each SSRF probe must be refused with no connection made.
"""

from __future__ import annotations

import threading
import time

import pytest

from conftest import FIXTURE_TTL
from limits_helpers import DATA_DIR, MutuServer, Probe, SlowEndpoint, mutu, pid_alive

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BASE = "https://mutu.brussels/"
SCHEMA = "https://schema.org/"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# Five-way cross product of every triple: ~10^12 combinations, far beyond any deadline.
RUNAWAY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
           "?m ?n2 ?o }")
MAX_ROWS = 20
MAX_BODY = 20_000


@pytest.fixture(scope="module")
def probe():
    probe = Probe()
    yield probe
    probe.stop()


@pytest.fixture(scope="module")
def slow(probe):
    endpoint = SlowEndpoint(redirect_to=f"http://127.0.0.1:{probe.port}/sparql")
    yield endpoint
    endpoint.stop()


def _loaded_store(tmp, name, ttl_path):
    store = tmp / name
    result = mutu("load", str(ttl_path), "--graph", BASE + f"graph/{name}", "--licence", "CC0-1.0",
                  store=store)
    assert result.returncode == 0, result.stderr
    return store


def probe_targets(port):
    return {
        "loopback": f"http://127.0.0.1:{port}/sparql",
        "localhost": f"http://localhost:{port}/sparql",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/sparql",
        "decimal": f"http://2130706433:{port}/sparql",
        "private": f"http://10.1.2.3:{port}/sparql",
    }


@pytest.fixture(scope="module")
def instance_b(tmp_path_factory, probe):
    tmp = tmp_path_factory.mktemp("mutu-b")
    ttl = tmp / "b.ttl"
    ttl.write_text(FIXTURE_TTL, encoding="utf-8")
    store = _loaded_store(tmp, "b", ttl)
    server = MutuServer(store, tmp / "serve.log", env={
        "MUTU_SERVICE_ALLOW": ",".join(probe_targets(probe.port).values())})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def instance_a(tmp_path_factory, instance_b, slow):
    tmp = tmp_path_factory.mktemp("mutu-a")
    store = _loaded_store(tmp, "a", DATA_DIR / "alternatives-v1.ttl")
    allow = [instance_b.url + "/sparql", slow.url + "/sparql?s=30", slow.url + "/sparql?s=0.1",
             slow.url + "/redirect"]
    server = MutuServer(store, tmp / "serve.log", "--query-timeout", "1", env={
        "MUTU_SERVICE_ALLOW": ",".join(allow), "MUTU_SERVICE_ALLOW_PRIVATE": "1",
        "MUTU_MAX_ROWS": str(MAX_ROWS), "MUTU_MAX_REQUEST_BYTES": str(MAX_BODY),
        "MUTU_MAX_CONCURRENT_QUERIES": "3", "MUTU_QUERY_QUEUE_SECONDS": "0.2"})
    yield server
    server.stop()


def count(server) -> int:
    status, rows = server.select(COUNT_ALL)
    assert status == 200, rows
    return int(rows[0]["n"]["value"])


def test_runaway_query_is_stopped_while_other_queries_are_served(instance_a):
    before = count(instance_a)
    workers = instance_a.worker_pids()
    assert len(workers) == 1
    outcome = {}

    def runaway():
        started = time.monotonic()
        outcome["status"], outcome["headers"], outcome["body"] = instance_a.call(
            params={"query": RUNAWAY}, headers={"Accept": "application/sparql-results+json"})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    quick = []
    while thread.is_alive():
        started = time.monotonic()
        status, rows = instance_a.select("SELECT ?s WHERE { ?s a ?t } LIMIT 1")
        quick.append((status, time.monotonic() - started))
        time.sleep(0.05)
    thread.join()

    assert outcome["status"] == 504, outcome["body"]
    assert b"1 s" in outcome["body"] and b"stopped" in outcome["body"]
    assert not outcome["headers"]["Content-Type"].startswith("application/sparql-results")
    # The deadline, plus the worker's restart; generous so a busy CI machine does not flake,
    # yet far below the minutes the runaway query would take on its own.
    assert 1.0 <= outcome["seconds"] < 8.0
    # Queries sent while the runaway ran were all answered.
    assert quick and all(status == 200 for status, _ in quick), quick
    # The worker that ran it is gone (its work truly stopped); a new one holds all the data.
    (old,) = workers
    assert not pid_alive(old)
    assert instance_a.worker_pids() and old not in instance_a.worker_pids()
    assert count(instance_a) == before
    assert "store worker restarted" in instance_a.log.read_text()


def test_slow_service_is_bounded_by_the_deadline(instance_a, slow):
    started = time.monotonic()
    status, body = instance_a.select(f"SELECT * WHERE {{ SERVICE <{slow.url}/sparql?s=30> {{ ?x ?y ?z }} }}")
    assert status == 504, body
    assert time.monotonic() - started < 3.0
    assert count(instance_a) > 0


def test_federation_with_another_instance(instance_a, instance_b):
    query = (f"SELECT ?name WHERE {{ SERVICE <{instance_b.url}/sparql> {{ "
             f"?s a <{SCHEMA}Organization> ; <{SCHEMA}name> ?name }} }}")
    status, rows = instance_a.select(query)
    assert status == 200, rows
    names = {row["name"]["value"] for row in rows}
    assert "Potager collectif du Parc" in names
    # The data is B's: A itself does not hold it.
    status, rows = instance_a.select(f'SELECT ?s WHERE {{ ?s <{SCHEMA}name> "Potager collectif du Parc"@fr }}')
    assert status == 200 and rows == []


def test_redirect_from_an_allowed_endpoint_is_not_followed(instance_a, slow, probe):
    before = probe.connections
    status, body = instance_a.select(f"SELECT * WHERE {{ SERVICE <{slow.url}/redirect> {{ ?x ?y ?z }} }}")
    assert status == 500 and b"redirect" in body
    time.sleep(0.2)
    assert probe.connections == before


@pytest.mark.parametrize("query, kind", [
    ("SELECT * WHERE { ?s ?p ?o }", "solutions"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "triples"),
])
def test_too_many_rows_is_an_error_not_a_cut_result(instance_a, query, kind):
    for accept in ("application/sparql-results+json", "text/csv", "text/turtle"):
        status, headers, body = instance_a.call(params={"query": query}, headers={"Accept": accept})
        if status == 406:
            continue
        assert status == 422, body
        assert f"more than {MAX_ROWS} {kind}".encode() in body and b"MUTU_MAX_ROWS" in body
    status, headers, body = instance_a.call(params={"query": query + f" LIMIT {MAX_ROWS}"},
                                            headers={"Accept": "application/n-triples, text/csv;q=0.9"})
    assert status == 200
    lines = [line for line in body.decode().splitlines() if line]
    assert len(lines) == MAX_ROWS + (1 if kind == "solutions" else 0)


@pytest.mark.parametrize("chunked", [False, True])
def test_oversize_body_is_413_with_a_message(instance_a, chunked):
    query = "# " + "x" * MAX_BODY + "\nASK {}"
    status, headers, body = instance_a.call("POST", body=query.encode(), chunked=chunked,
                                            headers={"Content-Type": "application/sparql-query"})
    assert status == 413
    assert body.strip()
    # Just under the cap is fine.
    status, _, _ = instance_a.call("POST", body=b"ASK {}", headers={"Content-Type": "application/sparql-query"})
    assert status == 200


def test_too_many_concurrent_queries_is_503_with_retry_after(instance_a, slow):
    slow_query = f"SELECT * WHERE {{ SERVICE <{slow.url}/sparql?s=30> {{ ?x ?y ?z }} }}"
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(instance_a.select(slow_query)[0]))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.4)
    # A text never sent before: a cached answer would take no slot.
    status, headers, body = instance_a.call(params={"query": f"ASK {{}} # {time.time_ns()}"})
    for thread in threads:
        thread.join()
    assert status == 503, body
    assert headers["Retry-After"] == "1"
    assert b"MUTU_MAX_CONCURRENT_QUERIES" in body
    assert statuses == [504, 504, 504]
    status, _, _ = instance_a.call(params={"query": "ASK {}"})
    assert status == 200


@pytest.mark.parametrize("name", sorted(probe_targets(1)))
def test_ssrf_probes_are_refused_without_a_connection(instance_b, probe, name):
    target = probe_targets(probe.port)[name]
    before = probe.connections
    for clause in (f"SERVICE <{target}> {{ ?s ?p ?o }}", f"SERVICE SILENT <{target}> {{ ?s ?p ?o }}"):
        status, body = instance_b.select(f"SELECT * WHERE {{ {clause} }}")
        assert status == 403, body
        assert b"MUTU_SERVICE_ALLOW_PRIVATE" in body or b"does not resolve" in body
    time.sleep(0.2)
    assert probe.connections == before


@pytest.mark.parametrize("clause", [
    "SERVICE ?e { ?s ?p ?o } VALUES ?e { <{loopback}> }",
    "SERVICE <http://127.0.0.1:{port}/other> { ?s ?p ?o }",
    "SERVICE <http://0x7f000001:{port}/sparql> { ?s ?p ?o }",
    "SERVICE <file:///etc/passwd> { ?s ?p ?o }",
])
def test_unlisted_or_variable_service_is_refused(instance_b, probe, clause):
    clause = clause.replace("{loopback}", probe_targets(probe.port)["loopback"]).replace(
        "{port}", str(probe.port))
    before = probe.connections
    status, body = instance_b.select(f"SELECT * WHERE {{ {clause} }}")
    assert status == 403 and b"not allowed" in body
    assert probe.connections == before


def test_killed_server_leaves_no_worker_holding_the_store(tmp_path):
    store = _loaded_store(tmp_path, "k", DATA_DIR / "alternatives-v1.ttl")
    server = MutuServer(store, tmp_path / "serve.log")
    workers = server.worker_pids()
    server.process.kill()
    server.process.wait(10)
    deadline = time.monotonic() + 10
    while any(pid_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(pid_alive(pid) for pid in workers)
    result = mutu("query", COUNT_ALL, store=store)
    assert result.returncode == 0, result.stderr
