"""Leak probes for offers and requests: a whole offer in a private dataset and a whole request
in a partners dataset, beside the demo, on every page, feed and query that lists or shows
offers. The private one never appears; the partners one only with a partner token.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from app import create_app
from app.demo_load import load_demo
from app.state import get_store
from tests.conftest import BASE, load_raw_graph

PRIVATE_TTL = """@prefix schema: <https://schema.org/> . @prefix mutu: <https://w3id.org/mutu/ns#> .
<https://mutu.brussels/offer/atelier-cache> a mutu:Offer, schema:Offer ;
  schema:name "Atelier caché Zyxwv"@fr ; schema:description "Offre privée Zyxwv"@fr ;
  mutu:offerKind mutu:skill ; mutu:conditions mutu:free ; schema:email "cache@zyxwv.example" ;
  schema:offeredBy <https://mutu.brussels/alternative/la-ruche-commune> ;
  mutu:category <https://mutu.brussels/category/coworking> ."""
PARTNERS_TTL = """@prefix schema: <https://schema.org/> . @prefix mutu: <https://w3id.org/mutu/ns#> .
<https://mutu.brussels/request/demande-partenaire> a mutu:Request, schema:Demand ;
  schema:name "Demande partenaire Qwvut"@fr ; mutu:offerKind mutu:room ; mutu:conditions mutu:free ;
  mutu:soughtBy <https://mutu.brussels/alternative/la-ruche-commune> ;
  mutu:category <https://mutu.brussels/category/coworking> ."""
PRIVATE_MARKS = ["Zyxwv", "cache@zyxwv.example", "atelier-cache"]
PARTNERS_MARKS = ["Qwvut", "demande-partenaire"]
URLS = ["/", "/offers", "/offers?type=offer&kind=skill", "/offers?type=request&kind=room",
        "/offers?q=zyxwv", "/offers?q=qwvut", "/offers?category=coworking&near=1000",
        "/offers.csv", "/offers.geojson", "/offers.atom?lang=fr", "/offers.csv?type=request",
        "/alternative/la-ruche-commune", "/alternative/la-ruche-commune.ttl",
        "/category/coworking", "/api/queries/feed-offers", "/api/queries/feed-offers?format=csv",
        "/api/queries/who-can-help?kind=skill", "/api/queries/who-can-help?category=coworking&format=csv",
        "/digest.md?recent=90&days=31", "/digest.fragment.html?recent=90&free=1", "/digest?recent=90",
        "/widget/card/la-ruche-commune", "/feed.atom"]


@pytest.fixture(scope="module")
def leak_app(tmp_path_factory):
    app = create_app({"store": str(tmp_path_factory.mktemp("offers-leaks") / "store")})
    app.config["TESTING"] = True
    with app.app_context():
        store = get_store()
        load_demo(store, BASE)
        for ttl, graph, visibility in ((PRIVATE_TTL, "private-offer", "private"),
                                       (PARTNERS_TTL, "partners-request", "partners")):
            triples = list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE))
            load_raw_graph(store, BASE + "graph/" + graph, triples, visibility=visibility)
    partner = app.extensions["mutu.tokens"].create("partner-site", "partner")
    yield app, {"Authorization": f"Bearer {partner}"}
    app.extensions["mutu.store"].close()


@pytest.mark.parametrize("who", ["anonymous", "partner"])
def test_hidden_offers_and_requests_never_leak(leak_app, who):
    app, partner = leak_app
    client = app.test_client()
    headers = partner if who == "partner" else {}
    forbidden = PRIVATE_MARKS + ([] if who == "partner" else PARTNERS_MARKS)
    for url in URLS:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data(as_text=True)
        for mark in forbidden:
            assert mark not in body, (who, url, mark)
    for path in ("/offer/atelier-cache", "/offer/atelier-cache.jsonld", "/offer/atelier-cache.ttl"):
        assert client.get(path, headers=headers).status_code == 404


def test_partner_sees_the_partners_request(leak_app):
    app, partner = leak_app
    client = app.test_client()
    for url in ("/offers?type=request", "/offers.csv?type=request", "/alternative/la-ruche-commune",
                "/request/demande-partenaire", "/api/queries/feed-offers"):
        assert "Qwvut" in client.get(url, headers=partner).get_data(as_text=True), url
    assert client.get("/request/demande-partenaire").status_code == 404
