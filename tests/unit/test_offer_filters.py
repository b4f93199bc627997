"""Offer filters (app/offer_filters.py): request strings -> typed terms for feed-offers.rq,
400 (ParameterError naming the parameter) on anything else, hostile strings included."""

from __future__ import annotations

import doctest

import pyoxigraph as ox
import pytest
from werkzeug.datastructures import MultiDict

from app import offer_filters as module
from app.offer_filters import offer_filters
from app.params import ParameterError

BASE = "https://mutu.brussels/"


def test_doctests():
    assert doctest.testmod(module).failed == 0


def test_everything_becomes_a_typed_term():
    f = offer_filters({"type": "request", "kind": "skill", "category": "repair-cafe", "commune": "Ixelles",
                       "q": "Vélo  Cargo", "lat": "50.8466", "lon": "4.3528", "radius": "2.5",
                       "page": "2", "per_page": "5"}, BASE)
    b = f.bindings()
    assert b["type"] == ox.Literal("request") and b["kind"] == ox.Literal("skill")
    assert b["category"] == ox.NamedNode(BASE + "category/repair-cafe")
    assert b["commune"] == ox.Literal("ixelles") and b["q"] == ox.Literal("velo cargo")
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    assert b["lat"] == ox.Literal("50.8466", datatype=decimal) and b["radius"].datatype == decimal
    assert (b["limit"], b["offset"]) == (6, 5)
    assert f.has_point and f.args(page=3)["page"] == "3"


def test_near_a_postcode_or_a_name():
    assert offer_filters({"near": "1060"}, BASE).bindings()["near_postcode"] == ox.Literal("1060")
    assert offer_filters({"near": "Sint-Gillis"}, BASE).bindings()["near_commune"] == ox.Literal("sint-gillis")


@pytest.mark.parametrize("args, parameter", [
    ({"type": "offers"}, "type"), ({"kind": "Room"}, "kind"), ({"kind": "room\" } #"}, "kind"),
    ({"near": "12"}, "near"), ({"near": "<script>"}, "near"), ({"radius": "1"}, "radius"),
    ({"near": "1000", "radius": "101"}, "radius"), ({"near": "1000", "radius": "1e3"}, "radius"),
    ({"lat": "50.8"}, "lon"), ({"lon": "4.3"}, "lat"), ({"lat": "NaN", "lon": "4"}, "lat"),
    ({"lat": "91", "lon": "4"}, "lat"), ({"lat": "50", "lon": "4", "near": "1000"}, "near"),
    ({"category": "javascript:alert(1)"}, "category"), ({"q": "x" * 101}, "q"), ({"page": "0"}, "page"),
    ({"per_page": "201"}, "per_page"), ({"sort": "name"}, "sort"),
])
def test_bad_values_name_their_parameter(args, parameter):
    with pytest.raises(ParameterError) as caught:
        offer_filters(args, BASE)
    assert caught.value.parameter == parameter and caught.value.status == 400


def test_a_parameter_given_twice_is_refused():
    with pytest.raises(ParameterError) as caught:
        offer_filters(MultiDict([("kind", "room"), ("kind", "skill")]), BASE)
    assert caught.value.parameter == "kind"


def test_lang_is_left_to_the_caller():
    assert offer_filters({"lang": "nl"}, BASE, extra=("lang",)).bindings() == {"limit": 21, "offset": 0}
