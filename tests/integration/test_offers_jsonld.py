"""The schema.org JSON-LD embedded in /offer/<slug> and /request/<slug> pages: parsed with
rdflib and compared with the demo Turtle read independently; partners-only contact details
appear in it for a partner token only.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import rdflib
from rdflib import RDF, Literal, Namespace, URIRef

from app import create_app
from app.demo_load import load_demo
from app.state import get_store
from tests.conftest import BASE

MUTU = Namespace("https://w3id.org/mutu/ns#")
SCHEMA = Namespace("https://schema.org/")
GR = Namespace("http://purl.org/goodrelations/v1#")
BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def offers_app(tmp_path_factory):
    app = create_app({"store": str(tmp_path_factory.mktemp("offers-jsonld") / "store")})
    app.config["TESTING"] = True
    with app.app_context():
        load_demo(get_store(), BASE)
    partner = app.extensions["mutu.tokens"].create("partner-site", "partner")
    yield app, {"Authorization": f"Bearer {partner}"}
    app.extensions["mutu.store"].close()


def embedded(offers_app, path: str, headers=None) -> rdflib.Graph:
    response = offers_app[0].test_client().get(path, headers=headers or {})
    assert response.status_code == 200
    blocks = BLOCK.findall(response.get_data(as_text=True))
    assert len(blocks) == 1
    return rdflib.Graph().parse(data=blocks[0], format="json-ld")


def slug(iri) -> str:
    return str(iri).rsplit("/", 1)[-1]


def test_every_demo_offer_carries_its_facts(offers_app, demo_graph):
    offers = sorted(demo_graph.subjects(RDF.type, MUTU.Offer))
    assert len(offers) >= 5
    for offer in offers:
        g = embedded(offers_app, "/offer/" + slug(offer))
        assert (offer, RDF.type, SCHEMA.Offer) in g
        for prop in (SCHEMA.name, SCHEMA.description):
            assert set(g.objects(offer, prop)) == set(demo_graph.objects(offer, prop)), (offer, prop)
        who = demo_graph.value(offer, SCHEMA.offeredBy)
        assert set(g.objects(offer, SCHEMA.offeredBy)) == {who}
        assert (who, RDF.type, SCHEMA.Organization) in g
        assert set(g.objects(who, SCHEMA.name)) == set(demo_graph.objects(who, SCHEMA.name))
        assert set(g.objects(offer, SCHEMA.category)) == set(demo_graph.objects(offer, MUTU.category))
        kind = demo_graph.value(offer, MUTU.offerKind)
        function = GR.LeaseOut if kind in (MUTU.room, MUTU.equipment) else GR.ProvideService
        assert g.value(offer, SCHEMA.businessFunction) == function
        for prop in (SCHEMA.availabilityStarts, SCHEMA.availabilityEnds):
            assert g.value(offer, prop) == demo_graph.value(offer, prop), (offer, prop)
        price = demo_graph.value(offer, SCHEMA.price)
        if price is not None:
            assert Decimal(str(g.value(offer, SCHEMA.price))) == Decimal(str(price))
            assert g.value(offer, SCHEMA.priceCurrency) == Literal("EUR")
        elif demo_graph.value(offer, MUTU.conditions) == MUTU.free:
            assert int(g.value(offer, SCHEMA.price)) == 0
        else:
            assert g.value(offer, SCHEMA.price) is None
        # contact details are not Offer properties: they sit on the alternative's contact point
        assert g.value(offer, SCHEMA.email) is None and g.value(offer, SCHEMA.telephone) is None


def test_every_demo_request_is_sought_by_its_alternative(offers_app, demo_graph):
    requests = sorted(demo_graph.subjects(RDF.type, MUTU.Request))
    assert len(requests) >= 3
    for item in requests:
        g = embedded(offers_app, "/request/" + slug(item))
        assert (item, RDF.type, SCHEMA.Demand) in g
        who = demo_graph.value(item, MUTU.soughtBy)
        assert set(g.subjects(SCHEMA.seeks, item)) == {who}
        assert (who, RDF.type, SCHEMA.Organization) in g and g.value(who, SCHEMA.name) is not None
        for prop in (SCHEMA.name, SCHEMA.description):
            assert set(g.objects(item, prop)) == set(demo_graph.objects(item, prop)), (item, prop)
        assert g.value(item, SCHEMA.offeredBy) is None and g.value(item, SCHEMA.category) is None
        price = demo_graph.value(item, SCHEMA.price)
        spec = g.value(item, SCHEMA.priceSpecification)
        if price is not None:
            assert Decimal(str(g.value(spec, SCHEMA.price))) == Decimal(str(price))
        assert g.value(item, SCHEMA.price) is None  # Demand has no price of its own


def contacts(g: rdflib.Graph) -> set[str]:
    return {str(o) for p in (SCHEMA.email, SCHEMA.telephone) for o in g.objects(None, p)}


@pytest.mark.parametrize("path, secrets", [
    ("/offer/cuisine-partagee", {"cuisine@example.org", "+32 2 555 01 34"}),
    ("/offer/salle-la-ruche-commune", {"salle@example.org"}),
    ("/request/camionnette", {"+32 2 555 01 56"}),
])
def test_partners_only_contacts_follow_the_reader(offers_app, path, secrets):
    anonymous = embedded(offers_app, path)
    assert contacts(anonymous) == set()
    partner = embedded(offers_app, path, offers_app[1])
    assert contacts(partner) == secrets
    point = next(partner.objects(None, SCHEMA.contactPoint))
    assert (point, RDF.type, SCHEMA.ContactPoint) in partner


def test_public_contacts_show_to_everyone(offers_app):
    g = embedded(offers_app, "/offer/velo-cargo")
    who = URIRef(BASE + "alternative/atelier-velo-le-rayon")
    point = g.value(who, SCHEMA.contactPoint)
    assert str(g.value(point, SCHEMA.telephone)) == "+32 2 555 01 12"
    g = embedded(offers_app, "/request/local-de-stockage")
    assert contacts(g) == {"graines@example.org"}


def test_markup_in_data_cannot_close_the_script(tmp_path):
    app = create_app({"store": str(tmp_path / "store")})
    app.config["TESTING"] = True
    ttl = """@prefix schema: <https://schema.org/> . @prefix mutu: <https://w3id.org/mutu/ns#> .
<https://mutu.brussels/offer/x> a mutu:Offer, schema:Offer ; schema:name "</script><script>alert(1)</script>" ;
  mutu:offerKind mutu:skill ; schema:offeredBy <https://mutu.brussels/alternative/a> .
<https://mutu.brussels/alternative/a> a schema:Organization ; schema:name "A </script>" ."""
    import pyoxigraph as ox

    from tests.conftest import load_raw_graph

    with app.app_context():
        load_raw_graph(get_store(), BASE + "graph/x", list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE)))
    html = app.test_client().get("/offer/x").get_data(as_text=True)
    block = BLOCK.findall(html)[0]
    assert "</script>" not in block and "<script>" not in block
    g = rdflib.Graph().parse(data=block, format="json-ld")
    offer = URIRef(BASE + "offer/x")
    assert str(g.value(offer, SCHEMA.name)) == "</script><script>alert(1)</script>"
    assert str(g.value(URIRef(BASE + "alternative/a"), SCHEMA.name)) == "A </script>"
    app.extensions["mutu.store"].close()
