"""Shared fixtures: a real app on a real on-disk store, its test client, and a live server.

- `app`: create_app on a store in a temp dir, holding FIXTURE_TTL (valid Mutu data, loaded
  through the pipeline) in the public graph PUBLIC_GRAPH, and SECRET_TTL in the private
  graph PRIVATE_GRAPH.
- `client`: Flask's test client for `app`.
- `demo_app` / `demo_client`: one app per session on the demo dataset (read-only use).
- `live_server`: the same app served by waitress on a free loopback port; yields its base URL.
- `shared_dir()` / `require_shared()`: the ../shared folder (W3C suites, real data).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from app import catalog, create_app, pipeline
from app.namespaces import DEFAULT_BASE_IRI as BASE
from app.state import get_store

PUBLIC_GRAPH = BASE + "graph/fixture"
PRIVATE_GRAPH = BASE + "graph/secret"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"

# The prefixes of the Turtle fixtures written in the tests.
TTL_PREFIXES = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix alternative: <https://mutu.brussels/alternative/> .
@prefix place: <https://mutu.brussels/place/> .
@prefix event: <https://mutu.brussels/event/> .
@prefix category: <https://mutu.brussels/category/> .
"""

FIXTURE_TTL = TTL_PREFIXES + """

alternative:repair-cafe-ixelles a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Repair Café Ixelles"@fr, "Repair Café Elsene"@nl ;
    schema:description "On répare ensemble vos objets cassés."@fr ;
    mutu:category category:reduce-reuse-repair-recycle ;
    schema:location place:maison-de-quartier-malibran .

alternative:potager-collectif a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Potager collectif du Parc"@fr ;
    mutu:category category:food-agriculture ;
    schema:location place:maison-de-quartier-malibran .

place:maison-de-quartier-malibran a mutu:Place, schema:Place ;
    schema:name "Maison de quartier Malibran"@fr ;
    schema:address [
        a schema:PostalAddress ;
        schema:streetAddress "Rue de la Digue 10" ;
        schema:postalCode "1050" ;
        schema:addressLocality "Ixelles" ;
        schema:addressCountry "BE"
    ] ;
    schema:geo [
        a schema:GeoCoordinates ;
        schema:latitude "50.8320"^^xsd:decimal ;
        schema:longitude "4.3720"^^xsd:decimal
    ] .

event:repair-cafe-janvier a mutu:Event, schema:Event ;
    schema:name "Repair Café de janvier"@fr ;
    schema:description "Apportez vos objets cassés, on les répare ensemble."@fr ;
    schema:startDate "2030-01-18T14:00:00+01:00"^^xsd:dateTime ;
    schema:endDate "2030-01-18T17:00:00+01:00"^^xsd:dateTime ;
    schema:location place:maison-de-quartier-malibran ;
    schema:organizer alternative:repair-cafe-ixelles .
"""

# A private dataset: never visible to anonymous readers, whatever they ask.
SECRET_NAME = "Jardin secret"
SECRET_TTL = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .

<https://mutu.brussels/alternative/jardin-secret> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Jardin secret"@fr ;
    schema:description "Un jardin partagé dont les membres ne veulent pas être publiés."@fr .
"""


def load_fixture(store, data: str, graph: str, *, visibility: str = "public") -> None:
    """Load Mutu-shaped Turtle through the real pipeline (parse, validate, atomic replace)."""
    pipeline.load(store, BASE, data.encode(), fmt="turtle", graph=graph,
                  source=graph.rsplit("/", 1)[-1] + ".ttl", licence=CC0, title=graph,
                  visibility=visibility, who="tests")


def load_raw_graph(store, graph: str, triples: list[ox.Triple], *, visibility: str = "public",
                   base_iri: str = BASE) -> None:
    """Put arbitrary (not Mutu-shaped) triples in a graph with a catalog record, bypassing shapes.

    For W3C test data and other foreign graphs; the record makes the graph visible (or not).
    """
    meta = catalog.dataset_description(
        base_iri, graph, title=graph, licence=CC0, visibility=visibility, source=graph,
        publisher=None, who="tests", sha256="0" * 64, triples=len(triples),
        started=catalog.now(), ended=catalog.now())
    update = catalog.replace_description_update(base_iri, graph, meta)
    new = catalog.find(store, base_iri, graph) is None
    store.replace_graph(graph, triples, meta_update=update, graph_is_new=new)


def wait_for(predicate, seconds: float = 60.0, step: float = 0.02):
    """Poll `predicate` until it is true or `seconds` have passed; its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def make_app(tmp_path, **config):
    """A Mutu app on a fresh on-disk store in tmp_path."""
    return create_app({"store": str(tmp_path / "store"), **config})


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    app.config["TESTING"] = True
    with app.app_context():
        store = get_store()
        load_fixture(store, FIXTURE_TTL, PUBLIC_GRAPH)
        load_fixture(store, SECRET_TTL, PRIVATE_GRAPH, visibility="private")
    yield app
    app.extensions["mutu.store"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def demo_graph():
    """The demo's sources but the events (generated relative to today), read by rdflib."""
    import rdflib

    from app.demo import demo_sources

    g = rdflib.Graph()
    for source in demo_sources():
        if source.name != "events":
            g.parse(data=source.data, format="turtle")
    return g


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """One app per test session (per xdist worker) on the demo dataset; tests must not write to it."""
    from app.demo_load import load_demo

    app = make_app(tmp_path_factory.mktemp("demo"))
    app.config["TESTING"] = True
    with app.app_context():
        load_demo(get_store(), BASE)
    yield app
    app.extensions["mutu.store"].close()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


class LiveServer:
    """The real app under waitress on 127.0.0.1, in a background thread."""

    def __init__(self, app, threads: int = 4):
        import waitress

        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        from waitress import wasyncore

        self.server.task_dispatcher.shutdown()
        # Closing every channel of the server's socket map ends its asyncore loop; done in the
        # loop's own thread (a trigger thunk), or its select() may meet a closed descriptor.
        try:
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
            self.thread.join(timeout=5)
        except OSError:  # the trigger is already closed: the loop has ended or is ending
            pass
        if self.thread.is_alive() or self.server._map:
            wasyncore.close_all(self.server._map)
            self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """Base URL (no trailing slash) of the real app served on a free loopback port."""
    server = LiveServer(app).start()
    yield server.url
    server.stop()


def shared_dir() -> Path | None:
    """The shared folder (W3C suites, real data): $MUTU_SHARED, else the repo's sibling `shared`."""
    env = os.environ.get("MUTU_SHARED")
    path = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"
    return path if path.is_dir() else None


def require_shared(*parts: str) -> Path:
    """A path inside the shared folder; fails in CI when missing, skips locally."""
    root = shared_dir()
    path = root.joinpath(*parts) if root else None
    if path is None or not path.exists():
        where = path or "the shared folder (set MUTU_SHARED)"
        message = f"{where} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
