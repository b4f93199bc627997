"""Leak probes: a private and a partners graph hold distinctive secrets; every path is tried.

The paths are not listed by hand: every GET route of app.url_map is requested (with each
URL argument filled with the secret records' slugs, and with query strings that name the
secret graphs), so routes added later are probed too. Each is asked by an anonymous
reader, a partner token and another collective's editor token, in several formats; the
SPARQL endpoint and the Graph Store get targeted queries on top. The private secret must
never appear; the partners secret only for the partner.
"""

from __future__ import annotations

import io
import itertools

import pytest
from flask import url_for

from conftest import BASE, PRIVATE_GRAPH, PUBLIC_GRAPH, SECRET_NAME, load_fixture
from app.state import get_store

PARTNERS_GRAPH = BASE + "graph/partners-only"
OTHER_GRAPH = BASE + "graph/other-collective"
PARTNERS_SECRET = "Cercle confidentiel"
PARTNERS_TTL = f"""
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
<https://mutu.brussels/alternative/cercle-confidentiel> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "{PARTNERS_SECRET}"@fr ;
    schema:email "cercle@confidentiel.example" .
"""
OTHER_TTL = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
<https://mutu.brussels/alternative/autre> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Autre collectif"@fr .
"""
# Data only: IRIs and slugs may be echoed from the request itself, which reveals nothing.
PRIVATE_MARKS = [SECRET_NAME.encode(), "ne veulent pas être publiés".encode()]
PARTNERS_MARKS = [PARTNERS_SECRET.encode(), b"cercle@confidentiel.example"]
SLUGS = ["jardin-secret", "cercle-confidentiel", "secret", "partners-only"]
EXTRA = [{}, {"q": "secret"}, {"graph": PRIVATE_GRAPH}, {"graph": PARTNERS_GRAPH},
         {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"}]
ACCEPTS = ["text/html", "application/json", "text/turtle", "*/*"]


@pytest.fixture
def probe_app(app):
    # A route that crashes answers 500 (its body is checked like any other), not an exception.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        store = get_store()
        load_fixture(store, PARTNERS_TTL, PARTNERS_GRAPH, visibility="partners")
        load_fixture(store, OTHER_TTL, OTHER_GRAPH, visibility="private")
    tokens = app.extensions["mutu.tokens"]
    viewers = {
        "anonymous": None,
        "partner": tokens.create("partner-site", "partner"),
        "other-editor": tokens.create("autre", "editor", [OTHER_GRAPH]),
    }
    return app, viewers


def urls(app) -> list[str]:
    """Every GET route, its arguments filled with the secret slugs, with probing query strings."""
    out = set()
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            for values in itertools.product(SLUGS, repeat=len(rule.arguments)):
                args = dict(zip(sorted(rule.arguments), values))
                for extra in EXTRA:
                    try:
                        out.add(url_for(rule.endpoint, **args, **extra))
                    except Exception:  # noqa: BLE001 - a converter refusing a value is no route
                        continue
    return sorted(out)


def _headers(token, accept):
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def test_the_probe_set_covers_the_routes(probe_app):
    app, _ = probe_app
    found = urls(app)
    assert any(u.startswith("/sparql") for u in found)
    assert any(u.startswith("/graph-store") for u in found)
    assert any(u.startswith("/changes") for u in found)


@pytest.mark.parametrize("who", ["anonymous", "partner", "other-editor"])
def test_no_route_leaks_secrets(probe_app, who):
    app, viewers = probe_app
    client = app.test_client()
    token = viewers[who]
    forbidden = PRIVATE_MARKS + ([] if who == "partner" else PARTNERS_MARKS)
    for url in urls(app):
        for accept in ACCEPTS:
            response = client.get(url, headers=_headers(token, accept))
            body = response.get_data()
            for mark in forbidden:
                assert mark not in body, f"{who} GET {url} ({accept}) -> {response.status_code} leaks {mark!r}"


SPARQL_PROBES = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"SELECT * WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ GRAPH <{PARTNERS_GRAPH}> {{ ?s ?p ?o }} }}",
    f"SELECT * FROM <{PRIVATE_GRAPH}> FROM <{PARTNERS_GRAPH}> WHERE {{ ?s ?p ?o }}",
    f"SELECT * FROM NAMED <{PRIVATE_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ GRAPH <{BASE}catalog> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ GRAPH <{BASE}log> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ GRAPH <{BASE}catalog/partners> {{ ?s ?p ?o }} }}",
    "SELECT ?x WHERE { ?a (<https://schema.org/name>|!<urn:x>)+ ?x }",
    "SELECT ?g WHERE { ?g a <https://w3id.org/mutu/ns#Dataset> }",
    f"DESCRIBE <{BASE}alternative/jardin-secret> <{BASE}alternative/cercle-confidentiel>",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"ASK {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}",
    "SELECT (GROUP_CONCAT(STR(?o)) AS ?all) WHERE { GRAPH ?g { ?s ?p ?o } }",
]


@pytest.mark.parametrize("who", ["anonymous", "partner", "other-editor"])
@pytest.mark.parametrize("query", SPARQL_PROBES)
def test_sparql_probes(probe_app, who, query):
    app, viewers = probe_app
    client = app.test_client()
    token = viewers[who]
    forbidden = PRIVATE_MARKS + ([] if who == "partner" else PARTNERS_MARKS)
    for params in ({}, {"default-graph-uri": PRIVATE_GRAPH}, {"named-graph-uri": PRIVATE_GRAPH}):
        response = client.get("/sparql", query_string={"query": query, **params},
                              headers=_headers(token, "*/*"))
        assert response.status_code == 200, response.get_data()
        for mark in forbidden:
            assert mark not in response.get_data(), (who, query, params)
        if query.startswith("ASK"):
            assert b"true" not in response.get_data()


def test_partner_sees_partners_graph(probe_app):
    app, viewers = probe_app
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"},
                                     headers=_headers(viewers["partner"], "text/csv"))
    assert PARTNERS_SECRET.encode() in response.get_data()
    assert SECRET_NAME.encode() not in response.get_data()


def test_owner_sees_its_private_graph(app):
    token = app.extensions["mutu.tokens"].create("jardin", "editor", [PRIVATE_GRAPH])
    client = app.test_client()
    response = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"},
                          headers=_headers(token, "text/csv"))
    assert SECRET_NAME.encode() in response.get_data()
    assert client.get("/graph-store", query_string={"graph": PRIVATE_GRAPH},
                      headers=_headers(token, "text/turtle")).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "partner", "other-editor"])
def test_graph_store_hides_what_one_may_not_read(probe_app, who):
    app, viewers = probe_app
    client = app.test_client()
    for graph in (PRIVATE_GRAPH, OTHER_GRAPH if who != "other-editor" else PRIVATE_GRAPH):
        response = client.get("/graph-store", query_string={"graph": graph},
                              headers=_headers(viewers[who], "text/turtle"))
        assert response.status_code == 404
    export = client.get("/graph-store", headers=_headers(viewers[who], "application/n-quads"))
    assert SECRET_NAME.encode() not in export.get_data()


def test_public_graph_is_readable_by_all(probe_app):
    app, _ = probe_app
    response = app.test_client().get("/graph-store", query_string={"graph": PUBLIC_GRAPH})
    assert response.status_code == 200 and b"Repair" in response.get_data()


def test_operator_dump_has_everything(app):
    with app.app_context():
        out = io.BytesIO()
        get_store().dump(out)
    assert SECRET_NAME.encode() in out.getvalue()
