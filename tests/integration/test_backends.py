"""The store-facing behaviour, identical on the embedded store, `oxigraph serve` and Virtuoso 7.

Each test runs once per backend (see remote_servers.backend). Results are compared as
values (rows, graphs up to blank-node renaming), never as bytes: servers order rows and
name blank nodes their own way.
"""

from __future__ import annotations

import io
import json
import threading

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic

from app import catalog, create_app
from app.access import query_dataset, visible_graphs
from app.errors import InvalidData, QuerySyntaxError, StoreUnavailable
from app.pipeline import cleanup_orphans, load
from app.rdfio import normalise, parse
from app.store import QueryDataset, open_store
from app.store import versions
from app.store.embedded import GRAPH_FORMATS, RESULT_FORMATS
from app.store.remote import STAGING_PREFIX, RemoteConfig, RemoteStore
from conftest import (BASE, CC0, FIXTURE_TTL, PRIVATE_GRAPH, PUBLIC_GRAPH, SECRET_NAME, SECRET_TTL,
                      LiveServer, load_fixture)
from remote_servers import (Versioned, backend, oxigraph_server, remote_settings,  # noqa: F401 (fixtures)
                            virtuoso_server)

pytestmark = pytest.mark.integration

SCHEMA = "https://schema.org/"
REPAIR = "https://mutu.brussels/alternative/repair-cafe-ixelles"
V2_TTL = FIXTURE_TTL.replace("Potager collectif du Parc", "Potager collectif du Parc Malibran") \
    .replace('"Repair Café Elsene"@nl', '"Repair Café Elsene"@nl, "Repair Café Ixelles"@en')
