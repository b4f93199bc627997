"""The query text a remote store receives: dataset clauses out, bindings in as VALUES, no sockets."""

import pyoxigraph as ox
import pytest

from app.config import load_settings
from app.errors import QueryEvaluationError, QuerySyntaxError, StoreUnavailable
from app.store.remote import prepare, remote_config


def test_from_clauses_are_removed_but_not_text_that_looks_like_them():
    query = ('PREFIX ex: <http://ex/> SELECT ?s FROM <http://ex/private> FROM NAMED ex:g '
             'WHERE { ?s ?p "FROM <http://ex/x>" # FROM <http://ex/y>\n }')
    out = prepare(query, strip_dataset=True)
    assert out.kind == "solutions"
    assert "private" not in out.text and "ex:g" not in out.text
    assert '"FROM <http://ex/x>"' in out.text and "# FROM <http://ex/y>" in out.text
    assert "private" in prepare(query, strip_dataset=False).text


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { { SELECT * FROM <http://ex/private> WHERE { ?s ?p ?o } } }",
    "DEFINE input:default-graph-uri <http://ex/private> SELECT * WHERE { ?s ?p ?o }",
    "INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }",
    "",
])
def test_what_is_not_a_sparql_query_is_refused(query):
    with pytest.raises(QuerySyntaxError):
        prepare(query, strip_dataset=True)


def test_bindings_are_a_values_block_in_the_where_group():
    hostile = ox.Literal('x" } } ; DROP ALL ; SELECT * { "', language="fr")
    out = prepare("SELECT ?a WHERE { ?a <http://ex/name> ?name FILTER(?name != \"\") }",
                  strip_dataset=True, bindings={"name": hostile, "a": ox.NamedNode("http://ex/a")})
    assert out.text.startswith("SELECT ?a WHERE { VALUES (?a ?name) { (<http://ex/a> "
                               + str(hostile) + ") }")
    # The template of a CONSTRUCT is skipped; a sub-select group is nested.
    out = prepare("CONSTRUCT { ?a ?p ?o } WHERE { ?a ?p ?o }", strip_dataset=True,
                  bindings={"a": ox.NamedNode("http://ex/a")})
    assert out.text == "CONSTRUCT { ?a ?p ?o } WHERE { VALUES (?a) { (<http://ex/a>) }  ?a ?p ?o }"
    out = prepare("SELECT ?a WHERE { SELECT ?a WHERE { ?a ?p ?o } }", strip_dataset=True,
                  bindings={"a": ox.NamedNode("http://ex/a")})
    assert "{ VALUES (?a) { (<http://ex/a>) } {  SELECT ?a WHERE { ?a ?p ?o }  } }" in out.text
    with pytest.raises(QueryEvaluationError):
        prepare("SELECT ?a WHERE { ?a ?p ?o }", strip_dataset=True, bindings={"a": ox.BlankNode()})


def test_base_iri_goes_first_and_the_query_base_wins():
    out = prepare("BASE <http://q/> SELECT * WHERE { <a> ?p ?o }", strip_dataset=True,
                  base_iri="http://endpoint/sparql")
    assert out.text.startswith("BASE <http://endpoint/sparql>\nBASE <http://q/>")


def test_locations_and_flavours():
    settings = load_settings({"remote_user": "dba", "remote_password": "secret"})
    virtuoso = remote_config("sparql+http://127.0.0.1:8890/#virtuoso", settings)
    assert (virtuoso.query_url, virtuoso.update_url, virtuoso.store_url, virtuoso.auth) == (
        "http://127.0.0.1:8890/sparql", "http://127.0.0.1:8890/sparql-auth",
        "http://127.0.0.1:8890/sparql-graph-crud-auth", "digest")
    oxigraph = remote_config("sparql+http://127.0.0.1:7878#oxigraph", load_settings({}))
    assert (oxigraph.query_url, oxigraph.update_url, oxigraph.store_url, oxigraph.user) == (
        "http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update",
        "http://127.0.0.1:7878/store", None)
    generic = remote_config("sparql+https://example.org/ds/sparql", load_settings(
        {"remote_update_url": "https://example.org/ds/update"}))
    assert (generic.query_url, generic.update_url, generic.store_url) == (
        "https://example.org/ds/sparql", "https://example.org/ds/update", None)
    with pytest.raises(StoreUnavailable):
        remote_config("sparql+http://127.0.0.1:7878#nosuch", load_settings({}))


def test_retryable_store_errors_are_the_ones_redoing_clears():
    from app.errors import QueryEvaluationError
    from app.store.remote import _retryable

    deadlock = QueryEvaluationError("the SPARQL store failed the query (HTTP 500): Virtuoso 40001 "
                                    "Error SR172: Transaction deadlocked")
    first_use = QueryEvaluationError(
        "the SPARQL store failed the graph upload (HTTP 500): <h3>Error 23000</h3>\n"
        "<xmp>SR197: Non unique primary key on DB.DBA.RDF_LANGUAGE.</xmp>")
    other_key = QueryEvaluationError("SR197: Non unique primary key on DB.DBA.SYS_USERS.")
    syntax = QueryEvaluationError("the SPARQL store failed the query (HTTP 400): SP030 syntax error")
    assert _retryable(deadlock) and _retryable(first_use)
    assert not _retryable(other_key) and not _retryable(syntax)
