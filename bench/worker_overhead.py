"""Per-call overhead of the worker backend, and its restart time.

    python bench/worker_overhead.py [N]

Prints the p50 of a trivial SELECT through WorkerStore and through EmbeddedStore on the
same on-disk store, and the time to kill and restart the worker (fork, reopen the store).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUERY = "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"


def p50_ms(call, n: int) -> float:
    for _ in range(20):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main(n: int = 1000) -> None:
    import pyoxigraph as ox

    from app.store.embedded import EmbeddedStore
    from app.store.worker import WorkerStore

    location = str(Path(tempfile.mkdtemp()) / "store")
    worker = WorkerStore(location, query_timeout=10)
    worker.bulk_add(ox.Quad(ox.NamedNode(f"http://e/{i}"), ox.NamedNode("http://e/p"), ox.Literal(str(i)),
                            ox.NamedNode("http://e/g")) for i in range(10_000))
    via_worker = p50_ms(lambda: worker.select(QUERY), n)
    restarts = []
    for _ in range(10):
        started = time.perf_counter()
        worker._restart(worker._generation, "benchmark")
        restarts.append((time.perf_counter() - started) * 1000)
    worker.close()
    embedded = EmbeddedStore(location)
    in_process = p50_ms(lambda: embedded.select(QUERY), n)
    embedded.close()
    print(f"trivial SELECT p50: worker {via_worker:.3f} ms, embedded {in_process:.3f} ms, "
          f"added {via_worker - in_process:.3f} ms")
    print(f"restart (kill + fork + reopen 10k-quad store): median {statistics.median(restarts):.0f} ms, "
          f"min {min(restarts):.0f}, max {max(restarts):.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