INVALID_TTL = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
<https://mutu.brussels/event/broken> a mutu:Event, schema:Event ; schema:name "Sans date"@fr .
"""


def fixture_store(store):
    load_fixture(store, FIXTURE_TTL, PUBLIC_GRAPH)
    load_fixture(store, SECRET_TTL, PRIVATE_GRAPH, visibility="private")
    return store


def as_graph(triples) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    return graph


def expected_graph(ttl: str) -> rdflib.Graph:
    """What the pipeline stores for `ttl`: parsed, normalised, with canonical literals
    (pyoxigraph stores "50.8320"^^xsd:decimal as 50.832, and so do the servers)."""
    memory = ox.Store()
    g = ox.NamedNode("urn:x-test:g")
    memory.extend(ox.Quad(t.subject, t.predicate, t.object, g)
                  for t in normalise(parse(ttl.encode(), "turtle", source="expected.ttl")))
    return as_graph([q.triple for q in memory.quads_for_pattern(None, None, None, g)])


def public_dataset(store) -> QueryDataset:
    return query_dataset(visible_graphs(store, BASE))


def row_values(rows) -> list[tuple]:
    """Rows as sorted tuples of N-Triples terms, blank nodes all written `_:`."""
    out = []
    for row in rows:
        out.append(tuple(sorted((k, "_:" if isinstance(v, ox.BlankNode) else str(v))
                                for k, v in row.items())))
    return sorted(out)


# -- pipeline --------------------------------------------------------------------------

def test_load_replace_and_reload(backend):
    name, store, _ = backend
    fixture_store(store)
    assert isomorphic(as_graph(store.graph_triples(PUBLIC_GRAPH)), expected_graph(FIXTURE_TTL))
    size = store.graph_size(PUBLIC_GRAPH)
    assert size == len(expected_graph(FIXTURE_TTL))

    again = load(store, BASE, FIXTURE_TTL.encode(), fmt="turtle", graph=PUBLIC_GRAPH,
                 source="fixture.ttl", licence=CC0, title=PUBLIC_GRAPH, visibility="public",
                 who="tests")
    assert again.status == "unchanged"
    assert store.graph_size(PUBLIC_GRAPH) == size

    replaced = load(store, BASE, V2_TTL.encode(), fmt="turtle", graph=PUBLIC_GRAPH,
                    source="fixture.ttl", licence=CC0, title=PUBLIC_GRAPH, visibility="public",
                    who="tests")
    assert replaced.status == "loaded"
    assert isomorphic(as_graph(store.graph_triples(PUBLIC_GRAPH)), expected_graph(V2_TTL))
    record = catalog.find(store, BASE, PUBLIC_GRAPH)
    assert record.triples == len(expected_graph(V2_TTL)) == store.graph_size(PUBLIC_GRAPH)
    # No staging graph is left behind, none is in the catalog, none is an orphan.
    assert not any(g.startswith(STAGING_PREFIX) for g in store.named_graphs())
    assert store.named_graphs() >= {PUBLIC_GRAPH, PRIVATE_GRAPH, catalog.catalog_iri(BASE)}
    assert cleanup_orphans(store, BASE) == []


def test_invalid_data_leaves_the_store_unchanged(backend):
    name, store, _ = backend
    fixture_store(store)
    before = io.BytesIO()
    store.dump(before)
    with pytest.raises(InvalidData):
        load(store, BASE, INVALID_TTL.encode(), fmt="turtle", graph=PUBLIC_GRAPH,
             source="broken.ttl", licence=CC0, who="tests")
    after = io.BytesIO()
    store.dump(after)
    assert quads_by_graph(before.getvalue()).keys() == quads_by_graph(after.getvalue()).keys()
    for graph, triples in quads_by_graph(before.getvalue()).items():
        assert isomorphic(triples, quads_by_graph(after.getvalue())[graph]), graph


def quads_by_graph(nquads: bytes) -> dict[str, rdflib.Graph]:
    graphs: dict[str, list] = {}
    for quad in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    return {g: as_graph(t) for g, t in graphs.items()}


def test_catalog_and_visibility(backend):
    name, store, _ = backend
    fixture_store(store)
    records = {d.graph: (d.visibility, d.licence, d.triples) for d in catalog.datasets(store, BASE)}
    assert records == {
        PUBLIC_GRAPH: ("public", CC0, len(expected_graph(FIXTURE_TTL))),
        PRIVATE_GRAPH: ("private", CC0, len(expected_graph(SECRET_TTL))),
    }
    visible = visible_graphs(store, BASE)
    assert PUBLIC_GRAPH in visible and PRIVATE_GRAPH not in visible
    assert not store.is_empty()


def test_a_visibility_change_by_another_writer_is_seen_at_once(backend):
    """Remote stores are shared by several workers: the catalog is never cached for them."""
    name, store, server = backend
    fixture_store(store)
    assert PUBLIC_GRAPH in visible_graphs(store, BASE)
    if server is None:
        other = store  # an embedded store has one writer: this object
    else:
        settings = remote_settings(server)
        other = open_store(settings.store, settings=settings)
    visibility = f"<{catalog.MUTU}visibility>"
    cat = f"<{catalog.catalog_iri(BASE)}>"
    # Graphs named one by one, as Mutu writes them (a versioned store refuses GRAPH ?var here).
    other.update(f"""DELETE {{ GRAPH {cat} {{ <{PUBLIC_GRAPH}> {visibility} ?v }} }}
        INSERT {{ GRAPH {cat} {{ <{PUBLIC_GRAPH}> {visibility} <{catalog.MUTU}private> }} }}
        WHERE {{ GRAPH {cat} {{ <{PUBLIC_GRAPH}> {visibility} ?v }} }} ;
        {catalog.refresh_views_update(BASE)}""")
    if other is not store:
        other.close()
    assert PUBLIC_GRAPH not in visible_graphs(store, BASE)


def test_dump_one_graph_and_all(backend):
    name, store, _ = backend
    fixture_store(store)
    out = io.BytesIO()
    store.dump(out, graph=PUBLIC_GRAPH)
    assert set(quads_by_graph(out.getvalue())) == {PUBLIC_GRAPH}
    assert isomorphic(quads_by_graph(out.getvalue())[PUBLIC_GRAPH], expected_graph(FIXTURE_TTL))
    out = io.BytesIO()
    store.dump(out)
    graphs = quads_by_graph(out.getvalue())
    assert set(graphs) >= {PUBLIC_GRAPH, PRIVATE_GRAPH, catalog.catalog_iri(BASE)}
    assert isomorphic(graphs[PRIVATE_GRAPH], expected_graph(SECRET_TTL))


# -- queries ---------------------------------------------------------------------------

NAMES_QUERY = """PREFIX schema: <https://schema.org/>
SELECT ?a ?name WHERE { ?a a <https://w3id.org/mutu/ns#Alternative> ; schema:name ?name }"""


SELECTS = [
    NAMES_QUERY,
    # Unbound variables are absent from rows; typed literals keep their (canonical) value.
    "PREFIX schema: <https://schema.org/> SELECT ?lat ?nothing WHERE "
    "{ ?g schema:latitude ?lat OPTIONAL { ?g schema:nope ?nothing } }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "PREFIX schema: <https://schema.org/> SELECT ?e ?start WHERE { ?e schema:startDate ?start "
    "FILTER(?start > \"2029-01-01T00:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>) }",
]
BOUND = [
    (NAMES_QUERY, {"a": ox.NamedNode(REPAIR)}),
    (NAMES_QUERY, {"name": ox.Literal("Repair Café Elsene", language="nl")}),
    (NAMES_QUERY, {"name": ox.Literal("Ein \"Zitat\" \\ und } { <x> # nicht", language="de")}),
]
ASKS = [f"ASK {{ <{REPAIR}> ?p ?o }}", "ASK { ?s <https://schema.org/nope> ?o }"]
CONSTRUCTS = ["CONSTRUCT WHERE { ?s <https://schema.org/address> ?a . ?a ?p ?o }",
              "CONSTRUCT { ?s <urn:x-test:in> ?g } WHERE { GRAPH ?g { ?s a <https://w3id.org/mutu/ns#Alternative> } }"]


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory):
    """The embedded store with the fixture: the results every backend must give."""
    store = fixture_store(open_store(str(tmp_path_factory.mktemp("reference") / "store")))
    yield store
    store.close()


