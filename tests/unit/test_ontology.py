"""The Mutu vocabulary, the category scheme and the licences (ontology/*.ttl)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, Literal, Namespace, URIRef

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.namespaces import CATEGORY_SCHEME, KNOWN_LICENCES, MUTU as MUTU_NS  # noqa: E402

ONTOLOGY = ROOT / "ontology"
MUTU = Namespace(MUTU_NS)
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
CC = Namespace("http://creativecommons.org/ns#")
LANGS = {"fr", "nl", "en"}
SCHEME = URIRef(CATEGORY_SCHEME)
SSEDAS = Path("/work/shared/data/ssedas-taxonomy")


def _graph(name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY / name, format="turtle")


def _langs(g: rdflib.Graph, s, p) -> set[str]:
    return {o.language for o in g.objects(s, p) if isinstance(o, Literal) and o.language}


@pytest.fixture(scope="module")
def vocab() -> rdflib.Graph:
    return _graph("mutu.ttl")


@pytest.fixture(scope="module")
def categories() -> rdflib.Graph:
    return _graph("categories.ttl")


@pytest.fixture(scope="module")
def licences() -> rdflib.Graph:
    return _graph("licences.ttl")


# --- the vocabulary --------------------------------------------------------------------

def test_ontology_header(vocab):
    onto = URIRef("https://w3id.org/mutu/ns")
    assert (onto, RDF.type, OWL.Ontology) in vocab
    assert _langs(vocab, onto, DCTERMS.title) == LANGS
    assert (onto, DCTERMS.license, URIRef("https://creativecommons.org/publicdomain/zero/1.0/")) in vocab
    assert vocab.value(onto, OWL.versionInfo) is not None


def test_every_mutu_term_has_trilingual_label_and_comment(vocab):
    terms = {s for s in vocab.subjects() if isinstance(s, URIRef) and s.startswith(MUTU_NS)}
    assert len(terms) >= 15
    for term in terms:
        assert _langs(vocab, term, RDFS.label) == LANGS, term
        assert _langs(vocab, term, RDFS.comment) == LANGS, term
        for p in (RDFS.label, RDFS.comment):
            for lang in LANGS:
                assert len([o for o in vocab.objects(term, p) if o.language == lang]) == 1, (term, p)


def test_expected_classes_and_superclasses(vocab):
    expected = {
        MUTU.Alternative: {SCHEMA.Organization, ORG.Organization},
        MUTU.Place: {SCHEMA.Place, GEO.Feature},
        MUTU.Event: {SCHEMA.Event},
        MUTU.Licence: {DCTERMS.LicenseDocument, CC.License},
        MUTU.Category: {SKOS.Concept},
        MUTU.Dataset: {DCAT.Dataset},
        MUTU.Visibility: {SKOS.Concept},
    }
    for cls, supers in expected.items():
        assert (cls, RDF.type, OWL.Class) in vocab, cls
        assert set(vocab.objects(cls, RDFS.subClassOf)) == supers, cls


def test_visibility_individuals(vocab):
    for name in ("public", "partners", "private"):
        ind = MUTU[name]
        assert (ind, RDF.type, MUTU.Visibility) in vocab
        assert (ind, SKOS.inScheme, MUTU.visibilities) in vocab
        assert _langs(vocab, ind, SKOS.prefLabel) == LANGS
    assert (MUTU.visibilities, RDF.type, SKOS.ConceptScheme) in vocab


def test_properties_have_domain_and_range(vocab):
    for prop in (MUTU.category, MUTU.visibility, MUTU.rrule, MUTU.sha256):
        assert vocab.value(prop, RDFS.domain) is not None, prop
        assert vocab.value(prop, RDFS.range) is not None, prop
    assert (MUTU.category, RDFS.subPropertyOf, DCTERMS.subject) in vocab
    assert (MUTU.category, RDFS.range, SKOS.Concept) in vocab
    assert (MUTU.visibility, RDFS.range, MUTU.Visibility) in vocab


def test_every_mutu_term_used_anywhere_is_defined(vocab):
    defined = {s for s in vocab.subjects() if isinstance(s, URIRef) and s.startswith(MUTU_NS)}
    files = [ONTOLOGY / "categories.ttl", ONTOLOGY / "licences.ttl", ROOT / "shapes" / "mutu.ttl"]
    for path in files:
        g = rdflib.Graph().parse(path, format="turtle")
        used = {t for triple in g for t in triple if isinstance(t, URIRef) and t.startswith(MUTU_NS)}
        assert used <= defined, (path.name, used - defined)


# --- the category scheme ---------------------------------------------------------------

def _concepts(g: rdflib.Graph) -> set[URIRef]:
    return set(g.subjects(RDF.type, SKOS.Concept))


def test_scheme_metadata(categories):
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in categories
    assert _langs(categories, SCHEME, SKOS.prefLabel) == LANGS
    assert (SCHEME, DCTERMS.license, URIRef("https://unlicense.org/")) in categories
    assert categories.value(SCHEME, DCTERMS.source) is not None


def test_at_least_100_concepts_each_typed_and_in_scheme(categories):
    concepts = _concepts(categories)
    assert len(concepts) >= 100
    for c in concepts:
        assert (c, RDF.type, MUTU.Category) in categories, c
        assert (c, SKOS.inScheme, SCHEME) in categories, c
        assert re.fullmatch(r"https://mutu\.brussels/category/[a-z0-9]+(-[a-z0-9]+)*", str(c)), c
        matches = list(categories.objects(c, SKOS.exactMatch))
        assert matches and all(str(m).startswith("https://base.transformap.co/entity/Q") for m in matches), c
        assert "en" in _langs(categories, c, SKOS.prefLabel), c


def test_top_concepts_are_the_12_categories_with_three_labels(categories):
    tops = set(categories.objects(SCHEME, SKOS.hasTopConcept))
    assert len(tops) == 12
    assert tops == set(categories.subjects(SKOS.topConceptOf, SCHEME))
    for top in tops:
        assert _langs(categories, top, SKOS.prefLabel) == LANGS, top
        assert categories.value(top, SKOS.broader) is None, top


def test_every_concept_has_three_labels_one_per_language(categories):
    for c in _concepts(categories):
        labels = list(categories.objects(c, SKOS.prefLabel))
        assert sorted(l.language for l in labels) == ["en", "fr", "nl"], c


def test_hierarchy_is_consistent(categories):
    concepts = _concepts(categories)
    for c in concepts:
        for b in categories.objects(c, SKOS.broader):
            assert b in concepts
            assert (b, SKOS.narrower, c) in categories
        for n in categories.objects(c, SKOS.narrower):
            assert (n, SKOS.broader, c) in categories
        # every concept reaches a top concept
        seen, todo = set(), [c]
        while todo:
            x = todo.pop()
            seen.add(x)
            todo.extend(b for b in categories.objects(x, SKOS.broader) if b not in seen)
        assert any((x, SKOS.topConceptOf, SCHEME) in categories for x in seen), c


def test_types_carry_their_ssedas_tag(categories):
    tagged = {c: categories.value(c, SKOS.notation) for c in _concepts(categories)}
    notations = [n for n in tagged.values() if n is not None]
    assert len(notations) == len(set(notations)) == 102
    repair = URIRef("https://mutu.brussels/category/repair-cafe")
    assert tagged[repair] == Literal("repair_cafe")
    assert (repair, SKOS.broader, URIRef("https://mutu.brussels/category/repair")) in categories


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_categories", ONTOLOGY / "build_categories.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SSEDAS.is_dir(), reason="SSEDAS source data not available")
def test_build_categories_output_equals_committed_file():
    builder = _load_builder()
    assert builder.build(SSEDAS) == (ONTOLOGY / "categories.ttl").read_text("utf-8")


@pytest.mark.skipif(not SSEDAS.is_dir(), reason="SSEDAS source data not available")
def test_builder_translates_every_category_and_type():
    builder = _load_builder()
    cats, types = builder.load(SSEDAS)
    assert len(cats) == 23
    assert sum(len(t["iris"]) for t in types) == 106
    assert {builder._qid(c["iri"]) for c in cats} == set(builder.CATEGORIES)
    assert {t["tag"] for t in types} == set(builder.TYPES)


# --- the licences ----------------------------------------------------------------------

def test_licences_match_known_licences(licences):
    found = {str(s): str(licences.value(s, DCTERMS.identifier))
             for s in licences.subjects(RDF.type, MUTU.Licence)}
    assert found == KNOWN_LICENCES


def test_each_licence_is_fully_described(licences):
    for iri in KNOWN_LICENCES:
        lic = URIRef(iri)
        for cls in (MUTU.Licence, DCTERMS.LicenseDocument, CC.License):
            assert (lic, RDF.type, cls) in licences, (iri, cls)
        assert _langs(licences, lic, DCTERMS.title) == LANGS, iri
        assert _langs(licences, lic, RDFS.comment) == LANGS, iri
        assert (lic, SCHEMA.url, lic) in licences, iri
        assert {CC.Reproduction, CC.Distribution, CC.DerivativeWorks} <= set(licences.objects(lic, CC.permits))


def test_licence_terms_are_right(licences):
    def terms(iri, p):
        return set(licences.objects(URIRef(iri), p))

    assert CC.CommercialUse in terms("https://creativecommons.org/licenses/by-nc/4.0/", CC.prohibits)
    assert CC.ShareAlike in terms("https://creativecommons.org/licenses/by-sa/4.0/", CC.requires)
    assert CC.ShareAlike in terms("https://opendatacommons.org/licenses/odbl/1-0/", CC.requires)
    assert CC.Attribution in terms("https://creativecommons.org/licenses/by/4.0/", CC.requires)
    for free in ("https://creativecommons.org/publicdomain/zero/1.0/",
                 "https://opendatacommons.org/licenses/pddl/1-0/", "https://unlicense.org/"):
        assert not terms(free, CC.requires) and not terms(free, CC.prohibits), free
