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

import functools

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
    """IRIs of the query's FROM and FROM NAMED clauses (see `_dataset_clauses`)."""
    if len(query) > _CACHED_TEXT:
        froms, named = _dataset_clauses(query, base_iri=base_iri)
    else:
        froms, named = _dataset_clauses_cached(query, base_iri)
    return list(froms), list(named)


def _dataset_clauses(query: str, *, base_iri: str | None = None) -> tuple[list[str], list[str]]:
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
    if len(text) > _CACHED_TEXT:
        return _service_targets(text, base_iri=base_iri)
    return list(_service_targets_cached(text, base_iri))


def _service_targets(text: str, *, base_iri: str | None = None) -> list[str | None]:
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


# -- updates: which graphs an update touches, and its protocol dataset -------------------

class UpdateAnalysis:
    """What the write path needs to know about a SPARQL update before running it.

    `targets` holds the graphs the update may write (None stands for the default graph);
    `undetermined` is set when a write target is not a constant (GRAPH ?g in a template,
    CLEAR/DROP NAMED or ALL), `iris` every IRI of the text (to find the graphs it may read),
    `where_at` the offsets where a Modify operation's WHERE starts (where USING clauses go)
    and `delete_where` the (start, block start, block end) spans of DELETE WHERE shorthands.
    """

    def __init__(self):
        self.targets: set[str | None] = set()
        self.undetermined = False
        self.all_graphs = False
        self.iris: set[str] = set()
        self.has_using = False
        self.has_with = False
        self.load = False
        self.service = False
        self.where_at: list[int] = []
        self.delete_where: list[tuple[int, int, int]] = []


def spans(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of every significant token: whitespace and comments dropped."""
    return [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)
            if m.lastgroup not in ("ws", "comment")]


def block_end(toks, i: int) -> int | None:
    """Index of the `}` closing the `{` at token i (None when it is never closed)."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][0] == "other" and toks[j][1] == "{":
            depth += 1
        elif toks[j][0] == "other" and toks[j][1] == "}":
            depth -= 1
            if depth == 0:
                return j
    return None


def term_iri(kind: str, token: str, prefixes: dict[str, str], base: str | None) -> str | None:
    """The IRI a token names: an IRI reference resolved against `base`, or a prefixed name
    whose prefix is declared; None for any other token."""
    if kind == "iri":
        return resolve(_iri_value(token), base)
    if kind == "pname":
        prefix, _, local = token.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + _PLX_ESCAPE.sub(r"\1", local)
    return None


def analyse_update(text: str, *, base_iri: str | None = None) -> UpdateAnalysis:
    """Tokenise an update and find its write targets (see UpdateAnalysis)."""
    out = UpdateAnalysis()
    base = base_iri
    prefixes: dict[str, str] = {}
    toks = spans(text)

    def iri_of(i):
        return term_iri(toks[i][0], toks[i][1], prefixes, base)

    def group_end(i):
        end = block_end(toks, i)
        return len(toks) - 1 if end is None else end

    def template(i, with_graph):
        """Collect the write targets of the quad block starting at `{` index i."""
        end = group_end(i)
        j = i + 1
        while j < end:
            kind, tok = toks[j][0], toks[j][1]
            if kind == "word" and tok.upper() == "GRAPH":
                if toks[j + 1][0] == "var":
                    out.undetermined = True
                    out.all_graphs = True
                else:
                    out.targets.add(iri_of(j + 1))
                j = group_end(j + 2) + 1
                continue
            if not (kind == "other" and tok in ".;,"):
                out.targets.add(with_graph)  # a triple outside GRAPH: default or WITH graph
            j += 1
        return end

    def graph_ref(i):
        """GRAPH <g> | <g> | DEFAULT | NAMED | ALL at i: (target or marker, next index)."""
        kind, tok = toks[i][0], toks[i][1]
        upper = tok.upper() if kind == "word" else ""
        if upper == "GRAPH":
            return iri_of(i + 1), i + 2
        if upper == "DEFAULT":
            return None, i + 1
        if upper in ("NAMED", "ALL"):
            out.undetermined = out.all_graphs = True
            return "*", i + 1
        return iri_of(i), i + 1

    i, with_graph, depth = 0, None, 0
    while i < len(toks):
        kind, tok, start, _ = toks[i]
        if kind in ("iri", "pname"):
            value = iri_of(i)
            if value:
                out.iris.add(value)
        if kind == "other":
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth = max(0, depth - 1)
            elif tok == ";" and depth == 0:
                with_graph = None
            i += 1
            continue
        if kind != "word":
            i += 1
            continue
        upper = tok.upper()
        if upper == "SERVICE":
            out.service = True
        if upper == "GRAPH" and i + 1 < len(toks) and toks[i + 1][0] == "var":
            out.all_graphs = True  # GRAPH ?g ranges over every graph the token may read
        if depth > 0:
            i += 1
            continue
        if upper == "BASE" and i + 1 < len(toks) and toks[i + 1][0] == "iri":
            base = resolve(_iri_value(toks[i + 1][1]), base)
            i += 2
        elif upper == "PREFIX" and i + 2 < len(toks) and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1][:-1]] = resolve(_iri_value(toks[i + 2][1]), base)
            i += 3
        elif upper == "WITH":
            with_graph = iri_of(i + 1)
            out.has_with = True
            out.targets.add(with_graph)
            i += 2
        elif upper in ("INSERT", "DELETE"):
            nxt = toks[i + 1] if i + 1 < len(toks) else ("", "", 0, 0)
            if nxt[0] == "word" and nxt[1].upper() == "DATA":
                i = template(i + 2, None) + 1
            elif nxt[0] == "word" and nxt[1].upper() == "WHERE":
                end = template(i + 2, with_graph)
                out.delete_where.append((start, toks[i + 2][2], toks[end][3]))
                i = end + 1
            elif nxt[0] == "other" and nxt[1] == "{":
                i = template(i + 1, with_graph) + 1
            else:
                i += 1
        elif upper == "USING":
            out.has_using = True
            i += 1
        elif upper == "WHERE":
            out.where_at.append(start)
            i += 1
        elif upper in ("CLEAR", "DROP", "CREATE"):
            j = i + 1
            if toks[j][0] == "word" and toks[j][1].upper() == "SILENT":
                j += 1
            target, i = graph_ref(j)
            if target != "*":
                out.targets.add(target)
        elif upper in ("ADD", "MOVE", "COPY"):
            j = i + 1
            if toks[j][0] == "word" and toks[j][1].upper() == "SILENT":
                j += 1
            source, j = graph_ref(j)
            if toks[j][0] == "word" and toks[j][1].upper() == "TO":
                j += 1
            target, i = graph_ref(j)
            out.targets.add(target)
            if upper == "MOVE":
                out.targets.add(source)
        elif upper == "LOAD":
            out.load = True
            i += 1
        else:
            i += 1
    for i, (kind, _, _, _) in enumerate(toks):
        if kind in ("iri", "pname"):
            value = iri_of(i)
            if value:
                out.iris.add(value)
    return out


