"""Widgets for partner sites: pages, filters, theme, framing headers, script, docs, XSS, leaks."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from app import create_app, pipeline
from app.demo_load import load_demo
from app.state import get_store
from conftest import BASE, CC0, PRIVATE_GRAPH, SECRET_NAME, load_fixture, load_raw_graph

EVIL = "<script>alert(1)</script>"
EVIL_TTL = f"""
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://mutu.brussels/alternative/evil-widget> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "{EVIL}"@fr ;
    schema:description "Tom & Jerry <b>bold</b>"@fr ;
    schema:location <https://mutu.brussels/place/evil-widget> .
<https://mutu.brussels/place/evil-widget> a mutu:Place, schema:Place ;
    schema:name "{EVIL} place"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "<img src=x onerror=alert(3)>" ;
                     schema:postalCode "1099" ; schema:addressLocality "Evilville" ; schema:addressCountry "BE" ] ;
    schema:geo [ a schema:GeoCoordinates ; schema:latitude "50.85"^^xsd:decimal ; schema:longitude "4.35"^^xsd:decimal ] .
<https://mutu.brussels/event/evil-widget> a mutu:Event, schema:Event ;
    schema:name "{EVIL} event"@fr ;
    schema:startDate "2099-01-01T10:00:00+01:00"^^xsd:dateTime ;
    schema:location <https://mutu.brussels/place/evil-widget> ;
    schema:organizer <https://mutu.brussels/alternative/evil-widget> .
