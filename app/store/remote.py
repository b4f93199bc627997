"""The remote backend: any SPARQL 1.1 store over the SPARQL 1.1 Protocol and Graph Store Protocol.

Configured by `MUTU_STORE=sparql+http://host:port/path[#flavour]` (the path is the query
endpoint) and the MUTU_REMOTE_* settings. A flavour fills in the endpoints of a known
server: `oxigraph` (/query, /update, /store) or `virtuoso` (/sparql, /sparql-auth with
digest auth, /sparql-graph-crud-auth).

How the store contract holds over HTTP:

- Every call is a complete HTTP exchange with a timeout; nothing live is handed back.
- Queries go by GET, or by URL-encoded form POST when long; never as a direct POST
  (`application/sparql-query` hangs Virtuoso 7.2).
- The dataset of a query is always sent as `default-graph-uri` / `named-graph-uri`, never
  left to the server's own default (Virtuoso's is the union of every graph). FROM / FROM
  NAMED clauses are removed from the text once Mutu has folded them into that dataset,
  because Virtuoso *adds* them to the protocol's dataset instead of being overridden by
  it, and a FROM inside a sub-select (Virtuoso accepts it) is refused. An empty named
  graph set is sent as one empty graph, or Virtuoso's GRAPH ?g would see every graph.
- `bindings` become a VALUES block of N-Triples terms made by pyoxigraph, at the start of
  the query's WHERE group (so its FILTERs see them), never text from a request.
- `replace_graph` uploads the new content into a staging graph (never in the catalog, so
  never visible), then sends ONE update request: drop the graph, add the staging graph to
  it, drop the staging graph, and the catalog change. Oxigraph runs an update request in
  one transaction, so readers see the old or the new graph with its record. Virtuoso 7.2
  does not: there (`versioned`) every write fills new versions of the graphs it touches and
  publishes them with one small insert (see versions.py and README, "Remote store").
- On a server shared with others, Mutu only lists, dumps and cleans graphs under its base
  IRI (and its own staging graphs).
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import BinaryIO, Iterable
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
import requests

from .. import errors
from ..errors import QueryEvaluationError, QuerySyntaxError, StoreUnavailable
from ..sparql_text import spans as token_spans
from . import FormatChooser, QueryDataset, QueryOutput, Store, solution_rows
from . import lateral, versions
from .embedded import EMPTY_GRAPH, GRAPH_FORMATS, RESULT_FORMATS, TEXT_TYPES

SCHEMES = ("sparql+http://", "sparql+https://")
STAGING_PREFIX = "urn:x-mutu:staging:"
STAGING_MAX_AGE = 3600  # seconds: an older staging graph is a leftover of a crashed load
MAX_GET_BYTES = 2000  # longer queries go as a form POST
PUBLISH_ATTEMPTS = 5
FORM = "application/x-www-form-urlencoded; charset=UTF-8"
JSON_RESULTS = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
ALL_TYPES = frozenset(RESULT_FORMATS) | frozenset(GRAPH_FORMATS)
LINE_FORMATS = frozenset({"text/tab-separated-values", NTRIPLES, "application/n-quads"})


@dataclass(frozen=True)
class Profile:
    """Where a kind of server keeps its endpoints, and which of its outputs can be relayed as-is."""

    query: str  # path of the query endpoint
    update: str | None
    store: str | None  # Graph Store Protocol endpoint; None: writes go through updates
    auth: str  # "basic" or "digest"
    relay: frozenset  # media types whose bytes are returned unchanged
    versioned: bool = False  # its updates are not atomic: write new graph versions instead
    lateral: bool = False  # it knows LATERAL (else Mutu's queries are sent decorrelated)


PROFILES = {
    "oxigraph": Profile("/query", "/update", "/store", "basic", ALL_TYPES, lateral=True),
    # Virtuoso's result formats are not relayed: its JSON says "typed-literal" and names
    # blank nodes "nodeID://...", its CSV/TSV booleans are not the standard ones, and it
    # has no N-Quads/TriG. Its graph serialisations are standard.
    "virtuoso": Profile("/sparql", "/sparql-auth", "/sparql-graph-crud-auth", "digest",
                        frozenset({"text/turtle", NTRIPLES, "application/rdf+xml"}), versioned=True),
    "generic": Profile("", None, None, "basic", ALL_TYPES),
}


@dataclass(frozen=True)
class RemoteConfig:
    """The endpoints and credentials of one remote store."""

    query_url: str
    update_url: str | None
    store_url: str | None
    user: str | None = None
    password: str | None = None
    auth: str = "basic"
    flavour: str = "generic"
    timeout: float = 30.0
    base_iri: str | None = None
    relay: frozenset = ALL_TYPES
    versioned: bool = False
    lateral: bool = False


def is_remote(location: str) -> bool:
    """True when a store location names a remote SPARQL store."""
    return location.startswith(SCHEMES)


def remote_config(location: str, settings=None) -> RemoteConfig:
    """Build the configuration of a remote store from MUTU_STORE and the MUTU_REMOTE_* settings."""
    if not is_remote(location):
        raise StoreUnavailable(f"{location!r} is not a sparql+http:// or sparql+https:// location")
    url, _, fragment = location[len("sparql+"):].partition("#")
    flavour = (getattr(settings, "remote_flavour", "") or fragment or "generic").lower()
    if flavour not in PROFILES:
        raise StoreUnavailable(f"unknown remote store flavour {flavour!r}; "
                               f"known: {', '.join(sorted(PROFILES))} (MUTU_REMOTE_FLAVOUR)")
    profile = PROFILES[flavour]
    parts = urlsplit(url)
    if not parts.hostname:
        raise StoreUnavailable(f"MUTU_STORE {location!r} has no host")
    root = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if flavour == "generic" or path:
        query_url = root + (path or "/sparql")
        default_update = query_url if profile.update is None else root + profile.update
    else:
        query_url = root + profile.query
        default_update = root + profile.update if profile.update else query_url
    default_store = root + profile.store if profile.store else None

    def setting(name, default=None):
        value = getattr(settings, name, None) if settings is not None else None
        return value if value not in (None, "") else default

    versioned = str(setting("remote_versioned", profile.versioned)).lower()
    if versioned not in ("true", "false"):
        raise StoreUnavailable(f"MUTU_REMOTE_VERSIONED must be true or false, got {versioned!r}")
    auth = setting("remote_auth", profile.auth).lower()
    if auth not in ("basic", "digest"):
        raise StoreUnavailable(f"MUTU_REMOTE_AUTH must be basic or digest, got {auth!r}")
    return RemoteConfig(
        query_url=setting("remote_query_url", query_url),
        update_url=setting("remote_update_url", default_update),
        store_url=setting("remote_store_url", default_store),
        user=setting("remote_user"), password=setting("remote_password"), auth=auth,
        flavour=flavour, timeout=float(setting("remote_timeout", 30)),
        base_iri=setting("base_iri"), relay=profile.relay, versioned=versioned == "true",
        lateral=profile.lateral)


# -- query text ------------------------------------------------------------------------

QUERY_KINDS = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


@dataclass(frozen=True)
class Prepared:
    kind: str
    text: str


def prepare(query: str, *, strip_dataset: bool, bindings=None, base_iri: str | None = None) -> Prepared:
    """The query text to send: its form, dataset clauses removed, bindings as a VALUES block.

    Works on tokens (strings, IRIs and comments are skipped whole), so a `FROM` or a `{`
    inside a literal never counts.
    """
    spans = token_spans(query)
    kind = None
    depth = 0
    removals: list[tuple[int, int]] = []
    groups: list[tuple[int, int]] = []  # top-level { } groups: (open index, close index)
    open_at = None
    form_index = None
    i = 0
    while i < len(spans):
        token_kind, text, start, end = spans[i]
        upper = text.upper() if token_kind == "word" else ""
        if kind is None and token_kind == "word":
            if upper in QUERY_KINDS:
                kind, form_index = QUERY_KINDS[upper], i
            elif upper not in ("BASE", "PREFIX"):
                raise QuerySyntaxError(f"SPARQL syntax error: expected a query form "
                                       f"(SELECT, ASK, CONSTRUCT, DESCRIBE), found {text!r}")
        if upper == "FROM":
            if depth > 0:
                raise QuerySyntaxError("SPARQL syntax error: FROM is only allowed in the "
                                       "dataset clause of a query, not inside a group")
            j = i + 1
            if j < len(spans) and spans[j][1].upper() == "NAMED":
                j += 1
            if strip_dataset and j < len(spans) and spans[j][0] in ("iri", "pname"):
                removals.append((start, spans[j][3]))
            i = j + 1
            continue
        if token_kind == "other" and text == "{":
            if depth == 0:
                open_at = i
            depth += 1
        elif token_kind == "other" and text == "}":
            depth -= 1
            if depth == 0 and open_at is not None:
                groups.append((open_at, i))
        i += 1
    if kind is None:
        raise QuerySyntaxError("SPARQL syntax error: no query form (SELECT, ASK, CONSTRUCT, "
                               "DESCRIBE) found")
    edits = [(a, b, "") for a, b in removals]
    if bindings:
        block = _values_block(bindings)
        where = _where_group(spans, groups, form_index)
        if where is None:
            raise QuerySyntaxError("SPARQL syntax error: the query has no WHERE group")
        open_i, close_i = where
        after_open = spans[open_i + 1] if open_i + 1 < len(spans) else None
        brace_end = spans[open_i][3]
        if after_open is not None and after_open[0] == "word" and after_open[1].upper() == "SELECT":
            # A group holding a sub-select takes nothing else: nest it.
            edits.append((brace_end, brace_end, f" {block} {{ "))
            edits.append((spans[close_i][2], spans[close_i][2], " } "))
        else:
            edits.append((brace_end, brace_end, f" {block} "))
    out = query
    for a, b, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:a] + text + out[b:]
    if base_iri:
        # A BASE in the query's own prologue comes later and wins, as with pyoxigraph.
        out = f"BASE {ox.NamedNode(base_iri)}\n" + out
    return Prepared(kind, out)


def _where_group(spans, groups, form_index):
    if not groups:
        return None
    form = spans[form_index][1].upper()
    if form == "CONSTRUCT" and form_index + 1 < len(spans) and spans[form_index + 1][1] == "{":
        return groups[1] if len(groups) > 1 else None  # the first group is the template
    return groups[0]


_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _values_block(bindings) -> str:
    names = sorted(bindings)
    terms = []
    for name in names:
        term = bindings[name]
        if not _VARIABLE.match(name):
            raise QueryEvaluationError(f"cannot bind {name!r}: not a variable name")
        if not isinstance(term, (ox.NamedNode, ox.Literal)):
            raise QueryEvaluationError(f"cannot bind ?{name} to {term!r}: only IRIs and literals")
        terms.append(str(term))  # N-Triples form, escaped by pyoxigraph
    return "VALUES (" + " ".join("?" + n for n in names) + ") { (" + " ".join(terms) + ") }"


# -- results ---------------------------------------------------------------------------

def _normalise_json_results(body: bytes) -> bytes:
    """Standard SPARQL JSON results from a server's JSON (Virtuoso's "typed-literal", "nodeID://")."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise QueryEvaluationError(f"the store sent unreadable JSON results: {error}") from None
    changed = False
    for row in data.get("results", {}).get("bindings", []):
        for cell in row.values():
            if cell.get("type") == "typed-literal":
                cell["type"] = "literal"
                changed = True
            elif cell.get("type") == "bnode":
                value = cell["value"]
                safe = re.sub(r"[^A-Za-z0-9_]", "_", value[len("nodeID://"):]
                              if value.startswith("nodeID://") else value)
                if safe != value:
                    cell["value"] = safe or "b"
                    changed = True
    return json.dumps(data).encode() if changed else body


