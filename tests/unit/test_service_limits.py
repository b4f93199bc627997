"""Limits without sockets: address classes for SERVICE, the allow-list, settings, the row cap."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from app.config import load_settings
from app.errors import Forbidden, ResultTooLarge
from app.limits import check_service, is_public_address
from app.store.embedded import EmbeddedStore


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "fe80::1", "fc00::1", "fd12:3456::1", "0.0.0.0", "::", "100.64.0.1",
    "224.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "64:ff9b::7f00:1", "2002:7f00:1::", "fe80::1%eth0",
])
def test_non_public_addresses(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "193.190.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert is_public_address(address)


def settings(**values):
    return load_settings(values, environ={})


@pytest.mark.parametrize("query", [
    "SELECT * { SERVICE <http://127.0.0.1/sparql> { ?s ?p ?o } }",
    "SELECT * { SERVICE <http://[::1]:8080/sparql> { ?s ?p ?o } }",
    "SELECT * { SERVICE <http://169.254.169.254/sparql> { ?s ?p ?o } }",
    "BASE <http://10.0.0.1/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }",
    "PREFIX e: <http://192.168.0.1/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }",
])
def test_listed_private_endpoints_are_refused_unless_allowed(query):
    target = {"127.0.0.1/": "http://127.0.0.1/sparql", "[::1]": "http://[::1]:8080/sparql",
              "169.254": "http://169.254.169.254/sparql", "10.0.0.1": "http://10.0.0.1/sparql",
              "192.168": "http://192.168.0.1/sparql"}
    endpoint = next(v for k, v in target.items() if k in query)
    with pytest.raises(Forbidden, match="MUTU_SERVICE_ALLOW_PRIVATE"):
        check_service(query, base_iri="http://mutu.test/sparql", settings=settings(service_allow=endpoint))
    check_service(query, base_iri="http://mutu.test/sparql",
                  settings=settings(service_allow=endpoint, service_allow_private=True))


def test_unlisted_variable_and_non_http_endpoints_are_refused():
    for query, allow in [("SELECT * { SERVICE ?e { ?s ?p ?o } }", ""),
                         ("SELECT * { SERVICE <http://8.8.8.8/sparql> { ?s ?p ?o } }", ""),
                         ("SELECT * { SERVICE <ftp://8.8.8.8/x> { ?s ?p ?o } }", "ftp://8.8.8.8/x")]:
        with pytest.raises(Forbidden):
            check_service(query, base_iri="http://mutu.test/sparql",
                          settings=settings(service_allow=allow, service_allow_private=True))


def test_limit_settings_from_the_environment():
    s = load_settings(environ={"MUTU_QUERY_TIMEOUT": "2.5", "MUTU_MAX_ROWS": "7",
                               "MUTU_MAX_CONCURRENT_QUERIES": "0", "MUTU_SERVICE_ALLOW_PRIVATE": "1"})
    assert (s.query_timeout, s.max_rows, s.max_concurrent_queries, s.service_allow_private) == (2.5, 7, 0, True)
    defaults = load_settings(environ={})
    assert (defaults.query_timeout, defaults.service_allow_private) == (30.0, False)
    for name, raw in [("MUTU_QUERY_TIMEOUT", "soon"), ("MUTU_QUERY_TIMEOUT", "-1"),
                      ("MUTU_SERVICE_ALLOW_PRIVATE", "maybe")]:
        with pytest.raises(ValueError, match=name):
            load_settings(environ={name: raw})


@pytest.fixture
def capped():
    store = EmbeddedStore(":memory:", max_rows=5)
    for i in range(5):
        store._store.add(ox.Quad(ox.NamedNode(f"http://e/{i}"), ox.NamedNode("http://e/p"),
                                 ox.Literal(f"line\n{i}\t\"q\"", language="fr"), ox.NamedNode("http://e/g")))
    yield store
    store.close()


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_row_cap_keeps_results_within_it_unchanged(capped, media_type):
    query = "SELECT ?s ?o ?unbound WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s"
    uncapped = EmbeddedStore.run.__get__(capped)
    capped_body = uncapped(query, dataset=None, choose=lambda kind: media_type).body
    capped.max_rows = 0
    plain_body = capped.run(query, dataset=None, choose=lambda kind: media_type).body
    if media_type.endswith("json"):
        assert json.loads(capped_body) == json.loads(plain_body)
    else:
        assert capped_body == plain_body


def test_row_cap_refuses_one_more(capped):
    capped._store.add(ox.Quad(ox.NamedNode("http://e/x"), ox.NamedNode("http://e/p"), ox.Literal("x"),
                              ox.NamedNode("http://e/g")))
    for query, kind in [("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "solutions"),
                        ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", "triples")]:
        with pytest.raises(ResultTooLarge, match=f"more than 5 {kind}"):
            capped.run(query, dataset=None, choose=lambda k: "text/turtle" if k == "graph" else "text/csv")
    assert capped.run("ASK { GRAPH ?g { ?s ?p ?o } }", dataset=None,
                      choose=lambda k: "application/sparql-results+json").body


def _busy_app(tmp_path, queue: float):
    from app import create_app

    app = create_app({"store": str(tmp_path / "store"), "max_concurrent_queries": 1,
                      "query_queue_seconds": queue})
    slots = app.extensions["mutu.query_slots"]
    assert slots.acquire(blocking=False)  # a query already holds the only slot
    return app, slots


def test_a_query_waits_in_line_for_a_slot(tmp_path):
    import threading
    import time

    app, slots = _busy_app(tmp_path, queue=10)
    threading.Timer(0.3, slots.release).start()
    started = time.monotonic()
    response = app.test_client().get("/sparql", query_string={"query": "ASK {}"},
                                     headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.data
    assert json.loads(response.data) == {"head": {}, "boolean": True}
    assert time.monotonic() - started >= 0.25


def test_past_the_wait_a_query_is_refused_with_503(tmp_path):
    app, _ = _busy_app(tmp_path, queue=0.1)
    response = app.test_client().get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert b"MUTU_QUERY_QUEUE_SECONDS" in response.data


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
@pytest.mark.parametrize("rows", [0, 1, 7, 8, 9, 10, 11, 12, 40])
def test_row_cap_exact_at_the_boundary_whatever_the_literals_hold(media_type, rows):
    """Small results are written in one pass; near the cap the count is exact; marks inside
    literals (`},{`, `<result>`, newlines) never let one row too many through."""
    store = EmbeddedStore(":memory:", max_rows=10)
    try:
        for i in range(rows):
            store._store.add(ox.Quad(ox.NamedNode(f"http://e/{i:03d}"), ox.NamedNode("http://e/p"),
                                     ox.Literal("a},{b <result>\nc}},{\"d\""), ox.NamedNode("http://e/g")))
        evaluations = []
        query_once = store._query

        def counting(*args, **kwargs):
            evaluations.append(1)
            return query_once(*args, **kwargs)

        store._query = counting
        query = "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s"
        choose = lambda kind: media_type  # noqa: E731
        if rows > 10:
            with pytest.raises(ResultTooLarge, match="more than 10 solutions"):
                store.run(query, dataset=None, choose=choose)
            return
        body = store.run(query, dataset=None, choose=choose).body
        store.max_rows = 0
        plain = query_once(query, None, None).serialize(format=ox.QueryResultsFormat.TSV)
        again = store.run(query, dataset=None, choose=choose).body
        assert body == again
        assert plain.count(b"\n") == rows + 1
        if rows <= 3:
            assert len(evaluations) == 2  # one for the capped run, one for the plain run
    finally:
        store.close()
