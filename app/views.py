"""HTML pages (server-rendered, French/Dutch/English) and the linked-data views of minted IRIs.

Every read goes through `reading` (named queries for lists, `ld.describe` for one resource);
no page reads a whole graph or an unbounded result.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import (Blueprint, Flask, Response, abort, current_app, redirect, render_template,
                   request, send_from_directory, url_for)

from . import agenda, catalog, clusters, filters, i18n, ld, lists, negotiation, reading
from .errors import NotAcceptable, NotFound
from .namespaces import CC, DCTERMS, MUTU, RDF, RDFS, SCHEMA, SKOS
from .params import BRUSSELS
from .resources import ROOT, folder
from .state import settings

bp = Blueprint("views", __name__)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NODE_MODULES = ROOT / "node_modules"
HTML = "text/html"


def init_app(app: Flask) -> None:
    """Register the pages, the Jinja helpers and the language cookie."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(t=i18n.t, pick=i18n.pick, pick_column=i18n.pick_column,
                                 LANGUAGES=i18n.LANGUAGES, LANGUAGE_NAMES=i18n.NAMES,
                                 lang_url=_lang_url, page_url=_page_url, local=_local, web_href=web_href,
                                 vendor_available=vendor_available, fmt_date=_fmt_date)

    @app.after_request
    def _remember_language(response):
        asked = request.args.get("lang")
        if asked in i18n.LANGUAGES and request.cookies.get(i18n.COOKIE) != asked:
            response.set_cookie(i18n.COOKIE, asked, max_age=365 * 86400, samesite="Lax")
        return response


# -- helpers used by templates -------------------------------------------------------------

def _lang_url(lang: str) -> str:
    args = request.args.to_dict()
    args["lang"] = lang
    return request.path + "?" + urlencode(args)


def _page_url(args: dict) -> str:
    return request.path + ("?" + urlencode(args) if args else "")


def _local(iri) -> str:
    """The path of an IRI Mutu minted (so links work on any host), else the IRI itself."""
    value = getattr(iri, "value", iri) or ""
    base = settings().base_iri
    if value.startswith(base):
        return "/" + value[len(base):]
    return web_href(value)


def web_href(value) -> str:
    """A link target only for http(s) addresses: data may hold `javascript:` or other schemes."""
    value = getattr(value, "value", value) or ""
    return value if value.lower().startswith(("http://", "https://")) else "#"


def _fmt_date(term) -> str:
    when = agenda.moment(getattr(term, "value", term or ""))
    if when is None:
        return getattr(term, "value", "") or ""
    when = when.astimezone(BRUSSELS)
    return when.strftime("%Y-%m-%d %H:%M") if "T" in term.value else when.strftime("%Y-%m-%d")


def vendor_available(path: str) -> bool:
    return (NODE_MODULES / path).is_file()


def _iri(kind: str, slug: str) -> str:
    return f"{settings().base_iri}{kind}/{slug}"


def render(template: str, status: int = 200, **context) -> Response:
    lang = i18n.choose()
    html = render_template(template, lang=lang, **context)
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = lang
    return response


# -- front-end libraries from npm -----------------------------------------------------------

@bp.route("/vendor/<path:path>")
def vendor(path: str):
    """Files of the npm packages (node_modules, installed by `npm ci`; not committed)."""
    if not NODE_MODULES.is_dir():
        raise NotFound("front-end libraries are not installed (run `npm ci`)")
    return send_from_directory(NODE_MODULES, path, max_age=86400)


# -- home -------------------------------------------------------------------------------------

COUNTS = """PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX mutu: <https://w3id.org/mutu/ns#>
SELECT ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES (?kind ?type) { ("alternatives" schema:Organization) ("places" schema:Place)
                         ("events" schema:Event) ("categories" skos:Concept)
                         ("documents" mutu:Document) ("offers" mutu:Offer) ("requests" mutu:Request) }
  ?x a ?type } GROUP BY ?kind"""


def counts() -> dict[str, int]:
    """Resources by kind, computed once per store state."""
    def build():
        return {r["kind"].value: int(r["n"].value) for r in reading.select(COUNTS)}
    return agenda.per_state("counts", build)


def visible_datasets():
    visible = set(reading.visible())
    return [d for d in catalog.datasets(reading.get_store(), settings().base_iri) if d.graph in visible]


@bp.route("/")
def home():
    f = filters.event_filters({}, settings().base_iri, per_page=8)
    events, _ = agenda.page(f)
    datasets = visible_datasets()
    latest = sorted(datasets, key=lambda d: d.modified or "", reverse=True)[:5]
    return render("pages/home.html", counts=counts(), events=events, datasets=datasets, latest=latest)


