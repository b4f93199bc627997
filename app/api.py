"""The named-query API: /api/queries lists queries/*.rq, /api/queries/<name> runs one.

Parameters come from the query string and are parsed by the query's declared types into RDF
terms (or integers for LIMIT/OFFSET), which the query binds: request text never becomes
SPARQL text. A value that does not fit is a 400 naming the parameter; an undeclared
parameter is a 400 too, an unknown query a 404.

Result formats, chosen by `format=` or else by Accept (first one when Accept says nothing):

| format= | media type | what |
|---|---|---|
| json | application/json | a plain array of objects, one per row, with plain JSON values |
| sparql-json | application/sparql-results+json | SPARQL 1.1 Query Results JSON |
| xml | application/sparql-results+xml | SPARQL Query Results XML |
| csv | text/csv | SPARQL 1.1 Query Results CSV (UTF-8, header row) |
| tsv | text/tab-separated-values | SPARQL 1.1 Query Results TSV |
| html | text/html | a table (what a browser gets from the forms on /api/queries) |

The store serialises every result completely before the response starts (Store.run).
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, render_template, request, url_for

from . import negotiation, queries, reading
from .errors import BadRequest, NotAcceptable
from .namespaces import XSD
from .params import ParameterError

bp = Blueprint("api", __name__)

PLAIN_JSON = "application/json"
FORMATS = {
    "json": PLAIN_JSON,
    "sparql-json": negotiation.JSON,
    "xml": negotiation.XML,
    "csv": negotiation.CSV,
    "tsv": negotiation.TSV,
    "html": negotiation.HTML,
}
_FORMAT_SYNONYMS = {"srj": "sparql-json", "srx": "xml", "sparql-xml": "xml"}
OFFERS = tuple(FORMATS.values())
_ALIASES = {"application/xml": negotiation.XML, "text/xml": negotiation.XML}
# Request args the API itself reads; a named query may not declare them.
RESERVED = ("format",)
_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "negativeInteger", "nonPositiveInteger",
                                    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
_FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}


def init_app(app: Flask) -> None:
    """Check that no named query uses a reserved parameter name, then register the blueprint."""
    for query in queries.registry().values():
        for name in RESERVED:
            if name in query.params:
                raise queries.QueryFileError(f"{query.path}: parameter {name!r} is reserved by "
                                             "/api/queries (rename it)")
    app.register_blueprint(bp)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return response


def choose_format() -> str:
    """The media type of the answer: `format=` first, else Accept; 400/406 when impossible."""
    values = [v.strip().lower() for v in request.args.getlist("format") if v.strip()]
    if len(values) > 1:
        raise BadRequest("parameter 'format' is given more than once")
    if values:
        name = _FORMAT_SYNONYMS.get(values[0], values[0])
        if name in FORMATS:
            return FORMATS[name]
        media = _ALIASES.get(values[0], values[0])
        if media in OFFERS:
            return media
        raise BadRequest(f"unknown format {values[0]!r}; use one of {', '.join(FORMATS)}")
    chosen = negotiation.best_match(request.headers.get("Accept"), OFFERS, _ALIASES)
    if chosen is None:
        raise NotAcceptable(f"cannot answer {request.headers.get('Accept')!r}; available: "
                            + ", ".join(f"{m} (format={n})" for n, m in FORMATS.items()))
    return chosen


def describe(query: queries.NamedQuery) -> dict:
    """A named query as JSON: what it returns and its typed parameters with their defaults."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "url": url_for("api.run", name=query.name, _external=False),
        "parameters": [
            {"name": p.name, "type": p.type, "default": p.default, "required": p.required,
             "min": p.minimum, "max": p.maximum,
             "choices": list(p.choices) if p.choices else None, "description": p.description}
            for p in query.params.values()
        ],
        "formats": {name: media for name, media in FORMATS.items()},
    }


