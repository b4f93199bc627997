"""Filters of /offers and its feeds: request args -> typed values of queries/feed-offers.rq.

    >>> f = offer_filters({"type": "offer", "kind": "room", "near": "1050", "radius": "3"},
    ...                   "https://mutu.brussels/")
    >>> sorted(k for k in f.bindings() if k not in ("limit", "offset"))
    ['kind', 'near_postcode', 'radius', 'type']
    >>> f.bindings()["radius"].value
    '3'

Nothing here builds SPARQL text: values become RDF terms (the query binds them) or integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import pyoxigraph as ox

from . import filters
from .namespaces import XSD
from .params import ParameterError

TYPES = ("offer", "request")
KINDS = ("skill", "service", "room", "equipment")
CONDITIONS = ("free", "exchange", "paid")
OFFER_ARGS = ("type", "kind", "category", "commune", "q", "near", "lat", "lon", "radius", "page", "per_page")
MAX_RADIUS_KM = 100
_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(\.\d{1,12})?)$")


def _choice(args: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = filters._one(args, name)
    if raw is None:
        return None
    if raw not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}")
    return raw


def _decimal(args: Mapping[str, str], name: str, low: float, high: float) -> ox.Literal | None:
    raw = filters._one(args, name)
    if raw is None:
        return None
    if not _DECIMAL.match(raw):
        raise ParameterError(name, "must be a decimal number such as 50.8466")
    if not low <= float(raw) <= high:
        raise ParameterError(name, f"must be between {low:g} and {high:g}")
    return ox.Literal(raw, datatype=ox.NamedNode(XSD + "decimal"))


@dataclass(frozen=True)
class OfferFilters:
    """Filters of /offers and its feeds."""

    type: str | None = None
    kind: str | None = None
    category: ox.NamedNode | None = None
    commune: filters.Commune | None = None
    q: str | None = None
    near: filters.Commune | None = None
    lat: ox.Literal | None = None
    lon: ox.Literal | None = None
    radius: ox.Literal | None = None
    paging: filters.Paging = field(default_factory=filters.Paging)
    raw: tuple = ()

    @property
    def has_point(self) -> bool:
        return self.near is not None or self.lat is not None

    def bindings(self) -> dict:
        """Typed parameters of queries/feed-offers.rq."""
        out = dict(self.paging.bindings())
        for name in ("type", "kind", "q"):
            if getattr(self, name):
                out[name] = ox.Literal(getattr(self, name))
        if self.category is not None:
            out["category"] = self.category
        if self.commune:
            out.update(self.commune.bindings())
        if self.near:
            out.update({"near_" + k: v for k, v in self.near.bindings().items()})
        for name in ("lat", "lon", "radius"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    def args(self, **changes) -> dict:
        """The canonical request args of these filters (page changes with `page=`)."""
        return filters._canonical(dict(self.raw), changes)


def offer_filters(args: Mapping[str, str], base_iri: str, *, extra: tuple[str, ...] = (),
                  per_page: int = filters.DEFAULT_PER_PAGE) -> OfferFilters:
    """Parse the offer filters (400 on bad input); `extra` names args the caller handles itself."""
    filters._unknown(args, OFFER_ARGS, extra)
    near_args = {"commune": filters._one(args, "near")} if filters._one(args, "near") else {}
    try:
        near = filters.commune(near_args)
    except ParameterError as error:
        raise ParameterError("near", error.message.split(": ", 1)[-1]) from None
    lat = _decimal(args, "lat", -90, 90)
    lon = _decimal(args, "lon", -180, 180)
    if (lat is None) != (lon is None):
        raise ParameterError("lat" if lat is None else "lon", "lat and lon go together")
    if near is not None and lat is not None:
        raise ParameterError("near", "give either near (a commune) or lat and lon, not both")
    radius = _decimal(args, "radius", 0, MAX_RADIUS_KM)
    if radius is not None and near is None and lat is None:
        raise ParameterError("radius", "needs a point: near (a commune or postal code) or lat and lon")
    return OfferFilters(
        type=_choice(args, "type", TYPES), kind=_choice(args, "kind", KINDS),
        category=filters._minted("category", filters._one(args, "category"), base_iri, "category"),
        commune=filters.commune(args), q=filters._q(args), near=near, lat=lat, lon=lon,
        radius=radius, paging=filters.paging(args, default=per_page),
        raw=filters._raw(args, OFFER_ARGS))
