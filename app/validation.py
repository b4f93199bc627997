"""The one SHACL validation entry point of Mutu (CLI, loads, HTTP writes); pyshacl is the engine.

``validate(data, shapes=..., context=...)`` returns a :class:`Report`. The report is read
from pyshacl's results *graph* (never from its text), turned into :class:`ValidationResult`
records with readable paths and messages, and can be printed as text, JSON or Turtle.

Two notions of success, kept apart on purpose:

- ``Report.conforms`` has the SHACL meaning: there is no result at all (a Warning or an Info
  makes it false, as in the W3C suite);
- ``Report.ok`` is what a load checks: there is no Violation (warnings do not block).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Iterable

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

from app import resources
from app.errors import MutuError
from app.namespaces import PREFIXES

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
RDF_LANGSTRING = RDF.langString

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_SEVERITY_RANK = {"Violation": 0, "Warning": 1, "Info": 2}

_MAX_DEPTH = 32  # deepest property path rendered


# --------------------------------------------------------------------------- term rendering

_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
# Longest namespace first, so that e.g. a nested namespace wins over its parent.
_NAMESPACES = sorted(((ns, prefix) for prefix, ns in PREFIXES.items()), key=lambda item: -len(item[0]))


def compact(term) -> str:
    """A short readable form of an RDF term: ``schema:name``, ``<iri>``, ``"x"@fr``, ``_:b0``."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        iri = str(term)
        for ns, prefix in _NAMESPACES:
            if iri.startswith(ns):
                local = iri[len(ns):]
                if local == "" or _LOCAL_NAME.match(local):
                    return f"{prefix}:{local}"
        return f"<{iri}>"
    if isinstance(term, Literal):
        text = json.dumps(str(term), ensure_ascii=False)
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) != PREFIXES["xsd"] + "string":
            return f"{text}^^{compact(term.datatype)}"
        return text
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _json_term(term) -> str | None:
    """A JSON-friendly, unambiguous string: an IRI as is, ``_:id`` for a blank node,
    N-Triples form (starting with a quote) for a literal."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return term.n3()
    return str(term)


def _list_items(graph: rdflib.Graph, node) -> list | None:
    """Members of an RDF list, or None if ``node`` is not a well-formed list."""
    items, seen = [], set()
    while node != RDF.nil:
        if node in seen or len(items) > 1000:
            return None
        seen.add(node)
        first = graph.value(node, RDF.first)
        rest = graph.value(node, RDF.rest)
        if first is None or rest is None:
            return None
        items.append(first)
        node = rest
    return items


def render_path(graph: rdflib.Graph | None, node, _depth: int = 0) -> str:
    """A SHACL property path in SPARQL-like syntax: ``schema:geo / schema:latitude``,
    ``^schema:member``, ``(a | b)``, ``a*``, ``a+``, ``a?``. Never raises."""
    if node is None:
        return ""
    if not isinstance(node, BNode) or graph is None or _depth > _MAX_DEPTH:
        return compact(node)

    def sub(n) -> str:
        text = render_path(graph, n, _depth + 1)
        # Composite sub-paths get parentheses so that the result stays unambiguous.
        if " " in text and not (text.startswith("(") and text.endswith(")")):
            return f"({text})"
        return text

    if (node, RDF.first, None) in graph:
        items = _list_items(graph, node)
        if items is not None:
            return " / ".join(sub(item) for item in items)
    inverse = graph.value(node, SH.inversePath)
    if inverse is not None:
        return "^" + sub(inverse)
    alternative = graph.value(node, SH.alternativePath)
    if alternative is not None:
        items = _list_items(graph, alternative)
        if items is not None:
            return "(" + " | ".join(sub(item) for item in items) + ")"
    for predicate, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(node, predicate)
        if inner is not None:
            return sub(inner) + suffix
    return compact(node)


# --------------------------------------------------------------------------- messages

_NODE_KINDS = {
    SH.IRI: "an IRI", SH.BlankNode: "a blank node", SH.Literal: "a literal",
    SH.BlankNodeOrIRI: "an IRI or a blank node", SH.BlankNodeOrLiteral: "a blank node or a literal",
    SH.IRIOrLiteral: "an IRI or a literal",
}


def _human_list(items: list[str], conjunction: str) -> str:
    if not items:
        return "(none)"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def _count(term) -> str:
    """The lexical form of a count parameter (ill-formed literals are shown as they are)."""
    return str(term)


def _plural(term, word: str) -> str:
    return f"{_count(term)} {word}" + ("" if str(term) == "1" else "s")


def _shape_name(term) -> str:
    return "a nested shape" if isinstance(term, BNode) else compact(term)


def _phrase(component: str, params: dict, shapes: rdflib.Graph | None, path: str | None) -> str | None:
    """What the constraint requires, in plain English, without a subject; None if unknown."""
    p = params.get
    name = component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    if name == "MinCount" and p("minCount") is not None:
        return f"must have at least {_plural(p('minCount'), 'value')}"
    if name == "MaxCount" and p("maxCount") is not None:
        return f"must have at most {_plural(p('maxCount'), 'value')}"
    if name == "Datatype" and p("datatype") is not None:
        if p("datatype") == RDF_LANGSTRING:
            return "must be a language-tagged string"
        return f"must be a literal of datatype {compact(p('datatype'))}"
    if name == "LanguageIn" and p("languageIn") is not None and shapes is not None:
        langs = _list_items(shapes, p("languageIn")) or []
        return "must be a language-tagged string in " + _human_list([str(t) for t in langs], "or")
    if name == "NodeKind" and p("nodeKind") in _NODE_KINDS:
        return "must be " + _NODE_KINDS[p("nodeKind")]
    if name == "Class" and p("class") is not None:
        return f"must be an instance of {compact(p('class'))}"
    if name == "In" and p("in") is not None and shapes is not None:
        members = [compact(t) for t in (_list_items(shapes, p("in")) or [])]
        if len(members) > 12:
            members = members[:12] + [f"… ({len(members) - 12} more)"]
        return "must be one of " + _human_list(members, "or")
    if name == "HasValue" and p("hasValue") is not None:
        return f"must include the value {compact(p('hasValue'))}"
    if name == "Pattern" and p("pattern") is not None:
        flags = f" (flags {p('flags')})" if p("flags") is not None else ""
        return f"must match the pattern {str(p('pattern'))}{flags}"
    if name == "MinLength" and p("minLength") is not None:
        return f"must be at least {_plural(p('minLength'), 'character')} long"
    if name == "MaxLength" and p("maxLength") is not None:
        return f"must be at most {_plural(p('maxLength'), 'character')} long"
    bounds = {"MinInclusive": ("minInclusive", "greater than or equal to"),
              "MinExclusive": ("minExclusive", "greater than"),
              "MaxInclusive": ("maxInclusive", "less than or equal to"),
              "MaxExclusive": ("maxExclusive", "less than")}
    if name in bounds and p(bounds[name][0]) is not None:
        bound = p(bounds[name][0])
        shown = str(bound) if isinstance(bound, Literal) else compact(bound)
        return f"must be {bounds[name][1]} {shown}"
    if name == "UniqueLang":
        return "must have at most one value per language"
    pairs = {"Equals": ("equals", "must have the same values as"),
             "Disjoint": ("disjoint", "must not share any value with"),
             "LessThan": ("lessThan", "must be less than every value of"),
             "LessThanOrEquals": ("lessThanOrEquals", "must be less than or equal to every value of")}
    if name in pairs and p(pairs[name][0]) is not None:
        return f"{pairs[name][1]} {compact(p(pairs[name][0]))}"
    if name == "Node" and p("node") is not None:
        return f"must conform to {_shape_name(p('node'))}"
    if name == "Not" and p("not") is not None:
        return f"must not conform to {_shape_name(p('not'))}"
    if name == "And":
        return "must conform to all of the listed shapes"
    if name == "Or":
        return "must conform to at least one of the listed shapes"
    if name == "Xone":
        return "must conform to exactly one of the listed shapes"
    if name == "QualifiedMinCount" and p("qualifiedMinCount") is not None:
        return (f"must have at least {_plural(p('qualifiedMinCount'), 'value')} conforming to "
                f"{_shape_name(p('qualifiedValueShape'))}")
    if name == "QualifiedMaxCount" and p("qualifiedMaxCount") is not None:
        return (f"must have at most {_plural(p('qualifiedMaxCount'), 'value')} conforming to "
                f"{_shape_name(p('qualifiedValueShape'))}")
    if name == "Closed":
        return "is not allowed here (the shape is closed)"
    return None


_PARAMETERS = (
    "minCount", "maxCount", "datatype", "languageIn", "nodeKind", "class", "in", "hasValue",
    "pattern", "flags", "minLength", "maxLength", "minInclusive", "minExclusive", "maxInclusive",
    "maxExclusive", "equals", "disjoint", "lessThan", "lessThanOrEquals", "node", "not",
    "qualifiedMinCount", "qualifiedMaxCount", "qualifiedValueShape",
)


def _shape_parameters(shapes: rdflib.Graph | None, shape) -> dict:
    """The constraint parameters of a shape that messages mention (one value each)."""
    params = {}
    if shapes is not None and shape is not None:
        for name in _PARAMETERS:
            value = shapes.value(shape, SH[name], any=True)
            if value is not None:
                params[name] = value
    return params


def _pick_message(messages: list) -> str | None:
    """The best of several sh:resultMessage values: English, then untagged, then any."""
    if not messages:
        return None
    for wanted in ("en", None):
        for message in messages:
            if isinstance(message, Literal) and message.language == wanted:
                return str(message)
    return str(sorted(messages, key=str)[0])


def _build_message(results: rdflib.Graph, node, shapes: rdflib.Graph | None, shape, component: str,
                   path: str | None, cache: dict | None = None) -> str:
    """Message policy: a message written by the shape's author (sh:message, which the engine
    copies into sh:resultMessage) wins; otherwise a plain-English sentence built from the
    constraint component and its parameters; otherwise the engine's own message."""
    engine_messages = list(results.objects(node, SH.resultMessage))
    authored = (shapes is not None and shape is not None
                and (shape, SH.message, None) in shapes)
    if authored and engine_messages:
        return _pick_message(engine_messages)
    if cache is None:
        params = _shape_parameters(shapes, shape)
    else:
        if shape not in cache:
            cache[shape] = _shape_parameters(shapes, shape)
        params = cache[shape]
    try:
        phrase = _phrase(component, params, shapes, path)
    except Exception:  # a weird shapes graph must never break the report
        phrase = None
    if phrase is not None:
        subject = path if path else "The resource"
        return f"{subject} {phrase}"
    if engine_messages:
        return _pick_message(engine_messages)
    return f"Breaks the constraint {compact(URIRef(component))}"


