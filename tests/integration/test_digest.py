"""The digest (/digest, .fragment.html, .md, .email.html) on the demo data and on hostile data.

Real app, real on-disk store, data loaded through the pipeline; HTML is checked by parsing
it (html.parser), and the events expected in a period come from the named query `events`
(queries/events.rq), an independent path from the agenda index the digest reads.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from conftest import BASE, PRIVATE_GRAPH, SECRET_NAME, load_fixture
from app.params import BRUSSELS
from app.state import get_store

LANGS = ("fr", "nl", "en")
FORMATS = {"fragment": ("/digest.fragment.html", "text/html"), "markdown": ("/digest.md", "text/markdown"),
           "email": ("/digest.email.html", "text/html")}
HOSTILE = "<script>alert(1)</script> *Bold* _it_ [x](javascript:alert(2)) <b>"
TODAY = dt.datetime.now(BRUSSELS).date()


def _at(day: dt.date, hhmm: str) -> str:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS).isoformat(timespec="seconds")


def _place(slug: str, name: str) -> str:
    return f"""
<{BASE}place/{slug}> a mutu:Place, schema:Place ; schema:name "{name}"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Haute 1" ;
                     schema:postalCode "1000" ; schema:addressLocality "Bruxelles" ; schema:addressCountry "BE" ] ."""


def _world(tag: str, name: str, *, modified: str | None = None) -> str:
    """An alternative, a place, an event tomorrow, a document and an offer, all named `name`."""
    tomorrow = TODAY + dt.timedelta(days=1)
    own = f'dcterms:modified "{modified}"^^xsd:dateTime ;' if modified else ""
    return f"""
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{BASE}alternative/{tag}> a mutu:Alternative, schema:Organization, org:Organization ; {own}
    schema:name "{name}"@fr ; schema:location <{BASE}place/{tag}-place> .
{_place(tag + "-place", name + " (lieu)")}
<{BASE}event/{tag}-event> a mutu:Event, schema:Event ; schema:name "{name} (événement)"@fr ;
    schema:startDate "{_at(tomorrow, "18:00")}"^^xsd:dateTime ;
    schema:endDate "{_at(tomorrow, "20:00")}"^^xsd:dateTime ;
    schema:isAccessibleForFree true ;
    schema:location <{BASE}place/{tag}-place> ; schema:organizer <{BASE}alternative/{tag}> .
<{BASE}document/{tag}-doc> a mutu:Document, schema:CreativeWork ; schema:name "{name} (document)"@fr ;
    schema:abstract "Résumé de {name}"@fr ;
    schema:author <{BASE}alternative/{tag}> ; dcterms:license <https://creativecommons.org/licenses/by/4.0/> .
<{BASE}offer/{tag}-offer> a mutu:Offer, schema:Offer ; schema:name "{name} (offre)"@fr ;
    mutu:offerKind mutu:skill ; mutu:conditions mutu:free ; schema:offeredBy <{BASE}alternative/{tag}> .
"""


def _events_between(client, start: dt.date, end: dt.date, **filters) -> set[str]:
    """Paths of the events starting in [start, end] by the named query `events`."""
    args = {"from": _at(start, "00:00"), "to": _at(end + dt.timedelta(days=1), "00:00"), "limit": 500, **filters}
    rows = client.get("/api/queries/events?" + urlencode(args)).get_json()
    return {"/" + row["event"][len(BASE):] for row in rows}


def _event_paths(text: str) -> set[str]:
    return {m for m in re.findall(r"http://localhost(/event/[a-z0-9-]+)", text)}


class Tags(HTMLParser):
    """Every start tag with its attributes, and whether html/head/body appear."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


# -- the demo data -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_and_language_lists_the_coming_week(demo_client, lang, fmt):
    path, media = FORMATS[fmt]
    response = demo_client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == media and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Language"] == lang
    text = response.get_data(as_text=True)
    expected = _events_between(demo_client, TODAY, TODAY + dt.timedelta(days=6))
    assert expected, "the demo has events in the coming week"
    assert _event_paths(text) == expected
    # Recently loaded demo documents, offers, requests and alternatives are "new".
    for path_ in ("/document/organiser-un-repair-cafe", "/alternative/repair-cafe-le-tournevis"):
        assert f"http://localhost{path_}" in text
    assert re.search(r"http://localhost/(offer|request)/[a-z0-9-]+", text)
    words = {"fr": "Nouveau ou modifié depuis", "nl": "Nieuw of gewijzigd sinds", "en": "New or changed since"}
    assert words[lang] in text


