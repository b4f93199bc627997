"""The SPARQL lexer on hostile input: dataset clauses and operation kinds, compared with pyoxigraph."""

import pytest

from app.sparql_text import dataset_clauses, operation_kind, resolve

G1, G2, G3 = "http://example.org/g1", "http://example.org/g2", "http://example.org/g3"


def test_from_and_from_named():
    q = f"SELECT * FROM <{G1}> FROM NAMED <{G2}> from named <{G3}> WHERE {{ ?s ?p ?o }}"
    assert dataset_clauses(q) == ([G1], [G2, G3])


def test_no_dataset_clause():
    assert dataset_clauses("SELECT * WHERE { ?s ?p ?o }") == ([], [])
    assert dataset_clauses("") == ([], [])


def test_lowercase_and_mixed_case_keywords():
    assert dataset_clauses(f"select * from <{G1}> fRoM nAmEd <{G2}> {{}}") == ([G1], [G2])


def test_no_whitespace_between_tokens():
    assert dataset_clauses(f"SELECT*FROM<{G1}>FROM NAMED<{G2}>{{}}") == ([G1], [G2])


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s ?p "FROM <http://evil/>" }',
    "SELECT * WHERE { ?s ?p 'FROM <http://evil/>' }",
    'SELECT * WHERE { ?s ?p """FROM\n<http://evil/> "quoted" \'\' """ }',
    "SELECT * WHERE { ?s ?p '''FROM\n<http://evil/> 'x' '' ''' }",
    'SELECT * WHERE { ?s ?p "escaped \\" FROM <http://evil/>" }',
    "SELECT * # FROM <http://evil/>\nWHERE { ?s ?p ?o }",
    "# FROM <http://evil/>\nSELECT * { }",
    "SELECT * WHERE { ?s <http://example.org/FROM> <http://evil/> }",
    "SELECT * WHERE { <http://x/#FROM> ?p ?o }",
])
def test_from_inside_strings_comments_and_iris_is_ignored(query):
    assert dataset_clauses(query) == ([], [])


def test_hash_inside_iri_is_not_a_comment():
    q = f"SELECT * FROM <http://example.org/a#b> FROM <{G2}> {{}}"
    assert dataset_clauses(q) == (["http://example.org/a#b", G2], [])


def test_hash_inside_string_is_not_a_comment():
    q = f'SELECT * FROM <{G1}> {{ ?s ?p "# not a comment" }}'
    assert dataset_clauses(q) == ([G1], [])


def test_prefixed_names():
    q = ("PREFIX ex: <http://example.org/>\nPREFIX : <http://default.example/>\n"
         "SELECT * FROM ex:g1 FROM NAMED :g2 FROM NAMED ex:a\\~b {}")
    assert dataset_clauses(q) == ([G1], ["http://default.example/g2", "http://example.org/a~b"])


def test_unknown_prefix_is_skipped():
    assert dataset_clauses("SELECT * FROM nope:g {}") == ([], [])


def test_base_relative_iris():
    q = "BASE <http://example.org/data/> PREFIX r: <rel/> SELECT * FROM <g1> FROM NAMED r:x FROM <../up> {}"
    assert dataset_clauses(q) == (["http://example.org/data/g1", "http://example.org/up"],
                                  ["http://example.org/data/rel/x"])


def test_relative_iri_against_the_given_base():
    assert dataset_clauses("SELECT * FROM <g> {}", base_iri="http://h/sparql") == (["http://h/g"], [])


def test_unicode_escapes_in_iris():
    q = "SELECT * FROM <http://example.org/\\u0067\\U00000031> {}"
    assert dataset_clauses(q) == ([G1], [])


def test_unicode_escape_outside_an_iri_is_not_a_keyword():
    # pyoxigraph does not decode \u escapes outside IRIs and strings: this is no FROM.
    assert dataset_clauses(f"SELECT * \\u0046ROM <{G1}> {{}}") == ([], [])