# --------------------------------------------------------------------------- report types

@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result, with a readable path and message."""

    focus: rdflib.term.Node
    path: str | None
    path_node: rdflib.term.Node | None
    value: rdflib.term.Node | None
    message: str
    severity: str
    component: str
    shape: rdflib.term.Node | None

    def sort_key(self) -> tuple:
        return (_SEVERITY_RANK.get(self.severity, 3), self.severity, type(self.focus).__name__,
                str(self.focus), self.path or "", compact(self.value), self.message, self.component)

    def to_dict(self) -> dict:
        return {
            "focus": _json_term(self.focus),
            "path": self.path,
            "value": _json_term(self.value),
            "message": self.message,
            "severity": self.severity,
            "component": self.component,
            "shape": _json_term(self.shape),
        }


def _count_label(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class Report:
    """The outcome of one validation: results, summary flags and serialisations."""

    def __init__(self, results: Iterable[ValidationResult], graph: rdflib.Graph | None = None,
                 owners: dict | None = None, engine: str | None = None):
        self.results: list[ValidationResult] = sorted(results, key=ValidationResult.sort_key)
        self._graph = graph
        # Which engine produced it: "sparql" (app.shacl_sparql) or "pyshacl" (the reference).
        self.engine = engine
        # Blank focus node -> "the schema:geo of <...>", so that to_text can say where it hangs.
        self._owners = owners or {}

    # -- flags and selections
    @property
    def conforms(self) -> bool:
        """SHACL meaning: no result at all (warnings and infos count)."""
        return not self.results

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def infos(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Info"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks a load: no Violation (warnings and infos are allowed)."""
        return not self.violations

    # -- graph form
    @property
    def graph(self) -> rdflib.Graph:
        """The sh:ValidationReport graph, holding exactly the results of this report."""
        if self._graph is None:
            self._graph = self._graph_from_results()
        return self._graph

    def _graph_from_results(self) -> rdflib.Graph:
        graph = _new_graph()
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.conforms)))
        for result in self.results:
            node = BNode()
            graph.add((report, SH.result, node))
            graph.add((node, RDF.type, SH.ValidationResult))
            graph.add((node, SH.focusNode, result.focus))
            if result.path_node is not None:
                graph.add((node, SH.resultPath, result.path_node))
            if result.value is not None:
                graph.add((node, SH.value, result.value))
            graph.add((node, SH.resultMessage, Literal(result.message)))
            severity = next((iri for iri, label in SEVERITIES.items() if label == result.severity),
                            SH.Violation)
            graph.add((node, SH.resultSeverity, severity))
            graph.add((node, SH.sourceConstraintComponent, URIRef(result.component)))
            if result.shape is not None:
                graph.add((node, SH.sourceShape, result.shape))
        return graph

    # -- serialisations
    def summary(self) -> str:
        parts = [_count_label(len(self.violations), "violation"), _count_label(len(self.warnings), "warning")]
        others = len(self.results) - len(self.violations) - len(self.warnings)
        if others:
            parts.append(_count_label(others, "info"))
        return ", ".join(parts)

    def to_text(self) -> str:
        lines = [self.summary()]
        if self.conforms:
            lines.append("The data conforms to the shapes.")
        elif self.ok:
            lines.append("Nothing blocks a load (warnings only).")
        for result in self.results:
            lines.append("")
            owner = self._owners.get(result.focus)
            where = f" ({owner})" if owner else ""
            lines.append(f"{result.severity}: {compact(result.focus)}{where}")
            if result.path:
                lines.append(f"  path:    {result.path}")
            if result.value is not None:
                lines.append(f"  value:   {compact(result.value)}")
            lines.append(f"  message: {result.message}")
        return "\n".join(lines) + "\n"

    def to_turtle(self) -> str:
        return self.graph.serialize(format="turtle")

    def to_json(self) -> str:
        return json.dumps({
            "conforms": self.conforms,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "results": [r.to_dict() for r in self.results],
        }, ensure_ascii=False, indent=2)

    def __repr__(self) -> str:
        return f"<Report {self.summary()}>"


