"""Karte von morgen / OpenFairDB entries (``GET /v0/entries/<ids>`` or ``/v0/search``).

Accepts a list of entries, ``{"entries": [...]}`` or a search result
``{"visible": [...], "invisible": [...]}``. An entry has ``id``, ``title``, ``description``,
``lat``, ``lng``, ``street``, ``zip``, ``city``, ``country``, ``email``, ``telephone``,
``homepage``, ``tags`` (lower-case hashtags, mapped through the crosswalk's ``kvm``
scheme) and ``categories`` (OpenFairDB ids: initiative, company; event entries are
rejected, they are not directory entries). ``prov:wasDerivedFrom`` is
``<api>/entries/<id>`` (option ``api``, default https://api.ofdb.io/v0).

Options: ``api``, ``countries`` (default ["BE"]), ``language`` (default fr).
"""

from __future__ import annotations

from . import (Builder, Loader, LoaderOptions, LoaderResult, country_code, directory_filter,
               guess_language, json_head, parse_json)
from app.errors import InputError

EVENT_CATEGORY = "c2dc278a2d6a4b9b8a50cb606fc017ed"


class KvmLoader(Loader):
    name = "kvm"
    description = "Karte von morgen / OpenFairDB entries (JSON)"
    media_types = ("application/vnd.ofdb+json",)
    extensions = (".json",)

    def sniff(self, head: bytes) -> bool:
        text = json_head(head)[:4000]
        return bool(text) and '"lng"' in text and '"title"' in text and ('"tags"' in text
                                                                        or '"visible"' in text)

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        source = options.filename or options.source
        doc = parse_json(data, source)
        if isinstance(doc, dict):
            entries = doc.get("entries") or (doc.get("visible", []) + doc.get("invisible", []))
        else:
            entries = doc
        if not isinstance(entries, list):
            raise InputError(f"{source}: not OpenFairDB entries (a list, or a search result)")
        api = str(options.get("api") or "https://api.ofdb.io/v0").rstrip("/")
        b = Builder(options)
        for number, e in enumerate(entries, start=1):
            if not isinstance(e, dict):
                raise InputError(f"{source}: entry {number} is not an object")
            record_id = str(e.get("id") or "")
            b.start(number, record_id or f"#{number}", str(e.get("title") or ""))
            if not record_id or not e.get("title"):
                b.reject("no id" if not record_id else "no title")
                continue
            if EVENT_CATEGORY in (e.get("categories") or ()):
                b.reject("an event entry, not an initiative or company")
                continue
            try:
                lat = float(e["lat"]) if e.get("lat") is not None else None
                lon = float(e["lng"]) if e.get("lng") is not None else None
            except (TypeError, ValueError):
                b.reject(f"malformed coordinates {e.get('lat')!r}, {e.get('lng')!r}")
                continue
            country = country_code(e.get("country"))
            if directory_filter(b, country, lat, lon):
                continue
            lang = options.language
            text = str(e.get("description") or "").strip()
            b.organisation(record_id, {
                "names": {lang: str(e["title"])},
                "descriptions": {guess_language(text, lang): text} if text else {},
                "url": e.get("homepage"), "email": e.get("email"), "telephone": e.get("telephone"),
                "street": e.get("street"), "postcode": e.get("zip"), "locality": e.get("city"),
                "country": country, "lat": lat, "lon": lon, "logo": e.get("image_url"),
                "categories": ("kvm", [t.lstrip("#") for t in e.get("tags") or () if isinstance(t, str)]),
                "derived_from": f"{api}/entries/{record_id}",
            })
            b.finish()
        return b.result()
