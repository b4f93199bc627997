"""Keep the server's memory close to what it uses: glibc malloc arenas and trimming.

pyoxigraph evaluates queries on the calling thread and frees through glibc's malloc. glibc
gives every thread that allocates under contention an arena of its own (up to 8 per core),
and keeps freed pages in them: after a burst of concurrent heavy queries each arena holds
its own high-water mark. Capping the arenas and handing free pages back once the store is
idle keeps the resident size near the live size, at no measurable cost in latency (see
README, "Memory"). Elsewhere than glibc (musl, macOS) these calls do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import threading

M_ARENA_MAX = -8  # mallopt parameter, glibc's malloc.h


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")):
        return None
    return libc


_LIBC = _libc()


def limit_arenas(count: int) -> bool:
    """Let glibc malloc use at most `count` arenas in this process (0: leave its default)."""
    if count <= 0 or _LIBC is None:
        return False
    return bool(_LIBC.mallopt(M_ARENA_MAX, ctypes.c_int(count)))


def trim() -> bool:
    """Give the free pages of every arena back to the system; True when some were."""
    if _LIBC is None:
        return False
    return bool(_LIBC.malloc_trim(ctypes.c_size_t(0)))


HUGE_PAGES = "glibc.malloc.hugetlb=1"


@contextlib.contextmanager
def children_tunables(tunable: str):
    """Processes started inside this block get glibc `tunable` (e.g. `HUGE_PAGES`).

    glibc reads GLIBC_TUNABLES once, when a process starts: this process keeps its own
    settings, children exec'd meanwhile (multiprocessing's fork server) get the new one.
    A tunable the environment already sets is left as it is.
    """
    before = os.environ.get("GLIBC_TUNABLES")
    name = tunable.split("=", 1)[0]
    if before is not None and any(part.split("=", 1)[0] == name for part in before.split(":")):
        yield
        return
    os.environ["GLIBC_TUNABLES"] = f"{before}:{tunable}" if before else tunable
    try:
        yield
    finally:
        if before is None:
            del os.environ["GLIBC_TUNABLES"]
        else:
            os.environ["GLIBC_TUNABLES"] = before


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
