"""Writes fail safely: wrong or revoked tokens, scope escapes, invalid data, oversize bodies.

Each refused request must answer the right status and leave the store byte-for-byte as it
was (compared with store.dump before and after).
"""

from __future__ import annotations

import io

import pytest

from conftest import BASE, PRIVATE_GRAPH, PUBLIC_GRAPH, SECRET_NAME
from app.state import get_store

OWN = BASE + "graph/own"
UPDATE = "application/sparql-update"
ALT = ('<https://mutu.brussels/alternative/own> a <https://w3id.org/mutu/ns#Alternative>, '
       '<https://schema.org/Organization>, <http://www.w3.org/ns/org#Organization> ; '
       '<https://schema.org/name> "Notre collectif"@fr')


@pytest.fixture
def ctx(app):
    tokens = app.extensions["mutu.tokens"]
    editor = tokens.create("own", "editor", [OWN], licence="https://creativecommons.org/publicdomain/zero/1.0/")
    revoked = tokens.create("gone", "admin")
    tokens.revoke("gone")
    client = app.test_client()
    client.get("/sparql?query=ASK{}")  # token events reach the log now, not during a probe
    return app, client, editor, revoked


def dump(app) -> bytes:
    with app.app_context():
        out = io.BytesIO()
        get_store().dump(out)
        return out.getvalue()


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ", "Basic abc", "Bearer mutu_x"])
def test_wrong_tokens_are_401_everywhere(ctx, header):
    app, client, _, _ = ctx
    before = dump(app)
    for method, url, kwargs in [("get", "/sparql?query=ASK{}", {}),
                                ("post", "/sparql", {"data": "CLEAR ALL", "content_type": UPDATE}),
                                ("put", f"/graph-store?graph={OWN}", {"data": f"{ALT} .", "content_type": "text/turtle"})]:
        response = getattr(client, method)(url, headers={"Authorization": header}, **kwargs)
        assert response.status_code == 401, (url, response.get_data())
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert dump(app) == before


def test_revoked_token_is_401(ctx):
    app, client, _, revoked = ctx
    before = dump(app)
    response = client.post("/sparql", data="CLEAR ALL", content_type=UPDATE, headers=auth(revoked))
    assert response.status_code == 401
    assert dump(app) == before


ESCAPES = [
    f"INSERT DATA {{ GRAPH <{PUBLIC_GRAPH}> {{ {ALT} }} }}",
    f"WITH <{PUBLIC_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    f"DELETE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }} USING NAMED <{PRIVATE_GRAPH}> WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}",
    "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "CLEAR ALL", "DROP NAMED", f"DROP GRAPH <{PUBLIC_GRAPH}>", f"CLEAR GRAPH <{PRIVATE_GRAPH}>",
    f"MOVE <{OWN}> TO <{PUBLIC_GRAPH}>", f"COPY <{PUBLIC_GRAPH}> TO <{BASE}graph/fixture2>",
    f"INSERT DATA {{ GRAPH <{BASE}catalog> {{ <urn:a> <urn:b> <urn:c> }} }}",
    f"INSERT DATA {{ {ALT} }}",  # the default graph is not in the editor's scope
    f"LOAD <http://127.0.0.1:1/x> INTO GRAPH <{OWN}>",
]


@pytest.mark.parametrize("update", ESCAPES)
def test_scope_escapes_are_403_and_change_nothing(ctx, update):
    app, client, editor, _ = ctx
    before = dump(app)
    response = client.post("/sparql", data=update, content_type=UPDATE, headers=auth(editor))
    assert response.status_code == 403, response.get_data()
    assert dump(app) == before


def test_reading_a_private_graph_into_ones_own_copies_nothing(ctx):
    app, client, editor, _ = ctx
    response = client.post("/sparql", content_type=UPDATE, headers=auth(editor), data=(
        f"INSERT {{ GRAPH <{OWN}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}"))
    assert response.status_code == 200
    assert SECRET_NAME.encode() not in client.get(f"/graph-store?graph={OWN}", headers=auth(editor)).get_data()


def test_anonymous_write_is_401(ctx):
    app, client, _, _ = ctx
    before = dump(app)
    assert client.post("/sparql", data=f"INSERT DATA {{ GRAPH <{OWN}> {{ {ALT} }} }}",
                       content_type=UPDATE).status_code == 401
    assert client.delete(f"/graph-store?graph={PUBLIC_GRAPH}").status_code == 401
    assert dump(app) == before


def test_invalid_write_is_422_with_report_and_changes_nothing(ctx):
    app, client, editor, _ = ctx
    before = dump(app)
    bad = ('<https://mutu.brussels/alternative/own> a <https://w3id.org/mutu/ns#Alternative>, '
           '<https://schema.org/Organization> ; <https://schema.org/name> "no language tag"')
    response = client.post("/sparql", data=f"INSERT DATA {{ GRAPH <{OWN}> {{ {bad} }} }}",
                           content_type=UPDATE, headers={**auth(editor), "Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["report"]
    response = client.put(f"/graph-store?graph={OWN}", data=bad + " .", content_type="text/turtle",
                          headers={**auth(editor), "Accept": "text/plain"})
    assert response.status_code == 422 and b"Violation" in response.get_data()
    assert dump(app) == before


def test_unknown_body_type_is_415_and_bad_syntax_400(ctx):
    app, client, editor, _ = ctx
    before = dump(app)
    assert client.put(f"/graph-store?graph={OWN}", data="x", content_type="image/png",
                      headers=auth(editor)).status_code == 415
    assert client.put(f"/graph-store?graph={OWN}", data="<a> <b", content_type="text/turtle",
                      headers=auth(editor)).status_code == 400
    assert client.post("/sparql", data="INSERT DATA {", content_type=UPDATE,
                       headers=auth(editor)).status_code == 400
    assert dump(app) == before


def test_oversize_body_is_413(ctx):
    app, client, editor, _ = ctx
    before = dump(app)
    big = "# " + "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/sparql", data=big, content_type=UPDATE, headers=auth(editor))
    assert response.status_code == 413
    assert dump(app) == before


def test_editor_writes_its_graph_and_the_change_is_public(ctx):
    app, client, editor, _ = ctx
    response = client.put(f"/graph-store?graph={OWN}", data=f"{ALT} .", content_type="text/turtle",
                          headers=auth(editor))
    assert response.status_code == 201 and response.headers["Location"] == OWN
    response = client.post("/sparql", content_type=UPDATE, headers=auth(editor), data=(
        f'INSERT DATA {{ GRAPH <{OWN}> {{ <https://mutu.brussels/alternative/own> '
        f'<https://schema.org/description> "On répare."@fr }} }}'))
    assert response.status_code == 200, response.get_data()
    log = client.get("/changes.json").get_json()["changes"]
    mine = [c for c in log if c.get("graph") == OWN]
    assert {c["action"] for c in mine} == {"graph-store", "update"} and all(c["who"] == "own" for c in mine)
    assert client.delete(f"/graph-store?graph={OWN}", headers=auth(editor)).status_code == 204
    assert client.get(f"/graph-store?graph={OWN}").status_code == 404
