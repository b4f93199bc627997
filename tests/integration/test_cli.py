"""The `mutu` command run as a real process: exit codes, outputs, store left unchanged on errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
BASE = "https://mutu.brussels/"


def mutu(*args, store, stdin=None):
    env = {**os.environ, "MUTU_STORE": str(store), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, input=stdin, timeout=300)


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store"


def loaded(store):
    result = mutu("load", str(DATA / "alternatives-v1.ttl"), "--graph", BASE + "graph/test",
                  "--licence", "CC-BY-4.0", "--title", "Test", store=store)
    assert result.returncode == 0, result.stderr
    return result


def test_load_then_query_in_every_format(store):
    result = loaded(store)
    assert "loaded" in result.stdout and BASE + "graph/test" in result.stdout
    query = "SELECT ?n WHERE { <https://mutu.brussels/alternative/test-repair-cafe> <https://schema.org/name> ?n } ORDER BY ?n"
    table = mutu("query", query, store=store)
    assert table.returncode == 0, table.stderr
    assert '"Repair Café Test"@fr' in table.stdout and "(2 rows)" in table.stdout
    as_json = json.loads(mutu("query", query, "--format", "json", store=store).stdout)
    assert len(as_json["results"]["bindings"]) == 2
    as_csv = mutu("query", query, "--format", "csv", store=store).stdout.splitlines()
    assert as_csv[0].strip() == "n" and len(as_csv) == 3


def test_query_from_a_file_and_construct(store, tmp_path):
    loaded(store)
    q = tmp_path / "q.rq"
    q.write_text("CONSTRUCT { ?s a ?t } WHERE { ?s a ?t . FILTER(?t = <https://schema.org/Event>) }")
    result = mutu("query", f"@{q}", store=store)
    assert result.returncode == 0, result.stderr
    assert "<https://mutu.brussels/event/test-repair-1>" in result.stdout


def test_reload_is_reported_unchanged(store):
    loaded(store)
    again = mutu("load", str(DATA / "alternatives-v1.ttl"), "--graph", BASE + "graph/test", store=store)
    assert again.returncode == 0 and "unchanged" in again.stdout


def test_invalid_data_exits_1_with_a_report_and_changes_nothing(store):
    loaded(store)
    before = mutu("dump", store=store).stdout
    result = mutu("load", str(DATA / "invalid-event.ttl"), "--graph", BASE + "graph/test", store=store)
    assert result.returncode == 1
    assert "https://mutu.brussels/event/broken" in result.stdout
    assert "Violation" in result.stdout
    assert sorted(mutu("dump", store=store).stdout.splitlines()) == sorted(before.splitlines())


@pytest.mark.parametrize("args, message", [
    (["load", "tests/data/syntax-error.ttl", "--licence", "CC0-1.0"], "line 4"),
    (["load", "tests/data/empty.ttl", "--licence", "CC0-1.0"], "empty"),
    (["load", "tests/data/utf16.nt", "--licence", "CC0-1.0"], "UTF-16"),
    (["load", "tests/data/latin1.nt", "--licence", "CC0-1.0"], "UTF-8"),
    (["load", "tests/data/missing.ttl", "--licence", "CC0-1.0"], "cannot read"),
    (["load", "tests/data/alternatives-v1.ttl", "--format", "yaml"], "unknown RDF format"),
    (["load", "tests/data/alternatives-v1.ttl", "--graph", "not an iri", "--licence", "CC0-1.0"], "IRI"),
    (["query", "SELECT WHERE {"], "syntax"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_and_io_errors_exit_2(store, args, message):
    loaded(store)
    before = mutu("dump", store=store).stdout
    result = mutu(*args, store=store)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message.lower() in result.stderr.lower()
    assert sorted(mutu("dump", store=store).stdout.splitlines()) == sorted(before.splitlines())


def test_validate_reports_in_three_formats(store):
    ok = mutu("validate", str(DATA / "alternatives-v1.ttl"), store=store)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = mutu("validate", str(DATA / "invalid-event.ttl"), store=store)
    assert bad.returncode == 1
    assert "https://mutu.brussels/event/broken" in bad.stdout
    as_json = json.loads(mutu("validate", str(DATA / "invalid-event.ttl"), "--format", "json", store=store).stdout)
    assert as_json["conforms"] is False and as_json["violations"] >= 1
    turtle = mutu("validate", str(DATA / "invalid-event.ttl"), "--format", "turtle", store=store)
    assert "ValidationReport" in turtle.stdout


def test_validate_with_other_shapes(tmp_path, store):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
<urn:s> a sh:NodeShape ; sh:targetClass schema:Event ;
  sh:property [ sh:path schema:url ; sh:minCount 1 ] .""")
    result = mutu("validate", str(DATA / "alternatives-v1.ttl"), "--shapes", str(shapes), store=store)
    assert result.returncode == 1
    assert "https://mutu.brussels/event/test-repair-1" in result.stdout


def test_dump_and_restore_round_trip(store, tmp_path):
    loaded(store)
    dump = tmp_path / "dump.nq"
    dump.write_text(mutu("dump", store=store).stdout)
    other = tmp_path / "other"
    restored = mutu("restore", str(dump), store=other)
    assert restored.returncode == 0, restored.stderr
    assert sorted(mutu("dump", store=other).stdout.splitlines()) == sorted(dump.read_text().splitlines())
    graph_only = mutu("dump", "--graph", BASE + "graph/test", store=store).stdout
    assert graph_only and all(line.endswith(f"<{BASE}graph/test> .") for line in graph_only.splitlines())
    bad = tmp_path / "bad.nq"
    bad.write_text("<a> <b> .\n")
    failed = mutu("restore", str(bad), store=other)
    assert failed.returncode == 2
    assert sorted(mutu("dump", store=other).stdout.splitlines()) == sorted(dump.read_text().splitlines())


def test_graphs_lists_the_catalog(store):
    loaded(store)
    result = mutu("graphs", store=store)
    assert result.returncode == 0
    assert BASE + "graph/test" in result.stdout and "public" in result.stdout


def test_help_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "app.cli", "--help"], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    for command in ("load", "validate", "query", "dump", "restore", "graphs", "serve"):
        assert command in result.stdout


def test_optimize_compacts_the_store_and_keeps_every_quad(store):
    loaded(store)
    before_dump = mutu("dump", store=store).stdout
    before_files = {p.name for p in Path(store).glob("*.sst")}
    result = mutu("optimize", store=store)
    assert result.returncode == 0, result.stderr
    assert f"optimized {store} in " in result.stderr and "MiB after" in result.stderr
    assert {p.name for p in Path(store).glob("*.sst")} != before_files  # rewritten by compaction
    assert sorted(mutu("dump", store=store).stdout.splitlines()) == sorted(before_dump.splitlines())


def test_optimize_refuses_a_remote_store(tmp_path):
    result = mutu("optimize", store="sparql+http://127.0.0.1:9/query#oxigraph")
    assert result.returncode == 2
    assert "compacts an on-disk embedded store" in result.stderr