def _parse_solutions(body: bytes):
    try:
        return ox.parse_query_results(_normalise_json_results(body), format=ox.QueryResultsFormat.JSON)
    except SyntaxError as error:
        raise QueryEvaluationError(f"the store sent invalid results: {error}") from None


def _parse_triples(body: bytes) -> list[ox.Triple]:
    try:
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    except SyntaxError as error:
        raise QueryEvaluationError(f"the store sent invalid N-Triples: {error}") from None


def _base_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


_DEADLOCK = "40001"  # SQLSTATE of a transaction rolled back as a deadlock victim
# Virtuoso registers each new language tag / datatype in a table; two writes bringing the same
# new one at once can collide there (SR197, non-unique key). Like a deadlock, doing it again works.
_FIRST_USE_RACE = re.compile(r"SR197\b.*\bRDF_(LANGUAGE|DATATYPE)\b", re.S)


def _retryable(error: Exception) -> bool:
    """A write the store rolled back for a reason that redoing it clears."""
    text = str(error)
    return _DEADLOCK in text or bool(_FIRST_USE_RACE.search(text))
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(url: str | None) -> threading.Lock:
    """One lock per store in this process: its threads publish versions one at a time."""
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(url or "", threading.Lock())


def _unavailable(message: str, status: int, detail: str | None = None) -> StoreUnavailable:
    """StoreUnavailable with the status that fits: 502 bad answer, 503 unreachable, 504 too slow."""
    error = StoreUnavailable(message, detail=detail)
    error.status = status
    return error


