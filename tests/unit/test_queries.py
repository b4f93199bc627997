"""app.queries: #+ headers, errors naming the file, VALUES binding, UNDEF, integer placeholders."""

import pyoxigraph as ox
import pytest

import app.resources
from app import create_app, queries
from app.params import ParameterError
from app.queries import QueryFileError, parse_file

GOOD = '''#+ title = "Events of a place"
#+ description = "Test query"
#+ [params]
#+ place = { type = "iri", required = true }
#+ from = { type = "date", default = "2030-01-01" }
#+ q = "string"
#+ limit = { type = "integer", default = 10, min = 1, max = 100 }
PREFIX schema: <https://schema.org/>
SELECT ?e WHERE {
  #@bind
  ?e schema:location ?place ; schema:startDate ?start .
  FILTER (?start >= ?from && (!BOUND(?q) || CONTAINS(STR(?e), ?q)))
} LIMIT {{limit}}
'''


def write(tmp_path, text, name="q.rq"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_is_parsed(tmp_path):
    query = parse_file(write(tmp_path, GOOD, "events-of-place.rq"))
    assert query.name == "events-of-place" and query.title == "Events of a place"
    assert query.description == "Test query"
    assert list(query.params) == ["place", "from", "q", "limit"]
    assert query.params["place"].required and query.params["q"].type == "string"
    assert (query.params["limit"].minimum, query.params["limit"].maximum) == (1, 100)
    assert "#+" not in query.text


def test_values_binding_and_undef_for_absent_optionals(tmp_path):
    query = parse_file(write(tmp_path, GOOD))
    values = query.parse_params({"place": "https://mutu.brussels/place/x"})
    text = query.sparql(values)
    assert ('VALUES (?place ?from ?q) { (<https://mutu.brussels/place/x> '
            '"2030-01-01"^^<http://www.w3.org/2001/XMLSchema#date> UNDEF) }') in text
    assert "LIMIT 10" in text and "{{" not in text and "#@bind" not in text
    ox.Store().query(text)  # still valid SPARQL


def test_hostile_value_is_bound_not_pasted(tmp_path):
    query = parse_file(write(tmp_path, GOOD))
    hostile = '" ) } ; DROP ALL ; SELECT * { ?s ?p ?o } #\n'
    values = query.parse_params({"place": "https://x.org/p", "q": hostile})
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("https://x.org/e"), ox.NamedNode("https://schema.org/location"),
                      ox.NamedNode("https://x.org/p")))
    results = store.query(query.sparql(values))
    assert list(results) == []  # the query ran as written; the text was only a value
    assert len(store) == 1


def test_parameter_errors(tmp_path):
    query = parse_file(write(tmp_path, GOOD))
    with pytest.raises(ParameterError, match="'place': is required"):
        query.parse_params({})
    with pytest.raises(ParameterError, match="'nope'"):
        query.parse_params({"place": "https://x.org/p", "nope": "1"})
    with pytest.raises(ParameterError, match="'limit'"):
        query.parse_params({"place": "https://x.org/p", "limit": "1000"})


def test_integer_placeholders_take_integers_only(tmp_path):
    query = parse_file(write(tmp_path, GOOD))
    values = query.parse_params({"place": "https://x.org/p"})
    for bad in ("10; DROP ALL", 10.5, True, ox.Literal("10")):
        with pytest.raises(ParameterError, match="'limit': needs an integer"):
            query.sparql({**values, "limit": bad})
    assert "LIMIT 7" in query.sparql({**values, "limit": 7})


@pytest.mark.parametrize("text, message", [
    ("#+ title = \nSELECT * {}", "bad #+ header"),
    ("#+ description = \"x\"\nSELECT * {}", "needs a title"),
    ("#+ title = \"t\"\n#+ [params]\n#+ x = \"colour\"\nSELECT * { #@bind\n ?x ?p ?o }", "unknown type 'colour'"),
    ("#+ title = \"t\"\nSELECT * { ?s ?p ?o } LIMIT {{n}}", "placeholder {{n}} needs an integer parameter"),
    ("#+ title = \"t\"\n#+ [params]\n#+ x = \"iri\"\nSELECT * { ?x ?p ?o }", "need a `#@bind` line"),
    ("#+ title = \"t\"\n#+ [params]\n#+ x = \"iri\"\nSELECT * {\n#@bind\n ?s ?p ?o }", "'x' is not used"),
    ("#+ title = \"t\"\n#+ [params]\n#+ n = \"integer\"\nSELECT * { ?s ?p ?o }", "has no {{n}} placeholder"),
    ("#+ title = \"t\"\n#+ [params]\n#+ d = { type = \"date\", default = \"soon\" }\nSELECT * {\n#@bind\n ?s ?p ?d }", "bad default"),
    ("#+ title = \"t\"\nSELEKT * { ?s ?p ?o }", "SPARQL syntax error"),
])
def test_broken_files_are_refused_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, text, "broken.rq")
    with pytest.raises(QueryFileError) as error:
        parse_file(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_create_app_fails_fast_on_a_broken_query_file(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "queries").mkdir(parents=True)
    (root / "queries" / "fine.rq").write_text(GOOD, encoding="utf-8")
    (root / "queries" / "oops.rq").write_text('#+ title = "t"\nSELECT * WHERE { ?s ?p }', encoding="utf-8")
    monkeypatch.setattr(app.resources, "ROOT", root)
    try:
        with pytest.raises(QueryFileError, match="oops.rq: SPARQL syntax error"):
            create_app({"store": ":memory:"})
    finally:
        monkeypatch.undo()
        queries.registry(reload=True)


def test_the_shipped_queries_all_parse():
    found = queries.registry(reload=True)
    assert "upcoming-events" in found and "feed-events" in found
    for query in found.values():
        assert query.title
