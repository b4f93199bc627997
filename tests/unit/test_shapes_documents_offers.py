"""The shapes of shared documents, offers and requests (shapes/mutu.ttl, issue 7).

A valid document, offer and request conform with no result at all; then each rule is broken in
turn and the expected result (shape, constraint component, severity) must show up, on both
validation engines (pyshacl, the reference, and the SPARQL engine). Warnings and violations are
told apart deliberately: a missing summary, link, category, description or conditions is only a
warning; a missing or unknown licence, a missing author, a wrong kind or a negative price is a
violation.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import rdflib
from rdflib import Namespace
from rdflib.collection import Collection

from app.namespaces import KNOWN_LICENCES
from app.resources import folder
from app.validation import validate

SH = Namespace("http://www.w3.org/ns/shacl#")
MUTUSH = Namespace("https://w3id.org/mutu/shapes#")
ENGINES = ["pyshacl", "sparql"]

PREFIXES = """
@prefix mutu:    <https://w3id.org/mutu/ns#> .
@prefix schema:  <https://schema.org/> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix m:       <https://mutu.brussels/> .
"""

# Context: the alternative the records point to (kept in another graph in a real store).
CONTEXT = PREFIXES + """
m:alternative\\/outilotheque a mutu:Alternative , schema:Organization , org:Organization ;
    schema:name "Outilothèque"@fr .
m:alternative\\/not-an-org schema:name "Just a name"@fr .
"""

DOCUMENT = PREFIXES + """
m:document\\/guide a mutu:Document , schema:CreativeWork , schema:HowTo ;
    schema:name "Guide du prêt d'outils"@fr , "Gids voor het uitlenen van gereedschap"@nl , "Tool lending guide"@en ;
    schema:abstract "Comment prêter des outils."@fr , "Hoe gereedschap uitlenen."@nl , "How to lend tools."@en ;
    schema:description "Un guide complet."@fr ;
    schema:author m:alternative\\/outilotheque ;
    schema:about m:alternative\\/outilotheque ;
    mutu:category m:category\\/lending-central ;
    schema:inLanguage "fr" , "nl" ;
    dcterms:license <https://creativecommons.org/licenses/by-sa/4.0/> ;
    schema:datePublished "2025-09-15"^^xsd:date ;
    schema:url <https://example.org/guide.pdf> .
"""

OFFER = PREFIXES + """
m:offer\\/sono a mutu:Offer , schema:Offer ;
    schema:name "Sono à prêter"@fr , "Geluidsinstallatie te leen"@nl , "Sound system to borrow"@en ;
    schema:description "Deux enceintes et deux micros."@fr , "Twee boxen en twee micro's."@nl , "Two speakers, two microphones."@en ;
    mutu:offerKind mutu:equipment ;
    schema:offeredBy m:alternative\\/outilotheque ;
    mutu:conditions mutu:paid ;
    schema:price 10.00 ;
    schema:priceCurrency "EUR" ;
    schema:availabilityStarts "2026-01-01"^^xsd:date ;
    schema:availabilityEnds "2026-12-31"^^xsd:date ;
    mutu:availability "Le week-end"@fr , "In het weekend"@nl , "At weekends"@en ;
    schema:email "pret@example.org" ;
    schema:telephone "+32 2 555 01 12" ;
    mutu:category m:category\\/lending-central .
"""

REQUEST = PREFIXES + """
m:request\\/site a mutu:Request , schema:Demand ;
    schema:name "Aide pour notre site web"@fr , "Hulp voor onze website"@nl , "Help with our website"@en ;
    schema:description "Passer à un outil libre."@fr ;
    mutu:offerKind mutu:skill ;
    mutu:soughtBy m:alternative\\/outilotheque ;
    mutu:conditions mutu:exchange ;
    schema:email "site@example.org" .
