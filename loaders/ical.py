"""iCalendar feeds (RFC 5545): VEVENTs into Events, their organisers and places.

- **Records** are the UIDs: a VEVENT and its overrides (RECURRENCE-ID). IRIs:
  ``<base>event/<source>-<hash of UID>``, and for each occurrence of a repeating event
  ``...-<YYYYMMDDTHHMM>`` of its original start.
- **Dates**: DTSTART/DTEND with TZID or UTC become ``xsd:dateTime`` with their offset;
  floating times are read in the ``timezone`` option (default Europe/Brussels). All-day
  events are ``xsd:date``; iCalendar's DTEND is exclusive, schema:endDate inclusive, so a
  one-day event has no end and a three-day event ends on its last day. DURATION is read too.
- **Repeats**: RRULE (and RDATE) are expanded over a window (options ``window_start``,
  an ISO date, default today; ``window_days``, default 365), minus EXDATE; an override
  (RECURRENCE-ID) replaces its occurrence, or cancels it.
- **Where**: LOCATION is matched (case, accents and punctuation ignored) to a known place
  of the store by name or by "street, postal code" (the pipeline hands them over), else
  to a place of the same feed with the same text, else a Place is made from the text
  ("Name, Street 12, 1060 Saint-Gilles"; a Belgian postal code is needed, else the event
  is rejected with that reason); GEO gives its coordinates. A URL is a VirtualLocation.
- **Who**: ORGANIZER (CN and mailto) becomes an Alternative keyed by its e-mail; without
  it the ``organizer`` option (IRI of an alternative already loaded) or, with
  ``organizer_name``, one Alternative for the whole feed. None of these: rejected.
- STATUS:CANCELLED -> schema:EventCancelled (other statuses: EventScheduled); URL;
  CATEGORIES through the crosswalk's ``ical`` scheme and the scheme's own labels;
  CLASS:PRIVATE or CONFIDENTIAL events are rejected (not for publication).
- **Language**: the SUMMARY's LANGUAGE parameter, else the ``language`` option; the
  description's language is guessed (fr/nl/en) from its words.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import (Builder, Loader, LoaderOptions, LoaderResult, _email, _url, decode_text,
               guess_language, normalise_lang, short_hash)
from app.errors import InputError
from app.namespaces import MUTU, ORG, RDF, SCHEMA, XSD

_LINE = re.compile(r"^[A-Za-z0-9-]+[;:]")
_POSTCODE = re.compile(r"(?<!\d)([1-9]\d{3})(?!\d)")


class IcalLoader(Loader):
    name = "ical"
    description = "iCalendar feeds (.ics): events, RRULE expanded over a window"
    media_types = ("text/calendar",)
    extensions = (".ics", ".ical", ".ifb")

    def sniff(self, head: bytes) -> bool:
        return head.lstrip(b"\xef\xbb\xbf").lstrip().upper().startswith(b"BEGIN:VCALENDAR")

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        import icalendar

        source = options.filename or options.source
        text = decode_text(data, source, what="iCalendar")
        _check_structure(text, source)
        try:
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
        except ValueError as error:
            raise InputError(f"{source}: malformed iCalendar: {str(error)[:200]}") from None
        try:
            tz = ZoneInfo(options.get("timezone", "Europe/Brussels"))
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"unknown time zone {options.get('timezone')!r}") from None
        start = options.get("window_start")
        try:
            window_start = dt.date.fromisoformat(str(start)) if start else dt.date.today()
        except ValueError:
            raise InputError(f"window_start {start!r} is not an ISO date (YYYY-MM-DD)") from None
        window_end = window_start + dt.timedelta(days=int(options.get("window_days", 365)))
        converter = _Converter(Builder(options), tz, window_start, window_end)
        for calendar in calendars:
            converter.calendar(calendar)
        return converter.b.result()


def _check_structure(text: str, source: str) -> None:
    """Line-numbered errors for what icalendar reports without a line."""
    lines = text.splitlines()
    first = next((l for l in lines if l.strip()), "")
    if first.strip().upper() != "BEGIN:VCALENDAR":
        raise InputError(f"{source}: line 1: an iCalendar file starts with BEGIN:VCALENDAR",
                         detail="line 1")
    stack = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line[0] in " \t":
            continue
        if not _LINE.match(line):
            raise InputError(f"{source}: line {number}: not an iCalendar content line: {line[:60]!r}",
                             detail=f"line {number}")
        name, _, value = line.partition(":")
        if name.upper() == "BEGIN":
            stack.append((value.strip().upper(), number))
        elif name.upper() == "END":
            if not stack or stack[-1][0] != value.strip().upper():
                opened = f" (open: {stack[-1][0]} from line {stack[-1][1]})" if stack else ""
                raise InputError(f"{source}: line {number}: END:{value.strip()} without its BEGIN{opened}",
                                 detail=f"line {number}")
            stack.pop()
    if stack:
        raise InputError(f"{source}: line {stack[-1][1]}: BEGIN:{stack[-1][0]} is never ended",
                         detail=f"line {stack[-1][1]}")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


class _Converter:
    def __init__(self, builder: Builder, tz, window_start, window_end):
        self.b = builder
        self.o = builder.options
        self.tz = tz
        self.window = (window_start, window_end)
        self.known = [(iri, _key(name or ""), _key(street or ""), str(postcode or ""))
                      for iri, name, street, postcode in self.o.known_places]

    def calendar(self, calendar) -> None:
        events = [c for c in calendar.walk("VEVENT")]
        masters, overrides = {}, {}
        order = []
        for number, event in enumerate(events, start=1):
            uid = str(event.get("UID") or "").strip()
            if not uid:
                # RFC 5545 requires a UID; without one no stable IRI can be minted.
                self.b.start(number, f"VEVENT #{number}", str(event.get("SUMMARY") or ""))
                self.b.reject(f"VEVENT #{number} has no UID")
                continue
            if event.get("RECURRENCE-ID") is not None:
                overrides.setdefault(uid, []).append(event)
            else:
                if uid not in masters:
                    order.append((number, uid))
                masters[uid] = event
        self.feed_name = str(calendar.get("X-WR-CALNAME") or "")
        for number, uid in order:
            event = masters[uid]
            self.b.start(number, uid, str(event.get("SUMMARY") or ""))
            problem = self.vevent(uid, event, overrides.get(uid, []))
            if problem:
                self.b.reject(problem)
            else:
                self.b.finish()

    # ---------------------------------------------------------------- one UID
    def vevent(self, uid: str, event, overrides) -> str | None:
        for error in getattr(event, "errors", []) or []:
            return f"property {error[0]}: {error[1]}"
        if str(event.get("CLASS") or "").upper() in ("PRIVATE", "CONFIDENTIAL"):
            return f"CLASS:{event.get('CLASS')} events are not published"
        if event.get("DTSTART") is None:
            return "no DTSTART"
        start = event.get("DTSTART").dt
        end = self._end(event, start)
        if end is not None and end < start:
            return "DTEND is before DTSTART"
        if event.get("RRULE") is None and not event.get("RDATE"):
            return self.occurrence(uid, self.b.iri("event", uid), event, start, end)
        duration = (end - start) if end is not None else None
        replaced = {self._instant(o.get("RECURRENCE-ID").dt): o for o in overrides}
        for when in self._occurrences(event, start):
            iri = self.b.iri("event", uid, "-" + _stamp(when))
            override = replaced.get(self._instant(when))
            if override is not None:
                o_start = override.get("DTSTART").dt if override.get("DTSTART") else when
                problem = self.occurrence(uid, iri, override, o_start, self._end(override, o_start),
                                          master=event)
            else:
                problem = self.occurrence(uid, iri, event, when,
                                          when + duration if duration is not None else None)
            if problem:
                return problem
        return None

    def _end(self, event, start):
        if event.get("DTEND") is not None:
            return event.get("DTEND").dt
        if event.get("DURATION") is not None:
            return start + event.get("DURATION").dt
        return None

    def _instant(self, value):
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=self.tz)).astimezone(dt.timezone.utc)
        return value

    def _occurrences(self, event, start):
        from dateutil.rrule import rruleset, rrulestr

        rules = rruleset()
        floating = isinstance(start, dt.datetime) and start.tzinfo is None
        anchor = start.replace(tzinfo=self.tz) if floating else start
        if not isinstance(anchor, dt.datetime):
            anchor = dt.datetime.combine(anchor, dt.time(0, 0))
        if event.get("RRULE") is not None:
            text = event.get("RRULE").to_ical().decode()
            if isinstance(anchor, dt.datetime) and anchor.tzinfo is not None:
                # dateutil wants UNTIL in UTC when the start has a zone (RFC 5545 says so too).
                text = re.sub(r"UNTIL=(\d{8})(;|$)", r"UNTIL=\1T235959Z\2", text)
            elif "UNTIL=" in text:
                text = re.sub(r"(UNTIL=\d{8}T\d{6})Z", r"\1", text)
            rules.rrule(rrulestr(text, dtstart=anchor))
        for group in _list(event.get("RDATE")):
            for value in group.dts:
                rules.rdate(self._as_anchor(value.dt, anchor))
        for group in _list(event.get("EXDATE")):
            for value in group.dts:
                rules.exdate(self._as_anchor(value.dt, anchor))
        lo = dt.datetime.combine(self.window[0], dt.time(0, 0), tzinfo=anchor.tzinfo)
        hi = dt.datetime.combine(self.window[1], dt.time(0, 0), tzinfo=anchor.tzinfo)
        for when in rules.between(lo, hi, inc=True):
            yield when.date() if not isinstance(start, dt.datetime) else when

    def _as_anchor(self, value, anchor):
        if not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time(0, 0), tzinfo=anchor.tzinfo)
        if value.tzinfo is None and anchor.tzinfo is not None:
            return value.replace(tzinfo=self.tz)
        return value

    # ---------------------------------------------------------------- one occurrence
    def occurrence(self, uid, iri, event, start, end, master=None) -> str | None:
        b, o = self.b, self.o

        def prop(name):
            value = event.get(name)
            if value is None and master is not None:
                value = master.get(name)
            return value

        summary = prop("SUMMARY")
        if summary is None or not str(summary).strip():
            return "no SUMMARY (an event needs a name)"
        lang = normalise_lang(getattr(summary, "params", {}).get("LANGUAGE")) or o.language
        if lang not in ("fr", "nl", "en"):
            lang = o.language
        organizer = self.organizer(prop("ORGANIZER"), lang)
        if organizer is None:
            return "no ORGANIZER, and no organizer / organizer_name option"
        location = self.location(iri, prop("LOCATION"), prop("GEO"), lang)
        if isinstance(location, tuple):
            return location[1]
        b.add(iri, RDF + "type", MUTU + "Event")
        b.add(iri, RDF + "type", SCHEMA + "Event")
        b.lit(iri, SCHEMA + "name", str(summary), lang=lang)
        description = prop("DESCRIPTION")
        if description is not None and str(description).strip():
            text = str(description).strip()
            guessed = guess_language(text, lang)
            if guessed in ("fr", "nl", "en"):
                b.lit(iri, SCHEMA + "description", text, lang=guessed)
            else:
                b.note(f"description in language {guessed!r} left out")
        b.lit(iri, SCHEMA + "startDate", *self._date(start))
        end_value = self._end_value(start, end)
        if end_value is not None:
            b.lit(iri, SCHEMA + "endDate", *end_value)
        b.add(iri, SCHEMA + "location", location)
        b.add(iri, SCHEMA + "organizer", organizer)
        status = str(prop("STATUS") or "").upper()
        b.add(iri, SCHEMA + "eventStatus",
              SCHEMA + ("EventCancelled" if status == "CANCELLED" else "EventScheduled"))
        if getattr(summary, "params", {}).get("LANGUAGE"):
            b.lit(iri, SCHEMA + "inLanguage", lang)
        url = _url(str(prop("URL") or ""))
        if url:
            b.add(iri, SCHEMA + "url", url)
        labels = []
        for group in _list(prop("CATEGORIES")):
            labels += [str(c) for c in getattr(group, "cats", [group])]
        b.categories(iri, "ical", labels)
        b.provenance(iri, uid, url)
        return None

    def _date(self, value):
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.tz)
            text = value.isoformat(timespec="seconds").replace("+00:00", "Z")
            return text, XSD + "dateTime"
        return value.isoformat(), XSD + "date"

    def _end_value(self, start, end):
        if end is None:
            return None
        if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
            return None  # mixed kinds cannot be compared; keep the start only
        if not isinstance(start, dt.datetime):
            last = end - dt.timedelta(days=1)  # DTEND of an all-day event is exclusive
            return self._date(last) if last > start else None
        return self._date(end)

    def organizer(self, value, lang):
        b, o = self.b, self.o
        if value is not None:
            email = _email(str(value))
            name = str(getattr(value, "params", {}).get("CN") or "").strip()
            key = email or name
            if key:
                iri = b.iri("alternative", "organizer:" + key.lower())
                self._alternative(iri, name or email, email, "organizer:" + key.lower(), lang)
                return iri
        if o.get("organizer"):
            return str(o.get("organizer"))
        name = o.get("organizer_name")
        if name:
            iri = b.iri("alternative", "feed-organizer")
            self._alternative(iri, str(name), None, "feed-organizer", lang)
            return iri
        return None

    def _alternative(self, iri, name, email, record_id, lang):
        b = self.b
        b.add(iri, RDF + "type", MUTU + "Alternative")
        b.add(iri, RDF + "type", SCHEMA + "Organization")
        b.add(iri, RDF + "type", ORG + "Organization")
        b.lit(iri, SCHEMA + "name", name, lang=self.o.language)
        if email:
            b.lit(iri, SCHEMA + "email", email)
        b.lit(iri, "http://purl.org/dc/terms/identifier", record_id)
        b.lit(iri, "http://purl.org/dc/terms/source", self.o.source)

    def location(self, event_iri, value, geo, lang):
        b = self.b
        text = str(value or "").strip()
        if not text:
            return (None, "no LOCATION (an event needs a place)")
        if re.match(r"^https?://", text):
            iri = event_iri + "#location"
            b.add(iri, RDF + "type", SCHEMA + "VirtualLocation")
            b.add(iri, SCHEMA + "url", _url(text) or text)
            return iri
        key = _key(text)
        for iri, name, street, postcode in self.known:
            if name and (key == name or key.startswith(name + " ")):
                return iri
            if street and postcode and street in key and postcode in key:
                return iri
        parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
        at = next((i for i, p in enumerate(parts) if _POSTCODE.search(p)), None)
        if at is None:
            return (None, f"LOCATION {text!r} has no Belgian postal code and matches no known place")
        postcode = _POSTCODE.search(parts[at]).group(1)
        locality = _POSTCODE.sub("", parts[at]).strip(" -") or None
        before = parts[:at]
        if not before:
            return (None, f"LOCATION {text!r} has no street before the postal code")
        street = before[-1]
        name = before[0] if len(before) > 1 else text
        record_id = "location:" + key
        info = {"street": street, "postcode": postcode, "locality": locality}
        if geo is not None:
            info["lat"], info["lon"] = float(geo.latitude), float(geo.longitude)
        place = b.place(record_id, info, names={self.o.language: name})
        b.lit(place, "http://purl.org/dc/terms/source", self.o.source)
        return place


def _list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _stamp(when) -> str:
    if isinstance(when, dt.datetime):
        return when.strftime("%Y%m%dT%H%M")
    return when.strftime("%Y%m%d")


__all__ = ["IcalLoader", "short_hash"]
