"""Identity across sources: probable duplicates, reviewed decisions, identity clusters.

``find_candidates`` compares every pair of alternatives that share a blocking key (a
significant name word, a website host, an e-mail, a phone number, an OpenStreetMap id, or
a ~1 km grid cell) and scores it from evidence:

================================  ======
same OpenStreetMap id             +0.95
same website (host and path)      +0.60
same e-mail                       +0.60
same phone (national number)      +0.50
same normalised name              +0.60   (accents, case, spaces, legal forms ignored)
similar name (>= 0.80)            +0.35   (rapidfuzz token_sort_ratio)
one name is the other's acronym   +0.45   ("ADMR" / "Aide à Domicile en Milieu Rural")
same e-mail domain (not webmail)  +0.20
within 30 m / within 200 m        +0.35 / +0.20
different websites                -0.25
different phones                  -0.10
more than 20 km apart             -0.50
================================  ======

Positive evidence combines as independent signals (1 - prod(1 - w)), then penalties are
subtracted; a pair scoring at least ``THRESHOLD`` is a candidate. Decisions recorded with
``decide`` win over scores: an accepted pair is always linked, a rejected one never.

Graphs: ``<base>graph/links`` (candidates as ``mutu:LinkCandidate`` with ``mutu:score``,
``mutu:evidence``, ``mutu:linkStatus``, plus ``owl:sameAs`` for proposed and accepted
pairs) and ``<base>graph/link-decisions`` (``mutu:LinkDecision``), both catalog datasets
under CC0. Source graphs are never changed.

``clusters(store, base_iri)`` gives pages one alternative per identity cluster.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import catalog
from .namespaces import DCTERMS, MUTU, PROV, RDF, SCHEMA, XSD
from .store import QueryDataset, Store

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
THRESHOLD = 0.6
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
WEBMAIL = {"gmail.com", "hotmail.com", "yahoo.com", "yahoo.fr", "outlook.com", "skynet.be",
           "live.be", "hotmail.be", "gmx.de", "gmx.net", "web.de", "orange.fr", "free.fr",
           "proximus.be", "telenet.be", "icloud.com", "protonmail.com", "riseup.net"}
LEGAL_FORMS = {"asbl", "vzw", "scrl", "scrlfs", "sc", "cvba", "sprl", "srl", "sa", "nv", "bv",
               "ivzw", "aisbl", "fs", "scs", "ltd", "ev", "gmbh", "eg"}
STOP = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "en", "a", "au", "aux", "pour",
        "van", "het", "een", "voor", "the", "of", "and", "for"}


def links_graph(base_iri: str) -> str:
    return base_iri + "graph/links"


def decisions_graph(base_iri: str) -> str:
    return base_iri + "graph/link-decisions"


def restricted(graph: str) -> str:
    """The admin-only twin of the links or decisions graph, for pairs that touch a graph
    that is not public: a public link must not reveal a private alternative's IRI."""
    return graph + "-restricted"


def _public_iris(store: Store, base_iri: str) -> set[str]:
    public = {d.graph for d in catalog.datasets(store, base_iri) if d.visibility == "public"}
    return {iri for iri, e in entities(store, base_iri).items() if e.graph in public}


@dataclass
class Entity:
    iri: str
    graph: str
    names: set = field(default_factory=set)
    urls: set = field(default_factory=set)
    emails: set = field(default_factory=set)
    phones: set = field(default_factory=set)
    osm: set = field(default_factory=set)
    points: set = field(default_factory=set)


@dataclass
class Candidate:
    a: str
    b: str
    score: float
    evidence: list
    status: str = "proposed"  # proposed, accepted, rejected


