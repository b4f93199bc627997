"""The pages in a real browser: headless Chromium from Debian, driven by Playwright's Python package.

The app runs under waitress on a free loopback port on the demo dataset. Map tiles point to a
local path that does not exist (the tests run offline; Leaflet draws markers without tiles).
Each test saves a screenshot in test-artifacts/ (git-ignored) for a human to look at.

Chromium comes from the Debian package (`apt-get install chromium`, see .ci/run); Playwright's
own browser download is not used. Locally the tests skip when /usr/bin/chromium is missing;
under CI=true they fail instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import BASE, LiveServer, make_app
from app.demo_load import load_demo
from app.i18n import MESSAGES
from app.sparql_page import examples
from app.state import get_store

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 30_000  # ms; the test machines can be slow


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("browser"), tile_url="/static/no-tiles/{z}/{x}/{y}.png")
    app.config["TESTING"] = True
    with app.app_context():
        load_demo(get_store(), BASE)
    live = LiveServer(app).start()
    yield live.url
    live.stop()
    app.extensions["mutu.store"].close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def label(key: str, lang: str) -> str:
    return MESSAGES[key][("fr", "nl", "en").index(lang)]


def test_home_shows_counts(page, server):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    counts = page.locator(".counts li strong").all_inner_texts()
    assert len(counts) == 8 and all(int(n) > 0 for n in counts)  # 7 kinds and the datasets
    assert page.locator(".events li").count() > 0
    shot(page, "home")
    assert page.errors == []


def test_alternative_page(page, server):
    page.goto(server + "/alternative/bees-coop")
    assert "BEES" in page.title().upper() or "BEES" in page.locator("h1").inner_text().upper()
    scripts = page.locator('script[type="application/ld+json"]')
    assert scripts.count() == 1
    data = json.loads(scripts.first.text_content())
    assert "Organization" in json.dumps(data)
    shot(page, "alternative")


def test_places_map_shows_markers(page, server):
    page.goto(server + "/places")
    page.wait_for_function("document.querySelectorAll('.leaflet-marker-icon').length > 0")
    markers = page.locator(".leaflet-marker-icon").count()
    assert markers == page.locator("#place-list li[data-lat]").count()
    assert page.locator("#map").is_visible()
    shot(page, "places-map")
    assert page.errors == []


def test_agenda_lists_events(page, server):
    page.goto(server + "/events")
    assert page.locator("h1").inner_text() == label("events", "en")
    assert page.locator(".events li a").count() > 0
    shot(page, "agenda")


def test_language_switch_is_remembered(page, server):
    page.goto(server + "/")
    nav = page.locator('header nav[aria-label="Mutu"]')
    assert nav.get_by_text(label("datasets", "en"), exact=True).is_visible()
    page.locator('a[hreflang="nl"]').click()
    page.wait_for_function("document.documentElement.lang === 'nl'")
    assert nav.get_by_text(label("datasets", "nl"), exact=True).is_visible()
    shot(page, "home-nl")
    page.goto(server + "/places")  # no ?lang=: the cookie decides
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == label("places", "nl")
    shot(page, "places-nl")


def test_query_page_runs_the_prefilled_query_in_yasgui(page, server):
    page.goto(server + "/sparql")
    page.wait_for_selector("#yasgui .CodeMirror")
    assert page.locator("#query-form").is_hidden()
    tabs = page.locator("#yasgui .tabsList .tab")
    names = [n.strip() for n in tabs.all_inner_texts()]
    for _, title, _, _ in examples():
        assert any(title in n for n in names), (title, names)
    page.locator("#yasgui .yasqe_queryButton").first.click()
    rows = page.locator("#yasgui .yasr tbody tr")
    page.wait_for_function("document.querySelectorAll('#yasgui .yasr tbody tr').length > 0")
    assert rows.count() > 0
    shot(page, "sparql-yasgui")
    # An example tab holds a named query with its defaults bound.
    tabs.filter(has_text=examples()[0][1]).first.click()
    page.wait_for_timeout(300)
    shot(page, "sparql-yasgui-example")
    assert page.errors == []


def test_query_form_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        page.goto(server + "/sparql")
        assert page.locator("#query-form").is_visible() and page.locator("#yasgui").is_hidden()
        assert page.locator("#examples pre.example").count() == len(examples())
        shot(page, "sparql-form-nojs")
        page.select_option("#format", "xml")
        answers = []

        def capture(route):
            # The real answer to the browser's form submission, shown as text: Chromium would
            # otherwise download application/sparql-results+xml and stay on the form.
            response = route.fetch()
            answers.append((response.status, response.headers["content-type"], response.text()))
            route.fulfill(response=response, content_type="text/plain; charset=utf-8")

        page.route(lambda url: "query=" in url, capture)
        page.locator('#query-form button[type="submit"]').click()
        page.wait_for_url(lambda url: "query=" in url and "format=xml" in url)
        page.wait_for_load_state()
        [(status, media, body)] = answers
        assert status == 200 and media.startswith("application/sparql-results+xml")
        assert '<binding name="name">' in body and "<result>" in body
        assert '<binding name="name">' in page.locator("body").inner_text()
        shot(page, "sparql-form-nojs-results")
    finally:
        context.close()
