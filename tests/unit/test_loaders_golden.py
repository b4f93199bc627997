"""Each loader's fixture -> graph, compared with rdflib.compare.isomorphic to a golden file.

The goldens were written by this module (MUTU_REGEN_GOLDEN=1) and then read by hand; a
change of output shows up as a failing comparison with the triples only on one side.
Conversions are also checked to be reproducible (same bytes, same triples) and valid.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from app.pipeline import shipped_context
from app.rdfterms import graph_from_triples
from app.validation import validate
from loaders import LoaderOptions, get, pick

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders"
GOLDEN = FIXTURES / "golden"

CASES = {
    "ical": ("agenda.ics", {"window_start": "2030-01-01", "organizer_name": "Collectif des alternatives"}),
    "csv": ("initiatives.csv", {"mapping": "initiatives.toml"}),
    "geojson": ("susy-belgium.geojson", {}),
    "osm": ("overpass.json", {}),
    "gogocarto": ("gogocarto.json", {"site": "https://transiscope.org"}),
    "kvm": ("kvm.json", {}),
}


def convert(name: str):
    fixture, extra = CASES[name]
    extra = dict(extra)
    if "mapping" in extra:
        extra["mapping"] = tomllib.loads((FIXTURES / extra["mapping"]).read_text("utf-8"))
    options = LoaderOptions(source=f"test-{name}", extra=extra, filename=fixture)
    return get(name).convert((FIXTURES / fixture).read_bytes(), options=options)


@pytest.mark.parametrize("name", sorted(CASES))
def test_loader_output_matches_its_golden_graph(name):
    graph = graph_from_triples(convert(name).triples)
    golden_path = GOLDEN / f"{name}.ttl"
    if os.environ.get("MUTU_REGEN_GOLDEN") == "1":
        golden_path.write_text(to_isomorphic(graph).serialize(format="turtle"), encoding="utf-8")
    golden = rdflib.Graph().parse(golden_path, format="turtle")
    if not isomorphic(graph, golden):
        _, only_new, only_golden = graph_diff(to_isomorphic(graph), to_isomorphic(golden))
        pytest.fail(f"{name}: output differs from {golden_path.name}\n"
                    f"only in output:\n{only_new.serialize(format='nt')}\n"
                    f"only in golden:\n{only_golden.serialize(format='nt')}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_bytes_give_the_same_triples(name):
    first, second = convert(name), convert(name)
    assert sorted(map(str, first.triples)) == sorted(map(str, second.triples))
    assert [r.subjects for r in first.records] == [r.subjects for r in second.records]


@pytest.mark.parametrize("name", sorted(CASES))
def test_loader_output_conforms_to_the_shapes(name):
    report = validate(graph_from_triples(convert(name).triples), context=shipped_context())
    assert report.ok, report.to_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_record_links_to_its_source(name):
    result = convert(name)
    graph = graph_from_triples(result.triples)
    dcterms = rdflib.Namespace("http://purl.org/dc/terms/")
    for record in result.records:
        main = sorted(s for s in record.subjects
                      if ("/alternative/" in s or "/event/" in s) and "#" not in s)
        assert main, record
        for subject in main:
            assert (rdflib.URIRef(subject), dcterms.source, None) in graph, subject


def test_names_are_language_tagged_from_the_source_hints():
    graph = graph_from_triples(convert("ical").triples)
    langs = {(str(o), o.language) for o in graph.objects(None, rdflib.URIRef("https://schema.org/name"))}
    assert ("Samen tuinieren in de moestuin", "nl") in langs
    assert ("Online general assembly", "en") in langs
    assert ("Marché gratuit", "fr") in langs  # no LANGUAGE parameter: the default language
    osm = graph_from_triples(convert("osm").triples)
    assert ("Repair Café Sint-Gillis", "nl") in {(str(o), o.language) for o in osm.objects()
                                                 if isinstance(o, rdflib.Literal)}


def test_ical_expands_repeats_minus_exdate_and_applies_overrides():
    graph = graph_from_triples(convert("ical").triples)
    q = """PREFIX schema: <https://schema.org/>
    SELECT ?start WHERE { ?e schema:name ?n ; schema:startDate ?start . FILTER(CONTAINS(STR(?n), "tuinieren")) }
    ORDER BY ?start"""
    starts = [str(r.start) for r in graph.query(q)]
    # Every Tuesday from 5 March, 4 times, minus 12 March; 19 March moved to 19:00.
    assert starts == ["2030-03-05T18:00:00+01:00", "2030-03-19T19:00:00+01:00", "2030-03-26T18:00:00+01:00"]


def test_ical_all_day_cancelled_event_and_rejections():
    result = convert("ical")
    graph = graph_from_triples(result.triples)
    schema = rdflib.Namespace("https://schema.org/")
    market = next(graph.subjects(schema.name, rdflib.Literal("Marché gratuit", lang="fr")))
    assert graph.value(market, schema.startDate) == rdflib.Literal("2030-04-20", datatype=rdflib.XSD.date)
    assert graph.value(market, schema.endDate) == rdflib.Literal("2030-04-21", datatype=rdflib.XSD.date)
    assert graph.value(market, schema.eventStatus) == schema.EventCancelled
    reasons = {r.id: reason for r, reason in result.rejected}
    assert "no Belgian postal code" in reasons["nowhere@collectif.example"]


def test_ical_matches_a_known_place_instead_of_creating_one():
    fixture, extra = CASES["ical"]
    known = [("https://mutu.brussels/place/maison-de-quartier-malibran", "Maison de quartier Malibran",
              "Rue de la Digue 10", "1050")]
    options = LoaderOptions(source="test-ical", extra=dict(extra), known_places=known)
    graph = graph_from_triples(get("ical").convert((FIXTURES / fixture).read_bytes(), options=options).triples)
    locations = set(graph.objects(None, rdflib.URIRef("https://schema.org/location")))
    assert rdflib.URIRef(known[0][0]) in locations


def test_categories_go_through_the_crosswalk():
    graph = graph_from_triples(convert("gogocarto").triples)
    cats = {str(o) for o in graph.objects(None, rdflib.URIRef("https://w3id.org/mutu/ns#category"))}
    assert {"https://mutu.brussels/category/food-agriculture",
            "https://mutu.brussels/category/food-cooperative",
            "https://mutu.brussels/category/communitycurrency"} <= cats


@pytest.mark.parametrize("fixture,expected", [
    ("agenda.ics", "ical"), ("initiatives.csv", "csv"), ("susy-belgium.geojson", "geojson"),
    ("overpass.json", "osm"), ("gogocarto.json", "gogocarto"), ("kvm.json", "kvm"),
])
def test_pick_by_extension_and_content(fixture, expected):
    head = (FIXTURES / fixture).read_bytes()[:8192]
    assert pick(fixture, head=head).name == expected
    if expected != "csv":  # CSV has no signature: only its extension or media type tells
        assert pick("download", head=head).name == expected


def test_pick_keeps_json_ld_on_the_rdf_loader():
    head = b'{"@context": {"schema": "https://schema.org/"}, "@id": "x"}'
    assert pick("data.json", head=head).name == "rdf"
    assert pick("data.ttl", head=b"@prefix x: <http://x/> .").name == "rdf"
