"""The fast first load (app/fastload.py) gives exactly what the general pipeline gives.

Each test loads the same bytes twice into real on-disk stores: once through the fast path
(N-Triples, first load of a graph) and once with the fast path switched off, and compares the
graph, the catalog record and the validation report.
"""

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from app import catalog, fastload, pipeline, shacl_sparql
from app.errors import InputError, InvalidData
from app.namespaces import DEFAULT_BASE_IRI as BASE
from app.store import open_store

ROOT = Path(__file__).resolve().parents[2]
GRAPH = BASE + "graph/fast"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def generated(tmp_path, triples: int, share: float, seed: int) -> bytes:
    out = tmp_path / f"gen-{triples}-{share}-{seed}.nt"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--triples", str(triples),
                    "--out", str(out), "--seed", str(seed), "--invalid-share", str(share),
                    "--today", "2026-11-28"], check=True, capture_output=True)
    return out.read_bytes()


def load(store_dir, data: bytes, *, fast: bool, monkeypatch, graph=GRAPH, first=None):
    """Load `data` (N-Triples) into a fresh store; returns (store, outcome or error, used fast path)."""
    calls = []
    real = fastload.load_new_graph

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(fastload, "load_new_graph", spy)
    if not fast:
        monkeypatch.setattr(pipeline, "_fast_path", lambda *args: False)
    store = open_store(str(store_dir))
    if first is not None:
        pipeline.load(store, BASE, first, fmt="turtle", graph=BASE + "graph/first", source="first.ttl",
                      licence="CC0-1.0", who="test")
    try:
        result = pipeline.load(store, BASE, data, fmt="ntriples", graph=graph, source="data.nt",
                               licence="CC0-1.0", who="test")
    except (InvalidData, InputError) as error:
        result = error
    monkeypatch.undo()
    return store, result, bool(calls)


def canonical(triples) -> tuple[set, list]:
    """Ground triples as text, and blank-node triples with each blank node named by its
    ground properties (labels differ between loads)."""
    ground = {str(t) for t in triples
              if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}
    props: dict = {}
    for t in triples:
        if isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode):
            props.setdefault(t.subject, []).append(f"{t.predicate} {t.object}")
    name = {b: "[" + "|".join(sorted(v)) + "]" for b, v in props.items()}
    blank = sorted(f"{name.get(t.subject, t.subject)} {t.predicate} {name.get(t.object, t.object)}"
                   for t in triples
                   if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode))
    return ground, blank


def same_outcome(tmp_path, data, monkeypatch, first=None):
    fast_store, fast, used = load(tmp_path / "fast", data, fast=True, monkeypatch=monkeypatch, first=first)
    slow_store, slow, unused = load(tmp_path / "slow", data, fast=False, monkeypatch=monkeypatch, first=first)
    try:
        assert used and not unused
        return fast_store, fast, slow_store, slow
    except BaseException:
        fast_store.close()
        slow_store.close()
        raise


@pytest.mark.parametrize("share, seed", [(0.0, 1), (0.0, 2)])
def test_valid_data_gives_the_same_graph_record_and_warnings(tmp_path, monkeypatch, share, seed):
    data = generated(tmp_path, 6000, share, seed)
    assert b"_:" in data  # addresses are blank nodes: the split path is exercised
    fast_store, fast, slow_store, slow = same_outcome(tmp_path, data, monkeypatch)
    try:
        assert fast.status == slow.status == "loaded"
        assert fast.triples == slow.triples
        assert set(fast.timings) == {"parse", "validate", "write"}
        assert canonical(fast_store.graph_triples(GRAPH)) == canonical(slow_store.graph_triples(GRAPH))
        assert fast.report.to_json() == slow.report.to_json()
        assert fast.report.warnings  # the generator leaves events without description
        a, b = catalog.find(fast_store, BASE, GRAPH), catalog.find(slow_store, BASE, GRAPH)
        assert (a.triples, a.sha256, a.licence, a.visibility, a.title) == \
               (b.triples, b.sha256, b.licence, b.visibility, b.title)
        assert fast_store.named_graphs() == slow_store.named_graphs()
    finally:
        fast_store.close()
        slow_store.close()


def test_invalid_data_gives_the_same_report_and_leaves_nothing(tmp_path, monkeypatch):
    data = generated(tmp_path, 6000, 0.2, 3)
    first = (ROOT / "tests" / "data" / "alternatives-v1.ttl").read_bytes()  # context from the store
    fast_store, fast, slow_store, slow = same_outcome(tmp_path, data, monkeypatch, first=first)
    try:
        assert isinstance(fast, InvalidData) and isinstance(slow, InvalidData)
        assert str(fast) == str(slow)
        assert fast.report.violations
        assert fast.report.to_json() == slow.report.to_json()
        # Coordinates out of range are reported with their decimal values as written.
        assert any("latitude" in (r.path or "") for r in fast.report.violations)
        assert GRAPH not in fast_store.named_graphs()
        assert fast_store.graph_size(GRAPH) == 0
        assert catalog.find(fast_store, BASE, GRAPH) is None
        assert fast_store.named_graphs() == slow_store.named_graphs()
    finally:
        fast_store.close()
        slow_store.close()


