"""Offers and requests: the /offers page and its filters, /offer/<slug> and /request/<slug>
with their twins, the block on alternatives' pages, the CSV / GeoJSON / Atom feeds, the
`who-can-help` named query, and contact visibility (partners-only contacts of the demo).

Expected rows are computed independently from the demo Turtle with rdflib and plain Python
(distances included), never from the app's own queries.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET

import pytest
import rdflib
from rdflib import RDF, Namespace, URIRef

from app import create_app
from app.demo_load import load_demo
from app.offer_messages import MESSAGES
from app.state import get_store
from tests.conftest import BASE, load_fixture

MUTU = Namespace("https://w3id.org/mutu/ns#")
SCHEMA = Namespace("https://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
ATOM = "{http://www.w3.org/2005/Atom}"
PARTNER_CONTACTS = ["salle@example.org", "compta@example.org", "cuisine@example.org",
                    "+32 2 555 01 34", "+32 2 555 01 56"]
ITEM_LINK = re.compile(r'<h2><a href="/(offer|request)/([a-z0-9-]+)">')


# -- the data, read independently ----------------------------------------------------------

def items(g, cls) -> set[str]:
    return {str(s) for s in g.subjects(RDF.type, cls)}


def slugs(iris) -> set[str]:
    return {i.rsplit("/", 1)[-1] for i in iris}


def who(g, item):
    return g.value(URIRef(item), SCHEMA.offeredBy) or g.value(URIRef(item), MUTU.soughtBy)


def places_of(g, alternative) -> list[tuple[float, float, str, set[str]]]:
    out = []
    for place in g.objects(alternative, SCHEMA.location):
        geo, address = g.value(place, SCHEMA.geo), g.value(place, SCHEMA.address)
        out.append((float(g.value(geo, SCHEMA.latitude)), float(g.value(geo, SCHEMA.longitude)),
                    str(g.value(address, SCHEMA.postalCode)),
                    {str(x).lower() for x in g.objects(address, SCHEMA.addressLocality)}))
    return out


def centre(g, postcode):
    points = [(float(g.value(geo, SCHEMA.latitude)), float(g.value(geo, SCHEMA.longitude)))
              for place in g.subjects(RDF.type, SCHEMA.Place)
              for geo in [g.value(place, SCHEMA.geo)]
              if str(g.value(g.value(place, SCHEMA.address), SCHEMA.postalCode)) == postcode]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def km(a, b) -> float:
    # The documented flat map: 111.2 km per degree of latitude, × cos(50.85°) ≈ 0.631 for longitude.
    assert round(math.cos(math.radians(50.85)), 3) == 0.631
    return math.hypot((a[0] - b[0]) * 111.2, (a[1] - b[1]) * 111.2 * 0.631)


def nearest(g, item, point) -> float:
    return min(km((lat, lon), point) for lat, lon, _, _ in places_of(g, who(g, item)))


# -- the app -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def offers_app(tmp_path_factory):
    app = create_app({"store": str(tmp_path_factory.mktemp("offers") / "store")})
    app.config["TESTING"] = True
    with app.app_context():
        load_demo(get_store(), BASE)
    partner = app.extensions["mutu.tokens"].create("partner-site", "partner")
    yield app, partner
    app.extensions["mutu.store"].close()


@pytest.fixture
def web(offers_app):
    return offers_app[0].test_client()


@pytest.fixture
def partner(offers_app):
    return {"Authorization": f"Bearer {offers_app[1]}"}


def listed(web, url) -> list[str]:
    response = web.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [slug for _, slug in ITEM_LINK.findall(response.get_data(as_text=True))]


# -- /offers -------------------------------------------------------------------------------

def test_offers_page_lists_offers_and_requests(web, demo_graph):
    offers, requests = items(demo_graph, MUTU.Offer), items(demo_graph, MUTU.Request)
    assert len(offers) == 7 and len(requests) == 5
    assert set(listed(web, "/offers")) == slugs(offers | requests)
    assert set(listed(web, "/offers?type=offer")) == slugs(offers)
    assert set(listed(web, "/offers?type=request")) == slugs(requests)
    html = web.get("/offers?type=request&lang=en").get_data(as_text=True)
    assert '<strong aria-current="page">Requests</strong>' in html
    assert 'href="/offers?type=offer"' in html
    assert '<a href="/offers">' in web.get("/").get_data(as_text=True)  # nav link


@pytest.mark.parametrize("kind", ["skill", "service", "room", "equipment"])
def test_kind_filter(web, demo_graph, kind):
    expected = {i for i in items(demo_graph, MUTU.Offer) | items(demo_graph, MUTU.Request)
                if demo_graph.value(URIRef(i), MUTU.offerKind) == MUTU[kind]}
    assert expected
    assert set(listed(web, f"/offers?kind={kind}")) == slugs(expected)


def test_category_filter_includes_narrower_categories(web, demo_graph):
    item = URIRef(BASE + "offer/cuisine-partagee")
    category = demo_graph.value(item, MUTU.category)
    broader = demo_graph.value(category, SKOS.broader)
    assert broader is not None
    under = {str(c) for c in demo_graph.transitive_subjects(SKOS.broader, broader)}
    expected = {i for i in items(demo_graph, MUTU.Offer) | items(demo_graph, MUTU.Request)
                if {str(c) for c in demo_graph.objects(URIRef(i), MUTU.category)} & under}
    slug = str(broader).rsplit("/", 1)[-1]
    assert "cuisine-partagee" in slugs(expected)
    assert set(listed(web, f"/offers?category={slug}")) == slugs(expected)


@pytest.mark.parametrize("commune", ["ixelles", "Elsene", "1000", "etterbeek"])
def test_commune_filter_is_the_alternatives_commune(web, demo_graph, commune):
    def matches(item):
        return any(commune.lower() in names or commune == pc for _, _, pc, names in places_of(demo_graph, who(demo_graph, item)))
    expected = {i for i in items(demo_graph, MUTU.Offer) | items(demo_graph, MUTU.Request) if matches(i)}
    assert expected
    assert set(listed(web, f"/offers?commune={commune}")) == slugs(expected)


def test_text_search_folds_accents_and_case(web):
    for q in ("ELECTRIQUE", "électrique", "Bakfiets"):
        assert listed(web, f"/offers?q={q}") == ["velo-cargo"]
    assert listed(web, "/offers?q=nothing-like-this") == []


def test_paging(web):
    first = listed(web, "/offers?per_page=5")
    second = listed(web, "/offers?per_page=5&page=2")
    third = listed(web, "/offers?per_page=5&page=3")
    assert len(first) == len(second) == 5 and len(third) == 2
    assert len(set(first + second + third)) == 12
    assert 'rel="next"' in web.get("/offers?per_page=5").get_data(as_text=True)
    assert 'rel="next"' not in web.get("/offers?per_page=5&page=3").get_data(as_text=True)


def test_near_orders_by_distance_and_radius_cuts(web, demo_graph):
    point = centre(demo_graph, "1050")
    everything = items(demo_graph, MUTU.Offer) | items(demo_graph, MUTU.Request)
    by_distance = sorted(everything, key=lambda i: (nearest(demo_graph, i, point), i))
    assert listed(web, "/offers?near=1050") == [i.rsplit("/", 1)[-1] for i in by_distance]
    close = [i.rsplit("/", 1)[-1] for i in by_distance if nearest(demo_graph, i, point) <= 3]
    assert 0 < len(close) < len(everything)
    assert listed(web, "/offers?near=1050&radius=3") == close
    html = web.get("/offers?near=1050&lang=en").get_data(as_text=True)
    first = f"{nearest(demo_graph, by_distance[0], point):.1f} km away"
    assert first in html


@pytest.mark.parametrize("url, parameter", [
    ("/offers?type=gift", "type"), ("/offers?kind=car", "kind"), ("/offers?near=12", "near"),
    ("/offers?radius=3", "radius"), ("/offers?lat=50.8", "lon"), ("/offers?lat=abc&lon=4.3", "lat"),
    ("/offers?lat=50.8&lon=4.3&near=1050", "near"), ("/offers?radius=-1&near=1050", "radius"),
    ("/offers?per_page=0", "per_page"), ("/offers?colour=red", "colour"), ("/offers?category=<x>", "category"),
    ("/offers.csv?kind=car", "kind"), ("/offers.geojson?radius=5", "radius"), ("/offers.atom?lang=de", "lang"),
])
def test_bad_input_is_400_naming_the_parameter(web, url, parameter):
    response = web.get(url, headers={"Accept": "text/plain"})
    assert response.status_code == 400
    assert f"parameter '{parameter}'" in response.get_data(as_text=True)


def test_messages_in_three_languages(web):
    for key, values in MESSAGES.items():
        assert len(values) == 3 and all(v.strip() for v in values), key
    titles = {lang: web.get(f"/offers?lang={lang}").get_data(as_text=True) for lang in ("fr", "nl", "en")}
    assert "<h1>Offres et demandes</h1>" in titles["fr"]
    assert "<h1>Aanbod en vragen</h1>" in titles["nl"]
    assert "<h1>Offers and requests</h1>" in titles["en"]


# -- /offer/<slug>, /request/<slug> --------------------------------------------------------

def test_offer_page_shows_its_facts(web):
    html = web.get("/offer/sono-et-tonnelles?lang=en").get_data(as_text=True)
    for text in ("Sound system, gazebos and tables for your events", "equipment", "paid", "10 EUR",
                 "Weekends, €50 deposit", 'href="/alternative/outilotheque-de-la-foret"',
                 "pret@example.org", 'href="/category/lending-central"'):
        assert text in html, text
    fr = web.get("/offer/sono-et-tonnelles?lang=fr").get_data(as_text=True)
    assert "matériel" in fr and "payant" in fr and "Proposé par" in fr


def test_request_page_and_dates(web):
    html = web.get("/request/local-de-stockage?lang=en").get_data(as_text=True)
    assert "Sought by" in html and 'href="/alternative/grainotheque-d-evere"' in html
    assert 'datetime="2026-10-01"' in html and 'datetime="2027-03-31"' in html
    assert "graines@example.org" in html


@pytest.mark.parametrize("ext, fmt", [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt")])
def test_twins(web, ext, fmt):
    response = web.get(f"/offer/velo-cargo.{ext}")
    assert response.status_code == 200
    g = rdflib.Graph().parse(data=response.get_data(as_text=True), format=fmt)
    offer = URIRef(BASE + "offer/velo-cargo")
    assert (offer, SCHEMA.offeredBy, URIRef(BASE + "alternative/atelier-velo-le-rayon")) in g
    assert (offer, MUTU.offerKind, MUTU.equipment) in g
    assert str(g.value(offer, SCHEMA.telephone)) == "+32 2 555 01 12"
    negotiated = web.get("/request/site-web", headers={"Accept": "text/turtle"})
    assert negotiated.mimetype == "text/turtle" and "Accept" in negotiated.headers["Vary"]


@pytest.mark.parametrize("path", ["/offer/nope", "/request/velo-cargo-x", "/offer/Bad_Slug", "/offer/velo-cargo.xyz"])
def test_unknown_offers_are_404(web, path):
    assert web.get(path).status_code == 404


def test_alternative_page_lists_what_it_offers_and_seeks(web, demo_graph):
    html = web.get("/alternative/la-ruche-commune?lang=en").get_data(as_text=True)
    block = html[html.index('id="offers-block"'):]
    block = block[:block.index("</section>")]
    assert "What we offer" in block and "What we seek" not in block.split("</h2>", 1)[1]
    for item in demo_graph.subjects(SCHEMA.offeredBy, URIRef(BASE + "alternative/la-ruche-commune")):
        assert f'href="/offer/{str(item).rsplit("/", 1)[-1]}"' in block
    seeker = web.get("/alternative/gasap-des-etangs?lang=nl").get_data(as_text=True)
    assert "Wat we zoeken" in seeker and 'href="/request/site-web"' in seeker
    assert 'id="offers-block"' not in web.get("/alternative/bees-coop").get_data(as_text=True)


# -- contact visibility --------------------------------------------------------------------

CONTACT_URLS = ["/offers", "/offers?lang=en", "/offer/salle-la-ruche-commune", "/offer/cuisine-partagee",
                "/offer/accompagnement-comptable.ttl", "/offer/cuisine-partagee.jsonld", "/request/camionnette",
                "/request/camionnette.nt", "/offers.csv", "/offers.geojson", "/offers.atom",
                "/api/queries/feed-offers", "/api/queries/feed-offers?format=csv", "/alternative/la-ruche-commune"]


def test_partners_contacts_never_reach_anonymous_readers(web):
    for url in CONTACT_URLS:
        for accept in ("text/html", "*/*", "text/turtle", "application/json"):
            body = web.get(url, headers={"Accept": accept}).get_data(as_text=True)
            for secret in PARTNER_CONTACTS:
                assert secret not in body, (url, accept, secret)
    html = web.get("/offer/salle-la-ruche-commune?lang=en").get_data(as_text=True)
    assert "may be reserved to partners" in html and 'href="/alternative/la-ruche-commune"' in html
    # public contacts stay public
    assert "pret@example.org" in web.get("/offers.csv").get_data(as_text=True)


def test_partner_token_sees_partners_contacts(web, partner):
    html = web.get("/offer/cuisine-partagee?lang=en", headers=partner).get_data(as_text=True)
    assert "cuisine@example.org" in html and "+32 2 555 01 34" in html
    assert "reserved to partners" not in html
    for url in ("/offers.csv", "/offers.geojson", "/offers.atom", "/api/queries/feed-offers"):
        body = web.get(url, headers=partner).get_data(as_text=True)
        for secret in ("salle@example.org", "compta@example.org", "+32 2 555 01 56"):
            assert secret in body, (url, secret)
    ttl = web.get("/request/camionnette.ttl", headers=partner).get_data(as_text=True)
    assert "+32 2 555 01 56" in ttl


# -- feeds ---------------------------------------------------------------------------------

def test_csv_rows_follow_the_filters(web, demo_graph):
    rows = list(csv.DictReader(io.StringIO(web.get("/offers.csv?type=offer&kind=room").get_data(as_text=True))))
    expected = {i for i in items(demo_graph, MUTU.Offer) if demo_graph.value(URIRef(i), MUTU.offerKind) == MUTU.room}
    assert {r["iri"] for r in rows} == expected
    salle = next(r for r in rows if r["iri"].endswith("salle-la-ruche-commune"))
    assert salle["type"] == "offer" and salle["kind"] == "room" and salle["conditions"] == "paid"
    assert float(salle["price"]) == 25 and salle["currency"] == "EUR" and salle["email"] == ""
    assert salle["alternative"] == BASE + "alternative/la-ruche-commune"
    assert salle["page"].endswith("/offer/salle-la-ruche-commune")
    paged = web.get("/offers.csv?per_page=5")
    assert len(list(csv.DictReader(io.StringIO(paged.get_data(as_text=True))))) == 5
    assert 'rel="next"' in paged.headers["Link"] and "page=2" in paged.headers["Link"]


def test_geojson_points_are_the_alternatives_places(web, demo_graph):
    body = web.get("/offers.geojson?near=1050&radius=4").get_json()
    point = centre(demo_graph, "1050")
    assert body["type"] == "FeatureCollection" and body["features"]
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        item = feature["properties"]["iri"]
        places = [(la, lo) for la, lo, _, _ in places_of(demo_graph, who(demo_graph, item))]
        assert any(abs(la - lat) < 1e-9 and abs(lo - lon) < 1e-9 for la, lo in places)
        assert feature["properties"]["distance_km"] == pytest.approx(nearest(demo_graph, item, point), abs=0.01)
        assert feature["properties"]["distance_km"] <= 4
    assert len(body["features"]) == sum(1 for i in items(demo_graph, MUTU.Offer) | items(demo_graph, MUTU.Request)
                                        if nearest(demo_graph, i, point) <= 4)


def test_atom_feed(web, demo_graph):
    root = ET.fromstring(web.get("/offers.atom?type=request&lang=nl").get_data())
    entries = root.findall(f"{ATOM}entry")
    assert {e.find(f"{ATOM}id").text for e in entries} == items(demo_graph, MUTU.Request)
    assert root.attrib["{http://www.w3.org/XML/1998/namespace}lang"] == "nl"
    titles = {e.find(f"{ATOM}title").text for e in entries}
    assert "Hulp gezocht voor onze nieuwe website" in titles
    camion = next(e for e in entries if e.find(f"{ATOM}id").text.endswith("camionnette"))
    assert {c.attrib["term"] for c in camion.findall(f"{ATOM}category")} == {"request", "equipment", "paid"}


def test_csv_guards_against_formulas(client):
    hostile = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
<https://mutu.brussels/offer/hostile> a mutu:Offer, schema:Offer ;
    schema:name "=HYPERLINK(\\"https://evil.example\\")"@fr ;
    mutu:offerKind mutu:skill ; mutu:conditions mutu:free ;
    schema:offeredBy <https://mutu.brussels/alternative/repair-cafe-ixelles> ;
    schema:telephone "+32 2 555 00 00" .
"""
    with client.application.app_context():
        load_fixture(get_store(), hostile, BASE + "graph/hostile")
    rows = list(csv.DictReader(io.StringIO(client.get("/offers.csv").get_data(as_text=True))))
    row = next(r for r in rows if r["iri"].endswith("/offer/hostile"))
    assert row["name"].startswith("'=HYPERLINK")
    assert row["telephone"] == "+32 2 555 00 00"


