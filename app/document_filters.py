"""Filters of /resources and its feeds: request args -> typed values of queries/documents.rq.

    >>> f = document_filters({"licence": "cc-by-sa-4.0", "language": "NL"}, "https://mutu.brussels/")
    >>> f.licence.value, f.language
    ('https://creativecommons.org/licenses/by-sa/4.0/', 'nl')

Bad values are a ParameterError (HTTP 400) naming the parameter; nothing here writes SPARQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import pyoxigraph as ox

from .filters import Paging, _canonical, _minted, _one, _q, _raw, _unknown, paging
from .namespaces import KNOWN_LICENCES, licence_iri
from .params import ParameterError

DOCUMENT_ARGS = ("q", "category", "language", "licence", "author", "page", "per_page")
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")


@dataclass(frozen=True)
class DocumentFilters:
    """Filters of /resources, /resources.atom and /resources.csv."""

    q: str | None = None
    category: ox.NamedNode | None = None
    language: str | None = None
    licence: ox.NamedNode | None = None
    author: ox.NamedNode | None = None
    paging: Paging = field(default_factory=Paging)
    raw: tuple = ()

    def bindings(self) -> dict:
        """Typed parameters of queries/documents.rq and queries/feed-documents.rq."""
        out = dict(self.paging.bindings())
        if self.q:
            out["q"] = ox.Literal(self.q)
        if self.language:
            out["language"] = ox.Literal(self.language)
        for name in ("category", "licence", "author"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    def args(self, **changes) -> dict:
        """The canonical request args of these filters (page changes with `page=`)."""
        return _canonical(dict(self.raw), changes)


def _language(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not LANGUAGE_TAG.match(raw):
        raise ParameterError("language", "must be a language tag such as fr, nl, en or nl-BE")
    return raw.lower()


def _licence(raw: str | None) -> ox.NamedNode | None:
    if raw is None:
        return None
    iri = licence_iri(raw)
    if iri is None:
        raise ParameterError("licence", "must be a known licence: " + ", ".join(KNOWN_LICENCES.values())
                             + " (or its IRI)")
    return ox.NamedNode(iri)


def document_filters(args: Mapping[str, str], base_iri: str, *, extra: tuple[str, ...] = (),
                     per_page: int = 20) -> DocumentFilters:
    """Parse the /resources filters; `extra` names args the caller handles itself (e.g. `lang`)."""
    _unknown(args, DOCUMENT_ARGS, extra)
    return DocumentFilters(
        q=_q(args), category=_minted("category", _one(args, "category"), base_iri, "category"),
        language=_language(_one(args, "language")), licence=_licence(_one(args, "licence")),
        author=_minted("author", _one(args, "author"), base_iri, "alternative"),
        paging=paging(args, default=per_page), raw=_raw(args, DOCUMENT_ARGS))
