"""HTML pages, languages, linked-data twins and negotiation, on the demo dataset and fixtures."""

from __future__ import annotations

import json
import re

import pytest
import rdflib

from app import create_app
from app.demo_load import load_demo
from app.state import get_store
from tests.conftest import BASE, CC0

PAGES = ["/", "/alternatives", "/alternatives?q=cafe", "/alternatives?category=food-agriculture&commune=1050",
         "/places", "/places?commune=ixelles", "/events", "/events?category=food-agriculture",
         "/events?from=2020-01-01&to=2100-01-01&page=2", "/categories", "/licences", "/datasets",
         "/ontology", "/shapes", "/alternative/bees-coop", "/place/bees-coop",
         "/category/food-agriculture"]
XSS_TTL = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
<https://mutu.brussels/alternative/evil> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "<script>alert(1)</script></script>"@fr ;
    schema:description "Tom & Jerry <b>bold</b>"@fr .
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from app import pipeline

    app = create_app({"store": str(tmp_path_factory.mktemp("pages") / "store")})
    app.config["TESTING"] = True
    with app.app_context():
        store = get_store()
        load_demo(store, BASE)
        pipeline.load(store, BASE, XSS_TTL.encode(), fmt="turtle", graph=BASE + "graph/evil",
                      source="evil.ttl", licence=CC0, title="evil", visibility="public", who="tests")
    yield app
    app.extensions["mutu.store"].close()


@pytest.fixture
def web(demo):
    return demo.test_client()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_html_with_landmarks(web, path):
    response = web.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.data[:300]
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert re.search(r'<html lang="(fr|nl|en)">', html)
    for marker in ('<main id="main">', 'class="skip"', "<nav", "<header>"):
        assert marker in html


def test_demo_content_is_shown(web):
    assert "Bees Coop" in web.get("/alternatives").get_data(as_text=True)
    home = web.get("/").get_data(as_text=True)
    assert 'href="/event/' in home
    agenda = web.get("/events").get_data(as_text=True)
    assert "<time" in agenda and 'href="/event/' in agenda


def test_search_is_accent_and_case_insensitive(web):
    for q in ("CAFE", "café", "Cafe"):
        assert "Repair Café Le Tournevis" in web.get(f"/alternatives?q={q}").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/events?page=0", "/events?from=nope", "/events?from=2030-01-02&to=2030-01-01",
                                  "/alternatives?per_page=100000", "/alternatives?commune=12",
                                  "/events?category=<bad>", "/alternatives?unknown=1"])
def test_bad_filters_are_400_naming_the_parameter(web, path):
    response = web.get(path, headers={"Accept": "text/plain"})
    assert response.status_code == 400
    assert "parameter" in response.get_data(as_text=True)


def test_script_in_data_is_shown_as_text(web):
    html = web.get("/alternative/evil").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    # The JSON-LD block cannot be closed by the data either.
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "</" not in block
    assert json.loads(block)["name"]["@value"] == "<script>alert(1)</script></script>"
    listing = web.get("/alternatives?q=alert").get_data(as_text=True)
    assert "<script>alert" not in listing and "&lt;script&gt;" in listing


def test_language_from_accept_language_switch_and_cookie(web):
    nl = web.get("/events", headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert '<html lang="nl">' in nl.get_data(as_text=True)
    assert nl.headers["Content-Language"] == "nl"
    switched = web.get("/events?lang=en")
    assert '<html lang="en">' in switched.get_data(as_text=True)
    assert "mutu_lang=en" in switched.headers.get("Set-Cookie", "")
    remembered = web.get("/events", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in remembered.get_data(as_text=True)
    # every page links to the other languages
    assert 'hreflang="fr"' in remembered.get_data(as_text=True)


def test_data_in_the_chosen_language(web):
    web.set_cookie("mutu_lang", "nl")
    html = web.get("/place/bees-coop").get_data(as_text=True)
    assert "Schaarbeek" in html
    web.set_cookie("mutu_lang", "fr")
    assert "Schaerbeek" in web.get("/place/bees-coop").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/alternative/nope", "/place/nope", "/event/nope", "/category/nope",
                                  "/graph/nope", "/alternative/Bad_Slug", "/alternative/bees-coop.xyz"])
