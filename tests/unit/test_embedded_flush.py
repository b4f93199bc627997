"""After writes pause, the embedded store flushes its write buffer to disk (app/store/embedded.py)."""

import time
from pathlib import Path

from app.store.embedded import EmbeddedStore
from tests.conftest import wait_for

G = "http://example.org/g"


def sst_files(location) -> int:
    return len(list(Path(location).glob("*.sst")))


def insert(store, n):
    store.update(f"INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/s> <http://example.org/p> {n} }} }}")


def test_a_pause_after_writes_flushes_them_once_to_a_file(tmp_path):
    location = str(tmp_path / "store")
    store = EmbeddedStore(location)
    store._flusher.delay = 0.3
    try:
        before = sst_files(location)
        for n in range(5):  # a burst: each write pushes the flush back
            insert(store, n)
        assert store._flusher.flushes == 0
        assert sst_files(location) == before  # still in the write buffer (and its log)
        assert wait_for(lambda: store._flusher.flushes == 1, seconds=10)
        assert sst_files(location) > before
        time.sleep(0.5)
        assert store._flusher.flushes == 1
        store.drop_graph(G)
        assert wait_for(lambda: store._flusher.flushes == 2, seconds=10)
        assert store.graph_size(G) == 0
    finally:
        store.close()


def test_closing_before_the_pause_ends_flushes_without_the_timer(tmp_path):
    location = str(tmp_path / "store")
    store = EmbeddedStore(location)
    store._flusher.delay = 0.2
    flusher = store._flusher
    insert(store, 1)
    store.close()
    time.sleep(0.4)
    assert flusher.flushes == 0  # cancelled: close() flushed
    reopened = EmbeddedStore(location)
    assert reopened.graph_size(G) == 1
    reopened.close()


def test_memory_and_read_only_stores_have_nothing_to_flush(tmp_path):
    memory = EmbeddedStore(":memory:")
    insert(memory, 1)
    assert memory._flusher is None
    memory.close()
    EmbeddedStore(str(tmp_path / "store")).close()
    reader = EmbeddedStore(str(tmp_path / "store"), read_only=True)
    assert reader._flusher is None
    reader.close()