def report_exit_code(report: Report) -> int:
    """CLI exit code of a validation: 0 when nothing blocks a load, 1 otherwise."""
    return 0 if report.ok else 1


# --------------------------------------------------------------------------- shapes

_shapes_lock = threading.Lock()
_shapes_cache: rdflib.Graph | None = None


def _new_graph() -> rdflib.Graph:
    graph = rdflib.Graph(bind_namespaces="core")
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def default_shapes() -> rdflib.Graph:
    """All of Mutu's shapes (shapes/*.ttl) in one graph, parsed once and shared.

    The graph is shared between threads: treat it as read-only."""
    global _shapes_cache
    cached = _shapes_cache
    if cached is not None:
        return cached
    with _shapes_lock:
        if _shapes_cache is None:
            paths = resources.files("shapes", "*.ttl")
            if not paths:
                raise FileNotFoundError(f"no shapes found: {resources.folder('shapes')}/*.ttl is empty")
            graph = _new_graph()
            for path in paths:
                graph.parse(path, format="turtle")
            _shapes_cache = graph
        return _shapes_cache


_pyshacl_copy: rdflib.Graph | None = None


def _pyshacl_shapes(shapes: rdflib.Graph) -> rdflib.Graph:
    """The shapes graph to hand to pyshacl: for the shared default shapes, a copy of its own.

    pyshacl adds a few "system" triples to the shapes graph on each run. The copy gets them
    once, under the lock, so later runs on other threads only re-add existing triples, and the
    shared graph never changes (the SPARQL engine then never needs pyshacl, slow to import)."""
    global _pyshacl_copy
    if shapes is not _shapes_cache:
        return shapes
    with _shapes_lock:
        if _pyshacl_copy is None:
            import pyshacl

            copy = _new_graph()
            copy += shapes
            pyshacl.validate(rdflib.Graph(), shacl_graph=copy, inference="none",
                             allow_warnings=True, advanced=False, abort_on_first=False)
            _pyshacl_copy = copy
        return _pyshacl_copy


