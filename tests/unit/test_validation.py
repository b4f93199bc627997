"""Unit tests of app.validation: the report formats, context filtering, ok vs conforms, shapes."""

from __future__ import annotations

import json
import threading

import pytest
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

from app import resources
from app.errors import MutuError
from app.validation import (
    Report, ValidationResult, default_shapes, report_exit_code, validate,
)

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = rdflib.Namespace("https://schema.org/")
BASE = "https://mutu.brussels/"

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/shapes#> .
@prefix m: <https://mutu.brussels/> .
"""

SHAPES = PREFIXES + """
ex:Org a sh:NodeShape ;
  sh:targetClass schema:Organization ;
  sh:property [ sh:path schema:name ; sh:minCount 1 ;
                sh:datatype <http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> ;
                sh:languageIn ("fr" "nl" "en") ] ;
  sh:property [ sh:path schema:email ; sh:datatype xsd:string ;
                sh:message "The e-mail address must be a plain string" ] .

ex:Event a sh:NodeShape ;
  sh:targetClass schema:Event ;
  sh:property [ sh:path schema:organizer ; sh:minCount 1 ; sh:class schema:Organization ] .

ex:Place a sh:NodeShape ;
  sh:targetClass schema:Place ;
  sh:property [ sh:path ( schema:geo schema:latitude ) ; sh:maxCount 1 ;
                sh:datatype xsd:decimal ] ;
  sh:property [ sh:path schema:url ; sh:nodeKind sh:IRI ; sh:severity sh:Warning ] ;
  sh:property [ sh:path schema:telephone ; sh:minLength 4 ; sh:severity sh:Info ] .

ex:Inverse a sh:NodeShape ;
  sh:targetClass schema:Person ;
  sh:property [ sh:path [ sh:inversePath schema:member ] ; sh:minCount 1 ] ;
  sh:property [ sh:path [ sh:alternativePath ( schema:email schema:telephone ) ] ; sh:minCount 1 ] .
