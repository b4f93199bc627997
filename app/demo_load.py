"""Load the demo dataset through the same pipeline as any source (idempotent)."""

from __future__ import annotations

from .demo import demo_sources
from .pipeline import load
from .store import Store


def load_demo(store: Store, base_iri: str, today=None) -> list[str]:
    """Load each demo source unless the same data is already there; return one line per source."""
    lines = []
    for source in demo_sources(today):
        outcome = load(store, base_iri, source.data, fmt=source.format, graph=source.graph,
                       source=source.source, licence=source.licence, title=source.title,
                       description=source.description, publisher=source.publisher,
                       visibility=source.visibility, who="mutu demo")
        lines.append(f"demo {source.name}: {outcome.status} ({outcome.triples} triples)")
    return lines
