"""Widgets for partner sites: the agenda, the map and an alternative's card as framable pages.

`/widget/agenda`, `/widget/map` and `/widget/card/<slug>` take the filters of /events and
/places (app.filters) plus the theme parameters of app.widget_theme; every read goes through
`reading` (the viewer's visible graphs). Only these three routes may be framed by any site
(`frame-ancestors *`); other HTML pages get `frame-ancestors 'self'` unless they set stricter.
`/widgets.js` turns `data-mutu-widget` elements of a host page into iframes; `/widgets`
documents it all with live previews.
"""

from __future__ import annotations

import datetime as dt
import itertools
from html import escape
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request, send_from_directory
from werkzeug.datastructures import MultiDict

from . import agenda, filters, i18n, ld, lists, reading, views
from .errors import NotFound
from .namespaces import MUTU, SCHEMA
from .params import BRUSSELS, ParameterError
from .state import settings
from .widget_theme import DEFAULTS, THEME_ARGS, Theme, theme

bp = Blueprint("widgets", __name__)
FRAMED = {"widgets.agenda", "widgets.map", "widgets.card"}
# Scripts only from Mutu itself (Leaflet under /vendor, the height script); any site may frame.
WIDGET_CSP = "frame-ancestors *; script-src 'self'; object-src 'none'; base-uri 'none'"
SITE_CSP = "frame-ancestors 'self'"
PAGING_ARGS = ("page", "per_page")
FREE = """SELECT DISTINCT ?event WHERE {
  ?event <https://schema.org/isAccessibleForFree> ?free FILTER (?free = true) }"""


def init_app(app: Flask) -> None:
    """Register the widget routes and the framing policy (widgets: any site; pages: same site)."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(widget_link=absolute, widget_day=day_of, widget_time=time_of)

    def _framing(response: Response) -> Response:
        if request.endpoint in FRAMED:
            response.headers["Content-Security-Policy"] = WIDGET_CSP
            response.headers.pop("X-Frame-Options", None)
            # A widget's `lang` is for that frame only: no language cookie for partners' visitors.
            response.headers.pop("Set-Cookie", None)
        elif response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = SITE_CSP
        return response

    # after_request hooks run last-registered first: at the front of the list this one runs
    # after all others and sees the final headers (the language cookie, a stricter policy).
    app.after_request_funcs.setdefault(None, []).insert(0, _framing)


# -- parameters ----------------------------------------------------------------------------

def _split(default_n: int, args=None) -> tuple[Theme, MultiDict]:
    """The theme, and the other args (the filters) with their repetitions kept."""
    args = request.args if args is None else args
    look = theme(args, default_n=default_n)
    rest = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in THEME_ARGS])
    for name in PAGING_ARGS:
        if name in rest:
            raise ParameterError(name, "widgets show one page: use `n` (1-50) for the number of items")
    return look, rest


def _free(args) -> bool:
    values = args.getlist("free")
    if len(values) > 1:
        raise ParameterError("free", "is given more than once")
    if values and values[0] != "1":
        raise ParameterError("free", "must be 1 (only free events) or left out")
    return bool(values)


# -- links ---------------------------------------------------------------------------------

def origin() -> str:
    """This server's address as the client reached it, without a trailing slash."""
    return request.url_root.rstrip("/")


def absolute(iri) -> str:
    """An absolute link to the full page of a minted IRI (other http(s) IRIs as they are)."""
    value = getattr(iri, "value", iri) or ""
    base = settings().base_iri
    if value.startswith(base):
        return f"{origin()}/{value[len(base):]}"
    return views.web_href(value)


def page_link(path: str, args: dict) -> str:
    """The absolute URL of a full page with the widget's filters and language."""
    query = {**args, "lang": i18n.choose()}
    return f"{origin()}{path}?{urlencode(query)}"


def day_of(term) -> str:
    """The Brussels day (YYYY-MM-DD) of an xsd:dateTime or xsd:date."""
    when = agenda.moment(term.value)
    return when.astimezone(BRUSSELS).date().isoformat() if when else term.value[:10]


def time_of(term) -> str:
    """HH:MM in Brussels, or '' for a date without a time."""
    when = agenda.moment(term.value)
    return when.astimezone(BRUSSELS).strftime("%H:%M") if when and "T" in term.value else ""


# -- agenda --------------------------------------------------------------------------------

def free_events():
    """The visible events marked `schema:isAccessibleForFree true`, as a posting of the agenda."""
    return lists.kept("events", ("widgets.free",),
                      lambda: {r["event"].value for r in reading.select(FREE)})


def agenda_rows(f: filters.EventFilters, free: bool) -> tuple[list[dict], bool]:
    """One page of the agenda (app.agenda), keeping free events only when `free`."""
    if not free:
        return agenda.page(f)
    bindings = f.bindings()
    start = agenda.moment(bindings["from"].value)
    end = agenda.moment(bindings["to"].value) if "to" in bindings else None
    events = agenda.select(f, start, end, 0, f.paging.limit, free_events())
    return f.paging.cut(agenda.details(events))


@bp.route("/widget/agenda", endpoint="agenda")
def agenda_widget():
    """The agenda for a partner site: upcoming events by day, filtered like /events."""
    look, rest = _split(10)
    free = _free(rest)
    rest.poplist("free")
    f = filters.event_filters(rest, settings().base_iri, per_page=look.n)
    rows, more = agenda_rows(f, free)
    days = [(day, list(items)) for day, items in itertools.groupby(rows, key=lambda r: day_of(r["start"]))]
    return views.render("widgets/agenda.html", theme=look, days=days, more=more,
                        full=page_link("/events", f.args()), free=free)



