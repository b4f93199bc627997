"""glibc malloc arenas and idle trimming (app/memory.py)."""

import os
import platform
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
