"""/sparql over real HTTP (waitress on a loopback port): protocol errors, access, CORS, full evaluation."""

from __future__ import annotations

import dataclasses

import http.client
import json
import re
import socket
from urllib.parse import urlencode, urlsplit

import pytest

from conftest import PRIVATE_GRAPH, PUBLIC_GRAPH, SECRET_NAME
from app.namespaces import DEFAULT_BASE_IRI as BASE

pytestmark = pytest.mark.integration

CATALOG = BASE + "catalog/public"  # the public view of the catalog (the full one is admin-only)
PUBLIC_LOG = BASE + "log/public"
SCHEMA = "https://schema.org/"
ORGS = f"SELECT ?s WHERE {{ ?s a <{SCHEMA}Organization> }}"


def call(base_url, method="GET", path="/sparql", *, params=None, body=None, headers=None):
    """One raw HTTP request (no implicit headers); returns (status, headers, body bytes)."""
    parts = urlsplit(base_url)
    if params:
        path += "?" + urlencode(params, doseq=True)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def select(base_url, query, **params):
    status, headers, body = call(base_url, params={"query": query, **params},
                                 headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    assert headers["Content-Type"] == "application/sparql-results+json"
    return json.loads(body)["results"]["bindings"]


def values(rows, name):
    return {row[name]["value"] for row in rows if name in row}


def test_graph_variable_exposes_the_source_graphs(live_server):
    graphs = values(select(live_server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"), "g")
    assert graphs == {PUBLIC_GRAPH, CATALOG, PUBLIC_LOG}


def test_default_graph_is_the_union_of_visible_graphs(live_server):
    orgs = values(select(live_server, ORGS), "s")
    assert orgs == {BASE + "alternative/repair-cafe-ixelles", BASE + "alternative/potager-collectif"}


def test_from_restricts_the_default_graph(live_server):
    assert len(select(live_server, f"SELECT ?s FROM <{PUBLIC_GRAPH}> WHERE {{ ?s a <{SCHEMA}Organization> }}")) == 2
    assert select(live_server, f"SELECT ?s FROM <{CATALOG}> WHERE {{ ?s a <{SCHEMA}Organization> }}") == []
    rows = select(live_server, f"SELECT ?g FROM NAMED <{CATALOG}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert values(rows, "g") == {CATALOG}


def test_default_graph_uri_restricts_and_overrides_from(live_server):
    rows = select(live_server, f"SELECT ?s FROM <{PUBLIC_GRAPH}> WHERE {{ ?s a <{SCHEMA}Organization> }}",
                  **{"default-graph-uri": CATALOG})
    assert rows == []
    rows = select(live_server, ORGS, **{"default-graph-uri": PUBLIC_GRAPH})
    assert len(rows) == 2
    rows = select(live_server, "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }",
                  **{"named-graph-uri": PUBLIC_GRAPH})
    assert values(rows, "g") == {PUBLIC_GRAPH}


PRIVATE_PROBES = [
    ("SELECT * WHERE { ?s ?p ?o }", {}),
    ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
    (f"SELECT * WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}", {}),
    (f"SELECT * FROM <{PRIVATE_GRAPH}> WHERE {{ ?s ?p ?o }}", {}),
    (f"SELECT * FROM NAMED <{PRIVATE_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
    (f"PREFIX g: <{BASE}graph/> SELECT * FROM g:secret WHERE {{ ?s ?p ?o }}", {}),
    ("BASE <https://mutu.brussels/graph/> SELECT * FROM <secret> WHERE { ?s ?p ?o }", {}),
    ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": PRIVATE_GRAPH}),
    ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": PRIVATE_GRAPH}),
    (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}", {}),
    (f"DESCRIBE <{BASE}alternative/jardin-secret>", {}),
    (f"ASK {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}", {}),
]


@pytest.mark.parametrize("query,params", PRIVATE_PROBES)
def test_private_data_is_never_returned(live_server, query, params):
    status, _, body = call(live_server, params={"query": query, **params}, headers={"Accept": "*/*"})
    assert status == 200, body
    assert SECRET_NAME.encode() not in body
    assert b"jardin-secret" not in body
    if query.startswith("ASK"):
        assert json.loads(body)["boolean"] is False


def test_private_graph_iri_is_never_revealed(live_server):
    _, _, body = call(live_server, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert PRIVATE_GRAPH.encode() not in body
    for graph in (BASE + "catalog", BASE + "log", BASE + "catalog/partners"):
        _, _, body = call(live_server, params={"query": f"SELECT * {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                          headers={"Accept": "text/csv"})
        assert PRIVATE_GRAPH.encode() not in body and body.strip().count(b"\n") == 0, graph


def test_syntax_error_is_400_with_the_parser_message(live_server):
    status, headers, body = call(live_server, params={"query": "SELECT * WHERE { ?s ?p "})
    assert status == 400
    assert b"syntax error" in body and b"expected" in body
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_syntax_error_as_json_when_asked(live_server):
    status, _, body = call(live_server, params={"query": "ASK {"}, headers={"Accept": "application/json"})
    assert status == 400
    assert "expected" in json.loads(body)["message"]


def test_not_acceptable(live_server):
    status, _, body = call(live_server, params={"query": ORGS}, headers={"Accept": "text/turtle"})
    assert status == 406
    assert b"application/sparql-results+json" in body and b"text/csv" in body


def test_format_parameter(live_server):
    status, headers, body = call(live_server, params={"query": ORGS, "format": "csv"},
                                 headers={"Accept": "application/sparql-results+xml"})
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert body.splitlines()[0] == b"s"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json",
                                          "application/sparql-query; charset=UTF-16"])
def test_unsupported_media_type(live_server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    status, _, body = call(live_server, "POST", body="ASK {}", headers=headers)
    assert status == 415, body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(live_server, method):
    status, headers, _ = call(live_server, method, params={"query": "ASK {}"})
    assert status == 405
    assert set(headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST", "OPTIONS"}


def test_options_preflight(live_server):
    status, headers, body = call(live_server, "OPTIONS", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 204 and body == b""
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert set(headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
    assert set(h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")) == {
        "content-type", "accept", "authorization"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_cors_and_vary_on_results(live_server, method):
    if method == "GET":
        status, headers, _ = call(live_server, params={"query": "ASK {}"})
    else:
        status, headers, _ = call(live_server, "POST", body="ASK {}",
                                  headers={"Content-Type": "application/sparql-query"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept" in headers["Vary"]
    assert int(headers["Content-Length"]) > 0  # fully serialised: a length, not chunks


def test_direct_post_utf8_body(live_server):
    query = f'ASK {{ ?s <{SCHEMA}name> "Repair Café Ixelles"@fr }}'
    status, _, body = call(live_server, "POST", body=query,
                           headers={"Content-Type": "application/sparql-query; charset=utf-8"})
    assert status == 200 and json.loads(body)["boolean"] is True


def test_direct_post_invalid_utf8_is_400(live_server):
    status, _, body = call(live_server, "POST", body='ASK { ?s ?p "caf\xe9" }'.encode("latin-1"),
                           headers={"Content-Type": "application/sparql-query"})
    assert status == 400 and b"UTF-8" in body


def test_form_post_with_dataset_in_body(live_server):
    form = urlencode({"query": ORGS, "default-graph-uri": CATALOG})
    status, _, body = call(live_server, "POST", body=form,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and json.loads(body)["results"]["bindings"] == []


@pytest.mark.parametrize("params", [
    {"query": ["ASK {}", "ASK {}"]},
    {"query": "ASK {}", "update": "CLEAR ALL"},
    {"default-graph-uri": PUBLIC_GRAPH},
    {"query": "   "},
])
def test_bad_parameters_are_400(live_server, params):
    status, _, _ = call(live_server, params=params)
    assert status == 400


@pytest.mark.parametrize("body,content_type", [
    ("update=CLEAR+ALL", "application/x-www-form-urlencoded"),
    ("CLEAR ALL", "application/sparql-update"),
])
def test_anonymous_updates_are_refused(live_server, body, content_type):
    status, headers, text = call(live_server, "POST", body=body, headers={"Content-Type": content_type})
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert select(live_server, ORGS)  # nothing was cleared


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_evaluation_error_is_an_error_status_not_a_truncated_200(app, live_server):
    # SERVICE to an allowed but closed port fails during evaluation (pyoxigraph raises OSError).
    endpoint = f"http://127.0.0.1:{closed_port()}/sparql"
    app.config["MUTU"] = dataclasses.replace(app.config["MUTU"], service_allow=endpoint,
                                             service_allow_private=True)
    query = f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
    status, headers, body = call(live_server, params={"query": query},
                                 headers={"Accept": "application/sparql-results+json"})
    assert status == 500
    assert not headers["Content-Type"].startswith("application/sparql-results")
    assert b"query evaluation failed" in body


@pytest.mark.parametrize("clause", [
    "SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o }",
    "SERVICE SILENT <http://169.254.169.254/latest/meta-data> { ?s ?p ?o }",
    "SERVICE ?endpoint { ?s ?p ?o } VALUES ?endpoint { <http://127.0.0.1:1/> }",
    "SERVICE e:x { ?s ?p ?o }",
])
def test_service_is_refused_unless_allowed(live_server, clause):
    query = f"PREFIX e: <http://10.0.0.1/> SELECT * WHERE {{ {clause} }}"
    status, headers, body = call(live_server, params={"query": query})
    assert status == 403
    assert b"not allowed" in body


def test_service_description_names_this_endpoint(live_server):
    status, headers, body = call(live_server, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert f"<{live_server}/sparql>".encode() in body
    assert b"UnionDefaultGraph" in body
    assert PUBLIC_GRAPH.encode() in body and PRIVATE_GRAPH.encode() not in body
    assert "Accept" in headers["Vary"]


def test_browser_gets_the_query_form(live_server):
    status, headers, body = call(live_server, headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    html = body.decode()
    assert '<form method="get"' in html and '<textarea id="query" name="query"' in html
    assert '<label for="query">' in html and '<select id="format" name="format">' in html
    # JavaScript only enhances the form (YASGUI): external scripts from this server, none inline.
    assert all(re.match(r'<script src="/(vendor|static)/[^"]+" defer>$', tag)
               for tag in re.findall(r"<script[^>]*>", html))


def test_query_form_escapes_the_host(client):
    response = client.get("/sparql", headers={"Accept": "text/html",
                                              "Host": 'evil"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert b"<script>" not in response.data


def test_query_form_round_trip(live_server):
    """What the form submits (GET with query and format) is a valid request."""
    status, headers, body = call(live_server, params={"query": ORGS, "format": "tsv"},
                                 headers={"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/tab-separated-values")
