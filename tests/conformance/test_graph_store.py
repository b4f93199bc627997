"""W3C SPARQL 1.1 Graph Store Protocol tests, generated from shared/conformance/, on a live server.

Each mf:GraphStoreProtocolTest of manifest-direct.ttl and manifest-indirect.ttl runs on a fresh,
empty store: its ht:Requests are sent in order (path prefix /gsp -> /graph-store) with an admin
token whose new graphs get CC0; each response is checked for mf:expectedStatus, the expected
content-type and, when given, a body isomorphic to the expected Turtle. A `Location` answered
where mf:expectedLocation is given replaces `$LOCATION$` in the later requests.

The W3C data is plain FOAF / vCard: Mutu's shapes target Mutu and schema.org classes only, so
it conforms as it is and goes through the same validated write path as any other data.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import rdflib
from rdflib import RDF, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from conftest import CC0, make_app, require_shared, shared_dir

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")

FOLDER = ("conformance", "sparql11-protocol", "graph-store-protocol")
MANIFESTS = ("manifest-direct.ttl", "manifest-indirect.ttl")
STATUS = {HTS.OK: {200}, HTS.Created: {201}, HTS.NoContent: {204}, HTS.NotFound: {404},
          HTS.StatusCode2xx: set(range(200, 300)), HTS.StatusCode4xx: set(range(400, 500))}


@dataclass
class Step:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]
    content_type: str | None
    expected_body: str | None
    location: bool


def _headers(graph, node) -> dict[str, str]:
    out = {}
    listing = graph.value(node, HT.headers)
    if listing is not None:
        for h in Collection(graph, listing):
            out[str(graph.value(h, HT.fieldName)).lower()] = str(graph.value(h, HT.fieldValue))
    return out


def _body(graph, node) -> bytes | None:
    body = graph.value(node, HT.body)
    if body is None:
        return None
    encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
    return str(graph.value(body, CNT.chars)).encode(encoding)


def load_tests(folder: Path) -> list[tuple[str, list[Step]]]:
    tests = []
    for name in MANIFESTS:
        graph = rdflib.Graph().parse(folder / name, format="turtle")
        manifest = next(graph.subjects(RDF.type, MF.Manifest))
        for test in Collection(graph, graph.value(manifest, MF.entries)):
            action = graph.value(test, MF.action)
            steps = []
            for request in Collection(graph, graph.value(action, HT.requests)):
                resp = graph.value(request, HT.resp)
                statuses = set()
                for s in graph.objects(resp, MF.expectedStatus):
                    statuses |= STATUS[s]
                path = str(graph.value(request, HT.absolutePath))
                assert path.startswith("/gsp"), path
                body = _body(graph, resp)
                steps.append(Step(
                    method=str(graph.value(request, HT.methodName)),
                    path="/graph-store" + path[len("/gsp"):],
                    headers=_headers(graph, request), body=_body(graph, request),
                    statuses=statuses, content_type=_headers(graph, resp).get("content-type"),
                    expected_body=body.decode("utf-8") if body else None,
                    location=graph.value(resp, MF.expectedLocation) is not None))
            tests.append((str(test).rsplit("#", 1)[-1], steps))
    return tests


def _params():
    root = shared_dir()
    folder = root.joinpath(*FOLDER) if root else None
    if folder is None or not folder.exists():
        return [pytest.param(None, None, id="manifests-missing")]
    return [pytest.param(name, steps, id=name) for name, steps in load_tests(folder)]


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.extensions["mutu.store"].close()


def send(base_url: str, step: Step, path: str, body: bytes | None, token: str):
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = dict(step.headers, authorization=f"Bearer {token}")
        connection.request(step.method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.integration
@pytest.mark.parametrize("name,steps", _params())
def test_graph_store_protocol(name, steps, app, live_server):
    if steps is None:
        require_shared(*FOLDER)
    token = app.extensions["mutu.tokens"].create("w3c-admin", "admin", licence=CC0)
    location = None
    for i, step in enumerate(steps):
        path, body = step.path, step.body
        if location is not None:
            path = path.replace("$LOCATION$", location)
            body = body.replace(b"$LOCATION$", location.encode()) if body else body
        status, headers, content = send(live_server, step, path, body, token)
        assert status in step.statuses, f"{name} request {i + 1} ({step.method} {path}): {status} {content[:300]!r}"
        if step.location:
            assert "location" in headers, f"{name} request {i + 1}: no Location header"
            location = headers["location"]
        if step.content_type and status < 300:
            assert headers["content-type"].replace(" ", "").lower() == \
                step.content_type.replace(" ", "").lower()
        if step.expected_body and step.method == "GET":
            expected = rdflib.Graph().parse(data=step.expected_body, format="turtle")
            actual = rdflib.Graph().parse(data=content, format="turtle")
            assert isomorphic(expected, actual), f"{name} request {i + 1}: graphs differ:\n{content.decode()}"
