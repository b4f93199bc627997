"""The common documentation base on the demo data: /resources, /document/<slug>, the feeds
(/resources.atom read by feedparser, /resources.csv by csv) and the named queries."""

from __future__ import annotations

import csv
import io
import json
import re

import feedparser
import pytest
import rdflib

from app.documents import MESSAGES

BASE = "https://mutu.brussels/"
DOC = "/document/organiser-un-repair-cafe"
DEMO_DOCUMENTS = 7


def get(client, url, status=200, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
    return response


def html(client, url, status=200, **headers) -> str:
    return get(client, url, status, **headers).get_data(as_text=True)


def listed(page: str) -> list[str]:
    """Document slugs linked from the cards of /resources, in order."""
    return re.findall(r'<h2><a href="/document/([a-z0-9-]+)"', page)


def test_every_message_has_three_languages():
    for key, texts in MESSAGES.items():
        assert len(texts) == 3 and all(t.strip() for t in texts), key


# -- /resources ------------------------------------------------------------------------------

def test_resources_lists_every_demo_document_newest_first(demo_client):
    page = html(demo_client, "/resources?lang=fr")
    slugs = listed(page)
    assert len(slugs) == DEMO_DOCUMENTS
    assert slugs[0] == "organiser-un-repair-cafe"  # 2025-09-15, the newest
    assert slugs[-1] == "tijdbank-starten"  # 2023
    assert "<h1>Ressources</h1>" in page and 'href="/resources"' in page  # the nav link
    assert 'rel="license">CC-BY-SA-4.0</a>' in page


def test_resources_in_dutch_and_english(demo_app):
    assert "<h1>Kennisbank</h1>" in html(demo_app.test_client(), "/resources?lang=nl")
    page = html(demo_app.test_client(), "/resources", **{"Accept-Language": "en"})
    assert "<h1>Resources</h1>" in page and "Running a repair café in your neighbourhood" in page


@pytest.mark.parametrize("query,expected", [
    ("q=GRAINES", ["graines-recolte-conservation"]),
    ("q=temperatures", ["frigo-solidaire-afsca"]),  # the English summary, accents folded
    ("q=coöperatie", ["energy-coop-statutes"]),
    ("licence=CC-BY-4.0", ["energy-coop-statutes", "tijdbank-starten"]),
    ("licence=https://unlicense.org/", ["zero-waste-shop-suppliers"]),
    ("language=en", ["energy-coop-statutes", "zero-waste-shop-suppliers", "graines-recolte-conservation"]),
    ("language=nl&licence=cc-by-sa-4.0", ["organiser-un-repair-cafe", "graines-recolte-conservation"]),
    ("author=coopsoleil", ["energy-coop-statutes"]),
    ("category=share-reuse", ["modele-convention-pret-outils"]),
    ("category=timebanking&language=fr", []),
])
def test_resources_filters(demo_client, query, expected):
    assert listed(html(demo_client, "/resources?" + query)) == expected


def test_resources_paging(demo_client):
    first = html(demo_client, "/resources?per_page=3")
    second = html(demo_client, "/resources?per_page=3&page=2")
    third = html(demo_client, "/resources?per_page=3&page=3")
    assert len(listed(first)) == 3 and len(listed(second)) == 3 and len(listed(third)) == 1
    assert not set(listed(first)) & set(listed(second))
    assert 'rel="next" href="/resources?per_page=3&amp;page=2"' in first
    assert 'rel="next"' not in third and 'rel="prev"' in third


def test_resources_filter_choices_come_from_the_data(demo_client):
    page = html(demo_client, "/resources?lang=en")
    assert '<option value="CC-BY-SA-4.0">CC-BY-SA-4.0 (2)</option>' in page
    assert '<option value="nl">Nederlands (4)</option>' in page
    assert 'value="https://mutu.brussels/alternative/coopsoleil">' in page
    assert '<option value="ODbL-1.0"' not in page  # no document uses it


@pytest.mark.parametrize("query,parameter", [
    ("licence=GPL-3.0", "licence"), ("language=fr%3B", "language"), ("author=%3Cx%3E", "author"),
    ("category=Not+A+Slug", "category"), ("page=0", "page"), ("per_page=100000", "per_page"),
    ("colour=red", "colour"), ("q=" + "x" * 101, "q"), ("licence=CC0-1.0&licence=CC-BY-4.0", "licence"),
])
def test_bad_filters_are_400_naming_the_parameter(demo_client, query, parameter):
    for path in ("/resources", "/resources.csv", "/resources.atom"):
        body = html(demo_client, f"{path}?{query}", status=400)
        assert f"'{parameter}'" in body or parameter in body, (path, body[:300])


# -- /document/<slug> ----------------------------------------------------------------------

def test_document_page_shows_licence_authors_and_links(demo_client):
    page = html(demo_client, DOC + "?lang=fr")
    licence = page[page.index('<aside class="licence"'):page.index("</aside>")]
    assert 'href="https://creativecommons.org/licenses/by-sa/4.0/" rel="license"' in licence
    assert "Ce document est partagé sous la licence" in licence
    assert "<code>CC-BY-SA-4.0</code>" in licence
    assert page.index('<aside class="licence"') < page.index("<dl>")  # above the details
    assert '<a href="/alternative/repair-cafe-le-tournevis">' in page  # author
    assert '<a href="/alternative/brussels-fixers-collective">' in page  # about
    assert '<a href="/category/repair-cafe">' in page
    assert 'href="https://example.org/tournevis/guide-repair-cafe.pdf"' in page
    assert '<time datetime="2025-09-15">' in page and "Pas à pas" in page
    assert '<a href="/resources?language=nl">Nederlands</a>' in page


def test_document_twins_describe_it(demo_client):
    ttl = get(demo_client, DOC + ".ttl")
    g = rdflib.Graph().parse(data=ttl.data, format="turtle")
    doc = rdflib.URIRef(BASE + DOC[1:])
    assert (doc, rdflib.URIRef("http://purl.org/dc/terms/license"),
            rdflib.URIRef("https://creativecommons.org/licenses/by-sa/4.0/")) in g
    jsonld = json.loads(get(demo_client, DOC + ".jsonld").data)
    assert jsonld
    page = html(demo_client, DOC)
    embedded = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert embedded["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert embedded["author"] == {"@id": BASE + "alternative/repair-cafe-le-tournevis"}
    assert "HowTo" in embedded["@type"] and "CreativeWork" in embedded["@type"]
    assert get(demo_client, DOC, Accept="text/turtle").mimetype == "text/turtle"


def test_unknown_document_is_404(demo_client):
    get(demo_client, "/document/no-such-document", status=404)
    get(demo_client, "/document/Bad_Slug", status=404)


def test_alternative_page_lists_the_documents_it_shares(demo_client):
    page = html(demo_client, "/alternative/coopsoleil?lang=en")
    section = page[page.index('id="shared-documents"'):]
    assert '<a href="/document/energy-coop-statutes">' in section and "(CC-BY-4.0)" in section
    assert 'id="shared-documents"' not in html(demo_client, "/alternative/potager-du-marais")


# -- feeds -----------------------------------------------------------------------------------

def csv_rows(client, url):
    response = get(client, url)
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))


