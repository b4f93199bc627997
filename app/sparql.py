"""The SPARQL 1.1 Protocol endpoint, /sparql: queries, its service description and a query form.

Queries run on the store from the request thread and are fully evaluated and serialised
before the response is built (Store.run returns bytes), so a failure mid-evaluation is an
error status, never a 200 with a truncated body. Updates are refused until scoped write
access exists. Errors are raised as app.errors classes; errors_http renders them.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, request

from . import catalog, limits, negotiation, reading, result_cache, sparql_text, updates, urlencoded
from .access import query_dataset, visible_graphs
from .errors import BadRequest, Forbidden, NotAcceptable, UnsupportedMediaType
from .namespaces import DCTERMS, RDF, RDFS, SD, VOID, XSD
from .state import get_store, settings
from .store.embedded import GRAPH_FORMATS

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
FORMATS_NS = "http://www.w3.org/ns/formats/"
FORMAT_IRIS = {
    negotiation.JSON: "SPARQL_Results_JSON", negotiation.XML: "SPARQL_Results_XML",
    negotiation.CSV: "SPARQL_Results_CSV", negotiation.TSV: "SPARQL_Results_TSV",
    negotiation.TURTLE: "Turtle", negotiation.NTRIPLES: "N-Triples",
    negotiation.NQUADS: "N-Quads", negotiation.TRIG: "TriG",
    negotiation.JSONLD: "JSON-LD", negotiation.RDFXML: "RDF_XML",
}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept, Authorization",
    "Access-Control-Max-Age": "86400",
}


def init_app(app: Flask) -> None:
    """Register the /sparql blueprint and its query limits."""
    limits.init_app(app)
    app.register_blueprint(bp)


@bp.after_request
def _read_route_headers(response: Response) -> Response:
    # Also runs for error responses raised inside the view, so browsers can read them.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return response


@bp.route("/sparql", methods=["OPTIONS"], provide_automatic_options=False)
def preflight():
    """CORS preflight: any origin may query."""
    response = Response(status=204)
    response.headers.update(CORS_HEADERS)
    response.headers["Allow"] = "GET, POST, OPTIONS"
    return response


@bp.route("/sparql", methods=["GET", "POST"], provide_automatic_options=False)
def endpoint():
    """SPARQL 1.1 Protocol: query via GET, URL-encoded POST or direct POST."""
    params = _protocol_params()
    queries, updates = params.get("query", []), params.get("update", [])
    if queries and updates:
        raise BadRequest("a request carries either a query or an update, not both")
    if len(queries) > 1:
        raise BadRequest("more than one query parameter")
    if len(updates) > 1:
        raise BadRequest("more than one update parameter")
    if updates:
        if request.method == "GET":
            raise BadRequest("an update must be sent with POST, not GET")
        return _run_update(updates[0], params)
    if not queries:
        if request.method == "GET" and set(params) <= {"format"}:
            return _describe_service(params.get("format", []))
        raise BadRequest("missing query: send it as the `query` parameter or as an "
                         f"{QUERY} body")
    query = queries[0]
    if not query.strip():
        raise BadRequest("the query is empty")
    return _run_query(query, params)


def _protocol_params() -> dict[str, list[str]]:
    """The protocol parameters of the request: URL query string, plus the body for POST.

    A direct POST body becomes the `query` (or `update`) value. Bodies must be UTF-8.
    """
    params: dict[str, list[str]] = {}
    for name, value in request.args.items(multi=True):
        params.setdefault(name, []).append(value)
    if request.method != "POST":
        return params
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset")
    if mimetype in (FORM, QUERY, UPDATE) and charset and charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"{mimetype} bodies must be UTF-8, not {charset}")
    if mimetype == FORM:
        for name, value in _form_fields(request.get_data(cache=True)):
            params.setdefault(name, []).append(value)
    elif mimetype in (QUERY, UPDATE):
        text = _utf8(request.get_data(cache=True)).lstrip("\ufeff")
        params.setdefault("query" if mimetype == QUERY else "update", []).append(text)
    else:
        given = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise UnsupportedMediaType(f"a POST to /sparql needs {FORM}, {QUERY} or {UPDATE}; "
                                   f"got {given}")
    return params


def _form_fields(body: bytes) -> list[tuple[str, str]]:
    try:
        return urlencoded.parse(body)
    except UnicodeDecodeError:
        raise BadRequest("the form body is not valid UTF-8 once percent-decoded") from None


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not valid UTF-8 ({error.reason} at byte {error.start})") from None


def endpoint_url() -> str:
    """Absolute URL of this endpoint as the client reached it (also the queries' base IRI)."""
    return request.base_url


def _run_query(query: str, params: dict[str, list[str]]):
    base = endpoint_url()
    # pyoxigraph's SERVICE client reaches any host: only listed partners, public addresses.
    limits.check_service(query, base_iri=base, settings=settings())
    store = get_store()
    visible = visible_graphs(store, settings().base_iri, reading.viewer())
    default_uris = params.get("default-graph-uri", [])
    named_uris = params.get("named-graph-uri", [])
    query_from, query_from_named = ((), ()) if default_uris or named_uris else \
        sparql_text.dataset_clauses(query, base_iri=base)
    dataset = query_dataset(visible, default_graph_uris=default_uris, named_graph_uris=named_uris,
                            query_from=query_from, query_from_named=query_from_named)
    accept = request.headers.get("Accept")
    formats = params.get("format", [])

    def evaluate():
        with limits.query_slot():
            return store.run(query, dataset=dataset, base_iri=base,
                             choose=lambda kind: negotiation.choose(kind, accept, formats))

    # Everything the answer depends on besides the data; a hit takes no query slot.
    output = result_cache.cached(("run", query, dataset, base, accept, tuple(formats)), query,
                                 evaluate, lambda out: 256 + len(out.body))
    return Response(output.body, status=200, content_type=output.media_type)


def _run_update(update: str, params: dict[str, list[str]]):
    """SPARQL 1.1 Update with a token (app.updates checks scope, validates and commits)."""
    if not update.strip():
        raise BadRequest("the update is empty")
    summary = updates.run(update, params, base=endpoint_url(), viewer=reading.viewer())
    return Response(summary + "\n", status=200, content_type="text/plain; charset=utf-8")


# -- the bare endpoint: service description or query form ---------------------------------

def _describe_service(format_values: list[str]):
    offers = (negotiation.HTML,) + negotiation.OFFERS["graph"]
    if format_values:
        if any(v.strip().lower() == "html" for v in format_values):
            chosen = negotiation.HTML
        else:
            chosen = negotiation.format_override(format_values, "graph")
    else:
        # Without an Accept header (or with */*) RDF clients get Turtle, not the form.
        accept = request.headers.get("Accept")
        ranges = negotiation.parse_accept(accept)
        if all(r.type == "*" for r in ranges):
            chosen = negotiation.TURTLE
        else:
            chosen = negotiation.best_match(accept, offers, negotiation.ALIASES["graph"])
        if chosen is None:
            raise NotAcceptable(
                f"cannot serve the service description as {accept!r}; available: text/html, "
                + negotiation.available("graph"))
    if chosen == negotiation.HTML:
        return Response(query_form(), content_type="text/html; charset=utf-8")
    body = ox.serialize(service_description(), format=GRAPH_FORMATS[chosen],
                        prefixes={"sd": SD, "void": VOID, "dcterms": DCTERMS, "formats": FORMATS_NS})
    content_type = chosen + ("; charset=utf-8" if chosen == negotiation.TURTLE else "")
    return Response(body, content_type=content_type)


def service_description() -> list[ox.Triple]:
    """SPARQL 1.1 Service Description of this endpoint, with VoID sizes of the visible graphs."""
    store = get_store()
    base_iri = settings().base_iri
    visible = visible_graphs(store, base_iri, reading.viewer())
    records = {d.graph: d for d in catalog.datasets(store, base_iri)}

    def n(iri):
        return ox.NamedNode(iri)

    t = ox.Triple
    service, dataset, default = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    out = [
        t(service, n(RDF + "type"), n(SD + "Service")),
        t(service, n(SD + "endpoint"), n(endpoint_url())),
        t(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        t(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
        t(service, n(SD + "defaultEntailmentRegime"),
          n("http://www.w3.org/ns/entailment/Simple")),
        t(service, n(SD + "defaultDataset"), dataset),
        t(dataset, n(RDF + "type"), n(SD + "Dataset")),
        t(dataset, n(SD + "defaultGraph"), default),
        t(default, n(RDF + "type"), n(SD + "Graph")),
        t(default, n(RDFS + "comment"),
          ox.Literal("The default graph is the union of the visible named graphs.", language="en")),
    ]
    for media in FORMAT_IRIS:
        out.append(t(service, n(SD + "resultFormat"), n(FORMATS_NS + FORMAT_IRIS[media])))
    for graph in visible:
        named, described = ox.BlankNode(), ox.BlankNode()
        record = records.get(graph)
        size = record.triples if record and record.triples is not None else store.graph_size(graph)
        title = record.title if record else "Catalog of the datasets"
        out += [
            t(dataset, n(SD + "namedGraph"), named),
            t(named, n(RDF + "type"), n(SD + "NamedGraph")),
            t(named, n(SD + "name"), n(graph)),
            t(named, n(SD + "graph"), described),
            t(described, n(RDF + "type"), n(SD + "Graph")),
            t(described, n(RDF + "type"), n(VOID + "Dataset")),
            t(described, n(VOID + "triples"), ox.Literal(str(size), datatype=n(XSD + "integer"))),
            t(described, n(DCTERMS + "title"), ox.Literal(title)),
        ]
    return out


EXAMPLE_QUERY = """PREFIX schema: <https://schema.org/>
SELECT ?alternative ?name WHERE {
  ?alternative a schema:Organization ;
               schema:name ?name .
}
ORDER BY ?name
LIMIT 20"""

FORM_FORMATS = [("json", "SPARQL JSON"), ("xml", "SPARQL XML"), ("csv", "CSV"), ("tsv", "TSV"),
                ("turtle", "Turtle (CONSTRUCT, DESCRIBE)"), ("ntriples", "N-Triples"),
                ("jsonld", "JSON-LD"), ("rdfxml", "RDF/XML")]


def query_form() -> str:
    """The query form (no JavaScript needed), enhanced by YASGUI: see app.sparql_page."""
    from .sparql_page import page
    return page(endpoint_url(), EXAMPLE_QUERY, FORM_FORMATS)
