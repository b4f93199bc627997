"""The agenda: upcoming events one page at a time, fast on a large store.

pyoxigraph has no range index on literal values: "the next 50 events" scans and sorts every
`schema:startDate` (about 120 ms at 1M triples on disk, 2 s once joined to `a schema:Event`).
So the agenda keeps, per store state and per set of visible graphs, a sorted list of
(start, event) built by one query through `reading.select_for_index` (access rules hold),
and a page is a bisect plus one query fetching the details of the page's events only.

The cache key is the set of visible graphs and their catalog records (sha256, modified):
every load rewrites its graph's record in the same transaction, so a load invalidates it.
Other filters (category, organiser, place, commune, text) are inverted indexes over the
index's positions (app.lists, app.postings), walked from the first event of the window.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass

from flask import current_app

from . import freshness, postings, reading
from .filters import EventFilters
from .params import BRUSSELS

_KEY = "mutu.agenda"
_CACHED_STATES = 32
_CACHED_ROWS = 20_000  # rows kept per state and name (an agenda row is about 2 KB)

STARTS = """PREFIX schema: <https://schema.org/>
SELECT ?event ?start WHERE { ?event schema:startDate ?start }"""

# The details of a page of events; {events} is a VALUES list of IRIs taken from the index
# (that is, from the store; never request text). LATERAL makes pyoxigraph look each event
# up in its indexes: plain OPTIONALs are hash-joined, scanning every name in the store
# (about 20 ms per OPTIONAL at 1M triples).
DETAILS = """PREFIX schema: <https://schema.org/>
SELECT * WHERE {
  VALUES ?event { {events} }
  LATERAL {
    ?event schema:startDate ?start .
    OPTIONAL { ?event schema:endDate ?end }
    OPTIONAL { ?event schema:eventStatus ?status }
    OPTIONAL { ?event schema:organizer ?organizer }
    OPTIONAL { ?event schema:location ?place }
  }
  LATERAL {
    OPTIONAL { ?event schema:name ?name_fr FILTER (LANG(?name_fr) = "fr") }
    OPTIONAL { ?event schema:name ?name_nl FILTER (LANG(?name_nl) = "nl") }
    OPTIONAL { ?event schema:name ?name_en FILTER (LANG(?name_en) = "en") }
  }
  LATERAL { OPTIONAL { ?organizer schema:name ?organizer_fr FILTER (LANG(?organizer_fr) = "fr") } }
  LATERAL { OPTIONAL { ?organizer schema:name ?organizer_nl FILTER (LANG(?organizer_nl) = "nl") } }
  LATERAL { OPTIONAL { ?organizer schema:name ?organizer_en FILTER (LANG(?organizer_en) = "en") } }
  LATERAL { OPTIONAL { ?place schema:name ?place_fr FILTER (LANG(?place_fr) = "fr") } }
  LATERAL { OPTIONAL { ?place schema:name ?place_nl FILTER (LANG(?place_nl) = "nl") } }
  LATERAL { OPTIONAL { ?place schema:name ?place_en FILTER (LANG(?place_en) = "en") } }
  LATERAL { OPTIONAL { ?place schema:address ?address . ?address schema:postalCode ?postcode
                       OPTIONAL { ?address schema:addressLocality ?locality } } }
}"""


def details(events: list[str]) -> list[dict]:
    """Rows with the columns of queries/events.rq for events in N-Triples form, in their order."""
    return cached_rows("agenda.details", events, _fetch_details)


def _fetch_details(events: list[str]) -> dict[str, dict]:
    rows = reading.select(DETAILS.replace("{events}", " ".join(events)))
    first: dict[str, dict] = {}
    for row in rows:  # an event with two values of a property gives two rows: keep one
        first.setdefault(str(row["event"]), row)
    return first


def cached_rows(name: str, keys: list[str], fetch) -> list[dict]:
    """The rows of `keys` in their order, asking `fetch(missing keys) -> {key: row}` only for
    rows not already read in this store state by this set of visible graphs."""
    if not keys:
        return []
    known = per_state(name, dict)
    missing = [k for k in dict.fromkeys(keys) if k not in known]
    if missing:
        found = fetch(missing)
        if len(known) + len(found) > _CACHED_ROWS:
            known.clear()  # a crawler walking every page: start again rather than grow
        known.update(found)
        rows = [found.get(k) or known.get(k) for k in keys]
    else:
        rows = [known[k] for k in keys]
    return [dict(row) for row in rows if row is not None]  # copies: callers may add columns


def moment(value: str) -> dt.datetime | None:
    """An xsd:dateTime or xsd:date lexical form as an aware datetime (dates: Brussels midnight)."""
    try:
        if "T" in value:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=BRUSSELS)
        return dt.datetime.combine(dt.date.fromisoformat(value[:10]), dt.time(0), tzinfo=BRUSSELS)
    except ValueError:
        return None


@dataclass(frozen=True)
class Index:
    """Events sorted by start: parallel lists of UTC timestamps and event IRIs (N-Triples form)."""

    starts: list
    events: list

    def bounds(self, start: dt.datetime, end: dt.datetime | None) -> tuple[int, int]:
        """The positions of the events starting in [start, end)."""
        first = bisect.bisect_left(self.starts, start.timestamp())
        last = len(self.starts) if end is None else bisect.bisect_left(self.starts, end.timestamp())
        return first, max(first, last)


def _build() -> Index:
    pairs = []
    seconds: dict[str, float | None] = {}  # many events share a start: parse each form once
    for row in reading.select_for_index(STARTS):
        value = row["start"].value
        if value not in seconds:
            parsed = moment(value)
            seconds[value] = None if parsed is None else parsed.timestamp()
        when = seconds[value]
        if when is not None:
            pairs.append((when, str(row["event"])))
    pairs.sort()
    return Index([p[0] for p in pairs], [p[1] for p in pairs])


def per_state(name: str, build):
    """`build()`'s value, computed once per store state and set of visible graphs.

    Concurrent first requests for the same value wait for one build instead of each running
    it: at 10M triples a build takes seconds and both cores.
    """
    key = (name, reading.visible(), tuple(freshness.state_records()))
    app = current_app._get_current_object()
    cache, lock, building = app.extensions.setdefault(_KEY, (OrderedDict(), threading.Lock(), {}))
    with lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        pending = building.get(key)
        if pending is None:
            pending = building[key] = Future()
            mine = True
        else:
            mine = False
    if not mine:
        return pending.result()  # the builder's value, or its exception
    try:
        built = build()  # outside the lock: other values build meanwhile
    except BaseException as error:
        with lock:
            del building[key]
        pending.set_exception(error)
        raise
    with lock:
        cache[key] = built
        del building[key]
        while len(cache) > _CACHED_STATES:
            cache.popitem(last=False)
    pending.set_result(built)
    return built


def index() -> Index:
    """The index for the current viewer and store state (built on first use)."""
    return per_state("agenda", _build)


def simple(filters: EventFilters) -> bool:
    """True when only the date range and paging are set (the index answers those)."""
    return not (filters.category or filters.organizer or filters.place or filters.commune
                or filters.q)


def page(filters: EventFilters) -> tuple[list[dict], bool]:
    """The rows of one agenda page (same columns as queries/events.rq) and whether more follow."""
    events = page_events(filters)
    if not events:
        return [], False
    return filters.paging.cut(details(events))


def page_events(filters: EventFilters) -> list[str]:
    """The events of one page (N-Triples IRIs, soonest first), one more than `per_page` when
    more follow: the selection of queries/events.rq, from the index and the filters' postings."""
    bindings = filters.bindings()
    start = moment(bindings["from"].value)
    end = moment(bindings["to"].value) if "to" in bindings else None
    return select(filters, start, end, filters.paging.offset, filters.paging.limit)


def select(filters: EventFilters, start: dt.datetime, end: dt.datetime | None, offset: int,
           limit: int, also=None) -> list[str]:
    """`limit` events starting in [start, end) after the first `offset` that the filters (other
    than dates and paging) and the posting `also` keep, soonest first (N-Triples IRIs)."""
    from . import lists

    seekers = [] if simple(filters) else lists.event_seekers(filters)
    if also is not None:
        seekers.append(also)
    found = index()
    lo, hi = found.bounds(start, end)
    return [found.events[p] for p in postings.walk(seekers, lo, hi, offset, limit)]