# --------------------------------------------------------------------------- validation

def _copy_result(source: rdflib.Graph, target: rdflib.Graph, node, message: str) -> None:
    """Copy a result node and every blank node it reaches (paths, details) into target.

    The result's sh:resultMessage becomes the report's message, unless it is one of the
    messages the engine produced (an authored sh:message, kept in all its languages)."""
    engine_messages = {str(m) for m in source.objects(node, SH.resultMessage)}
    if message not in engine_messages:
        target.add((node, SH.resultMessage, Literal(message)))
    stack, seen = [node], {node}
    while stack:
        subject = stack.pop()
        for predicate, obj in source.predicate_objects(subject):
            if subject == node and predicate == SH.resultMessage and message not in engine_messages:
                continue
            target.add((subject, predicate, obj))
            if isinstance(obj, BNode) and obj not in seen and predicate not in (SH.focusNode, SH.value, SH.sourceShape):
                seen.add(obj)
                stack.append(obj)


def _run_engine(data: rdflib.Graph, shapes: rdflib.Graph) -> rdflib.Graph:
    """Run pyshacl with Mutu's fixed options; return its results graph."""
    import pyshacl  # imported here: it is slow to import and not every command validates

    try:
        _conforms, results_graph, _text = pyshacl.validate(
            data, shacl_graph=_pyshacl_shapes(shapes), inference="none", allow_warnings=True,
            advanced=False, abort_on_first=False)
    except Exception as exc:
        raise MutuError("SHACL validation could not run", detail=f"{type(exc).__name__}: {exc}") from exc
    return results_graph


