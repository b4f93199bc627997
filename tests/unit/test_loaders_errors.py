"""Bad input gets a clear error naming the record or line, and the store is unchanged."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.errors import InputError, InvalidData
from app.store import open_store
from loaders import LoaderOptions, get
from loaders.pipeline import load_with

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders"
MAPPING = tomllib.loads((FIXTURES / "initiatives.toml").read_text("utf-8"))
BASE = "https://mutu.brussels/"


def convert(name, data: bytes, **extra):
    return get(name).convert(data, options=LoaderOptions(source="t", extra=extra, filename=f"in.{name}"))


def test_malformed_ical_names_the_line():
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nthis is not a property\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    with pytest.raises(InputError) as info:
        convert("ical", data)
    assert "line 5" in info.value.message


def test_unbalanced_ical_names_the_line():
    data = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n"
    with pytest.raises(InputError) as info:
        convert("ical", data)
    assert "line 4" in info.value.message and "VEVENT" in info.value.message


def test_ical_bad_date_rejects_that_event_only():
    data = (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:bad\r\nSUMMARY:X\r\nDTSTART:2030XX01\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n")
    result = convert("ical", data, organizer_name="O")
    assert [(r.id, reason) for r, reason in result.rejected][0][0] == "bad"


def test_csv_missing_column_is_named():
    data = "ID;Nom\nx;Y\n".encode()
    with pytest.raises(InputError) as info:
        convert("csv", data, mapping=MAPPING)
    assert "'Naam'" in info.value.message and "line 1" in info.value.message


def test_csv_wrong_delimiter_is_explained():
    text = (FIXTURES / "initiatives.csv").read_text("utf-8").replace(";", ",", 12)
    with pytest.raises(InputError) as info:
        convert("csv", text.encode(), mapping=MAPPING)
    assert "delimiter" in info.value.message


def test_csv_short_row_is_rejected_with_its_line():
    result = convert("csv", (FIXTURES / "initiatives.csv").read_bytes(), mapping=MAPPING)
    assert [(r.number, reason) for r, reason in result.rejected] == [(5, "line 5: 5 fields, the header has 13")]


def test_broken_json_gives_line_and_column():
    data = b'{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature" "properties": {}}\n]}'
    with pytest.raises(InputError) as info:
        convert("geojson", data)
    assert info.value.detail == "line 3, column 22"


@pytest.mark.parametrize("name", ["geojson", "osm", "gogocarto", "kvm", "ical", "csv"])
def test_wrong_encoding_names_the_line(name):
    data = "ID;Nom;Naam\nx;Café\n".encode("latin-1") if name == "csv" else \
        b'{"a": 1,\n "b": "caf\xe9"}' if name != "ical" else b"BEGIN:VCALENDAR\r\nX-A:caf\xe9\r\n"
    with pytest.raises(InputError) as info:
        convert(name, data, mapping={"id": "ID", "columns": {"name": "Nom"}, "delimiter": ";"})
    assert "UTF-8" in info.value.message and "line 2" in info.value.message


def test_oversize_file_is_refused_before_reading(tmp_path):
    from app.pipeline import read_input

    path = tmp_path / "big.geojson"
    with open(path, "wb") as handle:
        handle.truncate(600 * 1024 * 1024)  # sparse: 600 MB on paper, nothing on disk
    with pytest.raises(InputError) as info:
        read_input(str(path), 512 * 1024 * 1024)
    assert "over the limit" in info.value.message


def test_all_or_nothing_by_default_and_store_unchanged(tmp_path):
    store = open_store(str(tmp_path / "store"))
    try:
        data = (FIXTURES / "susy-belgium.geojson").read_bytes()
        options = LoaderOptions(source="susy", filename="susy.geojson")
        with pytest.raises(InvalidData) as info:
            load_with(store, BASE, data, get("geojson"), options, graph=BASE + "graph/susy",
                      source="susy.geojson", licence="PDDL-1.0")
        assert "2 record(s) refused" in info.value.message
        assert "NaHoPra" in "".join(r.label for r, _ in info.value.report.rejected)
        assert store.named_graphs() == set()
        outcome = load_with(store, BASE, data, get("geojson"), LoaderOptions(source="susy"),
                            graph=BASE + "graph/susy", source="susy.geojson", licence="PDDL-1.0",
                            skip_invalid=True)
        assert (outcome.read, outcome.created, len(outcome.rejected)) == (46, 44, 2)
        again = load_with(store, BASE, data, get("geojson"), LoaderOptions(source="susy"),
                          graph=BASE + "graph/susy", source="susy.geojson", skip_invalid=True)
        assert again.status == "unchanged"
    finally:
        store.close()


def test_skip_invalid_drops_records_with_violations(tmp_path):
    store = open_store(str(tmp_path / "store"))
    try:
        data = (FIXTURES / "susy-belgium.geojson").read_bytes()
        # Without the country filter the shapes decide: foreign postal codes are Violations.
        options = LoaderOptions(source="susy", extra={"countries": []})
        outcome = load_with(store, BASE, data, get("geojson"), options, graph=BASE + "graph/susy",
                            source="susy.geojson", licence="PDDL-1.0", skip_invalid=True)
        reasons = {r.label: reason for r, reason in outcome.rejected}
        assert outcome.created == 44 and set(reasons) == {"NaHoPra", "Kostnix Laden Hard"}
        assert all("postal" in reason or "Belgium" in reason or "BE" in reason for reason in reasons.values())
    finally:
        store.close()
