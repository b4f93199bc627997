"""Feeds of offers and requests: /offers.csv, /offers.geojson and /offers.atom.

The same filters as /offers (app.offer_filters) on the same named query
(queries/feed-offers.rq), read through app.reading: contact details are those of the graphs
the viewer may read, so partners-only contacts reach partner tokens only. Paging follows
app.feeds (per_page up to FEED_MAX_PER_PAGE, `Link: rel="next"`); CSV cells go through the
spreadsheet formula guard of app.feed_formats.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from flask import Blueprint, Flask, Response, request

from . import feed_formats, feeds, queries, reading
from .offer_filters import offer_filters
from .state import settings

bp = Blueprint("offer_feeds", __name__)

OFFER_COLUMNS = ("iri", "type", "name", "description", "kind", "conditions", "price", "currency",
                 "availability", "starts", "ends", "alternative", "alternative_name", "email",
                 "telephone", "categories", "place", "street", "postcode", "commune", "latitude",
                 "longitude", "distance_km", "page")
SUBTITLES = {"fr": "Offres et demandes entre alternatives", "nl": "Aanbod en vragen tussen alternatieven",
             "en": "Offers and requests between alternatives"}


def init_app(app: Flask) -> None:
    """Register the offer feeds."""
    app.register_blueprint(bp)


bp.after_request(feeds._headers)


def _local_name(term) -> str | None:
    return term.value.rsplit("#", 1)[-1] if term is not None else None


def offer_record(row: dict, lang: str) -> dict:
    """One row of queries/feed-offers.rq -> a plain record in the reader's language."""
    rec = feed_formats.record(row, lang)
    rec["iri"] = row["item"].value  # record() would take the alternative column as the subject
    rec["name"] = feed_formats._localised(row, "name", lang) or rec["iri"]
    distance2 = row.get("distance2")
    rec.update({
        "type": feed_formats._plain(row.get("type")),
        "kind": _local_name(row.get("kind")),
        "conditions": _local_name(row.get("conditions")),
        "price": feed_formats._plain(row.get("price")),
        "currency": feed_formats._plain(row.get("currency")),
        "availability": feed_formats._localised(row, "availability", lang),
        "starts": feed_formats._plain(row.get("starts")),
        "ends": feed_formats._plain(row.get("ends")),
        "alternative": feed_formats._plain(row.get("alternative")),
        "alternative_name": feed_formats._localised(row, "alternative", lang, "alternative_name"),
        "distance_km": round(float(distance2.value) ** 0.5, 2) if distance2 is not None else None,
    })
    return rec


def offer_rows() -> tuple[list[dict], object, bool, str]:
    """Plain records of the current request's offer filters, one feed page."""
    lang = feeds.language()
    args, paging = feeds._split()
    found = offer_filters(args, settings().base_iri)
    declared = queries.get("feed-offers").params
    values = {k: v for k, v in {**found.bindings(), **paging.bindings()}.items() if k in declared}
    _, rows = reading.named("feed-offers", None, **values)
    rows, more = paging.cut(rows)
    return [offer_record(r, lang) for r in rows], paging, more, lang


@bp.route("/offers.csv")
def offers_csv():
    """Offers and requests (list filters) as CSV."""
    records, paging, more, _ = offer_rows()
    body = feed_formats.csv_text(records, OFFER_COLUMNS, url_root=request.url_root,
                                 base_iri=settings().base_iri)
    response = Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="offers.csv"'
    return feeds._next_link(response, paging, more)


@bp.route("/offers.geojson")
def offers_geojson():
    """Offers and requests as GeoJSON Points at a place of the alternative behind each."""
    records, paging, more, _ = offer_rows()
    base, root = settings().base_iri, request.url_root
    features = []
    for rec in records:
        if rec["latitude"] is None or rec["longitude"] is None:
            continue
        properties = {key: rec[key] for key in OFFER_COLUMNS
                      if key not in ("latitude", "longitude", "page") and rec.get(key) is not None}
        properties["url"] = feed_formats.page_url(rec["iri"], base_iri=base, url_root=root)
        properties["category"] = [c.rstrip("/").rsplit("/", 1)[-1] for c in rec["categories"]]
        features.append({"type": "Feature", "id": rec["iri"],
                         "geometry": {"type": "Point", "coordinates": [rec["longitude"], rec["latitude"]]},
                         "properties": properties})
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return feeds._next_link(Response(body, content_type="application/geo+json"), paging, more)


@bp.route("/offers.atom")
def offers_atom():
    """Offers and requests (list filters) as an Atom 1.0 feed."""
    records, paging, more, lang = offer_rows()
    body = atom(records, self_url=request.url, url_root=request.url_root, lang=lang)
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    return feeds._next_link(response, paging, more)


def atom(records: list[dict], *, self_url: str, url_root: str, lang: str) -> bytes:
    """An Atom feed: one entry per offer or request; `updated` is the latest visible load."""
    ns = feed_formats.ATOM
    ET.register_namespace("", ns)
    base = settings().base_iri
    stamp = feed_formats._atom_time(feeds._stamp(), feeds._stamp())

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ns}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    sub(feed, "id", base + "offers.atom")
    sub(feed, "title", "Mutu")
    sub(feed, "subtitle", SUBTITLES[lang])
    sub(feed, "updated", stamp)
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=url_root.rstrip("/") + "/offers", type="text/html")
    sub(sub(feed, "author"), "name", "Mutu")
    for rec in records:
        entry = sub(feed, "entry")
        sub(entry, "id", rec["iri"])
        sub(entry, "title", rec["name"])
        sub(entry, "updated", stamp)
        sub(entry, "link", rel="alternate", type="text/html",
            href=feed_formats.page_url(rec["iri"], base_iri=base, url_root=url_root))
        for term in (rec["type"], rec["kind"], rec["conditions"]):
            if term:
                sub(entry, "category", term=term)
        if rec["alternative_name"]:
            sub(sub(entry, "author"), "name", rec["alternative_name"])
        contact = " · ".join(c for c in (rec["email"], rec["telephone"]) if c)
        summary = " — ".join(p for p in (rec["description"], contact) if p)
        if summary:
            sub(entry, "summary", summary)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
