"""Writers of the feed formats: plain records in, bytes or text out; no request, no store.

- iCalendar (RFC 5545) through the `icalendar` library: times in Europe/Brussels with its
  VTIMEZONE, STATUS:CANCELLED for cancelled events, UID = the event IRI (stable), RRULE
  from mutu:rrule.
- GeoJSON (RFC 7946): a FeatureCollection of Points [longitude, latitude].
- CSV (RFC 4180): UTF-8, a header row, CRLF line ends.
- Atom 1.0 (RFC 4287), written with ElementTree (which escapes every text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import icalendar
import pyoxigraph as ox

from .namespaces import SCHEMA, XSD

BRUSSELS = ZoneInfo("Europe/Brussels")
LANGUAGES = ("fr", "nl", "en")
ATOM = "http://www.w3.org/2005/Atom"
ICS_STATUS = {
    SCHEMA + "EventCancelled": "CANCELLED",
    SCHEMA + "EventPostponed": "TENTATIVE",
}
_KEYS = ("event", "alternative", "item", "place")

EVENT_COLUMNS = ("iri", "name", "start", "end", "status", "description", "organizer",
                 "organizer_name", "place", "place_name", "street", "postcode", "commune",
                 "latitude", "longitude", "categories", "rrule", "url", "page")
ALTERNATIVE_COLUMNS = ("iri", "name", "description", "url", "email", "telephone", "categories",
                       "place", "street", "postcode", "commune", "latitude", "longitude", "page")
PLACE_COLUMNS = ("iri", "name", "street", "postcode", "commune", "latitude", "longitude",
                 "url", "categories", "page")


# -- rows -> records -----------------------------------------------------------------------

def _plain(term) -> str | None:
    if term is None:
        return None
    return term.value


def _localised(row: dict, name: str, lang: str, fallback: str | None = None) -> str | None:
    """`<name>_<lang>`, else the other languages in order, else the column `fallback` (or `name`)."""
    for code in (lang, *LANGUAGES):
        if row.get(f"{name}_{code}") is not None:
            return row[f"{name}_{code}"].value
    return _plain(row.get(fallback or name))


def _float(term) -> float | None:
    try:
        return float(term.value) if term is not None else None
    except ValueError:
        return None


def record(row: dict, lang: str) -> dict:
    """One query row (RDF terms) -> a plain record in the reader's language."""
    key = next(k for k in _KEYS if k in row)
    start = row.get("start")
    return {
        "iri": row[key].value,
        "kind": _plain(row.get("kind")),
        "name": _localised(row, "name", lang) or row[key].value,
        "description": _localised(row, "description", lang),
        "organizer": _plain(row.get("organizer")),
        "organizer_name": _localised(row, "organizer", lang, "organizer_name"),
        "place": _plain(row.get("place")) if key != "place" else None,
        "place_name": _localised(row, "place", lang, "place_name"),
        "street": _plain(row.get("street")),
        "postcode": _plain(row.get("postcode")),
        "commune": _plain(row.get("locality")),
        "latitude": _float(row.get("latitude")),
        "longitude": _float(row.get("longitude")),
        "url": _plain(row.get("url")),
        "email": _plain(row.get("email")),
        "telephone": _plain(row.get("telephone")),
        "categories": (_plain(row.get("categories")) or "").split(),
        "start": start,
        "end": row.get("end"),
        "status": _plain(row.get("status")),
        "rrule": _plain(row.get("rrule")),
        "updated": _plain(row.get("updated")),
    }


def page_url(iri: str, *, base_iri: str, url_root: str) -> str:
    """Where a Mutu IRI is served from this host (IRIs resolve by path); other IRIs as they are."""
    if iri.startswith(base_iri):
        return url_root.rstrip("/") + "/" + iri[len(base_iri):]
    return iri


def moment(term: ox.Literal | None):
    """An xsd:dateTime as an aware datetime in Brussels time, an xsd:date as a date, else None."""
    if term is None or not isinstance(term, ox.Literal):
        return None
    try:
        if term.datatype.value == XSD + "date":
            return dt.date.fromisoformat(term.value[:10])
        value = dt.datetime.fromisoformat(term.value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=BRUSSELS)
    return value.astimezone(BRUSSELS)


def _lexical(term) -> str:
    return term.value if term is not None else ""


def _location(rec: dict) -> str:
    where = ", ".join(p for p in (rec["street"], " ".join(
        p for p in (rec["postcode"], rec["commune"]) if p)) if p)
    return " — ".join(p for p in (rec["place_name"], where) if p)


# -- iCalendar -----------------------------------------------------------------------------

