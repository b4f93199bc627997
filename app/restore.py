"""Replace a whole on-disk store with a dump, so that a crash leaves the old store or the new one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError, StoreUnavailable
from .pipeline import read_input


def recover(location: str) -> None:
    """Finish or undo a restore that was interrupted between its two renames."""
    path = Path(location)
    previous = path.with_name(path.name + ".previous")
    fresh = path.with_name(path.name + ".restoring")
    if not path.exists() and fresh.exists() and (fresh / ".complete").exists():
        fresh.rename(path)
    elif not path.exists() and previous.exists():
        previous.rename(path)
    if path.exists():
        shutil.rmtree(previous, ignore_errors=True)
        shutil.rmtree(fresh, ignore_errors=True)


def restore(location: str, dump_path: str, *, max_bytes: int) -> int:
    """Build a new store from an N-Quads or TriG dump beside the old one, then swap them."""
    if location == ":memory:":
        raise InputError("restore needs an on-disk store (--store DIR)")
    fmt = ox.RdfFormat.TRIG if dump_path.endswith(".trig") else ox.RdfFormat.N_QUADS
    data = read_input(dump_path, max_bytes)
    try:
        quads = list(ox.parse(data, format=fmt, rename_blank_nodes=False))
    except SyntaxError as error:
        raise InputError(f"{dump_path}: not a valid dump: {error}") from None
    path = Path(location)
    recover(location)
    if path.exists():
        # Fail now, not after building, if a server holds the store.
        try:
            probe = ox.Store(str(path))
            del probe
        except OSError as error:
            raise StoreUnavailable(f"the store {location} is in use by another process "
                                   "(stop `mutu serve` first)", detail=str(error)) from None
    fresh = path.with_name(path.name + ".restoring")
    shutil.rmtree(fresh, ignore_errors=True)
    store = ox.Store(str(fresh))
    store.bulk_extend(quads)
    store.flush()
    del store
    (fresh / ".complete").touch()
    previous = path.with_name(path.name + ".previous")
    if path.exists():
        os.rename(path, previous)
    os.rename(fresh, path)
    os.remove(path / ".complete")
    shutil.rmtree(previous, ignore_errors=True)
    return len(quads)
