"""One store interface; backends are chosen by configuration, views and loaders never know which.

Every call returns materialised values (lists, bytes, booleans), never a live result
iterator: pyoxigraph iterators must be consumed on the thread that made them, and a
backend may evaluate in another process or on another host.
"""

from __future__ import annotations

import abc
import functools
import itertools
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable, Mapping

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset of one query: graph IRIs for its default graph and its named graphs."""

    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


@dataclass(frozen=True)
class QueryOutput:
    """A fully evaluated and serialised query result."""

    kind: str  # "boolean", "solutions" or "graph"
    media_type: str
    body: bytes


# Given the result kind, return the media type to serialise to (or raise NotAcceptable).
FormatChooser = Callable[[str], str]


def solution_rows(solutions) -> list[dict[str, Term]]:
    """Query solutions as dicts of variable name -> term (unbound variables absent)."""
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for name in names:
            value = solution[name]
            if value is not None:
                row[name] = value
        rows.append(row)
    return rows


WRITES = ("update", "replace_graph", "drop_graph", "bulk_add")


def _counting(method):
    @functools.wraps(method)
    def write(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        finally:
            # After the write, even a failed one: a value read while it ran is cached under
            # an older number, never reused. Numbers are unique in the process.
            self._writes = next(_WRITE_NUMBERS)
    return write


_WRITE_NUMBERS = itertools.count(1)


class Store(abc.ABC):
    """What Mutu needs from a quad store."""

    # True when every write to the data goes through this object (the store's directory is
    # locked by this process): `generation` then identifies a state of the data.
    exclusive = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in WRITES:
            if name in vars(cls):
                setattr(cls, name, _counting(vars(cls)[name]))

    @property
    def generation(self) -> int | None:
        """A number that changes on every write through this object; None when others may write."""
        if not self.exclusive:
            return None
        if "_writes" not in self.__dict__:
            self._writes = next(_WRITE_NUMBERS)  # unique in the process: no two stores share one
        return self._writes

    @abc.abstractmethod
    def select(self, sparql: str, *, dataset: QueryDataset | None = None,
               bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        """Run a SELECT query and return its rows (unbound variables are absent)."""

    @abc.abstractmethod
    def ask(self, sparql: str, *, dataset: QueryDataset | None = None,
            bindings: Mapping[str, Term] | None = None) -> bool:
        """Run an ASK query."""

    @abc.abstractmethod
    def construct(self, sparql: str, *, dataset: QueryDataset | None = None,
                  bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE query and return its triples."""

    @abc.abstractmethod
    def run(self, sparql: str, *, dataset: QueryDataset, choose: FormatChooser,
            bindings: Mapping[str, Term] | None = None, base_iri: str | None = None) -> QueryOutput:
        """Evaluate any query completely and serialise it in the format `choose` picks."""

    @abc.abstractmethod
    def update(self, sparql: str) -> None:
        """Apply a SPARQL update in one transaction."""

    @abc.abstractmethod
    def named_graphs(self) -> set[str]:
        """IRIs of the named graphs that hold at least one quad."""

    @abc.abstractmethod
    def graph_triples(self, graph: str) -> list[ox.Triple]:
        """All triples of one named graph."""

    @abc.abstractmethod
    def graph_size(self, graph: str) -> int:
        """Number of triples in one named graph."""

    @abc.abstractmethod
    def replace_graph(self, graph: str, triples: list[ox.Triple], *, meta_update: str,
                      graph_is_new: bool) -> None:
        """Make `graph` hold exactly `triples` and apply `meta_update`, atomically.

        When `graph_is_new` the graph has no catalog entry yet, so it is invisible to
        readers until `meta_update` (which adds the entry) commits; a backend may then
        bulk-load it first. Otherwise the change and `meta_update` are one transaction.
        """

    @abc.abstractmethod
    def drop_graph(self, graph: str) -> None:
        """Remove every quad of a graph (used for invisible leftovers only)."""

    @abc.abstractmethod
    def dump(self, out: BinaryIO, graph: str | None = None) -> None:
        """Write the whole store (or one graph) as N-Quads."""

    @abc.abstractmethod
    def bulk_add(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads fast, without a transaction (restore into an empty store only)."""

    @abc.abstractmethod
    def is_empty(self) -> bool:
        """True when the store holds no quad at all."""

    def close(self) -> None:
        """Release the store (its lock, its files)."""


def open_store(location: str, *, read_only: bool = False, max_rows: int = 0,
               settings=None) -> Store:
    """Open the store named by a location, in this process: a directory, ":memory:", or a
    remote SPARQL store `sparql+http(s)://host:port/path[#flavour]` (endpoints and
    credentials from the MUTU_REMOTE_* `settings`, else from the environment).

    `mutu serve` uses `worker.open_worker_store` instead, whose queries have a deadline.
    """
    from .remote import is_remote

    if is_remote(location):
        from ..config import load_settings
        from .remote import RemoteStore, remote_config

        config = remote_config(location, settings if settings is not None else load_settings())
        return RemoteStore(config, read_only=read_only, max_rows=max_rows)
    from .embedded import EmbeddedStore

    return EmbeddedStore(location, read_only=read_only, max_rows=max_rows)
