"""app.params: request strings -> typed RDF terms; hostile input is refused or stays a value."""

import datetime as dt

import pyoxigraph as ox
import pytest

from app.params import BRUSSELS, TYPES, ParameterError, parse_value

XSD = "http://www.w3.org/2001/XMLSchema#"
HOSTILE = [
    '"', "'", '" } ; DROP ALL ; #', "> } ; DROP GRAPH <x>", "\\", "\n", "a\nb\r\nc",
    '""" ; DELETE WHERE { ?s ?p ?o } #', "?from", "$x", "{{limit}}", "#@bind",
    "Café ☕ 🚲 Ελληνικά 日本語", "\u202e\u0000", "<script>alert(1)</script>",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_strings_stay_one_literal(raw):
    term = parse_value("q", "string", raw)
    assert isinstance(term, ox.Literal)
    assert term.value == raw.strip()
    # The N-Triples form (what the VALUES block carries) parses back to the same term.
    store = ox.Store()
    rows = list(store.query(f"SELECT ?x WHERE {{ VALUES ?x {{ {term} }} }}"))
    assert rows[0]["x"] == term


@pytest.mark.parametrize("raw", ["> } ; DROP ALL", "http://x/a b", "http://x/<y>", 'http://x/"',
                                 "not an iri", "/relative", "", "http://x/\na"])
def test_bad_iris_are_refused_naming_the_parameter(raw):
    with pytest.raises(ParameterError) as error:
        parse_value("place", "iri", raw)
    assert "'place'" in error.value.message and error.value.status == 400


def test_good_iri():
    assert parse_value("p", "iri", " https://mutu.brussels/place/x ") == ox.NamedNode("https://mutu.brussels/place/x")


@pytest.mark.parametrize("raw", ["2030-13-01", "2030-02-30", "30/01/2030", "2030-01-01'; DROP", "tomorrow",
                                 "9" * 30, "2030-01-01\n} DROP ALL"])
def test_bad_dates(raw):
    with pytest.raises(ParameterError, match="'from'"):
        parse_value("from", "date", raw)


def test_dates_and_datetimes():
    assert parse_value("d", "date", "2030-01-18") == ox.Literal("2030-01-18", datatype=ox.NamedNode(XSD + "date"))
    # A local time is Brussels time, with its offset of that day (winter +01:00, summer +02:00).
    winter = parse_value("t", "dateTime", "2030-01-18T14:00")
    summer = parse_value("t", "dateTime", "2030-07-18T14:00")
    assert winter.value == "2030-01-18T14:00:00+01:00" and summer.value == "2030-07-18T14:00:00+02:00"
    assert winter.datatype == ox.NamedNode(XSD + "dateTime")
    now = dt.datetime(2030, 3, 1, 12, 0, tzinfo=BRUSSELS)
    assert parse_value("t", "dateTime", "now", now=now).value == "2030-03-01T12:00:00+01:00"
    assert parse_value("d", "date", "today", now=now).value == "2030-03-01"
    with pytest.raises(ParameterError, match="'t'"):
        parse_value("t", "dateTime", "2030-01-18T25:00")


@pytest.mark.parametrize("raw", ["1e3", "0x10", "1.5", "", "-", "1 2", "１２"])
def test_bad_integers(raw):
    if raw == "１２":  # full-width digits: Python's int() reads them; they are still a number
        assert parse_value("limit", "integer", raw) == 12
        return
    with pytest.raises(ParameterError, match="'limit'"):
        parse_value("limit", "integer", raw)


def test_integer_bounds_and_huge_values():
    assert parse_value("limit", "integer", "50", minimum=1, maximum=500) == 50
    with pytest.raises(ParameterError, match="at most 500"):
        parse_value("limit", "integer", "9" * 100, minimum=1, maximum=500)
    with pytest.raises(ParameterError, match="at least 1"):
        parse_value("limit", "integer", "0", minimum=1)
    with pytest.raises(ParameterError, match="too long"):
        parse_value("q", "string", "x" * 5000)


def test_decimal_boolean_language_choices():
    assert parse_value("lat", "decimal", "50.85") == ox.Literal("50.85", datatype=ox.NamedNode(XSD + "decimal"))
    for raw in ("NaN", "1e400", "50,85", "50.8'"):
        with pytest.raises(ParameterError, match="'lat'"):
            parse_value("lat", "decimal", raw)
    assert parse_value("free", "boolean", "YES").value == "true"
    with pytest.raises(ParameterError, match="'free'"):
        parse_value("free", "boolean", "maybe")
    assert parse_value("lang", "language", "NL").value == "nl"
    with pytest.raises(ParameterError, match="'lang'"):
        parse_value("lang", "language", 'fr" . ?s ?p ?o')
    with pytest.raises(ParameterError, match="one of fr, nl"):
        parse_value("lang", "string", "de", choices=("fr", "nl", "en"))


def test_langstring():
    assert parse_value("name", "langstring", "Repair Café@FR") == ox.Literal("Repair Café", language="fr")
    assert parse_value("name", "langstring", "a@b@nl") == ox.Literal("a@b", language="nl")
    for raw in ("no tag", "x@", 'x@fr" . ?s ?p ?o'):
        with pytest.raises(ParameterError, match="'name'"):
            parse_value("name", "langstring", raw)


def test_every_type_is_handled():
    samples = {"iri": "https://x.org/", "string": "x", "langstring": "x@fr", "language": "fr",
               "date": "2030-01-01", "dateTime": "2030-01-01T00:00:00Z", "integer": "1",
               "decimal": "1.0", "boolean": "true"}
    for type_ in TYPES:
        try:
            parse_value("p", type_, samples[type_])
        except ValueError as error:  # a declared type without a parser would be a bug
            pytest.fail(f"type {type_}: {error}")


def test_csv_cells_never_run_as_spreadsheet_formulas():
    from app.feed_formats import spreadsheet_safe

    assert spreadsheet_safe('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("+1+cmd|' /C calc'!A0") == "'+1+cmd|' /C calc'!A0"
    assert spreadsheet_safe("-2+3") == "'-2+3"  # a formula
    assert spreadsheet_safe("-4.35") == "-4.35"  # a number stays a value
    assert spreadsheet_safe("+32 2 555 00 00") == "+32 2 555 00 00"
    assert spreadsheet_safe("Repair Café") == "Repair Café"
    assert spreadsheet_safe(50.84) == 50.84
