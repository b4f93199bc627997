"""A SHACL Core engine: shapes compiled to SPARQL, evaluated by pyoxigraph in memory.

The shapes graph (small) is read with rdflib and compiled once into :class:`Program`. The
data (and context) go into an in-memory ``pyoxigraph.Store``; each constraint becomes one
SPARQL query that returns only the offending focus nodes / values, so Python touches the
results, not the data. The outcome is the same :class:`app.validation.Report` as the pyshacl
path (pyshacl stays the reference: tests compare both engines).

Entry points:

- :func:`compile_shapes` -> :class:`Program`, or :class:`Unsupported` when the shapes use
  something this engine does not do (SHACL-SPARQL, custom targets, recursion...): the caller
  then runs pyshacl on the whole shapes graph;
- :func:`validate_graph` for rdflib graphs, :func:`validate_triples` for pyoxigraph triples
  (the load pipeline: no rdflib on the fast path, rdflib terms only for the results).

How it works. A set of focus nodes is a SPARQL sub-select binding ``?this`` (targets, then
the value nodes of a path from a parent set, to any depth). Value-type constraints are FILTER
conditions; counts are GROUP BY / HAVING; shape-based constraints (node, not, and, or, xone)
are inlined as boolean expressions when the nested shapes allow it (value-type constraints,
minCount 1 and value constraints of nested property shapes) and otherwise evaluated as sets
of non-conforming nodes, recursively, and joined back through a scratch named graph.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS

SH_NS = "http://www.w3.org/ns/shacl#"
SH = rdflib.Namespace(SH_NS)
XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"

# oxigraph stores the integer-derived XSD types as xsd:integer: keep them apart under a
# private datatype (and map back when reporting), and check their ranges in Python.
_PRIVATE_DT = "urn:x-mutu:xsd#"
_ILL_DT = "urn:x-mutu:ill-typed:"
_DERIVED_INTEGER = {
    "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1),
    "byte": (-128, 127), "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1), "unsignedByte": (0, 255),
}
_DERIVED_IRIS = {XSD + name for name in _DERIVED_INTEGER}
_DERIVED_MARKERS = tuple(f"<{XSD}{name}>".encode() for name in _DERIVED_INTEGER)
# Datatypes whose lexical forms SPARQL casts check (a well-formed literal survives a round trip).
_CASTABLE = {XSD + n for n in ("integer", "decimal", "double", "float", "boolean", "dateTime",
                               "date", "time")}

_CONSTS = "urn:x-mutu:shacl:consts"
_IS = "<urn:x-mutu:shacl:is>"
_MEMBER = "<urn:x-mutu:shacl:member>"

_COMPONENT = {name: SH_NS + name[0].upper() + name[1:] + "ConstraintComponent" for name in (
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "languageIn",
    "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or",
    "xone", "node", "qualifiedMinCount", "qualifiedMaxCount", "closed", "hasValue", "in")}

# Predicates of the sh: namespace this engine understands on a shape; any other one (sh:sparql,
# sh:target, sh:rule, sh:js...) makes the shapes graph unsupported.
_KNOWN = {SH[n] for n in (
    "path", "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "severity",
    "message", "name", "description", "order", "group", "defaultValue", "deactivated",
    "property", "ignoredProperties", "flags", "qualifiedMinCount", "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint", "qualifiedValueShape", "closed", "class", "datatype",
    "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive", "maxExclusive",
    "maxInclusive", "minLength", "maxLength", "pattern", "languageIn", "uniqueLang", "equals",
    "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or", "xone", "node", "hasValue",
    "in", "shapesGraph", "entailment", "declare", "prefixes", "suggestedShapesGraph")}
_SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape)
_VALUE_TYPE = ("class", "datatype", "nodeKind", "minExclusive", "minInclusive", "maxExclusive",
               "maxInclusive", "minLength", "maxLength", "pattern", "languageIn", "in")


class Unsupported(Exception):
    """The shapes graph uses something this engine does not implement."""


# --------------------------------------------------------------------------- terms

class Terms:
    """Conversions between rdflib and pyoxigraph terms for one validation.

    Blank nodes get fresh pyoxigraph blank nodes (and map back to the very same rdflib
    terms); literals of integer-derived XSD types get a private datatype."""

    def __init__(self):
        self._to_ox: dict = {}
        self._to_rdflib: dict = {}

    def ox(self, term):
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, BNode):
            node = self._to_ox.get(term)
            if node is None:
                node = self._to_ox[term] = ox.BlankNode()
                self._to_rdflib[node] = term
            return node
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                datatype = str(term.datatype)
                if getattr(term, "ill_typed", False):
                    # rdflib may rewrite an ill-typed lexical form ("none"^^xsd:boolean is
                    # kept as "false"): keep it ill-formed for the datatype checks.
                    literal = ox.Literal(str(term), datatype=ox.NamedNode(_ILL_DT + datatype))
                    self._to_rdflib.setdefault(literal, term)
                    return literal
                if datatype in _DERIVED_IRIS:
                    datatype = _PRIVATE_DT + datatype[len(XSD):]
                literal = ox.Literal(str(term), datatype=ox.NamedNode(datatype))
                if datatype.startswith(XSD) and datatype != XSD + "string":
                    self._to_rdflib.setdefault(literal, term)
                return literal
            return ox.Literal(str(term))
        raise TypeError(f"unsupported term {term!r}")

    def restore(self, literals) -> None:
        """Map canonicalised literals back to their written lexical forms."""
        for canonical, original in _canonical_map(literals).items():
            self._to_rdflib[canonical] = self._to_rdflib.get(original) or self.rdflib(original)

    def rdflib(self, term):
        if term is None:
            return None
        if isinstance(term, ox.Literal):
            known = self._to_rdflib.get(term)
            if known is not None:
                return known
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            known = self._to_rdflib.get(term)
            return known if known is not None else BNode(term.value)
        if isinstance(term, ox.Literal):
            if term.language:
                return Literal(term.value, lang=term.language)
            datatype = term.datatype.value
            if datatype.startswith(_PRIVATE_DT):
                datatype = XSD + datatype[len(_PRIVATE_DT):]
            if datatype == XSD + "string":
                return Literal(term.value)
            return Literal(term.value, datatype=URIRef(datatype))
        raise TypeError(f"unsupported term {term!r}")


def _canonical_map(literals) -> dict:
    """{the literal as the store gives it back: the literal as written} for typed literals whose
    lexical form oxigraph canonicalises ("4.0"^^xsd:decimal comes back as "4")."""
    store = ox.Store()
    originals = []
    p = ox.NamedNode("urn:x-mutu:shacl:p")
    quads = []
    for literal in literals:
        quads.append(ox.Quad(ox.NamedNode(f"urn:x-mutu:shacl:i{len(originals)}"), p, literal))
        originals.append(literal)
    store.extend(quads)
    out = {}
    for quad in store:
        original = originals[int(quad.subject.value[len("urn:x-mutu:shacl:i"):])]
        if quad.object != original:
            out[quad.object] = original
    return out


def _needs_canonical(term) -> bool:
    return (isinstance(term, ox.Literal) and not term.language
            and term.datatype.value.startswith(XSD) and term.datatype.value != XSD + "string")


def _private(term: ox.Literal) -> ox.Literal:
    datatype = term.datatype.value
    if datatype in _DERIVED_IRIS:
        return ox.Literal(term.value, datatype=ox.NamedNode(_PRIVATE_DT + datatype[len(XSD):]))
    return term


# --------------------------------------------------------------------------- compiled shapes

@dataclass(eq=False)
class Shape:
    node: object                     # the shape's rdflib term
    path: object = None              # rdflib path node (property shapes)
    path_sparql: str | None = None
    path_iri: URIRef | None = None   # when the path is a single predicate
    severity: URIRef = SH.Violation
    deactivated: bool = False
    messages: list = field(default_factory=list)
    targets: list = field(default_factory=list)   # (kind, rdflib term)
    constraints: list = field(default_factory=list)  # (name, params dict)
    properties: list = field(default_factory=list)   # Shape
    parents: list = field(default_factory=list)      # node shapes having it as sh:property

    @property
    def is_property(self) -> bool:
        return self.path is not None


def _queries(shape: Shape, depth: int = 0) -> int:
    """About how many queries evaluating a shape makes (nested shapes count, up to a depth)."""
    if depth > 4:
        return 100
    return len(shape.constraints) + sum(_queries(p, depth + 1) for p in shape.properties)


class Program:
    """A compiled shapes graph."""

    def __init__(self, shapes: rdflib.Graph):
        self.graph = shapes
        self.shapes: dict = {}
        self.consts: dict = {}  # blank-node constants of the shapes graph: rdflib term -> index
        self._compile()

    # -- reading the shapes graph
    def _list(self, node) -> list:
        items, seen = [], set()
        while node != RDF.nil:
            if node in seen:
                raise Unsupported("cyclic RDF list")
            seen.add(node)
            first, rest = self.graph.value(node, RDF.first), self.graph.value(node, RDF.rest)
            if first is None or rest is None:
                raise Unsupported("ill-formed RDF list")
            items.append(first)
            node = rest
        return items

    def _path(self, node, depth=0) -> str:
        g = self.graph
        if depth > 32:
            raise Unsupported("path too deep")
        if isinstance(node, URIRef):
            return f"<{node}>"
        if not isinstance(node, BNode):
            raise Unsupported(f"bad path {node!r}")
        if (node, RDF.first, None) in g:
            items = self._list(node)
            if len(items) < 2:
                raise Unsupported("sequence path with fewer than 2 members")
            return "(" + "/".join(self._path(i, depth + 1) for i in items) + ")"
        for predicate, fmt in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"),
                               (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
            inner = g.value(node, predicate)
            if inner is not None:
                return fmt.format(self._path(inner, depth + 1))
        alternative = g.value(node, SH.alternativePath)
        if alternative is not None:
            items = self._list(alternative)
            return "(" + "|".join(self._path(i, depth + 1) for i in items) + ")"
        raise Unsupported(f"unrecognised path {node!r}")

    def _is_shape_candidate(self, node) -> bool:
        g = self.graph
        return any((node, RDF.type, t) in g for t in _SHAPE_TYPES)

    def _compile(self) -> None:
        g = self.graph
        found = set()
        for t in _SHAPE_TYPES:
            found.update(g.subjects(RDF.type, t))
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
            found.update(g.subjects(p, None))
        for p in (SH.node, SH.property, SH["not"], SH.qualifiedValueShape):
            found.update(o for o in g.objects(None, p))
        for p in (SH["and"], SH["or"], SH.xone):
            for lst in g.objects(None, p):
                found.update(self._list(lst))
        for node in found:
            if isinstance(node, Literal):
                raise Unsupported("a literal used as a shape")
            self.shape(node)
        for shape in list(self.shapes.values()):
            for prop in shape.properties:
                prop.parents.append(shape)

    def shape(self, node) -> Shape:
        if node in self.shapes:
            return self.shapes[node]
        g = self.graph
        s = self.shapes[node] = Shape(node)
        for p in set(g.predicates(node, None)):
            if str(p).startswith(SH_NS) and p not in _KNOWN:
                raise Unsupported(f"sh:{str(p)[len(SH_NS):]} is not supported")
        path = g.value(node, SH.path)
        if path is not None:
            s.path = path
            s.path_sparql = self._path(path)
            s.path_iri = path if isinstance(path, URIRef) else None
        s.severity = g.value(node, SH.severity) or SH.Violation
        s.deactivated = any(isinstance(v, Literal) and v.toPython() is True
                            for v in g.objects(node, SH.deactivated))
        s.messages = list(g.objects(node, SH.message))
        for kind in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
            for value in g.objects(node, SH[kind]):
                s.targets.append((kind, value))
        if (node, RDF.type, RDFS.Class) in g and self._is_shape_candidate(node):
            s.targets.append(("targetClass", node))
        c = s.constraints
        for name in ("class", "datatype", "nodeKind", "minExclusive", "minInclusive",
                     "maxExclusive", "maxInclusive", "equals", "disjoint", "lessThan",
                     "lessThanOrEquals", "node", "not", "hasValue"):
            for value in g.objects(node, SH[name]):
                c.append((name, {name: value}))
        for name in ("minCount", "maxCount", "minLength", "maxLength"):
            for value in g.objects(node, SH[name]):
                number = value.toPython() if isinstance(value, Literal) else None
                if not isinstance(number, int) or isinstance(number, bool):
                    raise Unsupported(f"sh:{name} {value!r} is not an integer")
                c.append((name, {name: number}))
        flags = [str(f) for f in g.objects(node, SH.flags)]
        for value in g.objects(node, SH.pattern):
            c.append(("pattern", {"pattern": str(value), "flags": flags[0] if flags else None}))
        for value in g.objects(node, SH.languageIn):
            c.append(("languageIn", {"languageIn": [str(x) for x in self._list(value)]}))
        for value in g.objects(node, SH["in"]):
            c.append(("in", {"in": self._list(value)}))
        for value in g.objects(node, SH.uniqueLang):
            # Only the literal true activates it (w3c/data-shapes issue #98).
            if isinstance(value, Literal) and value.datatype == URIRef(XSD + "boolean") \
                    and str(value) == "true":
                c.append(("uniqueLang", {}))
        for name in ("and", "or", "xone"):
            for value in g.objects(node, SH[name]):
                c.append((name, {"shapes": self._list(value)}))
        for value in g.objects(node, SH.qualifiedValueShape):
            disjoint = any(isinstance(v, Literal) and v.toPython() is True
                           for v in g.objects(node, SH.qualifiedValueShapesDisjoint))
            for name in ("qualifiedMinCount", "qualifiedMaxCount"):
                for count in g.objects(node, SH[name]):
                    c.append((name, {"shape": value, "count": count.toPython(), "disjoint": disjoint}))
        closed = any(isinstance(v, Literal) and v.toPython() is True for v in g.objects(node, SH.closed))
        if closed:
            allowed = set()
            for ignored in g.objects(node, SH.ignoredProperties):
                allowed.update(self._list(ignored))
            for prop in g.objects(node, SH.property):
                path = g.value(prop, SH.path)
                if isinstance(path, URIRef):
                    allowed.add(path)
            c.append(("closed", {"allowed": sorted(allowed, key=str)}))
        for prop in g.objects(node, SH.property):
            s.properties.append(self.shape(prop))
        for name, params in c:
            for key in ("node", "not"):
                if key in params:
                    self.shape(params[key])
            for member in params.get("shapes", ()):
                self.shape(member)
            if "shape" in params:
                self.shape(params["shape"])
        return s

    def top_level(self) -> list[Shape]:
        return [s for s in self.shapes.values() if s.targets and not s.deactivated]


_programs_lock = threading.Lock()
_programs: dict = {}


def compile_shapes(shapes: rdflib.Graph) -> Program:
    """Compile (once per shapes graph object and size) or raise :class:`Unsupported`."""
    key = (id(shapes), len(shapes))
    with _programs_lock:
        cached = _programs.get(key)
        if cached is not None and cached.graph is shapes:
            return cached
    program = Program(shapes)
    with _programs_lock:
        if len(_programs) > 32:
            _programs.clear()
        _programs[key] = program
    return program


def supports(shapes: rdflib.Graph) -> bool:
    try:
        compile_shapes(shapes)
        return True
    except Unsupported:
        return False


# --------------------------------------------------------------------------- evaluation

@dataclass
class RawResult:
    focus: object            # pyoxigraph term
    value: object | None     # pyoxigraph term
    shape: Shape
    component: str
    path: object = None      # rdflib path node (overrides the shape's path, for sh:closed)


class _Evaluator:
    def __init__(self, program: Program, store: ox.Store, terms: Terms, name: str = "",
                 facts: dict | None = None):
        self.p = program
        self.store = store
        self.terms = terms
        self.name = name  # keeps the scratch IRIs of evaluators sharing one store apart
        # Whole-store facts per predicate, shared by the evaluators of one validation.
        self.facts = facts if facts is not None else {}
        self.counter = itertools.count()
        self.consts: dict = {}
        self.stack: list = []
        self.subclasses: dict = {}
        self.scratch: list = []

    def var(self, stem="x") -> str:
        return f"?{stem}{next(self.counter)}"

    def select(self, query: str) -> list:
        return list(self.store.query(query))

    # -- constants (blank nodes of the shapes graph cannot be written in a query)
    def _const_iri(self, term) -> str:
        index = self.consts.get(term)
        if index is None:
            index = self.consts[term] = len(self.consts)
            self.store.add(ox.Quad(ox.NamedNode(f"urn:x-mutu:shacl:const:{self.name}{index}"),
                                   ox.NamedNode(_IS[1:-1]), self.terms.ox(term), ox.NamedNode(_CONSTS)))
        return f"<urn:x-mutu:shacl:const:{self.name}{index}>"

    def text(self, term) -> str | None:
        """SPARQL text of a constant, or None for a blank node."""
        if isinstance(term, BNode):
            return None
        return str(self.terms.ox(term))

    def bind(self, var: str, term) -> str:
        """A pattern binding var to the constant term."""
        t = self.text(term)
        if t is not None:
            return f"VALUES {var} {{ {t} }}"
        return f"GRAPH <{_CONSTS}> {{ {self._const_iri(term)} {_IS} {var} }}"

    def equal(self, var: str, term) -> str:
        t = self.text(term)
        if t is not None:
            return f"sameTerm({var}, {t})"
        return f"EXISTS {{ GRAPH <{_CONSTS}> {{ {self._const_iri(term)} {_IS} {var} }} }}"

    def node_set(self, nodes) -> str:
        """A named graph holding ox terms; returns a pattern text maker's graph IRI."""
        iri = f"urn:x-mutu:shacl:set:{self.name}{next(self.counter)}"
        g = ox.NamedNode(iri)
        subject = ox.NamedNode("urn:x-mutu:shacl:s")
        member = ox.NamedNode(_MEMBER[1:-1])
        self.store.extend(ox.Quad(subject, member, n, g) for n in nodes)
        self.scratch.append(g)
        return iri

    def in_set(self, iri: str, var: str) -> str:
        return f"GRAPH <{iri}> {{ <urn:x-mutu:shacl:s> {_MEMBER} {var} }}"

    def cleanup(self):
        for g in self.scratch:
            self.store.remove_graph(g)
        self.scratch.clear()

    # -- focus sets
    def _classes(self, cls) -> list:
        if cls not in self.subclasses:
            if isinstance(cls, BNode):
                self.subclasses[cls] = None
            else:
                rows = self.select(f"SELECT DISTINCT ?c WHERE {{ ?c <{_RDFS}subClassOf>* {self.text(cls)} }}")
                self.subclasses[cls] = [r["c"] for r in rows] or [self.terms.ox(cls)]
        return self.subclasses[cls]

    def covering_class(self, shape: Shape) -> str | None:
        """For targets that are all classes: one of the classes (with subclasses) whose
        instances include those of all the others, as SPARQL text; else None.

        Loads add implied types (every mutu:Event is a schema:Event), so the usual pair of
        target classes is one class: its instances are then distinct without a DISTINCT or a
        materialised set, which costs more than the scan."""
        classes = []
        for kind, value in shape.targets:
            found = self._classes(value) if kind == "targetClass" else None
            if found is None:
                return None
            classes.extend(c for c in found if c not in classes)
        for candidate in classes:
            if all(not self.store.query(f"ASK {{ ?x a {other} FILTER NOT EXISTS {{ ?x a {candidate} }} }}")
                   for other in classes if other != candidate):
                return str(candidate)
        return None

    def target_focus(self, shape: Shape) -> str:
        cover = self.covering_class(shape)
        if cover is not None:
            return f"{{ ?this a {cover} }}"
        parts = []
        for kind, value in shape.targets:
            if kind == "targetClass":
                classes = self._classes(value)
                if classes is None:
                    c = self.var("c")
                    parts.append(f"?this a/<{_RDFS}subClassOf>* {c} . {self.bind(c, value)}")
                else:
                    values = " ".join(str(c) for c in classes)
                    c = self.var("c")
                    parts.append(f"VALUES {c} {{ {values} }} ?this a {c} .")
            elif kind == "targetNode":
                parts.append(self.bind("?this", value))
            elif kind == "targetSubjectsOf":
                if not isinstance(value, URIRef):
                    raise Unsupported("targetSubjectsOf needs an IRI")
                parts.append(f"?this <{value}> {self.var()} .")
            elif kind == "targetObjectsOf":
                if not isinstance(value, URIRef):
                    raise Unsupported("targetObjectsOf needs an IRI")
                parts.append(f"{self.var()} <{value}> ?this .")
        union = " UNION ".join("{ " + p + " }" for p in parts)
        distinct = f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"
        if _queries(shape) <= 2:
            return distinct  # writing the set costs more than evaluating it once or twice
        # Materialised once (in the store, no round trip through Python): every constraint of
        # the shape then scans this small graph instead of re-evaluating the targets.
        iri = f"urn:x-mutu:shacl:set:{self.name}{next(self.counter)}"
        self.store.update(f"INSERT {{ GRAPH <{iri}> {{ <urn:x-mutu:shacl:s> {_MEMBER} ?this }} }} "
                          f"WHERE {distinct}")
        self.scratch.append(ox.NamedNode(iri))
        return f"{{ {self.in_set(iri, '?this')} }}"

    def value_focus(self, focus: str, shape: Shape) -> str:
        """The value nodes of a property shape over a focus set, as a new focus set."""
        if not shape.is_property:
            return focus
        f = self.var("f")
        return (f"{{ SELECT DISTINCT ?this WHERE {{ {{ SELECT (?this AS {f}) WHERE {{ {focus} }} }} "
                f"{f} {shape.path_sparql} ?this }} }}")

    def pairs(self, focus: str, shape: Shape) -> tuple[str, str]:
        """(pattern binding ?this and the value variable, value variable)."""
        if not shape.is_property:
            return focus, "?this"
        return f"{focus} ?this {shape.path_sparql} ?value .", "?value"

    # -- shape evaluation
    def evaluate(self, shape: Shape, focus: str, mult: dict | None = None) -> list[RawResult]:
        """Results of a shape over a focus set. ``mult``: how many times a focus node was
        reached (a value node reached from two parents is validated twice, as in pyshacl)."""
        if shape.deactivated:
            return []
        if shape in self.stack:
            raise Unsupported("recursive shapes")
        self.stack.append(shape)
        try:
            out: list[RawResult] = []
            fused = self.fused_value_results(shape, focus)
            for index, (name, params) in enumerate(shape.constraints):
                if index in fused:
                    out.extend(fused[index])
                else:
                    out.extend(self.constraint(shape, focus, name, params))
            if mult:
                out = [r for r in out for _ in range(mult.get(r.focus, 1))]
            if shape.properties:
                inner = self.value_focus(focus, shape)
                inner_mult = self.multiplicity(focus, shape, mult) if shape.is_property else mult
                for prop in shape.properties:
                    out.extend(self.evaluate(prop, inner, inner_mult))
            return out
        finally:
            self.stack.pop()

    def multiplicity(self, focus: str, shape: Shape, mult: dict | None) -> dict | None:
        counts: dict = {}
        for r in self.select(f"SELECT DISTINCT ?this ?value WHERE {{ {focus} ?this {shape.path_sparql} ?value }}"):
            counts[r["value"]] = counts.get(r["value"], 0) + ((mult or {}).get(r["this"], 1))
        return {k: n for k, n in counts.items() if n > 1} or None

    def failing(self, node, focus: str) -> set:
        shape = self.p.shape(node)
        return {r.focus for r in self.evaluate(shape, focus)}  # a set: multiplicities do not matter

    def _results(self, rows, shape, component, with_value=True, value_key="value"):
        comp = _COMPONENT[component]
        out = []
        for r in rows:
            focus = r["this"]
            value = (r[value_key] if value_key != "this" else focus) if with_value else None
            out.append(RawResult(focus, value, shape, comp))
        return out

    def value_rows(self, shape, focus, condition: str) -> list:
        pattern, v = self.pairs(focus, shape)
        if v == "?this":
            return self.select(f"SELECT DISTINCT ?this WHERE {{ {pattern} FILTER({condition}) }}")
        return self.select(f"SELECT DISTINCT ?this ?value WHERE {{ {pattern} FILTER({condition}) }}")

    def value_results(self, shape, focus, name, condition):
        rows = self.value_rows(shape, focus, condition)
        return self._results(rows, shape, name, value_key="value" if shape.is_property else "this")

    def value_condition(self, shape: Shape, name: str, params: dict) -> str | None:
        """The FILTER condition of a constraint checked value by value, or None."""
        v = "?value" if shape.is_property else "?this"
        if name in _VALUE_TYPE:
            if name == "datatype" and str(params["datatype"]) in _DERIVED_IRIS:
                return None
            return f"!({self.value_ok(name, params, v)})"
        if name in ("node", "not", "and", "or", "xone"):
            expr = self.inline_shape_constraint(name, params, v)
            return None if expr is None else f"!({expr})"
        return None

    def fused_value_results(self, shape: Shape, focus: str) -> dict:
        """{constraint index: results} for the value-by-value constraints of a shape, checked in
        one pass over its (focus, value) pairs instead of one query each.

        Each condition is bound to its own variable: it is true exactly where the constraint's
        own FILTER would keep the row (an error leaves it unbound, like a failed FILTER)."""
        conditions = {}
        for index, (name, params) in enumerate(shape.constraints):
            if name in _VALUE_TYPE or name in ("node", "not", "and", "or", "xone"):
                condition = self.value_condition(shape, name, params)
                if condition is not None:
                    conditions[index] = condition
        if shape.is_property and any("EXISTS" in c for c in conditions.values()):
            return self.fused_by_value(shape, focus, conditions)
        # minCount 1 on a predicate joins the same pass: an OPTIONAL value, missing or not.
        missing = None
        if shape.path_iri is not None and conditions:
            missing = next((i for i, (name, params) in enumerate(shape.constraints)
                            if name == "minCount" and params["minCount"] == 1), None)
        if len(conditions) + (missing is not None) < 2:
            return {}
        pattern, v = self.pairs(focus, shape)
        flags = {index: self.var("b") for index in conditions}
        if missing is not None:
            pattern = f"{focus} OPTIONAL {{ ?this {shape.path_sparql} ?value }}"
            # A condition is only evaluated on a value: on an unbound one it could be true.
            binds = " ".join(f"BIND(IF(BOUND(?value), ({conditions[i]}), false) AS {flags[i]})"
                             for i in conditions)
            flags[missing] = self.var("b")
            binds += f" BIND(!BOUND(?value) AS {flags[missing]})"
        else:
            binds = " ".join(f"BIND(({conditions[i]}) AS {flags[i]})" for i in conditions)
        keep = " || ".join(flags.values())
        select = "?this" if v == "?this" else "?this ?value"
        rows = self.select(f"SELECT DISTINCT {select} {' '.join(flags.values())} WHERE "
                           f"{{ {pattern} {binds} FILTER({keep}) }}")
        out = {}
        for index in flags:
            flag = flags[index][1:]
            hits = [r for r in rows if r[flag] is not None and r[flag].value == "true"]
            name = shape.constraints[index][0]
            if index == missing:
                out[index] = self._results(hits, shape, name, with_value=False)
            else:
                out[index] = self._results(hits, shape, name,
                                           value_key="value" if shape.is_property else "this")
        return out

    def fused_by_value(self, shape: Shape, focus: str, conditions: dict) -> dict:
        """Like fused_value_results, with the conditions evaluated once per distinct value: a
        condition depends on the value alone, and lookups (EXISTS) cost more than the pass.
        The focus nodes of the (usually no) failing values are then found in a second query."""
        pattern, _ = self.pairs(focus, shape)
        flags = {index: self.var("b") for index in conditions}
        binds = " ".join(f"BIND(({conditions[i]}) AS {flags[i]})" for i in conditions)
        keep = " || ".join(flags.values())
        rows = self.select(f"SELECT ?value {' '.join(flags.values())} WHERE {{ {{ SELECT DISTINCT ?value "
                           f"WHERE {{ {pattern} }} }} {binds} FILTER({keep}) }}")
        out = {index: [] for index in conditions}
        if not rows:
            return out
        failing = {r["value"]: r for r in rows}
        pairs = self.select(f"SELECT DISTINCT ?this ?value WHERE {{ {pattern} "
                            f"{self.in_set(self.node_set(failing), '?value')} }}")
        for index in conditions:
            flag = flags[index][1:]
            hits = [r for r in pairs
                    if failing[r["value"]][flag] is not None and failing[r["value"]][flag].value == "true"]
            out[index] = self._results(hits, shape, shape.constraints[index][0], value_key="value")
        return out

    # -- whole-store facts that let a constraint be skipped (same results, less work)
    def _fact(self, key, compute):
        # Computed once even when both threads ask at the same time (a whole-predicate scan).
        with self.facts.setdefault(("lock", key), threading.Lock()):
            value = self.facts.get(key)
            if value is None:
                value = self.facts[key] = compute()
        return value

    def single_valued(self, predicate: URIRef) -> bool:
        """No subject in the store has two values of this predicate."""
        def compute():
            row = self.select(f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?m) WHERE {{ ?s <{predicate}> ?o }}")[0]
            return row["n"].value == row["m"].value
        return self._fact(("single", predicate), compute)

    def unique_langs(self, predicate: URIRef) -> bool:
        """No subject in the store has two values of this predicate with the same language."""
        if self.single_valued(predicate):
            return True
        # Per language (a handful of groups): as many values as subjects means one value each.
        return self._fact(("unique-lang", predicate), lambda: all(
            row["n"].value == row["m"].value for row in self.select(
                f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?m) WHERE {{ ?s <{predicate}> ?o "
                f"FILTER(isLiteral(?o) && lang(?o) != \"\") BIND(LCASE(lang(?o)) AS ?l) }} GROUP BY ?l")))

    def constraint(self, shape: Shape, focus: str, name: str, params: dict) -> list[RawResult]:
        v = "?value" if shape.is_property else "?this"
        if name in _VALUE_TYPE:
            if name == "datatype" and str(params["datatype"]) in _DERIVED_IRIS:
                return self.derived_datatype(shape, focus, str(params["datatype"]))
            ok = self.value_ok(name, params, v)
            return self.value_results(shape, focus, name, f"!({ok})")
        if name in ("node", "not", "and", "or", "xone"):
            expr = self.inline_shape_constraint(name, params, v)
            if expr is not None:
                return self.value_results(shape, focus, name, f"!({expr})")
            return self.shape_constraint(shape, focus, name, params)
        path = shape.path_sparql
        if name == "minCount":
            n = params["minCount"]
            if not shape.is_property:
                return [] if n <= 1 else self._results(self.select(
                    f"SELECT ?this WHERE {{ {focus} }}"), shape, name, with_value=False)
            if n == 0:
                return []
            if n == 1:
                rows = self.select(f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} ?x }} }}")
            else:
                rows = self.select(f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?x }} }} "
                                   f"GROUP BY ?this HAVING (COUNT(DISTINCT ?x) < {n})")
            return self._results(rows, shape, name, with_value=False)
        if name == "maxCount":
            n = params["maxCount"]
            if not shape.is_property:
                return [] if n >= 1 else self._results(self.select(
                    f"SELECT ?this WHERE {{ {focus} }}"), shape, name, with_value=False)
            if n >= 1 and shape.path_iri is not None and self.single_valued(shape.path_iri):
                return []
            rows = self.select(f"SELECT ?this WHERE {{ {focus} ?this {path} ?x }} "
                               f"GROUP BY ?this HAVING (COUNT(DISTINCT ?x) > {n})")
            return self._results(rows, shape, name, with_value=False)
        if name == "uniqueLang":
            if not shape.is_property:
                return []
            if shape.path_iri is not None and self.unique_langs(shape.path_iri):
                return []
            rows = self.select(
                f"SELECT ?this ?lang WHERE {{ {focus} ?this {path} ?value "
                f"FILTER(isLiteral(?value) && lang(?value) != \"\") BIND(LCASE(lang(?value)) AS ?lang) }} "
                f"GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?value) > 1)")
            return self._results(rows, shape, name, with_value=False)
        if name == "hasValue":
            term = params["hasValue"]
            if not shape.is_property:
                rows = self.select(f"SELECT ?this WHERE {{ {focus} FILTER(!({self.equal('?this', term)})) }}")
            else:
                x = self.var()
                rows = self.select(f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} {x} "
                                   f"FILTER({self.equal(x, term)}) }} }}")
            return self._results(rows, shape, name, with_value=False)
        if name in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
            other = params[name]
            if not isinstance(other, URIRef):
                raise Unsupported(f"sh:{name} needs an IRI")
            return self.pair_constraint(shape, focus, name, f"<{other}>")
        if name == "closed":
            return self.closed(shape, focus, params["allowed"])
        if name in ("qualifiedMinCount", "qualifiedMaxCount"):
            return self.qualified(shape, focus, name, params)
        raise Unsupported(name)

    # -- value-type conditions
    def value_ok(self, name: str, params: dict, v: str) -> str:
        """A SPARQL boolean: the value node in v satisfies the constraint (never an error)."""
        if name == "class":
            cls = params["class"]
            c = self.var("c")
            classes = self._classes(cls)
            if classes is None:
                return f"EXISTS {{ {v} a/<{_RDFS}subClassOf>* {c} . {self.bind(c, cls)} }}"
            # The (few) subclasses are resolved once; the value's own types are then scanned.
            # (A VALUES block or a path to a variable inside EXISTS makes oxigraph scan every
            # typed node for each value: minutes at 20k triples.)
            return f"EXISTS {{ {v} a {c} FILTER({c} IN ({', '.join(str(x) for x in classes)})) }}"
        if name == "datatype":
            dt = str(params["datatype"])
            if dt == _RDF + "langString":
                return f"(isLiteral({v}) && lang({v}) != \"\")"
            if dt == XSD + "string":
                return f"(isLiteral({v}) && lang({v}) = \"\" && sameTerm(datatype({v}), <{dt}>))"
            check = f"(isLiteral({v}) && sameTerm(datatype({v}), <{dt}>)"
            if dt in _CASTABLE:
                check += f" && COALESCE(sameTerm(<{dt}>(STR({v})), {v}), false)"
            return check + ")"
        if name == "nodeKind":
            kind = params["nodeKind"]
            tests = {SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
                     SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
                     SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
                     SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))"}
            if kind not in tests:
                raise Unsupported(f"sh:nodeKind {kind}")
            return tests[kind].format(v=v)
        ops = {"minExclusive": ">", "minInclusive": ">=", "maxExclusive": "<", "maxInclusive": "<="}
        if name in ops:
            bound = params[name]
            if not isinstance(bound, Literal):
                raise Unsupported(f"sh:{name} needs a literal")
            return f"COALESCE({v} {ops[name]} {self.text(bound)}, false)"
        if name in ("minLength", "maxLength"):
            op = ">=" if name == "minLength" else "<="
            return f"COALESCE(!isBlank({v}) && STRLEN(STR({v})) {op} {params[name]}, false)"
        if name == "pattern":
            pattern = Literal(params["pattern"])
            flags = params.get("flags")
            args = f"STR({v}), {self.text(pattern)}" + (f", {self.text(Literal(flags))}" if flags else "")
            return f"COALESCE(!isBlank({v}) && REGEX({args}), false)"
        if name == "languageIn":
            langs = params["languageIn"]
            if not langs:
                return "false"
            tests = " || ".join(f"langMatches(lang({v}), {self.text(Literal(t))})" for t in langs)
            return f"COALESCE(isLiteral({v}) && ({tests}), false)"
        if name == "in":
            members = params["in"]
            if not members:
                return "false"
            return "(" + " || ".join(self.equal(v, m) for m in members) + ")"
        raise Unsupported(name)

    # -- inlining nested shapes as boolean expressions
    def conforms_expr(self, node, v: str, depth=0) -> str | None:
        """A SPARQL boolean for "v conforms to the shape", or None when it cannot be inlined."""
        if depth > 8:
            return None
        shape = self.p.shape(node)
        if shape.deactivated:
            return "true"
        if shape.is_property:
            if shape.properties:
                return None
            parts = []
            x = self.var()
            bad = []
            for name, params in shape.constraints:
                if name == "minCount":
                    if params["minCount"] == 1:
                        parts.append(f"EXISTS {{ {v} {shape.path_sparql} {self.var()} }}")
                    elif params["minCount"] > 1:
                        return None
                elif name in _VALUE_TYPE and not (name == "datatype" and str(params["datatype"]) in _DERIVED_IRIS):
                    bad.append(f"!({self.value_ok(name, params, x)})")
                elif name in ("node", "not", "and", "or", "xone"):
                    e = self.inline_shape_constraint(name, params, x, depth + 1)
                    if e is None:
                        return None
                    bad.append(f"!({e})")
                else:
                    return None
            if bad:
                parts.append(f"NOT EXISTS {{ {v} {shape.path_sparql} {x} FILTER({' || '.join(bad)}) }}")
            return " && ".join(parts) if parts else "true"
        parts = []
        for name, params in shape.constraints:
            if name in _VALUE_TYPE and not (name == "datatype" and str(params["datatype"]) in _DERIVED_IRIS):
                parts.append(self.value_ok(name, params, v))
            elif name in ("node", "not", "and", "or", "xone"):
                e = self.inline_shape_constraint(name, params, v, depth + 1)
                if e is None:
                    return None
                parts.append(e)
            elif name == "hasValue":
                parts.append(self.equal(v, params["hasValue"]))
            else:
                return None
        for prop in shape.properties:
            e = self.conforms_expr(prop.node, v, depth + 1)
            if e is None:
                return None
            parts.append(e)
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def inline_shape_constraint(self, name, params, v, depth=0) -> str | None:
        if name in ("node", "not"):
            e = self.conforms_expr(params[name], v, depth)
            if e is None:
                return None
            return e if name == "node" else f"!({e})"
        members = [self.conforms_expr(m, v, depth) for m in params["shapes"]]
        if any(m is None for m in members):
            return None
        if not members:
            return "true" if name == "and" else "false"
        if name == "and":
            return "(" + " && ".join(members) + ")"
        if name == "or":
            return "(" + " || ".join(members) + ")"
        return "((" + " + ".join(f"IF({m}, 1, 0)" for m in members) + ") = 1)"

    # -- shape-based constraints evaluated as sets
    def shape_constraint(self, shape, focus, name, params) -> list[RawResult]:
        inner = self.value_focus(focus, shape)
        if name in ("node", "not"):
            fails = self.failing(params[name], inner)
            if name == "node":
                return self.pairs_in(shape, focus, name, fails, inside=True)
            return self.pairs_in(shape, focus, name, fails, inside=False)
        member_fails = [self.failing(m, inner) for m in params["shapes"]]
        if name == "and":
            bad = set().union(*member_fails)
        elif name == "or":
            bad = set.intersection(*member_fails) if member_fails else self.all_values(inner)
        else:
            bad = set()
            for value in self.all_values(inner):
                conforming = sum(1 for f in member_fails if value not in f)
                if conforming != 1:
                    bad.add(value)
        return self.pairs_in(shape, focus, name, bad, inside=True)

    def all_values(self, focus: str) -> set:
        return {r["this"] for r in self.select(f"SELECT ?this WHERE {{ {focus} }}")}

    def pairs_in(self, shape, focus, name, nodes: set, inside: bool) -> list[RawResult]:
        if inside and not nodes:
            return []
        pattern, v = self.pairs(focus, shape)
        if nodes:
            member = self.in_set(self.node_set(nodes), v)
            test = member if inside else f"FILTER NOT EXISTS {{ {member} }}"
        else:
            test = ""
        select = "?this" if v == "?this" else "?this ?value"
        rows = self.select(f"SELECT DISTINCT {select} WHERE {{ {pattern} {test} }}")
        return self._results(rows, shape, name, value_key="value" if shape.is_property else "this")

    def derived_datatype(self, shape, focus, dt) -> list[RawResult]:
        private = _PRIVATE_DT + dt[len(XSD):]
        pattern, v = self.pairs(focus, shape)
        select = "?this" if v == "?this" else "?this ?value"
        rows = self.select(f"SELECT DISTINCT {select} WHERE {{ {pattern} }}")
        low, high = _DERIVED_INTEGER[dt[len(XSD):]]
        out = []
        for r in rows:
            value = r["this"] if v == "?this" else r["value"]
            good = isinstance(value, ox.Literal) and value.datatype.value == private
            if good:
                text = value.value.strip()
                good = re.fullmatch(r"[+-]?[0-9]+", text) is not None
                if good:
                    number = int(text)
                    good = (low is None or number >= low) and (high is None or number <= high)
            if not good:
                out.append(RawResult(r["this"], value, shape, _COMPONENT["datatype"]))
        return out

    def pair_constraint(self, shape, focus, name, other: str) -> list[RawResult]:
        pattern, v = self.pairs(focus, shape)
        x = self.var()
        select = "?this" if v == "?this" else "?this ?value"
        if name == "equals":
            if shape.is_property:
                q = (f"SELECT DISTINCT ?this ?value WHERE {{ {{ {pattern} FILTER NOT EXISTS {{ ?this {other} ?value }} }} "
                     f"UNION {{ {focus} ?this {other} ?value FILTER NOT EXISTS {{ ?this {shape.path_sparql} ?value }} }} }}")
            else:
                q = (f"SELECT DISTINCT ?this ?value WHERE {{ {{ {focus} FILTER NOT EXISTS {{ ?this {other} ?this }} BIND(?this AS ?value) }} "
                     f"UNION {{ {focus} ?this {other} ?value FILTER(!sameTerm(?value, ?this)) }} }}")
            return self._results(self.select(q), shape, name)
        if name == "disjoint":
            q = f"SELECT DISTINCT {select} WHERE {{ {pattern} ?this {other} {v} }}"
        else:
            op = "<" if name == "lessThan" else "<="
            q = (f"SELECT DISTINCT {select} {x} WHERE {{ {pattern} ?this {other} {x} "
                 f"FILTER(!COALESCE({v} {op} {x}, false)) }}")
        return self._results(self.select(q), shape, name, value_key="value" if shape.is_property else "this")

    def closed(self, shape, focus, allowed) -> list[RawResult]:
        inner = self.value_focus(focus, shape)
        test = ""
        if allowed:
            test = f"FILTER(?p NOT IN ({', '.join(f'<{a}>' for a in allowed)}))"
        rows = self.select(f"SELECT DISTINCT ?this ?p ?value WHERE {{ {inner} ?this ?p ?value {test} }}")
        comp = _COMPONENT["closed"]
        return [RawResult(r["this"], r["value"], shape, comp, path=URIRef(r["p"].value)) for r in rows]

    def qualified(self, shape, focus, name, params) -> list[RawResult]:
        if not shape.is_property:
            raise Unsupported("qualifiedValueShape on a node shape")
        inner = self.value_focus(focus, shape)
        values = self.all_values(inner)
        conforming = values - self.failing(params["shape"], inner)
        if params["disjoint"]:
            siblings = set()
            for parent in shape.parents:
                for prop in parent.properties:
                    for other in self.p.graph.objects(prop.node, SH.qualifiedValueShape):
                        if other != params["shape"]:
                            siblings.add(other)
            for sibling in siblings:
                conforming -= values - self.failing(sibling, inner)
        counts: dict = {}
        for r in self.select(f"SELECT DISTINCT ?this ?value WHERE {{ {focus} OPTIONAL {{ ?this {shape.path_sparql} ?value }} }}"):
            counts.setdefault(r["this"], 0)
            if r["value"] is not None and r["value"] in conforming:
                counts[r["this"]] += 1
        n = params["count"]
        comp = _COMPONENT[name]
        bad = [f for f, c in counts.items() if (c < n if name == "qualifiedMinCount" else c > n)]
        return [RawResult(f, None, shape, comp) for f in bad]

    def evaluate_top(self, shape: Shape) -> list[RawResult]:
        """Results of a shape over its targets; nothing to do when it has no target at all."""
        focus = self.target_focus(shape)
        if not self.store.query(f"ASK {{ {focus} }}"):
            return []
        return self.evaluate(shape, focus)

    def run(self) -> list[RawResult]:
        out = []
        try:
            for shape in self.p.top_level():
                out.extend(self.evaluate_top(shape))
        finally:
            self.cleanup()
        return out


