"""W3C SPARQL 1.1 Protocol tests, generated from shared/conformance/sparql11-protocol/, on a live server.

Every mf:ProtocolTest of protocol/manifest.ttl is one test: its ut:graphData files are loaded
into named graphs (with a catalog record, so they are visible), then its ht:Requests are sent
in order and each response is checked for mf:expectedStatus, mf:expectedFormat and
mf:expectedBoolean. Every request carries an admin token (with a default licence for the graphs
its updates create), so the update tests run like the query tests.

The three Service Description tests have no requests; they are checked by hand below.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, Namespace, URIRef
from rdflib.collection import Collection

from conftest import CC0, load_raw_graph, make_app, require_shared, shared_dir
from app.state import get_store

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")

MANIFEST = ("conformance", "sparql11-protocol", "protocol", "manifest.ttl")

STATUS_CLASSES = {HTS.StatusCode2xx: range(200, 300), HTS.StatusCode3xx: range(300, 400),
                  HTS.StatusCode4xx: range(400, 500), HTS.StatusCode5xx: range(500, 600)}
STATUS_CODES = {HTS.OK: 200, HTS.Created: 201, HTS.NoContent: 204, HTS.NotFound: 404}
RESULT_TYPES = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
                "application/sparql-results+xml": ox.QueryResultsFormat.XML,
                "text/csv": ox.QueryResultsFormat.CSV,
                "text/tab-separated-values": ox.QueryResultsFormat.TSV}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
             "application/ld+json": "json-ld", "application/n-quads": "nquads",
             "application/trig": "trig"}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: list
    expected_format: str | None
    expected_boolean: bool | None


@dataclass
class ProtocolTest:
    iri: str
    name: str
    requests: list[Request]
    graph_data: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        """True when the test sends an update (direct or URL-encoded)."""
        for r in self.requests:
            content_type = r.headers.get("content-type", "")
            if content_type.startswith("application/sparql-update") or \
                    (r.body or b"").startswith(b"update=") or "?update=" in r.path:
                return True
        return False

    @property
    def expects_success(self) -> bool:
        return any(HTS.StatusCode2xx in r.statuses or
                   STATUS_CODES.get(s, 0) // 100 == 2 for r in self.requests for s in r.statuses)


def _request(graph: rdflib.Graph, node) -> Request:
    headers = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for h in Collection(graph, header_list):
            headers[str(graph.value(h, HT.fieldName)).lower()] = str(graph.value(h, HT.fieldValue))
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    resp = graph.value(node, HT.resp)
    boolean = graph.value(resp, MF.expectedBoolean)
    fmt = graph.value(resp, MF.expectedFormat)
    path = str(graph.value(node, HT.absolutePath))
    assert path.startswith("/sparql/"), path
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path="/sparql" + path[len("/sparql/"):],  # our endpoint has no trailing slash
        headers=headers, body=body,
        statuses=list(graph.objects(resp, MF.expectedStatus)),
        expected_format=str(fmt) if fmt is not None else None,
        expected_boolean=boolean.toPython() if boolean is not None else None)


def load_manifest(path: Path) -> list[ProtocolTest]:
    """The manifest's protocol tests, in mf:entries order."""
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for test in Collection(graph, graph.value(manifest, MF.entries)):
        if (test, RDF.type, MF.ProtocolTest) not in graph:
            continue
        action = graph.value(test, MF.action)
        requests = [_request(graph, r) for r in Collection(graph, graph.value(action, HT.requests))]
        data = [(Path(urlsplit(str(graph.value(d, UT.graph))).path), str(graph.value(d, RDFS.label)))
                for d in graph.objects(test, UT.graphData)]
        tests.append(ProtocolTest(str(test), str(test).rsplit("#", 1)[-1], requests, data))
    return tests


def _params():
    root = shared_dir()
    path = root.joinpath(*MANIFEST) if root else None
    if path is None or not path.exists():
        return [pytest.param(None, id="manifest-missing")]
    params = []
    for test in load_manifest(path):
        params.append(pytest.param(test, id=test.name))
    return params


@pytest.fixture
def app(tmp_path):
    """An empty store: the protocol tests bring their own data."""
    app = make_app(tmp_path)
    yield app
    app.extensions["mutu.store"].close()


def admin_token(app) -> str:
    """A fresh admin token whose new graphs get CC0 (the W3C data carries no licence)."""
    return app.extensions["mutu.tokens"].create("w3c-admin", "admin", licence=CC0)