"""
FRAMED = ["/widget/agenda", "/widget/map", "/widget/card/bees-coop"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    app = create_app({"store": str(tmp_path_factory.mktemp("widgets") / "store")})
    app.config["TESTING"] = True
    with app.app_context():
        store = get_store()
        load_demo(store, BASE)
        pipeline.load(store, BASE, EVIL_TTL.encode(), fmt="turtle", graph=BASE + "graph/evil-widget",
                      source="evil.ttl", licence=CC0, title="evil", visibility="public", who="tests")
        # The shapes refuse a javascript: link; a foreign graph may still hold one.
        load_raw_graph(store, BASE + "graph/evil-links", [ox.Triple(
            ox.NamedNode(BASE + "alternative/evil-widget"), ox.NamedNode("https://schema.org/url"),
            ox.NamedNode("javascript:alert(2)"))])
    yield app
    app.extensions["mutu.store"].close()


@pytest.fixture
def web(demo):
    return demo.test_client()


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', html)


def event_links(html: str) -> list[str]:
    return re.findall(r'href="(?:http://localhost)?(/event/[^"?]+)"', html)


def free_events(app) -> set[str]:
    with app.app_context():
        rows = get_store().select("SELECT ?e WHERE { GRAPH ?g { ?e <https://schema.org/isAccessibleForFree> true } }")
    return {"/" + r["e"].value[len(BASE):] for r in rows}


# -- the pages -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", FRAMED)
def test_widget_is_an_accessible_page(web, path):
    response = web.get(path)
    assert response.status_code == 200, response.data[:300]
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert re.search(r'<html lang="(fr|nl|en)">', html)
    for marker in ('<main id="main">', "<h1>", "<footer>", "<title>", "widget.css", "widget-height.js"):
        assert marker in html, marker
    assert "<header>" not in html and "<nav" not in html  # no site chrome inside a partner's page
    # Every link opens the full page in a new tab, with an absolute URL and a hint for screen readers.
    anchors = re.findall(r"<a [^>]*>", html)
    assert anchors
    for a in anchors:
        assert re.search(r'href="https?://', a), a
        assert 'target="_blank"' in a and "noopener" in a, a
    assert html.count('class="visually-hidden"') == len(anchors)


def test_agenda_lists_upcoming_events_like_the_events_page(web):
    widget = web.get("/widget/agenda?n=50").get_data(as_text=True)
    page = web.get("/events?per_page=50").get_data(as_text=True)
    assert event_links(widget) and event_links(widget) == event_links(page)
    assert "http://localhost/events?" in widget  # the full agenda, absolute


@pytest.mark.parametrize("query", ["category=repair-cafe", "commune=1060", "organizer=bees-coop",
                                   "from=2020-01-01&to=2100-01-01", "q=repair"])
def test_agenda_filters_are_those_of_the_events_page(web, query):
    widget = event_links(web.get(f"/widget/agenda?{query}&n=50").get_data(as_text=True))
    page = event_links(web.get(f"/events?{query}&per_page=50").get_data(as_text=True))
    assert widget == page
    assert widget, f"the demo has events for {query}"
    full = re.search(r'<footer><p><a href="([^"]+)"', web.get(f"/widget/agenda?{query}").get_data(as_text=True))
    assert full.group(1).startswith("http://localhost/events?")
    for pair in query.split("&"):
        assert pair.replace(":", "%3A") in full.group(1)


def test_n_limits_the_items(web):
    assert len(event_links(web.get("/widget/agenda?n=3").get_data(as_text=True))) == 3
    assert len(event_links(web.get("/widget/agenda?n=1").get_data(as_text=True))) == 1
    assert len(event_links(web.get("/widget/agenda").get_data(as_text=True))) == 10
    places = web.get("/widget/map?n=4").get_data(as_text=True)
    assert len(re.findall(r'href="http://localhost/place/', places)) == 4


@pytest.mark.parametrize("query", ["", "&category=repair-cafe", "&q=repair", "&commune=1060"])
def test_free_keeps_only_free_events(demo, web, query):
    free = free_events(demo)
    shown = event_links(web.get(f"/widget/agenda?free=1&n=50{query}").get_data(as_text=True))
    everything = event_links(web.get(f"/widget/agenda?n=50{query}").get_data(as_text=True))
    assert shown, "the demo has free events"
    assert set(shown) <= free
    assert [e for e in everything if e in free] == shown[:len([e for e in everything if e in free])]
    assert any(e not in free for e in everything) or query


def test_map_lists_places_with_coordinates_and_leaflet(web):
    html = web.get("/widget/map").get_data(as_text=True)
    page = web.get("/places?per_page=50").get_data(as_text=True)
    ours = re.findall(r'href="http://localhost(/place/[^"]+)"', html)
    assert ours and ours == re.findall(r'href="(/place/[^"]+)"', page)[:len(ours)]
    assert 'data-lat="' in html and 'id="map"' in html and " hidden>" in html  # shown by the script only
    assert "/vendor/leaflet/dist/leaflet.js" in html and "widget-map.js" in html


def test_map_filters(web):
    ixelles = web.get("/widget/map?commune=1050").get_data(as_text=True)
    page = web.get("/places?commune=1050").get_data(as_text=True)
    assert re.findall(r'localhost(/place/[^"]+)"', ixelles) == re.findall(r'href="(/place/[^"]+)"', page)
    assert "1050" in ixelles
    food = web.get("/widget/map?category=food-agriculture").get_data(as_text=True)
    assert re.findall(r'localhost(/place/[^"]+)"', food) == re.findall(
        r'href="(/place/[^"]+)"', web.get("/places?category=food-agriculture").get_data(as_text=True))


def test_card_shows_one_alternative(web):
    html = web.get("/widget/card/bees-coop?lang=en").get_data(as_text=True)
    assert re.search(r"<h1>.*Bees Coop.*</h1>", html, re.I)
    assert 'href="http://localhost/alternative/bees-coop?lang=en"' in html
    assert 'href="http://localhost/place/bees-coop"' in html
    assert "http://localhost/category/" in html
    assert len(event_links(html)) <= 3
    assert len(event_links(web.get("/widget/card/bees-coop?n=1").get_data(as_text=True))) <= 1


@pytest.mark.parametrize("path", ["/widget/card/no-such-thing", "/widget/card/bees-coop.ttl",
                                  "/widget/card/Bad_Slug", "/widget/card/food-agriculture"])
def test_card_of_unknown_or_non_alternative_is_404(web, path):
    assert web.get(path).status_code == 404


def test_language_and_no_cookie(web):
    nl = web.get("/widget/agenda?lang=nl")
    assert '<html lang="nl">' in nl.get_data(as_text=True) and "Komende activiteiten" in nl.get_data(as_text=True)
    assert nl.headers["Content-Language"] == "nl"
    assert "Set-Cookie" not in nl.headers  # a widget does not set cookies on partners' visitors
    en = web.get("/widget/map", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.get_data(as_text=True)
    assert "Set-Cookie" in web.get("/events?lang=nl").headers  # the site itself still remembers


def test_theme_reaches_the_style_block_normalised(web):
    html = web.get("/widget/agenda?accent=A00&bg=%23fffff0&text=000&font=serif&compact=1").get_data(as_text=True)
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert "--mutu-accent:#aa0000;" in style and "--mutu-bg:#fffff0;" in style and "--mutu-text:#000000;" in style
    assert "Georgia" in style and "&" not in style
    assert 'class="mutu-widget compact"' in html


BAD = [("accent=red", "accent"), ("bg=fff;}body{x:y", "bg"), ("text=%3C/style%3E%3Cscript%3E", "text"),
       ("font=cursive", "font"), ("lang=de", "lang"), ("n=0", "n"), ("n=51", "n"), ("n=ten", "n"),
       ("compact=true", "compact"), ("bg=000", "text"), ("accent=eee", "accent"), ("free=0", "free"),
       ("free=1&free=1", "free"), ("page=2", "page"), ("per_page=5", "per_page"), ("colour=000", "colour"),
       ("category=Not A Slug", "category"), ("from=tomorrow", "from"), ("commune=12", "commune")]


@pytest.mark.parametrize("query, name", BAD)
def test_bad_parameters_are_400_naming_them(web, query, name):
    path = "/widget/map" if name in ("colour",) else "/widget/agenda"
    response = web.get(f"{path}?{query}", headers={"Accept": "text/html"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f"parameter &#39;{name}&#39;" in body
    assert "<script>" not in body and "</style>" not in body and "x:y" not in body
    assert response.headers["Content-Security-Policy"].startswith("frame-ancestors *")  # readable in the frame


def test_card_refuses_filters(web):
    response = web.get("/widget/card/bees-coop?category=food-agriculture")
    assert response.status_code == 400 and b"category" in response.data
    assert web.get("/widget/map?free=1").status_code == 400  # places have no price


# -- headers -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", FRAMED + ["/widget/card/no-such-thing"])
def test_widgets_may_be_framed_by_any_site(web, path):
    response = web.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/", "/events", "/places", "/widgets", "/alternative/bees-coop",
                                  "/sparql", "/no-such-page"])
def test_other_pages_only_by_mutu_itself(web, path):
    response = web.get(path, headers={"Accept": "text/html"})
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_stricter_policies_are_kept(web):
    response = web.get("/self-service", headers={"Accept": "text/html"})
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Content-Security-Policy" not in web.get("/events.ics").headers  # not a page


# -- XSS -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/widget/card/evil-widget", "/widget/agenda?from=2099-01-01",
                                  "/widget/map?commune=1099"])
def test_script_in_data_is_text(web, path):
    html = web.get(path).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "javascript:" not in html


# -- the script and the documentation page -------------------------------------------------

def test_widgets_js(web):
    response = web.get("/widgets.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    js = response.get_data(as_text=True)
    assert "event.origin !== origin" in js and "mutu-widget-height" in js and "/widget/" in js
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("lang, heading", [("fr", "Widgets"), ("nl", "Widgets"), ("en", "Widgets")])
def test_docs_page_has_previews_and_snippets_for_this_host(web, lang, heading):
    response = web.get(f"/widgets?lang={lang}", base_url="https://partner.example:8443")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and f"<h1>{heading}</h1>" in html
    for kind in ("agenda", "map", "card"):
        assert f'src="/widget/{kind}' in html  # live preview
        assert f"&lt;iframe src=&#34;https://partner.example:8443/widget/{kind}" in html
        assert (f"&lt;script src=&#34;https://partner.example:8443/widgets.js&#34; "
                f"data-mutu-widget=&#34;{kind}&#34;") in html
    for name in ("accent", "bg", "text", "font", "lang", "n", "compact", "free=1", "commune", "category"):
        assert f"<code>{name}</code>" in html
    assert 'href="/widgets"' in web.get("/").get_data(as_text=True)  # in the navigation


def test_docs_previews_render(web):
    html = web.get("/widgets").get_data(as_text=True)
    previews = re.findall(r'<iframe class="widget-preview" src="([^"]+)"', html)
    assert len(previews) == 3
    for src in previews:
        assert web.get(src.replace("&amp;", "&")).status_code == 200, src


# -- leaks ---------------------------------------------------------------------------------

SECRET_EVENTS_TTL = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://mutu.brussels/place/cave-secrete> a mutu:Place, schema:Place ;
    schema:name "Cave secrète"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Cachée 1" ; schema:postalCode "1050" ;
                     schema:addressLocality "Ixelles" ; schema:addressCountry "BE" ] ;
    schema:geo [ a schema:GeoCoordinates ; schema:latitude "50.83"^^xsd:decimal ; schema:longitude "4.37"^^xsd:decimal ] .
<https://mutu.brussels/event/reunion-secrete> a mutu:Event, schema:Event ;
    schema:name "Réunion secrète"@fr ;
    schema:startDate "2030-01-18T10:00:00+01:00"^^xsd:dateTime ;
    schema:isAccessibleForFree true ;
    schema:location <https://mutu.brussels/place/cave-secrete> ;
    schema:organizer <https://mutu.brussels/alternative/repair-cafe-ixelles> .
"""
MARKS = [SECRET_NAME, "Cave secrète", "Réunion secrète", "Rue Cachée"]


