"""Query results kept until the next write, so a popular query is evaluated once per store state.

Partner sites embed the same agenda, map and feeds on many pages: the same few queries arrive
again and again between two loads. When the store says which state it is in
(`Store.generation`: every write goes through this process), a result is a function of the
query text, its dataset (the reader's visible graphs), its bindings and the negotiated format,
and it can be kept. Remote stores (written by other workers too) are never cached.

Results of queries that are not functions of the data are never kept: NOW(), RAND(), UUID(),
STRUUID(), BNODE() and SERVICE (another server's data). The test is a word match on the text,
so a literal that happens to contain one of these words only costs a cache miss.

Identical queries arriving while one of them is being evaluated wait for that evaluation
instead of running again (at most the query deadline), so a burst costs one evaluation.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from flask import current_app

from .state import get_store

VOLATILE = re.compile(r"\b(?:NOW|RAND|UUID|STRUUID|BNODE|SERVICE)\b", re.IGNORECASE)
_KEY = "mutu.result_cache"
_BIGGEST_SHARE = 8  # one result may take at most 1/8 of the cache


class ResultCache:
    """A byte-bounded least-recently-used map from (state, query, ...) to a result."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.used = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._running: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def lead(self, key: Hashable) -> tuple[bool, threading.Event]:
        """(True, event) for the first caller evaluating `key`; (False, its event) for others."""
        with self._lock:
            running = self._running.get(key)
            if running is not None:
                return False, running
            running = self._running[key] = threading.Event()
            return True, running

    def finish(self, key: Hashable, done: threading.Event) -> None:
        """The leader's evaluation of `key` ended (kept or not): wake the callers waiting for it."""
        with self._lock:
            self._running.pop(key, None)
        done.set()

    def put(self, key: Hashable, value, size: int) -> None:
        if size > self.max_bytes // _BIGGEST_SHARE:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= old[1]
            self._items[key] = (value, size)
            self.used += size
            while self.used > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self.used -= dropped


def init_app(app) -> None:
    """Create the app's cache (MUTU_RESULT_CACHE_MB; 0 turns it off)."""
    megabytes = app.config["MUTU"].result_cache_mb
    app.extensions[_KEY] = ResultCache(int(megabytes * 1024 * 1024)) if megabytes > 0 else None


def cache() -> ResultCache | None:
    """The current app's cache, or None when caching is off."""
    return current_app.extensions.get(_KEY)


def cached(parts: tuple, sparql: str, compute: Callable[[], object], size: Callable[[object], int]):
    """`compute()`'s value, kept under the store's state and `parts` (which must name everything
    the value depends on besides the data: query text, dataset, bindings, format)."""
    store_cache = cache()
    generation = get_store().generation
    if store_cache is None or generation is None or VOLATILE.search(sparql):
        return compute()
    key = (generation,) + parts
    found = store_cache.get(key)
    if found is not None:
        return found
    leader, done = store_cache.lead(key)
    if not leader:
        # The same query is being evaluated for another reader: wait for its answer rather
        # than evaluate it again (a burst of identical requests costs one evaluation).
        settings = current_app.config["MUTU"]
        done.wait((settings.query_timeout + settings.query_queue_seconds) or None)
        found = store_cache.get(key)
        if found is not None:
            return found
        return compute()  # the first evaluation failed or was too big to keep: ours decides
    try:
        value = compute()
        store_cache.put(key, value, size(value))
        return value
    finally:
        store_cache.finish(key, done)


def rows_size(rows: list[dict]) -> int:
    """A cheap estimate of the memory held by result rows (about 120 bytes a value)."""
    return 64 + sum(120 * len(row) for row in rows)
