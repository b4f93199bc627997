"""Offers and requests between alternatives: the /offers list, /offer/<slug> and
/request/<slug> pages (with their linked-data twins) and the block on each alternative's page.

Reads go through app.reading: contact details come from whichever graphs the viewer may
read, so partners-only contacts show to partner tokens only.
"""

from __future__ import annotations

import math

import pyoxigraph as ox
from flask import Blueprint, Flask, request

from . import i18n, ld, offer_messages, reading, views
from .namespaces import MUTU, SCHEMA
from .offer_filters import KINDS, offer_filters
from .state import settings

bp = Blueprint("offers", __name__)

# Offers and requests of one alternative (?who is bound as a typed term, never pasted).
OF_ALTERNATIVE = """PREFIX schema: <https://schema.org/>
PREFIX mutu: <https://w3id.org/mutu/ns#>
SELECT ?who ?item ?type ?name ?kind WHERE {
  { ?item schema:offeredBy ?who ; a mutu:Offer . BIND ("offer" AS ?type) }
  UNION { ?item mutu:soughtBy ?who ; a mutu:Request . BIND ("request" AS ?type) }
  OPTIONAL { ?item schema:name ?name }
  OPTIONAL { ?item mutu:offerKind ?kind }
} ORDER BY ?type ?item LIMIT 1000"""


def init_app(app: Flask) -> None:
    """Register the offer pages and feeds, their messages and the alternative-page helper."""
    from . import offer_feeds

    for key, value in offer_messages.MESSAGES.items():
        i18n.MESSAGES.setdefault(key, value)
    app.register_blueprint(bp)
    offer_feeds.init_app(app)
    app.jinja_env.globals.update(offers_of=offers_of, term_label=term_label, km=km)


def term_label(term) -> str:
    """The localised label of an offer kind or condition IRI (mutu:room -> "local")."""
    value = getattr(term, "value", term) or ""
    local = value.rsplit("#", 1)[-1]
    for prefix in ("kind_", "conditions_"):
        if prefix + local in i18n.MESSAGES:
            return i18n.t(prefix + local)
    return local


def km(distance2) -> str | None:
    """A squared distance in km² (a query column) as kilometres with one decimal."""
    if distance2 is None:
        return None
    return f"{math.sqrt(max(float(distance2.value), 0.0)):.1f}"


def offers_of(iri: str) -> dict[str, list]:
    """An alternative's offers and requests: {"offer": [(iri, names, kind)], "request": [...]}."""
    found: dict[str, dict] = {}
    for row in reading.select(OF_ALTERNATIVE, {"who": ox.NamedNode(iri)}):
        entry = found.setdefault(row["item"].value, {"type": row["type"].value, "names": [], "kind": None})
        if "name" in row and row["name"] not in entry["names"]:
            entry["names"].append(row["name"])
        if "kind" in row:
            entry["kind"] = row["kind"]
    out: dict[str, list] = {"offer": [], "request": []}
    for item, entry in found.items():
        out[entry["type"]].append((item, entry["names"], entry["kind"]))
    return out


@bp.route("/offers")
def offers():
    """Offers and requests, filtered, one page at a time (the rows of queries/feed-offers.rq)."""
    f = offer_filters(request.args, settings().base_iri, extra=("lang",))
    _, rows = reading.named("feed-offers", None, **f.bindings())
    rows, more = f.paging.cut(rows)
    others = {k: v for k, v in f.args().items() if k not in ("type", "page")}
    tabs = [(None, "offers_all", others), ("offer", "offers_offers", {**others, "type": "offer"}),
            ("request", "offers_requests", {**others, "type": "request"})]
    return views.render("pages/offers.html", rows=rows, more=more, f=f, kinds=KINDS, tabs=tabs,
                        categories=views.category_options())


def _extra(d: ld.Description) -> dict:
    who = d.values(SCHEMA + "offeredBy") + d.values(MUTU + "soughtBy")
    return {"who": who, "who_names": ld.names([w.value for w in who if isinstance(w, ox.NamedNode)]),
            "category_names": ld.names([c.value for c in d.values(MUTU + "category")])}


@bp.route("/offer/<slug>")
def offer(slug):
    """One offer, with its .ttl / .jsonld / .nt / .rdf twins."""
    return views._resource("offer", slug, "pages/offer.html", _extra)


@bp.route("/request/<slug>")
def request_page(slug):
    """One request, with its .ttl / .jsonld / .nt / .rdf twins."""
    return views._resource("request", slug, "pages/offer.html", _extra)
