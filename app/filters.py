"""Filters shared by a list page and its feeds: request args -> typed values, 400 on bad input.

One parser per list (events, alternatives, places). Each returns a frozen dataclass whose
`bindings()` are the typed parameters of the matching named query (queries/events.rq,
queries/alternatives.rq, queries/places.rq), ready for `reading.named(name, **bindings)`,
and whose `args()` are the canonical request args (for "next page" and feed links).

Nothing here builds SPARQL text: values become RDF terms (`ox.NamedNode`, `ox.Literal`) or
integers, and the named queries bind them.

    >>> f = event_filters({"category": "repair-cafe", "from": "2030-01-01"}, "https://mutu.brussels/")
    >>> f.category.value
    'https://mutu.brussels/category/repair-cafe'
    >>> f.args()["from"]
    '2030-01-01'
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping

import pyoxigraph as ox

from .namespaces import XSD
from .params import BRUSSELS, ParameterError

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
POSTCODE = re.compile(r"^[1-9][0-9]{3}$")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200
MAX_PAGE = 10_000
MAX_Q = 100

EVENT_ARGS = ("category", "organizer", "place", "commune", "from", "to", "q", "page", "per_page")
ALTERNATIVE_ARGS = ("q", "category", "commune", "page", "per_page")
PLACE_ARGS = ("category", "commune", "page", "per_page")


def fold(text: str) -> str:
    """Lower-case and strip accents: the form search text is compared in ("Café" -> "cafe").

    Matches the data-side folding written in the named queries (LCASE then a REPLACE per
    accented vowel group), for the letters used in French, Dutch and English.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# -- single values -------------------------------------------------------------------------

def _one(args: Mapping[str, str], name: str) -> str | None:
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else ([args[name]] if name in args else [])
    values = [v for v in values if v is not None and v.strip() != ""]
    if len(values) > 1:
        raise ParameterError(name, "is given more than once")
    if not values:
        return None
    value = values[0].strip()
    if len(value) > 2000:
        raise ParameterError(name, "value is too long")
    return value


def _iri(name: str, raw: str | None) -> ox.NamedNode | None:
    if raw is None:
        return None
    if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", raw):
        raise ParameterError(name, "must be an absolute http(s) IRI")
    return ox.NamedNode(raw)


def _minted(name: str, raw: str | None, base_iri: str, kind: str) -> ox.NamedNode | None:
    """An IRI, or a slug of a resource Mutu mints (category/<slug>, place/<slug>, ...)."""
    if raw is None:
        return None
    if SLUG.match(raw):
        return ox.NamedNode(f"{base_iri}{kind}/{raw}")
    if raw.startswith(("http://", "https://")):
        return _iri(name, raw)
    raise ParameterError(name, f"must be a {kind} slug (lower-case letters, digits, hyphens) "
                         "or an absolute IRI")


def _date(name: str, raw: str | None) -> dt.date | None:
    if raw is None:
        return None
    if raw == "today":
        return dt.datetime.now(BRUSSELS).date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ParameterError(name, "must be a date YYYY-MM-DD") from None


def _int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise ParameterError(name, "must be a whole number")
    value = int(raw)
    if value < low:
        raise ParameterError(name, f"must be at least {low}")
    if value > high:
        raise ParameterError(name, f"must be at most {high}")
    return value


def _midnight(day: dt.date) -> ox.Literal:
    """Start of a day in Brussels as an xsd:dateTime with its offset."""
    moment = dt.datetime.combine(day, dt.time(0), tzinfo=BRUSSELS)
    return ox.Literal(moment.isoformat(timespec="seconds"), datatype=ox.NamedNode(XSD + "dateTime"))


def _string(value: str) -> ox.Literal:
    return ox.Literal(value)


# -- shared pieces -------------------------------------------------------------------------

