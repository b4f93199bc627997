"""Warming the busiest pages in the background (app/warmup.py) and one build per state."""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from app import agenda, warmup
from app.demo_load import load_demo
from app.state import get_store
from tests.conftest import BASE, FIXTURE_TTL, load_fixture, make_app, wait_for

ROOT = Path(__file__).resolve().parents[2]


def demo_app(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        load_demo(get_store(), BASE)
    return app


def postings(app) -> set:
    """Keys of the filter postings the lists keep (app.lists), for every state cached."""
    cache = app.extensions.get(agenda._KEY)
    found = set()
    for key, value in ({} if cache is None else cache[0]).items():
        if key[0] == "lists.postings":
            found |= set(value)
    return found


def cached_values(app):
    cache = app.extensions.get(agenda._KEY)
    return set() if cache is None else {key[0] for key in cache[0]}


def test_a_round_builds_the_pages_indexes_then_waits_for_a_write(tmp_path):
    app = demo_app(tmp_path)
    try:
        assert cached_values(app) == set()
        thread = warmup.start(app, poll=0.05, settle=0.5)
        assert wait_for(lambda: thread.rounds == 1)
        filtered = [path for path in thread.last if path not in warmup.PATHS]
        assert set(warmup.PATHS) <= set(thread.last)
        # Each list filtered by each of the demo scheme's 12 top categories.
        assert len(filtered) == 12 * len(warmup.FILTERED_LISTS), filtered
        assert {status for status, _ in thread.last.values()} == {200}, thread.last
        # The indexes a visitor's first request would otherwise build are there, the filter
        # of each top category on each list included.
        assert {"agenda", "lists.alternatives", "lists.places"} <= cached_values(app)
        tops = {iri for path in filtered for iri in parse_qs(urlsplit(path).query)["category"]}
        assert len(tops) == 12
        kept = {key[:3] for key in postings(app)}
        assert {(name, "category", iri) for name in ("alternatives", "places", "events")
                for iri in tops} <= kept, kept
        time.sleep(0.3)
        assert thread.rounds == 1  # no write: nothing new to warm
        with app.app_context():
            load_fixture(get_store(), FIXTURE_TTL, BASE + "graph/second")  # a write: a new state
            written = time.monotonic()
            load_fixture(get_store(), FIXTURE_TTL, BASE + "graph/third")  # and another at once
        assert wait_for(lambda: thread.rounds == 2)
        assert time.monotonic() - written >= 0.5  # after the state settled
        time.sleep(0.8)
        assert thread.rounds == 2  # one round for the burst of two writes
        thread.stop()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        app.extensions["mutu.store"].close()


def test_a_store_others_write_to_has_nothing_to_warm(tmp_path):
    app = make_app(tmp_path)
    try:
        app.extensions["mutu.store"].exclusive = False  # as a remote store: no generation
        thread = warmup.start(app, poll=0.05)
        thread.join(10)
        assert not thread.is_alive()
        assert thread.rounds == 0
    finally:
        app.extensions["mutu.store"].close()


def test_concurrent_first_requests_wait_for_one_build(tmp_path):
    app = demo_app(tmp_path)
    builds, results = [], []
    gate = threading.Event()

    def build():
        builds.append(threading.get_ident())
        gate.wait(5)
        return object()

    def visitor():
        with app.test_request_context("/"):
            results.append(agenda.per_state("test.slow", build))

    try:
        visitors = [threading.Thread(target=visitor) for _ in range(4)]
        for v in visitors:
            v.start()
        assert wait_for(lambda: len(builds) == 1, 5)
        time.sleep(0.2)  # the others are waiting, not building
        gate.set()
        for v in visitors:
            v.join(10)
        assert len(builds) == 1
        assert len(results) == 4 and len({id(r) for r in results}) == 1
    finally:
        app.extensions["mutu.store"].close()


def test_a_failed_build_fails_its_waiters_and_the_next_request_builds_again(tmp_path):
    app = demo_app(tmp_path)
    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("index build failed")

    try:
        with app.test_request_context("/"):
            for _ in range(2):
                try:
                    agenda.per_state("test.broken", broken)
                except RuntimeError as error:
                    assert str(error) == "index build failed"
                else:
                    raise AssertionError("the build's error was swallowed")
            assert len(calls) == 2  # not cached: tried again
            assert agenda.per_state("test.broken", lambda: 42) == 42
    finally:
        app.extensions["mutu.store"].close()


def test_mutu_serve_warms_its_pages_and_says_so(tmp_path):
    port_probe = __import__("socket").socket()
    port_probe.bind(("127.0.0.1", 0))
    port = port_probe.getsockname()[1]
    port_probe.close()
    log = tmp_path / "serve.log"
    env = dict(os.environ, MUTU_QUERY_TIMEOUT="30")
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "--store", str(tmp_path / "store"), "serve",
             "--demo", "--port", str(port)], cwd=ROOT, stdout=out, stderr=out, env=env)
    try:
        pattern = re.compile(r"warmed (\d+) pages and feeds and (\d+) category filters in [\d.]+ s")
        assert wait_for(lambda: pattern.search(log.read_text()) or server.poll() is not None, 120)
        match = pattern.search(log.read_text())
        assert match, log.read_text()
        assert int(match.group(1)) == len(warmup.PATHS)
        # The demo scheme's 12 top categories, on each filtered list.
        assert int(match.group(2)) == 12 * len(warmup.FILTERED_LISTS)
        assert requests.get(f"http://127.0.0.1:{port}/events", timeout=30).status_code == 200
    finally:
        server.terminate()
        server.wait(30)
