"""Identity clusters on pages and feeds: one alternative per cluster, with all its (visible) sources."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app import identity
from app.state import get_store
from tests.conftest import BASE, PRIVATE_GRAPH, load_fixture, make_app
from tests.conftest import TTL_PREFIXES as PREFIXES

SOURCE_A = BASE + "graph/source-a"
SOURCE_B = BASE + "graph/source-b"
A = BASE + "alternative/bees-coop-a"
B = BASE + "alternative/bees-coop-b"
C = BASE + "alternative/bees-coop-secret"


def _bees(slug: str, name: str, url: str, lat: str, lon: str, extra: str = "") -> str:
    return PREFIXES + f"""
alternative:{slug} a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "{name}"@fr ; schema:url <{url}> ;
    schema:location place:{slug} .
place:{slug} a mutu:Place, schema:Place ;
    schema:name "{name}"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Van Hammée 19" ;
        schema:postalCode "1030" ; schema:addressLocality "Schaerbeek" ; schema:addressCountry "BE" ] ;
    schema:geo [ a schema:GeoCoordinates ;
        schema:latitude "{lat}"^^xsd:decimal ; schema:longitude "{lon}"^^xsd:decimal ] .
{extra}"""


ONLY_A = """
alternative:aaa-first a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Atelier vélo"@fr .
alternative:zzz-last a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Zéro déchet"@fr .
"""


@pytest.fixture
def linked(tmp_path):
    app = make_app(tmp_path)
    app.config["TESTING"] = True
    with app.app_context():
        store = get_store()
        load_fixture(store, _bees("bees-coop-a", "BEES coop", "https://bees-coop.be/",
                                  "50.84710", "4.34960", PREFIXES + ONLY_A), SOURCE_A)
        load_fixture(store, _bees("bees-coop-b", "Bees Coop", "http://www.bees-coop.be",
                                  "50.84712", "4.34963"), SOURCE_B)
        load_fixture(store, _bees("bees-coop-secret", "Bees coop", "https://bees-coop.be",
                                  "50.84711", "4.34961"), PRIVATE_GRAPH, visibility="private")
        found = identity.find_candidates(store, BASE)
        assert {(c.a, c.b) for c in found} == {(A, B), (A, C), (B, C)}
        identity.write_links(store, BASE, found)
    yield app
    app.extensions["mutu.store"].close()


def _list(client, **args) -> str:
    return client.get("/alternatives", query_string={"lang": "en", **args}).get_data(as_text=True)


def test_list_shows_a_cluster_once_with_both_sources(linked):
    client = linked.test_client()
    html = _list(client)
    assert html.count('<h2><a href="/alternative/bees-coop-') == 1
    assert '<h2><a href="/alternative/bees-coop-a"' in html  # the smallest IRI represents it
    assert "Also in 1 other source(s)" in html
    assert 'href="/alternative/bees-coop-b">' + SOURCE_B in html  # the other member, by its source
    assert "bees-coop-secret" not in html and PRIVATE_GRAPH not in html


def test_paging_counts_clusters(linked):
    client = linked.test_client()
    pages = []
    for page in (1, 2, 3):
        html = client.get("/alternatives", query_string={"per_page": 1, "page": page}).get_data(as_text=True)
        pages.append([s for s in ("aaa-first", "bees-coop-a", "bees-coop-b", "zzz-last")
                      if f'<h2><a href="/alternative/{s}"' in html])
        assert ("page=%d" % (page + 1) in html) == (page < 3)
    assert pages == [["aaa-first"], ["bees-coop-a"], ["zzz-last"]]


def test_feeds_one_row_per_cluster(linked):
    client = linked.test_client()
    rows = list(csv.DictReader(io.StringIO(client.get("/alternatives.csv").get_data(as_text=True))))
    assert [r["iri"] for r in rows] == [BASE + "alternative/aaa-first", A, BASE + "alternative/zzz-last"]
    bees = rows[1]
    assert bees["same_as"] == B and bees["sources"].split() == [SOURCE_A, SOURCE_B]
    features = json.loads(client.get("/alternatives.geojson").get_data())["features"]
    assert [f["id"] for f in features] == [A]
    assert features[0]["properties"]["sameAs"] == [B]
    assert features[0]["properties"]["sources"] == [SOURCE_A, SOURCE_B]


def test_member_page_lists_the_other_members_and_twins_say_same_as(linked):
    client = linked.test_client()
    html = client.get("/alternative/bees-coop-b", query_string={"lang": "en"}).get_data(as_text=True)
    assert 'id="cluster"' in html and 'href="/alternative/bees-coop-a"><span lang="fr">BEES coop</span></a>' in html
    assert SOURCE_A in html and "creativecommons.org/publicdomain/zero" in html
    assert "bees-coop-secret" not in html
    ttl = client.get("/alternative/bees-coop-b.nt").get_data(as_text=True)
    assert f"<{B}> <{identity.OWL_SAME_AS}> <{A}>" in ttl
    assert "bees-coop-secret" not in ttl
    ttl_a = client.get("/alternative/bees-coop-a.nt").get_data(as_text=True)
    assert f"<{A}> <{identity.OWL_SAME_AS}> <{B}>" in ttl_a and "bees-coop-secret" not in ttl_a


def test_a_rejected_decision_splits_the_cluster(linked):
    with linked.app_context():
        identity.decide(get_store(), BASE, A, B, same=False, who="tests")
    client = linked.test_client()
    html = _list(client)
    assert '<h2><a href="/alternative/bees-coop-a"' in html and '<h2><a href="/alternative/bees-coop-b"' in html
    assert "Also in" not in html
    nt = client.get("/alternative/bees-coop-b.nt").get_data(as_text=True)
    assert identity.OWL_SAME_AS not in nt
    rows = list(csv.DictReader(io.StringIO(client.get("/alternatives.csv").get_data(as_text=True))))
    assert [r["iri"] for r in rows][1:3] == [A, B]


def test_links_to_a_private_member_are_admin_only(linked):
    # A link that names a private alternative lives in the admin-only links graph, so the
    # public links graph never reveals the private IRI (not even to /sparql or /graph/links).
    client = linked.test_client()
    assert b"bees-coop-secret" not in client.get("/graph/links.nt").data
    owner = linked.extensions["mutu.tokens"].create("bees", "editor", [PRIVATE_GRAPH])
    html = client.get("/alternatives", query_string={"lang": "en"},
                      headers={"Authorization": f"Bearer {owner}"}).get_data(as_text=True)
    assert 'href="/alternative/bees-coop-secret"' in html  # its own record, listed on its own
    token = linked.extensions["mutu.tokens"].create("admin", "admin", [])
    html = client.get("/alternatives", query_string={"lang": "en"},
                      headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert html.count('<h2><a href="/alternative/bees-coop-') == 1
    assert "Also in 2 other source(s)" in html and 'href="/alternative/bees-coop-secret"' in html