# -- lists -------------------------------------------------------------------------------------

CATEGORY_LIST = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?c ?label ?broader WHERE {
  ?c skos:inScheme ?scheme ; skos:prefLabel ?label . OPTIONAL { ?c skos:broader ?broader }
}"""


def category_tree() -> list[dict]:
    """The concepts of the scheme: [{iri, labels, broader}] (about 130; cached per state)."""
    def build():
        concepts: dict[str, dict] = {}
        for row in reading.select(CATEGORY_LIST):
            c = concepts.setdefault(row["c"].value, {"iri": row["c"].value, "labels": [], "broader": set()})
            if row["label"] not in c["labels"]:
                c["labels"].append(row["label"])
            if "broader" in row:
                c["broader"].add(row["broader"].value)
        return concepts
    return agenda.per_state("categories", build)


def category_options():
    lang = i18n.choose()
    tree = category_tree()
    return sorted(((c["iri"].rsplit("/", 1)[-1], str(i18n.pick(c["labels"], lang).value)) for c in tree.values()),
                  key=lambda x: x[1].lower())


@bp.route("/alternatives")
def alternatives():
    f = filters.alternative_filters(request.args, settings().base_iri, extra=("lang",))
    # One row per identity cluster; per-state sorted IRIs and inverted indexes (app.lists).
    rows = lists.alternatives_page(f, clusters.current().hidden)
    if rows is None:
        _, rows = clusters.named("alternatives", {}, **f.bindings())
    rows, more = f.paging.cut(rows)
    return render("pages/alternatives.html", rows=rows, more=more, f=f, categories=category_options(),
                  also=clusters.row_sources(rows), datasets=clusters.datasets())


@bp.route("/places")
def places():
    f = filters.place_filters(request.args, settings().base_iri, extra=("lang",))
    rows, more = f.paging.cut(lists.places_page(f))  # same rows as queries/places.rq
    tile = settings().tile_url
    return render("pages/places.html", rows=rows, more=more, f=f, categories=category_options(), tile_url=tile)


@bp.route("/events")
def events():
    f = filters.event_filters(request.args, settings().base_iri, extra=("lang",))
    rows, more = agenda.page(f)
    days = [(day, list(items)) for day, items in itertools.groupby(rows, key=lambda r: _fmt_date(r["start"])[:10])]
    return render("pages/events.html", days=days, more=more, f=f, categories=category_options())


@bp.route("/categories")
def categories():
    tree = category_tree()
    counted = agenda.per_state("category-counts", lambda: {
        r["c"].value: int(r["n"].value) for r in reading.select(
            "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x <https://w3id.org/mutu/ns#category> ?c } GROUP BY ?c")})
    children: dict[str, list] = {}
    roots = []
    for c in tree.values():
        parents = [b for b in c["broader"] if b in tree]
        if not parents:
            roots.append(c)
        for b in parents:
            children.setdefault(b, []).append(c)
    lang = i18n.choose()
    key = lambda c: str(i18n.pick(c["labels"], lang).value).lower()
    return render("pages/categories.html", roots=sorted(roots, key=key), children=children,
                  counts=counted, sortkey=key)


LICENCES = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX cc: <http://creativecommons.org/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX mutu: <https://w3id.org/mutu/ns#>
SELECT ?l ?p ?o WHERE { ?l a mutu:Licence ; ?p ?o .
  VALUES ?p { dcterms:title dcterms:identifier cc:permits cc:requires cc:prohibits rdfs:comment rdfs:seeAlso } }"""


@bp.route("/licences")
def licences():
    found: dict[str, dict] = {}
    for row in reading.select(LICENCES):
        found.setdefault(row["l"].value, {}).setdefault(row["p"].value, []).append(row["o"])
    items = sorted(found.items(), key=lambda kv: str(kv[1].get(DCTERMS + "identifier", [""])[0]))
    return render("pages/licences.html", licences=items, DCTERMS=DCTERMS, CC=CC, RDFS=RDFS)


@bp.route("/datasets")
def datasets():
    return render("pages/datasets.html", datasets=visible_datasets())


# -- ontology and shapes --------------------------------------------------------------------

@lru_cache(maxsize=1)
def _vocabulary():
    import rdflib

    graph = rdflib.Graph()
    for path in sorted(folder("ontology").glob("mutu.ttl")):
        graph.parse(path, format="turtle")
    return graph


