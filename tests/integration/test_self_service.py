"""Self-service page: a collective edits its own record and events with its editor token.

Every refused request (no or wrong CSRF token, no signed-in editor, a graph outside the
token's scope, data that breaks the shapes) must leave the store byte-for-byte as it was;
every accepted one goes through app.writes (scope, validation, change log). Text written
through the forms is shown escaped on the self-service page and on every public page.
"""

from __future__ import annotations

import io
import re
from html import unescape

import icalendar
import pyoxigraph as ox
import pytest

from conftest import BASE, PRIVATE_GRAPH, PUBLIC_GRAPH, load_fixture
from app.state import get_store

OWN = BASE + "graph/own"
ALT = BASE + "alternative/own"
EVENT = BASE + "event/own-fete"
PLACE = BASE + "place/maison-de-quartier-malibran"
OTHER_ALT = BASE + "alternative/repair-cafe-ixelles"  # in the public fixture graph
SCHEMA = "https://schema.org/"
CAT = BASE + "category/"
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

OWN_TTL = f"""
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ALT}> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Notre collectif"@fr ;
    schema:description "Un collectif de quartier."@fr ;
    schema:email "contact@notre.example" ;
    schema:location <{PLACE}> .
<{EVENT}> a mutu:Event, schema:Event ;
    schema:name "Fête du quartier"@fr ;
    schema:description "Musique et soupe."@fr ;
    schema:startDate "2031-06-21T16:00:00+02:00"^^xsd:dateTime ;
    schema:location <{PLACE}> ;
    schema:organizer <{ALT}> .
"""


@pytest.fixture
def ctx(app):
    with app.app_context():
        load_fixture(get_store(), OWN_TTL, OWN)
    tokens = app.extensions["mutu.tokens"]
    editor = tokens.create("own", "editor", [OWN])
    partner = tokens.create("friend", "partner")
    client = app.test_client()
    client.get("/sparql?query=ASK{}")  # token events reach the log now, not during a probe
    return app, client, editor, partner


def dump(app) -> bytes:
    with app.app_context():
        out = io.BytesIO()
        get_store().dump(out)
        return out.getvalue()


def graph_triples(app, graph: str) -> set[str]:
    with app.app_context():
        return {str(t) for t in get_store().graph_triples(graph)}


def csrf_of(html: str) -> str:
    return unescape(re.search(r'name="csrf" value="([^"]+)"', html).group(1))


def page(client, url="/self-service", status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:800])
    return response.get_data(as_text=True)


