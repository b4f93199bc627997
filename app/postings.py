"""Inverted indexes of the list pages: a list's order, positions kept by a filter, a text search.

A list (alternatives or places in IRI order, events in the agenda's order) is an `Order`; a
filter value is a `Posting`, the sorted positions of the items it keeps; a text search is a
`Search` in the list's `Text`. Each of them `seek`s: from a position, the first one at or after
it that it keeps. `walk` intersects them the way a database intersects index lists (each one
jumps ahead to where the others stand) and stops at the end of the page, so a page costs the
positions it reads, whatever the size of the list.
"""

from __future__ import annotations

import bisect
import sys
from array import array
from functools import cached_property

END = sys.maxsize
# Never in UTF-8: it separates the texts in `Text.blob`, so no match spans two of them.
SEPARATOR = b"\xff"


class Order:
    """A list's items in walk order, and where each one stands; `form` turns an IRI into an item."""

    def __init__(self, items: list[str], form=str):
        self.items = items
        self.form = form

    @cached_property
    def first(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for i, item in enumerate(self.items):
            found.setdefault(item, i)
        return found

    @cached_property
    def again(self) -> dict[str, list[int]]:
        """Items listed more than once (an event with two start dates) -> their later positions."""
        out: dict[str, list[int]] = {}
        if len(self.first) < len(self.items):
            for i, item in enumerate(self.items):
                if self.first[item] != i:
                    out.setdefault(item, []).append(i)
        return out

    def posting(self, members) -> Posting:
        """The positions of `members` in the list (members not in it are left out)."""
        first, again = self.first, self.again
        out = []
        for member in map(self.form, members):
            i = first.get(member)
            if i is not None:
                out.append(i)
                if again and member in again:
                    out += again[member]
        out.sort()
        return Posting(out)


class Posting:
    """Sorted positions of the items one filter value keeps."""

    def __init__(self, positions: list[int]):
        self.positions = positions
        self.cost = len(positions)

    def seek(self, p: int) -> int:
        i = bisect.bisect_left(self.positions, p)
        return self.positions[i] if i < len(self.positions) else END

    def cut(self, lo: int, hi: int, offset: int, limit: int) -> list[int]:
        """`limit` positions in [lo, hi) after the first `offset` (no walk: an index into the list)."""
        i = bisect.bisect_left(self.positions, lo) + offset
        return [p for p in self.positions[i:i + limit] if p < hi]


class Without:
    """Positions left out (the members of an identity cluster other than its representative)."""

    cost = END  # keeps nearly everything: never the one to lead

    def __init__(self, positions: set[int]):
        self.positions = positions

    def seek(self, p: int) -> int:
        while p in self.positions:
            p += 1
        return p


class Text:
    """A list's folded texts in its order: one byte string, each item's texts behind a separator."""

    def __init__(self, texts_of, items: list[str]):
        parts, starts, offset = [], array("q"), 0
        for item in items:
            part = b"".join(SEPARATOR + t.encode("utf-8", "surrogatepass") for t in texts_of.get(item, ()))
            part = part or SEPARATOR
            starts.append(offset)
            parts.append(part)
            offset += len(part)
        self.blob = b"".join(parts)
        self.starts = starts

    def search(self, q: str) -> Search:
        return Search(self, q.encode("utf-8", "surrogatepass"))


class Search:
    """The items of a `Text` with a text containing `q` (already folded)."""

    cost = END - 1  # unknown: it follows the postings, which jump further

    def __init__(self, text: Text, q: bytes):
        self.text = text
        self.q = q

    def seek(self, p: int) -> int:
        starts = self.text.starts
        if p >= len(starts):
            return END
        found = self.text.blob.find(self.q, starts[p])
        return END if found < 0 else bisect.bisect_right(starts, found) - 1

    def few(self, most: int) -> Posting | None:
        """Every position matching, as a posting, unless more than `most` match."""
        out: list[int] = []
        p = self.seek(0)
        while p != END:
            if len(out) == most:
                return None
            out.append(p)
            p = self.seek(p + 1)
        return Posting(out)


def walk(seekers: list, lo: int, hi: int, offset: int, limit: int) -> list[int]:
    """The positions in [lo, hi) that every seeker keeps: `limit` of them after the first `offset`."""
    if not seekers:
        start = min(lo + offset, hi)
        return list(range(start, min(start + limit, hi)))
    seekers = sorted(seekers, key=lambda s: s.cost)  # the shortest posting leads: fewest jumps
    if len(seekers) == 1 and isinstance(seekers[0], Posting):
        return seekers[0].cut(lo, hi, offset, limit)
    out: list[int] = []
    p = lo
    while p < hi and len(out) < limit:
        for seeker in seekers:
            ahead = seeker.seek(p)
            if ahead != p:
                p = ahead
                break
        else:
            if offset:
                offset -= 1
            else:
                out.append(p)
            p += 1
    return out
