"""`mutu load` through loaders, `mutu loaders`, `mutu sources`, `mutu link` (in process)."""

from __future__ import annotations

from pathlib import Path

from app.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders"


def test_loaders_lists_every_loader(capsys):
    assert main(["--store", ":memory:", "loaders"]) == 0
    names = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["rdf", "ical", "csv", "geojson", "osm", "gogocarto", "kvm", "documents"]


def test_load_dry_run_prints_a_summary_and_writes_nothing(tmp_path, capsys):
    store = str(tmp_path / "store")
    code = main(["--store", store, "load", str(FIXTURES / "overpass.json"), "--licence", "ODbL-1.0",
                 "--skip-invalid", "--dry-run"])
    out = capsys.readouterr()
    assert code == 0
    assert "osm: 4 record(s) read, 3 created, 1 rejected" in out.err
    assert "node/5566\tRecyclerie parisienne\tcoordinates 48.8566, 2.3522 are outside Belgium" in out.out
    assert main(["--store", store, "graphs"]) == 0
    assert "overpass" not in capsys.readouterr().out


def test_load_without_skip_invalid_refuses_and_exits_1(tmp_path, capsys):
    code = main(["--store", str(tmp_path / "store"), "load", str(FIXTURES / "kvm.json"),
                 "--licence", "CC0-1.0"])
    out = capsys.readouterr()
    assert code == 1 and "3\taa00\tan event entry" in out.out and "nothing was loaded" in out.err


def test_csv_needs_its_mapping(tmp_path, capsys):
    code = main(["--store", str(tmp_path / "store"), "load", str(FIXTURES / "initiatives.csv"),
                 "--licence", "CC0-1.0"])
    assert code == 2 and "--mapping" in capsys.readouterr().err


def test_load_skip_invalid_report_then_link(tmp_path, capsys):
    store = str(tmp_path / "store")
    report = tmp_path / "rejected.tsv"
    code = main(["--store", store, "load", str(FIXTURES / "susy-belgium.geojson"), "--graph",
                 "https://mutu.brussels/graph/susy", "--licence", "PDDL-1.0", "--skip-invalid",
                 "--report", str(report)])
    assert code == 0
    assert report.read_text().splitlines()[1].startswith("45\t76100b453de20da6744eac8670053828\tNaHoPra\t")
    capsys.readouterr()
    assert main(["--store", store, "link"]) == 0
    out = capsys.readouterr()
    assert len(out.out.splitlines()) == 6 and "written to https://mutu.brussels/graph/links" in out.err


def test_sources_shows_state(tmp_path, capsys):
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.kvm]\npath = "kvm.json"\nlicence = "CC0-1.0"\nrefresh = "6h"\n')
    assert main(["--store", str(tmp_path / "store"), "sources", "--sources", str(sources)]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith("kvm\tNone\thttps://mutu.brussels/graph/kvm\t6h\t-\t-\tnever")
