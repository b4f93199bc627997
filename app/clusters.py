"""The viewer's identity clusters: one alternative per cluster in lists and feeds, all sources on its page.

Built from what `mutu link` wrote (app.identity), read through `reading`, so only the graphs
the viewer may read take part:

- **members**: alternatives typed `schema:Organization` in a visible graph. A link whose
  other end the viewer cannot see is ignored, so a cluster never names, counts or hints at
  an alternative of a graph the viewer cannot read.
- **edges**: pairs of the links graph that are *accepted*, or *proposed* with a score at or
  above ``identity.THRESHOLD`` (0.6, the `mutu link` default: a run with a lower
  ``--threshold`` writes weaker candidates, which do not merge pages). A pair *rejected* in
  the links graph or in the decisions graph never joins, whatever its score; a pair
  accepted in the decisions graph always does.
- **representative**: the member with the lexicographically smallest IRI (the cluster id of
  ``identity.clusters`` computed over the visible members). Lists are in IRI order, so the
  representative is where the cluster sits; it is stable while the members stay.

Computed once per store state and set of visible graphs (``agenda.per_state``). Lists and
feeds run their named query with the non-representative members excluded inside the query
(a ``MINUS { VALUES ?alternative {...} }`` replacing the ``#@exclude`` line of
queries/alternatives.rq and queries/feed-alternatives.rq), so LIMIT/OFFSET paging counts
clusters. A filter (text, category, commune) is tested on the representative only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import agenda, catalog, identity, queries, reading
from .state import get_store, settings

OWL_SAME_AS = identity.OWL_SAME_AS
_EXCLUDE_LINE = re.compile(r"^[ \t]*#@exclude[ \t]*$", re.M)

_LINKS = """PREFIX mutu: <https://w3id.org/mutu/ns#>
SELECT ?a ?b ?s ?score WHERE { GRAPH %s {
  ?l a %s ; mutu:candidate ?a, ?b ; mutu:linkStatus ?s . OPTIONAL { ?l mutu:score ?score }
  FILTER (STR(?a) < STR(?b)) } }"""

_MEMBERS = """PREFIX schema: <https://schema.org/>
SELECT ?a ?g WHERE { GRAPH ?g { ?a a schema:Organization } }"""


@dataclass(frozen=True)
class Clusters:
    """Clusters of two or more visible alternatives, for one viewer and store state."""

    representative: dict = field(default_factory=dict)  # member IRI -> representative IRI
    members: dict = field(default_factory=dict)         # representative -> sorted member IRIs
    graphs: dict = field(default_factory=dict)          # member IRI -> sorted visible graphs
    linked: frozenset = frozenset()                     # every IRI named by a link (visible or not)

    @property
    def hidden(self) -> tuple[str, ...]:
        """Members that are not their cluster's representative (left out of lists)."""
        return tuple(sorted(m for m, r in self.representative.items() if m != r))

    def of(self, iri: str) -> tuple[str, ...]:
        """All members of `iri`'s cluster (just `iri` when it is alone)."""
        rep = self.representative.get(iri)
        return self.members[rep] if rep else (iri,)

    def others(self, iri: str) -> tuple[str, ...]:
        return tuple(m for m in self.of(iri) if m != iri)

    def sources(self, iri: str) -> tuple[str, ...]:
        """Visible graphs holding a member of `iri`'s cluster, sorted."""
        return tuple(sorted({g for m in self.of(iri) for g in self.graphs.get(m, ())}))


def _status(term) -> str:
    return term.value.rsplit("#", 1)[-1]