def test_select_ask_construct(backend, reference_store):
    name, store, _ = backend
    fixture_store(store)
    dataset, expected_dataset = public_dataset(store), public_dataset(reference_store)
    assert dataset == expected_dataset
    for query in SELECTS:
        assert row_values(store.select(query, dataset=dataset)) == \
            row_values(reference_store.select(query, dataset=dataset)), (name, query)
    # Bindings: a VALUES block on remote stores, substitutions on the embedded one.
    for query, bindings in BOUND:
        assert row_values(store.select(query, dataset=dataset, bindings=bindings)) == \
            row_values(reference_store.select(query, dataset=dataset, bindings=bindings)), bindings
    assert {r["name"].value for r in store.select(*BOUND[0][:1], dataset=dataset, bindings=BOUND[0][1])} \
        == {"Repair Café Ixelles", "Repair Café Elsene"}
    for query in ASKS:
        assert store.ask(query, dataset=dataset) is reference_store.ask(query, dataset=dataset)
    for query in CONSTRUCTS:
        got = store.construct(query, dataset=dataset)
        assert isomorphic(as_graph(got), as_graph(reference_store.construct(query, dataset=dataset))), \
            (name, query)
        assert got, query
    # DESCRIBE is left to each server by SPARQL 1.1: Virtuoso adds the triples pointing at
    # the resource. Every backend gives at least the resource's own triples.
    described = {str(t) for t in store.construct(f"DESCRIBE <{REPAIR}>", dataset=dataset)}
    own = {str(t) for t in reference_store.construct(f"DESCRIBE <{REPAIR}>", dataset=dataset)}
    assert own and own <= described


def test_query_errors(backend):
    name, store, _ = backend
    with pytest.raises(QuerySyntaxError):
        store.select("SELEC * WHERE { ?s ?p ?o }", dataset=QueryDataset((), ()))
    with pytest.raises(QuerySyntaxError):
        store.ask("SELECT * WHERE { ?s ?p ?o }", dataset=QueryDataset((), ()))