def test_unknown_iris_are_404(web, path):
    assert web.get(path).status_code == 404


@pytest.mark.parametrize("ext,fmt", [("ttl", "turtle"), ("nt", "nt"), ("rdf", "xml"), ("jsonld", "json-ld")])
def test_twins_parse_and_describe_the_resource(web, ext, fmt):
    response = web.get(f"/alternative/bees-coop.{ext}")
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.data, format=fmt)
    subject = rdflib.URIRef(BASE + "alternative/bees-coop")
    assert (subject, rdflib.URIRef("https://schema.org/name"), None) in graph
    # incoming links worth knowing: the events it organises
    assert any(True for _ in graph.subjects(rdflib.URIRef("https://schema.org/organizer"), subject))


@pytest.mark.parametrize("accept,media", [("text/turtle", "text/turtle"), ("application/ld+json", "application/ld+json"),
                                          ("application/n-triples", "application/n-triples"),
                                          ("application/rdf+xml", "application/rdf+xml"),
                                          ("text/html,application/xhtml+xml", "text/html")])
def test_accept_negotiation(web, accept, media):
    response = web.get("/place/bees-coop", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media
    assert "Accept" in response.headers["Vary"]
    assert '</place/bees-coop.ttl>; rel="alternate"; type="text/turtle"' in response.headers["Link"]


def test_not_acceptable(web):
    assert web.get("/place/bees-coop", headers={"Accept": "image/png"}).status_code == 406


def test_iris_resolve_by_path_on_any_host(web):
    response = web.get("/event/" + _first_event_slug(web), base_url="http://other.example:8080",
                       headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert b"https://mutu.brussels/event/" in response.data


def _first_event_slug(web):
    html = web.get("/events").get_data(as_text=True)
    return re.search(r'href="/event/([a-z0-9-]+)"', html).group(1)


def test_embedded_jsonld_expands_to_schema_org_types(web):
    checks = {"/alternative/bees-coop": "Organization", "/place/bees-coop": "Place",
              "/event/" + _first_event_slug(web): "Event"}
    for path, kind in checks.items():
        html = web.get(path).get_data(as_text=True)
        block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
        graph = rdflib.Graph().parse(data=block, format="json-ld")
        types = set(graph.objects(rdflib.URIRef(BASE + path.lstrip("/")), rdflib.RDF.type))
        assert rdflib.URIRef("https://schema.org/" + kind) in types, (path, types)


def test_event_page_links_organiser_and_place(web):
    html = web.get("/event/" + _first_event_slug(web)).get_data(as_text=True)
    assert 'href="/alternative/' in html and 'href="/place/' in html


def test_alternative_page_shows_sources_and_licences(web):
    html = web.get("/alternative/bees-coop").get_data(as_text=True)
    assert "https://creativecommons.org/licenses/by/4.0/" in html
    assert 'href="/graph/' in html


def test_graph_and_catalog(web):
    html = web.get("/datasets").get_data(as_text=True)
    graph_path = re.search(r'href="(/graph/[a-z0-9-]+)"', html).group(1)
    assert web.get(graph_path).status_code == 200
    ttl = web.get(graph_path + ".ttl")
    assert ttl.status_code == 200 and ttl.mimetype == "text/turtle"
    assert web.get("/catalog", headers={"Accept": "text/turtle"}).status_code == 200


def test_private_graph_is_invisible(client):
    # the conftest app holds a private alternative
    assert client.get("/alternative/jardin-secret").status_code == 404
    assert "Jardin secret" not in client.get("/alternatives").get_data(as_text=True)
    assert client.get("/alternative/repair-cafe-ixelles").status_code == 200


def test_pages_work_without_front_end_libraries(web, monkeypatch, tmp_path):
    from app import views

    monkeypatch.setattr(views, "NODE_MODULES", tmp_path / "missing")
    html = web.get("/places").get_data(as_text=True)
    assert "leaflet.js" not in html and 'id="place-list"' in html