def test_csv_has_every_document_with_its_licence(demo_client):
    rows = csv_rows(demo_client, "/resources.csv?lang=en")
    assert len(rows) == DEMO_DOCUMENTS
    first = rows[0]
    assert first["iri"] == BASE + "document/organiser-un-repair-cafe"
    assert first["name"] == "Running a repair café in your neighbourhood"
    assert first["licence_id"] == "CC-BY-SA-4.0" and first["date"] == "2025-09-15"
    assert first["author_names"] == "Repair Café Le Tournevis" and first["languages"] in ("fr nl", "nl fr")
    assert first["page"] == "http://localhost/document/organiser-un-repair-cafe"
    assert set(first["categories"].split()) == {BASE + "category/repair-cafe", BASE + "category/repairing"}


def test_csv_takes_the_page_filters_and_pages(demo_client):
    rows = csv_rows(demo_client, "/resources.csv?language=nl&licence=CC-BY-SA-4.0")
    assert [r["iri"].rsplit("/", 1)[1] for r in rows] == ["organiser-un-repair-cafe", "graines-recolte-conservation"]
    response = get(demo_client, "/resources.csv?per_page=5")
    assert 'rel="next"' in response.headers["Link"] and "page=2" in response.headers["Link"]
    assert len(csv_rows(demo_client, "/resources.csv?per_page=5&page=2")) == 2


def test_atom_feed_parses_with_licence_authors_and_enclosure(demo_client):
    response = get(demo_client, "/resources.atom?lang=nl")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Mutu: kennisbank" and len(feed.entries) == DEMO_DOCUMENTS
    entry = feed.entries[0]
    assert entry.id == BASE + "document/organiser-un-repair-cafe"
    assert entry.title == "Een repaircafé organiseren in je buurt"
    assert entry.link == "http://localhost/document/organiser-un-repair-cafe"
    assert entry.rights == "CC-BY-SA-4.0" and entry.author == "Repair Café Le Tournevis"
    assert [l.href for l in entry.links if l.rel == "enclosure"] == ["https://example.org/tournevis/guide-repair-cafe.pdf"]
    assert [l.href for l in entry.links if l.rel == "license"] == ["https://creativecommons.org/licenses/by-sa/4.0/"]
    assert entry.published.startswith("2025-09-15")
    filtered = feedparser.parse(get(demo_client, "/resources.atom?author=coopsoleil").data)
    assert [e.id for e in filtered.entries] == [BASE + "document/energy-coop-statutes"]