def build() -> Clusters:
    """Read the links and decisions graphs and the members' graphs (no cache; see `current`)."""
    base = settings().base_iri
    status: dict[tuple, str] = {}
    linked: set[str] = set()
    links = identity.links_graph(base)
    link_rows = [row for g in (links, identity.restricted(links))
                 for row in reading.select(_LINKS % (ox.NamedNode(g),
                                                     ox.NamedNode(identity.MUTU + "LinkCandidate")))]
    for row in link_rows:
        a, b = row["a"].value, row["b"].value
        linked |= {a, b}
        s = _status(row["s"])
        if s == "proposed":
            score = float(row["score"].value) if "score" in row else 0.0
            s = "proposed" if score >= identity.THRESHOLD else "weak"
        status[(a, b)] = s
    decided = identity.decisions_graph(base)
    decision_rows = [row for g in (decided, identity.restricted(decided))
                     for row in reading.select(_LINKS % (ox.NamedNode(g),
                                                         ox.NamedNode(identity.MUTU + "LinkDecision")))]
    for row in decision_rows:
        a, b = row["a"].value, row["b"].value
        linked |= {a, b}
        status[(a, b)] = _status(row["s"])  # a decision wins over the score
    edges = [pair for pair, s in status.items() if s in ("accepted", "proposed")]
    if not edges:
        return Clusters(linked=frozenset(linked))
    own = {identity.links_graph(base), identity.decisions_graph(base)}
    own |= {identity.restricted(g) for g in own}
    graphs: dict[str, set] = {}
    endpoints = sorted({x for pair in edges for x in pair})
    for row in _member_rows(endpoints):
        if row["g"].value not in own:
            graphs.setdefault(row["a"].value, set()).add(row["g"].value)
    parent = {iri: iri for iri in graphs}

    def root(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if a in parent and b in parent:  # both visible
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list] = {}
    for iri in parent:
        groups.setdefault(root(iri), []).append(iri)
    representative, members = {}, {}
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort()
        members[group[0]] = tuple(group)
        representative.update({m: group[0] for m in group})
    return Clusters(representative=representative, members=members,
                    graphs={m: tuple(sorted(graphs[m])) for m in representative},
                    linked=frozenset(linked))


def _member_rows(iris: list[str]) -> list[dict]:
    """(alternative, graph) for the given IRIs typed schema:Organization in a visible graph."""
    out = []
    for start in range(0, len(iris), 500):
        chunk = " ".join(str(ox.NamedNode(i)) for i in iris[start:start + 500])
        out += reading.select(_MEMBERS.replace("WHERE {", "WHERE { VALUES ?a { %s }" % chunk, 1))
    return out


def current() -> Clusters:
    """The current viewer's clusters (cached per store state and visible graphs)."""
    return agenda.per_state("clusters", build)


# -- lists and feeds -----------------------------------------------------------------------

def exclude(text: str, hidden: tuple[str, ...]) -> str:
    """The query text with `hidden` left out where its `#@exclude` line stands."""
    if not hidden:
        return text
    if not _EXCLUDE_LINE.search(text):
        raise RuntimeError("this named query has no #@exclude line to leave duplicates out")
    block = "MINUS { VALUES ?alternative { %s } }" % " ".join(str(ox.NamedNode(i)) for i in hidden)
    return _EXCLUDE_LINE.sub(lambda _: block, text, count=1)


def named(name: str, raw=None, **typed) -> tuple[queries.NamedQuery, list[dict]]:
    """Like `reading.named`, one row per visible identity cluster (its representative)."""
    query = queries.get(name)
    values = query.parse_params(raw or {})
    values.update(typed)
    return query, reading.select(exclude(query.sparql(values), current().hidden))


def datasets() -> dict:
    """{graph: catalog record} of the visible datasets."""
    visible = set(reading.visible())
    return {d.graph: d for d in catalog.datasets(get_store(), settings().base_iri) if d.graph in visible}


def row_sources(rows: list[dict], key: str = "alternative") -> dict[str, dict]:
    """{row IRI: {"others": [(member IRI, its graphs)], "sources": [graphs of all members]}}
    for the rows that stand for a cluster."""
    c = current()
    out = {}
    for row in rows:
        iri = row[key].value
        if iri in c.representative:
            out[iri] = {"others": [(m, c.graphs.get(m, ())) for m in c.others(iri)],
                        "sources": list(c.sources(iri))}
    return out


# -- one alternative's page and twins -------------------------------------------------------

def apply(d) -> None:
    """Make an alternative's description (app.ld.Description) follow the viewer's cluster:
    `owl:sameAs` to each other visible member (stated in the links graph), and no other
    `owl:sameAs` between linked alternatives (those of the links graph may name an
    alternative the viewer cannot see, or a weak or rejected pair)."""
    c = current()
    links = identity.links_graph(settings().base_iri)
    others = c.others(d.iri)
    d.facts[:] = [(g, p, o) for g, p, o in d.facts if not (p == OWL_SAME_AS and g == links)]
    d.facts += [(links, OWL_SAME_AS, ox.NamedNode(m)) for m in others]
    d.incoming[:] = [(s, p, x) for s, p, x in d.incoming
                     if not (p == OWL_SAME_AS and s in c.linked)]
