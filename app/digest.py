"""Digests: the events of a period and what changed just before it, for newsletters and partners.

A digest covers a period (default: the 7 days from today, Europe/Brussels) and holds:

- the events starting in the period, from the agenda's start index (app.agenda) filtered by
  the agenda's inverted indexes (app.lists: category, organizer, place, commune, q) and, with
  `free`, the free events;
- alternatives, documents and offers/requests new or changed from `recent` days before the
  period start to its end, from the named queries queries/digest-*.rq. A resource's change
  time is its own `dcterms:modified` / `schema:dateModified` when its source states one, else
  the time its dataset was last loaded with new content (the catalog's `dcterms:modified`).
  The same filters apply there, inside the queries (before their LIMIT): organizer = that
  alternative (its documents, offers and requests), place = alternatives located there (and
  what they wrote, are the subject of, offer or seek), q = folded text in a name or description.

Everything is read through app.reading, so a viewer only ever sees the graphs it may read.
The result is plain, localised data (strings and absolute URLs); app.digest_formats writes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlencode

import pyoxigraph as ox
from werkzeug.datastructures import MultiDict

from . import agenda, digest_text, feed_formats, filters, lists, queries, reading
from .namespaces import KNOWN_LICENCES, MUTU, XSD
from .params import BRUSSELS, ParameterError

ARGS = ("from", "to", "days", "recent", "category", "organizer", "place", "commune", "q", "free", "lang")
FILTER_ARGS = ("category", "organizer", "place", "commune", "q")  # parsed like the agenda's
DEFAULT_DAYS = 7
MAX_DAYS = 31
DEFAULT_RECENT = 7
MAX_RECENT = 90
EVENT_LIMIT = 200
CHANGED_LIMIT = 30
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Request:
    """What a digest request asks for, parsed and checked."""

    start: dt.date
    end: dt.date  # inclusive
    recent: int
    free: bool
    lang: str
    events: filters.EventFilters
    args: tuple = ()  # the canonical request args, `lang` excluded

    @property
    def since(self) -> dt.datetime:
        return _midnight(self.start) - dt.timedelta(days=self.recent)

    @property
    def until(self) -> dt.datetime:
        return _midnight(self.end + dt.timedelta(days=1))


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=BRUSSELS)


def _one(args: Mapping[str, str], name: str) -> str | None:
    values = [v.strip() for v in args.getlist(name) if v.strip()] if hasattr(args, "getlist") else (
        [args[name].strip()] if args.get(name, "").strip() else [])
    if len(values) > 1:
        raise ParameterError(name, "is given more than once")
    return values[0] if values else None


def _whole(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not low <= int(raw) <= high:
        raise ParameterError(name, f"must be a whole number from {low} to {high}")
    return int(raw)


def _flag(name: str, raw: str | None) -> bool:
    if raw is None or raw.lower() in _FALSE:
        return False
    if raw.lower() in _TRUE:
        return True
    raise ParameterError(name, "must be 1 or 0 (true or false)")


def parse(args: Mapping[str, str], base_iri: str, default_lang: str) -> Request:
    """Request args -> a checked digest request (ParameterError, that is HTTP 400, on bad input)."""
    for name in args:
        if name not in ARGS:
            raise ParameterError(name, f"is not a parameter of the digest (known: {', '.join(ARGS)})")
    lang = _one(args, "lang")
    if lang is not None and lang.lower() not in digest_text.LANGUAGES:
        raise ParameterError("lang", "must be fr, nl or en")
    shared = MultiDict([(k, v) for k in (*FILTER_ARGS, "from", "to")
                        for v in (args.getlist(k) if hasattr(args, "getlist") else [args.get(k)])
                        if v is not None])
    events = filters.event_filters(shared, base_iri, per_page=1)
    days_raw = _one(args, "days")
    if days_raw is not None and events.end is not None:
        raise ParameterError("days", "give either `to` or `days`, not both")
    start = events.start or dt.datetime.now(BRUSSELS).date()
    if events.end is not None:
        end = events.end
        if end < start:
            raise ParameterError("to", "is before `from` (today when `from` is not given)")
        if (end - start).days + 1 > MAX_DAYS:
            raise ParameterError("to", f"the period is at most {MAX_DAYS} days")
    else:
        end = start + dt.timedelta(days=_whole("days", days_raw, DEFAULT_DAYS, 1, MAX_DAYS) - 1)
    recent = _whole("recent", _one(args, "recent"), DEFAULT_RECENT, 0, MAX_RECENT)
    free = _flag("free", _one(args, "free"))
    canonical = tuple((n, _one(args, n)) for n in ARGS if n != "lang" and _one(args, n) is not None)
    return Request(start, end, recent, free, (lang or default_lang).lower(),
                   dataclasses.replace(events, start=start, end=end), canonical)


# -- reading -------------------------------------------------------------------------------

def _free_events():
    """The free events (queries/digest-free-events.rq) as a posting of the agenda."""
    def members():
        _, rows = reading.named("digest-free-events")
        return {row["event"].value for row in rows}
    return lists.kept("events", ("digest.free-events",), members)


def event_rows(req: Request) -> tuple[list[dict], bool]:
    """Rows of the events starting in the period (columns of queries/events.rq), and whether
    more than EVENT_LIMIT matched."""
    free = _free_events() if req.free else None
    chosen = agenda.select(req.events, _midnight(req.start), req.until, 0, EVENT_LIMIT + 1, free)
    return agenda.details(chosen[:EVENT_LIMIT]), len(chosen) > EVENT_LIMIT


def _stamp(moment: dt.datetime) -> ox.Literal:
    return ox.Literal(moment.isoformat(timespec="seconds"), datatype=ox.NamedNode(XSD + "dateTime"))


def changed_rows(req: Request, query: str) -> tuple[list[dict], bool]:
    """Rows of one digest-* named query for the request's window and filters, and whether more
    than CHANGED_LIMIT matched."""
    values = {"since": _stamp(req.since), "until": _stamp(req.until), "limit": CHANGED_LIMIT + 1}
    for name in ("category", "organizer", "place"):
        if getattr(req.events, name) is not None:
            values[name] = getattr(req.events, name)
    if req.events.q:
        values["q"] = ox.Literal(req.events.q)
    if req.events.commune is not None:
        values.update(req.events.commune.bindings())
    if req.free and "free" in queries.get(query).params:
        values["free"] = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
    _, rows = reading.named(query, None, **values)
    return rows[:CHANGED_LIMIT], len(rows) > CHANGED_LIMIT


# -- the digest as plain data --------------------------------------------------------------

@dataclass
class Link:
    text: str
    url: str


@dataclass
class Event:
    time: str
    name: Link
    cancelled: bool = False
    place: Link | None = None
    where: str = ""  # postal code and commune
    organizer: Link | None = None


@dataclass
class Day:
    date: dt.date
    label: str
    events: list[Event] = field(default_factory=list)


@dataclass
class Item:
    name: Link
    notes: list[str] = field(default_factory=list)  # short facts: kind, who, conditions, date
    by: Link | None = None
    summary: str = ""


@dataclass
class Section:
    key: str
    title: str
    items: list[Item]
    more: Link | None = None


@dataclass
class Digest:
    """One digest, localised, every link absolute."""

    lang: str
    title: str
    period: str
    changed_since: str
    days: list[Day]
    more_events: Link | None
    agenda: Link
    sections: list[Section]
    sources: Link
    site: Link

    def say(self, key: str, **values) -> str:
        return digest_text.say(key, self.lang, **values)


def _name(row: dict, column: str, lang: str, fallback: str) -> str:
    term = _pick(row, column, lang)
    return " ".join(term.split()) if term else fallback


def _pick(row: dict, column: str, lang: str) -> str | None:
    for code in (lang, *digest_text.LANGUAGES):
        if row.get(f"{column}_{code}") is not None:
            return row[f"{column}_{code}"].value
    term = row.get(column)
    return term.value if isinstance(term, ox.Literal) else None


def _when(term) -> dt.datetime | dt.date | None:
    return feed_formats.moment(term)


def _time(start, end, lang: str) -> str:
    first, last = _when(start), _when(end)
    if not isinstance(first, dt.datetime):
        return digest_text.say("all_day", lang)
    text = first.strftime("%H:%M")
    if isinstance(last, dt.datetime) and last.date() == first.date() and last > first:
        text += "–" + last.strftime("%H:%M")
    return text


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def build(req: Request, *, base_iri: str, url_root: str) -> Digest:
    """The digest of a request: read through app.reading, localised, with absolute links."""
    lang = req.lang

    def url(iri: str) -> str:
        return feed_formats.page_url(iri, base_iri=base_iri, url_root=url_root)

    def site(path: str, args=()) -> str:
        query = urlencode([*args, ("lang", lang)])
        return url_root.rstrip("/") + path + "?" + query

    rows, more = event_rows(req)
    days: dict[dt.date, Day] = {}
    for row in rows:
        when = _when(row["start"])
        day = when.date() if isinstance(when, dt.datetime) else when
        if day is None:
            continue
        bucket = days.setdefault(day, Day(day, digest_text.day_heading(day, lang)))
        event_iri = row["event"].value
        status = row.get("status")
        organizer = row.get("organizer")
        place = row.get("place")
        where = " ".join(t.value for t in (row.get("postcode"), row.get("locality")) if t is not None)
        bucket.events.append(Event(
            time=_time(row["start"], row.get("end"), lang),
            name=Link(_name(row, "name", lang, event_iri), url(event_iri)),
            cancelled=status is not None and status.value.endswith("EventCancelled"),
            place=Link(_name(row, "place", lang, place.value), url(place.value)) if isinstance(place, ox.NamedNode) else None,
            where=where,
            organizer=(Link(_name(row, "organizer", lang, organizer.value), url(organizer.value))
                       if isinstance(organizer, ox.NamedNode) else None)))
    agenda_args = [(k, v) for k, v in req.events.args().items() if k in FILTER_ARGS]
    agenda_args += [("from", req.start.isoformat()), ("to", req.end.isoformat())]
    agenda_link = Link(digest_text.say("more_events", lang), site("/events", agenda_args))

    sections = []
    for key, query, path in (("alternatives", "digest-alternatives", "/alternatives"),
                             ("documents", "digest-documents", "/resources"),
                             ("offers", "digest-offers", "/offers")):
        found, more_items = changed_rows(req, query)
        items = [_item(key, row, lang, url) for row in found]
        sections.append(Section(key, digest_text.say(key, lang), items,
                                Link(digest_text.say("more", lang), site(path)) if more_items else None))

    start, end = (digest_text.long_date(d, lang) for d in (req.start, req.end))
    since = req.since.date()
    return Digest(
        lang=lang,
        title=f"{digest_text.say('title', lang)} · {digest_text.short_date(req.start, lang)}",
        period=digest_text.say("period", lang, start=start, end=end),
        changed_since=digest_text.say("changed_since", lang, date=digest_text.short_date(since, lang)),
        days=sorted(days.values(), key=lambda d: d.date),
        more_events=agenda_link if more else None,
        agenda=agenda_link,
        sections=sections,
        sources=Link(url_root.rstrip("/") + "/datasets", url_root.rstrip("/") + "/datasets"),
        site=Link("Mutu", url_root))


def _item(key: str, row: dict, lang: str, url) -> Item:
    iri = row["item"].value
    item = Item(Link(_name(row, "name", lang, iri), url(iri)))
    if key == "offers":
        item.notes.append(digest_text.say("request" if row["kind"].value == "request" else "offer", lang))
        who = row.get("organizer")
        if isinstance(who, ox.NamedNode):
            item.by = Link(_name(row, "organizer", lang, who.value), url(who.value))
        condition = row.get("conditions")
        if condition is not None and condition.value.startswith(MUTU):
            local = condition.value[len(MUTU):]
            if local in ("free", "exchange", "paid"):
                item.notes.append(digest_text.say(local, lang))
    if key == "documents":
        summary = _pick(row, "description", lang)
        item.summary = _short(summary) if summary else ""
        licence = row.get("licence")
        if licence is not None:
            item.notes.append(f"{digest_text.say('licence', lang)} {KNOWN_LICENCES.get(licence.value, licence.value)}")
    if key == "alternatives":
        where = " ".join(t.value for t in (row.get("postcode"), row.get("locality")) if t is not None)
        if where:
            item.notes.append(where)
    changed = _when(row.get("updated"))
    if isinstance(changed, dt.datetime):
        item.notes.append(digest_text.say("changed_on", lang, date=digest_text.short_date(changed.date(), lang)))
    return item
