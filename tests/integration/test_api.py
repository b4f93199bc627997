"""The named-query API: listing (JSON, HTML forms), every result format, 400/404/406."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from app import queries

URL = "/api/queries/upcoming-events"
FEED = "/api/queries/feed-events"  # one row per event


def test_listing_as_json_names_every_query_with_typed_parameters(demo_client):
    response = demo_client.get("/api/queries")
    assert response.status_code == 200 and response.mimetype == "application/json"
    listing = {q["name"]: q for q in response.get_json()["queries"]}
    assert set(listing) == set(queries.registry())
    upcoming = listing["upcoming-events"]
    assert upcoming["title"] == "Upcoming events" and upcoming["url"] == URL
    params = {p["name"]: p for p in upcoming["parameters"]}
    assert params["limit"] == {"name": "limit", "type": "integer", "default": 50, "required": False,
                               "min": 1, "max": 500, "choices": None, "description": ""}
    assert params["from"]["type"] == "dateTime" and params["from"]["default"] == "now"


def test_listing_as_html_has_a_form_per_query(demo_client):
    response = demo_client.get("/api/queries", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html.count("<form ") == len(queries.registry())
    assert f'action="{URL}"' in html and 'name="limit"' in html and "<script" not in html
    assert "Vary" in response.headers and "Accept" in response.headers["Vary"]


def test_plain_json_is_an_array_of_plain_values(demo_client):
    rows = demo_client.get(FEED + "?limit=3").get_json()
    assert isinstance(rows, list) and len(rows) == 3
    assert all(isinstance(row["latitude"], float) and isinstance(row["name_fr"], str) for row in rows)
    assert rows[0]["event"].startswith("https://mutu.brussels/event/")
    assert rows == sorted(rows, key=lambda r: r["start"])
    # The demo sources are loaded within the same second: ask for all of them.
    counted = demo_client.get("/api/queries/feed-changes?limit=2&graphs=20").get_json()
    assert len(counted) == 2


@pytest.mark.parametrize("how, media", [
    ({"Accept": "application/sparql-results+json"}, "application/sparql-results+json"),
    ({"format": "sparql-json"}, "application/sparql-results+json"),
    ({"Accept": "application/sparql-results+xml"}, "application/sparql-results+xml"),
    ({"format": "xml"}, "application/sparql-results+xml"),
    ({"Accept": "text/csv"}, "text/csv"), ({"format": "csv"}, "text/csv"),
    ({"Accept": "text/tab-separated-values"}, "text/tab-separated-values"), ({"format": "tsv"}, "text/tab-separated-values"),
    ({"format": "html"}, "text/html"), ({}, "application/json"), ({"Accept": "*/*"}, "application/json"),
])
def test_result_formats(demo_client, how, media):
    headers = {k: v for k, v in how.items() if k == "Accept"}
    query = "&".join(f"{k}={v}" for k, v in how.items() if k == "format")
    response = demo_client.get(f"{FEED}?limit=4&{query}", headers=headers)
    assert response.status_code == 200 and response.mimetype == media
    body = response.get_data(as_text=True)
    if media == "application/sparql-results+json":
        data = json.loads(body)
        assert data["head"]["vars"][0] == "event" and len(data["results"]["bindings"]) == 4
        assert data["results"]["bindings"][0]["start"]["datatype"].endswith("#dateTime")
    elif media == "application/sparql-results+xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        assert len(ET.fromstring(body).findall(f"{ns}results/{ns}result")) == 4
    elif media == "text/csv":
        rows = list(csv.DictReader(io.StringIO(body)))
        assert len(rows) == 4 and rows[0]["event"].startswith("https://")
    elif media == "text/tab-separated-values":
        lines = body.strip().split("\n")
        assert lines[0].startswith("?event\t") and len(lines) == 5
    elif media == "text/html":
        assert body.count("<tr>") == 5
    else:
        assert len(json.loads(body)) == 4


@pytest.mark.parametrize("url, status, needle", [
    (URL + "?limit=abc", 400, "'limit'"),
    (URL + "?limit=100000", 400, "'limit'"),
    (URL + "?from=yesterday%22%20%7D%20DROP", 400, "'from'"),
    (URL + "?unknown=1", 400, "'unknown'"),
    (URL + "?limit=1&limit=2", 400, "'limit'"),
    (URL + "?format=pdf", 400, "format"),
    ("/api/queries/feed-events?place=not-an-iri", 400, "'place'"),
    ("/api/queries/nope", 404, "nope"),
    ("/api/queries/..%2F..%2Fetc%2Fpasswd", 404, ""),
    ("/api/queries?x=1", 400, "'x'"),
])
def test_errors(demo_client, url, status, needle):
    response = demo_client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert needle in response.get_data(as_text=True)


def test_not_acceptable(demo_client):
    response = demo_client.get(URL, headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_hostile_text_parameter_is_a_value(demo_client):
    hostile = '" ) } ; DROP ALL ; SELECT * { ?s ?p ?o } #'
    response = demo_client.get("/api/queries/feed-events", query_string={"q": hostile})
    assert response.status_code == 200 and response.get_json() == []
    assert len(demo_client.get("/api/queries/feed-events?limit=5").get_json()) == 5


def test_private_graphs_are_invisible(client):
    rows = client.get("/api/queries/feed-alternatives").get_json()
    names = {r.get("name_fr") for r in rows}
    assert "Repair Café Ixelles" in names and "Jardin secret" not in names
