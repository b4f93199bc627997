"""Conditional requests: ETag / Last-Modified from the store's state; 304; a new load changes them."""

import pytest
import requests

from tests.conftest import CC0, load_fixture

FEEDS = ["/events.ics", "/events.csv", "/places.csv", "/alternatives.csv", "/places.geojson",
         "/alternatives.geojson", "/feed.atom", "/api/queries", "/api/queries/upcoming-events?limit=3"]

MORE_TTL = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
<https://mutu.brussels/alternative/fablab-nouveau> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Fablab nouveau"@fr .
"""


@pytest.mark.parametrize("url", FEEDS)
def test_etag_then_304(client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": 'W/"stale"'}).status_code == 200
    assert client.head(url, headers={"If-None-Match": etag}).status_code == 304


def test_a_new_load_changes_the_validators(app, client):
    before = client.get("/alternatives.csv")
    with app.app_context():
        from app.state import get_store

        load_fixture(get_store(), MORE_TTL, "https://mutu.brussels/graph/more")
    after = client.get("/alternatives.csv", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "Fablab nouveau" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_private_load_does_not_change_public_validators(app, client):
    before = client.get("/places.csv").headers["ETag"]
    with app.app_context():
        from app.state import get_store

        load_fixture(get_store(), MORE_TTL, "https://mutu.brussels/graph/hidden", visibility="private")
    assert client.get("/places.csv", headers={"If-None-Match": before}).status_code == 304


def test_representations_have_their_own_validators(client):
    url = "/api/queries/upcoming-events?limit=3"
    as_json = client.get(url, headers={"Accept": "application/json"})
    as_csv = client.get(url, headers={"Accept": "text/csv"})
    assert as_json.headers["ETag"] != as_csv.headers["ETag"]
    assert "Accept" in as_csv.headers["Vary"]
    # An ETag of the JSON answer does not validate the CSV one.
    assert client.get(url, headers={"Accept": "text/csv", "If-None-Match": as_json.headers["ETag"]}).status_code == 200


def test_clock_tick_renews_the_validator_of_upcoming_events(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, freshness_seconds=1)
    client = app.test_client()
    import time

    first = client.get("/events.csv").headers["ETag"]
    time.sleep(1.1)
    assert client.get("/events.csv").headers["ETag"] != first
    # Places do not depend on the clock.
    places = client.get("/places.csv").headers["ETag"]
    time.sleep(1.1)
    assert client.get("/places.csv").headers["ETag"] == places
    app.extensions["mutu.store"].close()


def test_the_sparql_endpoint_is_not_answered_from_a_validator(client):
    response = client.get("/sparql?query=SELECT%20(NOW()%20AS%20%3Fn)%20%7B%7D")
    assert response.status_code == 200 and "ETag" not in response.headers


@pytest.mark.integration
def test_conditional_get_on_the_real_server(live_server):
    with requests.Session() as http:
        first = http.get(live_server + "/events.ics", timeout=30)
        assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/calendar")
        again = http.get(live_server + "/events.ics", headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
        assert again.status_code == 304 and again.content == b""
        api = http.get(live_server + "/api/queries/upcoming-events", params={"format": "csv", "limit": "2"}, timeout=30)
        assert api.status_code == 200 and api.text.startswith("event,name,start")
        bad = http.get(live_server + "/api/queries/upcoming-events", params={"limit": "1; DROP ALL"}, timeout=30)
        assert bad.status_code == 400 and "'limit'" in bad.text