def test_events_are_grouped_by_day_in_order_with_time_and_place(demo_client):
    text = demo_client.get("/digest.md?lang=en&days=14").get_data(as_text=True)
    agenda = text.split("## What's on", 1)[1].split("## New or changed", 1)[0]
    days = re.findall(r"^### (\w+ \d+ \w+ \d{4})$", agenda, re.M)
    dates = [dt.datetime.strptime(d, "%A %d %B %Y").date() for d in days]
    assert dates == sorted(set(dates)) and len(dates) >= 3
    items = re.findall(r"^- (\d\d:\d\d)(?:–\d\d:\d\d)? · \*\*\[.+?\]\(http://localhost/event/.+\)\*\* · "
                       r"\[.+?\]\(http://localhost/place/", agenda, re.M)
    assert len(items) == len(_events_between(demo_client, TODAY, TODAY + dt.timedelta(days=13)))


def test_a_later_period_and_the_change_window(demo_client):
    start = TODAY + dt.timedelta(days=7)
    text = demo_client.get(f"/digest.md?lang=en&from={start}&days=7").get_data(as_text=True)
    assert _event_paths(text) == _events_between(demo_client, start, start + dt.timedelta(days=6))
    # The demo was loaded today: within 7 days before a period starting next week.
    assert "/document/organiser-un-repair-cafe" in text
    # From tomorrow with no look-back: nothing was changed in the window.
    late = demo_client.get(f"/digest.md?lang=en&from={TODAY + dt.timedelta(days=1)}&recent=0").get_data(as_text=True)
    assert "/document/" not in late and "/alternative/repair-cafe-le-tournevis)" not in late.split("## New", 1)[1]
    assert late.count("Nothing new.") == 3


def test_filters_category_commune_free(demo_client):
    week = (TODAY, TODAY + dt.timedelta(days=13))
    for args, named in (({"category": "repair"}, {"category": BASE + "category/repair"}),
                        ({"commune": "1060"}, {"postcode": "1060"}),
                        ({"commune": "Saint-Gilles"}, {"commune": "saint-gilles"})):
        text = demo_client.get("/digest.md?" + urlencode({**args, "days": 14})).get_data(as_text=True)
        assert _event_paths(text) == _events_between(demo_client, *week, **named), args
    all_events = _events_between(demo_client, *week)
    free = demo_client.get("/digest.md?free=1&days=14").get_data(as_text=True)
    rows = demo_client.get("/api/queries/feed-events?limit=500").get_json()
    paying = {"/" + r["event"][len(BASE):] for r in rows if r.get("free") is False} & all_events
    free_found = _event_paths(free)
    assert free_found and free_found < all_events and not (free_found & paying)
    offers = free.split("## New or changed", 1)[-1]
    assert "· payant ·" not in offers and "· en échange ·" not in offers
    # Category filter on the changed items: documents of the repair family only.
    repair = demo_client.get("/digest.md?lang=en&category=repair").get_data(as_text=True)
    assert "/document/organiser-un-repair-cafe" in repair and "/document/tijdbank-starten" not in repair


def test_the_page_has_preview_copy_boxes_and_links(demo_client):
    for lang in LANGS:
        response = demo_client.get(f"/digest?lang={lang}&days=3&free=1")
        assert response.status_code == 200 and response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        for path in ("/digest.fragment.html?", "/digest.md?", "/digest.email.html?"):
            assert f'href="http://localhost{path}days=3&amp;free=1&amp;lang={lang}"' in html
        boxes = re.findall(r"<textarea[^>]*>(.*?)</textarea>", html, re.S)
        assert len(boxes) == 2 and "&lt;div lang=" in boxes[0] and "# " in boxes[1]
        assert "<script" not in html.split("<main", 1)[1]


def test_links_are_absolute_on_the_requesting_host(demo_client):
    html = demo_client.get("/digest.email.html", base_url="https://partner.example").get_data(as_text=True)
    hrefs = [a["href"] for tag, a in tags(html) if tag == "a"]
    assert hrefs and all(h.startswith("https://partner.example/") for h in hrefs)


# -- HTML safety ---------------------------------------------------------------------------

BARE = {"html", "head", "meta", "title", "br", "tr"}  # structure, nothing to style


