"""`mutu serve` runs unchanged on a remote SPARQL store (a real `oxigraph serve`)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from remote_servers import free_port, missing, oxigraph_server, open_remote, wipe  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
EVENTS = "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a <https://schema.org/Event> }"

pytestmark = pytest.mark.integration


def test_mutu_serve_demo_on_a_remote_store(oxigraph_server, tmp_path):
    oxigraph_server, reason = oxigraph_server
    if oxigraph_server is None:
        missing(reason)
    wipe(open_remote(oxigraph_server))
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MUTU_STORE": oxigraph_server.location()}
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)],
                              env=env, cwd=tmp_path, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": EVENTS},
                                      headers={"Accept": "application/sparql-results+json"}, timeout=10)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        assert answer.status_code == 200
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) >= 40
        agenda = requests.get(f"http://127.0.0.1:{port}/events", timeout=30)
        assert agenda.status_code == 200 and "<h1" in agenda.text
        # The data lives in the remote server, not in a local store directory.
        direct = requests.get(oxigraph_server.url + "/query", params={"query": EVENTS.replace(
            "?e a", "GRAPH ?g { ?e a") .replace("Event> }", "Event> } }")},
            headers={"Accept": "application/sparql-results+json"}, timeout=10)
        assert int(direct.json()["results"]["bindings"][0]["n"]["value"]) >= 40
        assert not (tmp_path / "var").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