# --------------------------------------------------------------------------- reports

def _severity_label(iri) -> str:
    from app.validation import SEVERITIES, compact
    return SEVERITIES.get(iri) or compact(iri)


def _report_class():
    from app import validation as v

    class SparqlReport(v.Report):
        """A Report whose sh:ValidationReport graph is built only when asked for (it costs
        more than the validation itself when there are thousands of warnings)."""

        def __init__(self, results, program, owners):
            super().__init__(results, None, owners, engine="sparql")
            self._program = program

        def _graph_from_results(self):
            return _report_graph(self._program, self.results, self.conforms)

    return SparqlReport


def _report_graph(program: Program, results, conforms: bool) -> rdflib.Graph:
    from app import validation as v

    shapes = program.graph
    graph = v._new_graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    labels = {label: iri for iri, label in v.SEVERITIES.items()}
    for r in results:
        shape = program.shapes.get(r.shape)
        node = BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, r.focus))
        if r.path_node is not None:
            graph.add((node, SH.resultPath, r.path_node))
            _copy_path(shapes, graph, r.path_node)
        if r.value is not None:
            graph.add((node, SH.value, r.value))
        for m in ((shape.messages if shape is not None else None) or [Literal(r.message)]):
            graph.add((node, SH.resultMessage, m))
        severity = shape.severity if shape is not None else labels.get(r.severity, SH.Violation)
        graph.add((node, SH.resultSeverity, severity))
        graph.add((node, SH.sourceConstraintComponent, URIRef(r.component)))
        if r.shape is not None:
            graph.add((node, SH.sourceShape, r.shape))
    return graph