def test_non_ascii_names_and_strings():
    q = f'PREFIX é: <http://example.org/> SELECT * FROM é:g1 {{ ?s ?p "FROM <x> ü" }}'
    assert dataset_clauses(q) == ([G1], [])


def test_sub_select_from_is_ignored():
    q = f"SELECT * FROM <{G1}> {{ {{ SELECT * FROM <{G2}> {{ ?s ?p ?o }} }} }}"
    assert dataset_clauses(q) == ([G1], [])


def test_variables_named_from():
    assert dataset_clauses("SELECT ?from $named WHERE { ?from ?p ?named }") == ([], [])


@pytest.mark.parametrize("garbage", [
    "FROM", "FROM NAMED", "SELECT * FROM", "<", ">", '"', "'''", '"""unterminated', "{{{{", "}}}}",
    "PREFIX", "PREFIX ex:", "BASE", "\\", "\x00", "a:b:c", "FROM <unterminated", "#",
])
def test_garbage_does_not_crash(garbage):
    dataset_clauses(garbage)
    operation_kind(garbage)


def test_long_input_is_fast():
    import time

    q = "PREFIX ex: <http://example.org/> SELECT * FROM ex:g1 WHERE { " + "?s ex:p 'x' . " * 2000 + "}"
    start = time.perf_counter()
    assert dataset_clauses(q) == ([G1], [])
    assert time.perf_counter() - start < 0.5


QUERIES = [
    f"SELECT * FROM <{G1}> FROM NAMED <{G2}> {{ }}",
    f"PREFIX ex: <http://example.org/> ASK FROM ex:g1 FROM NAMED ex:g2 {{ }}",
    "BASE <http://example.org/x/> CONSTRUCT { ?s ?p ?o } FROM <../g1> WHERE { ?s ?p ?o }",
    f"DESCRIBE <x> FROM <{G3}>",
]


@pytest.mark.parametrize("query", QUERIES)
def test_agrees_with_rdflib(query):
    """rdflib's full parser (off the hot path, fine in a test) is the oracle."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    clauses = translateQuery(parseQuery(query), base="http://base.example/").algebra.datasetClause
    expected_default = [str(c.default) for c in clauses if "default" in c]
    expected_named = [str(c.named) for c in clauses if "named" in c]
    assert dataset_clauses(query, base_iri="http://base.example/") == (expected_default, expected_named)


@pytest.mark.parametrize("text,kind", [
    ("SELECT * {}", "query"), ("ask {}", "query"), ("CONSTRUCT WHERE {}", "query"),
    ("DESCRIBE <x>", "query"),
    ("PREFIX ex: <http://e/> BASE <http://b/> select * {}", "query"),
    ("# comment\nINSERT DATA { <a> <b> <c> }", "update"), ("CLEAR ALL", "update"),
    ("PREFIX : <http://e/> WITH :g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "update"),
    ("drop silent graph <g>", "update"),
    ("", None), ("hello", None), ("PREFIX ex: <x>", None), ("{}", None),
])
def test_operation_kind(text, kind):
    assert operation_kind(text) == kind


@pytest.mark.parametrize("ref,expected", [
    # RFC 3986 section 5.4 examples
    ("g:h", "g:h"), ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"),
    ("/g", "http://a/g"), ("//g", "http://g"), ("?y", "http://a/b/c/d;p?y"),
    ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q#s"), ("", "http://a/b/c/d;p?q"),
    (".", "http://a/b/c/"), ("..", "http://a/b/"), ("../g", "http://a/b/g"),
    ("../..", "http://a/"), ("../../../g", "http://a/g"), ("/./g", "http://a/g"),
    ("g.", "http://a/b/c/g."), ("g/../h", "http://a/b/c/h"), ("g;x=1/../y", "http://a/b/c/y"),
])
def test_resolve_rfc3986(ref, expected):
    assert resolve(ref, "http://a/b/c/d;p?q") == expected