def parsed(kind: str, media_type: str, body: bytes):
    """A comparable value of a serialised result."""
    if kind == "graph":
        fmt = GRAPH_FORMATS[media_type]
        triples = [q.triple for q in ox.parse(body, format=fmt)]
        return as_graph(triples)
    if media_type == "text/csv":
        return sorted(body.decode().replace("\r\n", "\n").strip().split("\n")[1:]) if kind == "solutions" \
            else body.decode().strip()
    results = ox.parse_query_results(body, format=RESULT_FORMATS[media_type])
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    return row_values(
        [{v.value: s[v.value] for v in results.variables if s[v.value] is not None} for s in results])


RUN_QUERIES = {
    "solutions": NAMES_QUERY,
    "boolean": f"ASK {{ <{REPAIR}> ?p ?o }}",
    "graph": "CONSTRUCT WHERE { ?s <https://schema.org/geo> ?g . ?g ?p ?o }",
}


@pytest.fixture(scope="module")
def reference_outputs(reference_store):
    """Every format of every kind on the embedded store: what the remote ones must match."""
    store = reference_store
    outputs = {}
    dataset = public_dataset(store)
    for kind, query in RUN_QUERIES.items():
        formats = GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
        for media_type in formats:
            out = store.run(query, dataset=dataset, choose=lambda k, m=media_type: m)
            outputs[kind, media_type] = (out.media_type, parsed(kind, media_type, out.body))
    return outputs


def test_run_in_every_format(backend, reference_outputs):
    name, store, _ = backend
    fixture_store(store)
    dataset = public_dataset(store)
    for (kind, media_type), (content_type, value) in reference_outputs.items():
        out = store.run(RUN_QUERIES[kind], dataset=dataset, choose=lambda k, m=media_type: m)
        assert out.kind == kind
        assert out.media_type == content_type
        got = parsed(kind, media_type, out.body)
        if kind == "graph":
            assert isomorphic(got, value), (name, media_type)
        else:
            assert got == value, (name, media_type)


# -- access ----------------------------------------------------------------------------

LEAKY_QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    f"SELECT * FROM <{PRIVATE_GRAPH}> WHERE {{ ?s ?p ?o }}",
    f"SELECT * FROM NAMED <{PRIVATE_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"SELECT * FROM <{PUBLIC_GRAPH}> FROM <{PRIVATE_GRAPH}> WHERE {{ ?s ?p ?o }}",
    f"CONSTRUCT {{ ?s ?p ?o }} FROM <{PRIVATE_GRAPH}> WHERE {{ ?s ?p ?o }}",
    f"DESCRIBE <https://mutu.brussels/alternative/jardin-secret>",
]


@pytest.fixture
def live_app(backend, tmp_path):
    name, store, server = backend
    fixture_store(store)
    location = server.location() if server else str(tmp_path / "store")
    app = create_app({"store": location}, store=store)
    live = LiveServer(app).start()
    yield name, live.url
    live.stop()


