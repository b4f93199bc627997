"""The store worker's malloc: jemalloc, glibc arenas and idle trimming (app/memory.py)."""

import os
import platform
import subprocess
import sys
import time

import pytest

from app import memory
from tests.conftest import wait_for

GLIBC = platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="mallopt and malloc_trim are glibc's")
def test_glibc_accepts_the_arena_cap_and_trims():
    assert memory.limit_arenas(8) is True
    assert memory.trim() in (True, False)  # ran; whether pages were free depends on the heap


def test_zero_arenas_leaves_malloc_alone():
    assert memory.limit_arenas(0) is False


def test_idle_trimmer_waits_for_a_pause_then_trims_once():
    calls = []
    original = memory.trim
    memory.trim = lambda: calls.append(time.monotonic()) or True
    try:
        trimmer = memory.IdleTrimmer(delay=0.05)
        time.sleep(0.15)
        assert calls == []  # no work yet: nothing to give back
        trimmer.busy()
        time.sleep(0.15)
        assert calls == []  # never while a call runs
        ended = time.monotonic()
        trimmer.done()
        assert wait_for(lambda: len(calls) == 1)
        assert calls[0] - ended >= 0.05  # after the pause, not at once
        time.sleep(0.15)
        assert len(calls) == 1  # idle without new work: no second trim
        assert trimmer.trims == 1
    finally:
        memory.trim = original


def test_work_during_the_pause_postpones_the_trim():
    calls = []
    original = memory.trim
    memory.trim = lambda: calls.append(1) or True
    try:
        trimmer = memory.IdleTrimmer(delay=0.2)
        for _ in range(5):  # a call every 0.1 s: the pause never lasts 0.2 s
            trimmer.busy()
            trimmer.done()
            time.sleep(0.1)
        assert calls == []
        assert wait_for(lambda: len(calls) == 1)
    finally:
        memory.trim = original


def test_children_tunables_adds_the_tunable_then_restores_the_environment(monkeypatch):
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    with memory.children_tunables(memory.HUGE_PAGES):
        assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
    assert "GLIBC_TUNABLES" not in os.environ

    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=1")
    with memory.children_tunables(memory.HUGE_PAGES):
        assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=1:glibc.malloc.hugetlb=1"
    assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=1"


def test_children_tunables_leaves_a_tunable_the_operator_set(monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0")
    with memory.children_tunables(memory.HUGE_PAGES):
        assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=0"
    assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=0"


def test_children_preload_adds_the_library_then_restores_the_environment(monkeypatch):
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    with memory.children_preload("libjemalloc.so.2"):
        assert os.environ["LD_PRELOAD"] == "libjemalloc.so.2"
    assert "LD_PRELOAD" not in os.environ

    monkeypatch.setenv("LD_PRELOAD", "libfoo.so")
    with memory.children_preload("libjemalloc.so.2"):
        assert os.environ["LD_PRELOAD"] == "libjemalloc.so.2 libfoo.so"
    assert os.environ["LD_PRELOAD"] == "libfoo.so"


def test_children_preload_adds_nothing_already_there_or_none(monkeypatch):
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2")
    with memory.children_preload("libjemalloc.so.2"):
        assert os.environ["LD_PRELOAD"] == "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
    monkeypatch.delenv("LD_PRELOAD")
    with memory.children_preload(None):
        assert "LD_PRELOAD" not in os.environ


def test_the_malloc_setting_picks_the_library(monkeypatch):
    assert memory.preload_for("system") is None
    monkeypatch.setattr(memory, "jemalloc_library", lambda: "libjemalloc.so.2")
    assert memory.preload_for("auto") == memory.preload_for("jemalloc") == "libjemalloc.so.2"
    monkeypatch.setattr(memory, "jemalloc_library", lambda: None)
    assert memory.preload_for("auto") is None
    with pytest.raises(ValueError, match="apt-get install libjemalloc2"):
        memory.preload_for("jemalloc")


def test_an_unknown_malloc_setting_is_refused():
    from app.config import load_settings

    assert load_settings(environ={"MUTU_MALLOC": "system"}).malloc == "system"
    with pytest.raises(ValueError, match="MUTU_MALLOC must be one of auto, jemalloc, system"):
        load_settings(environ={"MUTU_MALLOC": "tcmalloc"})


def require_jemalloc() -> str:
    """The system's jemalloc library; fails in CI when missing, skips locally."""
    library = memory.jemalloc_library()
    if library is None:
        message = "jemalloc is not installed (Debian: libjemalloc2)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return library


def test_a_process_started_with_jemalloc_knows_it_and_purges_through_it():
    library = require_jemalloc()
    probe = ("from app import memory; import sys; "
             "print(memory.current_allocator(), memory.trim())")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with_it = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             cwd=root, env={**os.environ, "LD_PRELOAD": library}, check=True)
    assert with_it.stdout.split() == ["jemalloc", "True"]
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    without = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             cwd=root, env=env, check=True)
    assert without.stdout.split()[0] == "system"
