"""Load benchmark: raw pyoxigraph bulk_load vs `mutu load` of the same file, in one run.

    python bench/load.py [--sizes 100k,1m] [--repeat 3] [--repeat-10m 1] [--json bench/out/load.json]

Generates the files with bench/generate.py when missing, then for each size measures, on
fresh on-disk stores, (a) pyoxigraph `Store.bulk_load` of the file into a named graph and
(b) the whole `mutu load` command (a new process: parse, normalise, validate, write, catalog
record), and prints a table of times, the ratio b/a and the CPU time of each (user + system,
all threads: on two cores, what a load can hide in parallel depends on it). Both run in
processes of their own with the same malloc: `mutu load` starts itself again with jemalloc
for a file of 16 MiB or more, with huge pages from 256 MiB (without jemalloc: glibc, with
its huge pages from 256 MiB), and the raw bulk load is started with the same (`malloc`
column).

Each measure is the median of `--repeat` runs (`--repeat-10m` at 10M, whose runs take minutes),
raw and `mutu load` alternating, so a drift of the machine's speed weighs on both: single runs
at 1M on this machine gave 1.14x and 1.46x on the same code, three alternating runs 1.21x.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}

sys.path.insert(0, str(ROOT))
from app.cli import large_load_environment  # noqa: E402 - the repository's code, found above


def ensure_file(label: str) -> Path:
    """The generated N-Triples file for a size label, generated once."""
    path = OUT / f"{label}.nt"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--triples",
                        str(SIZES[label]), "--out", str(path), "--seed", "42",
                        "--today", "2026-11-28"], check=True)
    return path


def _cpu(who: int) -> float:
    """User + system CPU seconds of this process (RUSAGE_SELF) or of its ended children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# The raw bulk load, in a process of its own started like `mutu load` starts itself.
_RAW = """
import sys, time, pyoxigraph as ox
started = time.perf_counter()
store = ox.Store(sys.argv[2])
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode("https://mutu.brussels/graph/bench"))
store.flush()
print(time.perf_counter() - started)
"""


def malloc_env(path: Path) -> tuple[dict, str]:
    """The environment `mutu load` re-runs itself with for this file, and its malloc's name.

    The raw bulk load gets the same, so that the ratio compares the work, not the allocators
    (jemalloc alone makes the raw bulk load of 1M triples 20-25 % faster on this machine).
    """
    extra = large_load_environment(path.stat().st_size, "auto", os.environ)
    name = "jemalloc" if "LD_PRELOAD" in extra else "glibc"
    if "MALLOC_CONF" in extra or "GLIBC_TUNABLES" in extra:
        name += ", huge pages"
    return extra, name


def raw_bulk_load(path: Path) -> tuple[float, float]:
    """Seconds and CPU seconds for pyoxigraph to bulk-load the file into a fresh on-disk store."""
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        cpu = _cpu(resource.RUSAGE_CHILDREN)
        result = subprocess.run([sys.executable, "-c", _RAW, str(path), tmp], check=True,
                                capture_output=True, text=True,
                                env={**os.environ, **malloc_env(path)[0]})
        return float(result.stdout.strip()), _cpu(resource.RUSAGE_CHILDREN) - cpu


def mutu_load(path: Path) -> tuple[float, float, str]:
    """Seconds and CPU seconds of the `mutu load` command on a fresh store, and its summary."""
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        # The 10M file (1.25 GB) is over the default MUTU_MAX_LOAD_BYTES (512 MiB).
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "MUTU_MAX_LOAD_BYTES": str(max(path.stat().st_size + 1, 512 * 1024 * 1024))}
        started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
        result = subprocess.run([sys.executable, "-m", "app.cli", "--store", tmp, "load", str(path),
                                 "--graph", "https://mutu.brussels/graph/bench", "--licence", "CC0-1.0"],
                                capture_output=True, text=True, env=env, cwd=ROOT)
        elapsed, cpu = time.perf_counter() - started, _cpu(resource.RUSAGE_CHILDREN) - cpu
        if result.returncode != 0:
            raise SystemExit(f"mutu load failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return elapsed, cpu, result.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k", help="comma-separated: 100k, 1m, 10m")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per measure up to 1M triples (median kept)")
    parser.add_argument("--repeat-10m", type=int, default=1, help="runs per measure at 10M")
    parser.add_argument("--json", default=str(OUT / "load.json"), help="where to write the figures")
    args = parser.parse_args()
    rows = []
    for label in args.sizes.split(","):
        if label not in SIZES:
            parser.error(f"unknown size {label!r}; use {', '.join(SIZES)}")
        path = ensure_file(label)
        raws, runs = [], []
        for _ in range(args.repeat if SIZES[label] <= 1_000_000 else args.repeat_10m):
            raws.append(raw_bulk_load(path))
            runs.append(mutu_load(path))
        raw, mutu = statistics.median(r[0] for r in raws), statistics.median(r[0] for r in runs)
        raw_cpu, mutu_cpu = statistics.median(r[1] for r in raws), statistics.median(r[1] for r in runs)
        rows.append({"size": label, "triples": SIZES[label], "bulk_load_s": round(raw, 2),
                     "mutu_load_s": round(mutu, 2), "ratio": round(mutu / raw, 2),
                     "bulk_load_cpu_s": round(raw_cpu, 2), "mutu_load_cpu_s": round(mutu_cpu, 2),
                     "runs": len(runs), "malloc": malloc_env(path)[1], "mutu_summary": runs[-1][2]})
    print(f"{'size':>6} {'bulk_load (s)':>14} {'mutu load (s)':>14} {'ratio':>7} "
          f"{'bulk_load cpu (s)':>18} {'mutu load cpu (s)':>18}  malloc (both)")
    for r in rows:
        print(f"{r['size']:>6} {r['bulk_load_s']:>14.2f} {r['mutu_load_s']:>14.2f} {r['ratio']:>7.2f} "
              f"{r['bulk_load_cpu_s']:>18.2f} {r['mutu_load_cpu_s']:>18.2f}  {r['malloc']}")
    for r in rows:
        print(f"  {r['size']}: {r['mutu_summary']}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"machine": os.uname().nodename, "cpus": os.cpu_count(),
                                           "rows": rows}, indent=2))
    shutil.rmtree(OUT / "tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