def test_sparql_endpoint_over_http(live_app):
    name, url = live_app
    response = requests.get(url + "/sparql", params={"query": NAMES_QUERY},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    names = {b["name"]["value"] for b in response.json()["results"]["bindings"]}
    assert names == {"Repair Café Ixelles", "Repair Café Elsene", "Potager collectif du Parc"}
    response = requests.post(url + "/sparql", data={"query": RUN_QUERIES["graph"]},
                             headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    assert (None, rdflib.URIRef(SCHEMA + "latitude"), None) in \
        rdflib.Graph().parse(data=response.text, format="turtle")
    response = requests.get(url + "/sparql", params={"query": "SELEC nothing"}, timeout=30)
    assert response.status_code == 400
    # A FROM inside a group is not SPARQL 1.1 (Virtuoso would honour it): 400 everywhere.
    response = requests.get(url + "/sparql", params={
        "query": f"SELECT * WHERE {{ {{ SELECT * FROM <{PRIVATE_GRAPH}> WHERE {{ ?s ?p ?o }} }} }}"},
        timeout=30)
    assert response.status_code == 400 and SECRET_NAME not in response.text


def test_private_graph_never_leaks(live_app):
    name, url = live_app
    for query in LEAKY_QUERIES:
        for params in ({}, {"default-graph-uri": PRIVATE_GRAPH}, {"named-graph-uri": PRIVATE_GRAPH},
                       {"default-graph-uri": PRIVATE_GRAPH, "named-graph-uri": PRIVATE_GRAPH}):
            accept = "text/turtle" if query.startswith(("CONSTRUCT", "DESCRIBE")) \
                else "application/sparql-results+json"
            response = requests.get(url + "/sparql", params={"query": query, **params},
                                    headers={"Accept": accept}, timeout=30)
            assert response.status_code == 200, (name, query, params, response.text[:300])
            for secret in (SECRET_NAME, "jardin-secret", "graph/secret"):
                assert secret not in response.text, (name, query, params)


# -- atomicity -------------------------------------------------------------------------

def test_a_failed_replace_changes_nothing(backend):
    """The graph and its record change together or not at all (a failing catalog update).

    On Virtuoso, which keeps the operations of a request that ran before a failing one, this
    holds because the new versions are never published (see versions.py)."""
    name, store, _ = backend
    fixture_store(store)
    before = {str(t) for t in store.graph_triples(PUBLIC_GRAPH) if not _blank(t)}
    record = catalog.find(store, BASE, PUBLIC_GRAPH)
    new = [ox.Triple(ox.NamedNode(REPAIR), ox.NamedNode(SCHEMA + "name"), ox.Literal("Nouveau"))]
    # Valid syntax, fails when applied: a graph that does not exist cannot be dropped.
    failing = "DROP GRAPH <urn:x-mutu:test:no-such-graph>"
    with pytest.raises(Exception):
        store.replace_graph(PUBLIC_GRAPH, new, meta_update=failing, graph_is_new=False)
    after = {str(t) for t in store.graph_triples(PUBLIC_GRAPH) if not _blank(t)}
    assert after == before
    assert catalog.find(store, BASE, PUBLIC_GRAPH) == record
    assert not any(g.startswith(STAGING_PREFIX) for g in _all_graphs(store))


def _blank(t):
    return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)


def _all_graphs(store):
    return {r["g"].value for r in store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
            if "g" in r}


def alternatives_nt(count: int, label: str) -> bytes:
    lines = []
    for i in range(count):
        a = f"<{BASE}alternative/iso-{i}>"
        lines += [f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/mutu/ns#Alternative> .",
                  f'{a} <https://schema.org/name> "{label} {i}"@fr .']
    return ("\n".join(lines) + "\n").encode()


def test_readers_see_old_or_new_graph(backend):
    """While a graph is replaced again and again, every read sees one whole version with its record."""
    name, store, server = backend
    graph = BASE + "graph/iso"
    sizes = {"a": 300, "b": 500}
    load(store, BASE, alternatives_nt(sizes["a"], "a"), fmt="ntriples", graph=graph,
         source="iso.nt", licence=CC0, who="tests")
    seen, errors, stop = [], [], threading.Event()
    query = (f"SELECT (COUNT(*) AS ?n) (SAMPLE(?v) AS ?name) WHERE {{ GRAPH <{graph}> "
             "{ ?s <https://schema.org/name> ?v } }")

    def reader():
        while not stop.is_set():
            try:
                row = store.select(query, dataset=QueryDataset((), (graph,)))[0]
                seen.append((int(row["n"].value), row["name"].value.split()[0]))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for round_ in range(6):
            label = "b" if round_ % 2 == 0 else "a"
            load(store, BASE, alternatives_nt(sizes[label], label), fmt="ntriples", graph=graph,
                 source="iso.nt", licence=CC0, who="tests")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors
    assert seen and set(seen) <= {(sizes["a"], "a"), (sizes["b"], "b")}, set(seen) - {(300, "a"), (500, "b")}


VERSIONED = pytest.mark.parametrize("backend", ["oxigraph-versioned", "virtuoso"], indirect=True)


@VERSIONED
def test_superseded_versions_are_dropped_after_the_grace_period(backend):
    """Old versions stay while a read may use them, then a later write drops them."""
    name, store, _ = backend
    graph = BASE + "graph/iso"
    store.version_grace = 0.0
    for label, count in (("a", 30), ("b", 20), ("c", 10)):
        load(store, BASE, alternatives_nt(count, label), fmt="ntriples", graph=graph,
             source="iso.nt", licence=CC0, who="tests")
    commits = store._commits()
    assert len(commits) == 1, [c.stamp for c in commits]
    current = set(commits[0].graphs.values())
    leftovers = {g for g in store._present_graphs()
                 if g.startswith(versions.PHYSICAL_PREFIX) and g not in current}
    assert not leftovers
    rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <https://schema.org/name> ?v } }",
                        dataset=QueryDataset((), (graph,)))
    assert int(rows[0]["n"].value) == 10
    assert catalog.find(store, BASE, graph).triples == store.graph_size(graph)


