"""A large `mutu load` starts itself again with jemalloc, or glibc's huge pages (app/cli.py)."""

import os
import sys

import pytest

from app import cli, memory
from app.config import load_settings


class Rerun(Exception):
    pass


@pytest.fixture
def execve(monkeypatch):
    """Capture the environment `os.execve` would start the process with."""
    calls = []

    def fake(path, argv, env):
        calls.append(env)
        raise Rerun()

    monkeypatch.setattr(os, "execve", fake)
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.delenv("MALLOC_CONF", raising=False)
    return calls


def data_file(tmp_path, size):
    path = tmp_path / "data.nt"
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: only its size matters here
    return str(path)


def args_for(path):
    return cli.build_parser().parse_args(["load", path, "--graph", "https://example.org/g"])


def rerun_env(args, execve, **environ):
    """The environment the load starts itself again with (it must start again)."""
    with pytest.raises(Rerun):
        cli._rerun_for_a_large_load(args, load_settings(environ=environ))
    return execve[-1]


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD is Linux's")


def test_a_large_load_reruns_with_jemalloc_once(tmp_path, execve, monkeypatch):
    monkeypatch.setattr(memory, "jemalloc_library", lambda: "libjemalloc.so.2")
    args = args_for(data_file(tmp_path, cli._JEMALLOC_FROM))
    env = rerun_env(args, execve)
    assert env["LD_PRELOAD"] == "libjemalloc.so.2"
    assert "MALLOC_CONF" not in env  # huge pages only from 256 MiB
    # The re-run process finds it preloaded and goes on.
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2")
    cli._rerun_for_a_large_load(args, load_settings(environ={}))
    assert len(execve) == 1


def test_a_small_load_or_another_command_runs_as_it_is(tmp_path, execve, monkeypatch):
    monkeypatch.setattr(memory, "jemalloc_library", lambda: "libjemalloc.so.2")
    cli._rerun_for_a_large_load(args_for(data_file(tmp_path, cli._JEMALLOC_FROM - 1)),
                                load_settings(environ={}))
    cli._rerun_for_a_large_load(cli.build_parser().parse_args(["serve"]), load_settings(environ={}))
    cli._rerun_for_a_large_load(args_for(str(tmp_path / "missing.nt")), load_settings(environ={}))
    assert execve == []


def test_without_jemalloc_a_very_large_load_gets_huge_pages(tmp_path, execve, monkeypatch):
    monkeypatch.setattr(memory, "jemalloc_library", lambda: None)
    cli._rerun_for_a_large_load(args_for(data_file(tmp_path, cli._JEMALLOC_FROM)),
                                load_settings(environ={}))
    assert execve == []
    env = rerun_env(args_for(data_file(tmp_path, cli._HUGE_PAGES_FROM)), execve)
    assert env["GLIBC_TUNABLES"] == memory.HUGE_PAGES
    assert "LD_PRELOAD" not in env


def test_malloc_system_keeps_the_system_malloc(tmp_path, execve, monkeypatch):
    monkeypatch.setattr(memory, "jemalloc_library", lambda: "libjemalloc.so.2")
    env = rerun_env(args_for(data_file(tmp_path, cli._HUGE_PAGES_FROM)), execve, MUTU_MALLOC="system")
    assert "LD_PRELOAD" not in env and env["GLIBC_TUNABLES"] == memory.HUGE_PAGES


def test_malloc_jemalloc_without_it_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(memory, "jemalloc_library", lambda: None)
    path = data_file(tmp_path, cli._JEMALLOC_FROM)
    monkeypatch.setenv("MUTU_MALLOC", "jemalloc")
    monkeypatch.setattr(sys, "argv", ["mutu", "--store", str(tmp_path / "store"), "load", path,
                                      "--graph", "https://example.org/g"])
    assert cli.main() == cli.EXIT_ERROR
    assert "apt-get install libjemalloc2" in capsys.readouterr().err


def test_a_very_large_load_gets_jemallocs_huge_pages_unless_configured(tmp_path, execve, monkeypatch):
    monkeypatch.setattr(memory, "jemalloc_library", lambda: "libjemalloc.so.2")
    args = args_for(data_file(tmp_path, cli._HUGE_PAGES_FROM))
    env = rerun_env(args, execve)
    assert env["LD_PRELOAD"] == "libjemalloc.so.2"
    assert env["MALLOC_CONF"] == memory.JEMALLOC_HUGE_PAGES
    assert "GLIBC_TUNABLES" not in env
    monkeypatch.setenv("MALLOC_CONF", "narenas:1")
    assert rerun_env(args, execve)["MALLOC_CONF"] == "narenas:1"