_ALTERNATIVES = """
PREFIX schema: <https://schema.org/>
SELECT ?g ?a ?name ?url ?email ?phone ?same ?lat ?lon WHERE {
  GRAPH ?g { ?a a schema:Organization ; schema:name ?name .
    OPTIONAL { ?a schema:url ?url } OPTIONAL { ?a schema:email ?email }
    OPTIONAL { ?a schema:telephone ?phone } OPTIONAL { ?a schema:sameAs ?same } }
  OPTIONAL { GRAPH ?h { ?a schema:location ?p } GRAPH ?k { ?p schema:geo ?geo .
             ?geo schema:latitude ?lat ; schema:longitude ?lon } }
}"""


def source_graphs(store: Store, base_iri: str) -> tuple:
    own = {links_graph(base_iri), decisions_graph(base_iri)}
    own |= {restricted(g) for g in own}
    return tuple(d.graph for d in catalog.datasets(store, base_iri) if d.graph not in own)


def entities(store: Store, base_iri: str) -> dict[str, Entity]:
    """Every alternative of the source graphs with what identifies it."""
    graphs = source_graphs(store, base_iri)
    if not graphs:
        return {}
    out: dict[str, Entity] = {}
    for row in store.select(_ALTERNATIVES, dataset=QueryDataset((), graphs)):
        iri = row["a"].value
        e = out.setdefault(iri, Entity(iri, row["g"].value))
        e.names.add(row["name"].value)
        if "url" in row:
            e.urls.add(norm_url(row["url"].value))
        if "email" in row:
            e.emails.add(row["email"].value.strip().lower())
        if "phone" in row:
            phone = norm_phone(row["phone"].value)
            if phone:
                e.phones.add(phone)
        if "same" in row and "openstreetmap.org/" in row["same"].value:
            e.osm.add(row["same"].value.split("openstreetmap.org/", 1)[1])
        if "lat" in row and "lon" in row:
            e.points.add((float(row["lat"].value), float(row["lon"].value)))
    return out


# --------------------------------------------------------------------------- normalisation

