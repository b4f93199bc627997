"""Convert -> validate -> (skip invalid records) -> replace the graph: loaders meet the store.

The one place where a loader's output reaches ``app.pipeline.load_triples``. Default is
all-or-nothing: a record the loader rejected or a Violation refuses the whole load.
With ``skip_invalid`` the records whose subjects carry a Violation are dropped (with the
records that then point to nothing), validation runs again, and what is left is loaded;
the outcome lists every rejected record with its number, id and reason.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field

import pyoxigraph as ox

from app import catalog, pipeline
from app.errors import InvalidData
from app.store import QueryDataset, Store
from app.validation import compact

from . import Loader, LoaderOptions, Record


@dataclass
class LoaderOutcome:
    """A loader load: the pipeline's outcome plus record counts and rejections."""

    graph: str
    status: str  # loaded, unchanged, dry-run
    loader: str
    read: int
    created: int
    rejected: list = field(default_factory=list)  # [(Record, reason)]
    notes: list = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)
    report: object = None

    def summary(self, limit: int = 10) -> str:
        """Records read, created, rejected, and the most frequent reasons."""
        lines = [f"{self.loader}: {self.read} record(s) read, {self.created} created, "
                 f"{len(self.rejected)} rejected; {self.triples} triples"]
        reasons: dict[str, int] = {}
        for _, reason in self.rejected:
            # Group by what is wrong, not by which node: drop "line N: " and "<focus> path: ".
            short = reason.split(": ", 1)[1] if reason.startswith(("line ", "<")) and ": " in reason else reason
            reasons[short] = reasons.get(short, 0) + 1
        for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:limit]:
            lines.append(f"  rejected {count} x {reason}")
        notes: dict[str, int] = {}
        for _, note in self.notes:
            notes[note] = notes.get(note, 0) + 1
        for note, count in sorted(notes.items(), key=lambda kv: -kv[1])[:limit]:
            lines.append(f"  note {count} x {note}")
        return "\n".join(lines)


class RejectionReport:
    """Looks like a validation Report to the CLI: the records a loader refused."""

    def __init__(self, rejected):
        self.rejected = rejected
        self.violations = rejected
        self.warnings = []

    def to_text(self) -> str:
        return "\n".join(["Rejected records (record number, id, reason):"]
                         + [f"  {r.number}\t{r.id}\t{reason}" for r, reason in self.rejected])


def rejected_tsv(rejected) -> str:
    """The --report file: one line per rejected record (number, id, name, reason)."""
    rows = ["record\tid\tname\treason"]
    for record, reason in rejected:
        clean = lambda s: str(s).replace("\t", " ").replace("\n", " ")
        rows.append(f"{record.number}\t{clean(record.id)}\t{clean(record.label)}\t{clean(reason)}")
    return "\n".join(rows) + "\n"


def graph_checksum(triples) -> str:
    """SHA-256 of the converted graph (sorted N-Triples): same graph, same checksum."""
    digest = hashlib.sha256()
    for line in sorted(str(t) for t in triples):
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


_PLACES = """
PREFIX schema: <https://schema.org/>
SELECT ?p (SAMPLE(?n) AS ?name) (SAMPLE(?s) AS ?street) (SAMPLE(?c) AS ?postcode) WHERE {
  ?p a schema:Place ; schema:name ?n .
  OPTIONAL { ?p schema:address ?a . ?a schema:streetAddress ?s ; schema:postalCode ?c }
} GROUP BY ?p"""


def known_places(store: Store | None, base_iri: str) -> list:
    """Places already loaded, [(iri, name, street, postcode)], for loaders that match text."""
    if store is None:
        return []
    graphs = tuple(d.graph for d in catalog.datasets(store, base_iri))
    if not graphs:
        return []
    rows = store.select(_PLACES, dataset=QueryDataset(graphs, ()))
    return [(r["p"].value, r["name"].value, r["street"].value if "street" in r else None,
             r["postcode"].value if "postcode" in r else None) for r in rows]



def load_with(store: Store, base_iri: str, data: bytes, loader: Loader, options: LoaderOptions, *,
              graph: str, source: str, licence=None, title=None, visibility=None, publisher=None,
              who=None, dry_run: bool = False, skip_invalid: bool = False) -> LoaderOutcome:
    """Convert `data` with `loader` and make the result the content of `graph`."""
    started = time.perf_counter()
    if loader.name == "ical" and not options.known_places:
        options.known_places = known_places(store, base_iri)
    t0 = time.perf_counter()
    result = loader.convert(data, options=options)
    timings = {"convert": time.perf_counter() - t0}
    rejected = list(result.rejected)
    if rejected and not skip_invalid:
        raise InvalidData(f"{source}: {len(rejected)} record(s) refused by the {loader.name} loader; "
                          "nothing was loaded (--skip-invalid loads the others)",
                          RejectionReport(rejected))
    owners: dict[str, list[Record]] = {}
    for record in result.records:
        for subject in record.subjects:
            owners.setdefault(subject, []).append(record)
    alive = {id(r) for r in result.records}

    def focus_key(node) -> str:
        text = str(node)
        return text if not type(node).__name__ == "BNode" else "_:" + text

    def prune(report, triples):
        hit: dict[int, tuple] = {}
        for violation in report.violations:
            for record in owners.get(focus_key(violation.focus), ()):
                if id(record) in alive and id(record) not in hit:
                    where = f" {violation.path}" if violation.path else ""
                    value = f" = {compact(violation.value)}" if violation.value is not None else ""
                    hit[id(record)] = (record, f"{compact(violation.focus)}{where}{value}: {violation.message}")
        for key, (record, reason) in hit.items():
            alive.discard(key)
            rejected.append((record, reason))
        living = set()
        for record in result.records:
            if id(record) in alive:
                living |= record.subjects
        return [t for t in triples if _subject(t) in living or _subject(t) not in owners]

    try:
        outcome = pipeline.load_triples(
            store, base_iri, result.triples, sha256=graph_checksum(result.triples), graph=graph,
            source=source, licence=licence, title=title, visibility=visibility,
            publisher=publisher, who=who, dry_run=dry_run,
            prune=prune if skip_invalid else None, timings=timings)
    except InvalidData as error:
        records = []
        for violation in error.report.violations:
            for record in owners.get(focus_key(violation.focus), ()):
                if record not in records:
                    records.append(record)
        if records:
            named = ", ".join(f"record {r.number} ({r.id})" for r in records[:10])
            more = f" and {len(records) - 10} more" if len(records) > 10 else ""
            error.message = (f"{source}: {len(records)} record(s) break the contract: {named}{more}; "
                             "nothing was loaded (--skip-invalid loads the others)")
        raise
    created = sum(1 for r in result.records if id(r) in alive)
    return LoaderOutcome(outcome.graph, outcome.status, loader.name, result.read, created, rejected,
                         result.notes, outcome.triples, time.perf_counter() - started,
                         outcome.timings, outcome.report)


def _subject(t: ox.Triple) -> str:
    s = t.subject
    return s.value if isinstance(s, ox.NamedNode) else "_:" + s.value


class Progress:
    """A one-line progress bar on stderr (counts and rate), only when stderr is a terminal."""

    def __init__(self, label: str, stream=None):
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = self.stream.isatty()
        self.start = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.1 and done != total:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6)
        if total:
            width = 30
            filled = int(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            text = f"\r{self.label} [{bar}] {done}/{total} records, {rate:,.0f}/s"
        else:
            text = f"\r{self.label} {done} records, {rate:,.0f}/s"
        self.stream.write(text)
        if total and done >= total:
            self.stream.write("\n")
        self.stream.flush()
