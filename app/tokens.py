"""Access tokens: created by the operator, shown once, stored hashed beside the store.

The registry is a JSON file next to the store directory (`<store>.tokens.json`), not a graph
in the store, for two reasons: `mutu token create` must work while `mutu serve` holds the
store's lock, and no query path can ever reach it. A `:memory:` store keeps its tokens in
memory. The server re-reads the file when it changes, so a revoked token stops working at
its next request.

Only the SHA-256 of a token is kept; a presented token is hashed and compared with every
stored hash using hmac.compare_digest (constant time, no early exit). Token creations and
revocations are queued in the file as change-log events; whoever opens the store read-write
next (the server on its next request, or any command) moves them into the change log.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .access import ROLES, Viewer
from .errors import BadRequest, NotFound

PREFIX = "mutu_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class TokenRecord:
    """A token as stored: never the secret itself."""

    name: str
    role: str
    sha256: str
    graphs: list[str] = field(default_factory=list)
    licence: str | None = None
    created: str = ""
    revoked: str | None = None

    def viewer(self) -> Viewer:
        return Viewer(self.name, self.role, tuple(self.graphs), self.licence)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def tokens_path(store_location: str) -> Path | None:
    """Where the tokens of a store live; None for an in-memory store."""
    if store_location == ":memory:":
        return None
    return Path(os.path.abspath(store_location.rstrip("/\\") or ".") + ".tokens.json")


class Registry:
    """The tokens of one store (file-backed, or in memory for `:memory:` stores)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._data = {"tokens": [], "events": []}
        self._stamp = None

    # -- file handling -------------------------------------------------------------------

    def _read(self) -> dict:
        if self.path is None:
            return self._data
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._data, self._stamp = {"tokens": [], "events": []}, None
            return self._data
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if stamp != self._stamp:
            with open(self.path, encoding="utf-8") as handle:
                self._data = json.load(handle)
            self._stamp = stamp
        return self._data

    def _change(self, mutate):
        """Read, change and write the file under an exclusive lock (CLI and server may race)."""
        with self._lock:
            if self.path is None:
                return mutate(self._data)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            with open(lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._stamp = None
                data = self._read()
                result = mutate(data)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, indent=1)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
                self._stamp = None
                return result

    # -- operations ----------------------------------------------------------------------

    def records(self) -> list[TokenRecord]:
        """Every token ever created (revoked ones too)."""
        with self._lock:
            return [TokenRecord(**t) for t in self._read()["tokens"]]

    def create(self, name: str, role: str, graphs=(), licence: str | None = None) -> str:
        """Create a token and return its secret (the only time it exists in clear)."""
        if not NAME.match(name or ""):
            raise BadRequest(f"token name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise BadRequest(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        graphs = [g for g in graphs if g]
        if role == "editor" and not graphs:
            raise BadRequest("an editor token needs --graphs (the graphs it may read and write)")
        secret = PREFIX + secrets.token_urlsafe(32)

        def mutate(data):
            if any(t["name"] == name and not t.get("revoked") for t in data["tokens"]):
                raise BadRequest(f"a token named {name!r} exists; revoke it first")
            record = TokenRecord(name, role, _hash(secret), list(graphs), licence, _now())
            data["tokens"].append(record.__dict__)
            data["events"].append({"action": "token-create", "who": name, "time": record.created,
                                   "role": role, "graphs": list(graphs)})

        self._change(mutate)
        return secret

    def revoke(self, name: str) -> None:
        """Revoke the live token called `name`."""
        def mutate(data):
            live = [t for t in data["tokens"] if t["name"] == name and not t.get("revoked")]
            if not live:
                raise NotFound(f"no live token named {name!r}")
            for t in live:
                t["revoked"] = _now()
            data["events"].append({"action": "token-revoke", "who": name, "time": _now()})

        self._change(mutate)

    def authenticate(self, token: str) -> Viewer | None:
        """The viewer of a live token, or None (unknown or revoked). Constant-time comparison."""
        digest = _hash(token)
        found = None
        for record in self.records():
            # Compare with every record so the time taken does not depend on which matched.
            if hmac.compare_digest(record.sha256, digest) and not record.revoked:
                found = record
        return found.viewer() if found else None

    def take_events(self) -> list[dict]:
        """Remove and return the queued change-log events (token creations, revocations)."""
        with self._lock:
            if not self._read().get("events"):
                return []
        return self._change(lambda data: [data["events"].pop(0) for _ in list(data["events"])])


def flush_events(registry: Registry, store, base_iri: str) -> int:
    """Move queued token events into the change log of `store`; returns how many."""
    from . import changelog

    events = registry.take_events()
    for event in events:
        changelog.record(store, base_iri, action=event["action"], graph=None, who=event["who"],
                         added=0, removed=0, time=event.get("time"))
    return len(events)
