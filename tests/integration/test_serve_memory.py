"""`mutu serve`'s memory settings reach its store worker (app/memory.py, app/store/worker.py)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task"):
            with open(f"/proc/{p}/task/{task}/children") as f:
                children = [int(c) for c in f.read().split()]
            found += children
            todo += children
    return found


def serve(tmp_path, **env):
    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--store", str(tmp_path / "store"), "serve", "--port",
         str(port)], cwd=ROOT, stdout=log, stderr=log,
        env={k: v for k, v in {**os.environ, "MUTU_WARMUP": "0", **env}.items() if v is not None})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            if requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"},
                            timeout=5).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.kill()
    raise AssertionError("mutu serve did not answer")


def store_worker_pid(server) -> int:
    """The store worker: the fork server's child (the process that opened the store)."""
    for pid in descendants(server.pid):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"forkserver" not in f.read():
                continue
        with open(f"/proc/{pid}/status") as f:
            parent = next(int(line.split()[1]) for line in f if line.startswith("PPid:"))
        if parent != server.pid:
            return pid
    raise AssertionError(f"no store worker among {descendants(server.pid)}")


def worker_environment(server) -> str:
    """The environment of the store worker (the process that opened the store)."""
    with open(f"/proc/{store_worker_pid(server)}/environ", "rb") as f:
        return f.read().decode(errors="replace")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("setting, expected", [(None, True), ("0", False)])
def test_the_store_worker_gets_malloc_on_huge_pages_unless_turned_off(tmp_path, setting, expected):
    server = serve(tmp_path, MUTU_MALLOC_HUGE_PAGES=setting, GLIBC_TUNABLES=None)
    try:
        environment = worker_environment(server)
        assert ("GLIBC_TUNABLES=glibc.malloc.hugetlb=1" in environment.split("\0")) is expected
        # The server process itself keeps its own environment.
        with open(f"/proc/{server.pid}/environ", "rb") as f:
            assert b"glibc.malloc.hugetlb" not in f.read()
    finally:
        server.terminate()
        server.wait(30)


def maps_jemalloc(pid: int) -> bool:
    with open(f"/proc/{pid}/maps") as f:
        return "libjemalloc" in f.read()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("setting", [None, "jemalloc", "system"])
def test_the_store_worker_allocates_with_jemalloc_unless_told_otherwise(tmp_path, setting):
    from tests.unit.test_memory import require_jemalloc

    require_jemalloc()
    server = serve(tmp_path, MUTU_MALLOC=setting, LD_PRELOAD=None)
    try:
        expected = setting != "system"
        assert maps_jemalloc(store_worker_pid(server)) is expected
        assert not maps_jemalloc(server.pid)  # the server process keeps the system malloc
        # A query still answers through it.
        port = next(a for a in server.args if a.isdigit())
        answer = requests.get(f"http://127.0.0.1:{port}/sparql", timeout=10,
                              params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"},
                              headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200
    finally:
        server.terminate()
        server.wait(30)
    log = (tmp_path / "serve.log").read_text()
    assert ("the store worker allocates with jemalloc" in log) is expected


def test_mutu_serve_refuses_an_unknown_malloc_setting(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--store", str(tmp_path / "store"), "serve"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "MUTU_MALLOC": "tcmalloc"})
    assert result.returncode == 2
    assert "MUTU_MALLOC must be one of auto, jemalloc, system, got 'tcmalloc'" in result.stderr
