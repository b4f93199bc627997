"""`mutu serve` runs unchanged on a remote SPARQL store (a real `oxigraph serve`, a real Virtuoso)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from remote_servers import (free_port, missing, open_remote, oxigraph_server,  # noqa: F401 (fixtures)
                            virtuoso_server, wipe)

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


# Pages and feeds of the demo on each remote server, compared with the embedded store's:
# (path, what to count in the body). Virtuoso gets Mutu's queries without LATERAL
# (app/store/lateral.py) and writes through versioned graphs (app/store/versions.py).
COMPARED = [
    ("/events.ics", lambda body: body.count("BEGIN:VEVENT")),
    ("/places.geojson", lambda body: len(json.loads(body)["features"])),
    ("/offers.csv", lambda body: len(body.strip().splitlines())),
    ("/resources.atom", lambda body: body.count("<entry")),
    ("/api/queries/feed-offers?format=json&near_commune=ixelles", lambda body: len(json.loads(body))),
    ("/api/queries/who-can-help?format=json&commune=ixelles", lambda body: len(json.loads(body))),
    ("/api/queries/documents?format=json&q=repair", lambda body: len(json.loads(body))),
    ("/digest.md?days=31", lambda body: body.count("\n- ")),
]
PAGES = ["/", "/events", "/events?category=alimentation", "/alternatives", "/alternatives?q=repair",
         "/places", "/resources", "/offers", "/digest", "/widget/agenda", "/alternative/bees-coop",
         "/place/bees-coop", "/categories", "/changes"]


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_demo_pages_and_feeds_match_the_embedded_store(kind, request, tmp_path, demo_client):
    server, reason = request.getfixturevalue(f"{kind}_server")
    if server is None:
        missing(reason)
    wipe(open_remote(server))
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MUTU_STORE": server.location(),
           **{f"MUTU_{k.upper()}": v for k, v in server.settings().items()}}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)],
                                   env=env, cwd=tmp_path, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                requests.get(url + "/", timeout=30)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.3)
        for page in PAGES:
            response = requests.get(url + page, timeout=60)
            assert response.status_code == 200, (kind, page, response.text[:500])
        for path, count in COMPARED:
            remote = requests.get(url + path, timeout=60)
            local = demo_client.get(path)
            assert remote.status_code == 200 and local.status_code == 200, (kind, path, remote.text[:500])
            expected = count(local.get_data(as_text=True))
            assert count(remote.text) == expected, (kind, path)
            assert expected > 0, path  # the comparison must be about something
    finally:
        process.terminate()
        process.wait(timeout=30)
