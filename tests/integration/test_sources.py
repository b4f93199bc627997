"""`mutu refresh`: a real local HTTP server with ETag / 304, failures keep the last good graph."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from app.catalog import find
from app.config import load_settings
from app.store import open_store
from loaders.fetch import FetchError, fetch
from loaders.sources import load_state, read_sources, refresh

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders"
BASE = "https://mutu.brussels/"


class Server:
    """Serves {path: bytes} with ETag, honouring If-None-Match; counts requests."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.hits: list[tuple[str, int]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = outer.files.get(self.path)
                if body is None:
                    outer.hits.append((self.path, 404))
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    outer.hits.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                outer.hits.append((self.path, 200))
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/geo+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def _setup(tmp_path, server):
    server.files["/susy.geojson"] = (FIXTURES / "susy-belgium.geojson").read_bytes()
    (tmp_path / "local.json").write_bytes((FIXTURES / "kvm.json").read_bytes())
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[sources.susy]
url = "{server.url}/susy.geojson"
licence = "PDDL-1.0"
publisher = "TransforMap"
refresh = "1d"
skip_invalid = true

[sources.kvm]
path = "local.json"
loader = "kvm"
licence = "CC0-1.0"
skip_invalid = true
[sources.kvm.options]
countries = ["BE"]
""", encoding="utf-8")
    settings = load_settings({"store": str(tmp_path / "store")}, environ={})
    return settings, read_sources(str(sources), BASE)


def test_refresh_loads_then_uses_etag_then_keeps_last_good_graph(tmp_path, server):
    settings, sources = _setup(tmp_path, server)
    store = open_store(settings.store)
    try:
        results = {r["name"]: r["status"] for r in refresh(store, settings, sources)}
        assert results == {"susy": "loaded", "kvm": "loaded"}
        susy = find(store, BASE, BASE + "graph/susy")
        assert susy.triples > 1000 and susy.publisher == "TransforMap"
        # Second run, forced past the interval: the server answers 304, nothing is re-loaded.
        results = {r["name"]: r["status"] for r in refresh(store, settings, sources, only="susy")}
        assert results == {"susy": "not modified"} and server.hits[-1] == ("/susy.geojson", 304)
        # Not due yet without a name: skipped.
        assert refresh(store, settings, sources)[0]["status"] == "not due"
        # The source breaks: the graph stays as it was, the error is recorded.
        server.files["/susy.geojson"] = b'{"type": "FeatureCollection", "features": [ oops'
        results = refresh(store, settings, sources, only="susy")
        assert results[0]["status"] == "failed" and "JSON syntax error" in results[0]["detail"]
        assert find(store, BASE, BASE + "graph/susy").sha256 == susy.sha256
        state = load_state(settings.store)["susy"]
        assert state["status"] == "failed" and "line 1" in state["error"]
        # The server goes away: same.
        del server.files["/susy.geojson"]
        assert refresh(store, settings, sources, only="susy")[0]["detail"].endswith("HTTP 404 Not Found")
        assert store.graph_size(BASE + "graph/susy") == susy.triples
    finally:
        store.close()


def test_fetch_refuses_other_schemes_and_oversize(server):
    with pytest.raises(FetchError):
        fetch("file:///etc/passwd")
    with pytest.raises(FetchError):
        fetch("ftp://example.org/x.json")
    server.files["/big"] = b"x" * 5000
    with pytest.raises(FetchError) as info:
        fetch(server.url + "/big", max_bytes=1000)
    assert "over the limit" in info.value.message


def test_fetch_times_out():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)  # accepts the connection, never answers
    try:
        with pytest.raises(FetchError) as info:
            fetch(f"http://127.0.0.1:{sock.getsockname()[1]}/slow", timeout=0.5)
        assert "0.5" in info.value.message or "timed out" in info.value.message
    finally:
        sock.close()
