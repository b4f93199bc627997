"""A load replaces its graph atomically: kill -9 at any moment, or read while it writes."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from app import catalog
from app.access import query_dataset, visible_graphs
from app.namespaces import DEFAULT_BASE_IRI as BASE
from app.pipeline import cleanup_orphans, load
from app.store import open_store

ROOT = Path(__file__).resolve().parents[2]
GRAPH = BASE + "graph/atomic"
NEW_GRAPH = BASE + "graph/atomic-new"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

pytestmark = pytest.mark.slow


def alternatives(count: int, label: str) -> bytes:
    """Valid Mutu data: `count` alternatives, each with its own place."""
    lines = []
    for i in range(count):
        a = f"<{BASE}alternative/atomic-{i}>"
        p = f"<{BASE}place/atomic-{i}>"
        lines += [
            f'{a} <{TYPE}> <https://w3id.org/mutu/ns#Alternative> .',
            f'{a} <https://schema.org/name> "{label} {i}"@fr .',
            f'{a} <https://schema.org/name> "{label} {i}"@nl .',
            f'{a} <https://schema.org/location> {p} .',
            f'{p} <{TYPE}> <https://w3id.org/mutu/ns#Place> .',
            f'{p} <https://schema.org/name> "Lieu {label} {i}"@fr .',
            f'{p} <https://schema.org/address> <{BASE}place/atomic-{i}/address> .',
            f'<{BASE}place/atomic-{i}/address> <{TYPE}> <https://schema.org/PostalAddress> .',
            f'<{BASE}place/atomic-{i}/address> <https://schema.org/streetAddress> "Rue {i}" .',
            f'<{BASE}place/atomic-{i}/address> <https://schema.org/postalCode> "1000" .',
            f'<{BASE}place/atomic-{i}/address> <https://schema.org/addressCountry> "BE" .',
        ]
    return ("\n".join(lines) + "\n").encode()


def content(location: str, graph: str):
    store = open_store(location)
    try:
        cleanup_orphans(store, BASE)
        triples = {str(t) for t in store.graph_triples(graph)}
        record = catalog.find(store, BASE, graph)
        return triples, record
    finally:
        store.close()


def mutu_load(store_dir, path, graph, *extra):
    env = {**os.environ, "MUTU_STORE": str(store_dir), "PYTHONPATH": str(ROOT)}
    # Output goes to files, not pipes: a full pipe would block the loader, not kill it.
    log = open(Path(store_dir).with_suffix(".log"), "ab")
    return subprocess.Popen([sys.executable, "-m", "app.cli", "load", str(path), "--graph", graph,
                             "--licence", "CC0-1.0", *extra], env=env, cwd=ROOT,
                            stdout=log, stderr=log)


def test_kill_9_at_any_moment_leaves_the_old_graph_or_the_new_one(tmp_path):
    v1, v2 = tmp_path / "v1.nt", tmp_path / "v2.nt"
    v1.write_bytes(alternatives(300, "Ancienne"))
    v2.write_bytes(alternatives(2500, "Nouvelle"))
    base_store = tmp_path / "base"
    assert mutu_load(base_store, v1, GRAPH).wait() == 0
    old, old_record = content(str(base_store), GRAPH)

    timing_store = tmp_path / "timing"
    shutil.copytree(base_store, timing_store)
    started = time.monotonic()
    process = mutu_load(timing_store, v2, GRAPH)
    assert process.wait() == 0, Path(timing_store).with_suffix(".log").read_text()
    duration = time.monotonic() - started
    new, new_record = content(str(timing_store), GRAPH)
    assert new != old and new_record.sha256 != old_record.sha256

    outcomes = []
    for fraction in (0.2, 0.45, 0.65, 0.8, 0.9, 0.97):
        trial = tmp_path / f"trial-{fraction}"
        shutil.copytree(base_store, trial)
        process = mutu_load(trial, v2, GRAPH)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        triples, record = content(str(trial), GRAPH)
        if triples == old:
            assert record.sha256 == old_record.sha256
            outcomes.append("old")
        else:
            assert triples == new, f"a mix of old and new after kill at {fraction:.0%}"
            assert record.sha256 == new_record.sha256
            outcomes.append("new")
        # A first load into a new graph killed midway leaves nothing visible, or all of it.
        process = mutu_load(trial, v2, NEW_GRAPH)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        triples, record = content(str(trial), NEW_GRAPH)
        assert (record is None and not triples) or (record is not None and triples == new), fraction
    assert "old" in outcomes, "no kill landed before the commit; the test proves nothing"


def test_readers_never_see_a_mix(tmp_path):
    store = open_store(str(tmp_path / "store"))
    try:
        load(store, BASE, alternatives(200, "Ancienne"), fmt="ntriples", graph=GRAPH, source="v1",
             licence="CC0-1.0")
        n1 = store.graph_size(GRAPH)
        seen, errors, done = set(), [], threading.Event()

        def reader():
            try:
                while not done.is_set():
                    dataset = query_dataset(visible_graphs(store, BASE))
                    rows = store.select(
                        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), "
                        "'https://mutu.brussels/alternative/atomic-')) }", dataset=dataset)
                    seen.add(int(rows[0]["n"].value))
            except Exception as error:  # reported below: the reader must not fail silently
                errors.append(error)

        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        load(store, BASE, alternatives(1500, "Nouvelle"), fmt="ntriples", graph=GRAPH, source="v2")
        time.sleep(0.2)
        done.set()
        for t in threads:
            t.join()
        assert not errors
        n_alt_old, n_alt_new = 200 * 6, 1500 * 6  # 3 types (2 implied), 2 names, 1 location
        assert seen <= {n_alt_old, n_alt_new} and n_alt_new in seen
        assert store.graph_size(GRAPH) > n1
    finally:
        store.close()