# -- map -----------------------------------------------------------------------------------

@bp.route("/widget/map", endpoint="map")
def map_widget():
    """Places on a Leaflet map (a plain list without JavaScript), filtered like /places."""
    look, rest = _split(50)
    f = filters.place_filters(rest, settings().base_iri, per_page=look.n)
    rows, more = f.paging.cut(lists.places_page(f))
    return views.render("widgets/map.html", theme=look, rows=rows, more=more,
                        full=page_link("/places", f.args()), tile_url=settings().tile_url)



# -- card ----------------------------------------------------------------------------------

@bp.route("/widget/card/<slug>")
def card(slug: str):
    """One alternative: name, description, categories, places, website, next events (`n`)."""
    look, rest = _split(3)
    for name in rest:
        raise ParameterError(name, f"is not a parameter of the card (known: {', '.join(THEME_ARGS)})")
    if not views.SLUG.match(slug):
        raise NotFound(f"no alternative {slug!r}")
    d = ld.describe(f"{settings().base_iri}alternative/{slug}")
    if not d.exists or SCHEMA + "Organization" not in d.types():
        raise NotFound(f"no alternative {slug!r} in the visible graphs")
    now = dt.datetime.now(BRUSSELS)
    upcoming = [(s, start) for s, p, start in d.incoming
                if start is not None and p == SCHEMA + "organizer"
                and (agenda.moment(start.value) or now) >= now][:look.n]
    linked = [o.value for o in d.values(MUTU + "category") + d.values(SCHEMA + "location")]
    names = ld.names(linked + [s for s, _ in upcoming])
    return views.render("widgets/card.html", theme=look, d=d, upcoming=upcoming, names=names,
                        full=page_link(f"/alternative/{slug}", {}), SCHEMA=SCHEMA, MUTU=MUTU)


# -- the script and the documentation page -------------------------------------------------

@bp.route("/widgets.js")
def script():
    """The embedding script: `data-mutu-widget` elements become auto-sized iframes."""
    response = send_from_directory(current_app.static_folder, "widgets.js", max_age=3600,
                                   mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


KINDS = ("agenda", "map", "card")
HEIGHTS = {"agenda": 420, "map": 460, "card": 360}
BUILDER_ARGS = ("widget", "slug")


@bp.route("/widgets")
def docs():
    """How to embed each widget, with live previews and copy-paste snippets for this host;
    `?widget=agenda|map|card` and a widget's parameters build a snippet of one's own."""
    card_slug = _example_card()
    examples = [example("agenda", {"n": "5"}), example("map", {"n": "50"})]
    if card_slug:
        examples.append(example("card", {}, slug=card_slug))
    return views.render("pages/widgets.html", host=origin(), examples=examples, built=builder(),
                        card_slug=card_slug, categories=views.category_options(),
                        filters={"agenda": filters.EVENT_ARGS, "map": filters.PLACE_ARGS})


def builder() -> dict | None:
    """The snippets of the widget the /widgets form asks for, validated like the widget itself."""
    kind = request.args.get("widget")
    if kind is None:
        return None
    if kind not in KINDS:
        raise ParameterError("widget", f"must be one of {', '.join(KINDS)}")
    # A form sends every field: empty ones, and colours left at their default, say nothing.
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True)
                      if k not in BUILDER_ARGS and v != "" and not (k in DEFAULTS and v.lower() == DEFAULTS[k])])
    _, rest = _split(10, args)
    slug = None
    if kind == "agenda":
        _free(rest)
        rest.poplist("free")
        filters.event_filters(rest, settings().base_iri)
    elif kind == "map":
        filters.place_filters(rest, settings().base_iri)
    else:
        slug = request.args.get("slug", "")
        if not views.SLUG.match(slug):
            raise ParameterError("slug", "must be an alternative's slug (lower-case letters, digits, hyphens)")
        for name in rest:
            raise ParameterError(name, f"is not a parameter of the card (known: {', '.join(THEME_ARGS)})")
    return example(kind, args.to_dict(), slug=slug)


def example(kind: str, args: dict, *, slug: str | None = None) -> dict:
    """One widget's preview URL and its iframe and script snippets for this host."""
    path = f"/widget/{kind}" + (f"/{slug}" if slug else "")
    query = urlencode(args)
    src = escape(f"{origin()}{path}" + (f"?{query}" if query else ""))
    height = HEIGHTS[kind]
    data = "".join(f' data-{k}="{escape(v)}"' for k, v in ({"slug": slug} if slug else {}).items())
    data += "".join(f' data-{k}="{escape(v)}"' for k, v in args.items())
    return {
        "kind": kind, "preview": path + f"?{urlencode({**args, 'lang': i18n.choose()})}",
        "height": height,
        "iframe": (f'<iframe src="{src}" title="Mutu · {kind}" width="100%" height="{height}" '
                   f'style="border:0" loading="lazy"></iframe>'),
        "script": (f'<script src="{escape(origin())}/widgets.js" data-mutu-widget="{kind}"{data} async></script>'),
        "div": f'<div data-mutu-widget="{kind}"{data}></div>',
    }


def _example_card() -> str | None:
    """The slug of a visible alternative Mutu minted, for the card's preview."""
    prefix = f"{settings().base_iri}alternative/"
    for iri in lists.alternatives_sorted():
        if iri.startswith(prefix) and views.SLUG.match(iri[len(prefix):]):
            return iri[len(prefix):]
    return None