# -- the store -------------------------------------------------------------------------

class RemoteStore(Store):
    """A SPARQL 1.1 store over HTTP; stateless, so any number of workers can share it."""

    exclusive = False  # other workers (and other tools) write to the same store

    def __init__(self, config: RemoteConfig, *, read_only: bool = False, max_rows: int = 0):
        self.config = config
        self.read_only = read_only
        self.max_rows = max_rows  # like the embedded store's: `run` refuses bigger results
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._write_lock = _write_lock(config.update_url)
        # An old version is dropped once superseded for longer than any read can take.
        self.version_grace = max(120.0, 4 * config.timeout)

    @property
    def location(self) -> str:
        return self.config.query_url

    # -- HTTP ------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        # requests.Session is not documented as thread-safe: one per thread, pooled.
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            if self.config.user is not None:
                auth_class = (requests.auth.HTTPDigestAuth if self.config.auth == "digest"
                              else requests.auth.HTTPBasicAuth)
                session.auth = auth_class(self.config.user, self.config.password or "")
            session.headers["User-Agent"] = "mutu"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _http(self, method: str, url: str, *, what: str, **kwargs) -> requests.Response:
        timeout = (min(5.0, self.config.timeout), self.config.timeout)
        try:
            response = self._session().request(method, url, timeout=timeout, **kwargs)
        except requests.Timeout:
            raise _unavailable(f"the SPARQL store did not answer within {self.config.timeout:g} s "
                               f"({what} at {url}; MUTU_REMOTE_TIMEOUT)", 504) from None
        except requests.ConnectionError as error:
            raise StoreUnavailable(f"cannot reach the SPARQL store at {url}",
                                   detail=str(error)) from None
        except requests.RequestException as error:
            raise StoreUnavailable(f"{what} at {url} failed", detail=str(error)) from None
        if response.status_code < 300:
            return response
        message = response.text.strip()[:2000]
        if response.status_code == 400:
            raise QuerySyntaxError(f"the SPARQL store refused the {what}: {message}")
        if response.status_code in (401, 403):
            raise _unavailable(f"the SPARQL store refused Mutu's credentials for the {what} "
                               f"at {url} (MUTU_REMOTE_USER, MUTU_REMOTE_PASSWORD, "
                               "MUTU_REMOTE_AUTH)", 502, detail=message)
        if response.status_code in (502, 503, 504):
            raise _unavailable(f"the SPARQL store is unavailable (HTTP {response.status_code}) "
                               f"for the {what} at {url}", 502, detail=message)
        raise QueryEvaluationError(f"the SPARQL store failed the {what} "
                                   f"(HTTP {response.status_code}): {message}")

    def _protocol_query(self, text: str, dataset: QueryDataset | None, accept: str) -> requests.Response:
        """Send a query. Without a dataset the server's own applies: only Mutu's internal
        queries that name their graphs (GRAPH <g>, GRAPH ?g) go without one, because a
        server's default graph differs (Virtuoso's is the union of every graph)."""
        params = [("query", text)]
        if dataset is not None:
            params += [("default-graph-uri", g) for g in dataset.default_graphs or (EMPTY_GRAPH.value,)]
            params += [("named-graph-uri", g) for g in dataset.named_graphs or (EMPTY_GRAPH.value,)]
        encoded = urlencode(params)
        headers = {"Accept": accept}
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                if len(encoded) <= MAX_GET_BYTES:
                    return self._http("GET", self.config.query_url + "?" + encoded, what="query",
                                      headers=headers)
                return self._http("POST", self.config.query_url, what="query",
                                  headers={**headers, "Content-Type": FORM},
                                  data=encoded.encode("ascii"))
            except QueryEvaluationError as error:
                # Virtuoso may pick a reader as the victim of a deadlock with a writer; a read
                # changes nothing, so it is simply sent again.
                if _DEADLOCK not in str(error) or attempt == PUBLISH_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.05 * 2 ** attempt))
        raise AssertionError("unreachable")

    def _query(self, sparql, dataset, bindings, accept, expect, base_iri=None):
        prepared = prepare(sparql, strip_dataset=dataset is not None, bindings=bindings,
                           base_iri=base_iri)
        if expect is not None and prepared.kind not in expect:
            raise QuerySyntaxError({"solutions": "expected a SELECT query",
                                    "boolean": "expected an ASK query",
                                    "graph": "expected a CONSTRUCT or DESCRIBE query"}[expect[0]])
        return prepared.kind, self._protocol_query(*self._physical(prepared.text, dataset), accept)

    # -- versioned graphs (see versions.py) ---------------------------------------------

    def _raw_rows(self, text: str) -> list[dict]:
        response = self._protocol_query(text, None, JSON_RESULTS)
        return solution_rows(_parse_solutions(response.content))

    def _commits(self) -> list[versions.Commit]:
        return versions.commits_from_rows(self._raw_rows(versions.COMMITS_QUERY))

    def _current(self) -> versions.Commit:
        """The published state, read for every query: another worker's change (a graph made
        private) must count at once, so it is never cached (except inside `_one_state`)."""
        pinned = getattr(self._local, "state", None)
        if pinned is not None:
            return pinned
        commits = self._commits()
        return commits[-1] if commits else versions.EMPTY

    @contextlib.contextmanager
    def _one_state(self):
        """Queries of this thread inside the block read one published state, so that two
        reads that must agree (a graph's triples and its count) do, whatever is published
        meanwhile."""
        if not self.config.versioned or getattr(self._local, "state", None) is not None:
            yield
            return
        self._local.state = self._current()
        try:
            yield
        finally:
            self._local.state = None

    def _physical(self, text: str, dataset: QueryDataset | None):
        """The query text and dataset as the store takes them: LATERAL written out when it
        does not know it, public graph names turned into physical ones."""
        if not self.config.lateral:
            text = lateral.decorrelate(text)
        if not self.config.versioned:
            return text, dataset
        state = self._current()
        if not state.graphs:
            return text, dataset  # nothing was ever versioned: names are as stored
        if dataset is None:
            table = [(p, g) for g, p in state.graphs.items()]
        else:
            table = [(state.physical(g), g) for g in dataset.named_graphs]
            dataset = QueryDataset(tuple(state.physical(g) for g in dataset.default_graphs),
                                   tuple(p for p, _ in table))
        return versions.rewrite(text, state.physical, table), dataset

    def _present_graphs(self) -> set[str]:
        rows = self._raw_rows("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {row["g"].value for row in rows if isinstance(row.get("g"), ox.NamedNode)}

    def _unversioned(self, present: set[str], state: versions.Commit) -> set[str]:
        """Mutu's graphs stored under their own name and not (yet) in the versions map."""
        used = {p for p in state.graphs.values()}
        return {g for g in present if g not in state.graphs and g not in used
                and versions.parse_physical(g) is None and g != versions.VERSIONS_GRAPH
                and not g.startswith(STAGING_PREFIX) and self._mine(g)}

    def _versioned_write(self, touched: set[str], perform) -> None:
        """Write new versions of the `touched` graphs with perform(state, new_names), then
        publish them all with one small insert.

        Two writers must not both build on the same state, or the later commit would lack
        the earlier one's change. The insert is conditional (nothing happens if a commit this
        writer did not read exists), and since Virtuoso does not run that check and insert as
        one step, the writer reads the commits again afterwards: if any commit it did not
        know appeared, it takes its own back and starts over on the newer state. Of two
        racing writers, the one publishing second always sees the first, so no write is lost.
        """
        with self._write_lock:
            for attempt in range(PUBLISH_ATTEMPTS):
                if self._publish_once(touched, perform):
                    return
                time.sleep(random.uniform(0, 0.05 * 2 ** attempt))
        raise StoreUnavailable("other writers kept publishing new versions of the store's "
                               f"graphs; the write was not published after {PUBLISH_ATTEMPTS} "
                               "attempts (nothing was changed): try again")

    def _publish_once(self, touched: set[str], perform) -> bool:
        commits = self._commits()
        state = commits[-1] if commits else versions.EMPTY
        graphs = dict(state.graphs)
        if not commits:  # the first versioned write: adopt the graphs already there
            graphs.update({g: g for g in self._unversioned(self._present_graphs(), state)})
        base = versions.Commit(state.stamp, graphs)
        names = versions.new_stamp(state.stamp)
        new = {g: versions.physical_name(g, names) for g in touched}
        try:
            perform(base, new)
            commit = versions.Commit(versions.new_stamp(names), {**graphs, **new})
            self.update_raw(versions.publish_update(commit, commits))
            after = self._commits()
        except QueryEvaluationError as error:
            self._drop_quietly(new.values())
            if _retryable(error):
                return False  # a deadlock victim, or a first-use race in Virtuoso's tables
            raise
        except BaseException:
            self._drop_quietly(new.values())
            raise
        known = {c.stamp for c in commits} | {commit.stamp}
        published = any(c.stamp == commit.stamp for c in after)
        if published and not any(c.stamp not in known for c in after):
            self._collect(after)
            return True
        if published:
            self._retract(commit)
        self._drop_quietly(new.values())
        return False

    def _retract(self, commit: versions.Commit) -> None:
        """Take a commit back; it must go, or it would hide the other writer's change."""
        text = (f"DELETE WHERE {{ GRAPH <{versions.VERSIONS_GRAPH}> "
                f"{{ {ox.NamedNode(commit.iri)} ?p ?o }} }}")
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                return self.update_raw(text)
            except QueryEvaluationError as error:
                if _DEADLOCK not in str(error) or attempt == PUBLISH_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.05 * 2 ** attempt))

    def _copy_into(self, base: versions.Commit, new: dict[str, str], present: set[str]) -> None:
        """Start each new version as a copy of the current one (when there is one)."""
        copies = [f"ADD SILENT {ox.NamedNode(base.physical(g))} TO {ox.NamedNode(p)}"
                  for g, p in new.items() if base.physical(g) in present]
        if copies:
            self.update_raw(" ;\n".join(copies))

    def _rewrite_update(self, text: str, base: versions.Commit, new: dict[str, str]) -> str:
        graphs = {**base.graphs, **new}
        try:
            return versions.rewrite(text, lambda g: graphs.get(g, g),
                                    [(p, g) for g, p in graphs.items()], updating=True)
        except ValueError as error:
            raise QuerySyntaxError(str(error)) from None

    def _drop_quietly(self, graphs: Iterable[str]) -> None:
        drops = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in graphs]
        if drops:
            try:
                self.update_raw(" ;\n".join(drops))
            except (QueryEvaluationError, QuerySyntaxError, StoreUnavailable):
                pass  # unpublished versions are invisible; cleaned with the orphans

    def _collect(self, commits: list[versions.Commit]) -> None:
        """Drop the versions and commits superseded for longer than version_grace (best effort)."""
        old, graphs = versions.retired(commits, versions.new_stamp(), int(self.version_grace * 1e6))
        if not old:
            return
        parts = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in sorted(graphs)]
        parts += [f"DELETE WHERE {{ GRAPH <{versions.VERSIONS_GRAPH}> {{ {ox.NamedNode(c.iri)} ?p ?o }} }}"
                  for c in old]
        try:
            self.update_raw(" ;\n".join(parts))
        except (QueryEvaluationError, QuerySyntaxError, StoreUnavailable):
            pass  # retried after the next write

    def select(self, sparql, *, dataset=None, bindings=None):
        _, response = self._query(sparql, dataset, bindings, JSON_RESULTS, ("solutions",))
        solutions = _parse_solutions(response.content)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QueryEvaluationError("the store answered a SELECT with a boolean")
        return solution_rows(solutions)

    def ask(self, sparql, *, dataset=None, bindings=None):
        _, response = self._query(sparql, dataset, bindings, JSON_RESULTS, ("boolean",))
        result = _parse_solutions(response.content)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryEvaluationError("the store answered an ASK without a boolean")
        return bool(result)

    def construct(self, sparql, *, dataset=None, bindings=None):
        _, response = self._query(sparql, dataset, bindings, NTRIPLES, ("graph",))
        return _parse_triples(response.content)

    def run(self, sparql, *, dataset, choose: FormatChooser, bindings=None, base_iri=None):
        prepared = prepare(sparql, strip_dataset=dataset is not None, bindings=bindings,
                           base_iri=base_iri)
        media_type = choose(prepared.kind)
        canonical = NTRIPLES if prepared.kind == "graph" else JSON_RESULTS
        capped = self.max_rows and prepared.kind != "boolean"
        body = None
        # With a row cap, bytes are relayed only in a format with one item per line.
        text, dataset = self._physical(prepared.text, dataset)
        if media_type in self.config.relay and (not capped or media_type in LINE_FORMATS):
            response = self._protocol_query(text, dataset, media_type)
            if _base_type(response.headers.get("Content-Type")) == media_type:
                body = response.content
                if capped:
                    header = 1 if prepared.kind == "solutions" else 0
                    self._check_rows(body.rstrip(b"\n").count(b"\n") + 1 - header
                                     if body.strip() else 0, prepared.kind)
        if body is None:
            response = self._protocol_query(text, dataset, canonical)
            body = self._convert(prepared.kind, response.content, media_type)
        if media_type in TEXT_TYPES:
            media_type += "; charset=utf-8"
        return QueryOutput(prepared.kind, media_type, body)

    def _check_rows(self, count: int, kind: str) -> None:
        if self.max_rows and count > self.max_rows:
            what = "solutions" if kind == "solutions" else "triples"
            raise errors.ResultTooLarge(
                f"the result has more than {self.max_rows} {what} (MUTU_MAX_ROWS); nothing was "
                "sent: add a LIMIT, or narrow the query")

    def _convert(self, kind: str, body: bytes, media_type: str) -> bytes:
        try:
            if kind == "graph":
                triples = _parse_triples(body)
                self._check_rows(len(triples), kind)
                return ox.serialize(triples, format=GRAPH_FORMATS[media_type])
            if kind == "solutions" and self.max_rows:
                rows = json.loads(_normalise_json_results(body)).get("results", {}).get("bindings", [])
                self._check_rows(len(rows), kind)
            return _parse_solutions(body).serialize(format=RESULT_FORMATS[media_type])
        except (OSError, ValueError) as error:
            raise QueryEvaluationError(f"cannot serialise the results as {media_type}: {error}") from None

    # -- writes ----------------------------------------------------------------------

    def _writable(self, what: str) -> str:
        if self.read_only:
            raise StoreUnavailable(f"the store is open read-only; cannot {what}")
        if not self.config.update_url:
            raise StoreUnavailable(f"no update endpoint is configured (MUTU_REMOTE_UPDATE_URL); "
                                   f"cannot {what}")
        return self.config.update_url

    def update_raw(self, sparql: str) -> None:
        """Send one update request as it is (no versioning)."""
        url = self._writable("update")
        self._http("POST", url, what="update", headers={"Content-Type": FORM},
                   data=urlencode({"update": sparql}).encode("ascii"))

    def update(self, sparql):
        if not self.config.versioned:
            return self.update_raw(sparql)
        self._writable("update")
        touched = {iri for _, _, iri in versions.graph_slots(sparql)}

        def perform(base, new):
            self._copy_into(base, new, self._present_graphs())
            self.update_raw(self._rewrite_update(sparql, base, new))

        self._versioned_write(touched, perform)

    def _put_graph(self, graph: str, triples: list[ox.Triple], *, method: str = "PUT") -> None:
        """Write a whole graph with the Graph Store Protocol (or one INSERT DATA without it)."""
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        if self.config.store_url:
            self._writable("write a graph")
            self._http(method, self.config.store_url, what="graph upload",
                       params={"graph" if self.config.flavour != "virtuoso" else "graph-uri": graph},
                       headers={"Content-Type": NTRIPLES}, data=body)
            return
        # One request: blank node labels are scoped to a request, so no chunking.
        if method == "PUT":
            self.update_raw(f"DROP SILENT GRAPH {ox.NamedNode(graph)}")
        self.update_raw(f"INSERT DATA {{ GRAPH {ox.NamedNode(graph)} {{\n{body.decode()}\n}} }}")

    def replace_graph(self, graph, triples, *, meta_update, graph_is_new):
        self._writable("replace a graph")
        if self.config.versioned:
            touched = {graph} | {iri for _, _, iri in versions.graph_slots(meta_update)}

            def perform(base, new):
                self._put_graph(new[graph], triples)
                self._copy_into(base, {g: p for g, p in new.items() if g != graph},
                                self._present_graphs())
                self.update_raw(self._rewrite_update(meta_update, base, new))

            return self._versioned_write(touched, perform)
        g = ox.NamedNode(graph)
        staging = ox.NamedNode(f"{STAGING_PREFIX}{int(time.time())}:{uuid.uuid4().hex}")
        self._put_graph(staging.value, triples)
        swap = (f"DROP SILENT GRAPH {g} ;\n"
                f"ADD SILENT {staging} TO {g} ;\n"
                f"DROP SILENT GRAPH {staging} ;\n" + meta_update)
        try:
            self.update_raw(swap)
        except (QueryEvaluationError, QuerySyntaxError, StoreUnavailable):
            try:
                self.drop_graph(staging.value)
            except (QueryEvaluationError, StoreUnavailable):
                pass  # a leftover staging graph is invisible and cleaned after STAGING_MAX_AGE
            raise

    def drop_graph(self, graph):
        if self.config.versioned and versions.parse_physical(graph) is None \
                and not graph.startswith(STAGING_PREFIX):
            # Published as a new, empty version: readers see the graph or nothing of it.
            return self._versioned_write({graph}, lambda base, new: None)
        self.update_raw(f"DROP SILENT GRAPH {ox.NamedNode(graph)}")

    def _mine(self, graph: str) -> bool:
        if graph.startswith(STAGING_PREFIX):
            # In-flight staging graphs (of this or another worker) are not orphans yet.
            stamp = graph[len(STAGING_PREFIX):].split(":", 1)[0]
            return stamp.isdigit() and time.time() - int(stamp) > STAGING_MAX_AGE
        return self.config.base_iri is None or graph.startswith(self.config.base_iri)

    def named_graphs(self):
        if self.config.versioned:
            return self._versioned_graphs()
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {row["g"].value for row in rows
                if isinstance(row.get("g"), ox.NamedNode) and self._mine(row["g"].value)}

    def _versioned_graphs(self) -> set[str]:
        """Public names of the non-empty graphs, plus leftover versions no commit names."""
        present = self._present_graphs()
        commits = self._commits()
        state = commits[-1] if commits else versions.EMPTY
        names = {g for g, p in state.graphs.items() if p in present and self._mine(g)}
        names |= self._unversioned(present, state)
        known = {p for c in commits for p in c.graphs.values()}
        for g in present - known:
            parsed = versions.parse_physical(g)
            if parsed and time.time() - parsed[0] / 1e6 > STAGING_MAX_AGE and self._mine(parsed[1]):
                names.add(g)  # a version a crashed write never published
            elif g.startswith(STAGING_PREFIX) and self._mine(g):
                names.add(g)
        return names

    def graph_size(self, graph):
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0

    def graph_triples(self, graph):
        g = ox.NamedNode(graph)
        with self._one_state():
            triples = self.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")
            expected = self.graph_size(graph)
        if len(triples) != expected:
            # Virtuoso cuts results at ResultSetMaxRows without saying so.
            raise QueryEvaluationError(
                f"the store returned {len(triples)} of the {expected} triples of {graph} "
                "(Virtuoso: raise [SPARQL] ResultSetMaxRows in virtuoso.ini)")
        return triples

    def dump(self, out: BinaryIO, graph=None):
        graphs = [graph] if graph is not None else sorted(self.named_graphs())
        for name in graphs:
            if name.startswith(STAGING_PREFIX) or versions.parse_physical(name):
                continue
            g = ox.NamedNode(name)
            triples = self.graph_triples(name)
            ox.serialize((ox.Quad(t.subject, t.predicate, t.object, g) for t in triples), out,
                         format=ox.RdfFormat.N_QUADS)

    def bulk_add(self, quads: Iterable[ox.Quad]):
        by_graph: dict[str, list[ox.Triple]] = {}
        for quad in quads:
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise QueryEvaluationError("a remote store takes quads in named graphs only")
            by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
        if self.config.versioned and by_graph:
            def perform(base, new):
                self._copy_into(base, new, self._present_graphs())
                for graph, triples in by_graph.items():
                    self._put_graph(new[graph], triples, method="POST")

            return self._versioned_write(set(by_graph), perform)
        for graph, triples in by_graph.items():
            self._put_graph(graph, triples, method="POST")

    def is_empty(self):
        return not self.named_graphs()

    def close(self):
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