@lru_cache(maxsize=1)
def _shapes():
    import rdflib

    graph = rdflib.Graph()
    for path in sorted(folder("shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _label(graph, node, lang):
    import rdflib

    labels = list(graph.objects(node, rdflib.RDFS.label)) + list(graph.objects(node, rdflib.URIRef(SKOS + "prefLabel")))
    for tag in i18n.order(lang):
        for l in labels:
            if getattr(l, "language", None) == tag:
                return str(l)
    return str(labels[0]) if labels else _short(node)


def _comment(graph, node, lang):
    import rdflib

    comments = list(graph.objects(node, rdflib.RDFS.comment))
    for tag in i18n.order(lang):
        for c in comments:
            if getattr(c, "language", None) == tag:
                return str(c)
    return str(comments[0]) if comments else ""


def _short(node) -> str:
    from .namespaces import PREFIXES

    text = str(node)
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


@bp.route("/ontology")
def ontology():
    import rdflib

    g, lang = _vocabulary(), i18n.choose()
    classes = sorted({s for s in g.subjects(rdflib.RDF.type, rdflib.OWL.Class) if isinstance(s, rdflib.URIRef)}, key=str)
    props = sorted({s for t in (rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty, rdflib.RDF.Property)
                    for s in g.subjects(rdflib.RDF.type, t) if isinstance(s, rdflib.URIRef)}, key=str)
    rows = lambda nodes: [{"short": _short(n), "iri": str(n), "label": _label(g, n, lang),
                           "comment": _comment(g, n, lang),
                           "domain": ", ".join(_short(x) for x in g.objects(n, rdflib.RDFS.domain)),
                           "range": ", ".join(_short(x) for x in g.objects(n, rdflib.RDFS.range)),
                           "super": ", ".join(_short(x) for x in g.objects(n, rdflib.RDFS.subClassOf)
                                              if isinstance(x, rdflib.URIRef))} for n in nodes]
    return render("pages/ontology.html", classes=rows(classes), properties=rows(props))


@bp.route("/shapes")
def shapes():
    import rdflib

    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    g, lang = _shapes(), i18n.choose()
    out = []
    for shape in sorted(set(g.subjects(rdflib.RDF.type, SH.NodeShape)), key=str):
        targets = [_short(x) for x in g.objects(shape, SH.targetClass)]
        props = []
        for ps in g.objects(shape, SH.property):
            path = g.value(ps, SH.path)
            entry = {"path": _short(path) if isinstance(path, rdflib.URIRef) else "(path)",
                     "min": g.value(ps, SH.minCount), "max": g.value(ps, SH.maxCount),
                     "datatype": ", ".join(_short(x) for x in g.objects(ps, SH.datatype)),
                     "class": ", ".join(_short(x) for x in g.objects(ps, SH["class"])),
                     "pattern": g.value(ps, SH.pattern),
                     "severity": _short(g.value(ps, SH.severity) or SH.Violation).replace("sh:", ""),
                     "message": "", "in": []}
            messages = list(g.objects(ps, SH.message))
            for tag in i18n.order(lang):
                hit = [m for m in messages if getattr(m, "language", None) == tag]
                if hit:
                    entry["message"] = str(hit[0])
                    break
            else:
                entry["message"] = str(messages[0]) if messages else ""
            values = g.value(ps, SH["in"])
            if values is not None:
                entry["in"] = [_short(x) for x in rdflib.collection.Collection(g, values)]
            for key in ("minInclusive", "maxInclusive", "languageIn", "uniqueLang", "nodeKind"):
                v = g.value(ps, SH[key])
                if v is not None:
                    entry.setdefault("extra", []).append(
                        f"{key} " + (" ".join(str(x) for x in rdflib.collection.Collection(g, v))
                                     if key == "languageIn" else _short(v)))
            props.append(entry)
        props.sort(key=lambda p: p["path"])
        out.append({"shape": _short(shape), "targets": targets, "label": _comment(g, shape, lang),
                    "properties": props})
    return render("pages/shapes.html", shapes=out)


# -- linked data: minted resources ----------------------------------------------------------

def _negotiate(ext: str | None) -> str:
    if ext is not None:
        if ext not in ld.TWINS:
            raise NotFound(f"no .{ext} twin; available: " + ", ".join("." + e for e in ld.TWINS))
        return ld.TWINS[ext]
    offers = (HTML,) + tuple(ld.TWINS.values())
    accept = request.headers.get("Accept")
    if not accept or all(r.type == "*" for r in negotiation.parse_accept(accept)):
        return HTML
    chosen = negotiation.best_match(accept, offers, negotiation.ALIASES["graph"])
    if chosen is None:
        raise NotAcceptable("available: text/html, " + ", ".join(ld.TWINS.values()))
    return chosen


def _split(slug: str) -> tuple[str, str | None]:
    if "." in slug:
        slug, ext = slug.rsplit(".", 1)
        return slug, ext
    return slug, None


def _link_headers(response: Response, path: str) -> Response:
    links = [f'<{path}.{ext}>; rel="alternate"; type="{media}"' for ext, media in ld.TWINS.items()]
    links.append(f'<{path}>; rel="alternate"; type="text/html"')
    response.headers["Link"] = ", ".join(links)
    response.vary.add("Accept")
    return response


def _rdf_response(d: ld.Description, media: str) -> Response:
    body = ld.serialize(d.triples(), media)
    content_type = media + ("; charset=utf-8" if media in (negotiation.TURTLE, negotiation.NTRIPLES) else "")
    return Response(body, content_type=content_type)


def _resource(kind: str, raw: str, template: str, extra=None):
    slug, ext = _split(raw)
    if not SLUG.match(slug):
        raise NotFound(f"no {kind} {raw!r}")
    media = _negotiate(ext)
    d = ld.describe(_iri(kind, slug))
    if not d.exists:
        raise NotFound(f"no {kind} {slug!r} in the visible graphs")
    if kind == "alternative":
        clusters.apply(d)  # owl:sameAs to the other visible members of its identity cluster
    path = f"/{kind}/{slug}"
    if media != HTML:
        return _link_headers(_rdf_response(d, media), path)
    context = extra(d) if extra else {}
    names = ld.names([s for s, _, _ in d.incoming] + [o.value for _, p, o in d.facts
                                                      if isinstance(o, ox.NamedNode) and p in LINKED])
    response = render(template, d=d, kind=kind, path=path, names=names, twins=ld.TWINS,
                      jsonld=ld.script_json(ld.schema_jsonld(d)), sources=_sources(d),
                      SCHEMA=SCHEMA, MUTU=MUTU, SKOS=SKOS, **context)
    return _link_headers(response, path)


LINKED = {SCHEMA + "location", SCHEMA + "organizer", MUTU + "category", SKOS + "broader",
          DCTERMS + "license"}


def _sources(d: ld.Description) -> dict:
    """Dataset records (title, licence) of the graphs that state facts about the subject."""
    records = {r.graph: r for r in catalog.datasets(reading.get_store(), settings().base_iri)}
    return {g: records.get(g) for g in dict.fromkeys(g for g, _, _ in d.facts)}


@bp.route("/alternative/<slug>")
def alternative(slug):
    def extra(d):
        c = clusters.current()
        return {"cluster": [(m, c.graphs.get(m, ())) for m in c.others(d.iri)],
                "cluster_names": ld.names(list(c.others(d.iri))), "datasets": clusters.datasets()}
    return _resource("alternative", slug, "pages/resource.html", extra)


@bp.route("/place/<slug>")
def place(slug):
    return _resource("place", slug, "pages/resource.html")


@bp.route("/event/<slug>")
def event(slug):
    return _resource("event", slug, "pages/resource.html")


@bp.route("/category/<slug>")
def category(slug):
    def extra(d):
        f = filters.alternative_filters({"category": d.iri}, settings().base_iri)
        rows = lists.alternatives_page(f)  # the rows of queries/alternatives.rq, fast
        tree = category_tree()
        narrower = [c for c in tree.values() if d.iri in c["broader"]]
        return {"members": rows[:20], "narrower": narrower}
    return _resource("category", slug, "pages/resource.html", extra)


@bp.route("/graph/<name>")
def graph(name):
    slug, ext = _split(name)
    if not SLUG.match(slug):
        raise NotFound(f"no graph {name!r}")
    iri = _iri("graph", slug)
    if iri not in reading.visible():
        raise NotFound(f"no visible graph {slug!r}")
    media = _negotiate(ext)
    d = ld.describe(iri, incoming=False)
    path = f"/graph/{slug}"
    if media != HTML:
        return _link_headers(_rdf_response(d, media), path)
    record = next((r for r in visible_datasets() if r.graph == iri), None)
    excerpt = reading.select("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 50",
                             {"g": ox.NamedNode(iri)})
    response = render("pages/graph.html", d=d, record=record, excerpt=excerpt, path=path,
                      twins=ld.TWINS, jsonld=ld.script_json({"@context": ld.CONTEXT, "@id": iri,
                                                             "@type": "Dataset", "name": record.title if record else slug}))
    return _link_headers(response, path)


@bp.route("/catalog")
@bp.route("/catalog.<ext>")
def catalog_page(ext=None):
    media = _negotiate(ext)
    if media == HTML:
        return redirect(url_for("views.datasets"))
    d = ld.describe(catalog.catalog_iri(settings().base_iri), incoming=False)
    if not d.exists:
        raise NotFound("the catalog is empty")
    return _link_headers(_rdf_response(d, media), "/catalog")
