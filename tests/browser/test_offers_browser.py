"""/offers in headless Chromium (Debian package, Playwright) with JavaScript off: the filter
form works as a plain GET form, "near" orders by distance, an offer's page hides partners-only
contacts from anonymous readers and shows them to a partner token. Skips locally without
/usr/bin/chromium; fails under CI=true. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from conftest import BASE, LiveServer, make_app
from app.demo_load import load_demo
from app.state import get_store
from test_pages_browser import TIMEOUT, browser, shot  # noqa: F401 (the browser fixture)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("offers-browser"))
    app.config["TESTING"] = True
    with app.app_context():
        load_demo(get_store(), BASE)
    token = app.extensions["mutu.tokens"].create("partner-site", "partner")
    live = LiveServer(app).start()
    yield live.url, token
    live.stop()
    app.extensions["mutu.store"].close()


def _page(browser, **options):
    context = browser.new_context(locale="en-GB", java_script_enabled=False,
                                  viewport={"width": 1200, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT)
    return context, context.new_page()


def test_filter_form_without_javascript(browser, server):
    url, _ = server
    context, page = _page(browser)
    try:
        page.goto(url + "/offers?lang=en")
        assert page.locator("h1").inner_text() == "Offers and requests"
        page.select_option("#kind", "room")
        page.fill("#near", "1050")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        assert "kind=room" in page.url and "near=1050" in page.url
        links = page.locator("ul.offers h2 a")
        assert links.count() == 3  # two room offers and one room request
        assert links.nth(0).get_attribute("href") == "/offer/salle-la-ruche-commune"
        assert "km away" in page.locator("ul.offers li").nth(0).inner_text()
        shot(page, "offers-near-1050")
        links.nth(0).click()
        page.wait_for_load_state()
        assert page.url.endswith("/offer/salle-la-ruche-commune")
        contact = page.locator("dd.contact-reserved").inner_text()
        assert "reserved to partners" in contact and "salle@example.org" not in page.content()
        shot(page, "offer-anonymous")
    finally:
        context.close()


def test_partner_sees_the_contact(browser, server):
    url, token = server
    context, page = _page(browser, extra_http_headers={"Authorization": f"Bearer {token}"})
    try:
        page.goto(url + "/offer/salle-la-ruche-commune?lang=en")
        assert page.locator("dd.contact").first.inner_text() == "salle@example.org"
        assert page.locator("dd.contact-reserved").count() == 0
        shot(page, "offer-partner")
    finally:
        context.close()