def send(base_url: str, request: Request) -> tuple[int, str, bytes]:
    """Send one request exactly as described (no implicit Content-Type)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(request.method, request.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def check_status(status: int, expected: list) -> bool:
    for value in expected:
        if value in STATUS_CLASSES and status in STATUS_CLASSES[value]:
            return True
        if value in STATUS_CODES and status == STATUS_CODES[value]:
            return True
        assert value in STATUS_CLASSES or value in STATUS_CODES, f"unknown status term {value}"
    return False


def check_body(request: Request, content_type: str, body: bytes) -> None:
    media = content_type.split(";")[0].strip().lower()
    if request.expected_format in ("boolean", "tabular"):
        allowed = (["application/sparql-results+json", "application/sparql-results+xml"]
                   if request.expected_format == "boolean" else list(RESULT_TYPES))
        assert media in allowed, f"{media} is not a {request.expected_format} format"
        results = ox.parse_query_results(body, format=RESULT_TYPES[media])
        if request.expected_format == "boolean":
            assert isinstance(results, ox.QueryBoolean)
        else:
            assert isinstance(results, ox.QuerySolutions)
            list(results)
    elif request.expected_format == "RDF":
        assert media in RDF_TYPES, f"{media} is not an RDF format"
        sink = rdflib.Dataset() if media in ("application/n-quads", "application/trig") else rdflib.Graph()
        sink.parse(data=body, format=RDF_TYPES[media])
    if request.expected_boolean is not None:
        if media == "application/sparql-results+json":
            assert json.loads(body)["boolean"] is request.expected_boolean
        else:
            results = ox.parse_query_results(body, format=RESULT_TYPES[media])
            assert bool(results) is request.expected_boolean


@pytest.mark.integration
@pytest.mark.parametrize("test", _params())
def test_protocol(test: ProtocolTest | None, app, live_server):
    if test is None:
        require_shared(*MANIFEST)
    with app.app_context():
        store = get_store()
        for path, graph in test.graph_data:
            triples = list(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
            load_raw_graph(store, graph, triples)
    token = admin_token(app)
    for i, request in enumerate(test.requests):
        request.headers["authorization"] = f"Bearer {token}"
        status, content_type, body = send(live_server, request)
        assert check_status(status, request.statuses), (
            f"request {i + 1}: status {status} not in {[str(s) for s in request.statuses]}: "
            f"{body[:300]!r}")
        if 200 <= status < 300:
            check_body(request, content_type, body)


def test_update_tests_are_classified():
    """The update tests expecting success are the seven below; the others expect a 4xx."""
    path = require_shared(*MANIFEST)
    tests = load_manifest(path)
    assert len(tests) == 34
    refused = sorted(t.name for t in tests if t.is_update and t.expects_success)
    assert refused == sorted([
        "update_dataset_default_graph", "update_dataset_default_graphs",
        "update_dataset_named_graphs", "update_dataset_full", "update_post_form",
        "update_post_direct", "update_base_uri"])
    for t in tests:
        if t.is_update and not t.expects_success:
            assert all(HTS.StatusCode4xx in r.statuses for r in t.requests), t.name


# -- Service Description (service-description/manifest.ttl), checked by hand -------------

SD_CLASSES = {SD[n] for n in ("Service", "Feature", "Language", "Function", "Aggregate",
                               "EntailmentRegime", "EntailmentProfile", "GraphCollection",
                               "Dataset", "Graph", "NamedGraph")}
SD_PROPERTIES = {SD[n] for n in (
    "endpoint", "feature", "defaultEntailmentRegime", "defaultSupportedEntailmentProfile",
    "supportedEntailmentProfile", "entailmentRegime", "extensionFunction", "extensionAggregate",
    "languageExtension", "supportedLanguage", "propertyFeature", "defaultDataset",
    "availableGraphs", "resultFormat", "inputFormat", "defaultGraph", "namedGraph", "name",
    "graph")}
SD_LANGUAGES = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
SD_FEATURES = {SD.DereferencesURIs, SD.UnionDefaultGraph, SD.RequiresDataset, SD.EmptyGraphs,
               SD.BasicFederatedQuery}


def fetch_description(base_url: str, accept: str | None) -> tuple[str, rdflib.Graph]:
    headers = {"Accept": accept} if accept else {}
    status, content_type, body = send(base_url, Request("GET", "/sparql", headers, None, [], None, None))
    assert status == 200, body
    media = content_type.split(";")[0].strip()
    assert media in RDF_TYPES, media
    graph = rdflib.Graph()
    graph.parse(data=body, format=RDF_TYPES[media])
    return media, graph


@pytest.mark.integration
@pytest.mark.parametrize("accept", [None, "*/*", "text/turtle", "application/rdf+xml",
                                    "application/ld+json", "application/n-triples"])
def test_sd_returns_rdf(app, live_server, accept):
    media, graph = fetch_description(live_server, accept)
    assert media == (accept if accept and accept != "*/*" else "text/turtle")
    assert len(graph) > 10


@pytest.mark.integration
def test_sd_has_endpoint_triple(app, live_server):
    _, graph = fetch_description(live_server, "text/turtle")
    services = list(graph.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    assert (services[0], SD.endpoint, URIRef(live_server + "/sparql")) in graph


@pytest.mark.integration
def test_sd_conforms_to_schema(app, live_server):
    _, graph = fetch_description(live_server, "text/turtle")
    for s, p, o in graph:
        if str(p).startswith(str(SD)):
            assert p in SD_PROPERTIES, f"{p} is not an SD property"
        if p == RDF.type and str(o).startswith(str(SD)):
            assert o in SD_CLASSES, f"{o} is not an SD class"
    service = next(graph.subjects(RDF.type, SD.Service))
    assert set(graph.objects(service, SD.supportedLanguage)) <= SD_LANGUAGES
    assert SD.SPARQL11Query in set(graph.objects(service, SD.supportedLanguage))
    assert set(graph.objects(service, SD.feature)) <= SD_FEATURES
    assert all(isinstance(f, URIRef) for f in graph.objects(service, SD.resultFormat))
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert graph.value(dataset, SD.defaultGraph) is not None
    for named in graph.objects(dataset, SD.namedGraph):
        assert isinstance(graph.value(named, SD.name), URIRef)
        assert (named, RDF.type, SD.NamedGraph) in graph
