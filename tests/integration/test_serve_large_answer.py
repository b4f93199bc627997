"""`mutu serve` sends a large SPARQL answer whole: pieces from the store worker, then waitress.

The answer (about 2.5 MB of JSON) is several of the worker's pieces and more than waitress's
own in-memory default, so both paths `mutu serve` sets up are crossed; it must equal, byte
for byte, what the embedded store serialises for the same query and dataset.
"""

import pyoxigraph as ox
import pytest
import requests

from app.store.embedded import STREAM_PIECE, EmbeddedStore
from conftest import BASE, load_raw_graph
from test_serve_memory import serve

pytestmark = pytest.mark.integration

GRAPH = BASE + "graph/large-answer"
QUERY = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
JSON = "application/sparql-results+json"


def test_a_large_answer_arrives_whole_and_identical(tmp_path):
    filler = "é" * 400
    triples = [ox.Triple(ox.NamedNode(f"{BASE}thing/{i:05}"), ox.NamedNode("https://schema.org/name"),
                         ox.Literal(f"{i} {filler}", language="fr")) for i in range(3000)]
    store = EmbeddedStore(str(tmp_path / "store"))
    try:
        load_raw_graph(store, GRAPH, triples)
        expected = store.run(QUERY, dataset=_only(GRAPH), choose=lambda kind: JSON).body
    finally:
        store.close()
    assert len(expected) > max(4 * STREAM_PIECE, 2 * 1024 * 1024)
    server = serve(tmp_path, MUTU_RESULT_CACHE_MB="0")
    try:
        port = _port(tmp_path)
        answer = requests.get(f"http://127.0.0.1:{port}/sparql", timeout=60,
                              params={"query": QUERY, "default-graph-uri": GRAPH},
                              headers={"Accept": JSON})
    finally:
        server.terminate()
        server.wait(30)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Length"] == str(len(expected))
    assert answer.content == expected
    assert len(answer.json()["results"]["bindings"]) == 3000


def _only(graph):
    from app.store import QueryDataset

    return QueryDataset((graph,), ())


def _port(tmp_path) -> int:
    import re

    log = (tmp_path / "serve.log").read_text()
    return int(re.search(r"http://[\d.]+:(\d+)/", log).group(1))
