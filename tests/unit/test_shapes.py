"""The SHACL shapes (shapes/mutu.ttl), checked with pyshacl directly.

A small valid graph (an alternative, a place, an event, a dataset) must conform with no
result at all; then each rule is broken in turn and the expected result must show up with
the expected constraint component, severity and source shape.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import RDF, RDFS, Namespace, URIRef

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.namespaces import KNOWN_LICENCES  # noqa: E402

SH = Namespace("http://www.w3.org/ns/shacl#")
MUTUSH = Namespace("https://w3id.org/mutu/shapes#")
SHAPES_FILE = ROOT / "shapes" / "mutu.ttl"
CATEGORIES_FILE = ROOT / "ontology" / "categories.ttl"
SHACL_SHACL = Path("/work/shared/conformance/shacl-core/core/complex/shacl-shacl-data-shapes.ttl")
BUNDLED_SHACL_SHACL = Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl"

PREFIXES = """
@prefix mutu:    <https://w3id.org/mutu/ns#> .
@prefix schema:  <https://schema.org/> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix dcat:    <http://www.w3.org/ns/dcat#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix void:    <http://rdfs.org/ns/void#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix m:       <https://mutu.brussels/> .
"""

VALID = PREFIXES + """
m:alternative\\/repair-together a mutu:Alternative , schema:Organization , org:Organization ;
    schema:name "Repair Together"@fr , "Repair Together"@nl ;
    schema:description "Le réseau des repair cafés bruxellois."@fr ;
    schema:url <https://example.org/repair-together> ;
    schema:email "info@example.org" ;
    schema:telephone "+32 2 123 45 67" ;
    schema:location m:place\\/maison-de-quartier ;
    schema:foundingDate "2013"^^xsd:gYear ;
    mutu:category m:category\\/repair-cafe .

m:place\\/maison-de-quartier a mutu:Place , schema:Place ;
    schema:name "Maison de quartier des Marolles"@fr ;
    schema:address [ a schema:PostalAddress ;
        schema:streetAddress "Rue Haute 12" ;
        schema:postalCode "1000" ;
        schema:addressLocality "Bruxelles"@fr ;
        schema:addressCountry "BE" ] ;
    schema:geo [ a schema:GeoCoordinates ; schema:latitude 50.8400 ; schema:longitude 4.3500 ] .

m:event\\/repair-cafe-mardi a mutu:Event , schema:Event ;
    schema:name "Repair café du mardi"@fr , "Tuesday repair café"@en ;
    schema:description "Venez réparer vos objets avec des bénévoles."@fr ;
    schema:startDate "2025-03-04T18:30:00+01:00"^^xsd:dateTime ;
    schema:endDate "2025-03-04T21:00:00+01:00"^^xsd:dateTime ;
    schema:location m:place\\/maison-de-quartier ;
    schema:organizer m:alternative\\/repair-together ;
    schema:eventStatus schema:EventScheduled ;
    schema:inLanguage "fr" ;
    schema:isAccessibleForFree true ;
    mutu:rrule "FREQ=WEEKLY;BYDAY=TU" ;
    mutu:category m:category\\/repair-cafe .

m:graph\\/demo a mutu:Dataset , dcat:Dataset ;
    dcterms:title "Données de démonstration"@fr ;
    dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;
    mutu:visibility mutu:public ;
    dcterms:modified "2025-03-01T10:00:00Z"^^xsd:dateTime ;
    void:triples 42 ;
    mutu:sha256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" ;
    prov:wasGeneratedBy [ a prov:Activity ] .
"""

ALT = URIRef("https://mutu.brussels/alternative/repair-together")
PLACE = URIRef("https://mutu.brussels/place/maison-de-quartier")
EVENT = URIRef("https://mutu.brussels/event/repair-cafe-mardi")
DATASET = URIRef("https://mutu.brussels/graph/demo")

OTHER_SCHEME_CONCEPT = """
<https://example.org/cat/x> a skos:Concept ;
    skos:prefLabel "Something else"@en ;
    skos:inScheme <https://example.org/other-scheme> .
