"""Endpoint benchmark: Mutu's /sparql against `oxigraph serve` on the same data, plus a load test.

    python bench/endpoint.py [--size 100k] [--seconds 2.5] [--clients 1,4,16]
                             [--load-test 60] [--json bench/out/endpoint.json]

Data: the generated file (`bench/out/<size>.nt`, made by bench/generate.py when missing)
bulk-loaded into the public graph https://mutu.brussels/graph/bench with
its catalog record plus the demo data (`bench/pages.py`'s `ensure_store`, built once in
`bench/out/store-<size>`), copied to a fresh temp directory for each run. `oxigraph serve` gets
another copy of the same store directory (same files, so only the servers differ).

Both servers run as real processes on free loopback ports. Each query (every named query of
queries/*.rq with its defaults bound, plus `ASK {}`; `--queries` picks some) is sent by GET
with `Accept: application/sparql-results+json` and `default-graph-uri=<graph/bench>` on *both*
servers, so both evaluate the same text over the same default graph (Mutu's own union of
visible graphs would also include the demo and catalog data that oxigraph does not have).
A query too long for oxigraph's 8 KiB header limit goes to both as a URL-encoded POST
(`method` column). With one client, requests alternate between the servers one by one
(Mutu, oxigraph, oxigraph, Mutu, ...) for at least `--seconds` each and at least
`--min-samples` answers each, so drifts of this shared machine's speed weigh on both and a
query of a second still gets a median of several samples. For N = 4 and 16 client threads
(one `requests.Session` each), every client sends the query in a loop, for `--seconds` per
server split in two halves run in the order Mutu, oxigraph, oxigraph, Mutu; p50/p99 are
over all requests of the cell, throughput is requests per second of wall time. The result size of the first answer of each server is kept, so a
query that answers differently on the two sides is visible (`rows` column).

RSS: the Mutu server and its children (fork server, store worker, multiprocessing's resource
tracker: the whole process tree, read from /proc/<pid>/task/*/children and VmRSS) are sampled
every 100 ms for the whole run; the peak of the tree's sum is reported (pages the fork server
and the worker share count twice in it; PSS counts them once), with each process's own peak,
and oxigraph's peak the same way.

Mutu runs the comparison with its result cache off (`--result-cache-mb 0`, the default here):
each request is evaluated, as oxigraph does, so the cells measure Mutu's added cost; its page
warm-up is off too (`MUTU_WARMUP=0`), so nothing else runs beside the first cells.

Load test (`--load-test SECONDS`, 0 to skip), on a fresh Mutu server with the shipped defaults
(query cap, queue, result cache, page warm-up; the test starts once the warm-up round has
ended, its duration is printed): 50 client threads for SECONDS against Mutu only,
each cycling through pages (/, /events, /alternatives, one event page), feeds (/events.ics,
/places.geojson) and the named queries through /sparql (plain, union default graph); a non-200
answer or a transport error counts as an error. Reports requests, errors, p50/p99 per kind.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import GRAPH, SIZES, ensure_store  # noqa: E402

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
ACCEPT = {"Accept": "application/sparql-results+json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --- RSS of a process tree -------------------------------------------------------------------

def tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def _field_kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    """VmRSS summed over the process tree (pages shared by forked processes count twice)."""
    return sum(_field_kb(f"/proc/{p}/status", "VmRSS:") for p in tree(pid))


def pss_kb(pid: int) -> int:
    """Proportional set size summed over the process tree: each shared page counted once."""
    return sum(_field_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in tree(pid))


def role(pid: int, root: int) -> str:
    """What a process of Mutu's tree is: server, fork server, store worker, resource tracker."""
    if pid == root:
        return "server"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read()
        parent = _field_kb(f"/proc/{pid}/status", "PPid:")
    except OSError:
        return "other"
    if b"resource_tracker" in command:
        return "resource tracker"
    if b"forkserver" in command:
        return "fork server" if parent == root else "store worker"
    return "other"


class RssSampler(threading.Thread):
    """Peak RSS (`peak`) and peak PSS (`peak_pss`) of each named process tree, every 100 ms,
    and each process's own peak RSS by role (`parts`)."""

    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.stop_flag = pids, {k: 0 for k in pids}, threading.Event()
        self.peak_pss = {k: 0 for k in pids}
        self.parts: dict[str, dict[str, int]] = {k: {} for k in pids}

    def run(self):
        while not self.stop_flag.is_set():
            for name, pid in self.pids.items():
                total = 0
                for p in tree(pid):
                    kb = _field_kb(f"/proc/{p}/status", "VmRSS:")
                    total += kb
                    what = role(p, pid)
                    self.parts[name][what] = max(self.parts[name].get(what, 0), kb)
                self.peak[name] = max(self.peak[name], total)
                self.peak_pss[name] = max(self.peak_pss[name], pss_kb(pid))
            self.stop_flag.wait(0.1)


