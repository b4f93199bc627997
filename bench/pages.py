"""Page benchmark: p50/p99 of the HTML pages on a 1M-triple store, against a bare-query baseline.

    python bench/pages.py [--size 1m] [--repeat 30] [--json bench/out/pages.json] [--server] [--warm]

Builds once (when missing) `bench/out/store-<size>`: the generated file bulk-loaded by
pyoxigraph into the public graph https://mutu.brussels/graph/bench with a catalog record
written by app.catalog (so it is a visible public dataset like any loaded source), plus the
demo dataset through the real pipeline. Then opens the store with `create_app` and measures
each page through Flask's test client (with `--server`, also over HTTP through waitress).

In the same run it measures two baselines on the same store: the bare query
`SELECT ?s WHERE { ?s a schema:Event } LIMIT 1` and pyoxigraph's DESCRIBE of one event
(both without Flask), and prints each page's p50 as a ratio to them: the machine is shared
and noisy, so ratios within one run are what compare across runs.

The first request of each page is reported apart ("first"): it builds the per-state caches
(agenda index, counts, category tree) that later requests reuse until the next load. With
`--warm`, the warm-up round `mutu serve` runs after it starts (app/warmup.py) runs first and
its duration is printed: "first" is then a visitor's first request on a warmed server.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

BASE = "https://mutu.brussels/"
GRAPH = BASE + "graph/bench"
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"


def ensure_file(label: str) -> Path:
    path = OUT / f"{label}.nt"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--triples",
                        str(SIZES[label]), "--out", str(path)], check=True)
    return path


def ensure_store(label: str) -> Path:
    """The benchmark store directory, built once: bulk load + catalog record + demo data."""
    location = OUT / f"store-{label}"
    if (location / "READY").exists():
        return location
    source = ensure_file(label)
    started = time.perf_counter()
    raw = ox.Store(str(location))
    raw.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(GRAPH))
    raw.flush()
    count = sum(1 for _ in raw.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH)))
    del raw
    from app import catalog
    from app.demo_load import load_demo
    from app.store import open_store

    store = open_store(str(location))
    meta = catalog.dataset_description(
        BASE, GRAPH, title="Benchmark data", licence=CC0, visibility="public",
        source=source.name, publisher="bench", who="bench", sha256="0" * 64, triples=count,
        started=catalog.now(), ended=catalog.now())
    store.update(catalog.replace_description_update(BASE, GRAPH, meta))
    for line in load_demo(store, BASE):
        print(line, file=sys.stderr)
    store.close()
    (location / "READY").write_text(f"{count}\n")
    print(f"built {location} ({count} triples in {GRAPH}) in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return location


def pages(slugs: dict) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("alternatives", "/alternatives"),
        ("alternatives?q", "/alternatives?q=potager"),
        ("alternatives?category", "/alternatives?category=alimentation"),
        ("alternative", f"/alternative/{slugs['alternative']}"),
        ("alternative.ttl", f"/alternative/{slugs['alternative']}.ttl"),
        ("places", "/places"),
        ("places?category", "/places?category=alimentation"),
        ("place", f"/place/{slugs['place']}"),
        ("events", "/events"),
        ("events?page=5", "/events?page=5"),
        ("events?category", "/events?category=alimentation"),
        ("events?commune", "/events?commune=1060"),
        ("event", f"/event/{slugs['event']}"),
        ("categories", "/categories"),
        ("category", "/category/alimentation"),
        ("places.geojson", "/places.geojson"),
        ("events.ics", "/events.ics"),
        ("resources", "/resources"),
        ("offers", "/offers"),
        ("widget/agenda", "/widget/agenda"),
        ("digest", "/digest"),
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, repeat: int, budget: float = 15.0) -> dict:
    """First call apart, then `repeat` calls (fewer, at least 3, past `budget` seconds)."""
    first_start = time.perf_counter()
    fn()
    first = time.perf_counter() - first_start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if sum(times) > budget and len(times) >= 3:
            break
    return {"first_ms": first * 1000, "p50_ms": statistics.median(times) * 1000,
            "p99_ms": percentile(times, 0.99) * 1000, "n": len(times)}


def baselines(store, repeat: int) -> dict:
    """Bare pyoxigraph queries on the same store and the same dataset as anonymous pages."""
    from app.access import query_dataset, visible_graphs
    from app.store.embedded import _dataset_kwargs

    raw = store._store
    kwargs = _dataset_kwargs(query_dataset(visible_graphs(store, BASE)))
    bare = "PREFIX schema: <https://schema.org/> SELECT ?s WHERE { ?s a schema:Event } LIMIT 1"
    describe = f"DESCRIBE <{BASE}event/bench-25000>"
    return {
        "bare-select": timed(lambda: list(raw.query(bare, **kwargs)), repeat * 3),
        "describe": timed(lambda: list(raw.query(describe, **kwargs)), repeat * 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1m", choices=sorted(SIZES))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--server", action="store_true", help="also measure over HTTP (waitress)")
    parser.add_argument("--warm", action="store_true",
                        help="first run the warm-up round of `mutu serve` (app/warmup.py), so "
                             "`first` is a visitor's first request on a warmed server")
    parser.add_argument("--result-cache-mb", type=float, default=64, metavar="MB",
                        help="MUTU_RESULT_CACHE_MB (default 64, as shipped; 0: every page "
                             "runs its queries, only the per-state indexes and rows are kept)")
    args = parser.parse_args(argv)

    location = ensure_store(args.size)
    from app import create_app
    from app.state import get_store

    from app.store.embedded import EmbeddedStore

    # Read-only: the benchmark never writes, and two runs (before/after) may share the store.
    app = create_app({"store": str(location), "secret_key": "bench-only",
                      "result_cache_mb": args.result_cache_mb},
                     store=EmbeddedStore(str(location), read_only=True))
    client = app.test_client()
    # Records in the middle of the file (a 100k file has about 1 100 alternatives and places).
    record, event = (500, 2500) if args.size == "100k" else (5000, 25000)
    slugs = {"alternative": f"bench-{record}", "place": f"bench-{record}", "event": f"bench-{event}"}
    chosen = pages(slugs)
    if args.only:
        wanted = set(args.only.split(","))
        chosen = [p for p in chosen if p[0] in wanted]

    with app.app_context():
        base = baselines(get_store(), args.repeat)

    def fetch(path):
        def go():
            response = client.get(path, headers={"Accept-Language": "fr"})
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}\n{response.get_data(as_text=True)[:500]}")
            response.get_data()
        return go

    warmed = None
    if args.warm:
        from app.warmup import round_paths, warm

        started = time.perf_counter()
        timings = warm(app, round_paths(app))
        warmed = {"seconds": time.perf_counter() - started,
                  "paths": {p: {"status": st, "ms": ms} for p, (st, ms) in timings.items()}}
        print(f"  warm-up round: {warmed['seconds']:.1f} s", file=sys.stderr, flush=True)

    results = {}
    for name, path in chosen:
        results[name] = {"path": path, **timed(fetch(path), args.repeat)}
        print(f"  {name}: first {results[name]['first_ms']:.1f} ms, p50 {results[name]['p50_ms']:.1f} ms",
              file=sys.stderr, flush=True)

    if args.server:
        import urllib.request

        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import LiveServer

        server = LiveServer(app).start()
        try:
            for name, path in chosen:
                url = server.url + path
                results[name]["http"] = timed(lambda: urllib.request.urlopen(url).read(), args.repeat)
        finally:
            server.stop()

    ref_bare = base["bare-select"]["p50_ms"]
    ref_desc = base["describe"]["p50_ms"]
    print(f"store: {location} ({(location / 'READY').read_text().strip()} triples in the bench graph + demo), "
          f"MUTU_RESULT_CACHE_MB={args.result_cache_mb:g}"
          + (f", after the warm-up round of `mutu serve` ({warmed['seconds']:.1f} s)" if warmed else ""))
    print(f"baselines (pyoxigraph, no Flask): bare SELECT LIMIT 1 p50 {ref_bare:.2f} ms, "
          f"DESCRIBE one event p50 {ref_desc:.2f} ms")
    header = f"{'page':24} {'first':>9} {'p50':>9} {'p99':>9} {'/bare':>7} {'/describe':>9}"
    if args.server:
        header += f" {'http p50':>9} {'http p99':>9}"
    print(header)
    for name, r in results.items():
        line = (f"{name:24} {r['first_ms']:8.1f}  {r['p50_ms']:8.1f}  {r['p99_ms']:8.1f}  "
                f"{r['p50_ms'] / ref_bare:6.0f}  {r['p50_ms'] / ref_desc:8.1f}")
        if "http" in r:
            line += f" {r['http']['p50_ms']:8.1f}  {r['http']['p99_ms']:8.1f}"
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps({"store": str(location), "result_cache_mb": args.result_cache_mb, "baselines": base, "warmup": warmed,
                                               "pages": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
