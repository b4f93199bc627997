"""/resources and a document page in headless Chromium with JavaScript off: the filter form
works as a plain GET form, the licence is the first thing shown on a document's page."""

from __future__ import annotations

import re

import pytest

from test_pages_browser import TIMEOUT, browser, server, shot  # noqa: F401 (fixtures)


@pytest.fixture
def plain_page(browser):  # noqa: F811 (the imported fixture)
    context = browser.new_context(locale="en-GB", java_script_enabled=False,
                                  viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    yield page
    context.close()


def test_filter_resources_and_open_a_document_without_javascript(plain_page, server):  # noqa: F811
    page = plain_page
    page.goto(server + "/resources?lang=en")
    assert page.locator("h1").inner_text() == "Resources"
    assert page.locator("ul.documents > li").count() == 7
    page.select_option("#licence", "CC-BY-4.0")
    page.select_option("#language", "en")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"licence=CC-BY-4.0"))
    cards = page.locator("ul.documents > li h2 a")
    assert cards.all_inner_texts() == ["Model statutes for a citizen energy co-operative"]
    shot(page, "resources-filtered")
    cards.first.click()
    page.wait_for_url(re.compile(r"/document/energy-coop-statutes"))
    licence = page.locator("aside.licence")
    assert licence.is_visible()
    assert "Creative Commons Attribution 4.0 International" in licence.inner_text()
    assert licence.locator("a[rel=license]").get_attribute("href") == "https://creativecommons.org/licenses/by/4.0/"
    box = licence.bounding_box()
    assert box is not None and box["y"] < page.locator("dl").bounding_box()["y"]
    shot(page, "document-licence")