def with_protocol_dataset(text: str, analysis: UpdateAnalysis, using: list[str],
                          using_named: list[str]) -> str:
    """The update with the protocol's using-graph-uri / using-named-graph-uri applied.

    SPARQL 1.1 Protocol 2.2.3: they act as USING / USING NAMED on every operation with a
    WHERE clause. Each Modify gets the clauses before its WHERE; a `DELETE WHERE { P }`
    (which cannot carry USING) becomes the equivalent `DELETE { P } USING ... WHERE { P }`.
    """
    clauses = " ".join([f"USING <{g}>" for g in using] + [f"USING NAMED <{g}>" for g in using_named])
    edits = []  # (start, end, replacement), applied from the end
    delete_where_starts = {start for start, _, _ in analysis.delete_where}
    for start, block_start, block_stop in analysis.delete_where:
        block = text[block_start:block_stop]
        edits.append((start, block_stop, f"DELETE {block} {clauses} WHERE {block}"))
    for where in analysis.where_at:
        if any(s <= where < e for s, _, e in analysis.delete_where) or where in delete_where_starts:
            continue
        edits.append((where, where, clauses + " "))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


# Partner sites send the same few queries again and again: each is tokenised once (twice per
# request otherwise, about 1-2 ms for a named query). Long texts are not kept.
_CACHED_TEXT = 16 * 1024


@functools.lru_cache(maxsize=512)
def _dataset_clauses_cached(query: str, base_iri: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    froms, named = _dataset_clauses(query, base_iri=base_iri)
    return tuple(froms), tuple(named)


@functools.lru_cache(maxsize=512)
def _service_targets_cached(text: str, base_iri: str | None) -> tuple[str | None, ...]:
    return tuple(_service_targets(text, base_iri=base_iri))