def _assert_inline_only(found: list[tuple[str, dict]]):
    for tag, attrs in found:
        assert tag not in ("script", "style", "link", "img", "iframe", "object", "form"), tag
        assert "class" not in attrs and "id" not in attrs, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src"):
            assert not attrs.get(name, "").strip().lower().startswith(("javascript:", "data:")), attrs
        if tag not in BARE:
            assert attrs.get("style"), f"<{tag}> has no style attribute"


@pytest.mark.parametrize("lang", LANGS)
def test_email_is_mail_safe(demo_client, lang):
    html = demo_client.get(f"/digest.email.html?lang={lang}").get_data(as_text=True)
    found = tags(html)
    _assert_inline_only(found)
    assert html.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": lang}) in found
    assert any(t == "meta" and "charset=utf-8" in a.get("content", "") for t, a in found)
    assert [t for t, _ in found].count("table") >= 2 and "<title>" in html
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert "<" not in title and title.strip()


@pytest.mark.parametrize("lang", LANGS)
def test_fragment_is_bare(demo_client, lang):
    html = demo_client.get(f"/digest.fragment.html?lang={lang}").get_data(as_text=True)
    found = tags(html)
    _assert_inline_only(found)
    assert not {t for t, _ in found} & {"html", "head", "body", "meta", "title"}
    assert found[0] == ("div", {"lang": lang, "style": found[0][1]["style"]})


# -- hostile and private data --------------------------------------------------------------

