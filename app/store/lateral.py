"""LATERAL written out in SPARQL 1.1, for stores that do not know it.

Mutu's own queries use `LATERAL { ... }` (an Oxigraph extension, proposed for SPARQL 1.2)
so that pyoxigraph looks details up per row instead of joining whole tables. A SPARQL 1.1
store gets the same answers from a plain join, written so that the outer row's variables
still reach what the LATERAL group tested:

- `LATERAL { SELECT ... }` becomes `{ SELECT ... }`: joined on its projected variables.
- Any other `LATERAL { ... }` is written into the enclosing group, element by element:
  `OPTIONAL`, `FILTER`, `BIND`, `MINUS`, `GRAPH`, groups and UNIONs as they are (an
  OPTIONAL left-joins the row, and its FILTERs see the row's variables, as they did), and
  triple patterns joined with the enclosing group's (not as a nested group: Virtuoso 7.2
  fails on `{ ?a skos:broader* ?b } OPTIONAL {...}` inside EXISTS).

What it cannot express is a group that uses an outer variable it does not bind (inside a
sub-select, or in a nested group's FILTER): the store then sees that variable unbound. Mutu's
queries keep such tests in FILTERs of the enclosing group ("guards"), which stay correct.
"""

from __future__ import annotations

import functools

from ..sparql_text import spans as token_spans


def has_lateral(text: str) -> bool:
    """True when the text uses the LATERAL keyword (outside strings, IRIs and comments)."""
    return "LATERAL" in text.upper() and any(
        kind == "word" and token.upper() == "LATERAL" for kind, token, _, _ in token_spans(text))


@functools.lru_cache(maxsize=256)
def decorrelate(text: str) -> str:
    """The query with every LATERAL group written as SPARQL 1.1 (see the module docstring).

    Kept per text: the same page queries come back on every request."""
    if not has_lateral(text):
        return text
    return _Rewriter(text).render(0, None, start=0)


class _Rewriter:
    def __init__(self, text: str):
        self.text = text
        self.spans = token_spans(text)
        self.close = self._pairs()

    def _pairs(self) -> dict[int, int]:
        """Index of the closing token of every `{` and `(`."""
        pairs, stack = {}, []
        for i, (kind, token, _, _) in enumerate(self.spans):
            if kind != "other":
                continue
            if token in "{(":
                stack.append(i)
            elif token in "})" and stack:
                pairs[stack.pop()] = i
        return pairs

    def _is(self, i: int, word: str) -> bool:
        return i < len(self.spans) and self.spans[i][0] == "word" and self.spans[i][1].upper() == word

    def _is_open(self, i: int) -> bool:
        return i < len(self.spans) and self.spans[i][1] == "{" and i in self.close

    def render(self, first: int, stop: int | None, start: int | None = None) -> str:
        """Text from token `first` up to token `stop` (excluded; None: to the end), rewritten."""
        spans = self.spans
        stop = len(spans) if stop is None else stop
        if first >= stop:
            return ""
        pos = spans[first][2] if start is None else start
        end = spans[stop - 1][3] if stop < len(spans) else len(self.text)
        out = []
        k = first
        while k < stop:
            if self._is(k, "LATERAL") and self._is_open(k + 1):
                out.append(self.text[pos:spans[k][2]])
                written = "".join(out).rstrip()
                # Triples written in after a triple (not after `.`, `{`) need a dot first.
                out.append(self._lateral(k + 1, dot=bool(written) and written[-1] not in ".{"))
                k = self.close[k + 1] + 1
                pos = spans[k - 1][3]
            else:
                k += 1
        out.append(self.text[pos:end])
        return "".join(out)

    def _lateral(self, open_i: int, dot: bool) -> str:
        close_i = self.close[open_i]
        if self._is(open_i + 1, "SELECT"):
            return "{ " + self.render(open_i + 1, close_i) + " }"
        parts = []
        k = open_i + 1
        while k < close_i:
            if self.spans[k][1] == ".":
                k += 1
                continue
            end = self._element_end(k, close_i)
            if end is None:  # triple patterns up to the next element: joined as a group
                end = k
                while end + 1 < close_i and self._element_end(end + 1, close_i) is None \
                        and self.spans[end + 1][1] != ".":
                    end = self.close.get(end + 1, end + 1)
                while end + 1 < close_i and self.spans[end + 1][1] == "." \
                        and end + 2 < close_i and self._element_end(end + 2, close_i) is None:
                    end += 1
                    while end + 1 < close_i and self._element_end(end + 1, close_i) is None \
                            and self.spans[end + 1][1] != ".":
                        end = self.close.get(end + 1, end + 1)
                run = self.render(k, end + 1)
                if dot and not parts:
                    run = ". " + run
                parts.append(run if run.endswith(".") else run + " .")
            else:
                parts.append(self.render(k, end + 1))
            k = end + 1
        return " ".join(parts)

    def _group_after(self, k: int, limit: int) -> int | None:
        """Index of the `}` closing the first `{` at or after k (before limit)."""
        while k < limit and not self._is_open(k):
            k += 1
        return self.close[k] if k < limit else None

    def _element_end(self, k: int, limit: int) -> int | None:
        """Last token of the group element starting at k, or None when k starts triples."""
        kind, token = self.spans[k][0], self.spans[k][1].upper()
        if kind == "word" and token in ("OPTIONAL", "MINUS", "GRAPH", "SERVICE", "VALUES", "LATERAL"):
            return self._group_after(k + 1, limit)
        if kind == "word" and token == "FILTER":
            return self._filter_end(k)
        if kind == "word" and token == "BIND" and k + 1 in self.close:
            return self.close[k + 1]
        if self._is_open(k):
            end = self.close[k]
            while self._is(end + 1, "UNION") and self._is_open(end + 2):
                end = self.close[end + 2]
            return end
        return None

    def _filter_end(self, filter_i: int) -> int:
        """Index of the last token of the FILTER constraint starting at `filter_i`."""
        k = filter_i + 1
        if self._is(k, "NOT"):
            k += 1
        if self._is(k, "EXISTS") and self._is_open(k + 1):
            return self.close[k + 1]
        if k < len(self.spans) and self.spans[k][1] == "(" and k in self.close:
            return self.close[k]
        if k + 1 < len(self.spans) and self.spans[k + 1][1] == "(" and k + 1 in self.close:
            return self.close[k + 1]  # a function call: regex(...), <iri>(...)
        return k
