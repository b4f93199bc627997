"""A read-only EmbeddedStore (benchmarks, a second reader) reads the data and closes cleanly."""

import pyoxigraph as ox

from app.store.embedded import EmbeddedStore

G = "http://example.org/g"


def test_a_read_only_store_reads_and_closes(tmp_path):
    writer = EmbeddedStore(str(tmp_path / "store"))
    writer.bulk_add([ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                             ox.Literal("o"), ox.NamedNode(G))])
    writer.close()
    reader = EmbeddedStore(str(tmp_path / "store"), read_only=True)
    assert reader.graph_size(G) == 1
    reader.close()  # pyoxigraph refuses to flush a read-only instance: close must not ask it to
