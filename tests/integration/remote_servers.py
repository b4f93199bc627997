"""Real SPARQL servers on loopback for the remote-store tests: `oxigraph serve` and Virtuoso 7.

Each server runs as a child process on free 127.0.0.1 ports with its database in a temp
dir, and is stopped with SIGTERM (then SIGKILL after a grace period). A missing program
is reported by `ServerMissing`; the fixtures turn that into a skip locally and a failure
under CI=true.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.config import load_settings
from app.namespaces import DEFAULT_BASE_IRI as BASE
from app.store import open_store
from app.store import versions
from app.store.remote import STAGING_PREFIX

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


class ServerMissing(RuntimeError):
    """The server program (or its configuration) is not installed on this machine."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n"
                       + log.read_text(errors="replace")[-3000:])


class _Server:
    process: subprocess.Popen | None = None
    log_path: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 15 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


class OxigraphServer(_Server):
    """`oxigraph serve` on a temp directory."""

    flavour = "oxigraph"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    @staticmethod
    def program() -> str:
        # The binary of the `oxigraph` PyPI package sits next to the interpreter in a venv.
        beside = Path(sys.executable).parent / "oxigraph"
        found = str(beside) if beside.exists() else shutil.which("oxigraph")
        if not found:
            raise ServerMissing("the `oxigraph` server binary is missing "
                                "(pip install oxigraph, from the [test] extra)")
        return found

    def start(self) -> "OxigraphServer":
        program = self.program()
        data = self.workdir / "oxigraph-data"
        data.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "oxigraph.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [program, "serve", "--location", str(data), "--bind", f"127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _wait_http(self.url + "/query?query=ASK%7B%7D", self.process, self.log_path, 30)
        return self

    def location(self) -> str:
        """MUTU_STORE for this server."""
        return f"sparql+{self.url}/#oxigraph"

    def settings(self) -> dict:
        return {}


