"""Theme parameters of the widgets: strict parsing, hostile strings refused, contrast checked."""

from __future__ import annotations

import doctest
import re

import pytest
from werkzeug.datastructures import MultiDict

from app import widget_theme
from app.params import ParameterError
from app.widget_theme import HEX, Theme, contrast, theme


def test_doctests():
    assert doctest.testmod(widget_theme).failed == 0


def test_defaults():
    look = theme({})
    assert look == Theme()
    assert look.n == 10 and not look.compact and look.font == "system"
    assert theme({}, default_n=50).n == 50


@pytest.mark.parametrize("raw, expected", [("2f6f4f", "#2f6f4f"), ("#2F6F4F", "#2f6f4f"),
                                            ("06c", "#0066cc"), ("#A00", "#aa0000")])
def test_colours_are_normalised(raw, expected):
    assert theme({"accent": raw}).accent == expected


HOSTILE = ["red", "#ff00", "#ff00000", "fff;}body{background:url(//evil)}", "fff</style><script>alert(1)</script>",
           "expression(alert(1))", "#ggg", " 3a3a3a", "3a3a3a\n", "var(--x)", "#2f6f4f !important", ""]


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize("name", ["accent", "bg", "text"])
def test_hostile_colours_are_refused_naming_the_parameter(name, raw):
    with pytest.raises(ParameterError) as caught:
        theme({name: raw})
    assert caught.value.status == 400
    assert f"parameter '{name}'" in caught.value.message
    assert raw.strip() == "" or raw not in caught.value.message


def test_only_validated_values_reach_the_css():
    css = theme({"accent": "A00", "bg": "fffff0", "text": "#000", "font": "serif"}).css()
    assert css.startswith(":root{") and css.endswith("}")
    assert "--mutu-accent:#aa0000;" in css and "--mutu-bg:#fffff0;" in css and "--mutu-text:#000000;" in css
    assert "Georgia" in css
    # Nothing that HTML autoescaping would change (entities are not decoded inside <style>).
    for font in ("system", "serif"):
        assert re.fullmatch(r"[\w#:;,. {}()-]+", theme({"font": font}).css())
    for value in (theme({"accent": "A00"}).accent, theme({"bg": "fffff0"}).bg):
        assert HEX.fullmatch(value)


def test_contrast_ratio():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("args, name", [({"text": "999999"}, "text"), ({"bg": "000000"}, "text"),
                                        ({"accent": "ffff00"}, "accent"),
                                        ({"bg": "222", "text": "fff", "accent": "333"}, "accent")])
def test_unreadable_combinations_are_refused(args, name):
    with pytest.raises(ParameterError) as caught:
        theme(args)
    assert f"parameter '{name}'" in caught.value.message and "4.5:1" in caught.value.message


def test_dark_theme_is_fine():
    look = theme({"bg": "1d1d1d", "text": "f5f5f5", "accent": "8fd19e"})
    assert look.bg == "#1d1d1d"


@pytest.mark.parametrize("args, name", [
    ({"font": "comic"}, "font"), ({"font": "Georgia; color:red"}, "font"),
    ({"lang": "de"}, "lang"), ({"lang": "FR"}, "lang"),
    ({"n": "0"}, "n"), ({"n": "51"}, "n"), ({"n": "-1"}, "n"), ({"n": "1e3"}, "n"), ({"n": "abc"}, "n"),
    ({"n": "0010000"}, "n"),
    ({"compact": "yes"}, "compact"), ({"compact": "2"}, "compact"),
])
def test_bad_values_are_refused(args, name):
    with pytest.raises(ParameterError) as caught:
        theme(args)
    assert caught.value.parameter == name


def test_repeated_parameter_is_refused():
    with pytest.raises(ParameterError) as caught:
        theme(MultiDict([("accent", "000"), ("accent", "111")]))
    assert "more than once" in caught.value.message


def test_good_values():
    look = theme({"font": "serif", "lang": "nl", "n": "50", "compact": "1"})
    assert (look.font, look.n, look.compact) == ("serif", 50, True)
    assert theme({"n": "1", "compact": "0"}).n == 1 and not theme({"compact": "0"}).compact
