"""Feeds for partner sites: iCalendar, GeoJSON, CSV and Atom.

Each feed reads through a named query (queries/feed-*.rq) with the same filters as its list
page (app.filters), on the graphs the viewer may read (app.reading). Feeds are bounded: one
page of at most `per_page` items (default FEED_PER_PAGE, at most FEED_MAX_PER_PAGE), the
next page announced by a `Link: <...>; rel="next"` header; the Atom feed holds the latest
ATOM_ENTRIES items of the ATOM_GRAPHS most recently loaded datasets.

The formats themselves are written by app.feed_formats; this module turns requests into
typed filters and rows into plain records.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, request
from werkzeug.datastructures import MultiDict

from . import clusters, feed_formats, feed_rows, filters, freshness, reading
from .errors import BadRequest
from .params import ParameterError
from .state import settings

bp = Blueprint("feeds", __name__)

FEED_PER_PAGE = 500
FEED_MAX_PER_PAGE = 1000
ATOM_ENTRIES = 50
ATOM_GRAPHS = 10
LANGUAGES = ("fr", "nl", "en")
# Args every feed reads itself, besides its list's filters.
FEED_ARGS = ("lang", "page", "per_page")


def init_app(app: Flask) -> None:
    """Register the feeds blueprint."""
    app.register_blueprint(bp)


@bp.after_request
def _headers(response: Response) -> Response:
    # Partner sites fetch feeds from their own pages' scripts.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Language")
    return response


# -- request -> filters --------------------------------------------------------------------

def language() -> str:
    """`lang=` (fr, nl or en), else the best of Accept-Language, else French."""
    wanted = request.args.getlist("lang")
    if len(wanted) > 1:
        raise ParameterError("lang", "is given more than once")
    if wanted and wanted[0].strip():
        lang = wanted[0].strip().lower()
        if lang not in LANGUAGES:
            raise ParameterError("lang", "must be fr, nl or en")
        return lang
    return request.accept_languages.best_match(LANGUAGES) or "fr"


def _split(extra: dict[str, str] | None = None) -> tuple[MultiDict, filters.Paging]:
    """The list filters' args (feed args removed, path parts added) and the feed's paging."""
    args = MultiDict(request.args)
    paging = filters.paging(args, default=FEED_PER_PAGE, maximum=FEED_MAX_PER_PAGE)
    for name in FEED_ARGS:
        args.poplist(name)
    for name, value in (extra or {}).items():
        if args.get(name, "").strip():
            raise ParameterError(name, "is already given by the path")
        args.poplist(name)
        args[name] = value
    return args, paging


def _bindings(query_name: str, found, paging: filters.Paging) -> dict:
    """The filters' typed bindings, with the feed's paging, restricted to what the query declares."""
    from . import queries

    declared = queries.get(query_name).params
    values = {**found.bindings(), **paging.bindings()}
    return {k: v for k, v in values.items() if k in declared}


def _next_link(response: Response, paging: filters.Paging, more: bool) -> Response:
    if more:
        args = MultiDict(request.args)
        args["page"] = str(paging.page + 1)
        url = request.base_url + "?" + urlencode(list(args.items(multi=True)))
        response.headers.add("Link", f'<{url}>; rel="next"')
    return response


def event_rows(extra: dict[str, str] | None = None) -> tuple[list[dict], filters.Paging, bool, str]:
    """Plain event records for the current request (agenda filters), one feed page."""
    lang = language()
    args, paging = _split(extra)
    found = filters.event_filters(args, settings().base_iri)
    rows, more = feed_rows.events(found, paging)  # the rows of queries/feed-events.rq, fast
    return [feed_formats.record(r, lang) for r in rows], paging, more, lang


def _list_rows(kind: str) -> tuple[list[dict], filters.Paging, bool, str]:
    lang = language()
    args, paging = _split()
    parse = filters.alternative_filters if kind == "alternatives" else filters.place_filters
    found = parse(args, settings().base_iri)
    if kind != "alternatives":
        rows, more = feed_rows.places(found, paging)  # the rows of queries/feed-places.rq, fast
        return [feed_formats.record(r, lang) for r in rows], paging, more, lang
    # One row per identity cluster (its representative), with the other members and all sources.
    _, rows = clusters.named("feed-alternatives", None, **_bindings("feed-alternatives", found, paging))
    rows, more = paging.cut(rows)
    also = clusters.row_sources(rows)
    records = []
    for row in rows:
        rec = feed_formats.record(row, lang)
        cluster = also.get(rec["iri"], {"others": [], "sources": []})
        rec["same_as"] = [m for m, _ in cluster["others"]]
        rec["sources"] = cluster["sources"]
        records.append(rec)
    return records, paging, more, lang


# -- iCalendar -----------------------------------------------------------------------------

def _ics(extra: dict[str, str] | None = None, title: str = "Mutu") -> Response:
    records, paging, more, lang = event_rows(extra)
    body = feed_formats.ics(records, base_iri=settings().base_iri, url_root=request.url_root,
                                  title=title, stamp=_stamp(), lang=lang)
    response = Response(body, content_type="text/calendar; charset=utf-8")
    return _next_link(response, paging, more)


@bp.route("/events.ics")
def events_ics():
    """All upcoming events (agenda filters) as iCalendar."""
    return _ics()


@bp.route("/alternative/<slug>/events.ics")
def alternative_events_ics(slug: str):
    """The events an alternative organises."""
    return _ics({"organizer": _slug(slug)}, f"Mutu: {slug}")


@bp.route("/place/<slug>/events.ics")
def place_events_ics(slug: str):
    """The events held at a place."""
    return _ics({"place": _slug(slug)}, f"Mutu: {slug}")


@bp.route("/category/<slug>/events.ics")
def category_events_ics(slug: str):
    """The events of a category (and its narrower categories)."""
    return _ics({"category": _slug(slug)}, f"Mutu: {slug}")


def _slug(slug: str) -> str:
    if not filters.SLUG.match(slug):
        raise BadRequest(f"{slug!r} is not a slug (lower-case letters, digits, hyphens)")
    return slug


def _stamp():
    """DTSTAMP / Atom updated fallback: the latest load of a visible dataset."""
    return freshness.latest_load()


# -- GeoJSON -------------------------------------------------------------------------------

def _geojson(kind: str) -> Response:
    records, paging, more, _ = _list_rows(kind)
    body = feed_formats.geojson(records, url_root=request.url_root, base_iri=settings().base_iri)
    return _next_link(Response(body, content_type="application/geo+json"), paging, more)


@bp.route("/alternatives.geojson")
@freshness.timeless
def alternatives_geojson():
    """Alternatives with coordinates (those of one of their places) as GeoJSON Points."""
    return _geojson("alternatives")


@bp.route("/places.geojson")
@freshness.timeless
def places_geojson():
    """Places with coordinates as GeoJSON Points."""
    return _geojson("places")


# -- CSV -----------------------------------------------------------------------------------

def _csv(records: list[dict], columns: tuple[str, ...], paging, more, name: str) -> Response:
    body = feed_formats.csv_text(records, columns, url_root=request.url_root,
                                 base_iri=settings().base_iri)
    response = Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.csv"'
    return _next_link(response, paging, more)


@bp.route("/alternatives.csv")
@freshness.timeless
def alternatives_csv():
    """Alternatives (list filters) as CSV."""
    records, paging, more, _ = _list_rows("alternatives")
    return _csv(records, feed_formats.ALTERNATIVE_COLUMNS + ("same_as", "sources"), paging, more, "alternatives")


@bp.route("/places.csv")
@freshness.timeless
def places_csv():
    """Places (list filters) as CSV."""
    records, paging, more, _ = _list_rows("places")
    return _csv(records, feed_formats.PLACE_COLUMNS, paging, more, "places")


@bp.route("/events.csv")
def events_csv():
    """Upcoming events (agenda filters) as CSV."""
    records, paging, more, _ = event_rows()
    return _csv(records, feed_formats.EVENT_COLUMNS, paging, more, "events")


# -- Atom ----------------------------------------------------------------------------------

@bp.route("/feed.atom")
@freshness.timeless
def atom():
    """New and changed events and alternatives, newest first (Atom 1.0)."""
    lang = language()
    unknown = sorted(set(request.args) - {"lang"})
    if unknown:
        raise ParameterError(unknown[0], "is not a parameter of /feed.atom (known: lang)")
    _, rows = reading.named("feed-changes", None, limit=ATOM_ENTRIES, graphs=ATOM_GRAPHS)
    records = [feed_formats.record(r, lang) for r in rows]
    body = feed_formats.atom(records, base_iri=settings().base_iri, url_root=request.url_root,
                             self_url=request.url, stamp=_stamp(), lang=lang)
    return Response(body, content_type="application/atom+xml; charset=utf-8")