def test_blank_node_labels_of_two_files_stay_apart(tmp_path, monkeypatch):
    def record(i, name):
        a = f"<{BASE}alternative/blank-{i}>"
        return (f'{a} <{TYPE}> <https://w3id.org/mutu/ns#Alternative> .\n'
                f'{a} <https://schema.org/name> "{name}"@fr .\n'
                f'{a} <https://schema.org/address> _:b0 .\n'
                f'_:b0 <{TYPE}> <https://schema.org/PostalAddress> .\n'
                f'_:b0 <https://schema.org/streetAddress> "Rue {name}" .\n'
                f'_:b0 <https://schema.org/postalCode> "1000" .\n').encode()

    store = open_store(str(tmp_path / "store"))
    try:
        for i, name in enumerate(("Un", "Deux")):
            outcome = pipeline.load(store, BASE, record(i, name), fmt="ntriples",
                                    graph=f"{GRAPH}-{i}", source=f"{i}.nt", licence="CC0-1.0", who="t")
            assert outcome.status == "loaded"
        streets = store.select("SELECT ?a (COUNT(DISTINCT ?street) AS ?n) WHERE { GRAPH ?g { "
                               "?a <https://schema.org/address> ?x } GRAPH ?h { ?x "
                               "<https://schema.org/streetAddress> ?street } } GROUP BY ?a")
        assert len(streets) == 2 and all(int(r["n"].value) == 1 for r in streets)
        # The implied type of the blank-line records is written too.
        assert store.ask(f"ASK {{ GRAPH <{GRAPH}-0> {{ <{BASE}alternative/blank-0> a "
                         "<https://schema.org/Organization> } }")
    finally:
        store.close()


@pytest.mark.parametrize("line, why", [
    ('<{a}> <http://schema.org/name> "Naam"@nl .', "schema.org over http is rewritten"),
    ('<{a}> <\\u0068ttp://schema.org/name> "Naam"@nl .', "an escaped http schema.org IRI"),
    ('<{a}> <https://example.org/members> "12"^^<http://www.w3.org/2001/XMLSchema#int> .',
     "integer-derived datatypes"),
])
def test_inputs_the_fast_path_cannot_take_go_the_general_way(tmp_path, monkeypatch, line, why):
    a = f"{BASE}alternative/odd"
    data = (f'<{a}> <{TYPE}> <https://w3id.org/mutu/ns#Alternative> .\n'
            f'<{a}> <https://schema.org/name> "Autre"@fr .\n' + line.format(a=a) + "\n").encode()
    store, outcome, used = load(tmp_path / "s", data, fast=True, monkeypatch=monkeypatch)
    try:
        assert not used, why
        assert outcome.status == "loaded"
        assert not any("http://schema.org/" in str(t) for t in store.graph_triples(GRAPH))
    finally:
        store.close()


def test_eligibility_is_decided_from_the_bytes():
    store = open_store(":memory:")
    try:
        assert fastload.eligible(store, "ntriples", b'<a:x> <a:y> "caf\\u00e9" .\n', dry_run=False)
        assert not fastload.eligible(store, "turtle", b"<a:x> <a:y> <a:z> .\n", dry_run=False)
        assert not fastload.eligible(store, "ntriples", b"<a:x> <a:y> <http://schema.org/z> .\n", dry_run=False)
    finally:
        store.close()


def test_split_keeps_every_line_once():
    data = (b'<a:x> <a:y> _:b1 .\n<a:x> <a:y> "x" .\n_:b1 <a:y> "q" .\n'
            b'<a:z> <a:y> "no _: here but a literal" .\n<a:z> <a:y> <a:w> .')
    plain, blank = fastload._split_blank_lines(data)
    assert plain == b'<a:x> <a:y> "x" .\n<a:z> <a:y> <a:w> .'
    assert sorted(line for line in blank.split(b"\n") if line) == sorted(
        [b'<a:x> <a:y> _:b1 .', b'_:b1 <a:y> "q" .', b'<a:z> <a:y> "no _: here but a literal" .'])


@pytest.mark.parametrize("data, message", [
    (b"<a:x> <a:y> bad .\n", "ntriples syntax error"),
    (b"# only a comment\n", "holds no triples"),
    (b"\xff\xfe<\x00", "UTF-16"),
])
def test_bad_input_gives_the_general_path_error(tmp_path, monkeypatch, data, message):
    fast_store, fast, slow_store, slow = None, None, None, None
    fast_store, fast, _ = load(tmp_path / "fast", data, fast=True, monkeypatch=monkeypatch)
    slow_store, slow, _ = load(tmp_path / "slow", data, fast=False, monkeypatch=monkeypatch)
    try:
        assert isinstance(fast, InputError) and isinstance(slow, InputError)
        assert message in str(fast)
        assert (str(fast), fast.detail) == (str(slow), slow.detail)
        assert GRAPH not in fast_store.named_graphs()
    finally:
        fast_store.close()
        slow_store.close()


def test_dry_run_validates_without_writing(tmp_path):
    data = generated(tmp_path, 3000, 0.0, 4)
    store = open_store(str(tmp_path / "s"))
    try:
        outcome = pipeline.load(store, BASE, data, fmt="ntriples", graph=GRAPH, source="d.nt",
                                licence="CC0-1.0", who="t", dry_run=True)
        assert outcome.status == "dry-run" and outcome.report.ok
        assert store.graph_size(GRAPH) == 0 and catalog.find(store, BASE, GRAPH) is None
    finally:
        store.close()


def test_one_or_two_evaluation_threads_give_the_same_results(tmp_path, monkeypatch):
    from app.validation import default_shapes

    data = generated(tmp_path, 6000, 0.2, 5)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(shacl_sparql, "_THREADS", threads)
        store = ox.Store()
        store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
        report = shacl_sparql.validate_store(store, default_shapes())
        results.append(report.to_json())
    assert results[0] == results[1]
    assert '"violations": 0' not in results[0]
