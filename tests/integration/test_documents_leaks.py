"""Documents of a private or partners graph never reach a viewer who may not read that graph:
not on /resources (list, filters, filter choices), its feeds, /document/<slug> and its twins,
the named queries, nor the author's page; a partner sees the partners document only."""

from __future__ import annotations

import pytest

from app.state import get_store
from conftest import BASE, PRIVATE_GRAPH, load_fixture

PARTNERS_DOCS = BASE + "graph/partners-documents"
PRIVATE_DOCS = BASE + "graph/private-documents"
PUBLIC_DOCS = BASE + "graph/public-documents"
PRIVATE_TITLE = "Carnet confidentiel du jardin"
PRIVATE_SUMMARY = "Codes des cadenas et liste des membres"
PARTNERS_TITLE = "Guide réservé aux partenaires"

DOC_TTL = """@prefix mutu: <https://w3id.org/mutu/ns#> . @prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://mutu.brussels/document/{slug}> a mutu:Document ;
  schema:name "{title}"@fr ; schema:abstract "{summary}"@fr ;
  schema:author <https://mutu.brussels/alternative/{author}> ;
  mutu:category <https://mutu.brussels/category/seed-saving> ;
  schema:inLanguage "{language}" ;
  dcterms:license <{licence}> ;
  schema:url <https://example.org/{slug}.pdf> ."""
PUBLIC_ABOUT_SECRET = """@prefix mutu: <https://w3id.org/mutu/ns#> . @prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://mutu.brussels/document/public-guide> a mutu:Document ;
  schema:name "Guide public"@fr ;
  schema:author <https://mutu.brussels/alternative/repair-cafe-ixelles> ;
  schema:about <https://mutu.brussels/alternative/jardin-secret> ;
  dcterms:license <https://creativecommons.org/licenses/by/4.0/> ."""

# Data only (requests may echo their own arguments): titles, summaries, links, and the filter
# choices the hidden documents alone would add (their language and licence).
PRIVATE_MARKS = [PRIVATE_TITLE.encode(), PRIVATE_SUMMARY.encode(), b"Jardin secret",
                 b"private-notebook.pdf", b'<option value="el"', b'<option value="CC-BY-NC-4.0"']
PARTNERS_MARKS = [PARTNERS_TITLE.encode(), b"partners-guide.pdf", b'<option value="etalab-2.0"']


@pytest.fixture
def docs_app(app):
    with app.app_context():
        store = get_store()
        load_fixture(store, DOC_TTL.format(slug="private-notebook", title=PRIVATE_TITLE, summary=PRIVATE_SUMMARY,
                                           author="jardin-secret", language="el",
                                           licence="https://creativecommons.org/licenses/by-nc/4.0/"),
                     PRIVATE_DOCS, visibility="private")
        load_fixture(store, DOC_TTL.format(slug="partners-guide", title=PARTNERS_TITLE, summary="Pour les partenaires",
                                           author="repair-cafe-ixelles", language="fr",
                                           licence="https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
                     PARTNERS_DOCS, visibility="partners")
        load_fixture(store, PUBLIC_ABOUT_SECRET, PUBLIC_DOCS)
    partner = app.extensions["mutu.tokens"].create("partner-site", "partner")
    return app, partner


PATHS = [
    "/resources", "/resources?q=carnet", "/resources?q=guide", "/resources?author=jardin-secret",
    "/resources?language=el", "/resources?licence=CC-BY-NC-4.0", "/resources?category=seed-saving",
    "/resources.csv", "/resources.csv?author=jardin-secret", "/resources.atom", "/resources.atom?q=carnet",
    "/document/private-notebook", "/document/private-notebook.ttl", "/document/private-notebook.jsonld",
    "/document/partners-guide", "/document/partners-guide.nt", "/document/public-guide",
    "/alternative/jardin-secret", "/alternative/repair-cafe-ixelles",
    "/api/queries/documents", "/api/queries/feed-documents", "/api/queries/document-facets",
    f"/api/queries/documents?author={BASE}alternative/jardin-secret",
]


@pytest.mark.parametrize("who", ["anonymous", "partner"])
def test_private_documents_never_leak(docs_app, who):
    app, partner = docs_app
    client = app.test_client()
    headers = {"Authorization": f"Bearer {partner}"} if who == "partner" else {}
    forbidden = PRIVATE_MARKS + ([] if who == "partner" else PARTNERS_MARKS)
    for path in PATHS:
        for accept in ("text/html", "application/sparql-results+json", "text/csv", "*/*"):
            response = client.get(path, headers={**headers, "Accept": accept})
            assert response.status_code < 500, (path, response.status_code)
            for mark in forbidden:
                assert mark not in response.data, f"{who} GET {path} ({accept}) leaks {mark!r}"


def test_anonymous_gets_404_for_hidden_documents_and_sees_the_public_one(docs_app):
    app, partner = docs_app
    client = app.test_client()
    assert client.get("/document/private-notebook").status_code == 404
    assert client.get("/document/partners-guide").status_code == 404
    public = client.get("/document/public-guide?lang=fr")
    assert public.status_code == 200 and "Guide public" in public.get_data(as_text=True)
    # The partner reads the partners document, never the private one.
    auth = {"Authorization": f"Bearer {partner}"}
    assert client.get("/document/partners-guide", headers=auth).status_code == 200
    assert client.get("/document/private-notebook", headers=auth).status_code == 404
    listed = client.get("/resources", headers=auth).get_data(as_text=True)
    assert PARTNERS_TITLE in listed and "Guide public" in listed and PRIVATE_TITLE not in listed
    assert '<option value="etalab-2.0"' in listed  # the marks probed above do show when visible
    assert '<option value="CC-BY-4.0"' in client.get("/resources").get_data(as_text=True)


def test_private_graph_fixture_is_really_there(docs_app):
    """The probes mean something only if the secret data exists in the store."""
    app, _ = docs_app
    with app.app_context():
        rows = get_store().select(f"SELECT ?n WHERE {{ GRAPH <{PRIVATE_DOCS}> {{ ?d <https://schema.org/name> ?n }} }}")
        assert [r["n"].value for r in rows] == [PRIVATE_TITLE]
        assert get_store().graph_triples(PRIVATE_GRAPH)