@pytest.fixture
def world(app):
    """The fixture app plus a hostile public world, a private world and a partners world."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        store = get_store()
        load_fixture(store, _world("hostile", HOSTILE), BASE + "graph/hostile")
        load_fixture(store, _world("cachee", SECRET_NAME + " caché"), PRIVATE_GRAPH, visibility="private")
        load_fixture(store, _world("partenaire", "Cercle partenaire"), BASE + "graph/partenaires",
                     visibility="partners")
        load_fixture(store, _world("ancienne", "Ancienne asbl", modified="2020-01-01T00:00:00Z"),
                     BASE + "graph/ancienne")
    partner = app.extensions["mutu.tokens"].create("partner-site", "partner")
    return app, partner


def test_hostile_names_are_escaped(world):
    app, _ = world
    client = app.test_client()
    for path in ("/digest.fragment.html", "/digest.email.html", "/digest"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert not any(a.get("href", "").startswith("javascript:") for _, a in tags(html))
    md = client.get("/digest.md").get_data(as_text=True)
    assert r"\<script\>alert(1)\</script\> \*Bold\* \_it\_ \[x\](javascript:alert(2)) \<b\>" in md
    assert not re.search(r"(?<!\\)[<>]", md)  # every angle bracket of the data escaped
    assert not re.search(r"(?<!\\)\]\(javascript:", md)


def test_private_and_partners_data_never_reach_others(world):
    app, partner = world
    client = app.test_client()
    for path in ("/digest", "/digest.fragment.html", "/digest.md", "/digest.email.html"):
        for args in ("", "?days=31&recent=90", "?free=1", "?commune=1000"):
            body = client.get(path + args).get_data(as_text=True)
            assert "/event/hostile-event" in body  # the public world is there
            for secret in (SECRET_NAME, "cachee", "Cercle partenaire", "partenaire-"):
                assert secret not in body, (path, args, secret)
            shared = client.get(path + args, headers={"Authorization": f"Bearer {partner}"}).get_data(as_text=True)
            assert "Cercle partenaire" in shared and SECRET_NAME not in shared


def test_the_new_filters_do_not_open_private_or_partners_data(world):
    app, partner = world
    client = app.test_client()
    hidden = (SECRET_NAME, "/alternative/cachee", "/event/cachee-", "/document/cachee-", "/offer/cachee-",
              "Cercle partenaire", "/alternative/partenaire", "/event/partenaire-", "/offer/partenaire-")
    for path in ("/digest", "/digest.fragment.html", "/digest.md", "/digest.email.html"):
        for args in ("organizer=cachee", "place=cachee-place", "q=secret", "organizer=partenaire",
                     "place=partenaire-place", "q=cercle", f"organizer={BASE}alternative/cachee"):
            response = client.get(f"{path}?recent=30&{args}")
            assert response.status_code == 200, (path, args)
            # The page's form echoes the request (an IRI filter names its resource): not data.
            body = re.sub(r"<form .*?</form>", "", response.get_data(as_text=True), flags=re.S)
            for secret in hidden:
                assert secret not in body, (path, args, secret)
        shared = client.get(f"{path}?recent=30&organizer=partenaire",
                            headers={"Authorization": f"Bearer {partner}"}).get_data(as_text=True)
        assert "/event/partenaire-event" in shared and "/offer/partenaire-offer" in shared
        assert "/event/hostile-event" not in shared and SECRET_NAME not in shared


def test_an_own_modification_date_wins_over_the_load_date(world):
    app, _ = world
    text = app.test_client().get("/digest.md?recent=30").get_data(as_text=True)
    changed = text.split("## ", 3)[-1]
    # Loaded just now, but the source says the alternative last changed in 2020.
    assert "- **[Ancienne asbl](http://localhost/alternative/ancienne)**" not in changed
    assert "(http://localhost/alternative/hostile)**" in changed
    assert "(http://localhost/document/ancienne-doc)**" in changed  # no own date: the load counts


@pytest.mark.parametrize("query", [
    "days=0", "days=32", "days=x", "recent=91", "recent=-1", "from=2026-13-01", "to=yesterday",
    "from=2030-01-10&to=2030-01-01", "from=2030-01-01&to=2030-03-01", "to=2030-01-05&days=3",
    "free=maybe", "lang=de", "lang=fr&lang=nl", "category=<script>", "commune=12", "q=" + "r" * 101,
    "page=2", "days=3&days=4",
])
def test_bad_parameters_are_400(demo_client, query):
    for path in ("/digest", "/digest.md", "/digest.fragment.html", "/digest.email.html"):
        response = demo_client.get(f"{path}?{query}", headers={"Accept": "text/plain"})
        assert response.status_code == 400, (path, query)
        assert "parameter" in response.get_data(as_text=True)


def test_the_agenda_links_to_the_digest(demo_client):
    for lang, label in zip(LANGS, ("Digest pour lettre d&#39;information", "Overzicht voor nieuwsbrief",
                                   "Newsletter digest")):
        html = demo_client.get(f"/events?lang={lang}").get_data(as_text=True)
        assert f'<a href="/digest">{label}</a>' in html


# -- the agenda's other filters: organizer, place, q ---------------------------------------

def _demo_graph():
    """The demo Turtle read by rdflib: an independent reading of what the digest should pick."""
    import rdflib
    from pathlib import Path

    graph = rdflib.Graph()
    for path in sorted((Path(__file__).resolve().parents[2] / "demo").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _fold(text: str) -> str:
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


SCHEMA = "https://schema.org/"
MUTU_NS = "https://w3id.org/mutu/ns#"


def _kinds(graph) -> dict[str, set[str]]:
    """IRIs of the demo's alternatives, documents and offers/requests (all loaded today: all new)."""
    from rdflib import RDF, URIRef
    return {"alternative": {str(s) for s in graph.subjects(RDF.type, URIRef(SCHEMA + "Organization"))},
            "document": {str(s) for s in graph.subjects(RDF.type, URIRef(MUTU_NS + "Document"))},
            "offer": {str(s) for t in ("Offer", "Request") for s in graph.subjects(RDF.type, URIRef(MUTU_NS + t))}}


def _values(graph, subject: str, *props: str) -> set[str]:
    from rdflib import URIRef
    return {str(o) for p in props for o in graph.objects(URIRef(subject), URIRef(SCHEMA + p if ":" not in p else p))}


def _changed(text: str) -> dict[str, set[str]]:
    """IRIs of the items (bold links, not their "by" links) of the digest's changed sections."""
    part = text.split("## New or changed", 1)[1]
    found = re.findall(r"^- \*\*\[.+?\]\(http://localhost/(alternative|document|offer|request)/([a-z0-9-]+)\)\*\*",
                       part, re.M)
    out = {"alternative": set(), "document": set(), "offer": set()}
    for kind, slug in found:
        out["offer" if kind in ("offer", "request") else kind].add(f"{BASE}{kind}/{slug}")
    return out


def _agenda_events(client, **args) -> set[str]:
    """Event paths of the agenda (/events) itself for the same filters and fortnight."""
    html = client.get("/events?" + urlencode({**args, "from": TODAY.isoformat(),
                                               "to": (TODAY + dt.timedelta(days=13)).isoformat(),
                                               "per_page": 200})).get_data(as_text=True)
    return set(re.findall(r'href="(/event/[a-z0-9-]+)"', html))


