"""Warm the busiest pages and category filters after the server starts and after each write.

Pages and feeds answer from indexes built once per store state (app.agenda.per_state) and
from the result cache. Building them is the first visitor's cost otherwise: at 10M triples
the home page took 8.5 s, the first text search 12 s and the digest 17 s. `mutu serve`
requests these paths itself, as an anonymous visitor, through the whole app, as soon as it
starts and whenever the data changed; a visitor arriving meanwhile waits for the same build
instead of starting a second one.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from urllib.parse import urlencode

from flask import Flask

log = logging.getLogger("mutu.warmup")

PATHS = ("/", "/alternatives", "/alternatives?q=a", "/places", "/events", "/categories",
         "/digest", "/resources", "/offers", "/places.geojson", "/events.ics")
# Lists whose filter by a top category of the scheme is warmed after PATHS: a filter value's
# index is built by its first request (0.8-1.5 s each at 10M triples, 0.1-0.2 s at 1M).
FILTERED_LISTS = ("/alternatives", "/places", "/events")


class Warmup(threading.Thread):
    """Requests `paths` and the category filters once per state of the app's store
    (`Store.generation`).

    A store others write to (remote) has no per-state indexes: nothing to warm, the thread
    ends. A round starts once the state has stayed the same for `settle` seconds, so a burst
    of writes (a collective editing its record) costs one round, not one per write; a write
    during a round ends it, and the next round warms the new state.
    """

    def __init__(self, app: Flask, paths=PATHS, poll: float = 1.0, settle: float = 3.0):
        super().__init__(name="mutu-warmup", daemon=True)
        self.app, self.paths, self.poll, self.settle = app, tuple(paths), poll, settle
        self.rounds = 0
        self.last: dict[str, tuple[int, float]] = {}  # path -> (status, ms) of the last round
        self._halt = threading.Event()

    def stop(self) -> None:
        """End the thread after the request in progress."""
        self._halt.set()

    def run(self) -> None:
        store = self.app.extensions["mutu.store"]
        client = self.app.test_client()
        warmed = seen = None
        since = 0.0
        while not self._halt.is_set():
            generation = store.generation
            if generation is None:
                return
            if generation != seen:
                # The first state is warmed at once; a later one once it has settled.
                seen, since = generation, (0.0 if seen is None else time.monotonic())
            if (generation != warmed and time.monotonic() - since >= self.settle
                    and self._round(client, store, generation)):
                warmed = generation
            self._halt.wait(self.poll)

    def _round(self, client, store, generation) -> bool:
        started = time.perf_counter()
        timings = warm(self.app, round_paths(self.app, self.paths), client=client,
                       cancel=lambda: self._halt.is_set() or store.generation != generation)
        if timings is None:
            return False
        self.last = timings
        self.rounds += 1
        filters = len(timings) - len(self.paths)
        print(f"mutu: warmed {len(self.paths)} pages and feeds and {filters} category filters in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        return True


def category_paths(app: Flask) -> tuple[str, ...]:
    """FILTERED_LISTS filtered by each top category of the scheme (its narrower ones match
    too), as an anonymous visitor asks for them; none when the categories cannot be read."""
    from .views import category_tree

    try:
        with app.test_request_context("/"):
            tops = sorted(c["iri"] for c in category_tree().values() if not c["broader"])
    except Exception:  # noqa: BLE001 - the pages themselves still get warmed
        log.exception("warm-up: cannot read the categories")
        return ()
    return tuple(f"{path}?{urlencode({'category': iri})}" for iri in tops for path in FILTERED_LISTS)


def round_paths(app: Flask, paths=PATHS) -> tuple[str, ...]:
    """What a warm-up round of `mutu serve` requests: `paths`, then the category filters."""
    return tuple(paths) + category_paths(app)


def warm(app: Flask, paths=PATHS, *, client=None, cancel=lambda: False) -> dict | None:
    """Request each path once as an anonymous visitor: {path: (status, ms)}, or None if
    `cancel()` turned true before the last one."""
    client = client or app.test_client()
    timings = {}
    for path in paths:
        if cancel():
            return None
        t0 = time.perf_counter()
        try:
            response = client.get(path)
            response.get_data()  # a streamed body builds what it reads as it is consumed
            response.close()
            status = response.status_code
        except Exception:  # noqa: BLE001 - a page bug must not stop the server
            log.exception("warm-up of %s failed", path)
            status = 500
        timings[path] = (status, (time.perf_counter() - t0) * 1000)
    return timings


def start(app: Flask, **options) -> Warmup:
    """Start warming `app`'s pages in a daemon thread; returns the thread."""
    thread = Warmup(app, **options)
    thread.start()
    return thread