"""

VALID = {"document": DOCUMENT, "offer": OFFER, "request": REQUEST}


def _context() -> rdflib.Graph:
    graph = rdflib.Graph().parse(folder("ontology") / "categories.ttl", format="turtle")
    graph.parse(data=CONTEXT, format="turtle")
    return graph


CONTEXT_GRAPH = _context()


def run(text: str, engine: str):
    data = rdflib.Graph().parse(data=text, format="turtle")
    return validate(data, context=CONTEXT_GRAPH, engine=engine)


def found(report) -> set[tuple[str, str, str]]:
    return {(str(r.shape).rsplit("#", 1)[-1], r.component.rsplit("#", 1)[-1].replace("ConstraintComponent", ""),
             r.severity) for r in report.results}


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def drop(text: str, pattern: str) -> str:
    """Remove the line (one property and its values) starting with `pattern`."""
    lines = text.splitlines()
    index = [i for i, line in enumerate(lines) if line.strip().startswith(pattern)]
    assert len(index) == 1, pattern
    if lines[index[0]].rstrip().endswith(" ."):  # the last property: the previous one ends the record
        lines[index[0] - 1] = lines[index[0] - 1].rstrip().removesuffix(";").rstrip() + " ."
    del lines[index[0]]
    return "\n".join(lines) + "\n"


# --- the shapes graph -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(folder("shapes") / "mutu.ttl", format="turtle")


def test_node_shapes_target_mutu_and_reused_classes(shapes):
    expected = {
        "DocumentShape": {"https://w3id.org/mutu/ns#Document", "https://schema.org/CreativeWork",
                          "https://schema.org/HowTo"},
        "OfferShape": {"https://w3id.org/mutu/ns#Offer", "https://schema.org/Offer"},
        "RequestShape": {"https://w3id.org/mutu/ns#Request", "https://schema.org/Demand"},
    }
    for name, classes in expected.items():
        assert {str(c) for c in shapes.objects(MUTUSH[name], SH.targetClass)} == classes, name


def test_document_licences_are_the_known_list(shapes):
    listed = {str(x) for x in Collection(shapes, shapes.value(MUTUSH.DocumentKnownLicence, SH["in"]))}
    assert listed == set(KNOWN_LICENCES)


def test_offer_kinds_in_shapes_are_the_scheme(shapes):
    vocab = rdflib.Graph().parse(folder("ontology") / "mutu.ttl", format="turtle")
    scheme = rdflib.URIRef("https://w3id.org/mutu/ns#offerKinds")
    in_scheme = set(vocab.subjects(rdflib.URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), scheme))
    listed = set(Collection(shapes, shapes.value(MUTUSH.OfferKindValue, SH["in"])))
    assert listed == in_scheme and len(listed) == 4
    for kind in listed:
        labels = {o.language for o in vocab.objects(kind, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
        assert labels == {"fr", "nl", "en"}, kind


# --- positive cases ---------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_records_conform_without_any_result(name, engine):
    report = run(VALID[name], engine)
    assert report.conforms
    assert report.results == [], [r.message for r in report.results]


@pytest.mark.parametrize("engine", ENGINES)
def test_minimal_offer_and_document_only_warn(engine):
    """Only what is mandatory: no summary, link, category, description or conditions."""
    document = PREFIXES + """
m:document\\/minimal a mutu:Document ;
    schema:name "Modèle de statuts"@fr ;
    schema:author m:alternative\\/outilotheque ;
    dcterms:license <https://unlicense.org/> .
"""
    offer = PREFIXES + """
m:offer\\/minimal a mutu:Offer ;
    schema:name "Local à partager"@fr ;
    mutu:offerKind mutu:room ;
    schema:offeredBy m:alternative\\/outilotheque .
"""
    report = run(document + offer, engine)
    assert report.violations == []
    assert {shape for shape, _, severity in found(report)} == {
        "DocumentAbstractRecommended", "DocumentUrlRecommended", "DocumentCategoryRecommended",
        "OfferDescriptionRecommended", "OfferConditionsRecommended"}
    assert all(severity == "Warning" for _, _, severity in found(report))


@pytest.mark.parametrize("engine", ENGINES)
def test_schema_org_only_records_are_checked(engine):
    """Partner data typed only with schema.org is checked by the same shapes."""
    text = PREFIXES + """
