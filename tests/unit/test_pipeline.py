"""The load pipeline on a real on-disk store: atomic replace, idempotence, catalog, bad input."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from app import catalog
from app.errors import InputError, InvalidData
from app.namespaces import DEFAULT_BASE_IRI as BASE
from app.pipeline import cleanup_orphans, load, load_file
from app.rdfio import normalise, parse
from app.store import QueryDataset, open_store

DATA = Path(__file__).resolve().parent.parent / "data"
GRAPH = BASE + "graph/test"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "store"))
    yield s
    s.close()


def graph_size(store, graph=GRAPH):
    return store.graph_size(graph)


def test_load_records_the_dataset_in_the_catalog(store):
    outcome = load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH, licence="CC-BY-4.0",
                        title="Test", publisher="Tests")
    assert outcome.status == "loaded"
    assert graph_size(store) == outcome.triples > 20
    record = catalog.find(store, BASE, GRAPH)
    assert record.licence == CC_BY
    assert record.visibility == "public"
    assert record.triples == outcome.triples
    assert len(record.sha256) == 64
    assert record.source == "alternatives-v1.ttl"
    assert record.publisher == "Tests"
    activity = store.select(
        "SELECT ?g ?a ?who WHERE { ?g <http://www.w3.org/ns/prov#wasGeneratedBy> ?a . "
        "?a <http://www.w3.org/ns/prov#wasAssociatedWith>/<http://xmlns.com/foaf/0.1/name> ?who }",
        dataset=QueryDataset((catalog.catalog_iri(BASE),), ()), bindings={"g": ox.NamedNode(GRAPH)})
    assert len(activity) == 1


def test_reloading_the_same_file_is_idempotent(store):
    path = str(DATA / "alternatives-v1.ttl")
    load_file(store, BASE, path, graph=GRAPH, licence="CC-BY-4.0")
    before = sorted(str(q) for q in store.graph_triples(GRAPH))
    record = catalog.find(store, BASE, GRAPH)
    again = load_file(store, BASE, path, graph=GRAPH)
    assert again.status == "unchanged"
    assert sorted(str(q) for q in store.graph_triples(GRAPH)) == before
    assert catalog.find(store, BASE, GRAPH) == record


def test_replacing_a_graph_keeps_only_the_new_content(store, tmp_path):
    load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH, licence="CC-BY-4.0")
    v2 = tmp_path / "v2.ttl"
    v2.write_text((DATA / "alternatives-v1.ttl").read_text().replace("Repair Café Test", "Repair Café Deux"))
    outcome = load_file(store, BASE, str(v2), graph=GRAPH)
    assert outcome.status == "loaded"
    names = {r["n"].value for r in store.select(
        "SELECT ?n WHERE { ?s <https://schema.org/name> ?n }", dataset=QueryDataset((GRAPH,), ()))}
    assert "Repair Café Deux" in names and "Repair Café Test" not in names
    # Blank nodes (address, coordinates) are replaced, not duplicated.
    assert graph_size(store) == outcome.triples
    assert catalog.find(store, BASE, GRAPH).licence == CC_BY


def test_invalid_data_changes_nothing(store):
    load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH, licence="CC-BY-4.0")
    before = sorted(str(q) for q in store.graph_triples(GRAPH))
    record = catalog.find(store, BASE, GRAPH)
    with pytest.raises(InvalidData) as caught:
        load_file(store, BASE, str(DATA / "invalid-event.ttl"), graph=GRAPH)
    report = caught.value.report
    assert not report.ok
    focus = {str(r.focus) for r in report.violations}
    assert "https://mutu.brussels/event/broken" in focus
    assert sorted(str(q) for q in store.graph_triples(GRAPH)) == before
    assert catalog.find(store, BASE, GRAPH) == record


def test_http_schema_org_is_normalised():
    triples = normalise(parse((DATA / "invalid-event.ttl").read_bytes(), "turtle"))
    iris = {t.predicate.value for t in triples} | {t.object.value for t in triples
                                                   if isinstance(t.object, ox.NamedNode)}
    assert not any(i.startswith("http://schema.org/") for i in iris)
    assert "https://schema.org/Event" in iris


def test_mutu_classes_imply_the_reused_classes():
    triples = normalise(parse((DATA / "alternatives-v1.ttl").read_bytes(), "turtle"))
    types = {(t.subject.value, t.object.value) for t in triples
             if t.predicate.value.endswith("#type") and isinstance(t.subject, ox.NamedNode)}
    alt = "https://mutu.brussels/alternative/test-repair-cafe"
    assert (alt, "https://schema.org/Organization") in types
    assert (alt, "http://www.w3.org/ns/org#Organization") in types


@pytest.mark.parametrize("name, message", [
    ("syntax-error.ttl", "line"),
    ("empty.ttl", "empty"),
    ("no-triples.ttl", "no triples"),
    ("utf16.nt", "UTF-16"),
    ("latin1.nt", "UTF-8"),
])
def test_bad_input_is_refused_with_a_clear_message(store, name, message):
    load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH, licence="CC-BY-4.0")
    before = sorted(str(q) for q in store.graph_triples(GRAPH))
    with pytest.raises(InputError) as caught:
        load_file(store, BASE, str(DATA / name), graph=GRAPH)
    text = caught.value.message + " " + (caught.value.detail or "")
    assert message.lower() in text.lower()
    assert name in caught.value.message
    assert sorted(str(q) for q in store.graph_triples(GRAPH)) == before


def test_oversized_and_missing_files_are_refused(store, tmp_path):
    with pytest.raises(InputError, match="over the limit"):
        load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), licence="CC0-1.0", max_bytes=100)
    with pytest.raises(InputError, match="cannot read"):
        load_file(store, BASE, str(tmp_path / "missing.ttl"), licence="CC0-1.0")
    with pytest.raises(InputError, match="format"):
        load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), fmt="yaml", licence="CC0-1.0")
    odd = tmp_path / "data.txt"
    odd.write_text("<a> <b> <c> .")
    with pytest.raises(InputError, match="--format"):
        load_file(store, BASE, str(odd), licence="CC0-1.0")
    assert store.is_empty()


def test_a_first_load_needs_a_licence(store):
    with pytest.raises(InputError, match="licence"):
        load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH)
    assert store.is_empty()


def test_an_unknown_licence_breaks_the_contract(store):
    with pytest.raises(InvalidData) as caught:
        load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH,
                  licence="https://example.org/my-licence")
    assert any(str(r.focus) == GRAPH for r in caught.value.report.violations)
    assert store.is_empty()


def test_dry_run_writes_nothing(store):
    outcome = load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH,
                        licence="CC-BY-4.0", dry_run=True)
    assert outcome.status == "dry-run"
    assert store.is_empty()


def test_every_rdf_syntax_loads_to_the_same_graph(store, tmp_path):
    source = ox.Store()
    source.load(path=str(DATA / "alternatives-v1.ttl"), format=ox.RdfFormat.TURTLE)
    counts = set()
    for ext, fmt in [("nt", ox.RdfFormat.N_TRIPLES), ("nq", ox.RdfFormat.N_QUADS),
                     ("trig", ox.RdfFormat.TRIG), ("jsonld", ox.RdfFormat.JSON_LD),
                     ("rdf", ox.RdfFormat.RDF_XML)]:
        path = tmp_path / f"same.{ext}"
        source.dump(str(path), format=fmt, **({} if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
                                              else {"from_graph": ox.DefaultGraph()}))
        graph = f"{BASE}graph/syntax-{ext}"
        outcome = load_file(store, BASE, str(path), graph=graph, licence="CC0-1.0")
        counts.add(outcome.triples)
        assert store.graph_size(graph) == outcome.triples
    assert len(counts) == 1


def test_orphan_graphs_from_interrupted_loads_are_dropped(store):
    orphan = ox.NamedNode(BASE + "graph/orphan")
    store.bulk_add([ox.Quad(ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p"), ox.Literal("x"), orphan)])
    load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH, licence="CC-BY-4.0")
    assert cleanup_orphans(store, BASE) == [orphan.value]
    assert store.graph_size(orphan.value) == 0
    assert store.graph_size(GRAPH) > 0


def test_references_to_other_graphs_are_resolved(store, tmp_path):
    load_file(store, BASE, str(DATA / "alternatives-v1.ttl"), graph=GRAPH, licence="CC-BY-4.0")
    event = tmp_path / "event.ttl"
    event.write_text("""
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://mutu.brussels/event/elsewhere> a schema:Event ;
  schema:name "Ailleurs"@fr ;
  schema:startDate "2030-04-01T10:00:00+02:00"^^xsd:dateTime ;
  schema:location <https://mutu.brussels/place/test-hall> ;
  schema:organizer <https://mutu.brussels/alternative/test-repair-cafe> .
""")
    outcome = load(store, BASE, event.read_bytes(), fmt="turtle", graph=BASE + "graph/events",
                   source="event.ttl", licence="CC0-1.0")
    assert outcome.status == "loaded"
    assert not outcome.report.violations
