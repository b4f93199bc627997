"""digest-alternatives.rq starts from the filter's value (category with its narrower ones,
postal code, commune) instead of checking every alternative: its rows must still be exactly
the alternatives an independent reading of the demo Turtle (rdflib) finds for each filter.
"""

from __future__ import annotations

import pytest
import rdflib
from rdflib import RDF, Namespace, URIRef

from tests.conftest import BASE

MUTU = Namespace("https://w3id.org/mutu/ns#")
SCHEMA = Namespace("https://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
WINDOW = {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z", "limit": "200"}


def addresses(g, alternative):
    return [g.value(place, SCHEMA.address) for place in g.objects(alternative, SCHEMA.location)]


def expected(g, *, category=None, postcode=None, commune=None) -> set[str]:
    found = set()
    for alt in g.subjects(RDF.type, SCHEMA.Organization):
        if category is not None:
            narrower = set(g.transitive_subjects(SKOS.broader, URIRef(category)))
            if not narrower & set(g.objects(alt, MUTU.category)):
                continue
        if postcode is not None and not any(str(pc) == postcode for a in addresses(g, alt)
                                            for pc in g.objects(a, SCHEMA.postalCode)):
            continue
        if commune is not None and not any(str(lo).lower() == commune for a in addresses(g, alt)
                                           for lo in g.objects(a, SCHEMA.addressLocality)):
            continue
        found.add(str(alt))
    return found


def changed(client, **filters) -> list[str]:
    response = client.get("/api/queries/digest-alternatives", query_string={**WINDOW, **filters})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [row["item"] for row in response.get_json()]


@pytest.mark.parametrize("filters", [
    {},
    {"category": BASE + "category/repair"},
    {"category": BASE + "category/education-training"},
    {"postcode": "1060"},
    {"commune": "ixelles"},
    {"commune": "saint-gilles", "postcode": "1060"},
    {"category": BASE + "category/repair", "commune": "bruxelles"},
    {"commune": "atlantis"},
])
def test_changed_alternatives_match_the_data(demo_client, demo_graph, filters):
    rows = changed(demo_client, **filters)
    assert len(rows) == len(set(rows))
    assert set(rows) == expected(demo_graph, **filters)
    if len(filters) == 1 and filters != {"commune": "atlantis"}:
        assert rows, filters  # each single filter (but atlantis) keeps some alternatives of the demo


def test_a_window_before_every_load_holds_nothing(demo_client):
    rows = demo_client.get("/api/queries/digest-alternatives", query_string={
        "since": "2000-01-01T00:00:00Z", "until": "2000-01-02T00:00:00Z", "commune": "ixelles"}).get_json()
    assert rows == []
