"""The partner sources file (TOML), their fetch state, and `mutu refresh`.

::

    [sources.susy]
    url = "https://example.org/susy.geojson"   # or: path = "data/susy.geojson" (relative to this file)
    loader = "geojson"                          # default: picked from the file as `mutu load` does
    graph = "https://mutu.brussels/graph/susy"  # default <base>graph/<name>
    licence = "PDDL-1.0"                        # required
    visibility = "public"                       # public | partners | private (default public)
    publisher = "TransforMap"
    title = "SUSY map, Belgian initiatives"
    refresh = "1d"                              # interval: 30m, 6h, 1d, 1w (default 1d)
    skip_invalid = true                         # default false: all or nothing
    language = "fr"
    [sources.susy.options]                      # loader options
    countries = ["BE"]

State (last fetch, last load, ETag, Last-Modified, status, error) is kept in
``<store>.sources.json`` beside the store directory (in memory for ``:memory:``). A source
that fails keeps its last good graph: nothing is written, the error is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import InputError, InvalidData, MutuError

from . import LoaderOptions, pick, slug

_MEMORY_STATE: dict = {}


@dataclass
class Source:
    name: str
    location: str
    loader: str | None
    graph: str
    licence: str
    visibility: str = "public"
    publisher: str | None = None
    title: str | None = None
    refresh: str = "1d"
    skip_invalid: bool = False
    language: str = "fr"
    options: dict = field(default_factory=dict)
    base_dir: str | None = None


def read_sources(path: str, base_iri: str) -> dict[str, Source]:
    """Parse and check the sources file; errors name the source and the key."""
    try:
        with open(path, "rb") as handle:
            doc = tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(f"{path}: no sources file (set MUTU_SOURCES or --sources)") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: TOML error: {error}") from None
    out = {}
    for name, entry in (doc.get("sources") or {}).items():
        if not isinstance(entry, dict):
            raise InputError(f"{path}: [sources.{name}] must be a table")
        location = entry.get("url") or entry.get("path")
        if not location:
            raise InputError(f"{path}: [sources.{name}] needs url or path")
        if not entry.get("licence"):
            raise InputError(f"{path}: [sources.{name}] needs a licence")
        if entry.get("visibility", "public") not in ("public", "partners", "private"):
            raise InputError(f"{path}: [sources.{name}] visibility must be public, partners or private")
        interval(entry.get("refresh", "1d"), where=f"{path}: [sources.{name}] refresh")
        options = dict(entry.get("options") or {})
        if entry.get("mapping"):
            mapping = entry["mapping"]
            if isinstance(mapping, str):
                from .cli import read_mapping

                mapping = read_mapping(str(Path(path).parent / mapping))
            options["mapping"] = mapping
        out[name] = Source(
            name=name, location=str(location), loader=entry.get("loader"),
            graph=entry.get("graph") or f"{base_iri}graph/{slug(name)}",
            licence=entry["licence"], visibility=entry.get("visibility", "public"),
            publisher=entry.get("publisher"), title=entry.get("title"),
            refresh=entry.get("refresh", "1d"), skip_invalid=bool(entry.get("skip_invalid", False)),
            language=entry.get("language", "fr"), options=options,
            base_dir=str(Path(path).resolve().parent))
    return out


def interval(text: str, *, where: str = "refresh") -> dt.timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", str(text))
    if not match:
        raise InputError(f"{where}: {text!r} is not an interval such as 30m, 6h, 1d, 1w")
    n, unit = int(match.group(1)), match.group(2)
    return dt.timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: n})


# --------------------------------------------------------------------------- state

def state_path(store_location: str) -> str | None:
    if store_location == ":memory:":
        return None
    return str(Path(store_location).resolve()) + ".sources.json"


def load_state(store_location: str) -> dict:
    path = state_path(store_location)
    if path is None:
        return _MEMORY_STATE
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}


def save_state(store_location: str, state: dict) -> None:
    path = state_path(store_location)
    if path is None:
        return
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)


def source_states(store_location: str, sources: dict) -> list:
    state = load_state(store_location)
    return [(name, state.get(name, {})) for name in sources]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- refresh

def refresh(store, settings, sources: dict, *, only: str | None = None, force: bool = False,
            log=lambda line: None, now: dt.datetime | None = None) -> list[dict]:
    """Fetch and re-load each due source; a failure keeps the graph and records why."""
    from .fetch import fetch
    from .pipeline import load_with

    if only is not None and only not in sources:
        raise InputError(f"unknown source {only!r}; known: {', '.join(sources) or '(none)'}")
    state = load_state(settings.store)
    now = now or dt.datetime.now(dt.timezone.utc)
    results = []
    for name, source in sources.items():
        if only is not None and name != only:
            continue
        s = state.setdefault(name, {})
        last = s.get("fetched")
        if not force and last and only is None:
            due = dt.datetime.fromisoformat(last.replace("Z", "+00:00")) + interval(source.refresh)
            if now < due:
                results.append({"name": name, "status": "not due", "detail": f"next after {due.isoformat()}"})
                continue
        try:
            if source.loader == "documents":
                from .documents import fetch_folder

                got = fetch_folder(source.location, base_dir=source.base_dir,
                                   max_bytes=settings.max_load_bytes)
            else:
                got = fetch(source.location, etag=None if force else s.get("etag"),
                            last_modified=None if force else s.get("last_modified"),
                            timeout=settings.fetch_timeout, max_bytes=settings.max_load_bytes,
                            base_dir=source.base_dir)
            s["fetched"] = _now()
            if not got.changed:
                s.update(status="not modified", error="")
                results.append({"name": name, "status": "not modified", "detail": "304"})
                continue
            if not force and got.sha256 and got.sha256 == s.get("sha256") and s.get("status") == "loaded":
                s.update(status="loaded", error="", etag=got.etag, last_modified=got.last_modified)
                results.append({"name": name, "status": "unchanged", "detail": "same bytes"})
                continue
            loader = pick(got.url, name=source.loader, media_type=got.media_type, head=got.data[:8192])
            options = LoaderOptions(base_iri=settings.base_iri, source=slug(name),
                                    language=source.language, extra=dict(source.options),
                                    filename=os.path.basename(got.url.split("?")[0]))
            if source.loader == "documents":
                options.extra.setdefault("folder", os.path.dirname(got.url))
            outcome = load_with(store, settings.base_iri, got.data, loader, options,
                                graph=source.graph, source=got.url if "://" in got.url else source.location,
                                licence=source.licence, title=source.title or name,
                                visibility=source.visibility, publisher=source.publisher,
                                skip_invalid=source.skip_invalid)
            s.update(status=outcome.status, error="", loaded=_now(), etag=got.etag,
                     last_modified=got.last_modified, sha256=got.sha256, records=outcome.created,
                     rejected=len(outcome.rejected))
            results.append({"name": name, "status": outcome.status,
                            "detail": f"{outcome.created} records, {len(outcome.rejected)} rejected"})
            log(outcome.summary())
        except InvalidData as error:
            s.update(status="failed", error=error.message)
            results.append({"name": name, "status": "failed", "detail": error.message})
        except MutuError as error:
            s.update(status="failed", error=error.message + (f" ({error.detail})" if error.detail else ""))
            results.append({"name": name, "status": "failed", "detail": s["error"]})
        finally:
            save_state(settings.store, state)
    return results
