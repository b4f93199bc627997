"""The home page counts documents, offers and requests (as the reader may see them), and every
page links to the issue-7 pages: /resources and /offers in the navigation, /widgets too,
/digest in the footer.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, Namespace

from app import create_app
from app.demo import demo_sources
from app.demo_load import load_demo
from app.state import get_store
from tests.conftest import BASE, load_raw_graph

MUTU = Namespace("https://w3id.org/mutu/ns#")
COUNT = re.compile(r'<li><a href="([^"]+)"><strong>(\d+)</strong> ([^<]+)</a></li>')
HIDDEN_OFFER = """@prefix schema: <https://schema.org/> . @prefix mutu: <https://w3id.org/mutu/ns#> .
<https://mutu.brussels/offer/partners-only-room> a mutu:Offer, schema:Offer ; schema:name "Salle réservée"@fr ;
  mutu:offerKind mutu:room ; schema:offeredBy <https://mutu.brussels/alternative/bees-coop> .
<https://mutu.brussels/document/private-guide> a mutu:Document, schema:CreativeWork ; schema:name "Guide privé"@fr ."""


@pytest.fixture(scope="module")
def demo_counts() -> dict[str, int]:
    g = rdflib.Graph()
    for source in demo_sources():
        if source.name in ("documents", "offers"):
            g.parse(data=source.data, format="turtle")
    return {kind: len(set(g.subjects(RDF.type, cls)))
            for kind, cls in (("documents", MUTU.Document), ("offers", MUTU.Offer), ("requests", MUTU.Request))}


@pytest.fixture(scope="module")
def home_app(tmp_path_factory):
    app = create_app({"store": str(tmp_path_factory.mktemp("home") / "store")})
    app.config["TESTING"] = True
    triples = list(ox.parse(HIDDEN_OFFER.encode(), format=ox.RdfFormat.TURTLE))
    with app.app_context():
        load_demo(get_store(), BASE)
        offer = [t for t in triples if "/offer/" in t.subject.value]
        document = [t for t in triples if "/document/" in t.subject.value]
        load_raw_graph(get_store(), BASE + "graph/partners-offer", offer, visibility="partners")
        load_raw_graph(get_store(), BASE + "graph/private-document", document, visibility="private")
    partner = app.extensions["mutu.tokens"].create("partner-site", "partner")
    yield app, {"Authorization": f"Bearer {partner}"}
    app.extensions["mutu.store"].close()


def counts(app, headers=None, lang="en") -> dict[str, tuple[int, str]]:
    html = app.test_client().get(f"/?lang={lang}", headers=headers or {}).get_data(as_text=True)
    return {href: (int(n), label.strip()) for href, n, label in COUNT.findall(html)}


def test_home_counts_documents_offers_and_requests(home_app, demo_counts):
    app, _ = home_app
    found = counts(app)
    assert found["/resources"] == (demo_counts["documents"], "Resources")
    assert found["/offers?type=offer"] == (demo_counts["offers"], "Offers")
    assert found["/offers?type=request"] == (demo_counts["requests"], "Requests")
    assert found["/offers?type=offer"][0] >= 5 and found["/resources"][0] >= 5
    for href in found:
        assert app.test_client().get(href).status_code == 200, href
    assert counts(app, lang="nl")["/offers?type=request"][1] == "Vragen"
    assert counts(app, lang="fr")["/resources"][1] == "Ressources"


def test_home_counts_follow_the_reader(home_app, demo_counts):
    app, partner = home_app
    # the partner's view first: a count cached for it must not reach an anonymous reader
    assert counts(app, partner)["/offers?type=offer"][0] == demo_counts["offers"] + 1
    assert counts(app)["/offers?type=offer"][0] == demo_counts["offers"]
    assert counts(app, partner)["/resources"][0] == demo_counts["documents"]  # private stays hidden
    assert counts(app)["/resources"][0] == demo_counts["documents"]


@pytest.mark.parametrize("path", ["/", "/events", "/resources", "/offers", "/alternative/bees-coop"])
def test_issue_7_pages_are_linked_from_every_page(home_app, path):
    html = home_app[0].test_client().get(path).get_data(as_text=True)
    nav = html[html.index('<nav aria-label="Mutu">'):]
    nav = nav[:nav.index("</nav>")]
    for href in ("/resources", "/offers", "/widgets"):
        assert f'href="{href}"' in nav, (path, href)
    footer = html[html.index("<footer>"):]
    assert 'href="/digest"' in footer and 'href="/widgets"' in footer