def _digest(client, **args) -> str:
    response = client.get("/digest.md?" + urlencode({"lang": "en", "days": 14, "recent": 30, **args}))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _expect(graph, kinds, *, alternatives, document, offer) -> dict[str, set[str]]:
    return {"alternative": {a for a in kinds["alternative"] if alternatives(a)},
            "document": {d for d in kinds["document"] if document(d)},
            "offer": {o for o in kinds["offer"] if offer(o)}}


def _capped(expected: dict[str, set[str]]) -> dict[str, set[str]]:
    assert all(len(v) <= 30 for v in expected.values()), "the test needs sets under the digest's cut"
    return expected


def test_filter_organizer(demo_client):
    graph, organizer = _demo_graph(), BASE + "alternative/tijdbank-jette"
    kinds = _kinds(graph)
    for value in ("tijdbank-jette", organizer):
        text = _digest(demo_client, organizer=value)
        assert _event_paths(text) == _agenda_events(demo_client, organizer=value)
        assert _event_paths(text), "the demo time bank has events in the fortnight"
        expected = _capped(_expect(
            graph, kinds, alternatives=lambda a: a == organizer,
            document=lambda d: organizer in _values(graph, d, "author"),
            offer=lambda o: organizer in _values(graph, o, "offeredBy", MUTU_NS + "soughtBy")))
        assert expected["document"] and expected["offer"]
        assert _changed(text) == expected


def test_filter_place(demo_client):
    graph = _demo_graph()
    kinds = _kinds(graph)
    # The place with the most alternatives located there.
    counts = {}
    for a in kinds["alternative"]:
        for p in _values(graph, a, "location"):
            counts[p] = counts.get(p, 0) + 1
    place = max(sorted(counts), key=counts.get)
    at = {a for a in kinds["alternative"] if place in _values(graph, a, "location")}
    text = _digest(demo_client, place=place[len(BASE + "place/"):])
    assert _event_paths(text) == _agenda_events(demo_client, place=place)
    expected = _capped(_expect(
        graph, kinds, alternatives=lambda a: a in at,
        document=lambda d: bool(_values(graph, d, "about", "author") & at),
        offer=lambda o: bool(_values(graph, o, "offeredBy", MUTU_NS + "soughtBy") & at)))
    assert expected["alternative"] and expected["document"]
    assert _changed(text) == expected


@pytest.mark.parametrize("q", ["Répar", "tijdbank", "velo"])
def test_filter_text(demo_client, q):
    graph = _demo_graph()
    kinds = _kinds(graph)
    folded = _fold(q)

    def has(iri, *props):
        return any(folded in _fold(v) for v in _values(graph, iri, *props))

    text = _digest(demo_client, q=q)
    assert _event_paths(text) == _agenda_events(demo_client, q=q)
    expected = _capped(_expect(
        graph, kinds, alternatives=lambda a: has(a, "name", "description"),
        document=lambda d: has(d, "name", "abstract", "description"),
        offer=lambda o: has(o, "name", "description")))
    assert any(expected.values()), q
    assert _changed(text) == expected


def test_filters_combine_and_reach_the_agenda_link(demo_client):
    text = _digest(demo_client, organizer="repair-cafe-le-tournevis", q="repar")
    assert _event_paths(text) == _agenda_events(demo_client, organizer="repair-cafe-le-tournevis", q="repar")
    assert "organizer=repair-cafe-le-tournevis" in text and "q=repar" in text
    page = demo_client.get("/digest?lang=en&organizer=repair-cafe-le-tournevis&place=x-y&q=caf%C3%A9")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name, value in (("organizer", "repair-cafe-le-tournevis"), ("place", "x-y"), ("q", "café")):
        assert re.search(rf'<input id="{name}" name="{name}"[^>]*value="{value}"', html), name
    # An unknown place is a valid filter that matches nothing.
    assert "Nothing new." in html


@pytest.mark.parametrize("query", [
    "organizer=<script>", "organizer=Not%20A%20Slug", "place=ftp://x", "place=a_b",
    "q=" + "x" * 101, "q=a&q=b", "organizer=a&organizer=b",
])
def test_bad_new_filters_are_400(demo_client, query):
    for path in ("/digest", "/digest.md", "/digest.fragment.html", "/digest.email.html"):
        response = demo_client.get(f"{path}?{query}", headers={"Accept": "text/plain"})
        assert response.status_code == 400, (path, query)
        assert "parameter" in response.get_data(as_text=True)