@bp.route("/api/queries")
def index():
    """Every named query: JSON for programs, an HTML page with one form per query for people."""
    listing = [describe(q) for q in sorted(queries.registry().values(), key=lambda q: q.name)]
    wanted = choose_listing_format()
    if wanted == negotiation.HTML:
        return render_template("api/queries.html", queries=listing, formats=list(FORMATS))
    return Response(json.dumps({"queries": listing}, ensure_ascii=False, indent=1),
                    mimetype=PLAIN_JSON)


def choose_listing_format() -> str:
    values = [v.strip().lower() for v in request.args.getlist("format") if v.strip()]
    unknown = set(request.args) - {"format"}
    if unknown:
        raise ParameterError(sorted(unknown)[0], "is not a parameter of /api/queries")
    if values:
        if values[0] in ("json", PLAIN_JSON):
            return PLAIN_JSON
        if values[0] in ("html", negotiation.HTML):
            return negotiation.HTML
        raise BadRequest(f"unknown format {values[0]!r}; use json or html")
    chosen = negotiation.best_match(request.headers.get("Accept"), (PLAIN_JSON, negotiation.HTML))
    if chosen is None:
        raise NotAcceptable("available: application/json (format=json), text/html (format=html)")
    return chosen


def raw_params(args) -> dict[str, str]:
    """The query string as one string per parameter (the API's own `format` left out)."""
    raw = {}
    for name in args:
        if name in RESERVED:
            continue
        values = args.getlist(name)
        if len(values) > 1:
            raise ParameterError(name, "is given more than once")
        raw[name] = values[0]
    return raw


@bp.route("/api/queries/<name>")
def run(name: str):
    """Run one named query with the parameters of the query string."""
    query = queries.get(name)
    wanted = choose_format()
    raw = raw_params(request.args)
    if wanted in (PLAIN_JSON, negotiation.HTML):
        # The SPARQL JSON results keep every term's type; plain values are made from them.
        _, output = reading.named_output(name, raw, _fixed(negotiation.JSON))
        results = json.loads(output.body)
        if wanted == PLAIN_JSON:
            return Response(json.dumps(plain(results), ensure_ascii=False), mimetype=PLAIN_JSON)
        columns = results.get("head", {}).get("vars", [])
        rows = results.get("results", {}).get("bindings", [])
        return render_template("api/result.html", query=describe(query), columns=columns,
                               rows=rows, boolean=results.get("boolean"), args=raw,
                               formats=list(FORMATS))
    _, output = reading.named_output(name, raw, _fixed(wanted))
    return Response(output.body, content_type=output.media_type)


def _fixed(media_type: str):
    """A chooser for Store.run: results in `media_type`; a graph result in its best RDF format."""
    def choose(kind: str) -> str:
        if kind == "graph":
            return negotiation.choose("graph", request.headers.get("Accept"))
        return media_type
    return choose


def plain(results: dict):
    """SPARQL JSON results -> a list of {variable: plain value} (or {"boolean": b} for ASK)."""
    if "boolean" in results:
        return {"boolean": results["boolean"]}
    return [{var: plain_value(term) for var, term in row.items()}
            for row in results.get("results", {}).get("bindings", [])]


def plain_value(term: dict):
    """One SPARQL JSON term as a plain JSON value: IRIs and strings as text, numbers, booleans."""
    kind, value = term.get("type"), term.get("value", "")
    if kind == "bnode":
        return "_:" + value
    if kind != "literal" and kind != "typed-literal":
        return value
    datatype = term.get("datatype")
    if datatype in _INTEGER_TYPES:
        try:
            return int(value)
        except ValueError:
            return value
    if datatype in _FLOAT_TYPES:
        try:
            number = float(value)
        except ValueError:
            return value
        # NaN and infinities have no JSON form: keep their lexical form.
        return number if number == number and abs(number) != float("inf") else value
    if datatype == XSD + "boolean":
        return value in ("true", "1")
    return value