def ics(records: list[dict], *, base_iri: str, url_root: str, title: str,
              stamp: dt.datetime, lang: str) -> bytes:
    """An iCalendar (RFC 5545) of events with a VTIMEZONE for Europe/Brussels."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Mutu//Brussels citizen alternatives//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", "Europe/Brussels")
    starts = [m for m in (moment(r["start"]) for r in records) if m is not None]
    days = [m.date() if isinstance(m, dt.datetime) else m for m in starts] or [stamp.date()]
    # Transitions from the first event to two years after the last (recurrences go on).
    cal.add_component(icalendar.Timezone.from_tzinfo(
        BRUSSELS, first_date=min(days) - dt.timedelta(days=1),
        last_date=max(days) + dt.timedelta(days=2 * 366)))
    for rec in records:
        start = moment(rec["start"])
        if start is None:
            continue
        event = icalendar.Event()
        # The IRI is unique and never changes: calendar apps update the event in place.
        event.add("uid", rec["iri"])
        event.add("dtstamp", stamp.astimezone(dt.timezone.utc))
        event.add("dtstart", start)
        end = moment(rec["end"])
        if end is not None and type(end) is type(start) and end >= start:
            event.add("dtend", end)
        event.add("summary", rec["name"])
        if rec["description"]:
            event.add("description", rec["description"])
        location = _location(rec)
        if location:
            event.add("location", location)
        if rec["latitude"] is not None and rec["longitude"] is not None:
            event.add("geo", (rec["latitude"], rec["longitude"]))
        event.add("url", rec["url"] or page_url(rec["iri"], base_iri=base_iri, url_root=url_root))
        event.add("status", ICS_STATUS.get(rec["status"], "CONFIRMED"))
        if rec["organizer_name"]:
            event.add("contact", rec["organizer_name"])
        if rec["categories"]:
            event.add("categories", [c.rstrip("/").rsplit("/", 1)[-1] for c in rec["categories"]])
        if rec["rrule"]:
            try:
                event.add("rrule", icalendar.vRecur.from_ical(rec["rrule"]))
            except ValueError:
                # The shapes accept any text: an unreadable rule is left out, not guessed.
                pass
        cal.add_component(event)
    return cal.to_ical()


# -- GeoJSON -------------------------------------------------------------------------------

def geojson(records: list[dict], *, base_iri: str, url_root: str) -> str:
    """A FeatureCollection of Points; records without coordinates are left out."""
    features = []
    for rec in records:
        if rec["latitude"] is None or rec["longitude"] is None:
            continue
        features.append({
            "type": "Feature",
            "id": rec["iri"],
            "geometry": {"type": "Point", "coordinates": [rec["longitude"], rec["latitude"]]},
            "properties": {
                "iri": rec["iri"],
                "name": rec["name"],
                "url": page_url(rec["iri"], base_iri=base_iri, url_root=url_root),
                "website": rec["url"],
                "category": [c.rstrip("/").rsplit("/", 1)[-1] for c in rec["categories"]],
                "categories": rec["categories"],
                "commune": rec["commune"],
                "postcode": rec["postcode"],
                "street": rec["street"],
                **({"sameAs": rec["same_as"]} if rec.get("same_as") else {}),
                **({"sources": rec["sources"]} if rec.get("sources") else {}),
            },
        })
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


# -- CSV -----------------------------------------------------------------------------------

def csv_text(records: list[dict], columns: tuple[str, ...], *, base_iri: str, url_root: str) -> str:
    """CSV with a header row; lists joined with spaces, times in their RDF lexical form."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for rec in records:
        row = []
        for column in columns:
            if column == "page":
                value = page_url(rec["iri"], base_iri=base_iri, url_root=url_root)
            elif column in ("start", "end"):
                value = _lexical(rec[column])
            elif column in ("categories", "same_as", "sources"):
                value = " ".join(rec.get(column) or ())
            else:
                value = rec.get(column)
            row.append("" if value is None else spreadsheet_safe(value))
        writer.writerow(row)
    return out.getvalue()


_NUMBER_LIKE = re.compile(r"^[+-]?[0-9 ./()-]*$")


def spreadsheet_safe(value):
    """Neutralise text a spreadsheet would run as a formula (=, @, +, -, tab, CR first) by a
    leading apostrophe; numbers and phone numbers such as "+32 2 555 00 00" stay as they are."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _NUMBER_LIKE.match(value)):
        return "'" + value
    return value


# -- Atom ----------------------------------------------------------------------------------

def _atom_time(value: str | dt.datetime | None, fallback: dt.datetime) -> str:
    moment_ = None
    if isinstance(value, dt.datetime):
        moment_ = value
    elif value:
        try:
            moment_ = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment_ = None
    moment_ = moment_ or fallback
    if moment_.tzinfo is None:
        moment_ = moment_.replace(tzinfo=dt.timezone.utc)
    return moment_.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom(records: list[dict], *, base_iri: str, url_root: str, self_url: str,
         stamp: dt.datetime, lang: str) -> bytes:
    """An Atom 1.0 feed; entry ids are the resources' IRIs, `updated` their dataset's last load."""
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    sub(feed, "id", base_iri + "feed.atom")
    sub(feed, "title", "Mutu")
    sub(feed, "subtitle", {"fr": "Nouveautés : événements et alternatives",
                           "nl": "Nieuw: evenementen en alternatieven",
                           "en": "New and changed events and alternatives"}[lang])
    updated = max((_atom_time(r["updated"], stamp) for r in records), default=_atom_time(stamp, stamp))
    sub(feed, "updated", updated)
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=url_root, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "Mutu")
    sub(feed, "generator", "Mutu")
    for rec in records:
        entry = sub(feed, "entry")
        sub(entry, "id", rec["iri"])
        sub(entry, "title", rec["name"])
        sub(entry, "updated", _atom_time(rec["updated"], stamp))
        sub(entry, "link", rel="alternate", type="text/html",
            href=page_url(rec["iri"], base_iri=base_iri, url_root=url_root))
        kind = "event" if rec["kind"] == SCHEMA + "Event" else "alternative"
        sub(entry, "category", term=kind)
        summary = rec["description"] or ""
        start = moment(rec["start"])
        if start is not None:
            when = start.strftime("%Y-%m-%d %H:%M") if isinstance(start, dt.datetime) else start.isoformat()
            summary = f"{when} — {summary}" if summary else when
        if summary:
            sub(entry, "summary", summary)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