class VirtuosoServer(_Server):
    """A private Virtuoso Open Source 7 instance: its own ini, temp database, free ports.

    The Debian package's own service is not used (it does not start in containers and
    ignores the preseeded password); the dba password is set with isql-vt after start.
    """

    flavour = "virtuoso"
    user = "dba"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.isql_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = "dba"

    @staticmethod
    def programs() -> tuple[str, str]:
        server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
        if not server or not isql or not VIRTUOSO_INI.exists():
            raise ServerMissing("Virtuoso Open Source 7 is not installed (virtuoso-t, isql-vt, "
                                f"{VIRTUOSO_INI}); .ci/run installs the Debian package "
                                "virtuoso-opensource")
        return server, isql

    def _ini(self, db: Path) -> str:
        text = VIRTUOSO_INI.read_text()
        text = text.replace("/var/lib/virtuoso-opensource-7/db", str(db))

        def set_key(section: str, key: str, value: str, text: str) -> str:
            # Replace `key = ...` inside [section] only (keys repeat across sections).
            pattern = re.compile(rf"(^\[{re.escape(section)}\][^\[]*?^{key}\s*=)[^\n]*", re.M | re.S)
            new, count = pattern.subn(lambda m: m.group(1) + " " + value, text, count=1)
            if not count:
                new = re.sub(rf"^\[{re.escape(section)}\]\s*$", f"[{section}]\n{key} = {value}",
                             text, count=1, flags=re.M)
            return new

        text = set_key("Parameters", "ServerPort", f"127.0.0.1:{self.isql_port}", text)
        text = set_key("Parameters", "DirsAllowed", f"., {db}, /usr/share/virtuoso-opensource-7/vad", text)
        text = set_key("Parameters", "NumberOfBuffers", "10000", text)
        text = set_key("Parameters", "MaxDirtyBuffers", "6000", text)
        text = set_key("Parameters", "ThreadsPerQuery", "1", text)
        text = set_key("HTTPServer", "ServerPort", f"127.0.0.1:{self.port}", text)
        text = set_key("HTTPServer", "ServerRoot", "/var/lib/virtuoso-opensource-7/vsp", text)
        # Virtuoso silently truncates results at ResultSetMaxRows (10000 by default).
        text = set_key("SPARQL", "ResultSetMaxRows", "1000000", text)
        # Its cost estimate refuses Mutu's queries with absurd figures ("estimated execution
        # time -328286208 (sec) exceeds the limit of 400"): 0 turns the estimate off.
        text = set_key("SPARQL", "MaxQueryCostEstimationTime", "0", text)
        text = set_key("URIQA", "DefaultHost", f"127.0.0.1:{self.port}", text)
        return text

    def start(self) -> "VirtuosoServer":
        server, isql = self.programs()
        db = self.workdir / "virtuoso-db"
        db.mkdir(parents=True, exist_ok=True)
        ini = db / "virtuoso.ini"
        ini.write_text(self._ini(db))
        self.log_path = self.workdir / "virtuoso.out"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [server, "+configfile", str(ini), "+foreground"], cwd=db,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _wait_http(self.url + "/sparql?query=ASK%7B%7D", self.process, self.log_path, 90)
        new_password = "mutu" + secrets.token_hex(6)  # SQL identifier: letters and digits
        self.isql(f"SET PASSWORD dba {new_password};")
        self.password = new_password
        return self

    def isql(self, statements: str) -> str:
        """Run SQL statements as dba through isql-vt; returns its output."""
        _, isql = self.programs()
        result = subprocess.run(
            [isql, f"127.0.0.1:{self.isql_port}", "dba", self.password, f"EXEC={statements}"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if result.returncode != 0 or "*** Error" in result.stdout + result.stderr:
            raise RuntimeError(f"isql-vt failed: {result.stdout}\n{result.stderr}")
        return result.stdout

    def location(self) -> str:
        return f"sparql+{self.url}/#virtuoso"

    def settings(self) -> dict:
        return {"remote_user": self.user, "remote_password": self.password}


SERVERS = {"oxigraph": OxigraphServer, "virtuoso": VirtuosoServer}


def start_server(kind: str, workdir: Path):
    """Start one server of `kind` in `workdir`; raises ServerMissing if it is not installed."""
    server = SERVERS[kind](workdir)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


def missing(reason: str) -> None:
    """Skip locally; under CI=true a missing server is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


# -- pytest fixtures: import them into a test module (`from remote_servers import backend, ...`)

# "oxigraph-versioned": oxigraph serve with MUTU_REMOTE_VERSIONED=true, the mode Virtuoso
# runs in by default, on a server whose own updates are atomic (so a failure is Mutu's).
BACKENDS = ("embedded", "oxigraph", "oxigraph-versioned", "virtuoso")


class Versioned:
    """A running server, seen through settings that force versioned graphs."""

    def __init__(self, server):
        self.server = server

    def __getattr__(self, name):
        return getattr(self.server, name)

    def settings(self) -> dict:
        return {**self.server.settings(), "remote_versioned": "true"}


def _server_fixture(kind: str):
    @pytest.fixture(scope="session")
    def fixture(tmp_path_factory):
        try:
            server = start_server(kind, tmp_path_factory.mktemp(kind))
        except ServerMissing as error:
            server, reason = None, str(error)
        if server is None:
            yield None, reason
            return
        try:
            yield server, None
        finally:
            server.stop()

    return fixture


oxigraph_server = _server_fixture("oxigraph")
virtuoso_server = _server_fixture("virtuoso")


def remote_settings(server, **overrides):
    """Settings for a Mutu app on `server` (its location and credentials)."""
    return load_settings({"store": server.location(), **server.settings(), **overrides})


def open_remote(server, **options):
    """A RemoteStore on `server`, emptied of Mutu's graphs."""
    settings = remote_settings(server)
    store = open_store(settings.store, settings=settings, **options)
    wipe(store)
    return store


def wipe(store) -> None:
    """Drop every graph Mutu may have written: under its base IRI, staging graphs, graph
    versions and the versions map (a server is shared by the plain and versioned backends)."""
    mine = (BASE, STAGING_PREFIX, versions.PHYSICAL_PREFIX, versions.VERSIONS_GRAPH)
    drops = [f"DROP SILENT GRAPH <{g}>" for g in sorted(store._present_graphs()) if g.startswith(mine)]
    if drops:
        store.update_raw(" ;\n".join(drops))


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    """(name, store, server or None): an empty store of each kind."""
    name = request.param
    if name == "embedded":
        store = open_store(str(tmp_path / "store"))
        yield name, store, None
        store.close()
        return
    server, reason = request.getfixturevalue(f"{name.split('-')[0]}_server")
    if server is None:
        missing(reason)
    if name.endswith("-versioned"):
        server = Versioned(server)
    store = open_remote(server)
    try:
        yield name, store, server
    finally:
        wipe(store)
        store.close()
