"""Feeds on the demo data, parsed by the libraries partners use: icalendar, geojson, csv, feedparser."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import feedparser
import geojson
import icalendar
import pytest


BRUSSELS = ZoneInfo("Europe/Brussels")
BASE = "https://mutu.brussels/"
# Brussels-Capital region, with a little margin.
LAT, LON = (50.76, 50.92), (4.24, 4.48)


def get(client, url, status=200, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
    return response


def calendar(client, url):
    response = get(client, url)
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.data)


def events_of(cal):
    return [c for c in cal.walk("VEVENT")]


def csv_rows(client, url):
    response = get(client, url)
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))


# -- iCalendar ---------------------------------------------------------------------------

def test_ics_has_every_upcoming_event_in_brussels_time(demo_client):
    cal = calendar(demo_client, "/events.ics")
    assert cal["VERSION"] == "2.0" and "PRODID" in cal
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Brussels"]
    assert zones[0].walk("STANDARD") and zones[0].walk("DAYLIGHT")
    events = events_of(cal)
    assert len(events) == 51  # the demo's events, all upcoming
    for event in events:
        assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
        assert event.decoded("DTSTART").tzinfo is not None
        assert "DTSTAMP" in event and "SUMMARY" in event and "URL" in event and "LOCATION" in event
        assert str(event["UID"]).startswith(BASE + "event/")
    assert len({str(e["UID"]) for e in events}) == 51
    statuses = [str(e["STATUS"]) for e in events]
    assert statuses.count("CANCELLED") == 3 and statuses.count("CONFIRMED") == 48
    recurring = [e for e in events if "RRULE" in e]
    assert len(recurring) == 8
    assert all(e["RRULE"]["FREQ"][0] in ("WEEKLY", "MONTHLY") for e in recurring)


def test_ics_times_match_the_data(demo_client):
    rows = {r["iri"]: r for r in csv_rows(demo_client, "/events.csv")}
    for event in events_of(calendar(demo_client, "/events.ics")):
        row = rows[str(event["UID"])]
        assert event.decoded("DTSTART") == dt.datetime.fromisoformat(row["start"])
        assert event.decoded("DTEND") == dt.datetime.fromisoformat(row["end"])


def test_ics_uids_are_stable_across_requests(demo_client):
    first = get(demo_client, "/events.ics")
    second = get(demo_client, "/events.ics")
    uids = lambda r: [str(e["UID"]) for e in events_of(icalendar.Calendar.from_ical(r.data))]
    assert uids(first) == uids(second)
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]


def test_ics_filters_and_path_forms(demo_client):
    rows = csv_rows(demo_client, "/events.csv")
    organizer = rows[0]["organizer"]
    slug = organizer.rsplit("/", 1)[-1]
    expected = {r["iri"] for r in rows if r["organizer"] == organizer}
    for url in (f"/events.ics?organizer={slug}", f"/alternative/{slug}/events.ics",
                f"/events.ics?organizer={organizer}"):
        assert {str(e["UID"]) for e in events_of(calendar(demo_client, url))} == expected
    place = rows[0]["place"].rsplit("/", 1)[-1]
    at_place = {str(e["UID"]) for e in events_of(calendar(demo_client, f"/place/{place}/events.ics"))}
    assert at_place == {r["iri"] for r in rows if r["place"].endswith("/" + place)}
    commune = rows[0]["commune"]
    in_commune = events_of(calendar(demo_client, f"/events.ics?commune={commune}"))
    assert in_commune and all(commune in str(e["LOCATION"]) for e in in_commune)
    category = rows[0]["categories"].split()[0].rsplit("/", 1)[-1]
    assert events_of(calendar(demo_client, f"/category/{category}/events.ics"))


def test_ics_date_range(demo_client):
    days = sorted({dt.datetime.fromisoformat(r["start"]).date() for r in csv_rows(demo_client, "/events.csv")})
    start, end = days[3], days[10]
    events = events_of(calendar(demo_client, f"/events.ics?from={start}&to={end}"))
    assert events
    for event in events:
        assert start <= event.decoded("DTSTART").astimezone(BRUSSELS).date() <= end


@pytest.mark.parametrize("url, parameter", [
    ("/events.ics?from=tomorrow", "from"), ("/events.ics?to=2030-02-30", "to"),
    ("/events.ics?category=Repair%20Caf%C3%A9", "category"), ("/events.ics?nope=1", "nope"),
    ("/events.ics?per_page=100000", "per_page"), ("/events.ics?lang=de", "lang"),
    ("/events.csv?place=%3E%20%7D%20%3B%20DROP", "place"), ("/places.geojson?commune=12", "commune"),
    ("/feed.atom?limit=5", "limit"),
])
def test_bad_filters_are_400_naming_the_parameter(demo_client, url, parameter):
    response = get(demo_client, url, 400)
    assert f"'{parameter}'" in response.get_data(as_text=True)


def test_path_and_query_filter_together_is_refused(demo_client):
    get(demo_client, "/alternative/a/events.ics?organizer=b", 400)
    get(demo_client, "/alternative/Not_A_Slug/events.ics", 400)


def test_feed_languages(demo_client):
    fr = {str(e["UID"]): str(e["SUMMARY"]) for e in events_of(calendar(demo_client, "/events.ics?lang=fr"))}
    en = {str(e["UID"]): str(e["SUMMARY"]) for e in events_of(calendar(demo_client, "/events.ics?lang=en"))}
    nl = {str(e["UID"]): str(e["SUMMARY"])
          for e in events_of(icalendar.Calendar.from_ical(get(demo_client, "/events.ics", **{"Accept-Language": "nl"}).data))}
    assert fr.keys() == en.keys() == nl.keys()
    assert fr != en and en != nl


# -- GeoJSON -----------------------------------------------------------------------------

@pytest.mark.parametrize("url, count", [("/places.geojson", 28), ("/alternatives.geojson", 30)])
def test_geojson_is_valid_and_inside_brussels(demo_client, url, count):
    response = get(demo_client, url)
    assert response.mimetype == "application/geo+json"
    collection = geojson.loads(response.get_data(as_text=True))
    assert isinstance(collection, geojson.FeatureCollection) and collection.is_valid, collection.errors()
    assert len(collection["features"]) == count
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "Point"
        assert LAT[0] < lat < LAT[1] and LON[0] < lon < LON[1]
        props = feature["properties"]
        assert props["name"] and props["url"].startswith("http://localhost/")
        assert props["commune"] and isinstance(props["category"], list)


def test_geojson_filters(demo_client):
    everything = geojson.loads(get(demo_client, "/places.geojson").get_data(as_text=True))
    commune = everything["features"][0]["properties"]["commune"]
    some = geojson.loads(get(demo_client, f"/places.geojson?commune={commune}").get_data(as_text=True))
    assert 0 < len(some["features"]) < len(everything["features"])
    assert {f["properties"]["commune"] for f in some["features"]} == {commune}
    category = everything["features"][0]["properties"]["category"][0]
    by_category = geojson.loads(get(demo_client, f"/alternatives.geojson?category={category}").get_data(as_text=True))
    assert by_category["features"] and all(category in f["properties"]["category"] for f in by_category["features"])


# -- CSV ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url, count, key", [
    ("/alternatives.csv", 30, "description"), ("/places.csv", 28, "street"), ("/events.csv", 51, "start")])
def test_csv(demo_client, url, count, key):
    rows = csv_rows(demo_client, url)
    assert len(rows) == count
    assert all(r["iri"].startswith(BASE) and r["name"] and r[key] for r in rows)


def test_csv_paging_is_bounded_and_linked(demo_client):
    response = get(demo_client, "/events.csv?per_page=20")
    assert len(list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))) == 20
    assert 'rel="next"' in response.headers["Link"] and "page=2" in response.headers["Link"]
    last = get(demo_client, "/events.csv?per_page=20&page=3")
    assert len(list(csv.DictReader(io.StringIO(last.get_data(as_text=True))))) == 11
    assert "Link" not in last.headers
    pages = [csv_rows(demo_client, f"/events.csv?per_page=20&page={n}") for n in (1, 2, 3)]
    assert [r["iri"] for page in pages for r in page] == [r["iri"] for r in csv_rows(demo_client, "/events.csv")]


# -- Atom --------------------------------------------------------------------------------

def test_atom_parses_without_bozo(demo_client):
    response = get(demo_client, "/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title == "Mutu"
    assert 0 < len(feed.entries) <= 50
    for entry in feed.entries:
        assert entry.id.startswith(BASE) and entry.title and entry.updated_parsed
        assert entry.link.startswith("http://localhost/")
    again = feedparser.parse(get(demo_client, "/feed.atom").data)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]


def test_atom_has_public_events_and_alternatives_only(client):
    feed = feedparser.parse(get(client, "/feed.atom").data)
    assert {e.id for e in feed.entries} >= {BASE + "alternative/repair-cafe-ixelles",
                                            BASE + "event/repair-cafe-janvier"}
    assert not any("jardin-secret" in e.id for e in feed.entries)  # private graph


# -- access ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/alternatives.csv", "/alternatives.geojson", "/feed.atom", "/places.csv"])
def test_private_graphs_stay_out_of_feeds(client, url):
    body = get(client, url).get_data(as_text=True)
    assert "Jardin secret" not in body and "jardin-secret" not in body
