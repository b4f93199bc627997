"""A contacts-only dataset (partners-only e-mail and telephone of offers described elsewhere,
like demo/offer-contacts.ttl) is validated: ContactShape targets any subject of schema:email
or schema:telephone, typed or not, on both validation engines, and reports each breach once."""

from __future__ import annotations

import pytest
import rdflib

from app.demo import demo_sources
from app.validation import validate

ENGINES = ["pyshacl", "sparql"]
CONTACTS = """
@prefix schema: <https://schema.org/> .
<https://mutu.brussels/offer/salle> schema:email "salle@example.org" ;
    schema:telephone "+32 2 555 01 12" .
"""
ALTERNATIVE = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
<https://mutu.brussels/alternative/a> a mutu:Alternative, schema:Organization ;
    schema:name "A"@fr ; schema:email "not an address" .
"""


def run(text: str, engine: str):
    return validate(rdflib.Graph().parse(data=text, format="turtle"), engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_contacts_only_graph_conforms(engine):
    assert run(CONTACTS, engine).results == []


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("old, new, shape", [
    ('"salle@example.org"', '"salle at example.org"', "AlternativeEmail"),
    ('"salle@example.org"', "<mailto:salle@example.org>", "AlternativeEmail"),
    ('"+32 2 555 01 12"', "3225550112", "AlternativeTelephone"),
])
def test_bad_contact_in_contacts_only_graph_is_a_violation(engine, old, new, shape):
    report = run(CONTACTS.replace(old, new), engine)
    assert [str(r.shape).rsplit("#", 1)[-1] for r in report.results] == [shape]
    assert report.violations and str(report.results[0].focus).endswith("/offer/salle")


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_email_of_an_alternative_is_reported_once(engine):
    emails = [r for r in run(ALTERNATIVE, engine).results if str(r.shape).endswith("#AlternativeEmail")]
    assert len(emails) == 1


def test_demo_contacts_source_validates():
    source = next(s for s in demo_sources() if s.name == "offer-contacts")
    assert source.visibility == "partners"
    report = validate(rdflib.Graph().parse(data=source.data, format="turtle"), engine="sparql")
    assert report.results == []
