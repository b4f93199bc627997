"""Named SPARQL queries kept as queries/*.rq files, checked at start-up, bound with typed terms.

A file starts with `#+ ` header lines in TOML:

    #+ title = "Upcoming events"
    #+ description = "..."
    #+ [params]
    #+ from = { type = "dateTime", default = "now", description = "..." }
    #+ limit = { type = "integer", default = 50, min = 1, max = 500 }

Term parameters (iri, string, language, date, dateTime, decimal, boolean) are bound by a
`VALUES` block that replaces each `#@bind` line, written from the terms' N-Triples form, so a
value can reach inside sub-selects (pyoxigraph's own substitution only binds projected,
top-level variables). An absent optional parameter is left unbound (UNDEF). Integer
parameters fill `{{name}}` placeholders (LIMIT, OFFSET) with the parsed integer.
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pyoxigraph as ox

from .errors import NotFound
from .params import TYPES, ParameterError, parse_value
from .resources import files

_PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")
_BIND_LINE = re.compile(r"^[ \t]*#@bind[ \t]*$", re.M)


class QueryFileError(ValueError):
    """A named query file that is malformed; the message names the file."""


@dataclass(frozen=True)
class Param:
    """One declared parameter of a named query."""

    name: str
    type: str
    default: object = None
    required: bool = False
    minimum: object = None
    maximum: object = None
    choices: tuple | None = None
    description: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """A named query: its metadata, parameters and SPARQL text."""

    name: str
    title: str
    description: str
    params: dict = field(default_factory=dict)
    text: str = ""
    path: str = ""

    def parse_params(self, raw: Mapping[str, str]) -> dict:
        """Raw request strings -> typed values; defaults applied; unknown names refused."""
        unknown = sorted(set(raw) - set(self.params))
        if unknown:
            raise ParameterError(unknown[0], f"is not a parameter of query {self.name!r} "
                                 f"(known: {', '.join(self.params) or 'none'})")
        values = {}
        for name, param in self.params.items():
            value = raw.get(name)
            if value is None or value == "":
                if param.default is None:
                    if param.required:
                        raise ParameterError(name, "is required")
                    continue
                value = str(param.default)
            values[name] = parse_value(name, param.type, value, minimum=param.minimum,
                                       maximum=param.maximum, choices=param.choices)
        return values

    def sparql(self, values: Mapping[str, object]) -> str:
        """The query text with integers in their placeholders and terms in VALUES blocks."""
        def integer(match):
            value = values.get(match.group(1))
            if not isinstance(value, int) or isinstance(value, bool):
                raise ParameterError(match.group(1), "needs an integer value")
            return str(int(value))

        text = _PLACEHOLDER.sub(integer, self.text)
        terms = {k: v for k, v in values.items() if self.params[k].type != "integer"}
        if not terms and not _BIND_LINE.search(text):
            return text
        names = [n for n, p in self.params.items() if p.type != "integer"]
        row = " ".join(str(terms[n]) if n in terms else "UNDEF" for n in names)
        block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}" if names else ""
        return _BIND_LINE.sub(lambda _: block, text)


def parse_file(path: Path) -> NamedQuery:
    """Read and check one .rq file (header, parameters, placeholders, SPARQL syntax)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QueryFileError(f"{path}: cannot read: {error}") from None
    header = "\n".join(line[3:] if line.startswith("#+ ") else line[2:]
                       for line in text.splitlines() if line.startswith("#+"))
    try:
        meta = tomllib.loads(header)
    except tomllib.TOMLDecodeError as error:
        raise QueryFileError(f"{path}: bad #+ header: {error}") from None
    if "title" not in meta:
        raise QueryFileError(f"{path}: the #+ header needs a title")
    params = {}
    for name, spec in (meta.get("params") or {}).items():
        if isinstance(spec, str):
            spec = {"type": spec}
        ptype = spec.get("type")
        if ptype not in TYPES:
            raise QueryFileError(f"{path}: parameter {name!r} has unknown type {ptype!r} "
                                 f"(use one of {', '.join(TYPES)})")
        choices = spec.get("choices")
        params[name] = Param(name, ptype, spec.get("default"), bool(spec.get("required", False)),
                             spec.get("min"), spec.get("max"), tuple(choices) if choices else None,
                             spec.get("description", ""))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#+"))
    query = NamedQuery(path.stem, meta["title"], meta.get("description", ""), params, body, str(path))
    placeholders = set(_PLACEHOLDER.findall(body))
    for name in placeholders:
        if name not in params or params[name].type != "integer":
            raise QueryFileError(f"{path}: placeholder {{{{{name}}}}} needs an integer parameter")
    term_params = [p for p in params.values() if p.type != "integer"]
    if term_params and not _BIND_LINE.search(body):
        raise QueryFileError(f"{path}: term parameters need a `#@bind` line where they are bound")
    for p in term_params:
        if not re.search(rf"[?$]{p.name}\b", body):
            raise QueryFileError(f"{path}: parameter {p.name!r} is not used in the query")
    for p in params.values():
        if p.type == "integer" and p.name not in placeholders:
            raise QueryFileError(f"{path}: integer parameter {p.name!r} has no {{{{{p.name}}}}} placeholder")
    sample = {}
    try:
        for p in params.values():
            if p.default is not None:
                sample[p.name] = parse_value(p.name, p.type, str(p.default), minimum=p.minimum,
                                             maximum=p.maximum, choices=p.choices)
            elif p.type == "integer":
                sample[p.name] = p.minimum if p.minimum is not None else 1
        ox.Store().query(query.sparql(sample))
    except ParameterError as error:
        raise QueryFileError(f"{path}: bad default: {error.message}") from None
    except SyntaxError as error:
        raise QueryFileError(f"{path}: SPARQL syntax error: {error}") from None
    return query


_lock = threading.Lock()
_registry: dict[str, NamedQuery] | None = None


def registry(reload: bool = False) -> dict[str, NamedQuery]:
    """Every named query in queries/, parsed and checked once."""
    global _registry
    with _lock:
        if _registry is None or reload:
            _registry = {q.name: q for q in (parse_file(p) for p in files("queries", "*.rq"))}
        return _registry


def get(name: str) -> NamedQuery:
    """One named query by name, or NotFound."""
    query = registry().get(name)
    if query is None:
        raise NotFound(f"no named query {name!r}")
    return query
