"""Result media type negotiation: Accept with q-values, aliases, the format= override, 406."""

import pytest

from app import negotiation as n
from app.errors import BadRequest, NotAcceptable


@pytest.mark.parametrize("accept", [None, "", "*/*", "*/*;q=0.1"])
@pytest.mark.parametrize("kind,default", [("solutions", n.JSON), ("boolean", n.JSON), ("graph", n.TURTLE)])
def test_defaults(accept, kind, default):
    assert n.choose(kind, accept) == default


@pytest.mark.parametrize("kind,accept,expected", [
    ("solutions", "application/sparql-results+xml", n.XML),
    ("solutions", "application/json", n.JSON),
    ("solutions", "application/xml", n.XML),
    ("solutions", "text/xml", n.XML),
    ("solutions", "text/csv", n.CSV),
    ("solutions", "text/tab-separated-values", n.TSV),
    ("solutions", "text/*", n.CSV),
    ("solutions", "text/csv;q=0.5, application/sparql-results+xml", n.XML),
    ("solutions", "text/csv, application/sparql-results+xml;q=0.9", n.CSV),
    ("solutions", "TEXT/CSV ; Q=1", n.CSV),
    ("solutions", "application/sparql-results+json;q=0, */*", n.XML),
    ("solutions", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", n.XML),
    ("boolean", "application/sparql-results+xml", n.XML),
    ("boolean", "text/csv", n.CSV),
    ("graph", "application/rdf+xml", n.RDFXML),
    ("graph", "application/n-triples", n.NTRIPLES),
    ("graph", "application/ld+json", n.JSONLD),
    ("graph", "application/json", n.JSONLD),
    ("graph", "application/n-quads", n.NQUADS),
    ("graph", "application/trig", n.TRIG),
    ("graph", "application/turtle,text/turtle", n.TURTLE),
    ("graph", "application/sparql-results+xml, application/rdf+xml", n.RDFXML),
    ("graph", "application/x-json+ld", n.JSONLD),
    ("graph", "text/plain", n.NTRIPLES),
])
def test_accept(kind, accept, expected):
    assert n.choose(kind, accept) == expected


@pytest.mark.parametrize("kind,accept", [
    ("solutions", "text/turtle"), ("solutions", "image/png"), ("graph", "text/csv"),
    ("graph", "application/sparql-results+json"), ("boolean", "application/rdf+xml"),
    ("solutions", "application/sparql-results+json;q=0"),
])
def test_not_acceptable_lists_what_is_available(kind, accept):
    with pytest.raises(NotAcceptable) as error:
        n.choose(kind, accept)
    for media in n.OFFERS[kind]:
        assert media in error.value.message
    assert error.value.status == 406


@pytest.mark.parametrize("kind,values,expected", [
    ("solutions", ["json"], n.JSON), ("solutions", ["xml"], n.XML), ("solutions", ["csv"], n.CSV),
    ("solutions", ["tsv"], n.TSV), ("solutions", ["TSV"], n.TSV),
    ("solutions", ["tsv", "text/tab-separated-values"], n.TSV),
    ("solutions", ["text/csv"], n.CSV), ("solutions", ["application/json"], n.JSON),
    ("graph", ["turtle"], n.TURTLE), ("graph", ["ntriples"], n.NTRIPLES),
    ("graph", ["nquads"], n.NQUADS), ("graph", ["trig"], n.TRIG), ("graph", ["jsonld"], n.JSONLD),
    ("graph", ["rdfxml"], n.RDFXML), ("graph", ["json-ld", "application/ld+json"], n.JSONLD),
    ("graph", ["rdf+xml", "application/rdf+xml"], n.RDFXML), ("graph", ["n3"], n.TURTLE),
    ("graph", ["json"], n.JSONLD), ("graph", ["xml"], n.RDFXML),
    ("boolean", ["xml"], n.XML),
])
def test_format_override_beats_accept(kind, values, expected):
    assert n.choose(kind, "image/png", values) == expected


def test_empty_format_is_ignored():
    assert n.choose("solutions", None, [""]) == n.JSON


def test_format_not_available_for_the_kind():
    with pytest.raises(NotAcceptable):
        n.choose("solutions", None, ["turtle"])
    with pytest.raises(NotAcceptable):
        n.choose("graph", None, ["csv"])


def test_unknown_format_is_a_bad_request():
    with pytest.raises(BadRequest) as error:
        n.choose("solutions", None, ["<script>"])
    assert "json" in error.value.message


@pytest.mark.parametrize("header", ["garbage", ";;;", "text", "*/csv", "text/csv;q=abc", ",,,"])
def test_malformed_accept_does_not_crash(header):
    try:
        n.choose("solutions", header)
    except NotAcceptable:
        pass


def test_parse_accept_q_values():
    ranges = n.parse_accept("text/csv;q=0.5, application/json;charset=utf-8, */*;q=2")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "csv", 0.5), ("application", "json", 1.0), ("*", "*", 1.0)]


def test_most_specific_range_sets_the_quality():
    # text/csv is explicitly refused even though text/* is welcome.
    assert n.choose("solutions", "text/*, text/csv;q=0") == n.TSV
