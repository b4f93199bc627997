"""Conditional requests: ETag and Last-Modified from the store's state, 304 before any work.

Applied app-wide to GET and HEAD (`init_app`); a view opts out with `@exempt` (e.g. the
SPARQL endpoint, whose queries may call NOW() or RAND()) and marks itself `@timeless` when
its output does not depend on the clock. The validator is computed *before* the view runs,
so a matching `If-None-Match` (or a recent enough `If-Modified-Since`) is answered 304
without querying the data at all. It is a hash of:

- the catalog records of the graphs the viewer may read (graph IRI, `mutu:sha256`,
  `dcterms:modified`, visibility). The store is only written through the pipeline, which
  rewrites the graph's record in the same transaction, so every load changes it; reading
  the catalog (a few dozen triples) is the cheap part of a request;
- the request: path and query string, and the headers a representation may depend on
  (Accept, Accept-Language, Cookie, Authorization);
- Mutu's version and the start of the process (new code may render differently);
- unless the view is `@timeless`, the current tick of `MUTU_FRESHNESS_SECONDS`: pages and
  feeds of upcoming events change when time passes, not only when data is loaded.

ETags are weak (`W/"..."`): the same state gives equivalent, not byte-identical, output.
`Last-Modified` is the latest of the visible datasets' `dcterms:modified`, the process start
and the current tick's start; with HTTP's one-second dates it is the weaker validator, and
`If-None-Match` wins when both are sent (RFC 9110, 13.2.2).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from email.utils import format_datetime, parsedate_to_datetime
from importlib import metadata

from flask import Flask, Response, current_app, g, request

from . import catalog, reading
from .state import get_store, settings

# Endpoints of other parts that must not be answered from a validator.
EXEMPT_ENDPOINTS = {"static", "sparql.endpoint", "sparql.preflight"}
VARY_HEADERS = ("Accept", "Accept-Language", "Cookie", "Authorization")
_START = "mutu.freshness.started"


def exempt(view):
    """Decorator: never answer this view from a validator, nor add one."""
    view.mutu_freshness = "exempt"
    return view


def timeless(view):
    """Decorator: this view's output depends on the data only, not on the clock."""
    view.mutu_freshness = "timeless"
    return view


def init_app(app: Flask) -> None:
    """Register the hooks. Call it after authentication's own before_request hooks, so the
    viewer is known when the visible graphs are read."""
    app.extensions[_START] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    app.before_request(_answer_conditional)
    app.after_request(_add_validators)


def _mode() -> str | None:
    """"exempt", "timeless", "clock", or None when the request is not a GET/HEAD of a view."""
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return None
    if request.endpoint in EXEMPT_ENDPOINTS:
        return "exempt"
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "mutu_freshness", "clock")


@functools.lru_cache(maxsize=1)
def _version() -> str:
    try:
        return metadata.version("mutu")
    except metadata.PackageNotFoundError:
        return "checkout"


def _parse_modified(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0)


def state_records() -> list[tuple[str, str, str, str]]:
    """(graph, sha256, modified, visibility) of every visible dataset, sorted; cached per request."""
    cached = g.get("mutu_state_records")
    if cached is None:
        visible = set(reading.visible())
        cached = sorted((d.graph, d.sha256 or "", d.modified or "", d.visibility)
                        for d in catalog.datasets(get_store(), settings().base_iri)
                        if d.graph in visible)
        g.mutu_state_records = cached
    return cached


def latest_load() -> dt.datetime:
    """When a visible dataset was last loaded (the process start when none says)."""
    loads = [m for m in (_parse_modified(r[2]) for r in state_records()) if m is not None]
    return max(loads, default=current_app.extensions[_START])


def validators(clock: bool = True, now: float | None = None) -> tuple[str, dt.datetime]:
    """(ETag, Last-Modified) of the current request's response in the current state."""
    tick = settings().freshness_seconds
    now = time.time() if now is None else now
    tick_start = int(now // tick * tick) if clock and tick > 0 else 0
    records = state_records()
    digest = hashlib.sha256()
    for part in (_version(), current_app.extensions[_START].isoformat(), str(tick_start),
                 request.full_path, *(request.headers.get(h, "") for h in VARY_HEADERS),
                 *("\t".join(r) for r in records)):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    candidates = [current_app.extensions[_START]]
    candidates += [m for m in (_parse_modified(r[2]) for r in records) if m is not None]
    if tick_start:
        candidates.append(dt.datetime.fromtimestamp(tick_start, dt.timezone.utc))
    return f'W/"{digest.hexdigest()[:32]}"', max(candidates)


def _if_none_match_hits(etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    wanted = etag[2:] if etag.startswith("W/") else etag
    for tag in header.split(","):
        tag = tag.strip()
        # Weak comparison (RFC 9110, 8.8.3.2); `*` is for writes, not for GET.
        if (tag[2:] if tag.startswith("W/") else tag) == wanted:
            return True
    return False


def _if_modified_since_hits(last_modified: dt.datetime) -> bool:
    header = request.headers.get("If-Modified-Since")
    if not header or request.headers.get("If-None-Match"):
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.timezone.utc)
    return last_modified <= since


def _headers(response: Response, etag: str, last_modified: dt.datetime) -> None:
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = format_datetime(last_modified, usegmt=True)
    if "Cache-Control" not in response.headers:
        private = request.headers.get("Authorization") or reading.viewer() is not None
        # Caches may keep a copy but must ask again (cheaply, with the validator) each time.
        response.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"


def _answer_conditional():
    mode = _mode()
    if mode in (None, "exempt"):
        return None
    etag, last_modified = validators(clock=(mode == "clock"))
    g.mutu_validators = (etag, last_modified)
    if _if_none_match_hits(etag) or _if_modified_since_hits(last_modified):
        response = Response(status=304)
        _headers(response, etag, last_modified)
        response.vary.update(("Accept", "Accept-Language"))
        return response
    return None


def _add_validators(response: Response) -> Response:
    found = g.get("mutu_validators")
    if found is None or response.status_code != 200 or "ETag" in response.headers:
        return response
    _headers(response, *found)
    return response