def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def name_words(name: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", _ascii(name))
    return [w for w in words if w not in LEGAL_FORMS]


def norm_name(name: str) -> str:
    return " ".join(w for w in name_words(name) if w not in STOP)


def norm_url(url: str) -> str:
    """Host without www. plus path without trailing slash or index page: admr.be, bees-coop.be."""
    text = re.sub(r"^[a-z]+://", "", url.strip().lower())
    host, _, path = text.partition("/")
    host = host.removeprefix("www.")
    path = re.sub(r"(index\.(html?|php)|accueil)?/?$", "", path.split("?")[0].split("#")[0])
    path = re.sub(r"^(fr|nl|en|be)(/|$)", "", path).strip("/")
    return host + ("/" + path if path else "")


def norm_phone(phone: str) -> str | None:
    """The national significant number: +32 2 537 30 26, 02.537.30.26 -> 25373026."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("32") and len(digits) >= 10:
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits if len(digits) >= 7 else None


def acronym(long: str, short: str) -> bool:
    short_words = name_words(short)
    if len(short_words) != 1 or not 3 <= len(short_words[0]) <= 8:
        return False
    initials = "".join(w[0] for w in name_words(long) if w not in STOP or w in ("a", "en"))
    strict = "".join(w[0] for w in name_words(long) if w not in STOP)
    return short_words[0] in (initials, strict)


def distance_m(p, q) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (p[0], p[1], q[0], q[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371000 * math.asin(math.sqrt(h))


# --------------------------------------------------------------------------- scoring

def score(x: Entity, y: Entity) -> tuple[float, list[str]]:
    """The score of a pair and its evidence, in plain words with each weight."""
    from rapidfuzz import fuzz

    positive, penalties, evidence = [], [], []

    def plus(weight, text):
        positive.append(weight)
        evidence.append(f"{text} (+{weight:.2f})")

    def minus(weight, text):
        penalties.append(weight)
        evidence.append(f"{text} (-{weight:.2f})")

    if x.osm & y.osm:
        plus(0.95, f"same OpenStreetMap id {sorted(x.osm & y.osm)[0]}")
    if x.urls & y.urls:
        plus(0.60, f"same website {sorted(x.urls & y.urls)[0]}")
    elif x.urls and y.urls:
        hosts_x = {u.split("/")[0] for u in x.urls}
        hosts_y = {u.split("/")[0] for u in y.urls}
        if not hosts_x & hosts_y:
            minus(0.25, f"different websites {sorted(x.urls)[0]} / {sorted(y.urls)[0]}")
    if x.emails & y.emails:
        plus(0.60, f"same e-mail {sorted(x.emails & y.emails)[0]}")
    else:
        domains = {e.split("@")[1] for e in x.emails} & {e.split("@")[1] for e in y.emails}
        domains -= WEBMAIL
        if domains:
            plus(0.20, f"same e-mail domain {sorted(domains)[0]}")
    if x.phones & y.phones:
        plus(0.50, f"same phone {sorted(x.phones & y.phones)[0]}")
    elif x.phones and y.phones:
        minus(0.10, "different phones")
    best, best_pair = 0.0, None
    for n in x.names:
        for m in y.names:
            a, b = norm_name(n), norm_name(m)
            if not a or not b:
                continue
            sim = 1.0 if a.replace(" ", "") == b.replace(" ", "") else fuzz.token_sort_ratio(a, b) / 100
            if sim > best:
                best, best_pair = sim, (n, m)
    if best >= 0.999:
        plus(0.60, f"same name {best_pair[0]!r} / {best_pair[1]!r}")
    elif best >= 0.80:
        plus(0.35, f"similar names {best_pair[0]!r} / {best_pair[1]!r} ({best:.2f})")
    if any(acronym(n, m) or acronym(m, n) for n in x.names for m in y.names):
        plus(0.45, "one name is the acronym of the other")
    if x.points and y.points:
        d = min(distance_m(p, q) for p in x.points for q in y.points)
        if d <= 30:
            plus(0.35, f"{d:.0f} m apart")
        elif d <= 200:
            plus(0.20, f"{d:.0f} m apart")
        elif d > 20000:
            minus(0.50, f"{d / 1000:.0f} km apart")
    combined = 1.0
    for w in positive:
        combined *= 1 - w
    value = max(0.0, min(1.0, 1 - combined - sum(penalties))) if positive else 0.0
    return round(value, 3), evidence


def _blocking_keys(e: Entity) -> set:
    keys = set()
    for n in e.names:
        words = [w for w in name_words(n) if w not in STOP]
        keys |= {"w:" + w for w in words if len(w) >= 4}
        keys.add("n:" + "".join(words))
        if len(words) == 1:
            keys.add("w:" + words[0])
        keys.add("i:" + "".join(w[0] for w in words))  # initials meet acronyms
    keys |= {"u:" + u.split("/")[0] for u in e.urls}
    keys |= {"e:" + m for m in e.emails} | {"p:" + p for p in e.phones} | {"o:" + o for o in e.osm}
    for lat, lon in e.points:
        keys.add(f"g:{round(lat, 2)}:{round(lon, 2)}")
    return keys


def find_candidates(store: Store, base_iri: str, *, threshold: float = THRESHOLD) -> list[Candidate]:
    """Scored pairs at or above `threshold`, plus every decided pair, decisions applied."""
    ents = entities(store, base_iri)
    buckets: dict[str, list[str]] = {}
    for iri, e in ents.items():
        for key in _blocking_keys(e):
            buckets.setdefault(key, []).append(iri)
    pairs = set()
    for members in buckets.values():
        if len(members) > 200:  # a key that common says nothing
            continue
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pairs.add((min(a, b), max(a, b)))
    decided = decisions(store, base_iri)
    out = []
    for a, b in sorted(pairs | {k for k in decided if k[0] in ents and k[1] in ents}):
        value, evidence = score(ents[a], ents[b])
        status = decided.get((a, b))
        if status is None and value < threshold:
            continue
        out.append(Candidate(a, b, value, evidence, status or "proposed"))
    return out


# --------------------------------------------------------------------------- decisions

_DECISIONS = """
PREFIX mutu: <https://w3id.org/mutu/ns#>
SELECT ?d ?x ?s WHERE { ?d a mutu:LinkDecision ; mutu:candidate ?x ; mutu:linkStatus ?s }"""


def decisions(store: Store, base_iri: str) -> dict[tuple, str]:
    """{(a, b) with a < b: "accepted" | "rejected"} from the decisions graph."""
    graphs = tuple(g for g in (decisions_graph(base_iri), restricted(decisions_graph(base_iri)))
                   if g in store.named_graphs())
    if not graphs:
        return {}
    found: dict[str, tuple] = {}
    for row in store.select(_DECISIONS, dataset=QueryDataset(graphs, ())):
        members, status = found.get(row["d"].value, (set(), None))
        members.add(row["x"].value)
        found[row["d"].value] = (members, row["s"].value.rsplit("#", 1)[-1])
    out = {}
    for members, status in found.values():
        if len(members) == 2:
            a, b = sorted(members)
            out[(a, b)] = status
    return out


def _pair_iri(base_iri: str, kind: str, a: str, b: str) -> str:
    return f"{base_iri}{kind}/{hashlib.sha256((a + ' ' + b).encode()).hexdigest()[:16]}"


def decide(store: Store, base_iri: str, a: str, b: str, *, same: bool, who: str | None = None) -> None:
    """Record that a and b are (not) the same; the links graph is rewritten to follow."""
    from .errors import InputError
    from .pipeline import _who, load_triples

    for iri in (a, b):
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise InputError(f"{iri!r} is not an IRI") from None
    if a == b:
        raise InputError("a resource is always the same as itself")
    a, b = sorted((a, b))
    current = decisions(store, base_iri)
    current[(a, b)] = "accepted" if same else "rejected"
    who = who or _who()
    triples = []
    t, n = ox.Triple, ox.NamedNode
    for (x, y), status in sorted(current.items()):
        node = n(_pair_iri(base_iri, "link-decision", x, y))
        triples += [t(node, n(RDF + "type"), n(MUTU + "LinkDecision")),
                    t(node, n(MUTU + "candidate"), n(x)), t(node, n(MUTU + "candidate"), n(y)),
                    t(node, n(MUTU + "linkStatus"), n(MUTU + status))]
        if (x, y) == (a, b):
            triples += [t(node, n(PROV + "wasAttributedTo"), n(f"{base_iri}agent/{catalog._slug(who)}")),
                        t(node, n(DCTERMS + "created"), ox.Literal(catalog.now(), datatype=n(XSD + "dateTime")))]
    old = _previous_attribution(store, base_iri, a, b)
    triples += [tr for tr in old if not any(tr.subject == x.subject for x in triples
                                             if x.predicate.value == PROV + "wasAttributedTo")]
    public_nodes = {_pair_iri(base_iri, "link-decision", x, y) for (x, y) in current
                    if {x, y} <= _public_iris(store, base_iri)}
    _write_split(store, base_iri, decisions_graph(base_iri), triples,
                 lambda t: t.subject.value in public_nodes, "Décisions de liaison (mutu link)")
    write_links(store, base_iri, find_candidates(store, base_iri))


def _previous_attribution(store, base_iri, a, b) -> list:
    out = []
    for graph in (decisions_graph(base_iri), restricted(decisions_graph(base_iri))):
        if graph in store.named_graphs():
            out += [t for t in store.graph_triples(graph)
                    if t.predicate.value in (PROV + "wasAttributedTo", DCTERMS + "created")]
    return out


def _write(store: Store, base_iri: str, graph: str, triples: list, title: str,
           visibility: str = "public") -> None:
    from .pipeline import load_triples

    checksum = hashlib.sha256("\n".join(sorted(str(t) for t in triples)).encode()).hexdigest()
    load_triples(store, base_iri, triples, sha256=checksum, graph=graph, source="mutu link",
                 licence=CC0, title=title, visibility=visibility)


def _write_split(store: Store, base_iri: str, graph: str, triples: list, is_public, title: str) -> None:
    """Write the public triples to `graph` and the others to its admin-only twin."""
    known = {d.graph for d in catalog.datasets(store, base_iri)}
    public = [t for t in triples if is_public(t)]
    hidden = [t for t in triples if not is_public(t)]
    if public or graph in known:
        _write(store, base_iri, graph, public, title)
    if hidden or restricted(graph) in known:
        _write(store, base_iri, restricted(graph), hidden, title + " (restreint)", "private")


def link_triples(base_iri: str, candidates: list[Candidate]) -> list[ox.Triple]:
    t, n = ox.Triple, ox.NamedNode
    out = []
    for c in candidates:
        node = n(_pair_iri(base_iri, "link", c.a, c.b))
        out += [t(node, n(RDF + "type"), n(MUTU + "LinkCandidate")),
                t(node, n(MUTU + "candidate"), n(c.a)), t(node, n(MUTU + "candidate"), n(c.b)),
                t(node, n(MUTU + "score"), ox.Literal(f"{c.score:.3f}", datatype=n(XSD + "decimal"))),
                t(node, n(MUTU + "linkStatus"), n(MUTU + c.status))]
        out += [t(node, n(MUTU + "evidence"), ox.Literal(e)) for e in c.evidence]
        if c.status != "rejected":
            out.append(t(n(c.a), n(OWL_SAME_AS), n(c.b)))
    return out


def write_links(store: Store, base_iri: str, candidates: list[Candidate]) -> None:
    """Replace the links graph with these candidates (an empty run leaves an empty graph)."""
    public_iris = _public_iris(store, base_iri)
    shown = [c for c in candidates if {c.a, c.b} <= public_iris]
    hidden = [c for c in candidates if not {c.a, c.b} <= public_iris]
    triples = link_triples(base_iri, shown) + link_triples(base_iri, hidden)
    hidden_nodes = {_pair_iri(base_iri, "link", c.a, c.b) for c in hidden}
    hidden_same = {(c.a, c.b) for c in hidden}
    _write_split(store, base_iri, links_graph(base_iri), triples,
                 lambda t: t.subject.value not in hidden_nodes
                 and (t.subject.value, t.object.value) not in hidden_same,
                 "Liens d'identité candidats (mutu link)")


# --------------------------------------------------------------------------- clusters

def clusters(store: Store, base_iri: str, *, accepted_only: bool = False) -> dict[str, str]:
    """{alternative IRI: cluster id} for every alternative of the source graphs.

    Two alternatives joined by a proposed or accepted link (only accepted ones with
    ``accepted_only``), directly or through others, share a cluster; its id is the
    smallest IRI of its members, so it is stable while the members stay. A page shows one
    alternative per cluster id and lists the sources of all members.
    """
    parent: dict[str, str] = {iri: iri for iri in entities(store, base_iri)}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    graphs = tuple(g for g in (links_graph(base_iri), restricted(links_graph(base_iri)))
                   if g in store.named_graphs())
    if graphs:
        q = """PREFIX mutu: <https://w3id.org/mutu/ns#>
        SELECT ?a ?b WHERE { ?l a mutu:LinkCandidate ; mutu:candidate ?a, ?b ; mutu:linkStatus ?s .
          FILTER (STR(?a) < STR(?b)) FILTER (?s IN (%s)) }""" % (
            "mutu:accepted" if accepted_only else "mutu:accepted, mutu:proposed")
        for row in store.select(q, dataset=QueryDataset(graphs, ())):
            ra, rb = root(row["a"].value), root(row["b"].value)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {iri: root(iri) for iri in list(parent)}
