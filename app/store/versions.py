"""Versioned graph names: atomic graph replacement on stores whose updates are not atomic.

Some SPARQL servers (Virtuoso 7.2) commit a large update in steps that concurrent readers
see, and keep the operations of a request that ran before a failing one. On those, Mutu
never changes a graph its readers may be reading. Each write fills *new* graphs, named
``urn:x-mutu:v:<stamp>:<graph>`` (the "physical" names), and then publishes them with one
small insert: a commit triple in ``urn:x-mutu:versions`` whose literal maps every graph to
its current physical name (the "map"). The newest commit is the current state, so readers
see every graph of a write change at once, or none of them; a failed write publishes
nothing.

Readers never see the physical names: this module rewrites query text so that
``GRAPH <g>`` reads the current physical graph of ``g``, and ``GRAPH ?g { P }`` becomes
``{ GRAPH ?v { P } VALUES (?v ?g) { (<physical> <g>) ... } }``, binding ``?g`` to the
public name. The stored data itself only ever holds public names.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..sparql_text import _iri_value, block_end, resolve, spans as token_spans, term_iri

PHYSICAL_PREFIX = "urn:x-mutu:v:"
VERSIONS_GRAPH = "urn:x-mutu:versions"
COMMIT_PREFIX = "urn:x-mutu:commit:"
MAP_PREDICATE = "urn:x-mutu:map"
_PHYSICAL = re.compile(r"^urn:x-mutu:v:(\d+):(.+)$", re.S)
# Keywords after which an update names a graph directly (with SILENT, GRAPH, NAMED skipped).
_GRAPH_SLOT_AFTER = {"GRAPH", "WITH", "INTO", "TO", "USING", "FROM", "ADD", "MOVE", "COPY",
                     "DROP", "CLEAR", "CREATE"}
_SKIPPED = {"SILENT", "NAMED", "GRAPH"}


def physical_name(graph: str, stamp: int) -> str:
    """The name under which version `stamp` of `graph` is stored."""
    return f"{PHYSICAL_PREFIX}{stamp}:{graph}"


def parse_physical(name: str) -> tuple[int, str] | None:
    """(stamp, public name) of a physical graph name, or None for any other name."""
    match = _PHYSICAL.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


def new_stamp(after: int = 0) -> int:
    """A version stamp (microseconds since the epoch) greater than `after`."""
    return max(time.time_ns() // 1000, after + 1)


@dataclass(frozen=True)
class Commit:
    """One published state: its stamp and the map of every graph to its physical name."""

    stamp: int
    graphs: dict = field(default_factory=dict)

    @property
    def iri(self) -> str:
        return f"{COMMIT_PREFIX}{self.stamp}"

    def physical(self, graph: str) -> str:
        """Where `graph` is stored in this state (a graph never written here keeps its name)."""
        return self.graphs.get(graph, graph)

    def literal(self) -> str:
        return json.dumps(self.graphs, sort_keys=True, separators=(",", ":"))


EMPTY = Commit(0, {})


def commits_from_rows(rows) -> list[Commit]:
    """The commits read from the versions graph, oldest first (malformed ones skipped)."""
    found = []
    for row in rows:
        c, m = row.get("c"), row.get("m")
        if not isinstance(c, ox.NamedNode) or not c.value.startswith(COMMIT_PREFIX):
            continue
        stamp = c.value[len(COMMIT_PREFIX):]
        try:
            graphs = json.loads(m.value)
        except (AttributeError, ValueError):
            continue
        if stamp.isdigit() and isinstance(graphs, dict):
            found.append(Commit(int(stamp), graphs))
    return sorted(found, key=lambda commit: commit.stamp)


COMMITS_QUERY = (f"SELECT ?c ?m WHERE {{ GRAPH <{VERSIONS_GRAPH}> {{ ?c <{MAP_PREDICATE}> ?m }} }}")


def publish_update(commit: Commit, known: list[Commit]) -> str:
    """One INSERT that publishes `commit` unless a commit other than `known` was published
    meanwhile (then it inserts nothing, and the writer retries on the newer state)."""
    c = ox.NamedNode(commit.iri)
    literal = ox.Literal(commit.literal())
    if known:
        listed = ", ".join(str(ox.NamedNode(k.iri)) for k in known)
        guard = f"FILTER (?other NOT IN ({listed}))"
    else:
        guard = ""
    return (f"INSERT {{ GRAPH <{VERSIONS_GRAPH}> {{ {c} <{MAP_PREDICATE}> {literal} }} }} "
            f"WHERE {{ FILTER NOT EXISTS {{ GRAPH <{VERSIONS_GRAPH}> {{ ?other <{MAP_PREDICATE}> ?any }} "
            f"{guard} }} }}")


def retired(commits: list[Commit], now_stamp: int, grace_us: int) -> tuple[list[Commit], set[str]]:
    """Commits superseded more than `grace_us` ago, and the physical graphs only they use.

    A reader may still be reading a state it picked up just before the next commit, so a
    state's graphs are dropped only once it has been superseded for longer than any read.
    """
    old = [c for c, successor in zip(commits, commits[1:]) if now_stamp - successor.stamp > grace_us]
    keep = {p for c in commits if c not in old for p in c.graphs.values()}
    return old, {p for c in old for p in c.graphs.values() if p not in keep}


# -- query and update text ---------------------------------------------------------------

def _prologue(spans) -> tuple[dict[str, str], str | None]:
    """The PREFIX declarations and the BASE of a text."""
    prefixes, base = {}, None
    for i, (kind, text, _, _) in enumerate(spans[:-1]):
        if kind != "word":
            continue
        if text.upper() == "BASE" and spans[i + 1][0] == "iri":
            base = resolve(_iri_value(spans[i + 1][1]), base)
        elif text.upper() == "PREFIX" and i + 2 < len(spans) and spans[i + 1][0] == "pname" \
                and spans[i + 2][0] == "iri":
            prefixes[spans[i + 1][1][:-1]] = resolve(_iri_value(spans[i + 2][1]), base)
    return prefixes, base


def graph_slots(text: str, spans=None) -> list[tuple[int, int, str]]:
    """(start, end, graph IRI) of every IRI the text uses as a graph name, prologue excluded
    (`spans`: the text's tokens, when the caller has them already)."""
    spans = token_spans(text) if spans is None else spans
    prologue = _prologue(spans)
    slots = []
    for i, (kind, token, _, _) in enumerate(spans):
        if kind != "word" or token.upper() not in _GRAPH_SLOT_AFTER:
            continue
        j = i + 1
        while j < len(spans) and spans[j][0] == "word" and spans[j][1].upper() in _SKIPPED:
            j += 1
        if j < len(spans):
            iri = term_iri(spans[j][0], spans[j][1], *prologue)
            if iri is not None:
                slots.append((spans[j][2], spans[j][3], iri))
    return sorted(set(slots))


def rewrite(text: str, physical, table: list[tuple[str, str]], *, updating: bool = False) -> str:
    """`text` with its graph names made physical (`physical(name) -> name`), and each
    `GRAPH ?var { P }` of a query or a WHERE clause joined with `table` ((physical, public)
    pairs) so that ?var stays a public name."""
    spans = token_spans(text)
    edits = [(a, b, str(ox.NamedNode(physical(iri)))) for a, b, iri in graph_slots(text, spans)]
    fresh = 0
    template_depth = _template_ranges(spans) if updating else []
    for i, (kind, token, start, end) in enumerate(spans[:-2]):
        if kind != "word" or token.upper() != "GRAPH" or spans[i + 1][0] != "var":
            continue
        if spans[i + 2][1] != "{":
            continue
        if any(a <= i <= b for a, b in template_depth):
            raise ValueError("GRAPH ?var in an update template is not supported on a versioned store")
        close = block_end(spans, i + 2)
        if close is None:
            continue  # the store reports the syntax error
        fresh += 1
        var = spans[i + 1][1]
        inner = f"?mutu_graph_{fresh}_{var[1:]}"
        rows = " ".join(f"({ox.NamedNode(p)} {ox.NamedNode(g)})" for p, g in table)
        edits.append((start, start, "{ "))
        edits.append((spans[i + 1][2], spans[i + 1][3], inner))
        edits.append((spans[close][3], spans[close][3], f" VALUES ({inner} {var}) {{ {rows} }} }}"))
    out = text
    for a, b, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:a] + new + out[b:]
    return out


def _template_ranges(spans) -> list[tuple[int, int]]:
    """Token ranges of the INSERT / DELETE templates of an update (not their WHERE)."""
    ranges = []
    for i, (kind, token, _, _) in enumerate(spans[:-1]):
        if kind == "word" and token.upper() in ("INSERT", "DELETE"):
            j = i + 1
            if spans[j][0] == "word" and spans[j][1].upper() in ("DATA", "WHERE"):
                j += 1  # DELETE WHERE's pattern is a template too
            if j < len(spans) and spans[j][1] == "{":
                close = block_end(spans, j)
                if close is not None:
                    ranges.append((j, close))
    return ranges
