"""Real processes and sockets for the limits tests: `mutu serve`, a slow SPARQL endpoint, a probe.

- `MutuServer`: `python -m app.cli serve` on a free loopback port, logging to a file.
- `SlowEndpoint`: an HTTP server answering SPARQL JSON after `?s=SECONDS`, or redirecting.
- `Probe`: a listening socket that counts the connections it receives (SSRF checks).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "tests" / "data"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mutu(*args, store, env=None, timeout=300):
    """Run one `mutu` command as a process on `store`."""
    full_env = {**os.environ, "MUTU_STORE": str(store), "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=timeout)


class MutuServer:
    """`mutu serve` as a real process; `url` is its base URL."""

    def __init__(self, store, log: Path, *args, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {**os.environ, "MUTU_STORE": str(store), "PYTHONPATH": str(ROOT), **(env or {})}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), *args],
                stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mutu serve exited: {log.read_text(errors='replace')}")
            try:
                status, _, _ = self.call(params={"query": "ASK {}"}, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"mutu serve did not answer: {log.read_text(errors='replace')}")

    def call(self, method="GET", path="/sparql", *, params=None, body=None, headers=None,
             timeout=30, chunked=False):
        """One HTTP request; returns (status, headers, body bytes)."""
        if params:
            path += "?" + urlencode(params)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if chunked:
                connection.request(method, path, body=iter([body]), headers=headers or {},
                                   encode_chunked=True)
            else:
                connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def select(self, query: str, timeout=30):
        """(status, bindings or body) of a SELECT sent as GET."""
        status, _, body = self.call(params={"query": query},
                                    headers={"Accept": "application/sparql-results+json"},
                                    timeout=timeout)
        if status != 200:
            return status, body
        return status, json.loads(body)["results"]["bindings"]

    def worker_pids(self) -> set[int]:
        """Pids of the store worker(s): children of the server's fork server."""
        pids = set()
        for child in _children(self.process.pid):
            if b"forkserver" in Path(f"/proc/{child}/cmdline").read_bytes():
                pids |= set(_children(child))
        return pids

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def pid_alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


class _SlowHandler(BaseHTTPRequestHandler):
    def _answer(self):
        parts = urlsplit(self.path)
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.end_headers()
            return
        seconds = float(parse_qs(parts.query).get("s", ["0"])[0])
        self.server.requests += 1
        time.sleep(seconds)
        body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
            {"x": {"type": "uri", "value": "http://example.org/slow"}}]}}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller was killed at its deadline: expected

    def do_GET(self):
        self._answer()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer()

    def log_message(self, *args):
        pass


class SlowEndpoint:
    """A SPARQL endpoint on loopback: `/sparql?s=N` answers one row after N seconds."""

    def __init__(self, redirect_to: str = "http://127.0.0.1:1/"):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
        self.server.daemon_threads = True
        self.server.redirect_to = redirect_to
        self.server.requests = 0
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Probe:
    """A listening socket on loopback that counts every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def stop(self):
        self.sock.close()