@pytest.mark.parametrize("partner", [False, True])
def test_private_data_never_shows_in_a_widget(app, partner):
    with app.app_context():
        load_fixture(get_store(), SECRET_EVENTS_TTL, BASE + "graph/secret-events", visibility="private")
    headers = {}
    if partner:
        headers["Authorization"] = "Bearer " + app.extensions["mutu.tokens"].create("partner-site", "partner")
    client = app.test_client()
    public = {"/widget/agenda?from=2030-01-01": "Repair Café de janvier",
              "/widget/agenda?from=2030-01-01&free=1": None,
              "/widget/agenda?from=2030-01-01&commune=1050": "Repair Café de janvier",
              "/widget/agenda?from=2030-01-01&q=secr": None,
              "/widget/map": "Maison de quartier Malibran",
              "/widget/map?commune=ixelles": "Maison de quartier Malibran",
              "/widget/card/repair-cafe-ixelles": "Repair Café Ixelles"}
    for path, expected in public.items():
        response = client.get(path, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        if expected:
            assert expected in html, path  # the public data is there, so the probe could see the rest
        for mark in MARKS:
            assert mark not in html, f"{path} leaks {mark!r}"
    for slug in ("jardin-secret", "cave-secrete"):
        response = client.get(f"/widget/card/{slug}", headers=headers)
        assert response.status_code == 404 and SECRET_NAME.encode() not in response.data
    with app.app_context():  # the secrets are really in the store
        assert get_store().select('SELECT ?e WHERE { GRAPH ?g { ?e ?p "Réunion secrète"@fr } }')
    assert PRIVATE_GRAPH


def built_snippets(html: str) -> list[str]:
    from html import unescape

    part = html.split('id="builder"', 1)[1]
    return [unescape(code) for code in re.findall(r'<pre class="example"><code>(.*?)</code>', part, re.S)]


def test_docs_builder_makes_snippets_of_ones_own(web):
    response = web.get("/widgets?widget=agenda&category=repair-cafe&commune=&free=1&accent=%23c0392b"
                       "&bg=%23ffffff&text=%231d1d1d&font=system&lang=en&n=5&compact=1&slug=bees-coop",
                       base_url="https://partner.example")
    assert response.status_code == 200
    iframe, script, div = built_snippets(response.get_data(as_text=True))
    # Empty fields and colours left at their default say nothing; the rest is kept.
    assert iframe.startswith('<iframe src="https://partner.example/widget/agenda?category=repair-cafe&amp;free=1'
                             '&amp;accent=%23c0392b&amp;font=system&amp;lang=en&amp;n=5&amp;compact=1"')
    assert "bg=" not in iframe and "commune" not in iframe and "slug" not in iframe
    assert script == ('<script src="https://partner.example/widgets.js" data-mutu-widget="agenda" '
                      'data-category="repair-cafe" data-free="1" data-accent="#c0392b" data-font="system" '
                      'data-lang="en" data-n="5" data-compact="1" async></script>')
    assert div.endswith('<div data-mutu-widget="agenda" data-category="repair-cafe" data-free="1" '
                        'data-accent="#c0392b" data-font="system" data-lang="en" data-n="5" data-compact="1"></div>')
    card = web.get("/widgets?widget=card&slug=bees-coop&font=serif").get_data(as_text=True)
    assert 'data-mutu-widget="card" data-slug="bees-coop" data-font="serif"' in built_snippets(card)[1]
    assert 'id="builder"' in web.get("/widgets").get_data(as_text=True)
    assert not built_snippets(web.get("/widgets").get_data(as_text=True))


def test_docs_builder_escapes_values_in_snippets(web):
    html = web.get('/widgets?widget=map&commune=Saint-Gilles"onload=x').get_data(as_text=True)
    iframe, script, _ = built_snippets(html)
    assert 'data-commune="Saint-Gilles&quot;onload=x"' in script
    assert "Saint-Gilles%22onload%3Dx" in iframe


@pytest.mark.parametrize("query, name", [("widget=zzz", "widget"), ("widget=card&slug=Bad%20Slug", "slug"),
                                         ("widget=card&slug=bees-coop&commune=1050", "commune"),
                                         ("widget=agenda&bg=%23000000", "text"), ("widget=map&free=1", "free"),
                                         ("widget=agenda&n=99", "n"), ("widget=agenda&per_page=3", "per_page")])
def test_docs_builder_refuses_what_the_widget_would(web, query, name):
    response = web.get(f"/widgets?{query}", headers={"Accept": "text/html"})
    assert response.status_code == 400 and f"parameter &#39;{name}&#39;" in response.get_data(as_text=True)
