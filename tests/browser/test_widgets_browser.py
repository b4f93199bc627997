"""Widgets in a real browser, embedded by a partner page served from another origin.

Mutu runs under waitress on the demo dataset (like test_pages_browser.py); the partner page is a
static file served by Python's http.server on another loopback port, so every widget is a
cross-origin frame. The page embeds the agenda, card and map as plain iframes, two widgets
through /widgets.js (a div and the script tag itself), and a normal Mutu page that must refuse
to be framed. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from conftest import BASE, LiveServer, make_app
from app.demo_load import load_demo
from app.state import get_store
from test_pages_browser import TIMEOUT, browser, shot  # noqa: F401 (the browser fixture)

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner site</title></head>
<body style="font-family: sans-serif; max-width: 900px">
<h1>A partner's site</h1>
<div id="scripted-agenda" data-mutu-widget="agenda" data-n="3" data-lang="nl" data-title="Agenda (NL)"></div>
<script src="{mutu}/widgets.js" data-mutu-widget="card" data-slug="bees-coop" data-accent="c0392b" data-lang="en" async></script>
<h2>Plain iframes</h2>
<iframe id="agenda" src="{mutu}/widget/agenda?n=5&amp;lang=en" title="Agenda" width="100%" height="420" style="border:0"></iframe>
<iframe id="card" src="{mutu}/widget/card/bees-coop?lang=fr&amp;font=serif" title="Bees Coop" width="100%" height="380" style="border:0"></iframe>
<iframe id="map" src="{mutu}/widget/map?lang=en" title="Map" width="100%" height="460" style="border:0"></iframe>
<h2>A normal page (must not be framed)</h2>
<iframe id="blocked" src="{mutu}/events" title="Events" width="100%" height="200"></iframe>
</body></html>
"""


@pytest.fixture(scope="module")
def mutu(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("widgets-browser"), tile_url="/static/no-tiles/{z}/{x}/{y}.png")
    app.config["TESTING"] = True
    with app.app_context():
        load_demo(get_store(), BASE)
    live = LiveServer(app).start()
    yield live.url
    live.stop()
    app.extensions["mutu.store"].close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test output is no place for access logs
        pass


@pytest.fixture(scope="module")
def partner(tmp_path_factory, mutu):
    """Base URL of the partner's site: another port, hence another origin."""
    root = tmp_path_factory.mktemp("partner")
    (root / "index.html").write_text(HOST_PAGE.format(mutu=mutu), encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="partner-site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1000, "height": 2600})
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_partner_page_embeds_the_widgets(page, partner, mutu):
    assert partner.rsplit(":", 1)[1] != mutu.rsplit(":", 1)[1]
    page.goto(partner + "/index.html")

    agenda = page.frame_locator("#agenda")
    agenda.locator(".events li a").first.wait_for()
    assert agenda.locator(".events li a").count() == 5  # n=5; the demo has more upcoming events
    assert agenda.locator("html").get_attribute("lang") == "en"
    href = agenda.locator(".events li a").first.get_attribute("href")
    assert href.startswith(mutu + "/event/")
    assert agenda.locator(".events li a").first.get_attribute("target") == "_blank"

    card = page.frame_locator("#card")
    assert "bees coop" in card.locator("h1").inner_text().lower()
    assert card.locator("html").get_attribute("lang") == "fr"
    assert "Georgia" in card.locator("body").evaluate("b => getComputedStyle(b).fontFamily")

    themap = page.frame_locator("#map")
    themap.locator(".leaflet-marker-icon").first.wait_for()
    assert themap.locator(".leaflet-marker-icon").count() == themap.locator("#place-list li[data-lat]").count()
    assert themap.locator("#map").is_visible()

    # A normal page refuses to be framed by another origin (frame-ancestors 'self').
    page.wait_for_load_state("load")
    blocked = page.locator("#blocked").element_handle().content_frame()
    assert blocked.url.startswith("chrome-error://"), blocked.url
    assert page.frame_locator("#blocked").locator("header nav").count() == 0
    assert page.frame_locator("#agenda").locator("h1").count() == 1  # while the widget frames load
    shot(page, "widgets-partner-page")
    for name in ("agenda", "card", "map"):
        page.locator(f"#{name}").screenshot(path=str(_artifact(f"widget-{name}")))
    assert page.errors == []


def test_script_snippet_inserts_frames_sized_by_postmessage(page, partner, mutu):
    page.goto(partner + "/index.html")
    page.wait_for_function("document.querySelectorAll('iframe.mutu-widget[data-mutu-height]').length === 2")
    frames = page.locator("iframe.mutu-widget")
    assert frames.count() == 2
    assert page.locator("#scripted-agenda").count() == 0  # the div was replaced by its iframe
    sources = [frames.nth(i).get_attribute("src") for i in range(2)]
    assert sources[0] == mutu + "/widget/agenda?n=3&lang=nl"
    assert sources[1] == mutu + "/widget/card/bees-coop?accent=c0392b&lang=en"
    assert frames.nth(0).get_attribute("title") == "Agenda (NL)"
    for i in range(2):
        element = frames.nth(i)
        reported = int(element.get_attribute("data-mutu-height"))
        inner = element.element_handle().content_frame()
        height = inner.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
        assert reported == height  # the height the widget posted, not the 400px default
        assert element.evaluate("f => f.style.height") == f"{reported}px"
        assert abs(element.bounding_box()["height"] - reported) <= 1
    scripted = page.frame_locator("iframe.mutu-widget >> nth=0")
    assert scripted.locator("html").get_attribute("lang") == "nl"
    assert scripted.locator(".events li a").count() == 3
    card = page.frame_locator("iframe.mutu-widget >> nth=1")
    colour = card.locator("h1").evaluate("h => getComputedStyle(h).borderBottomColor")
    assert colour == "rgb(192, 57, 43)"  # accent=c0392b

    # A message from another origin (here the partner page itself) is ignored.
    before = frames.nth(1).get_attribute("data-mutu-height")
    page.evaluate("window.postMessage({type: 'mutu-widget-height', height: 77}, '*')")
    page.wait_for_timeout(300)
    assert frames.nth(1).get_attribute("data-mutu-height") == before
    assert frames.nth(1).evaluate("f => f.style.height") == f"{before}px"
    shot(page, "widgets-script-snippet")
    assert page.errors == []


def test_links_open_the_full_page_in_a_new_tab(page, partner, mutu):
    page.goto(partner + "/index.html")
    card = page.frame_locator("#card")
    with page.context.expect_page() as opened:
        card.locator("footer a").click()
    new = opened.value
    new.wait_for_load_state()
    assert new.url.startswith(mutu + "/alternative/bees-coop")
    assert page.url == partner + "/index.html"  # the partner's page stays
    assert "bees coop" in new.locator("h1").inner_text().lower()


def test_docs_page_previews(page, mutu):
    page.goto(mutu + "/widgets?lang=en")
    previews = page.locator("iframe.widget-preview")
    assert previews.count() == 3
    page.frame_locator("iframe.widget-preview >> nth=1").locator(".leaflet-marker-icon").first.wait_for()
    assert page.frame_locator("iframe.widget-preview >> nth=0").locator(".events li").count() > 0
    snippet = page.locator("pre.example code").nth(1).inner_text()
    assert snippet.startswith(f'<script src="{mutu}/widgets.js" data-mutu-widget="agenda"')
    shot(page, "widgets-docs")
    assert page.errors == []


def _artifact(name: str):
    from test_pages_browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