ENGINES = ("sparql", "pyshacl")


def _engine(engine: str | None) -> str:
    """The engine to run: the argument, else MUTU_SHACL_ENGINE (app.config), else "sparql"."""
    if engine is None:
        from app.config import load_settings
        engine = getattr(load_settings(), "shacl_engine", "sparql") or "sparql"
    if engine not in ENGINES:
        raise MutuError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")
    return engine


def _sparql_engine(run):
    """Run the SPARQL engine; None when the shapes need the reference engine (pyshacl)."""
    from app import shacl_sparql
    try:
        report = run(shacl_sparql)
    except shacl_sparql.Unsupported:
        return None
    report.engine = "sparql"
    return report


def validate_triples(triples, *, shapes: rdflib.Graph | None = None, context=None,
                     engine: str | None = None) -> Report:
    """Like :func:`validate` for pyoxigraph triples (the load pipeline's fast path).

    ``context`` is a list of pyoxigraph triples or an rdflib Graph. With the SPARQL engine no
    rdflib graph of the data is ever built; with pyshacl the triples are converted first."""
    if shapes is None:
        shapes = default_shapes()
    if context is not None and not isinstance(context, list):
        from app.rdfterms import triples_from_graph
        context = triples_from_graph(context)
    if _engine(engine) == "sparql":
        report = _sparql_engine(lambda s: s.validate_triples(triples, shapes, context))
        if report is not None:
            return report
    from app.rdfterms import graph_from_triples
    return validate(graph_from_triples(triples), shapes=shapes,
                    context=graph_from_triples(context) if context is not None else None,
                    engine="pyshacl")


