"""The catalog records are read once per store state: every write through the store renews them."""

from __future__ import annotations

from app import catalog
from app.store import open_store
from app.store.worker import WorkerStore
from tests.conftest import BASE, FIXTURE_TTL, load_fixture

GRAPH = BASE + "graph/cached"
VISIBILITY = f"<{catalog.MUTU}visibility>"


def _set_private(store) -> None:
    # A direct SPARQL update, as a maintainer's token would send it: not through the pipeline.
    store.update(f"""
        DELETE {{ GRAPH ?c {{ <{GRAPH}> {VISIBILITY} ?v }} }}
        INSERT {{ GRAPH ?c {{ <{GRAPH}> {VISIBILITY} <{catalog.MUTU}private> }} }}
        WHERE {{ GRAPH ?c {{ <{GRAPH}> {VISIBILITY} ?v }} }}""")


def _visibility(store) -> str:
    return catalog.find(store, BASE, GRAPH).visibility


def test_a_write_renews_the_cached_records(tmp_path):
    store = open_store(str(tmp_path / "store"))
    try:
        assert catalog.datasets(store, BASE) == []
        load_fixture(store, FIXTURE_TTL, GRAPH)
        assert _visibility(store) == "public"
        before = store.generation
        assert store.generation == before  # reads do not move it
        _set_private(store)
        assert store.generation != before
        assert _visibility(store) == "private"
    finally:
        store.close()


def test_two_stores_never_share_a_state_number(tmp_path):
    first = open_store(str(tmp_path / "one"))
    second = open_store(str(tmp_path / "two"))
    try:
        load_fixture(first, FIXTURE_TTL, GRAPH)
        assert first.generation != second.generation
        assert catalog.datasets(second, BASE) == []
        assert [d.graph for d in catalog.datasets(first, BASE)] == [GRAPH]
    finally:
        first.close()
        second.close()


def test_worker_store_writes_renew_the_records(tmp_path):
    store = WorkerStore(str(tmp_path / "store"), query_timeout=30)
    try:
        load_fixture(store, FIXTURE_TTL, GRAPH)
        assert _visibility(store) == "public"
        _set_private(store)
        assert _visibility(store) == "private"
    finally:
        store.close()

