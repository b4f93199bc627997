"""Feeds of the common documentation base: /resources.atom and /resources.csv.

The same filters as /resources (app.document_filters): the named query
queries/feed-documents.rq picks the page on the graphs the viewer may read, app.document_rows
reads those documents' facts; one bounded page per request,
the next announced by `Link: <...>; rel="next"` like the other feeds (app.feeds).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Flask, Response, request

from . import document_rows, feed_formats, feeds, freshness, ld, reading
from .document_filters import document_filters
from .namespaces import KNOWN_LICENCES
from .state import settings

bp = Blueprint("document_feeds", __name__)

CSV_COLUMNS = ("iri", "name", "summary", "licence", "licence_id", "date", "url", "authors",
               "author_names", "languages", "categories", "about", "page")
ATOM = feed_formats.ATOM


def init_app(app: Flask) -> None:
    """Register the documents' feeds."""
    app.register_blueprint(bp)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Language")
    return response


def _words(row: dict, column: str) -> list[str]:
    value = row.get(column)
    return value.value.split() if value is not None and value.value else []


def document_records() -> tuple[list[dict], object, bool, str]:
    """Plain records of one feed page for the current request's filters and language."""
    lang = feeds.language()
    args, paging = feeds._split()
    found = document_filters(args, settings().base_iri)
    _, rows = reading.named("feed-documents", None, **feeds._bindings("feed-documents", found, paging))
    rows, more = paging.cut(rows)
    rows = document_rows.page(rows)
    authors = sorted({a for r in rows for a in _words(r, "authors")})
    names = ld.names(authors)
    from . import i18n

    records = []
    for row in rows:
        value = lambda name: row[name].value if row.get(name) is not None else None
        author_iris = _words(row, "authors")
        records.append({
            "iri": row["document"].value,
            "name": feed_formats._localised(row, "name", lang) or row["document"].value,
            "summary": feed_formats._localised(row, "abstract", lang),
            "description": feed_formats._localised(row, "description", lang),
            "licence": value("licence"),
            "licence_id": value("licence_id") or KNOWN_LICENCES.get(value("licence") or ""),
            "date": value("date"), "url": value("url"), "updated": value("updated"),
            "authors": author_iris,
            "author_names": [getattr(i18n.pick(names.get(a, []), lang), "value", a) for a in author_iris],
            "languages": _words(row, "languages"), "categories": _words(row, "categories"),
            "about": _words(row, "about"),
        })
    return records, paging, more, lang


@bp.route("/resources.csv")
@freshness.timeless
def resources_csv():
    """Documents (the /resources filters) as CSV."""
    records, paging, more, _ = document_records()
    flat = [{**r, **{k: " ".join(r[k]) for k in ("authors", "languages", "about")},
             "author_names": "; ".join(r["author_names"])} for r in records]
    return feeds._csv(flat, CSV_COLUMNS, paging, more, "resources")


@bp.route("/resources.atom")
@freshness.timeless
def resources_atom():
    """Documents (the /resources filters) as an Atom 1.0 feed, newest first."""
    records, paging, more, lang = document_records()
    body = atom(records, base_iri=settings().base_iri, url_root=request.url_root,
                self_url=request.url, stamp=freshness.latest_load(), lang=lang)
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    return feeds._next_link(response, paging, more)


def atom(records: list[dict], *, base_iri: str, url_root: str, self_url: str, stamp, lang: str) -> bytes:
    """Atom 1.0: one entry per document (id its IRI, link its page, enclosure its file, rights its licence)."""
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    sub(feed, "id", base_iri + "resources.atom")
    sub(feed, "title", {"fr": "Mutu : ressources", "nl": "Mutu: kennisbank", "en": "Mutu: resources"}[lang])
    times = [feed_formats._atom_time(r["updated"], stamp) for r in records]
    sub(feed, "updated", max(times, default=feed_formats._atom_time(stamp, stamp)))
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=url_root.rstrip("/") + "/resources", type="text/html")
    sub(sub(feed, "author"), "name", "Mutu")
    sub(feed, "generator", "Mutu")
    for rec, updated in zip(records, times):
        entry = sub(feed, "entry")
        sub(entry, "id", rec["iri"])
        sub(entry, "title", rec["name"])
        sub(entry, "updated", updated)
        if rec["date"]:
            sub(entry, "published", feed_formats._atom_time(rec["date"] if len(rec["date"]) > 4
                                                            else rec["date"] + "-01-01", stamp))
        sub(entry, "link", rel="alternate", type="text/html",
            href=feed_formats.page_url(rec["iri"], base_iri=base_iri, url_root=url_root))
        if rec["url"] and rec["url"].startswith(("http://", "https://")):
            sub(entry, "link", rel="enclosure", href=rec["url"])
        for name in rec["author_names"]:
            sub(sub(entry, "author"), "name", name)
        for category in rec["categories"]:
            sub(entry, "category", term=category)
        if rec["licence"]:
            sub(entry, "rights", rec["licence_id"] or rec["licence"])
            sub(entry, "link", rel="license", href=rec["licence"])
        summary = rec["summary"] or rec["description"]
        if summary:
            sub(entry, "summary", summary)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