# -- who can help with X near Y ------------------------------------------------------------

def expected_help(g, point, *, kind=None, categories=None, radius=None):
    out = []
    for item in items(g, MUTU.Offer):
        node = URIRef(item)
        if kind and g.value(node, MUTU.offerKind) != MUTU[kind]:
            continue
        if categories is not None and not {str(c) for c in g.objects(node, MUTU.category)} & categories:
            continue
        distance = nearest(g, item, point)
        if radius is None or distance <= radius:
            out.append((distance, item))
    return [(item, distance) for distance, item in sorted(out)]


def ask(web, **params):
    response = web.get("/api/queries/who-can-help", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_who_can_help_near_a_postcode(web, demo_graph):
    rows = ask(web, postcode="1050")
    expected = expected_help(demo_graph, centre(demo_graph, "1050"))
    assert [r["offer"] for r in rows] == [item for item, _ in expected]
    for row, (_, distance) in zip(rows, expected):
        assert row["distance_km"] == pytest.approx(distance, abs=0.011)
        assert row["distance2"] == pytest.approx(distance ** 2, rel=1e-6)
        assert row["alternative"] == str(who(demo_graph, row["offer"]))


def test_who_can_help_near_a_point_with_radius_and_kind(web, demo_graph):
    point = (50.8466, 4.3528)  # Grand-Place
    rows = ask(web, lat="50.8466", lon="4.3528", radius="3.5")
    expected = expected_help(demo_graph, point, radius=3.5)
    assert 0 < len(rows) == len(expected) < 7
    assert [r["offer"] for r in rows] == [item for item, _ in expected]
    rooms = ask(web, lat="50.8466", lon="4.3528", kind="room")
    assert [r["offer"] for r in rooms] == [i for i, _ in expected_help(demo_graph, point, kind="room")]


def test_who_can_help_by_category_notation_or_slug_and_commune(web, demo_graph):
    concept = URIRef(BASE + "category/lending-central")
    notation = str(demo_graph.value(concept, SKOS.notation))
    under = {str(c) for c in demo_graph.transitive_subjects(SKOS.broader, concept)}
    forest = next(lat_lon for lat_lon in [centre_of_commune(demo_graph, "forest")])
    expected = [i for i, _ in expected_help(demo_graph, forest, categories=under)]
    assert expected
    assert [r["offer"] for r in ask(web, category=notation, commune="forest")] == expected
    assert [r["offer"] for r in ask(web, category="lending-central", commune="forest")] == expected
    assert ask(web, category="no-such-category") == []


def centre_of_commune(g, name):
    points = [(float(g.value(geo, SCHEMA.latitude)), float(g.value(geo, SCHEMA.longitude)))
              for place in g.subjects(RDF.type, SCHEMA.Place)
              for geo in [g.value(place, SCHEMA.geo)]
              if name in {str(x).lower() for x in g.objects(g.value(place, SCHEMA.address), SCHEMA.addressLocality)}]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def test_who_can_help_without_a_point_lists_offers_without_distance(web, demo_graph):
    rows = ask(web, kind="skill")
    assert [r["offer"] for r in rows] == sorted(i for i in items(demo_graph, MUTU.Offer)
                                                if demo_graph.value(URIRef(i), MUTU.offerKind) == MUTU.skill)
    assert all("distance_km" not in r or r["distance_km"] is None for r in rows)
    assert ask(web, commune="atlantis", radius="5") != []  # no such commune: no point, the radius has nothing to cut


@pytest.mark.parametrize("params", [{"kind": "car"}, {"lat": "north"}, {"radius": "-2"}, {"limit": "0"},
                                    {"x": "1"}, {"lat": "91", "lon": "4"}])
def test_who_can_help_bad_parameters_are_400(web, params):
    response = web.get("/api/queries/who-can-help", query_string=params)
    assert response.status_code == 400


def test_who_can_help_is_listed_and_never_pastes_text(web):
    listing = web.get("/api/queries", headers={"Accept": "application/json"})
    assert "who-can-help" in listing.get_data(as_text=True)
    # A hostile value is bound as a literal: no result, no error.
    assert ask(web, category='x") } } SELECT * WHERE { ?s ?p ?o } #', commune="forest") == []
