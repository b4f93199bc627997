"""Differential test: the SPARQL engine (app.shacl_sparql) against pyshacl, the reference.

Same data, same shapes, same context: both engines must give the same multiset of
(focus, path, component, severity, value). Data: generated records with injected defects
(bench/generate.py, ~20k triples, --invalid-share 0.2), the demo sources, tests/data/*.ttl.
Every defect the generator injected must be reported.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from app import shacl_sparql
from app.demo import demo_sources
from app.pipeline import shipped_context
from app.rdfio import normalise, parse
from app.rdfterms import graph_from_triples, triples_from_graph
from app.validation import default_shapes, validate, validate_triples

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def multiset(report) -> Counter:
    return Counter((r.focus, r.path, r.component, r.severity, r.value) for r in report.results)


def assert_same(data: rdflib.Graph, context: rdflib.Graph | None) -> tuple:
    reference = validate(data, context=context, engine="pyshacl")
    fast = validate(data, context=context, engine="sparql")
    assert reference.engine == "pyshacl" and fast.engine == "sparql"
    expected, actual = multiset(reference), multiset(fast)
    assert actual == expected, (f"only pyshacl: {expected - actual}\nonly sparql: {actual - expected}")
    return reference, fast


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "20k.nt"
    _generator().generate(20_000, str(out), invalid_share=0.2, seed=7, today=dt.date(2026, 11, 28),
                          log=open("/dev/null", "w"))
    triples = normalise(parse(out.read_bytes(), "ntriples", source=out.name))
    defects = json.loads(Path(str(out) + ".defects.json").read_text())
    return triples, defects


@pytest.fixture(scope="module")
def reference(generated):
    """pyshacl's report on the generated data (computed once: it is the slow part)."""
    triples, _ = generated
    return validate(graph_from_triples(triples), context=shipped_context(), engine="pyshacl")


def test_mutu_shapes_are_supported():
    assert shacl_sparql.supports(default_shapes())


def test_generated_data_with_defects(generated, reference):
    triples, defects = generated
    assert defects, "the generator injected no defect"
    fast = validate(graph_from_triples(triples), context=shipped_context(), engine="sparql")
    assert fast.engine == "sparql"
    assert multiset(fast) == multiset(reference)
    assert fast.to_text() == reference.to_text()
    reported = {str(r.focus) for r in fast.violations}
    missing = {focus: kind for focus, kind in defects.items() if focus not in reported}
    # bench/generate.py's "unknown" category slugs include repair-cafe, which the shipped
    # scheme (ontology/categories.ttl) knows: such a record has no defect at all.
    concept = "http://www.w3.org/2004/02/skos/core#Concept"
    known = {str(c) for c in shipped_context().subjects()} | {
        t.subject.value for t in triples if t.object == ox.NamedNode(concept)}
    category = "https://w3id.org/mutu/ns#category"
    not_defects = {t.subject.value for t in triples if t.predicate.value == category} - {
        t.subject.value for t in triples if t.predicate.value == category and t.object.value not in known}
    missing = {f: k for f, k in missing.items() if not (k == "unknown-category" and f in not_defects)}
    assert not missing, f"defects not reported: {missing}"


def test_triples_entry_point_matches(generated, reference):
    """validate_triples (the pipeline's path: pyoxigraph triples, no rdflib data graph)."""
    triples, _ = generated
    fast = validate_triples(triples, context=triples_from_graph(shipped_context()), engine="sparql")
    assert fast.engine == "sparql"
    assert multiset(fast) == multiset(reference)
    assert [r.message for r in fast.results] == [r.message for r in reference.results]
    assert [r.shape for r in fast.results] == [r.shape for r in reference.results]


@pytest.mark.parametrize("source", demo_sources(dt.date(2026, 11, 28)), ids=lambda s: s.name)
def test_demo_sources(source):
    triples = normalise(parse(source.data, source.format, source=source.source))
    assert_same(graph_from_triples(triples), shipped_context())


# The bad-input fixtures (syntax error, empty, no triples) have nothing to validate.
VALIDATABLE = [p for p in sorted((ROOT / "tests" / "data").glob("*.ttl"))
               if p.name not in ("syntax-error.ttl", "empty.ttl", "no-triples.ttl")]


@pytest.mark.parametrize("path", VALIDATABLE, ids=lambda p: p.name)
def test_test_data(path):
    data = rdflib.Graph().parse(path, format="turtle")
    for context in (None, shipped_context()):
        assert_same(data, context)


def test_unsupported_shapes_fall_back_to_pyshacl():
    shapes = rdflib.Graph().parse(data="""
    @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
    ex:S a sh:NodeShape ; sh:targetNode ex:a ;
      sh:sparql [ sh:select "SELECT $this WHERE { FILTER(false) }" ] .
    """, format="turtle")
    data = rdflib.Graph().parse(data="<https://example.org/a> <https://example.org/p> 1 .", format="turtle")
    assert not shacl_sparql.supports(shapes)
    assert validate(data, shapes=shapes, engine="sparql").engine == "pyshacl"


def test_engine_setting(monkeypatch):
    data = rdflib.Graph()
    monkeypatch.setenv("MUTU_SHACL_ENGINE", "pyshacl")
    assert validate(data).engine == "pyshacl"
    monkeypatch.setenv("MUTU_SHACL_ENGINE", "sparql")
    assert validate(data).engine == "sparql"
    monkeypatch.delenv("MUTU_SHACL_ENGINE")
    assert validate(data).engine == "sparql"


def test_ill_formed_and_derived_literals_from_triples():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    shapes = rdflib.Graph().parse(data="""
    @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;
      sh:property [ sh:path ex:p ; sh:datatype xsd:integer ] ;
      sh:property [ sh:path ex:q ; sh:datatype xsd:byte ] .
    """, format="turtle")
    n = ox.NamedNode
    triples = [ox.Triple(n("https://example.org/a"), n("https://example.org/p"), ox.Literal("x", datatype=n(xsd + "integer"))),
               ox.Triple(n("https://example.org/a"), n("https://example.org/p"), ox.Literal("5", datatype=n(xsd + "int"))),
               ox.Triple(n("https://example.org/a"), n("https://example.org/q"), ox.Literal("300", datatype=n(xsd + "byte"))),
               ox.Triple(n("https://example.org/b"), n("https://example.org/p"), ox.Literal("7", datatype=n(xsd + "integer"))),
               ox.Triple(n("https://example.org/b"), n("https://example.org/q"), ox.Literal("-3", datatype=n(xsd + "byte")))]
    fast = validate_triples(triples, shapes=shapes, engine="sparql")
    reference = validate(graph_from_triples(triples), shapes=shapes, engine="pyshacl")
    assert fast.engine == "sparql"
    assert multiset(fast) == multiset(reference)
    assert len(fast.results) == 3