def validate(data: rdflib.Graph, *, shapes: rdflib.Graph | None = None,
             context: rdflib.Graph | None = None, engine: str | None = None) -> Report:
    """Validate ``data`` against ``shapes`` (default: Mutu's shapes).

    ``context`` holds extra triples needed to check references (category scheme, types of
    organisers and places kept in other graphs). Data and context are validated together, and
    a result is kept only if its focus node is a subject of ``data``. Without context, every
    result is kept.

    ``engine``: "sparql" (app.shacl_sparql, shapes compiled to SPARQL on in-memory pyoxigraph;
    the default) or "pyshacl" (the reference). Shapes the SPARQL engine does not support run on
    pyshacl; ``Report.engine`` says which one ran.
    """
    if shapes is None:
        shapes = default_shapes()
    if _engine(engine) == "sparql":
        report = _sparql_engine(lambda s: s.validate_graph(data, shapes, context))
        if report is not None:
            return report
    target = data
    if context is not None:
        target = rdflib.Graph()
        target += data
        target += context
    results_graph = _run_engine(target, shapes)

    report_graph = _new_graph()
    report_node = BNode()
    results: list[ValidationResult] = []
    parameters: dict = {}  # shape -> its constraint parameters, looked up once per call
    report_nodes = set(results_graph.subjects(RDF.type, SH.ValidationReport))
    result_nodes = {r for rep in report_nodes for r in results_graph.objects(rep, SH.result)}
    for node in sorted(result_nodes, key=str):
        focus = results_graph.value(node, SH.focusNode)
        if context is not None and (focus, None, None) not in data:
            continue
        path_node = results_graph.value(node, SH.resultPath)
        path = render_path(results_graph, path_node) if path_node is not None else None
        severity_iri = results_graph.value(node, SH.resultSeverity)
        severity = SEVERITIES.get(severity_iri) or (
            compact(severity_iri) if severity_iri is not None else "Violation")
        component = str(results_graph.value(node, SH.sourceConstraintComponent) or "")
        shape = results_graph.value(node, SH.sourceShape)
        message = _build_message(results_graph, node, shapes, shape, component, path, parameters)
        results.append(ValidationResult(
            focus=focus, path=path, path_node=path_node,
            value=results_graph.value(node, SH.value), message=message, severity=severity,
            component=component, shape=shape))
        report_graph.add((report_node, SH.result, node))
        _copy_result(results_graph, report_graph, node, message)
    report_graph.add((report_node, RDF.type, SH.ValidationReport))
    report_graph.add((report_node, SH.conforms, Literal(not results)))
    return Report(results, report_graph, _owners(target, results), engine="pyshacl")


def _owners(data: rdflib.Graph, results: list[ValidationResult]) -> dict:
    """For each blank focus node, a phrase naming the resource and property it hangs from."""
    owners = {}
    for result in results:
        focus = result.focus
        if isinstance(focus, BNode) and focus not in owners:
            for subject, predicate in data.subject_predicates(focus):
                if not isinstance(subject, BNode):
                    owners[focus] = f"the {compact(predicate)} of {compact(subject)}"
                    break
    return owners
