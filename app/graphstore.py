"""The SPARQL 1.1 Graph Store HTTP Protocol on /graph-store.

- `?graph=IRI` names a graph (indirect identification), `?default` the default graph of
  writes (`<base>graph/default`), and `/graph-store/<path>` names the graph whose IRI is that
  URL (direct identification).
- GET / HEAD: the graph, if the viewer may read it (404 otherwise: a graph one may not read
  does not exist for them). `GET /graph-store` without a graph exports every graph the
  token may write, as N-Quads or TriG.
- PUT replaces a graph, POST adds to it (a `multipart/form-data` body adds each part), POST
  to `/graph-store` alone creates a new graph (201 with its IRI in `Location`), DELETE
  removes a graph and its catalog record. Writes need a token allowed on the graph and go
  through app.writes (validated, atomic, logged).
- New graphs need a licence: the `licence` parameter or the token's default licence;
  `visibility`, `title` and `owner` parameters set the rest of the catalog record.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, request

from . import negotiation, writes
from .access import can_read, may_write
from .catalog import datasets, find
from .errors import BadRequest, NotFound, Unauthorized, UnsupportedMediaType
from .rdfio import FORMATS, normalise, parse
from .reading import viewer
from .state import get_store, settings
from .store.embedded import GRAPH_FORMATS

bp = Blueprint("graphstore", __name__)
METHODS = ["GET", "PUT", "POST", "DELETE"]
MEDIA_FORMATS = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "ntriples",
    "text/plain": "ntriples", "application/n-quads": "nquads", "application/trig": "trig",
    "application/ld+json": "jsonld", "application/json": "jsonld",
    "application/rdf+xml": "rdfxml", "application/xml": "rdfxml", "text/xml": "rdfxml",
}


def init_app(app: Flask) -> None:
    """Register /graph-store."""
    app.register_blueprint(bp)


def _graph_iri() -> str | None:
    """The graph the request names, or None for the store as a whole."""
    base_iri = settings().base_iri
    if "default" in request.args and "graph" in request.args:
        raise BadRequest("use either ?graph= or ?default, not both")
    if "default" in request.args:
        return writes.default_graph(base_iri)
    if "graph" in request.args:
        graph = request.args.get("graph", "")
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", graph):
            raise BadRequest(f"?graph= must be an absolute IRI, got {graph!r}")
        try:
            ox.NamedNode(graph)
        except ValueError:
            raise BadRequest(f"?graph= is not a valid IRI: {graph!r}") from None
        return graph
    if request.view_args and request.view_args.get("rest"):
        return request.base_url  # direct identification: the URL is the graph's IRI
    return None


@bp.route("/graph-store", methods=METHODS, provide_automatic_options=False)
@bp.route("/graph-store/<path:rest>", methods=METHODS, provide_automatic_options=False)
def graph_store(rest: str | None = None):
    """Dispatch one Graph Store Protocol request."""
    graph = _graph_iri()
    if request.method in ("GET", "HEAD"):  # Flask answers HEAD with the GET view, minus the body
        return _export() if graph is None else _get(graph)
    if graph is None and request.method != "POST":
        raise BadRequest(f"{request.method} needs ?graph=IRI or ?default")
    who = viewer()
    if who is None:
        raise Unauthorized("writes need a token: send it as `Authorization: Bearer <token>`")
    options = writes.WriteOptions(
        licence=_param("licence"), visibility=_param("visibility"), title=_param("title"),
        owner=_param("owner"), source="graph-store")
    store, base_iri = get_store(), settings().base_iri
    if request.method == "DELETE":
        record = find(store, base_iri, graph)
        if record is None or not can_read(record, who):
            raise NotFound(f"no graph <{graph}>")
        writes.execute(store, base_iri, who, operation=lambda s, d: _drop(s, d, graph),
                       referenced={graph}, action="graph-store", deleted={graph})
        return Response(status=204)
    created_here = graph is None
    if created_here:
        graph = f"{base_iri}graph/{uuid.uuid4().hex[:16]}"
    body = request.get_data(cache=True)
    parts = _body_triples(body, graph)
    if request.method == "PUT":
        def operation(scratch, default_iri):
            name = _name(graph, default_iri)
            if isinstance(name, ox.NamedNode):
                scratch.remove_graph(name) if name in set(scratch.named_graphs()) else None
                scratch.add_graph(name)
            else:
                scratch.clear_graph(name)
            scratch.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in parts)
    else:
        def operation(scratch, default_iri):
            name = _name(graph, default_iri)
            if isinstance(name, ox.NamedNode):
                scratch.add_graph(name)
            scratch.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in parts)
    result = writes.execute(store, base_iri, who, operation=operation, referenced={graph},
                            action="graph-store", options=options,
                            checksum=hashlib.sha256(body).hexdigest())
    if result.status_of(graph) == "created":
        response = Response(status=201)
        response.headers["Location"] = graph
        return response
    return Response(status=204)


def _param(name: str) -> str | None:
    value = request.args.get(name)
    return value if value else None


def _name(graph: str, default_iri: str):
    return ox.DefaultGraph() if graph == default_iri else ox.NamedNode(graph)


def _drop(scratch: ox.Store, default_iri: str, graph: str) -> None:
    name = _name(graph, default_iri)
    if isinstance(name, ox.NamedNode):
        if name in set(scratch.named_graphs()):
            scratch.remove_graph(name)
    else:
        scratch.clear_graph(name)


def _format_of(mimetype: str, filename: str | None = None) -> str:
    fmt = MEDIA_FORMATS.get((mimetype or "").lower())
    if fmt is None and filename:
        from .rdfio import EXTENSIONS

        suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        fmt = EXTENSIONS.get(suffix)
    if fmt is None:
        given = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise UnsupportedMediaType(f"cannot read {given} as RDF; send one of "
                                   + ", ".join(sorted(set(MEDIA_FORMATS))))
    return fmt


def _body_triples(body: bytes, graph: str) -> list[ox.Triple]:
    """The RDF of the request body (each part of a multipart body), parsed and normalised."""
    if request.mimetype == "multipart/form-data":
        triples = []
        for part in request.files.values():
            data = part.read()
            if data.strip():
                triples += parse(data, _format_of(part.mimetype, part.filename),
                                 source=part.filename or "part", base_iri=graph)
        return normalise(triples)
    fmt = _format_of(request.mimetype)
    charset = request.mimetype_params.get("charset")
    if charset and charset.lower() not in ("utf-8", "utf8") and fmt in FORMATS:
        raise UnsupportedMediaType(f"RDF bodies must be UTF-8, not {charset}")
    if not body.strip():
        return []
    return normalise(parse(body, fmt, source="request body", base_iri=graph))


def _serialise(triples_or_quads, kind_formats=None):
    accept = request.headers.get("Accept")
    media = negotiation.choose("graph", accept, request.args.getlist("format"))
    body = ox.serialize(triples_or_quads, format=GRAPH_FORMATS[media])
    content_type = media + ("; charset=utf-8" if media.startswith("text/") else "")
    response = Response(body, content_type=content_type)
    response.vary.add("Accept")
    return response


def _get(graph: str):
    store, base_iri, who = get_store(), settings().base_iri, viewer()
    record = find(store, base_iri, graph)
    if record is None or not can_read(record, who):
        raise NotFound(f"no graph <{graph}>")
    return _serialise(store.graph_triples(graph))


def _export():
    """Every graph the token may write, as quads (a collective's own export)."""
    store, base_iri, who = get_store(), settings().base_iri, viewer()
    if who is None:
        raise Unauthorized("exporting your graphs needs your token; use ?graph=IRI for one "
                           "public graph")
    quads = []
    for record in datasets(store, base_iri):
        if may_write(who, record.graph) and can_read(record, who):
            name = ox.NamedNode(record.graph)
            quads += [ox.Quad(t.subject, t.predicate, t.object, name)
                      for t in store.graph_triples(record.graph)]
    accept = request.headers.get("Accept") or ""
    media = negotiation.TRIG if "trig" in accept else negotiation.NQUADS
    response = Response(ox.serialize(quads, format=GRAPH_FORMATS[media]), content_type=media)
    response.vary.add("Accept")
    return response
