"""A small SPARQL lexer: what the protocol layer needs to know about a query without parsing it.

The endpoint must know a query's FROM / FROM NAMED graphs to restrict them to what the
reader may see, and whether a text is a query or an update. A full parse (rdflib) costs
milliseconds to seconds; this lexer costs microseconds. It only has to tokenise correctly:
anything inside strings, IRIs and comments is skipped, so `"FROM <x>"` or `# FROM <x>`
never counts. Syntax errors are left to the store's parser, which reports them properly.

Escapes follow pyoxigraph's parser: `\\uXXXX` / `\\UXXXXXXXX` are decoded inside IRIs
(and strings) only, not across the whole text.
"""

from __future__ import annotations

import re

# One alternation, tried in order at each position. Long strings before short ones.
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
             |\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
             |'(?:[^'\\\n\r]|\\.)*(?:'|\Z)
             |"(?:[^"\\\n\r]|\\.)*(?:"|\Z))
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*(?:\\[uU][0-9A-Fa-f]+[^<>"{}|^`\\\x00-\x20]*)*>)
  | (?P<pname>(?:[^\W\d_](?:[\w.\-]*[\w\-])?)?:
               (?:(?:[\w:]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])
                  (?:(?:[\w.:\-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])*
                     (?:[\w:\-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%]))?)?)
  | (?P<var>[?$]\w+)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PLX_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")

QUERY_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
UPDATE_FORMS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}


def tokens(text: str):
    """Yield (kind, text) for every significant token: whitespace and comments are dropped."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind not in ("ws", "comment"):
            yield kind, match.group()


def _iri_value(token: str) -> str:
    """The IRI inside `<...>`, with \\u escapes decoded."""
    return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token[1:-1])


def resolve(reference: str, base: str | None) -> str:
    """Resolve an IRI reference against a base IRI (RFC 3986, section 5.2)."""
    if base is None or _SCHEME.match(reference):
        return _remove_dots_if_absolute(reference)
    b_scheme, b_auth, b_path, b_query, _ = _split(base)
    _, r_auth, r_path, r_query, r_frag = _split(reference)
    if r_auth is not None:
        auth, path, query = r_auth, _remove_dot_segments(r_path), r_query
    elif r_path == "":
        auth, path = b_auth, b_path
        query = r_query if r_query is not None else b_query
    else:
        auth, query = b_auth, r_query
        if r_path.startswith("/"):
            path = _remove_dot_segments(r_path)
        else:
            if b_auth is not None and b_path == "":
                merged = "/" + r_path
            else:
                merged = b_path[:b_path.rfind("/") + 1] + r_path
            path = _remove_dot_segments(merged)
    out = b_scheme + ":"
    if auth is not None:
        out += "//" + auth
    out += path
    if query is not None:
        out += "?" + query
    if r_frag is not None:
        out += "#" + r_frag
    return out


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_PARTS = re.compile(r"^(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$",
                    re.DOTALL)


def _split(iri: str):
    return _PARTS.match(iri).groups()


def _remove_dots_if_absolute(iri: str) -> str:
    scheme, auth, path, query, frag = _split(iri)
    if scheme is None or "." not in path:
        return iri
    out = scheme + ":" + ("//" + auth if auth is not None else "") + _remove_dot_segments(path)
    return out + ("?" + query if query is not None else "") + ("#" + frag if frag is not None else "")


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if output:
                output.pop()
        elif path == "/..":
            path = "/"
            if output:
                output.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            end = len(path) if end < 0 else end
            output.append(path[:end])
            path = path[end:]
    return "".join(output)


def dataset_clauses(query: str, *, base_iri: str | None = None) -> tuple[list[str], list[str]]:
    """IRIs of the query's FROM and FROM NAMED clauses, resolved against BASE and PREFIX.

    Only clauses at the top level (outside any `{ }`) count: that is where SPARQL allows
    them. An IRI that cannot be resolved (unknown prefix) is skipped; the store's parser
    will reject that query anyway.
    """
    base = base_iri
    prefixes: dict[str, str] = {}
    from_graphs: list[str] = []
    from_named: list[str] = []
    depth = 0
    pending: str | None = None  # "base", "prefix", "prefix-iri", "from", "from-named"
    prefix_name = ""
    for kind, text in tokens(query):
        if kind == "other":
            if text == "{":
                depth += 1
            elif text == "}":
                depth = max(0, depth - 1)
            pending = None
            continue
        if kind == "word":
            upper = text.upper()
            if pending == "from" and upper == "NAMED":
                pending = "from-named"
            elif depth == 0 and upper == "BASE":
                pending = "base"
            elif depth == 0 and upper == "PREFIX":
                pending = "prefix"
            elif depth == 0 and upper == "FROM":
                pending = "from"
            else:
                pending = None
            continue
        if pending == "prefix" and kind == "pname" and text.endswith(":"):
            prefix_name, pending = text[:-1], "prefix-iri"
            continue
        iri = None
        if kind == "iri":
            iri = resolve(_iri_value(text), base)
        elif kind == "pname":
            name, _, local = text.partition(":")
            if name in prefixes:
                iri = prefixes[name] + _PLX_ESCAPE.sub(r"\1", local)
        if iri is not None:
            if pending == "base" and kind == "iri":
                base = iri
            elif pending == "prefix-iri" and kind == "iri":
                prefixes[prefix_name] = iri
            elif pending == "from":
                from_graphs.append(iri)
            elif pending == "from-named":
                from_named.append(iri)
        pending = None
    return from_graphs, from_named


def operation_kind(text: str) -> str | None:
    """"query" or "update" from the first keyword after the prologue, or None if neither."""
    pending_iri = 0
    for kind, token in tokens(text):
        if pending_iri:
            # BASE <iri> takes one token; PREFIX p: <iri> takes two.
            pending_iri -= 1
            continue
        if kind != "word":
            return None
        upper = token.upper()
        if upper == "BASE":
            pending_iri = 1
        elif upper == "PREFIX":
            pending_iri = 2
        elif upper in QUERY_FORMS:
            return "query"
        elif upper in UPDATE_FORMS:
            return "update"
        else:
            return None
    return None



def service_targets(text: str, *, base_iri: str | None = None) -> list[str | None]:
    """Endpoints named by SERVICE clauses, resolved; None for `SERVICE ?var`."""
    base = base_iri
    prefixes: dict[str, str] = {}
    targets: list[str | None] = []
    pending: str | None = None  # "base", "prefix", "prefix-iri", "service"
    prefix_name = ""
    for kind, token in tokens(text):
        upper = token.upper() if kind == "word" else ""
        if pending == "service":
            if upper == "SILENT":
                continue
            if kind == "iri":
                targets.append(resolve(_iri_value(token), base))
            elif kind == "pname":
                name, _, local = token.partition(":")
                targets.append(prefixes[name] + _PLX_ESCAPE.sub(r"\1", local) if name in prefixes else None)
            else:
                targets.append(None)
            pending = None
            continue
        if kind == "word":
            pending = {"BASE": "base", "PREFIX": "prefix", "SERVICE": "service"}.get(upper)
            continue
        if pending == "prefix" and kind == "pname" and token.endswith(":"):
            prefix_name, pending = token[:-1], "prefix-iri"
            continue
        if kind == "iri" and pending == "base":
            base = resolve(_iri_value(token), base)
        elif kind == "iri" and pending == "prefix-iri":
            prefixes[prefix_name] = resolve(_iri_value(token), base)
        pending = None
    return targets
