"""All benchmarks in one command, then one table of the targets: measured, and met or not.

    python bench/run.py [--sizes 100k,1m,10m] [--endpoint-size 1m] [--load-test 60]
                        [--out bench/out/run] [--steps load,pages,endpoint] [--summarize-only]

Runs, one after the other (each alone on the machine, as its figures need):
`bench/load.py --sizes SIZES` (raw `bulk_load` against `mutu load`), `bench/pages.py --warm`
at each size (pages and feeds p50/p99 on a server that ran its warm-up round), and
`bench/endpoint.py --size ENDPOINT-SIZE` (Mutu's /sparql against `oxigraph serve` at 1, 4
and 16 clients, peak RSS, and the 50-client load test). Each one's table goes to
`OUT/<name>.txt` and its figures to `OUT/<name>.json`; then the targets of the scale issue
are checked against them and printed as a table, also written to `OUT/summary.json`.
`--steps` runs some of them (the others' figures are re-read from `OUT`);
`--summarize-only` re-reads `OUT` without running anything.

Targets (at 1M unless said): validated load at most 1.5x raw `bulk_load`; `/sparql` p50 at
one client within 1.2x of `oxigraph serve` for queries that take it 10 ms or more and at
most 3 ms added on quicker ones; `/events` p50 at most 25 ms; resource pages p50 at most
10 ms; peak RSS of the server (all its processes) at most 500 MB; load time linear from 100k
to 10M (each tenfold size at most 15x the time); page p50 flat from the smallest to the
largest size (at most 2x, or at most 5 ms more); load test with zero errors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESOURCE_PAGES = ("alternative", "place", "event")
MB = 1000 * 1000


def run(name: str, script: str, args: list[str], out: Path) -> None:
    """Run one benchmark script, showing and keeping its printed table."""
    print(f"== {name}: python bench/{script} {' '.join(args)}", file=sys.stderr, flush=True)
    with open(out / f"{name}.txt", "w") as table:
        process = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True)
        table.write(process.stdout)
    sys.stdout.write(process.stdout)
    if process.returncode != 0:
        raise SystemExit(f"bench/{script} failed with exit code {process.returncode}")


def _load(out: Path, name: str):
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def check(out: Path, sizes: list[str]) -> list[dict]:
    """One row per target: what, measured, met (True/False, None when not measured)."""
    rows = []

    def add(target, measured, met):
        rows.append({"target": target, "measured": measured, "met": met})

    load = _load(out, "load")
    if load:
        by_size = {r["size"]: r for r in load["rows"]}
        if "1m" in by_size:
            r = by_size["1m"]
            add("validated load at 1M <= 1.5x raw bulk_load",
                f"{r['ratio']:.2f}x ({r['mutu_load_s']:.1f} s against {r['bulk_load_s']:.1f} s)",
                r["ratio"] <= 1.5)
        ordered = [by_size[s] for s in sizes if s in by_size]
        steps = [(a, b) for a, b in zip(ordered, ordered[1:])]
        if steps:
            growth = [(b["mutu_load_s"] / a["mutu_load_s"], b["triples"] / a["triples"]) for a, b in steps]
            add("mutu load time linear in size (each step at most 1.5x the size's growth)",
                ", ".join(f"x{t:.1f} for x{n:.0f} triples" for t, n in growth),
                all(t <= 1.5 * n for t, n in growth))
            for r in ordered:
                if r["size"] != "1m":
                    add(f"validated load at {r['size']} (reported)", f"{r['ratio']:.2f}x", None)

    endpoint = _load(out, "endpoint")
    if endpoint:
        single = [c for c in endpoint["cells"] if c["clients"] == 1
                  and c["mutu"]["p50_ms"] is not None and c["oxigraph"]["p50_ms"]]
        heavy = [c for c in single if c["oxigraph"]["p50_ms"] >= 10]
        quick = [c for c in single if c["oxigraph"]["p50_ms"] < 10]
        if heavy:
            ratios = {c["query"]: c["mutu"]["p50_ms"] / c["oxigraph"]["p50_ms"] for c in heavy}
            over = {q: r for q, r in ratios.items() if r > 1.2}
            add(f"/sparql p50 within 1.2x of oxigraph serve (queries of 10 ms or more, 1 client)",
                f"{len(ratios) - len(over)} of {len(ratios)}; worst {max(ratios, key=ratios.get)} "
                f"{max(ratios.values()):.2f}x" + (f"; over: {', '.join(f'{q} {r:.2f}x' for q, r in sorted(over.items()))}" if over else ""),
                not over)
        if quick:
            added = {c["query"]: c["mutu"]["p50_ms"] - c["oxigraph"]["p50_ms"] for c in quick}
            add("/sparql at most 3 ms added (quicker queries, 1 client)",
                f"{min(added.values()):+.1f} to {max(added.values()):+.1f} ms over {len(added)} queries",
                max(added.values()) <= 3)
        rss, pss = endpoint["peak_rss_kib"]["mutu"] * 1024, endpoint["peak_pss_kib"]["mutu"] * 1024
        add("server peak RSS <= 500 MB (all its processes, 16 clients)",
            f"{rss / MB:.0f} MB ({rss / 2**20:.0f} MiB; PSS {pss / MB:.0f} MB); oxigraph serve "
            f"{endpoint['peak_rss_kib']['oxigraph'] * 1024 / MB:.0f} MB", rss <= 500 * MB)
        test = endpoint.get("load_test")
        if test:
            t = test["total"]
            add(f"load test: {test['clients']} clients for {test['seconds']} s, zero errors",
                f"{t['requests']} requests, {t['errors']} errors, p99 {t['p99_ms']:.0f} ms",
                t["errors"] == 0)

    pages = {s: _load(out, f"pages-{s}") for s in sizes}
    pages = {s: p for s, p in pages.items() if p}
    if "1m" in pages:
        p = pages["1m"]["pages"]
        if "events" in p:
            add("/events (agenda, next 50) p50 <= 25 ms at 1M", f"{p['events']['p50_ms']:.1f} ms",
                p["events"]["p50_ms"] <= 25)
        shown = {n: p[n]["p50_ms"] for n in RESOURCE_PAGES if n in p}
        if shown:
            add("resource pages p50 <= 10 ms at 1M",
                ", ".join(f"{n} {v:.1f} ms" for n, v in shown.items()), max(shown.values()) <= 10)
    if len(pages) >= 2:
        small, large = min(pages, key=sizes.index), max(pages, key=sizes.index)
        a, b = pages[small]["pages"], pages[large]["pages"]
        grown = {n: (a[n]["p50_ms"], b[n]["p50_ms"]) for n in a if n in b
                 and b[n]["p50_ms"] > max(2 * a[n]["p50_ms"], a[n]["p50_ms"] + 5)}
        worst = max((n for n in a if n in b), key=lambda n: b[n]["p50_ms"] / a[n]["p50_ms"])
        add(f"page p50 flat from {small} to {large} (at most 2x or +5 ms)",
            f"worst {worst} {a[worst]['p50_ms']:.1f} -> {b[worst]['p50_ms']:.1f} ms"
            + (f"; grown: {', '.join(grown)}" if grown else ""), not grown)
        warm = pages[large].get("warmup")
        if warm:
            firsts = {n: b[n]["first_ms"] for n in ("home", "alternatives?q", "digest") if n in b}
            add(f"first request after the warm-up round at {large} (reported)",
                f"round {warm['seconds']:.1f} s; then " + ", ".join(f"{n} {v:.0f} ms" for n, v in firsts.items()),
                None)
    return rows


def print_summary(rows: list[dict], out: Path) -> None:
    machine = f"{os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}"
    print(f"\nTargets ({machine}; figures in {out}):\n")
    print("| target | measured | met |\n|---|---|---|")
    for r in rows:
        met = "—" if r["met"] is None else ("yes" if r["met"] else "**no**")
        print(f"| {r['target']} | {r['measured']} | {met} |")
    (out / "summary.json").write_text(json.dumps({"machine": machine, "targets": rows}, indent=2))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m,10m")
    parser.add_argument("--endpoint-size", default="1m")
    parser.add_argument("--load-test", default="60", metavar="SECONDS")
    parser.add_argument("--out", default=str(BENCH / "out" / "run"))
    parser.add_argument("--steps", default="load,pages,endpoint",
                        help="which benchmarks to run (the others' figures are re-read from OUT)")
    parser.add_argument("--summarize-only", action="store_true")
    args = parser.parse_args(argv)
    sizes = args.sizes.split(",")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    steps = set() if args.summarize_only else set(args.steps.split(","))
    if "load" in steps:
        run("load", "load.py", ["--sizes", args.sizes, "--json", str(out / "load.json")], out)
    if "pages" in steps:
        for size in sizes:
            run(f"pages-{size}", "pages.py", ["--size", size, "--warm", "--json",
                                              str(out / f"pages-{size}.json")], out)
    if "endpoint" in steps:
        run("endpoint", "endpoint.py", ["--size", args.endpoint_size, "--load-test", args.load_test,
                                        "--json", str(out / "endpoint.json")], out)
    rows = check(out, sizes)
    print_summary(rows, out)
    return 0 if all(r["met"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