m:x\\/work a schema:CreativeWork ; schema:name "Work"@en ; schema:author m:alternative\\/outilotheque .
m:x\\/offer a schema:Offer ; schema:name "Offer"@en ; mutu:offerKind mutu:skill ; schema:offeredBy m:alternative\\/outilotheque .
m:x\\/demand a schema:Demand ; schema:name "Demand"@en ; mutu:offerKind mutu:skill .
"""
    report = run(text, engine)
    violations = {(str(r.focus).rsplit("/", 1)[-1], str(r.shape).rsplit("#", 1)[-1]) for r in report.violations}
    assert violations == {("work", "DocumentOneLicence"), ("demand", "RequestSoughtBy")}


# --- negative cases ---------------------------------------------------------------------------


CASES = [
    # documents
    ("document", lambda t: drop(t, "dcterms:license"), ("DocumentOneLicence", "MinCount", "Violation")),
    ("document", lambda t: edit(t, "<https://creativecommons.org/licenses/by-sa/4.0/>",
                                "<https://creativecommons.org/licenses/by-nd/4.0/>"),
     ("DocumentKnownLicence", "In", "Violation")),
    ("document", lambda t: edit(t, "<https://creativecommons.org/licenses/by-sa/4.0/>",
                                "<https://creativecommons.org/licenses/by-sa/4.0/> , <https://unlicense.org/>"),
     ("DocumentOneLicence", "MaxCount", "Violation")),
    ("document", lambda t: edit(t, "<https://creativecommons.org/licenses/by-sa/4.0/>", '"CC-BY-SA-4.0"'),
     ("DocumentKnownLicence", "In", "Violation")),
    ("document", lambda t: drop(t, "schema:author"), ("DocumentAuthor", "MinCount", "Violation")),
    ("document", lambda t: edit(t, "schema:author m:alternative\\/outilotheque",
                                "schema:author m:alternative\\/not-an-org"), ("DocumentAuthor", "Class", "Violation")),
    ("document", lambda t: edit(t, "<https://example.org/guide.pdf>", "<ftp://example.org/guide.pdf>"),
     ("UrlIsIri", "Pattern", "Violation")),
    ("document", lambda t: edit(t, "<https://example.org/guide.pdf>", '"https://example.org/guide.pdf"'),
     ("UrlIsIri", "NodeKind", "Violation")),
    ("document", lambda t: drop(t, "schema:url"), ("DocumentUrlRecommended", "MinCount", "Warning")),
    ("document", lambda t: drop(t, "schema:abstract"), ("DocumentAbstractRecommended", "MinCount", "Warning")),
    ("document", lambda t: edit(t, '"How to lend tools."@en', '"How to lend tools."@de'),
     ("DocumentAbstractLanguage", "LanguageIn", "Violation")),
    ("document", lambda t: edit(t, '"How to lend tools."@en', '"How to lend tools."@fr'),
     ("DocumentAbstractUniqueLang", "UniqueLang", "Violation")),
    ("document", lambda t: edit(t, '"Tool lending guide"@en', '"Tool lending guide"'),
     ("NameLanguage", "Datatype", "Violation")),
    ("document", lambda t: drop(t, "schema:name"), ("NameRequired", "MinCount", "Violation")),
    ("document", lambda t: drop(t, "mutu:category"), ("DocumentCategoryRecommended", "MinCount", "Warning")),
    ("document", lambda t: edit(t, '"2025-09-15"^^xsd:date', '"15/09/2025"'),
     ("DocumentDatePublished", "Or", "Violation")),
    ("document", lambda t: edit(t, 'schema:inLanguage "fr" , "nl"', 'schema:inLanguage "French"'),
     ("DocumentLanguage", "Pattern", "Violation")),
    ("document", lambda t: edit(t, "schema:about m:alternative\\/outilotheque", 'schema:about "the tool library"'),
     ("DocumentAbout", "NodeKind", "Violation")),
    # offers
    ("offer", lambda t: drop(t, "mutu:offerKind"), ("OfferKindValue", "MinCount", "Violation")),
    ("offer", lambda t: edit(t, "mutu:offerKind mutu:equipment", "mutu:offerKind mutu:free"),
     ("OfferKindValue", "In", "Violation")),
    ("offer", lambda t: edit(t, "mutu:offerKind mutu:equipment", "mutu:offerKind mutu:equipment , mutu:room"),
     ("OfferKindValue", "MaxCount", "Violation")),
    ("offer", lambda t: drop(t, "schema:offeredBy"), ("OfferOfferedBy", "MinCount", "Violation")),
    ("offer", lambda t: edit(t, "schema:offeredBy m:alternative\\/outilotheque",
                             "schema:offeredBy m:alternative\\/not-an-org"), ("OfferOfferedBy", "Class", "Violation")),
    ("offer", lambda t: edit(t, "schema:price 10.00", "schema:price -5.00"), ("OfferPrice", "MinInclusive", "Violation")),
    ("offer", lambda t: edit(t, "schema:price 10.00", 'schema:price "dix euros"'), ("OfferPrice", "Datatype", "Violation")),
    ("offer", lambda t: edit(t, 'schema:priceCurrency "EUR"', 'schema:priceCurrency "USD"'),
     ("OfferPriceCurrency", "In", "Violation")),
    ("offer", lambda t: edit(t, "mutu:conditions mutu:paid", "mutu:conditions mutu:room"),
     ("OfferConditionsValue", "In", "Violation")),
    ("offer", lambda t: drop(t, "mutu:conditions"), ("OfferConditionsRecommended", "MinCount", "Warning")),
    ("offer", lambda t: drop(t, "schema:description"), ("OfferDescriptionRecommended", "MinCount", "Warning")),
    ("offer", lambda t: edit(t, '"2026-12-31"^^xsd:date', '"2025-12-31"^^xsd:date'),
     ("OfferAvailabilityOrder", "LessThanOrEquals", "Violation")),
    ("offer", lambda t: edit(t, '"2026-01-01"^^xsd:date', '"2026-01-01T10:00:00"^^xsd:dateTime'),
     ("OfferAvailabilityStarts", "Or", "Violation")),
    ("offer", lambda t: edit(t, '"At weekends"@en', '"At weekends"'), ("OfferAvailabilityText", "Datatype", "Violation")),
    ("offer", lambda t: edit(t, '"2026-12-31"^^xsd:date', '"2026-12-31" , "2027-01-31"'),
     ("OfferAvailabilityEnds", "MaxCount", "Violation")),
    ("offer", lambda t: edit(t, '"pret@example.org"', '"pret at example.org"'),
     ("AlternativeEmail", "Pattern", "Violation")),
    ("offer", lambda t: edit(t, '"Sound system to borrow"@en', '"Sound system to borrow"@es'),
     ("NameLanguage", "LanguageIn", "Violation")),
    # requests
    ("request", lambda t: drop(t, "mutu:soughtBy"), ("RequestSoughtBy", "MinCount", "Violation")),
    ("request", lambda t: edit(t, "mutu:soughtBy m:alternative\\/outilotheque",
                               "mutu:soughtBy m:alternative\\/not-an-org"), ("RequestSoughtBy", "Class", "Violation")),
    ("request", lambda t: edit(t, "mutu:offerKind mutu:skill", "mutu:offerKind mutu:translation"),
     ("OfferKindValue", "In", "Violation")),
    ("request", lambda t: drop(t, "schema:description"), ("OfferDescriptionRecommended", "MinCount", "Warning")),
]


def _case_id(case) -> str:
    name, _, (shape, component, _) = case
    return f"{name}-{shape}-{component}"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_broken_rule_is_reported(case, engine):
    name, breaker, expected = case
    report = run(breaker(VALID[name]), engine)
    assert expected in found(report), sorted(found(report))
    # a warning alone leaves the record acceptable; a violation does not
    assert (report.violations == []) == (expected[2] == "Warning")


def test_requests_do_not_need_conditions():
    """Conditions are recommended for offers only: a request may leave them open."""
    report = run(drop(REQUEST, "mutu:conditions"), "sparql")
    assert report.results == []


def test_engines_agree_on_every_case():
    for name, breaker, _ in CASES:
        data = breaker(VALID[name])
        both = [Counter((r.focus, r.path, r.component, r.severity, r.value) for r in run(data, e).results)
                for e in ENGINES]
        assert both[0] == both[1], (name, data)


def test_every_new_shape_is_exercised(shapes):
    names = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects() if str(s).startswith(str(MUTUSH))}
    new = {n for n in names if re.match(r"(Document|Offer|Request)", n)} - {
        "DocumentShape", "OfferShape", "RequestShape"}
    exercised = {shape for _, _, (shape, _, _) in CASES} | {
        "DocumentAbstractRecommended", "DocumentUrlRecommended", "DocumentCategoryRecommended"}
    assert new <= exercised, new - exercised