@VERSIONED
def test_a_graphs_triples_and_their_count_come_from_one_state(backend):
    """A write published between the two reads of graph_triples does not split them."""
    name, store, _ = backend
    graph = BASE + "graph/pinned"
    load(store, BASE, alternatives_nt(5, "p"), fmt="ntriples", graph=graph, source="p.nt",
         licence=CC0, who="tests")
    before = store.graph_triples(graph)
    original = store.construct

    def construct_then_another_write(*args, **kwargs):
        out = original(*args, **kwargs)
        store.construct = original
        # Another worker's write lands now, before the count is read (its own thread, as a
        # separate process would).
        other = threading.Thread(target=load, args=(store, BASE, alternatives_nt(8, "q")),
                                 kwargs=dict(fmt="ntriples", graph=graph, source="q.nt",
                                             licence=CC0, who="tests"))
        other.start()
        other.join(60)
        return out

    store.construct = construct_then_another_write
    try:
        triples = store.graph_triples(graph)
    finally:
        store.construct = original
    assert len(triples) == len(before)  # the state it started reading, counted in that state
    assert len(store.graph_triples(graph)) > len(before)  # the new state afterwards


@VERSIONED
def test_concurrent_writers_lose_no_write(backend):
    """Two workers loading different graphs at once: each publication builds on the other's."""
    name, store, server = backend
    settings = remote_settings(Versioned(server) if name.endswith("-versioned") else server)
    other = open_store(settings.store, settings=settings)
    other._write_lock = threading.Lock()  # as in another worker process: no shared lock
    graphs = [BASE + "graph/left", BASE + "graph/right"]
    errors = []

    def writer(target, graph):
        try:
            for round_ in range(3):
                load(target, BASE, alternatives_nt(5 + round_, graph[-4:]), fmt="ntriples",
                     graph=graph, source=graph[-5:] + ".nt", licence=CC0, who="tests")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(s, g)) for s, g in zip((store, other), graphs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    other.close()
    assert not errors
    for graph in graphs:
        record = catalog.find(store, BASE, graph)
        assert record is not None and record.triples == store.graph_size(graph), graph
        rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <https://schema.org/name> ?v } }",
                            dataset=QueryDataset((), (graph,)))
        assert int(rows[0]["n"].value) == 7, graph  # the last round of each writer


# -- configuration and failures --------------------------------------------------------

def test_store_down_is_503(tmp_path):
    from remote_servers import free_port

    store = RemoteStore(RemoteConfig(query_url=f"http://127.0.0.1:{free_port()}/query",
                                     update_url=None, store_url=None, timeout=5))
    with pytest.raises(StoreUnavailable) as caught:
        store.select("SELECT * WHERE { ?s ?p ?o }")
    assert caught.value.status == 503
    app = create_app({"store": "sparql+http://127.0.0.1:9/#oxigraph"}, store=store)
    response = app.test_client().get("/sparql", query_string={"query": "ASK {}"},
                                     headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert json.loads(response.data)["error"] == "StoreUnavailable"


def test_wrong_password_is_502(virtuoso_server):
    server, reason = virtuoso_server
    if server is None:
        from remote_servers import missing

        missing(reason)
    from remote_servers import remote_settings

    settings = remote_settings(server, remote_password="wrong")
    store = open_store(settings.store, settings=settings)
    with pytest.raises(StoreUnavailable) as caught:
        store.update("INSERT DATA { GRAPH <https://mutu.brussels/graph/x> { <urn:a> <urn:b> <urn:c> } }")
    assert caught.value.status == 502