"""


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES_FILE, format="turtle")


@pytest.fixture(scope="module")
def categories() -> rdflib.Graph:
    return rdflib.Graph().parse(CATEGORIES_FILE, format="turtle")


def validate(text: str, shapes: rdflib.Graph, categories: rdflib.Graph):
    data = rdflib.Graph().parse(data=text, format="turtle")
    data += categories
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True)
    results = []
    # only the top-level results: nested sh:detail results are ValidationResults too
    for r in report.objects(None, SH.result):
        results.append({
            "component": report.value(r, SH.sourceConstraintComponent),
            "severity": report.value(r, SH.resultSeverity),
            "shape": report.value(r, SH.sourceShape),
            "focus": report.value(r, SH.focusNode),
            "message": report.value(r, SH.resultMessage),
        })
    return conforms, results


# --- the shapes graph itself -----------------------------------------------------------

@pytest.mark.parametrize("meta", [SHACL_SHACL, BUNDLED_SHACL_SHACL], ids=["w3c", "pyshacl"])
def test_shapes_conform_to_shacl_shacl(shapes, meta):
    if not meta.is_file():
        pytest.skip(f"{meta} not available")
    meta_graph = rdflib.Graph().parse(meta, format="turtle")
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=meta_graph, inference="none")
    assert conforms, text


def _named_and_property_shapes(shapes: rdflib.Graph) -> set:
    named = {s for s in shapes.subjects(RDF.type, SH.NodeShape)}
    named |= {s for s in shapes.subjects(RDF.type, SH.PropertyShape)}
    named |= set(shapes.objects(None, SH.property))
    return named


def test_every_shape_is_documented_with_a_message(shapes):
    all_shapes = _named_and_property_shapes(shapes)
    assert len(all_shapes) > 50
    for s in all_shapes:
        assert isinstance(s, URIRef) and s.startswith(str(MUTUSH)), s
        messages = [m for m in shapes.objects(s, SH.message) if m.language in (None, "en")]
        assert len(messages) == 1, s
        described = any(shapes.value(s, p) is not None
                        for p in (SH.name, SH.description, RDFS.comment))
        assert described, s
        assert shapes.value(s, SH.severity) in (SH.Violation, SH.Warning), s


def test_node_shapes_target_mutu_and_reused_classes(shapes):
    expected = {
        "AlternativeShape": {"https://w3id.org/mutu/ns#Alternative", "https://schema.org/Organization"},
        "PlaceShape": {"https://w3id.org/mutu/ns#Place", "https://schema.org/Place"},
        "EventShape": {"https://w3id.org/mutu/ns#Event", "https://schema.org/Event"},
        "DatasetShape": {"https://w3id.org/mutu/ns#Dataset", "http://www.w3.org/ns/dcat#Dataset"},
        "LicenceShape": {"https://w3id.org/mutu/ns#Licence"},
        "CategoryShape": {"https://w3id.org/mutu/ns#Category"},
    }
    for name, classes in expected.items():
        assert {str(c) for c in shapes.objects(MUTUSH[name], SH.targetClass)} == classes, name


def test_known_licences_in_shapes_match_namespaces(shapes):
    head = shapes.value(MUTUSH.DatasetKnownLicence, SH["in"])
    listed = {str(x) for x in rdflib.collection.Collection(shapes, head)}
    assert listed == set(KNOWN_LICENCES)


def test_licences_and_categories_conform(shapes, categories):
    data = rdflib.Graph().parse(ROOT / "ontology" / "licences.ttl", format="turtle")
    data += categories
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text


# --- the valid example -----------------------------------------------------------------

def test_valid_example_conforms_without_any_result(shapes, categories):
    conforms, results = validate(VALID, shapes, categories)
    assert conforms
    assert results == []


def test_results_carry_the_shape_message(shapes, categories):
    _, results = validate(VALID.replace('"1000"', '"123"'), shapes, categories)
    messages = {str(r["message"]) for r in results}
    assert any("Belgian postal code" in m for m in messages), messages


# --- each rule broken in turn ----------------------------------------------------------
# (id, text to replace in VALID, replacement, extra Turtle, component, severity, shape, focus)

V, W = SH.Violation, SH.Warning

CASES = [
    ("plain-string-name", '"Maison de quartier des Marolles"@fr', '"Maison de quartier des Marolles"', "",
     "DatatypeConstraintComponent", V, "NameLanguage", PLACE),
    ("two-fr-names", '"Tuesday repair café"@en', '"Repair café le mardi"@fr', "",
     "UniqueLangConstraintComponent", V, "NameUniqueLang", EVENT),
    ("name-in-german", '"Repair Together"@nl', '"Repair Together"@de', "",
     "LanguageInConstraintComponent", V, "NameLanguage", ALT),
    ("missing-name", 'schema:name "Maison de quartier des Marolles"@fr ;', "", "",
     "MinCountConstraintComponent", V, "NameRequired", PLACE),
    ("description-untagged", '"Le réseau des repair cafés bruxellois."@fr', '"Le réseau"', "",
     "DatatypeConstraintComponent", V, "DescriptionLanguage", ALT),
    ("postal-code-123", '"1000"', '"123"', "",
     "PatternConstraintComponent", V, "PostalCode", None),
    ("postal-code-in-place", '"1000"', '"123"', "",
     "NodeConstraintComponent", V, "PlaceAddress", PLACE),
    ("postal-code-as-integer", '"1000"', "1000", "",
     "DatatypeConstraintComponent", V, "PostalCode", None),
    ("missing-street", 'schema:streetAddress "Rue Haute 12" ;', "", "",
     "MinCountConstraintComponent", V, "StreetAddress", None),
    ("country-not-be", '"BE"', '"FR"', "",
     "InConstraintComponent", V, "AddressCountry", None),
    ("missing-address", "schema:address [", "schema:postalAddressOld [", "",
     "MinCountConstraintComponent", V, "PlaceAddress", PLACE),
    ("coordinates-in-paris", "schema:latitude 50.8400 ; schema:longitude 4.3500",
     "schema:latitude 48.8566 ; schema:longitude 2.3522", "",
     "MinInclusiveConstraintComponent", V, "LatitudeInBelgium", None),
    ("coordinates-in-paris-on-place", "schema:latitude 50.8400 ; schema:longitude 4.3500",
     "schema:latitude 48.8566 ; schema:longitude 2.3522", "",
     "NodeConstraintComponent", V, "PlaceGeo", PLACE),
    ("latitude-as-double", "schema:latitude 50.8400", "schema:latitude 5.084e1", "",
     "DatatypeConstraintComponent", V, "Latitude", None),
    ("two-latitudes", "schema:latitude 50.8400", "schema:latitude 50.8400 , 50.8500", "",
     "MaxCountConstraintComponent", V, "Latitude", None),
    ("place-without-coordinates", "schema:geo [", "schema:geoOld [", "",
     "MinCountConstraintComponent", W, "PlaceGeoRecommended", PLACE),
    ("end-before-start", '"2025-03-04T21:00:00+01:00"', '"2025-03-04T17:00:00+01:00"', "",
     "LessThanOrEqualsConstraintComponent", V, "EventEndNotBeforeStart", EVENT),
    ("start-without-time-zone", '"2025-03-04T18:30:00+01:00"', '"2025-03-04T18:30:00"', "",
     "OrConstraintComponent", V, "EventStartDate", EVENT),
    ("start-as-plain-text", '"2025-03-04T18:30:00+01:00"^^xsd:dateTime', '"4 mars 2025"', "",
     "OrConstraintComponent", V, "EventStartDate", EVENT),
    ("missing-start", 'schema:startDate "2025-03-04T18:30:00+01:00"^^xsd:dateTime ;', "", "",
     "MinCountConstraintComponent", V, "EventStartDate", EVENT),
    ("organiser-is-a-place", "schema:organizer m:alternative\\/repair-together",
     "schema:organizer m:place\\/maison-de-quartier", "",
     "ClassConstraintComponent", V, "EventOrganizer", EVENT),
    ("missing-organiser", "schema:organizer m:alternative\\/repair-together ;", "", "",
     "MinCountConstraintComponent", V, "EventOrganizer", EVENT),
    ("location-not-a-place", "schema:location m:place\\/maison-de-quartier ;\n    schema:organizer",
     "schema:location m:alternative\\/repair-together ;\n    schema:organizer", "",
     "OrConstraintComponent", V, "EventLocation", EVENT),
    ("location-as-text", "schema:location m:place\\/maison-de-quartier ;\n    schema:organizer",
     'schema:location "Rue Haute 12" ;\n    schema:organizer', "",
     "OrConstraintComponent", V, "EventLocation", EVENT),
    ("unknown-event-status", "schema:EventScheduled", "schema:EventMaybe", "",
     "InConstraintComponent", V, "EventStatus", EVENT),
    ("bad-rrule", '"FREQ=WEEKLY;BYDAY=TU"', '"every Tuesday"', "",
     "PatternConstraintComponent", V, "EventRecurrence", EVENT),
    ("bad-language", 'schema:inLanguage "fr"', 'schema:inLanguage "français"', "",
     "PatternConstraintComponent", V, "EventLanguage", EVENT),
    ("free-not-boolean", "schema:isAccessibleForFree true", 'schema:isAccessibleForFree "yes"', "",
     "DatatypeConstraintComponent", V, "EventFree", EVENT),
    ("event-without-description", 'schema:description "Venez réparer vos objets avec des bénévoles."@fr ;',
     "", "", "MinCountConstraintComponent", W, "EventDescriptionRecommended", EVENT),
    ("category-not-in-scheme", "mutu:category m:category\\/repair-cafe .\n\nm:place",
     "mutu:category <https://example.org/cat/x> .\n\nm:place", OTHER_SCHEME_CONCEPT,
     "NodeConstraintComponent", V, "CategoryValue", ALT),
    ("category-not-a-concept", "mutu:category m:category\\/repair-cafe .\n\nm:place",
     "mutu:category <https://example.org/cat/unknown> .\n\nm:place", "",
     "ClassConstraintComponent", V, "CategoryValue", ALT),
    ("alternative-without-category", "mutu:category m:category\\/repair-cafe .\n\nm:place",
     ".\n\nm:place", "",
     "MinCountConstraintComponent", W, "AlternativeCategoryRecommended", ALT),
    ("bad-email", '"info@example.org"', '"info at example"', "",
     "PatternConstraintComponent", V, "AlternativeEmail", ALT),
    ("url-as-text", "schema:url <https://example.org/repair-together>",
     'schema:url "https://example.org/repair-together"', "",
     "NodeKindConstraintComponent", V, "UrlIsIri", ALT),
    ("dataset-with-two-licences", "dcterms:license <https://creativecommons.org/licenses/by/4.0/>",
     "dcterms:license <https://creativecommons.org/licenses/by/4.0/> , <https://unlicense.org/>", "",
     "MaxCountConstraintComponent", V, "DatasetOneLicence", DATASET),
    ("unknown-licence", "<https://creativecommons.org/licenses/by/4.0/>",
     "<https://creativecommons.org/licenses/by-nd/4.0/>", "",
     "InConstraintComponent", V, "DatasetKnownLicence", DATASET),
    ("missing-licence", "dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;", "", "",
     "MinCountConstraintComponent", V, "DatasetOneLicence", DATASET),
    ("missing-visibility", "mutu:visibility mutu:public ;", "", "",
     "MinCountConstraintComponent", V, "DatasetVisibility", DATASET),
    ("unknown-visibility", "mutu:visibility mutu:public", "mutu:visibility mutu:everyone", "",
     "InConstraintComponent", V, "DatasetVisibility", DATASET),
    ("missing-dataset-title", 'dcterms:title "Données de démonstration"@fr ;', "", "",
     "MinCountConstraintComponent", V, "DatasetTitle", DATASET),
    ("modified-as-date", '"2025-03-01T10:00:00Z"^^xsd:dateTime', '"2025-03-01"^^xsd:date', "",
     "DatatypeConstraintComponent", V, "DatasetModified", DATASET),
    ("negative-triples", "void:triples 42", "void:triples -1", "",
     "MinInclusiveConstraintComponent", V, "DatasetTriples", DATASET),
    ("short-checksum", '"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"', '"e3b0c442"', "",
     "PatternConstraintComponent", V, "DatasetChecksum", DATASET),
    ("activity-untyped", "prov:wasGeneratedBy [ a prov:Activity ]", "prov:wasGeneratedBy [ prov:atTime 1 ]", "",
     "ClassConstraintComponent", V, "DatasetGeneratedBy", DATASET),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_broken_rule_is_reported(shapes, categories, case):
    _, old, new, extra, component, severity, shape, focus = case
    assert old in VALID, f"fixture text not found: {old!r}"
    conforms, results = validate(VALID.replace(old, new, 1) + extra, shapes, categories)
    wanted = [r for r in results
              if r["component"] == SH[component] and r["shape"] == MUTUSH[shape]
              and (focus is None or r["focus"] == focus)]
    assert wanted, results
    assert all(r["severity"] == severity for r in wanted), wanted
    assert all(r["message"] is not None for r in wanted), wanted
    has_violation = any(r["severity"] == SH.Violation for r in results)
    assert conforms is (not has_violation)
    if severity == SH.Violation:
        assert not conforms
    else:
        # a warning on its own never makes the data non-conforming
        assert conforms and not has_violation, results


def test_coordinates_in_liege_are_only_warnings(shapes, categories):
    text = VALID.replace("schema:latitude 50.8400 ; schema:longitude 4.3500",
                         "schema:latitude 50.6326 ; schema:longitude 5.5797")
    conforms, results = validate(text, shapes, categories)
    assert conforms
    assert {r["severity"] for r in results} == {SH.Warning}
    got = {(r["shape"], r["component"]) for r in results}
    assert got == {
        (MUTUSH.PlaceLatitudeInBrussels, SH.MinInclusiveConstraintComponent),
        (MUTUSH.PlaceLongitudeInBrussels, SH.MaxInclusiveConstraintComponent),
    }
    assert all("outside the Brussels-Capital region" in str(r["message"]) for r in results)


def test_coordinates_in_paris_are_a_violation_outside_belgium(shapes, categories):
    text = VALID.replace("schema:latitude 50.8400 ; schema:longitude 4.3500",
                         "schema:latitude 48.8566 ; schema:longitude 2.3522")
    conforms, results = validate(text, shapes, categories)
    assert not conforms
    violations = [r for r in results if r["severity"] == SH.Violation]
    assert any("outside Belgium" in str(r["message"]) for r in violations)
    assert {r["shape"] for r in violations} >= {MUTUSH.LatitudeInBelgium, MUTUSH.LongitudeInBelgium}


def test_partner_data_typed_only_with_schema_org_is_checked(shapes, categories):
    text = PREFIXES + """
    <https://partner.example/org/1> a schema:Organization ; schema:name "Plain name" .
    <https://partner.example/event/1> a schema:Event ;
        schema:name "Atelier"@fr ;
        schema:startDate "2025-03-04"^^xsd:date ;
        schema:location [ a schema:VirtualLocation ; schema:url <https://meet.example/x> ] ;
        schema:organizer <https://partner.example/org/1> .
    """
    conforms, results = validate(text, shapes, categories)
    assert not conforms
    assert any(r["shape"] == MUTUSH.NameLanguage
               and r["focus"] == URIRef("https://partner.example/org/1") for r in results)
    event_violations = [r for r in results if r["focus"] == URIRef("https://partner.example/event/1")
                        and r["severity"] == SH.Violation]
    assert event_violations == []


def test_date_only_events_compare_start_and_end(shapes, categories):
    ok = PREFIXES + """
    <https://partner.example/org/1> a schema:Organization ; schema:name "Collectif"@fr ;
        mutu:category m:category\\/community-garden .
    <https://partner.example/event/1> a schema:Event ;
        schema:name "Fête du potager"@fr ; schema:description "Deux jours au jardin."@fr ;
        schema:startDate "2025-06-14"^^xsd:date ; schema:endDate "2025-06-15"^^xsd:date ;
        schema:location [ a schema:VirtualLocation ] ;
        schema:organizer <https://partner.example/org/1> .
    """
    conforms, results = validate(ok, shapes, categories)
    assert conforms and results == []
    bad = ok.replace('"2025-06-15"', '"2025-06-13"')
    conforms, results = validate(bad, shapes, categories)
    assert not conforms
    assert [r["shape"] for r in results] == [MUTUSH.EventEndNotBeforeStart]


def test_category_with_label_in_wrong_language(shapes, categories):
    text = VALID + """
    m:category\\/repair-cafe skos:prefLabel "Reparaturcafé"@de .
    """
    conforms, results = validate(text, shapes, categories)
    assert not conforms
    assert {(r["shape"], r["component"]) for r in results} == {
        (MUTUSH.CategoryLabelLanguage, SH.LanguageInConstraintComponent)}
