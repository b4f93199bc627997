"""Versioned graph names: rewritten text on physical graphs answers like the original on public ones.

Both sides are evaluated by pyoxigraph: one store holds the graphs under their public names,
the other under versioned physical names (plus a stale old version that must stay unseen).
"""

import pyoxigraph as ox
import pytest

from app.store import versions

EX = "https://mutu.brussels/"
G1, G2, CAT = EX + "graph/one", EX + "graph/two", EX + "catalog"
DATA = f"""
<{EX}a> <https://schema.org/name> "A" <{G1}> .
<{EX}b> <https://schema.org/name> "B" <{G2}> .
<{EX}b> <https://schema.org/location> <{EX}p> <{G2}> .
<{EX}p> <https://schema.org/name> "P" <{G1}> .
<{G1}> <https://w3id.org/mutu/ns#visibility> <https://w3id.org/mutu/ns#public> <{CAT}> .
<{G2}> <https://w3id.org/mutu/ns#visibility> <https://w3id.org/mutu/ns#private> <{CAT}> .
<{G1}> <http://purl.org/dc/terms/title> "one" <{G1}> .
"""
STAMP = 1_700_000_000_000_000
STATE = versions.Commit(STAMP, {G1: versions.physical_name(G1, STAMP), CAT: versions.physical_name(CAT, STAMP)})
OLD = versions.physical_name(G1, STAMP - 5)  # a superseded version of G1, not yet dropped


def stores():
    public = ox.Store()
    public.load(DATA.encode(), format=ox.RdfFormat.N_QUADS)
    physical = ox.Store()
    for quad in public:
        graph = ox.NamedNode(STATE.physical(quad.graph_name.value))
        physical.add(ox.Quad(quad.subject, quad.predicate, quad.object, graph))
    physical.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode("https://schema.org/name"),
                         ox.Literal("stale"), ox.NamedNode(OLD)))
    return public, physical


def rows(results):
    return sorted(tuple(sorted((v.value, str(s[v])) for v in results.variables if s[v] is not None))
                  for s in results)


QUERIES = [
    f"SELECT ?s ?n WHERE {{ GRAPH <{G1}> {{ ?s <https://schema.org/name> ?n }} }}",
    f"PREFIX g: <{EX}graph/> SELECT ?s WHERE {{ GRAPH g:one {{ ?s ?p ?o }} }}",
    f"BASE <{EX}graph/> SELECT ?s WHERE {{ GRAPH <one> {{ ?s ?p ?o }} }}",
    "SELECT ?g ?s WHERE { GRAPH ?g { ?s <https://schema.org/name> ?n } }",
    # The catalog names graphs by their public names: a join with GRAPH ?g must still work.
    f"""SELECT ?g ?n WHERE {{ GRAPH <{CAT}> {{ ?g <https://w3id.org/mutu/ns#visibility>
         <https://w3id.org/mutu/ns#public> }} GRAPH ?g {{ ?s <https://schema.org/name> ?n }} }}""",
    # Nested GRAPH ?var, and a graph that mentions its own name.
    """SELECT ?g ?h ?n WHERE { GRAPH ?g { ?s <https://schema.org/location> ?l
         GRAPH ?h { ?l <https://schema.org/name> ?n } } }""",
    "SELECT ?g WHERE { GRAPH ?g { ?g <http://purl.org/dc/terms/title> ?t } }",
    "ASK { GRAPH ?g { ?s <https://schema.org/name> \"stale\" } }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    # Text that only looks like a graph clause is left alone.
    f'SELECT ?n WHERE {{ GRAPH <{G1}> {{ ?s ?p ?n }} FILTER(?n != "GRAPH ?x {{") }} # GRAPH ?y {{',
]


@pytest.mark.parametrize("query", QUERIES)
def test_rewritten_query_on_physical_graphs_answers_like_the_original(query):
    public, physical = stores()
    named = [G1, G2, CAT]
    table = [(STATE.physical(g), g) for g in named]
    rewritten = versions.rewrite(query, STATE.physical, table)
    expected = public.query(query, named_graphs=[ox.NamedNode(g) for g in named])
    got = physical.query(rewritten, named_graphs=[ox.NamedNode(p) for p, _ in table])
    if isinstance(expected, ox.QueryBoolean):
        assert bool(got) == bool(expected)
    else:
        assert rows(got) == rows(expected)
    assert "urn:x-mutu:v:" not in str(list(got) if not isinstance(got, ox.QueryBoolean) else got)


def test_update_slots_and_templates():
    text = (f"DROP SILENT GRAPH <{G1}> ; INSERT {{ GRAPH <{CAT}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ GRAPH <{G2}> {{ ?s ?p ?o }} }} ; DELETE WHERE {{ GRAPH <{G2}> {{ ?a ?b ?c }} }}")
    assert [iri for _, _, iri in versions.graph_slots(text)] == [G1, CAT, G2, G2]
    new = {G1: "urn:x-mutu:v:9:" + G1, CAT: "urn:x-mutu:v:9:" + CAT, G2: "urn:x-mutu:v:9:" + G2}
    out = versions.rewrite(text, new.get, [], updating=True)
    assert f"<{G1}>" not in out and f"<{G2}>" not in out and out.count("urn:x-mutu:v:9:") == 4
    with pytest.raises(ValueError):
        versions.rewrite("INSERT { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
                         new.get, [], updating=True)
    with pytest.raises(ValueError):
        versions.rewrite("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", new.get, [], updating=True)


def test_publishing_is_refused_when_another_commit_came_first():
    store = ox.Store()
    first = versions.Commit(10, {G1: versions.physical_name(G1, 10)})
    store.update(versions.publish_update(first, []))
    second = versions.Commit(20, {G1: versions.physical_name(G1, 20)})
    rival = versions.Commit(15, {G1: versions.physical_name(G1, 15)})
    store.update(versions.publish_update(rival, [first]))
    store.update(versions.publish_update(second, [first]))  # it did not know the rival
    commits = versions.commits_from_rows(
        [{"c": s["c"], "m": s["m"]} for s in store.query(versions.COMMITS_QUERY)])
    assert [c.stamp for c in commits] == [10, 15]
    assert commits[-1].physical(G1) == versions.physical_name(G1, 15)
    assert commits[-1].physical(G2) == G2  # never versioned: its own name


def test_old_versions_are_retired_after_the_grace_period_only():
    a = versions.Commit(100, {G1: "p1", G2: "q1"})
    b = versions.Commit(200, {G1: "p2", G2: "q1"})
    c = versions.Commit(300, {G1: "p2", G2: "q2"})
    assert versions.retired([a, b, c], now_stamp=250, grace_us=100) == ([], set())
    assert versions.retired([a, b, c], now_stamp=350, grace_us=100) == ([a], {"p1"})
    assert versions.retired([a, b, c], now_stamp=1000, grace_us=100) == ([a, b], {"p1", "q1"})
    assert versions.retired([c], now_stamp=10_000, grace_us=1) == ([], set())


def test_physical_names_round_trip():
    name = versions.physical_name(G1, 42)
    assert versions.parse_physical(name) == (42, G1)
    assert versions.parse_physical(G1) is None
    assert versions.new_stamp(after=10**20) == 10**20 + 1