def _build_report(program: Program, raw: list[RawResult], terms: Terms, keep, owners_of):
    from app import validation as v

    shapes = program.graph
    results = []
    params_cache: dict = {}
    path_cache: dict = {}
    for r in raw:
        focus = terms.rdflib(r.focus)
        if not keep(r.focus, focus):
            continue
        value = terms.rdflib(r.value)
        shape = r.shape
        path_node = r.path if r.path is not None else shape.path
        if path_node is not None and path_node not in path_cache:
            path_cache[path_node] = v.render_path(shapes, path_node)
        path = path_cache.get(path_node) if path_node is not None else None
        if shape.messages:
            message = v._pick_message(shape.messages)
        else:
            if shape.node not in params_cache:
                params_cache[shape.node] = v._shape_parameters(shapes, shape.node)
            try:
                phrase = v._phrase(r.component, params_cache[shape.node], shapes, path)
            except Exception:  # a weird shapes graph must never break the report
                phrase = None
            message = (f"{path if path else 'The resource'} {phrase}" if phrase is not None
                       else f"Breaks the constraint {v.compact(URIRef(r.component))}")
        results.append(v.ValidationResult(focus=focus, path=path, path_node=path_node, value=value,
                                          message=message, severity=_severity_label(shape.severity),
                                          component=r.component, shape=shape.node))
    return _report_class()(results, program, owners_of(results))