@dataclass(frozen=True)
class Paging:
    """page (1-based) and per_page; the query fetches one row more to know if a next page exists."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def limit(self) -> int:
        return self.per_page + 1

    def bindings(self) -> dict:
        return {"limit": self.limit, "offset": self.offset}

    def cut(self, rows: list) -> tuple[list, bool]:
        """The rows of this page, and whether a next page exists."""
        return rows[: self.per_page], len(rows) > self.per_page


def paging(args: Mapping[str, str], *, default: int = DEFAULT_PER_PAGE,
           maximum: int = MAX_PER_PAGE) -> Paging:
    """page >= 1 (at most 10000) and 1 <= per_page <= maximum."""
    return Paging(_int("page", _one(args, "page"), 1, 1, MAX_PAGE),
                  _int("per_page", _one(args, "per_page"), default, 1, maximum))


@dataclass(frozen=True)
class Commune:
    """A commune given as a Belgian postal code ("1050") or a name ("Ixelles", "Elsene")."""

    raw: str
    postcode: str | None = None
    name: str | None = None

    def bindings(self) -> dict:
        if self.postcode:
            return {"postcode": _string(self.postcode)}
        return {"commune": _string(fold(self.name or ""))}


def commune(args: Mapping[str, str]) -> Commune | None:
    raw = _one(args, "commune")
    if raw is None:
        return None
    if POSTCODE.match(raw):
        return Commune(raw, postcode=raw)
    if raw.isdigit():
        raise ParameterError("commune", "a postal code has four digits (1000-9999)")
    if len(raw) > 80 or not re.fullmatch(r"[^\x00-\x1f<>]+", raw):
        raise ParameterError("commune", "must be a postal code or a commune name")
    return Commune(raw, name=raw)


def _q(args: Mapping[str, str]) -> str | None:
    raw = _one(args, "q")
    if raw is None:
        return None
    if len(raw) > MAX_Q:
        raise ParameterError("q", f"is longer than {MAX_Q} characters")
    folded = " ".join(fold(raw).split())
    return folded or None


def _unknown(args: Mapping[str, str], known: tuple[str, ...], extra: tuple[str, ...]) -> None:
    for name in args:
        if name not in known and name not in extra:
            raise ParameterError(name, f"is not a filter here (known: {', '.join(known)})")


# -- per list ------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventFilters:
    """Filters of the agenda (/events) and its feeds."""

    category: ox.NamedNode | None = None
    organizer: ox.NamedNode | None = None
    place: ox.NamedNode | None = None
    commune: Commune | None = None
    start: dt.date | None = None  # `from`; None means today
    end: dt.date | None = None  # `to`, inclusive
    q: str | None = None
    paging: Paging = field(default_factory=Paging)
    raw: tuple = ()

    def bindings(self) -> dict:
        """Typed parameters of queries/events.rq."""
        start = self.start or dt.datetime.now(BRUSSELS).date()
        out = {"from": _midnight(start), **self.paging.bindings()}
        if self.end is not None:
            out["to"] = _midnight(self.end + dt.timedelta(days=1))
        for name in ("category", "organizer", "place"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.commune:
            out.update(self.commune.bindings())
        if self.q:
            out["q"] = _string(self.q)
        return out

    def args(self, **changes) -> dict:
        """The canonical request args of these filters (page changes with `page=`)."""
        return _canonical(dict(self.raw), changes)


def event_filters(args: Mapping[str, str], base_iri: str, *, extra: tuple[str, ...] = (),
                  per_page: int = 50) -> EventFilters:
    """Parse the agenda filters; `extra` names args the caller handles itself (e.g. `lang`)."""
    _unknown(args, EVENT_ARGS, extra)
    start = _date("from", _one(args, "from"))
    end = _date("to", _one(args, "to"))
    if start and end and end < start:
        raise ParameterError("to", "is before `from`")
    filters = EventFilters(
        category=_minted("category", _one(args, "category"), base_iri, "category"),
        organizer=_minted("organizer", _one(args, "organizer"), base_iri, "alternative"),
        place=_minted("place", _one(args, "place"), base_iri, "place"),
        commune=commune(args), start=start, end=end, q=_q(args),
        paging=paging(args, default=per_page),
        raw=_raw(args, EVENT_ARGS))
    return filters


@dataclass(frozen=True)
class AlternativeFilters:
    """Filters of /alternatives and its feeds."""

    q: str | None = None
    category: ox.NamedNode | None = None
    commune: Commune | None = None
    paging: Paging = field(default_factory=Paging)
    raw: tuple = ()

    def bindings(self) -> dict:
        """Typed parameters of queries/alternatives.rq."""
        out = dict(self.paging.bindings())
        if self.q:
            out["q"] = _string(self.q)
        if self.category is not None:
            out["category"] = self.category
        if self.commune:
            out.update(self.commune.bindings())
        return out

    def args(self, **changes) -> dict:
        return _canonical(dict(self.raw), changes)


def alternative_filters(args: Mapping[str, str], base_iri: str, *, extra: tuple[str, ...] = (),
                        per_page: int = DEFAULT_PER_PAGE) -> AlternativeFilters:
    _unknown(args, ALTERNATIVE_ARGS, extra)
    return AlternativeFilters(
        q=_q(args), category=_minted("category", _one(args, "category"), base_iri, "category"),
        commune=commune(args), paging=paging(args, default=per_page),
        raw=_raw(args, ALTERNATIVE_ARGS))


@dataclass(frozen=True)
class PlaceFilters:
    """Filters of /places (map and list) and its feeds."""

    category: ox.NamedNode | None = None
    commune: Commune | None = None
    paging: Paging = field(default_factory=Paging)
    raw: tuple = ()

    def bindings(self) -> dict:
        """Typed parameters of queries/places.rq."""
        out = dict(self.paging.bindings())
        if self.category is not None:
            out["category"] = self.category
        if self.commune:
            out.update(self.commune.bindings())
        return out

    def args(self, **changes) -> dict:
        return _canonical(dict(self.raw), changes)


def place_filters(args: Mapping[str, str], base_iri: str, *, extra: tuple[str, ...] = (),
                  per_page: int = 100) -> PlaceFilters:
    _unknown(args, PLACE_ARGS, extra)
    return PlaceFilters(
        category=_minted("category", _one(args, "category"), base_iri, "category"),
        commune=commune(args), paging=paging(args, default=per_page),
        raw=_raw(args, PLACE_ARGS))


def _raw(args: Mapping[str, str], names: tuple[str, ...]) -> tuple:
    return tuple((n, _one(args, n)) for n in names if _one(args, n) is not None)


def _canonical(raw: dict, changes: dict) -> dict:
    out = {**raw, **{k: str(v) for k, v in changes.items() if v is not None}}
    if out.get("page") == "1":
        del out["page"]
    return out
