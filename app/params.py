"""Request strings -> typed RDF terms. Nothing a client sends reaches SPARQL as text."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pyoxigraph as ox

from .errors import BadRequest
from .namespaces import XSD

BRUSSELS = ZoneInfo("Europe/Brussels")
TYPES = ("iri", "string", "langstring", "language", "date", "dateTime", "integer", "decimal", "boolean")
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class ParameterError(BadRequest):
    """A parameter value that does not fit its declared type; names the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(f"parameter {name!r}: {message}")
        self.parameter = name


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def parse_value(name: str, type_: str, raw: str, *, minimum=None, maximum=None, choices=None,
                now: dt.datetime | None = None):
    """Parse one raw string into the RDF term (or Python int for paging) its type declares."""
    raw = raw.strip()
    if len(raw) > 2000:
        raise ParameterError(name, "value is too long")
    if choices is not None and raw not in choices:
        raise ParameterError(name, f"must be one of {', '.join(map(str, choices))}")
    if type_ == "iri":
        if not _SCHEME.match(raw):
            raise ParameterError(name, "must be an absolute IRI")
        try:
            return ox.NamedNode(raw)
        except ValueError:
            raise ParameterError(name, "is not a valid IRI") from None
    if type_ == "string":
        return ox.Literal(raw)
    if type_ == "langstring":
        text, at, tag = raw.rpartition("@")
        if not at or not _LANGUAGE.match(tag):
            raise ParameterError(name, "must be text with a language tag, such as Repair Café@fr")
        return ox.Literal(text, language=tag.lower())
    if type_ == "language":
        if not _LANGUAGE.match(raw):
            raise ParameterError(name, "must be a language tag such as fr, nl or en")
        return ox.Literal(raw.lower())
    if type_ == "date":
        if raw == "today":
            return _typed((now or dt.datetime.now(BRUSSELS)).date().isoformat(), "date")
        try:
            return _typed(dt.date.fromisoformat(raw).isoformat(), "date")
        except ValueError:
            raise ParameterError(name, "must be a date YYYY-MM-DD") from None
    if type_ == "dateTime":
        if raw == "now":
            moment = now or dt.datetime.now(BRUSSELS)
        else:
            try:
                moment = dt.datetime.fromisoformat(raw)
            except ValueError:
                raise ParameterError(name, "must be a date or date-time (ISO 8601)") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=BRUSSELS)
        return _typed(moment.isoformat(timespec="seconds"), "dateTime")
    if type_ == "integer":
        try:
            number = int(raw)
        except ValueError:
            raise ParameterError(name, "must be an integer") from None
        if minimum is not None and number < minimum:
            raise ParameterError(name, f"must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise ParameterError(name, f"must be at most {maximum}")
        return number
    if type_ == "decimal":
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", raw):
            raise ParameterError(name, "must be a decimal number")
        number = float(raw)
        if minimum is not None and number < minimum:
            raise ParameterError(name, f"must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise ParameterError(name, f"must be at most {maximum}")
        return _typed(raw, "decimal")
    if type_ == "boolean":
        if raw.lower() in ("true", "1", "yes", "on"):
            return _typed("true", "boolean")
        if raw.lower() in ("false", "0", "no", "off"):
            return _typed("false", "boolean")
        raise ParameterError(name, "must be true or false")
    raise ValueError(f"unknown parameter type {type_!r}")
