"""mutu link on the real SUSY duplicates: precision and recall against the answer key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app import identity
from app.store import open_store
from loaders import LoaderOptions, get
from loaders.pipeline import load_with

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders"
BASE = "https://mutu.brussels/"
KEY = tomllib.loads((FIXTURES / "susy-duplicates.toml").read_text("utf-8"))


@pytest.fixture
def store(tmp_path):
    store = open_store(str(tmp_path / "store"))
    load_with(store, BASE, (FIXTURES / "susy-belgium.geojson").read_bytes(), get("geojson"),
              LoaderOptions(source="susy"), graph=BASE + "graph/susy", source="susy.geojson",
              licence="PDDL-1.0", skip_invalid=True)
    yield store
    store.close()


def _iri(source_id: str) -> str:
    from loaders import short_hash

    return f"{BASE}alternative/susy-{short_hash(source_id)}"


def _pair(a, b):
    return tuple(sorted((_iri(a), _iri(b))))


def test_precision_and_recall_on_the_susy_belgian_records(store):
    truth = {_pair(p["a"], p["b"]) for p in KEY["same"]}
    found = {(c.a, c.b) for c in identity.find_candidates(store, BASE)}
    true_positives = found & truth
    precision = len(true_positives) / len(found)
    recall = len(true_positives) / len(truth)
    assert (precision, recall) == (1.0, 1.0), (found - truth, truth - found)
    for p in KEY["different"]:
        assert _pair(p["a"], p["b"]) not in found


def test_links_graph_decisions_and_clusters(store):
    candidates = identity.find_candidates(store, BASE)
    identity.write_links(store, BASE, candidates)
    links = store.graph_triples(identity.links_graph(BASE))
    same_as = [t for t in links if t.predicate.value == identity.OWL_SAME_AS]
    assert len(same_as) == 6
    source_before = sorted(map(str, store.graph_triples(BASE + "graph/susy")))
    clusters = identity.clusters(store, BASE)
    petits = _pair(KEY["same"][3]["a"], KEY["same"][3]["b"])
    assert clusters[petits[0]] == clusters[petits[1]]
    assert len(set(clusters.values())) == 44 - 6
    # Reject one pair, accept the 6 m neighbours (against the evidence): decisions win.
    identity.decide(store, BASE, *petits, same=False, who="reviewer")
    neighbours = _pair(KEY["different"][0]["a"], KEY["different"][0]["b"])
    identity.decide(store, BASE, *neighbours, same=True, who="reviewer")
    status = {(c.a, c.b): c.status for c in identity.find_candidates(store, BASE)}
    assert status[petits] == "rejected" and status[neighbours] == "accepted"
    clusters = identity.clusters(store, BASE)
    assert clusters[petits[0]] != clusters[petits[1]]
    assert clusters[neighbours[0]] == clusters[neighbours[1]]
    assert identity.clusters(store, BASE, accepted_only=True)[petits[0]] == petits[0]
    # Nothing in the source graph changed.
    assert sorted(map(str, store.graph_triples(BASE + "graph/susy"))) == source_before


def test_normalisation_helpers():
    assert identity.norm_phone("+32 2 537 30 26") == identity.norm_phone("02.537.30.26") == "25373026"
    assert identity.norm_url("http://www.petitsriens.be/") == identity.norm_url("petitsriens.be") == "petitsriens.be"
    assert identity.acronym("Aide à Domicile en Milieu Rural", "ADMR")
    assert identity.norm_name("Bees Coop").replace(" ", "") == identity.norm_name("Beescoop")
