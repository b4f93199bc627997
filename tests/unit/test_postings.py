"""app.postings: the walk over postings, exclusions and text searches keeps what a scan keeps."""

from __future__ import annotations

import random

import pytest

from app.postings import END, Order, Posting, Text, Without, walk


def _scan(keep, lo, hi, offset, limit):
    return [p for p in range(lo, hi) if keep(p)][offset:offset + limit]


@pytest.mark.parametrize("seed", range(40))
def test_walk_keeps_what_a_scan_keeps(seed):
    rng = random.Random(seed)
    n = rng.randint(0, 300)
    sets = [set(rng.sample(range(n), rng.randint(0, n))) for _ in range(rng.randint(0, 3))]
    hidden = set(rng.sample(range(n), rng.randint(0, n // 4))) if rng.random() < 0.5 else None
    seekers = [Posting(sorted(s)) for s in sets] + ([Without(hidden)] if hidden is not None else [])
    lo = rng.randint(0, n)
    hi = rng.randint(lo, n + 5)
    offset, limit = rng.randint(0, 30), rng.randint(1, 30)
    keep = lambda p: all(p in s for s in sets) and (hidden is None or p not in hidden)
    assert walk(seekers, lo, min(hi, n), offset, limit) == _scan(keep, lo, min(hi, n), offset, limit)


def test_a_search_matches_inside_one_text_only():
    items = ["a", "b", "c", "d"]
    text = Text({"a": ["potager", "jardin"], "b": ["cafe"], "d": ["le potager du coin"]}, items)
    assert walk([text.search("potager")], 0, 4, 0, 10) == [0, 3]
    assert walk([text.search("erjar")], 0, 4, 0, 10) == []  # across two texts of one item
    assert walk([text.search("cafec")], 0, 4, 0, 10) == []  # across two items
    assert walk([text.search("é")], 0, 4, 0, 10) == []
    assert walk([text.search("a")], 1, 4, 1, 10) == [3]
    assert text.search("zzz").seek(4) == END


def test_search_and_posting_together():
    items = [str(i) for i in range(100)]
    text = Text({str(i): ["even" if i % 2 == 0 else "odd"] for i in range(100)}, items)
    threes = Posting([i for i in range(100) if i % 3 == 0])
    assert walk([text.search("even"), threes], 10, 100, 2, 3) == [24, 30, 36]


def test_an_item_listed_twice_has_both_positions():
    order = Order(["<a>", "<b>", "<a>", "<c>"], "<{}>".format)
    assert order.posting({"a", "c", "z"}).positions == [0, 2, 3]


def test_a_search_with_few_matches_becomes_a_posting():
    items = [str(i) for i in range(50)]
    text = Text({str(i): ["rare" if i in (3, 40) else "common"] for i in range(50)}, items)
    assert text.search("rare").few(5).positions == [3, 40]
    assert text.search("nothing").few(5).positions == []
    assert text.search("common").few(5) is None
