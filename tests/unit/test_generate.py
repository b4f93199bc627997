"""bench/generate.py: the synthetic data generator (CLI, counts, determinism, defects)."""

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "generate.py"
SHAPES = ROOT / "shapes" / "mutu.ttl"
TODAY = "2025-05-01"  # fixed, so outputs are byte-identical whatever the date

MUTU = "https://w3id.org/mutu/ns#"
SCHEMA = "https://schema.org/"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, timeout=120)


def generate(path: Path, triples: int, *extra: str) -> Path:
    proc = run("--triples", str(triples), "--out", str(path), "--today", TODAY, *extra)
    assert proc.returncode == 0, proc.stderr
    return path


def defects_of(path: Path) -> dict:
    return json.loads(Path(str(path) + ".defects.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("generate")


def test_count_and_parse_with_pyoxigraph(out):
    path = generate(out / "5k.nt", 5000)
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    assert abs(len(store) - 5000) <= 50
    lines = sum(1 for _ in path.open(encoding="utf-8"))
    assert len(store) == lines  # no duplicate triples
    assert 5000 <= lines <= 5050


def test_deterministic_for_a_seed(out):
    a = generate(out / "a.nt", 5000, "--seed", "7", "--invalid-share", "0.2")
    b = generate(out / "b.nt", 5000, "--seed", "7", "--invalid-share", "0.2")
    c = generate(out / "c.nt", 5000, "--seed", "8", "--invalid-share", "0.2")
    assert a.read_bytes() == b.read_bytes()
    assert defects_of(a) == defects_of(b)
    assert a.read_bytes() != c.read_bytes()


def test_defect_focus_nodes_exist(out):
    path = generate(out / "bad.nt", 5000, "--invalid-share", "0.5")
    defects = defects_of(path)
    assert defects
    assert set(defects.values()) == {
        "name-without-language", "invalid-postal-code", "coordinates-in-paris",
        "end-before-start", "organizer-is-place", "start-date-plain-string",
        "unknown-category", "two-fr-names"}
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    subjects = {q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None)
        if isinstance(q.subject, ox.NamedNode)}
    missing = [iri for iri in defects if iri not in subjects]
    assert not missing


def test_no_defects_without_invalid_share(out):
    path = generate(out / "valid.nt", 5000)
    assert defects_of(path) == {}


def test_rdflib_sees_the_expected_types(out):
    import rdflib
    from rdflib.namespace import RDF, SKOS

    path = generate(out / "2k.nt", 2000)
    graph = rdflib.Graph()
    graph.parse(str(path), format="nt")
    types = {o for o in graph.objects(None, RDF.type)}
    schema = rdflib.Namespace(SCHEMA)
    mutu = rdflib.Namespace(MUTU)
    for expected in (mutu.Alternative, schema.Organization, rdflib.URIRef("http://www.w3.org/ns/org#Organization"),
                     mutu.Place, schema.Place, schema.PostalAddress, schema.GeoCoordinates,
                     mutu.Event, schema.Event, mutu.Category, SKOS.Concept, mutu.Licence):
        assert expected in types, expected
    assert len(set(graph.subjects(RDF.type, mutu.Licence))) == 8
    assert 35 <= len(set(graph.subjects(RDF.type, mutu.Category))) <= 45
    # Every event's organiser is a generated alternative, every location a generated place.
    alternatives = set(graph.subjects(RDF.type, mutu.Alternative))
    places = set(graph.subjects(RDF.type, mutu.Place))
    events = set(graph.subjects(RDF.type, mutu.Event))
    assert len(events) > 3 * len(alternatives) > 0
    for event in events:
        assert set(graph.objects(event, schema.organizer)) <= alternatives
        assert set(graph.objects(event, schema.location)) <= places
    for place in places:
        for geo in graph.objects(place, schema.geo):
            lat = float(graph.value(geo, schema.latitude))
            lon = float(graph.value(geo, schema.longitude))
            assert 50.78 <= lat <= 50.90 and 4.28 <= lon <= 4.45
    for event in events:
        names = list(graph.objects(event, schema.name))
        assert {n.language for n in names} >= {"fr", "nl"}


def test_cli_errors_exit_2(out):
    assert run("--triples", "0", "--out", str(out / "x.nt")).returncode == 2
    assert run("--triples", "10", "--out", str(out / "x.nt"), "--invalid-share", "1.5").returncode == 2
    assert run("--out", str(out / "x.nt")).returncode == 2
    assert run("--triples", "10", "--out", str(out / "x.nt"), "--format", "ttl").returncode == 2
    help_ = run("--help")
    assert help_.returncode == 0 and "--invalid-share" in help_.stdout


# --- against the shapes (skipped until shapes/mutu.ttl exists) ---------------------------

needs_shapes = pytest.mark.skipif(not SHAPES.exists(), reason="shapes/mutu.ttl not written yet")


def violation_focus_nodes(path: Path) -> set:
    import pyshacl
    import rdflib

    data = rdflib.Graph()
    data.parse(str(path), format="nt")
    shapes = rdflib.Graph()
    shapes.parse(str(SHAPES), format="turtle")
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    return {str(report.value(result, sh.focusNode))
            for result in report.subjects(sh.resultSeverity, sh.Violation)}


@needs_shapes
def test_valid_output_has_no_violation(out):
    path = generate(out / "shacl-valid.nt", 3000)
    assert violation_focus_nodes(path) == set()


@needs_shapes
def test_every_defect_is_a_violation(out):
    path = generate(out / "shacl-invalid.nt", 3000, "--invalid-share", "0.5")
    defects = defects_of(path)
    focus = violation_focus_nodes(path)
    # A defect inside a place's address or coordinates may be reported on that node
    # (https://mutu.brussels/place/bench-7/address or .../geo) rather than on the place.
    undetected = {iri: kind for iri, kind in defects.items()
                  if iri not in focus and not any(f.startswith(iri + "/") for f in focus)}
    assert not undetected