def sign_in(client, token) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    csrf = csrf_of(page(client))
    response = client.post("/self-service/login", data={"csrf": csrf, "token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return csrf_of(page(client))


def record_form(**fields) -> dict:
    base = {"graph": OWN, "alternative": ALT, "name_fr": "Notre collectif",
            "description_fr": "Un collectif de quartier.", "email": "contact@notre.example"}
    base.update(fields)
    return base


def event_form(**fields) -> dict:
    base = {"graph": OWN, "alternative": ALT, "name_fr": "Atelier vélo", "name_nl": "Fietsatelier",
            "description_fr": "On répare les vélos.", "start": "2031-01-18T14:00",
            "end": "2031-01-18T17:30", "place": PLACE, "category": [CAT + "repair"]}
    base.update(fields)
    return base


# -- the page and its cookie -------------------------------------------------------------

@pytest.mark.parametrize("lang,word", [("fr", "Jeton d'édition"), ("nl", "Bewerkingstoken"),
                                        ("en", "Editor token")])
def test_sign_in_form_in_three_languages(ctx, lang, word):
    _, client, _, _ = ctx
    html = page(client, f"/self-service?lang={lang}")
    assert f'lang="{lang}"' in html and unescape(word) in unescape(html)
    assert 'type="password"' in html and 'name="csrf"' in html


def test_session_cookie_flags(ctx):
    app, client, _, _ = ctx
    response = client.get("/self-service")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/self-service" in cookie
    assert "Secure" not in cookie  # plain http (e.g. a local test server)
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    secure = app.test_client().get("/self-service", base_url="https://localhost")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_the_token_is_not_in_the_cookie(ctx):
    app, client, editor, _ = ctx
    sign_in(client, editor)
    cookie = client.get_cookie("mutu_session", path="/self-service")
    assert cookie is not None and editor not in cookie.value
    assert editor not in page(client)


def test_sign_in_lists_the_alternatives_of_the_scope(ctx):
    _, client, editor, _ = ctx
    sign_in(client, editor)
    html = page(client)
    assert "Notre collectif" in html and OWN in html
    assert "Repair Café Ixelles" not in html  # public, but not in the token's graphs


def test_wrong_partner_and_revoked_tokens_cannot_sign_in(ctx):
    app, client, editor, partner = ctx
    for token in ("mutu_nope", partner):
        csrf = csrf_of(page(client))
        response = client.post("/self-service/login", data={"csrf": csrf, "token": token})
        assert response.status_code == 403
        assert "Notre collectif" not in response.get_data(as_text=True)
    sign_in(client, editor)
    app.extensions["mutu.tokens"].revoke("own")
    html = page(client)
    assert 'type="password"' in html and "Notre collectif" not in html  # back to the sign-in form


# -- CSRF and who may post -------------------------------------------------------------------

POSTS = [("/self-service/edit", record_form(name_fr="Changé")),
         ("/self-service/events", event_form()),
         ("/self-service/events/cancel", {"graph": OWN, "alternative": ALT, "event": EVENT})]


@pytest.mark.parametrize("url,data", POSTS)
def test_post_without_or_with_wrong_csrf_is_refused(ctx, url, data):
    app, client, editor, _ = ctx
    good = sign_in(client, editor)
    before = dump(app)
    for csrf in (None, "", "x" * len(good), good[:-1], good + "x"):
        form = dict(data) if csrf is None else {**data, "csrf": csrf}
        response = client.post(url, data=form)
        assert response.status_code == 403, (csrf, response.get_data(as_text=True)[:300])
        assert dump(app) == before
    # The CSRF token of another session is no good either.
    other = ctx[0].test_client()
    other_csrf = sign_in(other, editor)
    assert other_csrf != good
    assert client.post(url, data={**data, "csrf": other_csrf}).status_code == 403
    assert dump(app) == before


def test_sign_in_needs_csrf_too(ctx):
    _, client, editor, _ = ctx
    page(client)
    response = client.post("/self-service/login", data={"token": editor})
    assert response.status_code == 403
    assert 'type="password"' in page(client)  # not signed in


@pytest.mark.parametrize("url,data", POSTS)
def test_post_without_signed_in_editor_is_refused(ctx, url, data):
    app, client, editor, _ = ctx
    csrf = csrf_of(page(client))  # a session with a CSRF token, but no editor token
    before = dump(app)
    # A Bearer header does not stand in for the session on these forms.
    response = client.post(url, data={**data, "csrf": csrf}, headers={"Authorization": f"Bearer {editor}"})
    assert response.status_code == 403
    assert dump(app) == before


def test_log_out_clears_the_session(ctx):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    response = client.post("/self-service/logout", data={"csrf": csrf})
    assert response.status_code == 303
    assert 'type="password"' in page(client)
    before = dump(app)
    assert client.post("/self-service/edit", data={**record_form(name_fr="X"), "csrf": csrf}).status_code == 403
    new_csrf = csrf_of(page(client))
    assert client.post("/self-service/edit", data={**record_form(name_fr="X"), "csrf": new_csrf}).status_code == 403
    assert dump(app) == before


# -- scope -------------------------------------------------------------------------------------

@pytest.mark.parametrize("graph,alternative,status", [
    (PUBLIC_GRAPH, OTHER_ALT, 403),  # a public graph outside the scope
    (PRIVATE_GRAPH, BASE + "alternative/jardin-secret", 403),  # someone's private graph
    (OWN, OTHER_ALT, 404),  # in scope, but that alternative is not described there
])
def test_editor_cannot_edit_outside_its_scope(ctx, graph, alternative, status):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    before = dump(app)
    assert client.get("/self-service/edit", query_string={"graph": graph, "alternative": alternative}).status_code == status
    for url, data in POSTS:
        response = client.post(url, data={**data, "graph": graph, "alternative": alternative, "csrf": csrf})
        assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
        assert "Jardin secret" not in response.get_data(as_text=True)
    assert dump(app) == before


# -- edits -------------------------------------------------------------------------------------

def test_valid_edit_changes_exactly_the_intended_triples(ctx):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    html = page(client, "/self-service/edit", query_string={"graph": OWN, "alternative": ALT})
    assert 'value="Notre collectif"' in html and "contact@notre.example" in html
    before = graph_triples(app, OWN)
    others = {g: graph_triples(app, g) for g in (PUBLIC_GRAPH, PRIVATE_GRAPH)}
    response = client.post("/self-service/edit", data={**record_form(
        name_nl="Ons collectief", name_en="Our collective", url="https://notre.example/",
        telephone="+32 2 123 45 67", category=[CAT + "repair", CAT + "food-agriculture"]), "csrf": csrf})
    assert response.status_code == 303 and "done=saved" in response.headers["Location"]
    after = graph_triples(app, OWN)
    s = f"<{ALT}>"
    assert after - before == {
        f'{s} <{SCHEMA}name> "Ons collectief"@nl', f'{s} <{SCHEMA}name> "Our collective"@en',
        f"{s} <{SCHEMA}url> <https://notre.example/>",
        f'{s} <{SCHEMA}telephone> "+32 2 123 45 67"',
        f"{s} <https://w3id.org/mutu/ns#category> <{CAT}repair>",
        f"{s} <https://w3id.org/mutu/ns#category> <{CAT}food-agriculture>"}
    assert before - after == set()
    assert others == {g: graph_triples(app, g) for g in others}
    # Removing a value removes exactly that triple.
    client.post("/self-service/edit", data={**record_form(email=""), "csrf": csrf})
    assert before - graph_triples(app, OWN) >= {f'{s} <{SCHEMA}email> "contact@notre.example"'}
    # The change is in the public change log, under the token's name.
    changes = client.get("/changes.json").get_json()["changes"]
    mine = {c["change"]: c for c in changes if c["action"] == "self-service" and c["graph"] == OWN}
    assert len(mine) == 2 and all(c["who"] == "own" for c in mine.values())
    # Newest first: the second save sent only the French name and description, so the form's
    # other fields (5 values and the email) went; the first added 6 triples.
    assert sorted((int(c["added"]), int(c["removed"])) for c in mine.values()) == [(0, 7), (6, 0)]
    assert "self-service" in page(client, "/changes")


def test_edit_that_breaks_the_shapes_shows_the_report_and_changes_nothing(ctx):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    before = dump(app)
    response = client.post("/self-service/edit", data={**record_form(name_fr=""), "csrf": csrf})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "schema:name" in html and "<table>" in html
    assert 'name="description_fr"' in html  # the form comes back with what was sent
    assert dump(app) == before


@pytest.mark.parametrize("field,value", [("url", "javascript:alert(1)"), ("url", "pas une adresse"),
                                         ("email", "pas-un-courriel"), ("telephone", "<b>1</b>"),
                                         ("category", BASE + "category/unknown-thing"),
                                         ("category", PRIVATE_GRAPH)])
def test_bad_field_values_are_refused(ctx, field, value):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    before = dump(app)
    response = client.post("/self-service/edit", data={**record_form(**{field: value}), "csrf": csrf})
    assert response.status_code == 400
    assert dump(app) == before


# -- events ------------------------------------------------------------------------------------

def _event_triples(app, name_fr):
    with app.app_context():
        rows = get_store().select(
            "SELECT ?g ?n ?e ?p ?o WHERE { GRAPH ?g { ?e <https://schema.org/name> ?n ; ?p ?o } }",
            bindings={"g": ox.NamedNode(OWN), "n": ox.Literal(name_fr, language="fr")})
    events = {r["e"].value for r in rows}
    assert len(events) == 1, events
    return events.pop(), {(r["p"].value, r["o"]) for r in rows}


def test_add_event_with_brussels_offsets(ctx):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    response = client.post("/self-service/events", data={**event_form(), "csrf": csrf})
    assert response.status_code == 303 and "done=added" in response.headers["Location"]
    iri, facts = _event_triples(app, "Atelier vélo")
    assert re.fullmatch(re.escape(BASE) + r"event/atelier-velo-2031-01-18-[0-9a-f]{6}", iri)
    dt_type = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
    assert (SCHEMA + "startDate", ox.Literal("2031-01-18T14:00:00+01:00", datatype=dt_type)) in facts
    assert (SCHEMA + "endDate", ox.Literal("2031-01-18T17:30:00+01:00", datatype=dt_type)) in facts
    assert (SCHEMA + "organizer", ox.NamedNode(ALT)) in facts
    assert (SCHEMA + "location", ox.NamedNode(PLACE)) in facts
    assert (SCHEMA + "name", ox.Literal("Fietsatelier", language="nl")) in facts
    assert ("https://w3id.org/mutu/ns#category", ox.NamedNode(CAT + "repair")) in facts
    # Summer time: +02:00.
    client.post("/self-service/events", data={**event_form(name_fr="Été", start="2031-07-05T10:00", end=""),
                                              "csrf": csrf})
    _, facts = _event_triples(app, "Été")
    assert (SCHEMA + "startDate", ox.Literal("2031-07-05T10:00:00+02:00", datatype=dt_type)) in facts
    assert not any(p == SCHEMA + "endDate" for p, _ in facts)
    html = page(client, "/self-service/edit", query_string={"graph": OWN, "alternative": ALT})
    assert "Atelier vélo" in html and "2031-01-18 14:00" in html and "2031-07-05 10:00" in html


@pytest.mark.parametrize("fields,status", [
    ({"start": "2031-03-30T02:30"}, 400),  # skipped by the spring clock change in Brussels
    ({"start": "demain"}, 400),
    ({"start": ""}, 400),
    ({"place": BASE + "place/nowhere"}, 400),
    ({"name_fr": "", "name_nl": ""}, 400),
    ({"end": "2031-01-18T12:00"}, 422),  # ends before it starts: the shapes say no
])
def test_bad_events_are_refused(ctx, fields, status):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    before = dump(app)
    response = client.post("/self-service/events", data={**event_form(**fields), "csrf": csrf})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert 'role="alert"' in response.get_data(as_text=True)
    assert dump(app) == before


def test_cancel_event(ctx):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    before = graph_triples(app, OWN)
    response = client.post("/self-service/events/cancel",
                           data={"graph": OWN, "alternative": ALT, "event": EVENT, "csrf": csrf})
    assert response.status_code == 303 and "done=was_cancelled" in response.headers["Location"]
    assert graph_triples(app, OWN) - before == {f"<{EVENT}> <{SCHEMA}eventStatus> <{SCHEMA}EventCancelled>"}
    assert before - graph_triples(app, OWN) == set()
    cal = icalendar.Calendar.from_ical(client.get("/events.ics").data)
    ours = [e for e in cal.walk("VEVENT") if str(e["UID"]) == EVENT]
    assert len(ours) == 1 and str(ours[0]["STATUS"]) == "CANCELLED"
    html = page(client, "/self-service/edit", query_string={"graph": OWN, "alternative": ALT})
    assert "(annulé)" in html
    # An event that is not this alternative's (or not in this graph) cannot be cancelled here.
    before = dump(app)
    other = client.post("/self-service/events/cancel",
                        data={"graph": OWN, "alternative": ALT, "event": BASE + "event/repair-cafe-janvier",
                              "csrf": csrf})
    assert other.status_code == 404
    assert dump(app) == before


# -- XSS ---------------------------------------------------------------------------------------

def test_script_in_names_is_escaped_everywhere(ctx):
    app, client, editor, _ = ctx
    csrf = sign_in(client, editor)
    assert client.post("/self-service/edit", data={**record_form(
        name_fr=SCRIPT, name_nl='"><img src=x onerror=alert(1)>', description_fr=SCRIPT), "csrf": csrf}).status_code == 303
    assert client.post("/self-service/events", data={**event_form(name_fr="Fête " + SCRIPT, description_fr=SCRIPT),
                                                     "csrf": csrf}).status_code == 303
    event_iri, _ = _event_triples(app, "Fête " + SCRIPT)
    event_path = "/" + event_iri[len(BASE):]
    pages = ["/self-service", "/self-service/edit?" + f"graph={OWN}&alternative={ALT}",
             "/alternatives", "/alternatives?q=script", "/alternative/own", "/alternative/own?lang=nl",
             "/events", event_path, "/place/maison-de-quartier-malibran", "/"]
    for url in pages:
        reader = client if url.startswith("/self-service") else app.test_client()
        response = reader.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert SCRIPT not in html, url
        assert "<img src=x" not in html, url
        assert ESCAPED in html or "\\u003cscript\\u003e" in html, url
    # The pages that list the names show them as text.
    for url in ("/self-service", "/alternatives", "/alternative/own", "/events", event_path):
        reader = client if url.startswith("/self-service") else app.test_client()
        assert ESCAPED in reader.get(url).get_data(as_text=True), url