# --- servers ---------------------------------------------------------------------------------

def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering {url}")
        try:
            if requests.get(url, params={"query": "ASK {}"}, headers=ACCEPT, timeout=5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def wait_warmed(log_path: Path, offset: int, proc: subprocess.Popen, timeout: float = 600.0) -> str:
    """Wait for the server's "warmed N pages" line (written after `offset`); its duration."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        with open(log_path, "rb") as f:
            f.seek(offset)
            match = re.search(rb"warmed \d+ pages and feeds(?: and \d+ category filters)? in ([\d.]+ s)", f.read())
        if match:
            return match.group(1).decode()
        time.sleep(0.2)
    return "(no warm-up: MUTU_WARMUP=0?)"


def start_mutu(store_dir: Path, port: int, log, cap: int | None,
               cache_mb: float | None = None, extra: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, **(extra or {}))
    if cap is not None:
        env["MUTU_MAX_CONCURRENT_QUERIES"] = str(cap)
    if cache_mb is not None:
        env["MUTU_RESULT_CACHE_MB"] = f"{cache_mb:g}"
    return subprocess.Popen([sys.executable, "-m", "app.cli", "--store", str(store_dir), "serve",
                             "--port", str(port)], cwd=ROOT, stdout=log, stderr=log, env=env)


def start_oxigraph(built: Path, location: Path, port: int, log) -> subprocess.Popen:
    # A copy of the very store directory Mutu serves (same version, same files, same layout):
    # the ratio then measures Mutu, not two ways of loading the same file.
    shutil.copytree(built, location, ignore=shutil.ignore_patterns("LOCK"))
    return subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}"], stdout=log, stderr=log)


# --- clients ---------------------------------------------------------------------------------

def result_size(response: requests.Response) -> int | str:
    try:
        data = response.json()
    except ValueError:
        return "?"
    if "boolean" in data:
        return str(data["boolean"]).lower()
    return len(data.get("results", {}).get("bindings", []))


def run_cells(urls: dict[str, str], params: dict, clients: int, seconds: float,
              min_samples: int = 9) -> dict[str, dict]:
    """Latencies of both servers for one (query, clients) cell, measured so that a drift of
    the machine's speed weighs on both alike.

    One client: requests alternate between the servers one by one (A B B A A B B A ...)
    until `seconds` have passed for each and each has at least `min_samples` answers, so a
    query of a second still gets a median of several samples. Several clients: each server
    gets `seconds` in two halves, in the order A B B A; each server's latencies are pooled.
    """
    if clients == 1:
        return _alternate(urls, params, seconds, min_samples)
    first, second = list(urls)
    parts: dict[str, list] = {name: [] for name in urls}
    for name in (first, second, second, first):
        parts[name].append(_measure(urls[name], params, clients, seconds / 2))
    return {name: _summary(cells) for name, cells in parts.items()}


def _alternate(urls: dict[str, str], params: dict, seconds: float, min_samples: int) -> dict[str, dict]:
    first, second = list(urls)
    sessions = {name: requests.Session() for name in urls}
    latencies = {name: [] for name in urls}
    errors = {name: 0 for name in urls}
    statuses: dict[str, dict[str, int]] = {name: {} for name in urls}
    spent = {name: 0.0 for name in urls}
    turn = 0
    while min(spent.values()) < seconds or min(len(v) for v in latencies.values()) < min_samples:
        for name in ((first, second) if turn % 2 == 0 else (second, first)):
            t0 = time.perf_counter()
            try:
                r = _send(sessions[name], urls[name], params)
                ok, code = r.status_code == 200, str(r.status_code)
            except requests.RequestException as exc:
                ok, code = False, type(exc).__name__
            elapsed = time.perf_counter() - t0
            spent[name] += elapsed
            if ok:
                latencies[name].append(elapsed)
            else:
                errors[name] += 1
                statuses[name][code] = statuses[name].get(code, 0) + 1
        turn += 1
        if turn > 10 * max(min_samples, 1) and all(errors[n] == turn for n in urls):
            break  # both sides refuse the query: nothing to time
    for session in sessions.values():
        session.close()
    return {name: _summary([(latencies[name], errors[name], statuses[name], spent[name])])
            for name in urls}


# oxigraph serve refuses a request whose header block is over 8 KiB (its own limit): long
# queries go to both servers as a URL-encoded POST body instead of a GET query string.
MAX_GET_QUERY = 6000


def method_for(params: dict) -> str:
    """GET, or POST when the query would make the request line too long for a server."""
    return "POST" if len(urlencode(params)) > MAX_GET_QUERY else "GET"


def _send(session: requests.Session, url: str, params: dict) -> requests.Response:
    if method_for(params) == "POST":
        return session.post(url, data=params, headers=ACCEPT, timeout=120)
    return session.get(url, params=params, headers=ACCEPT, timeout=120)


def _summary(cells: list[tuple]) -> dict:
    latencies = [x for cell in cells for x in cell[0]]
    errors = sum(cell[1] for cell in cells)
    statuses: dict[str, int] = {}
    for cell in cells:
        for code, count in cell[2].items():
            statuses[code] = statuses.get(code, 0) + count
    wall = sum(cell[3] for cell in cells)
    if not latencies:
        return {"n": 0, "errors": errors, "error_statuses": statuses, "p50_ms": None,
                "p99_ms": None, "rps": 0.0}
    return {"n": len(latencies), "errors": errors, "error_statuses": statuses,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "rps": len(latencies) / wall}


def _measure(url: str, params: dict, clients: int, seconds: float) -> tuple:
    """`clients` threads send the same GET in a loop for `seconds`: (latencies, errors,
    error statuses, wall time)."""
    latencies: list[float] = []
    errors = [0]
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def client():
        session = requests.Session()
        mine, bad, seen = [], 0, {}
        start_gate.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                r = _send(session, url, params)
                ok, code = r.status_code == 200, str(r.status_code)
            except requests.RequestException as exc:
                ok, code = False, type(exc).__name__
            if ok:
                mine.append(time.perf_counter() - t0)
            else:
                bad += 1
                seen[code] = seen.get(code, 0) + 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad
            for code, count in seen.items():
                statuses[code] = statuses.get(code, 0) + count
        session.close()

    wall0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(client) for _ in range(clients)]:
            f.result()
    return latencies, errors[0], statuses, time.perf_counter() - wall0


def load_test(base: str, queries: dict[str, str], seconds: float, clients: int = 50) -> dict:
    html = requests.get(base + "/events", timeout=60).text
    match = re.search(r'href="(/event/[^"?#]+)"', html)
    event_page = match.group(1) if match else "/events"
    plan = [("page", "/", None), ("page", "/events", None), ("page", "/alternatives", None),
            ("page", event_page, None), ("feed", "/events.ics", None),
            ("feed", "/places.geojson", None)]
    plan += [("query", "/sparql", {"query": text}) for text in queries.values()]
    results: dict[str, list[float]] = {"page": [], "feed": [], "query": []}
    errors = {"page": 0, "feed": 0, "query": 0}
    samples: list[str] = []
    statuses: dict[str, dict[str, int]] = {"page": {}, "feed": {}, "query": {}}
    lock = threading.Lock()

    def client(i: int):
        session = requests.Session()
        mine = {k: [] for k in results}
        bad = {k: 0 for k in errors}
        deadline = time.perf_counter() + seconds
        step = i
        while time.perf_counter() < deadline:
            kind, path, params = plan[step % len(plan)]
            step += 1
            t0 = time.perf_counter()
            try:
                r = session.get(base + path, params=params,
                                headers=ACCEPT if kind == "query" else None, timeout=120)
                ok = r.status_code == 200
                code = str(r.status_code)
            except requests.RequestException as exc:
                ok, code = False, type(exc).__name__
            if ok:
                mine[kind].append(time.perf_counter() - t0)
            else:
                bad[kind] += 1
                detail = f"{path} -> {code}"
                with lock:
                    statuses[kind][code] = statuses[kind].get(code, 0) + 1
                    if len(samples) < 10:
                        samples.append(detail)
        with lock:
            for k in results:
                results[k].extend(mine[k])
                errors[k] += bad[k]
        session.close()

    wall0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(client, i) for i in range(clients)]:
            f.result()
    wall = time.perf_counter() - wall0
    out = {"clients": clients, "seconds": round(wall, 1), "event_page": event_page,
           "error_samples": samples, "kinds": {}}
    for kind, lat in results.items():
        out["kinds"][kind] = {
            "requests": len(lat) + errors[kind], "errors": errors[kind],
            "error_statuses": statuses[kind],
            "p50_ms": statistics.median(lat) * 1000 if lat else None,
            "p99_ms": percentile(lat, 0.99) * 1000 if lat else None}
    everything = [x for lat in results.values() for x in lat]
    out["total"] = {"requests": len(everything) + sum(errors.values()),
                    "errors": sum(errors.values()), "rps": len(everything) / wall,
                    "p50_ms": statistics.median(everything) * 1000 if everything else None,
                    "p99_ms": percentile(everything, 0.99) * 1000 if everything else None}
    return out


# --- main ------------------------------------------------------------------------------------

def fmt(x) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def errs(cell: dict) -> str:
    codes = ",".join(f"{c}x{n}" for c, n in cell["error_statuses"].items())
    return f"{cell['errors']}" + (f" ({codes})" if codes else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k", choices=sorted(SIZES))
    parser.add_argument("--seconds", type=float, default=2.5,
                        help="duration of each (query, clients, server) cell")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--queries", default="",
                        help="comma-separated named queries to measure (default: all, plus ask)")
    parser.add_argument("--min-samples", type=int, default=15,
                        help="with one client, the fewest answers per server and cell")
    parser.add_argument("--load-test", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--max-concurrent-queries", type=int, metavar="N",
                        help="set MUTU_MAX_CONCURRENT_QUERIES for the Mutu server "
                             "(default: the server's own default, 4)")
    parser.add_argument("--result-cache-mb", type=float, default=0, metavar="MB",
                        help="MUTU_RESULT_CACHE_MB for the comparison with oxigraph (default 0: "
                             "every request evaluated, like oxigraph); the load test runs on a "
                             "fresh server with the shipped defaults")
    parser.add_argument("--load-env", action="append", default=[], metavar="MUTU_X=VALUE",
                        help="a setting for the load test's server (repeatable; printed with the results)")
    parser.add_argument("--json", default=str(OUT / "endpoint.json"))
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.clients.split(",")]

    from app.queries import registry

    queries = {name: q.sparql(q.parse_params({})) for name, q in sorted(registry().items())}
    measured = dict(queries, ask="ASK {}")
    if args.queries:
        wanted = args.queries.split(",")
        unknown = [n for n in wanted if n not in measured]
        if unknown:
            parser.error(f"unknown queries: {', '.join(unknown)}")
        measured = {n: measured[n] for n in wanted}

    built = ensure_store(args.size)
    tmp = Path(tempfile.mkdtemp(prefix="mutu-endpoint-"))
    procs: list[subprocess.Popen] = []
    log = open(OUT / "endpoint.log", "w")
    try:
        mutu_dir = tmp / "mutu"
        shutil.copytree(built, mutu_dir, ignore=shutil.ignore_patterns("LOCK"))
        mutu_port, ox_port = free_port(), free_port()
        # /sparql only: the page warm-up would run beside the first cells.
        mutu = start_mutu(mutu_dir, mutu_port, log, args.max_concurrent_queries, args.result_cache_mb,
                          extra={"MUTU_WARMUP": "0"})
        procs.append(mutu)
        t0 = time.perf_counter()
        ox = start_oxigraph(built, tmp / "oxigraph", ox_port, log)
        procs.append(ox)
        mutu_url = f"http://127.0.0.1:{mutu_port}"
        urls = {"mutu": mutu_url + "/sparql", "oxigraph": f"http://127.0.0.1:{ox_port}/query"}
        wait_ready(urls["mutu"], mutu)
        wait_ready(urls["oxigraph"], ox)
        print(f"servers ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        sampler = RssSampler({"mutu": mutu.pid, "oxigraph": ox.pid})
        sampler.start()

        rows = []
        for name, text in measured.items():
            params = {"query": text, "default-graph-uri": GRAPH}
            sizes = {}
            for server, url in urls.items():
                r = _send(requests.Session(), url, params)  # warm-up
                sizes[server] = result_size(r) if r.ok else f"HTTP {r.status_code}"
            for n in levels:
                row = {"query": name, "clients": n, "rows": sizes, "method": method_for(params),
                       **run_cells(urls, params, n, args.seconds, args.min_samples)}
                rows.append(row)
                m, o = row["mutu"], row["oxigraph"]
                print(f"  {name} N={n}: mutu p50 {fmt(m['p50_ms'])} ms, "
                      f"oxigraph p50 {fmt(o['p50_ms'])} ms", file=sys.stderr)

        sampler.stop_flag.set()
        sampler.join()
        load, load_peak, load_peak_pss, warm = None, None, None, None
        if args.load_test > 0:
            # The service as shipped (default cap, queue and result cache), on a fresh process.
            mutu.terminate()
            mutu.wait(30)
            load_env = dict(item.split("=", 1) for item in args.load_env)
            log.flush()
            log_start = log.tell()
            mutu = start_mutu(mutu_dir, mutu_port, log, None, extra=load_env)
            procs.append(mutu)
            wait_ready(urls["mutu"], mutu)
            warm = wait_warmed(OUT / "endpoint.log", log_start, mutu)
            print(f"load-test server warmed its pages in {warm}", file=sys.stderr)
            load_sampler = RssSampler({"mutu": mutu.pid})
            load_sampler.start()
            print(f"load test: 50 clients for {args.load_test:.0f} s", file=sys.stderr)
            load = load_test(mutu_url, queries, args.load_test)
            load_sampler.stop_flag.set()
            load_sampler.join()
            load_peak = load_sampler.peak["mutu"]
            load_peak_pss = load_sampler.peak_pss["mutu"]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)

    machine = (f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
               f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at end, "
               f"size {args.size}, {args.seconds:g} s per cell, MUTU_MAX_CONCURRENT_QUERIES="
               f"{args.max_concurrent_queries if args.max_concurrent_queries is not None else 'default'}"
               f", MUTU_RESULT_CACHE_MB={args.result_cache_mb:g}")
    print(f"\nMachine: nproc {os.cpu_count()}, {machine}")
    print("\n| query | N | mutu p50 | mutu p99 | mutu req/s | oxigraph p50 | oxigraph p99 | "
          "oxigraph req/s | ratio p50 | added ms p50 | rows mutu/ox | method | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        m, o = row["mutu"], row["oxigraph"]
        ratio = added = None
        if m["p50_ms"] is not None and o["p50_ms"]:
            ratio, added = m["p50_ms"] / o["p50_ms"], m["p50_ms"] - o["p50_ms"]
        row["ratio_p50"], row["added_ms_p50"] = ratio, added
        print(f"| {row['query']} | {row['clients']} | {fmt(m['p50_ms'])} | {fmt(m['p99_ms'])} | "
              f"{m['rps']:.1f} | {fmt(o['p50_ms'])} | {fmt(o['p99_ms'])} | {o['rps']:.1f} | "
              f"{'—' if ratio is None else f'{ratio:.2f}x'} | {fmt(added)} | "
              f"{row['rows']['mutu']}/{row['rows']['oxigraph']} | {row['method']} | {errs(m)}/{errs(o)} |")
    peak = sampler.peak
    pss = sampler.peak_pss
    parts = ", ".join(f"{what} {kb / 1024:.0f}" for what, kb in sampler.parts["mutu"].items())
    print(f"\nPeak RSS: Mutu, all its processes together {peak['mutu'] / 1024:.0f} MiB "
          f"(PSS {pss['mutu'] / 1024:.0f} MiB: pages the fork server and worker share counted "
          f"once; each process's own peak RSS in MiB: {parts}); "
          f"oxigraph serve {peak['oxigraph'] / 1024:.0f} MiB (PSS {pss['oxigraph'] / 1024:.0f} MiB)")
    if load:
        t = load["total"]
        settings_note = ", ".join(args.load_env) or "the shipped defaults"
        print(f"\nLoad test (a fresh Mutu server with {settings_note}, started once its page "
              f"warm-up had ended after {warm}; peak RSS "
              f"{load_peak / 1024:.0f} MiB, PSS {load_peak_pss / 1024:.0f} MiB): {load['clients']} clients, {load['seconds']} s, {t['requests']} "
              f"requests ({t['rps']:.1f}/s), {t['errors']} errors, p50 {fmt(t['p50_ms'])} ms, "
              f"p99 {fmt(t['p99_ms'])} ms")
        print("\n| kind | requests | errors | p50 ms | p99 ms |\n|---|---|---|---|---|")
        for kind, k in load["kinds"].items():
            codes = ", ".join(f"{c}: {n}" for c, n in k["error_statuses"].items())
            print(f"| {kind} | {k['requests']} | {k['errors']}{f' ({codes})' if codes else ''} | "
                  f"{fmt(k['p50_ms'])} | "
                  f"{fmt(k['p99_ms'])} |")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(
        {"machine": machine, "nproc": os.cpu_count(), "loadavg": os.getloadavg(),
         "size": args.size, "seconds_per_cell": args.seconds, "dataset_semantics":
         f"default-graph-uri={GRAPH} on both servers", "cells": rows,
         "peak_rss_kib": peak, "load_test": load, "load_test_peak_rss_kib": load_peak, "load_test_peak_pss_kib": load_peak_pss,
         "peak_pss_kib": sampler.peak_pss, "peak_rss_by_process_kib": sampler.parts,
         "load_test_warmup": warm,
         "load_test_env": args.load_env}, indent=2))
    return 1 if load and load["total"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
