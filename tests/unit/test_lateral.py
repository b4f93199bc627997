"""LATERAL written out for SPARQL 1.1 stores: valid SPARQL 1.1, same answers (pyoxigraph both sides)."""

import pyoxigraph as ox
import pytest

from app.store.lateral import decorrelate, has_lateral

DATA = """
<http://ex/e1> <http://ex/name> "un"@fr . <http://ex/e1> <http://ex/place> <http://ex/p1> .
<http://ex/e2> <http://ex/name> "deux"@fr . <http://ex/e2> <http://ex/name> "twee"@nl .
<http://ex/p1> <http://ex/code> "1050" . <http://ex/e1> <http://ex/cat> <http://ex/c1> .
<http://ex/c1> <http://ex/broader> <http://ex/c0> . <http://ex/c0> <http://ex/notation> "food" .
"""

QUERIES = [
    # Several OPTIONALs in one LATERAL: an event without the first must keep its row.
    """SELECT ?e ?fr ?nl WHERE { ?e <http://ex/name> ?any LATERAL {
         OPTIONAL { ?e <http://ex/place> ?p } OPTIONAL { ?e <http://ex/name> ?fr FILTER (LANG(?fr) = "fr") }
         OPTIONAL { ?e <http://ex/name> ?nl FILTER (LANG(?nl) = "nl") } } }""",
    # A FILTER inside the LATERAL uses a variable bound outside it.
    """SELECT ?e WHERE { VALUES ?code { "1050" } ?e <http://ex/place> ?p
         LATERAL { ?p <http://ex/code> ?c FILTER (?c = ?code) } }""",
    # Nested LATERALs in EXISTS, with an OPTIONAL and a FILTER on an outer value.
    """SELECT ?e WHERE { VALUES ?want { "food" } ?e <http://ex/name> ?n FILTER (EXISTS {
         ?e <http://ex/cat> ?c1 . LATERAL { ?c1 <http://ex/broader>* ?c0 .
           LATERAL { OPTIONAL { ?c0 <http://ex/notation> ?t } FILTER (STR(?t) = ?want) } } }) }""",
    # A sub-select, and LATERAL first in its group and right after another.
    """SELECT ?e ?n WHERE { { LATERAL { ?e <http://ex/place> ?p } } LATERAL { ?e <http://ex/name> ?n }
         LATERAL { SELECT ?e (COUNT(*) AS ?k) WHERE { ?e ?pr ?o } GROUP BY ?e } }""",
    # Text that only looks like LATERAL is not touched.
    """SELECT ?e WHERE { ?e <http://ex/name> ?n FILTER (?n != "LATERAL { }") } # LATERAL {""",
]


def rows(store, text):
    result = store.query(text)
    return sorted(tuple(sorted((v.value, str(s[v])) for v in result.variables if s[v] is not None))
                  for s in result)


@pytest.mark.parametrize("query", QUERIES)
def test_decorrelated_query_is_sparql_11_with_the_same_answers(query):
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    out = decorrelate(query)
    assert not has_lateral(out)
    assert rows(store, out) == rows(store, query)


def test_a_query_without_lateral_is_returned_unchanged():
    text = 'SELECT * WHERE { ?s ?p "LATERAL" }'
    assert decorrelate(text) is text
