"""Mutu's queries, written out without LATERAL for SPARQL 1.1 stores, give the same answers.

Every query the pages, feeds and named queries send while the demo is browsed is evaluated a
second time the way a remote SPARQL 1.1 store receives it (bindings as a VALUES block, then
LATERAL decorrelated), by pyoxigraph on the same data, and the two answers are compared.
"""

from __future__ import annotations

import re

import pytest

from app.store.embedded import EmbeddedStore
from app.store.lateral import decorrelate, has_lateral
from app.store.remote import prepare
from app.store import solution_rows

PAGES = ["/", "/events", "/events?category=alimentation", "/events?commune=1050", "/alternatives",
         "/alternatives?q=repair", "/alternatives?category=alimentation", "/places",
         "/places?category=alimentation", "/places.geojson", "/events.ics", "/events.csv",
         "/resources", "/resources?q=guide", "/offers", "/offers?near=1050&radius=3",
         "/offers.csv", "/digest", "/digest?free=1", "/digest.md?commune=ixelles",
         "/widget/agenda", "/alternative/bees-coop", "/place/bees-coop", "/offer/cuisine-partagee",
         "/document/organiser-un-repair-cafe",
         "/resources.atom", "/offers.geojson", "/categories"]


_SAMPLED = re.compile(r"\(\s*SAMPLE\s*\(\s*\?\w+\s*\)\s+AS\s+\?(\w+)\s*\)", re.I)


_CONCATENATED = re.compile(r"GROUP_CONCAT\s*\((?:[^()]|\([^()]*\))*\)\s*AS\s+\?(\w+)", re.I)


def _key(rows, sparql: str):
    """The rows as a sorted list. SAMPLE() may pick any value, and GROUP_CONCAT() join them
    in any order: their columns are left out, and compared as sets of words."""
    sampled = set(_SAMPLED.findall(sparql))
    joined = set(_CONCATENATED.findall(sparql))

    def value(name, term):
        return " ".join(sorted(term.value.split())) if name in joined else str(term)

    return sorted(tuple(sorted((name, value(name, term)) for name, term in row.items()
                               if name not in sampled)) for row in rows)


@pytest.fixture
def checked(demo_app, monkeypatch):
    """Compare each LATERAL query's answer with its decorrelated form's; yields the log."""
    log = {"checked": 0, "differ": []}
    original_select = EmbeddedStore.select

    def select(self, sparql, *, dataset=None, bindings=None):
        rows = original_select(self, sparql, dataset=dataset, bindings=bindings)
        if has_lateral(sparql):
            text = decorrelate(prepare(sparql, strip_dataset=dataset is not None, bindings=bindings).text)
            other = solution_rows(self._query(text, dataset, None))
            log["checked"] += 1
            a, b = _key(rows, sparql), _key(other, sparql)
            if a != b:
                log["differ"].append((sparql, [r for r in a if r not in b][:2], [r for r in b if r not in a][:2]))
        return rows

    monkeypatch.setattr(EmbeddedStore, "select", select)
    yield log


def test_pages_get_the_same_rows_without_lateral(demo_app, checked):
    client = demo_app.test_client()
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
    assert checked["checked"] >= 15
    assert not checked["differ"], [(q[:300], a, b) for q, a, b in checked["differ"]]


SAMPLES = [{}, {"commune": "ixelles"}, {"postcode": "1050"}, {"q": "repair"}, {"category": None},
           {"near_commune": "ixelles"}, {"near_postcode": "1060"},
           {"lat": "50.83", "lon": "4.37", "radius": "3"}, {"language": "fr"}, {"free": "true"}]


def test_named_queries_get_the_same_rows_without_lateral(demo_app):
    from app import queries

    store = demo_app.extensions["mutu.store"]
    category = store.select("SELECT ?c WHERE { GRAPH ?g { ?x <https://w3id.org/mutu/ns#category> ?c } } "
                            "ORDER BY ?c LIMIT 1")[0]["c"].value
    compared = 0
    for name, query in sorted(queries.registry().items()):
        if not has_lateral(query.text):
            continue
        for sample in SAMPLES:
            raw = {k: (v if v is not None else category) for k, v in sample.items() if k in query.params}
            if raw != sample and sample:
                continue  # a parameter this query does not take
            sparql = query.sparql(query.parse_params(raw))
            expected = solution_rows(store._query(sparql, None, None))
            got = solution_rows(store._query(decorrelate(sparql), None, None))
            assert _key(got, sparql) == _key(expected, sparql), (name, raw)
            compared += 1
    assert compared >= 20