"""


def graph(turtle: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREFIXES + turtle, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(data=SHAPES, format="turtle")


@pytest.fixture(scope="module")
def mixed_report(shapes) -> Report:
    """Two violations and one warning on two resources."""
    data = graph("""
    m:alternative\\/a a schema:Organization ; schema:email 42 .
    m:place\\/p a schema:Place ; schema:url "not an iri" ;
        schema:geo [ schema:latitude "50.8"^^xsd:decimal, "x"^^xsd:decimal ] .
    """)
    return validate(data, shapes=shapes)


# --------------------------------------------------------------------------- results

def test_results_fields(mixed_report):
    by_component = {r.component.rsplit("#", 1)[-1]: r for r in mixed_report.results}
    name = by_component["MinCountConstraintComponent"]
    assert name.focus == URIRef(BASE + "alternative/a")
    assert name.path == "schema:name"
    assert name.path_node == SCHEMA.name
    assert name.value is None
    assert name.severity == "Violation"
    assert name.message == "schema:name must have at least 1 value"
    assert isinstance(name.shape, BNode)

    url = by_component["NodeKindConstraintComponent"]
    assert url.severity == "Warning"
    assert url.value == Literal("not an iri")
    assert url.message == "schema:url must be an IRI"

    seq = by_component["MaxCountConstraintComponent"]
    assert seq.path == "schema:geo / schema:latitude"
    assert isinstance(seq.path_node, BNode)
    assert seq.message == "schema:geo / schema:latitude must have at most 1 value"


def test_authored_message_wins(mixed_report):
    email = [r for r in mixed_report.results if r.path == "schema:email"]
    assert [r.message for r in email] == ["The e-mail address must be a plain string"]
    assert email[0].value == Literal(42)


def test_language_message(shapes):
    data = graph('m:alternative\\/b a schema:Organization ; schema:name "Atelier"@de .')
    report = validate(data, shapes=shapes)
    assert [r.message for r in report.results] == [
        "schema:name must be a language-tagged string in fr, nl or en"]
    assert report.results[0].value == Literal("Atelier", lang="de")


def test_inverse_and_alternative_paths(shapes):
    report = validate(graph("m:person a schema:Person ."), shapes=shapes)
    assert sorted(r.path for r in report.results) == [
        "(schema:email | schema:telephone)", "^schema:member"]


def test_ok_and_conforms_are_distinct(mixed_report, shapes):
    assert not mixed_report.conforms
    assert not mixed_report.ok
    assert report_exit_code(mixed_report) == 1
    assert len(mixed_report.violations) == 4
    assert len(mixed_report.warnings) == 1

    warnings_only = validate(graph('m:place\\/q a schema:Place ; schema:url "x" .'), shapes=shapes)
    assert [r.severity for r in warnings_only.results] == ["Warning"]
    assert warnings_only.ok and not warnings_only.conforms
    assert report_exit_code(warnings_only) == 0

    info_only = validate(graph('m:place\\/r a schema:Place ; schema:telephone "12" .'), shapes=shapes)
    assert [r.severity for r in info_only.results] == ["Info"]
    assert info_only.ok and not info_only.conforms
    assert info_only.violations == [] and info_only.warnings == []

    clean = validate(graph('m:alternative\\/c a schema:Organization ; schema:name "Mutu"@fr .'),
                     shapes=shapes)
    assert clean.conforms and clean.ok and clean.results == []
    assert report_exit_code(clean) == 0


# --------------------------------------------------------------------------- formats

def test_to_text(mixed_report):
    text = mixed_report.to_text()
    lines = text.splitlines()
    assert lines[0] == "4 violations, 1 warning"
    for expected in ("Violation: <https://mutu.brussels/alternative/a>",
                     "Warning: <https://mutu.brussels/place/p>",
                     "  path:    schema:name",
                     "  path:    schema:geo / schema:latitude",
                     '  value:   "not an iri"',
                     '  value:   "x"^^xsd:decimal',
                     "  message: schema:name must have at least 1 value"):
        assert expected in lines, expected
    # Sorted by severity, then focus node.
    severities = [line.split(":")[0] for line in lines if line.startswith(("Violation:", "Warning:"))]
    assert severities == ["Violation"] * 4 + ["Warning"]
    foci = [line.split(": ", 1)[1] for line in lines if line.startswith("Violation:")]
    assert foci == sorted(foci)


def test_to_text_when_clean(shapes):
    text = validate(rdflib.Graph(), shapes=shapes).to_text()
    assert text.startswith("0 violations, 0 warnings\n")
    assert "conforms" in text


def test_to_json(mixed_report):
    doc = json.loads(mixed_report.to_json())
    assert doc["conforms"] is False
    assert doc["violations"] == 4 and doc["warnings"] == 1
    assert len(doc["results"]) == 5
    for item in doc["results"]:
        assert set(item) == {"focus", "path", "value", "message", "severity", "component", "shape"}
    url = next(i for i in doc["results"] if i["path"] == "schema:url")
    assert url == {
        "focus": BASE + "place/p", "path": "schema:url", "value": '"not an iri"',
        "message": "schema:url must be an IRI", "severity": "Warning",
        "component": str(SH.NodeKindConstraintComponent), "shape": url["shape"],
    }
    assert url["shape"].startswith("_:")


def test_to_turtle_round_trips(mixed_report):
    parsed = rdflib.Graph().parse(data=mixed_report.to_turtle(), format="turtle")
    (report,) = parsed.subjects(RDF.type, SH.ValidationReport)
    assert parsed.value(report, SH.conforms) == Literal(False)
    results = list(parsed.objects(report, SH.result))
    assert len(results) == 5
    foci = {parsed.value(r, SH.focusNode) for r in results}
    assert foci == {URIRef(BASE + "alternative/a"), URIRef(BASE + "place/p")}
    messages = {str(m) for r in results for m in parsed.objects(r, SH.resultMessage)}
    assert messages == {r.message for r in mixed_report.results}  # same words as to_text
    severities = {parsed.value(r, SH.resultSeverity) for r in results}
    assert severities == {SH.Violation, SH.Warning}
    values = {parsed.value(r, SH.value) for r in results}
    assert Literal("not an iri") in values
    # The sequence path structure is carried along.
    seq = next(r for r in results if parsed.value(r, SH.sourceConstraintComponent) == SH.MaxCountConstraintComponent)
    path = parsed.value(seq, SH.resultPath)
    assert list(rdflib.collection.Collection(parsed, path)) == [SCHEMA.geo, SCHEMA.latitude]


def test_report_built_by_hand_has_a_graph():
    result = ValidationResult(focus=URIRef(BASE + "x"), path="schema:name", path_node=SCHEMA.name,
                              value=None, message="schema:name must have at least 1 value",
                              severity="Warning", component=str(SH.MinCountConstraintComponent),
                              shape=None)
    report = Report([result])
    assert report.ok and not report.conforms
    (node,) = report.graph.subjects(RDF.type, SH.ValidationResult)
    assert report.graph.value(node, SH.resultSeverity) == SH.Warning
    assert "1 warning" in report.to_text()


# --------------------------------------------------------------------------- context

def test_context_satisfies_references_and_is_not_reported(shapes):
    data = graph("m:event\\/e a schema:Event ; schema:organizer m:alternative\\/x .")
    context = graph("""
    m:alternative\\/x a schema:Organization .      # breaks ex:Org (no name), lives elsewhere
    """)
    alone = validate(data, shapes=shapes)
    assert [(r.focus, r.component) for r in alone.results] == [
        (URIRef(BASE + "event/e"), str(SH.ClassConstraintComponent))]

    together = validate(data, shapes=shapes, context=context)
    assert together.results == []
    assert together.conforms and together.ok
    # Without filtering, the context node would be reported.
    merged = validate(data + context, shapes=shapes)
    assert [r.focus for r in merged.results] == [URIRef(BASE + "alternative/x")]


def test_context_keeps_results_on_data_nodes(shapes):
    data = graph("""
    m:event\\/e a schema:Event ; schema:organizer m:alternative\\/x .
    m:alternative\\/y a schema:Organization .
    """)
    context = graph("m:alternative\\/x a schema:Organization .")
    report = validate(data, shapes=shapes, context=context)
    assert [(r.focus, r.path) for r in report.results] == [(URIRef(BASE + "alternative/y"), "schema:name")]
    # The graph is filtered the same way.
    (node,) = report.graph.subjects(RDF.type, SH.ValidationReport)
    results = list(report.graph.objects(node, SH.result))
    assert len(results) == 1
    assert report.graph.value(results[0], SH.focusNode) == URIRef(BASE + "alternative/y")
    assert report.graph.value(node, SH.conforms) == Literal(False)


def test_context_filtering_makes_the_graph_conform(shapes):
    data = graph('m:alternative\\/z a schema:Organization ; schema:name "Z"@nl .')
    context = graph("m:alternative\\/w a schema:Organization .")
    report = validate(data, shapes=shapes, context=context)
    assert report.conforms
    (node,) = report.graph.subjects(RDF.type, SH.ValidationReport)
    assert report.graph.value(node, SH.conforms) == Literal(True)
    assert list(report.graph.objects(node, SH.result)) == []


def test_context_does_not_modify_inputs(shapes):
    data = graph("m:event\\/e a schema:Event ; schema:organizer m:alternative\\/x .")
    context = graph("m:alternative\\/x a schema:Organization .")
    before = (len(data), len(context))
    validate(data, shapes=shapes, context=context)
    assert (len(data), len(context)) == before


# --------------------------------------------------------------------------- robustness

def test_ill_formed_literals_do_not_crash():
    shapes = rdflib.Graph().parse(data=PREFIXES + """
    ex:S a sh:NodeShape ; sh:targetNode m:n ;
      sh:property [ sh:path schema:p ; sh:hasValue "aldi"^^xsd:integer ] ;
      sh:property [ sh:path schema:q ; sh:datatype xsd:integer ] .
    """, format="turtle")
    data = graph('m:n schema:q "aldi"^^xsd:integer .')
    report = validate(data, shapes=shapes)
    assert sorted(r.path for r in report.violations) == ["schema:p", "schema:q"]
    assert '"aldi"^^xsd:integer' in report.to_text()
    json.loads(report.to_json())


def test_engine_errors_become_mutu_errors():
    shapes = rdflib.Graph().parse(data=PREFIXES + """
    ex:S a sh:NodeShape ; sh:targetNode m:n ; sh:property [ sh:path schema:p ; sh:minCount "many" ] .
    """, format="turtle")
    with pytest.raises(MutuError) as caught:
        validate(graph("m:n schema:p 1 ."), shapes=shapes)
    assert "SHACL validation could not run" in caught.value.message


# --------------------------------------------------------------------------- default shapes

def test_default_shapes_loads_every_file_in_shapes():
    paths = resources.files("shapes", "*.ttl")
    assert any(p.name == "mutu.ttl" for p in paths), "shapes/mutu.ttl is missing"
    shapes = default_shapes()
    assert shapes is default_shapes()  # cached
    for path in paths:
        one = rdflib.Graph().parse(path, format="turtle")
        ground = [t for t in one if not any(isinstance(x, BNode) for x in t)]
        assert all(t in shapes for t in ground), f"{path.name} not fully loaded"
    assert set(shapes.subjects(RDF.type, SH.NodeShape)), "no sh:NodeShape in shapes/"


def test_default_shapes_is_shared_between_threads():
    seen, errors = [], []

    def load():
        try:
            seen.append(default_shapes())
        except Exception as exc:  # reported below, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == 8 and all(g is seen[0] for g in seen)


def test_default_shapes_accept_empty_data_and_flag_a_nameless_alternative():
    assert validate(rdflib.Graph()).conforms
    data = rdflib.Graph()
    alternative = URIRef(BASE + "alternative/nameless")
    data.add((alternative, RDF.type, URIRef("https://w3id.org/mutu/ns#Alternative")))
    data.add((alternative, RDF.type, SCHEMA.Organization))
    report = validate(data)
    assert not report.ok
    assert any(r.focus == alternative and r.path == "schema:name" for r in report.violations)


def test_concurrent_validations_share_one_shapes_graph(shapes):
    data = graph("m:event\\/e a schema:Event . m:alternative\\/a a schema:Organization .")
    expected = validate(data, shapes=shapes).to_json()
    outputs, errors = [], []

    def run():
        try:
            for _ in range(5):
                outputs.append(validate(data, shapes=shapes).to_json())
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert outputs == [expected] * 20


def test_text_says_where_a_blank_focus_node_hangs():
    shapes = rdflib.Graph().parse(data=PREFIXES + """
    ex:Geo a sh:NodeShape ; sh:targetObjectsOf schema:geo ;
      sh:property [ sh:path schema:latitude ; sh:minCount 1 ] .
    """, format="turtle")
    report = validate(graph("m:place\\/p schema:geo [ schema:longitude 4.35 ] ."), shapes=shapes)
    (result,) = report.results
    assert isinstance(result.focus, BNode)
    assert f"Violation: _:{result.focus} (the schema:geo of <https://mutu.brussels/place/p>)" in report.to_text()
