"""The store worker's malloc: jemalloc where the system has it, arenas and idle trimming.

pyoxigraph evaluates queries on the calling thread and frees through glibc's malloc. glibc
gives every thread that allocates under contention an arena of its own (up to 8 per core),
and keeps freed pages in them: after a burst of concurrent heavy queries each arena holds
its own high-water mark. Capping the arenas and handing free pages back once the store is
idle keeps the resident size near the live size, at no measurable cost in latency (see
README, "Memory"). Elsewhere than glibc (musl, macOS) these calls do nothing.

Query evaluation allocates and frees millions of small hash-table and tuple blocks: with
jemalloc (Debian `libjemalloc2`) loaded into the store worker the heavy queries ran 7-30 %
faster than on glibc's malloc, with or without huge pages (README, "Serving"). A library can
only replace malloc from a process's start, so it is preloaded into the worker's fork server.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import threading

from .config import MALLOC_CHOICES

M_ARENA_MAX = -8  # mallopt parameter, glibc's malloc.h
_JEMALLOC_ALL_ARENAS = 4096  # MALLCTL_ARENAS_ALL in jemalloc 5's jemalloc.h


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")):
        return None
    return libc


_LIBC = _libc()


def _jemalloc_mallctl():
    """jemalloc's mallctl when jemalloc is this process's malloc, else None."""
    try:
        mallctl = ctypes.CDLL(None).mallctl
    except (OSError, AttributeError):
        return None
    mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                        ctypes.c_size_t]
    return mallctl


_MALLCTL = _jemalloc_mallctl()


def current_allocator() -> str:
    """"jemalloc" when it is this process's malloc, else "system"."""
    return "jemalloc" if _MALLCTL is not None else "system"


def jemalloc_library() -> str | None:
    """The name of the system's jemalloc shared library (e.g. libjemalloc.so.2), or None."""
    if not sys.platform.startswith("linux"):
        return None  # LD_PRELOAD is how it is loaded; macOS and others are left as they are
    return ctypes.util.find_library("jemalloc")


def preload_for(setting: str) -> str | None:
    """The library to preload into the store worker for MUTU_MALLOC `setting`, or None.

    "auto" takes jemalloc when the system has it; "jemalloc" insists (ValueError without it);
    "system" keeps the C library's malloc.
    """
    if setting not in MALLOC_CHOICES:
        raise ValueError(f"unknown malloc setting {setting!r}")
    if setting == "system":
        return None
    library = jemalloc_library()
    if library is None and setting == "jemalloc":
        raise ValueError("MUTU_MALLOC=jemalloc, but no jemalloc library was found "
                         "(Debian: apt-get install libjemalloc2; or MUTU_MALLOC=auto)")
    return library


def limit_arenas(count: int) -> bool:
    """Let glibc malloc use at most `count` arenas in this process (0: leave its default)."""
    if count <= 0 or _LIBC is None:
        return False
    return bool(_LIBC.mallopt(M_ARENA_MAX, ctypes.c_int(count)))


def trim() -> bool:
    """Give the free pages of every arena back to the system; True when it was asked."""
    if _MALLCTL is not None:
        # jemalloc: purge the unused dirty pages of all arenas (malloc_trim is glibc's own).
        name = f"arena.{_JEMALLOC_ALL_ARENAS}.purge".encode()
        return _MALLCTL(name, None, None, None, 0) == 0
    if _LIBC is None:
        return False
    return bool(_LIBC.malloc_trim(ctypes.c_size_t(0)))


HUGE_PAGES = "glibc.malloc.hugetlb=1"
JEMALLOC_HUGE_PAGES = "thp:always"  # MALLOC_CONF: jemalloc backs its memory with huge pages


@contextlib.contextmanager
def _children_variable(name: str, value: str | None):
    """Set environment variable `name` to `value` inside the block (None: leave it)."""
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def children_tunables(tunable: str):
    """Processes started inside this block get glibc `tunable` (e.g. `HUGE_PAGES`).

    glibc reads GLIBC_TUNABLES once, when a process starts: this process keeps its own
    settings, children exec'd meanwhile (multiprocessing's fork server) get the new one.
    A tunable the environment already sets is left as it is.
    """
    before = os.environ.get("GLIBC_TUNABLES")
    name = tunable.split("=", 1)[0]
    if before is not None and any(part.split("=", 1)[0] == name for part in before.split(":")):
        return _children_variable("GLIBC_TUNABLES", None)
    return _children_variable("GLIBC_TUNABLES", f"{before}:{tunable}" if before else tunable)


def with_preload(library: str, current: str | None) -> str | None:
    """LD_PRELOAD's value with `library` first, or None when `current` already preloads it."""
    present = [os.path.basename(name) for name in (current or "").replace(":", " ").split()]
    if os.path.basename(library) in present:
        return None
    return f"{library} {current}" if current else library


def children_preload(library: str | None):
    """Processes exec'd inside this block load `library` first (LD_PRELOAD), e.g. jemalloc.

    As with `children_tunables`, this process keeps its own malloc; a library the environment
    already preloads is not added twice.
    """
    value = with_preload(library, os.environ.get("LD_PRELOAD")) if library is not None else None
    return _children_variable("LD_PRELOAD", value)


class IdleTrimmer:
    """Calls `trim()` once the work counted by `busy()`/`done()` has been idle for `delay` s.

    A trim takes every arena's lock for a moment, so it waits for a pause instead of running
    after each call; a steady stream of work never trims and is never slowed by it.
    """

    def __init__(self, delay: float = 5.0):
        self.delay = delay
        self.trims = 0
        self._active = 0
        self._dirty = False
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        threading.Thread(target=self._run, name="mutu-malloc-trim", daemon=True).start()

    def busy(self) -> None:
        """A call starts."""
        with self._lock:
            self._active += 1
            self._dirty = True

    def done(self) -> None:
        """A call ended."""
        with self._lock:
            self._active -= 1
            if self._active == 0:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not (self._dirty and self._active == 0):
                    self._wake.wait()
                # Idle now: wait out the pause; new work cancels this round.
                self._dirty = False
                self._wake.wait(self.delay)
                if self._active or self._dirty:
                    continue
            trim()
            self.trims += 1
