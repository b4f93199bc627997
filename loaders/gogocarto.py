"""GoGoCarto / Transiscope element exports (``/api/elements.json``).

The export is ``{"data": [element, ...], "licence": ..., "ontology": ...}`` or a bare list.
An element has ``id``, ``name``, ``geo {latitude, longitude}``, ``address {streetAddress,
postalCode, addressLocality, addressCountry}``, ``categories`` (labels; ``categoriesFull``
objects are read too), ``website``, ``email``, ``telephone``, ``description`` /
``descriptionMore``, ``status`` and, on Transiscope, ``sourceKey`` (the platform it came
from). Elements with a negative status (deleted, refused, pending) are rejected with that
reason. Categories go through the crosswalk's ``gogocarto`` scheme.

Options: ``site`` (the map's URL: ``prov:wasDerivedFrom <site>/api/elements/<id>``),
``countries`` (default ["BE"]), ``language`` (default fr).
"""

from __future__ import annotations

from . import (Builder, Loader, LoaderOptions, LoaderResult, country_code, directory_filter,
               guess_language, json_head, parse_json)
from app.errors import InputError


class GoGoCartoLoader(Loader):
    name = "gogocarto"
    description = "GoGoCarto / Transiscope element export (JSON)"
    media_types = ("application/vnd.gogocarto+json",)
    extensions = (".json",)

    def sniff(self, head: bytes) -> bool:
        text = json_head(head)[:4000]
        return bool(text) and ('"ontology"' in text or '"categoriesFull"' in text
                               or ('"geo"' in text and '"latitude"' in text and '"address"' in text))

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        source = options.filename or options.source
        doc = parse_json(data, source)
        elements = doc.get("data") if isinstance(doc, dict) else doc
        if not isinstance(elements, list):
            raise InputError(f"{source}: not a GoGoCarto export (no \"data\" list of elements)")
        site = str(options.get("site") or "").rstrip("/")
        b = Builder(options)
        for number, e in enumerate(elements, start=1):
            if not isinstance(e, dict):
                raise InputError(f"{source}: element {number} is not an object")
            record_id = str(e.get("id") or "")
            b.start(number, record_id or f"#{number}", str(e.get("name") or ""))
            if not record_id:
                b.reject("no id")
                continue
            if not e.get("name"):
                b.reject("no name")
                continue
            status = e.get("status")
            if isinstance(status, (int, float)) and status < 0:
                b.reject(f"status {status}: deleted, refused or pending moderation")
                continue
            geo = e.get("geo") or {}
            address = e.get("address") or {}
            try:
                lat = float(geo["latitude"]) if geo.get("latitude") not in (None, "") else None
                lon = float(geo["longitude"]) if geo.get("longitude") not in (None, "") else None
            except (TypeError, ValueError):
                b.reject(f"malformed coordinates {geo!r}")
                continue
            country = country_code(address.get("addressCountry"))
            if directory_filter(b, country, lat, lon):
                continue
            lang = options.language
            text = " ".join(str(e.get(k) or "") for k in ("description", "descriptionMore")).strip()
            categories = list(e.get("categories") or [])
            categories += [c.get("name") for c in e.get("categoriesFull") or () if isinstance(c, dict)]
            b.organisation(record_id, {
                "names": {lang: str(e["name"])},
                "descriptions": {guess_language(text, lang): text} if text else {},
                "url": e.get("website"), "email": e.get("email"), "telephone": e.get("telephone"),
                "street": address.get("streetAddress"), "postcode": address.get("postalCode"),
                "locality": address.get("addressLocality"), "country": country,
                "lat": lat, "lon": lon, "categories": ("gogocarto", [c for c in categories if c]),
                "derived_from": f"{site}/api/elements/{record_id}" if site.startswith("http") else None,
            })
            b.finish()
        return b.result()