def _copy_path(source: rdflib.Graph, target: rdflib.Graph, node) -> None:
    stack, seen = [node], {node}
    while stack:
        subject = stack.pop()
        if not isinstance(subject, BNode):
            continue
        for p, o in source.predicate_objects(subject):
            target.add((subject, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                stack.append(o)


def _owners_from_store(store: ox.Store, terms: Terms, results) -> dict:
    from app.validation import compact
    owners = {}
    for result in results:
        focus = result.focus
        if isinstance(focus, BNode) and focus not in owners:
            for quad in store.quads_for_pattern(None, None, terms.ox(focus), ox.DefaultGraph()):
                if not isinstance(quad.subject, ox.BlankNode):
                    owners[focus] = f"the {compact(URIRef(quad.predicate.value))} of {compact(terms.rdflib(quad.subject))}"
                    break
    return owners


# Top-level shapes are independent: two threads evaluate them on the shared store (pyoxigraph
# releases the GIL while it evaluates a query; results are consumed on their own thread).
_THREADS = min(2, os.cpu_count() or 1)


def _evaluate(program: Program, store: ox.Store, terms: Terms) -> list[RawResult]:
    shapes = program.top_level()
    if _THREADS < 2 or len(shapes) < 2:
        return _Evaluator(program, store, terms).run()
    facts: dict = {}
    results: list = [None] * len(shapes)
    errors: list = []
    jobs = iter(range(len(shapes)))
    lock = threading.Lock()

    def work(k):
        evaluator = _Evaluator(program, store, terms, name=f"w{k}-", facts=facts)
        try:
            while not errors:
                with lock:
                    index = next(jobs, None)
                if index is None:
                    return
                results[index] = evaluator.evaluate_top(shapes[index])
        except BaseException as error:  # re-raised below, on the caller's thread
            errors.append(error)
        finally:
            evaluator.cleanup()

    threads = [threading.Thread(target=work, args=(k,), name=f"mutu-shacl-{k}") for k in range(_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [r for part in results for r in part]


def validate_graph(data: rdflib.Graph, shapes: rdflib.Graph, context: rdflib.Graph | None = None):
    """Validate rdflib graphs; raises :class:`Unsupported` for shapes this engine cannot run."""
    program = compile_shapes(shapes)
    terms = Terms()
    store = ox.Store()
    d = ox.DefaultGraph()
    store.extend(ox.Quad(terms.ox(s), terms.ox(p), terms.ox(o), d) for s, p, o in data)
    if context is not None:
        store.extend(ox.Quad(terms.ox(s), terms.ox(p), terms.ox(o), d) for s, p, o in context)
    raw = _evaluate(program, store, terms)
    wanted = {r.value for r in raw if _needs_canonical(r.value)} | {r.focus for r in raw if _needs_canonical(r.focus)}
    if wanted:
        terms.restore(t for t in list(terms._to_rdflib) if isinstance(t, ox.Literal))

    def keep(_focus_ox, focus):
        return context is None or (focus, None, None) in data

    return _build_report(program, raw, terms, keep, lambda results: _owners_from_store(store, terms, results))


def _store_from_triples(triples, context) -> ox.Store:
    store = ox.Store()
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    if any(marker in body for marker in _DERIVED_MARKERS):
        d = ox.DefaultGraph()
        store.extend(ox.Quad(t.subject, t.predicate, _private(t.object) if isinstance(t.object, ox.Literal)
                             else t.object, d) for t in triples)
    else:
        store.bulk_load(body, format=ox.RdfFormat.N_TRIPLES)
    if context:
        d = ox.DefaultGraph()
        store.extend(ox.Quad(t.subject, t.predicate, _private(t.object) if isinstance(t.object, ox.Literal)
                             else t.object, d) for t in context)
    return store


def validate_triples(triples, shapes: rdflib.Graph, context=None):
    """Validate pyoxigraph triples (plus context triples, whose own results are dropped)."""
    program = compile_shapes(shapes)
    terms = Terms()
    store = _store_from_triples(triples, context)
    raw = _evaluate(program, store, terms)
    wanted = {r.value for r in raw if _needs_canonical(r.value)}
    if wanted:
        datatypes = {t.datatype for t in wanted}
        originals = {t.object for t in itertools.chain(triples, context or ())
                     if isinstance(t.object, ox.Literal) and t.object.datatype in datatypes}
        terms.restore(originals)
    subjects = None

    def keep(focus_ox, _focus):
        nonlocal subjects
        if not context:
            return True
        if subjects is None:
            subjects = {t.subject for t in triples}
        return focus_ox in subjects

    return _build_report(program, raw, terms, keep, lambda results: _owners_from_store(store, terms, results))


def validate_store(store: ox.Store, shapes: rdflib.Graph, meta=(), context=(), originals=None):
    """Validate data already in the default graph of an in-memory store (the fast load path).

    ``meta`` triples are added as data, ``context`` triples as context (their own results are
    dropped); ``originals(datatypes)`` gives the data's literals of those datatypes as written.
    The data must hold no literal of an integer-derived XSD type (see fastload.eligible)."""
    program = compile_shapes(shapes)
    terms = Terms()
    d = ox.DefaultGraph()
    store.extend(ox.Quad(t.subject, t.predicate, _private(t.object) if isinstance(t.object, ox.Literal)
                         else t.object, d) for t in meta)
    added = set()
    for t in context:
        quad = ox.Quad(t.subject, t.predicate, _private(t.object) if isinstance(t.object, ox.Literal)
                       else t.object, d)
        if quad not in store:
            added.add(quad)
    store.extend(added)
    raw = _evaluate(program, store, terms)
    wanted = {r.value for r in raw if _needs_canonical(r.value)}
    if wanted:
        datatypes = {t.datatype for t in wanted}
        found = {t.object for t in itertools.chain(meta, context)
                 if isinstance(t.object, ox.Literal) and t.object.datatype in datatypes}
        terms.restore(found | (originals(datatypes) if originals is not None else set()))

    def keep(focus_ox, _focus):
        if not context:
            return True
        if isinstance(focus_ox, ox.Literal):
            return False
        # A subject of the data: some quad about it is not one the context added.
        return any(q not in added for q in store.quads_for_pattern(focus_ox, None, None, d))

    return _build_report(program, raw, terms, keep, lambda results: _owners_from_store(store, terms, results))