def test_csv_cells_that_look_like_formulas_are_neutralised(client):
    from app.state import get_store
    from conftest import load_fixture

    ttl = """@prefix mutu: <https://w3id.org/mutu/ns#> . @prefix schema: <https://schema.org/> .
    @prefix dcterms: <http://purl.org/dc/terms/> .
    <https://mutu.brussels/document/formula> a mutu:Document ;
      schema:name "=HYPERLINK(\\"http://evil.example\\")"@fr ;
      schema:author <https://mutu.brussels/alternative/repair-cafe-ixelles> ;
      dcterms:license <https://creativecommons.org/publicdomain/zero/1.0/> ."""
    with client.application.app_context():
        load_fixture(get_store(), ttl, BASE + "graph/formula-docs")
    rows = csv_rows(client, "/resources.csv")
    assert [r["name"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\")"]


# -- named queries ---------------------------------------------------------------------------

def test_named_queries_are_listed_and_run(demo_client):
    body = get(demo_client, "/api/queries", Accept="application/json").get_json()
    names = json.dumps(body)
    for name in ("documents", "feed-documents", "document-facets"):
        assert f'"{name}"' in names
    result = get(demo_client, "/api/queries/documents?language=fr&licence="
                 "https://creativecommons.org/licenses/by-sa/4.0/", Accept="application/sparql-results+json").get_json()
    docs = [b["document"]["value"] for b in result["results"]["bindings"]]
    assert docs == [BASE + "document/organiser-un-repair-cafe", BASE + "document/graines-recolte-conservation"]
    facets = get(demo_client, "/api/queries/document-facets?facet=licence",
                 Accept="application/sparql-results+json").get_json()["results"]["bindings"]
    counts = {b["licence_id"]["value"]: int(b["count"]["value"]) for b in facets}
    assert counts == {"CC-BY-SA-4.0": 2, "CC-BY-4.0": 2, "CC0-1.0": 1, "CC-BY-NC-4.0": 1, "Unlicense": 1}
    get(demo_client, "/api/queries/document-facets?facet=colour", status=400)
    get(demo_client, "/api/queries/documents?licence=not%20an%20iri", status=400)


def test_feed_rows_read_per_document_match_the_documents_query(demo_app):
    """The feeds' fast path (app.document_rows) gives the named query's rows, in its order."""
    from app import document_rows, reading

    with demo_app.test_request_context("/resources.csv"):
        _, named = reading.named("documents", None, limit=500)
        _, page = reading.named("feed-documents", None)
        fast = document_rows.page(page)
    assert [r["document"] for r in fast] == [r["document"] for r in named]
    assert all(r.get("updated") is not None for r in fast)
    columns = ("name_fr", "name_nl", "name_en", "abstract_fr", "abstract_nl", "abstract_en",
               "licence", "licence_id", "date", "url")
    for slow, quick in zip(named, fast):
        for column in columns:
            assert slow.get(column) == quick.get(column), (slow["document"], column)
        for column in ("authors", "languages"):
            assert sorted(slow[column].value.split()) == sorted(quick[column].value.split())


def test_markup_and_script_links_in_data_stay_inert(client):
    from app.state import get_store

    ttl = """@prefix mutu: <https://w3id.org/mutu/ns#> . @prefix schema: <https://schema.org/> .
    @prefix dcterms: <http://purl.org/dc/terms/> .
    <https://mutu.brussels/document/hostile> a mutu:Document ;
      schema:name "<script>alert(1)</script> guide"@fr ;
      schema:abstract "<img src=x onerror=alert(2)>"@fr ;
      schema:author <https://mutu.brussels/alternative/repair-cafe-ixelles> ;
      schema:url <javascript:alert(3)> ;
      dcterms:license <https://creativecommons.org/publicdomain/zero/1.0/> ."""
    import pyoxigraph as ox
    from conftest import load_raw_graph

    with client.application.app_context():
        # Around the shapes (they refuse a javascript: link): data that reached the store otherwise.
        load_raw_graph(get_store(), BASE + "graph/hostile-docs", list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE)))
    for url in ("/resources", "/document/hostile", "/alternative/repair-cafe-ixelles"):
        page = html(client, url)
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert 'href="javascript:' not in page, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt; guide" in html(client, "/document/hostile")
    feed = feedparser.parse(get(client, "/resources.atom").data)
    assert feed.entries[0].title == "<script>alert(1)</script> guide"  # text, escaped in the XML
    assert not [l for l in feed.entries[0].links if l.rel == "enclosure"]
