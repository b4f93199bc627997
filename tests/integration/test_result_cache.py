"""Query results are kept until the next write, per reader's dataset and format, never for
volatile queries, and never shared between readers who may see different graphs."""

from __future__ import annotations

import json

from app import result_cache
from app.state import get_store
from tests.conftest import FIXTURE_TTL, PRIVATE_GRAPH, PUBLIC_GRAPH, SECRET_NAME, load_fixture

NAMES = "SELECT ?n WHERE { ?s <https://schema.org/name> ?n } ORDER BY ?n"
JSON = {"Accept": "application/sparql-results+json"}
EXTRA = """@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
<https://mutu.brussels/alternative/nouvelle> a mutu:Alternative, schema:Organization, org:Organization ;
    schema:name "Nouvelle venue"@fr ; schema:description "Arrivée après la première requête."@fr .
"""


def _names(client, headers=JSON, query=NAMES):
    response = client.get("/sparql", query_string={"query": query}, headers=headers)
    assert response.status_code == 200, response.data
    return response


def _values(response) -> list[str]:
    return [b["n"]["value"] for b in json.loads(response.data)["results"]["bindings"]]


def test_a_repeated_query_is_answered_from_the_cache_until_a_write(app, client):
    cache = app.extensions[result_cache._KEY]
    first = _values(_names(client))
    hits = cache.hits
    assert _values(_names(client)) == first
    assert cache.hits == hits + 1
    with app.app_context():
        load_fixture(get_store(), FIXTURE_TTL + EXTRA, PUBLIC_GRAPH)
    after = _values(_names(client))
    assert "Nouvelle venue" in after and "Nouvelle venue" not in first


def test_each_format_is_its_own_entry(client):
    as_json = _names(client)
    as_csv = _names(client, headers={"Accept": "text/csv"})
    assert as_json.content_type.startswith("application/sparql-results+json")
    assert as_csv.content_type.startswith("text/csv")
    assert _names(client, headers={"Accept": "text/csv"}).data == as_csv.data


def test_a_private_answer_is_never_served_to_another_reader(app, client):
    token = app.extensions["mutu.tokens"].create("jardin", "editor", [PRIVATE_GRAPH])
    owner = _values(_names(client, headers={**JSON, "Authorization": f"Bearer {token}"}))
    assert SECRET_NAME in owner
    anonymous = _values(_names(client))
    assert SECRET_NAME not in anonymous
    owner_again = _values(_names(client, headers={**JSON, "Authorization": f"Bearer {token}"}))
    assert owner_again == owner


def test_volatile_queries_are_never_kept(app, client):
    cache = app.extensions[result_cache._KEY]
    for query in ("SELECT (NOW() AS ?n) {}", "SELECT (RAND() AS ?n) {}", "SELECT (STRUUID() AS ?n) {}",
                  "SELECT (BNODE() AS ?n) {}", "select (uuid() as ?n) {}"):
        before = (cache.hits, cache.misses, cache.used)
        _names(client, query=query)
        _names(client, query=query)
        assert (cache.hits, cache.used) == (before[0], before[2]), query


def test_the_cache_is_bounded_and_can_be_turned_off(tmp_path):
    cache = result_cache.ResultCache(1000)
    for i in range(50):
        cache.put(("k", i), b"x", 100)
    assert cache.used <= 1000
    assert cache.get(("k", 49)) == b"x" and cache.get(("k", 0)) is None
    cache.put(("big",), b"y", 200)  # more than an eighth of the cache: not kept
    assert cache.get(("big",)) is None

    from app import create_app

    app = create_app({"store": str(tmp_path / "store"), "result_cache_mb": 0})
    assert result_cache._KEY in app.extensions and app.extensions[result_cache._KEY] is None
    response = app.test_client().get("/sparql", query_string={"query": "ASK {}"}, headers=JSON)
    assert response.status_code == 200


def test_a_burst_of_identical_queries_is_evaluated_once(app):
    import threading
    import time

    evaluations, answers = [], []

    def slow():
        evaluations.append(1)
        time.sleep(0.3)
        return ["answer"]

    def reader():
        with app.app_context():
            answers.append(result_cache.cached(("burst",), "SELECT * {}", slow, lambda v: 10))

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [["answer"]] * 6
    assert len(evaluations) == 1


def test_a_failed_evaluation_lets_the_others_try(app):
    import threading
    import time

    calls = []

    def flaky():
        calls.append(1)
        time.sleep(0.2)
        if len(calls) == 1:
            raise RuntimeError("first evaluation fails")
        return ["second"]

    outcomes = []

    def reader():
        with app.app_context():
            try:
                outcomes.append(result_cache.cached(("flaky",), "SELECT * {}", flaky, lambda v: 10))
            except RuntimeError as error:
                outcomes.append(str(error))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    assert outcomes.count("first evaluation fails") == 1
    assert outcomes.count(["second"]) == 2
    assert len(calls) <= 3


def test_named_query_api_answers_are_kept_per_format(app, client):
    cache = app.extensions[result_cache._KEY]
    first = client.get("/api/queries/alternatives", headers={"Accept": "text/csv"})
    assert first.status_code == 200, first.data
    hits = cache.hits
    again = client.get("/api/queries/alternatives", headers={"Accept": "text/csv"})
    assert again.data == first.data and cache.hits == hits + 1
    as_json = client.get("/api/queries/alternatives", headers={"Accept": "application/sparql-results+json"})
    assert as_json.status_code == 200 and as_json.data != first.data


def test_the_indexes_of_the_lists_are_not_kept_twice(tmp_path):
    """Lists and the agenda keep their indexes per state themselves (app.lists, app.agenda):
    the rows those are built from stay out of the result cache, where at 10M triples they
    pushed out results that cost seconds. The pages' own queries are still kept."""
    from app import agenda, lists
    from app.demo_load import load_demo
    from tests.conftest import BASE, make_app

    app = make_app(tmp_path)
    try:
        with app.app_context():
            load_demo(get_store(), BASE)
        client = app.test_client()
        for path in ("/events", "/alternatives?category=food-agriculture", "/places?category=food-agriculture",
                     "/events?category=food-agriculture", "/alternatives?q=repair", "/places"):
            assert client.get(path).status_code == 200, path
        cache = app.extensions[result_cache._KEY]
        kept = [key[2] for key in cache._items if key[1] == "select"]
        index_queries = (agenda.STARTS, lists._IN_CATEGORY.split("%s")[0], lists._TYPED.split("%s")[0],
                         lists._TEXTS.split("%s")[0])
        assert kept, "the pages' own queries are kept"
        assert not [text for text in kept if any(text.startswith(q) for q in index_queries)], kept
    finally:
        app.extensions["mutu.store"].close()
