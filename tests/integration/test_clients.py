"""Real SPARQL clients against the real server: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import io
import json

import pytest
import rdflib
from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, JSONLD, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import PRIVATE_GRAPH, PUBLIC_GRAPH, SECRET_NAME
from app.namespaces import DEFAULT_BASE_IRI as BASE

pytestmark = pytest.mark.integration

SCHEMA = "https://schema.org/"
NAMES = f"SELECT ?s ?name WHERE {{ ?s a <{SCHEMA}Organization> ; <{SCHEMA}name> ?name }} ORDER BY ?name"
EXPECTED_NAMES = {"Potager collectif du Parc", "Repair Café Elsene", "Repair Café Ixelles"}
CONSTRUCT = f"CONSTRUCT {{ ?s <{SCHEMA}name> ?name }} WHERE {{ ?s <{SCHEMA}name> ?name }}"
ALL_NAMES = (EXPECTED_NAMES | {"Maison de quartier Malibran", "Repair Café de janvier"})


def wrapper(url, method, fmt):
    sparql = SPARQLWrapper(url + "/sparql")
    sparql.setMethod(method)
    sparql.setReturnFormat(fmt)
    return sparql


def text_names(body: bytes, sep: str) -> set[str]:
    lines = body.decode("utf-8").splitlines()
    header = lines[0].split(sep)
    column = header.index("name" if sep == "," else "?name")
    cells = {line.split(sep)[column] for line in lines[1:]}
    # TSV writes RDF terms ("x"@fr), CSV plain values.
    return {c.split('"')[1] if c.startswith('"') else c for c in cells}


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(live_server, method, fmt):
    sparql = wrapper(live_server, method, fmt)
    sparql.setQuery(NAMES)
    result = sparql.query()
    body = result.response.read()
    if fmt == JSON:
        names = {b["name"]["value"] for b in json.loads(body)["results"]["bindings"]}
    elif fmt == XML:
        parsed = rdflib.query.Result.parse(io.BytesIO(body), format="xml")
        names = {str(row.name) for row in parsed}
    else:
        names = text_names(body, "," if fmt == CSV else "\t")
    assert names == EXPECTED_NAMES


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(live_server, method, fmt):
    sparql = wrapper(live_server, method, fmt)
    sparql.setQuery(f"ASK {{ ?s <{SCHEMA}name> \"Repair Café Ixelles\"@fr }}")
    converted = sparql.queryAndConvert()
    value = converted["boolean"] if fmt == JSON else \
        converted.getElementsByTagName("boolean")[0].firstChild.data == "true"
    assert value is True


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt,accept,rdflib_format", [
    (TURTLE, None, "turtle"),
    (TURTLE, "application/n-triples", "nt"),
    (JSONLD, None, "json-ld"),
    (RDFXML, None, "xml"),
])
def test_sparqlwrapper_construct(live_server, method, fmt, accept, rdflib_format):
    sparql = wrapper(live_server, method, fmt)
    if accept:
        sparql.setOnlyConneg(True)
        sparql.addCustomHttpHeader("Accept", accept)
    sparql.setQuery(CONSTRUCT)
    result = sparql.query()
    content_type = result.response.headers["Content-Type"].split(";")[0]
    body = result.response.read()
    assert content_type == (accept or {TURTLE: "text/turtle", JSONLD: "application/ld+json",
                                       RDFXML: "application/rdf+xml"}[fmt])
    graph = Graph().parse(data=body, format=rdflib_format)
    assert {str(o) for o in graph.objects()} == ALL_NAMES


def test_sparqlwrapper_bad_query(live_server):
    sparql = wrapper(live_server, GET, JSON)
    sparql.setQuery("SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed) as error:
        sparql.query()
    assert "expected" in str(error.value)


def test_sparqlwrapper_never_sees_private_data(live_server):
    for query in ["SELECT * WHERE { ?s ?p ?o }", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
                  f"SELECT * FROM <{PRIVATE_GRAPH}> WHERE {{ ?s ?p ?o }}"]:
        for method in (GET, POST):
            sparql = wrapper(live_server, method, JSON)
            sparql.setQuery(query)
            body = sparql.query().response.read()
            assert SECRET_NAME.encode() not in body


# -- rdflib's SPARQLStore ------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("fmt", ["xml", "json", "csv", "tsv"])
def test_sparqlstore_select_on_the_union(live_server, method, fmt):
    store = SPARQLStore(query_endpoint=live_server + "/sparql", returnFormat=fmt, method=method)
    # default_union: rdflib then sends no default-graph-uri. A plain Dataset() would send its
    # default graph's name, urn:x-rdflib:default, which is no graph here (so: no results).
    dataset = Dataset(store=store, default_union=True)
    names = {str(row.name) for row in dataset.query(NAMES)}
    assert names == EXPECTED_NAMES


@pytest.mark.parametrize("fmt", ["xml", "json", "csv", "tsv"])
def test_sparqlstore_named_graph_is_sent_as_default_graph_uri(live_server, fmt):
    store = SPARQLStore(query_endpoint=live_server + "/sparql", returnFormat=fmt)
    public = Graph(store=store, identifier=URIRef(PUBLIC_GRAPH))
    assert {str(row.name) for row in public.query(NAMES)} == EXPECTED_NAMES
    catalog = Graph(store=store, identifier=URIRef(BASE + "catalog"))
    assert list(catalog.query(NAMES)) == []
    private = Graph(store=store, identifier=URIRef(PRIVATE_GRAPH))
    assert list(private.query("SELECT * WHERE { ?s ?p ?o }")) == []


@pytest.mark.parametrize("fmt", ["xml", "json", "csv", "tsv"])
def test_sparqlstore_graph_variable(live_server, fmt):
    store = SPARQLStore(query_endpoint=live_server + "/sparql", returnFormat=fmt)
    rows = Dataset(store=store, default_union=True).query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    # Anonymous readers see the public catalog view and public change log, not the full catalog.
    assert {str(row.g) for row in rows} == {PUBLIC_GRAPH, BASE + "catalog/public", BASE + "log/public"}


def test_sparqlstore_construct_and_ask(live_server):
    store = SPARQLStore(query_endpoint=live_server + "/sparql", returnFormat="xml")
    graph = Graph(store=store, identifier=URIRef(PUBLIC_GRAPH))
    constructed = graph.query(CONSTRUCT).graph
    assert {str(o) for o in constructed.objects()} == ALL_NAMES
    assert graph.query(f"ASK {{ ?s <{SCHEMA}name> \"Repair Café Ixelles\"@fr }}").askAnswer is True
    secret = Graph(store=store, identifier=URIRef(PRIVATE_GRAPH))
    assert secret.query("ASK { ?s ?p ?o }").askAnswer is False
