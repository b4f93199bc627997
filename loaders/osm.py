"""OpenStreetMap Overpass JSON: nodes and ways with tags into Places and Alternatives.

Every element with a name becomes an Alternative with a Place (when addr:street,
addr:housenumber and addr:postcode give a postal address), keeping the OSM id as
``schema:sameAs <https://www.openstreetmap.org/node/ID>`` and ``prov:wasDerivedFrom``.
A way's position is its ``center`` (``out center;``) or the mean of its nodes' positions
when the file holds them. Elements without a name (and nodes that only shape ways) are
skipped, not rejected. OSM-style tags are also what the TransforMap/SUSY GeoJSON uses, so
:func:`org_from_tags` serves both loaders.
"""

from __future__ import annotations

import re

from . import (Builder, Loader, LoaderOptions, LoaderResult, country_code, directory_filter,
               guess_language, json_head, normalise_lang, parse_json)
from app.errors import InputError

# OSM keys whose key=value may map to a category through the crosswalk's "osm" scheme.
CATEGORY_KEYS = ("amenity", "shop", "office", "leisure", "landuse", "garden:type", "craft",
                 "social_facility", "repair_cafe", "zero_waste", "bulk_purchase", "fair_trade",
                 "service:bicycle:diy")

_OSM_URL = re.compile(r"openstreetmap\.org/(node|way|relation)/(\d+)")


def osm_iri(kind: str, osm_id) -> str:
    return f"https://www.openstreetmap.org/{kind}/{osm_id}"


def org_from_tags(tags: dict, options: LoaderOptions, *, lat=None, lon=None) -> dict:
    """The flat organisation dict of loaders.Builder.organisation from OSM-style tags.

    Names: ``name:fr``/``name:nl``/``name:en`` as tagged; a plain ``name`` in the default
    language unless that language already has its own tag. Descriptions: ``description:xx``
    as tagged, a plain ``description`` in the language guessed from its words (fr/nl/en),
    falling back to the default language.
    """
    lang = options.language
    names, descriptions = {}, {}
    for key, value in tags.items():
        if not isinstance(value, str):
            value = str(value)
        if key.startswith("name:") and normalise_lang(key[5:]):
            names[normalise_lang(key[5:])] = value
        elif key.startswith("description:") and normalise_lang(key[12:]):
            descriptions[normalise_lang(key[12:])] = value
    if tags.get("name"):
        names.setdefault(lang, str(tags["name"]))
    if tags.get("description"):
        text = str(tags["description"])
        descriptions.setdefault(guess_language(text, lang), text)
    street = tags.get("addr:street")
    if street and tags.get("addr:housenumber"):
        street = f"{street} {tags['addr:housenumber']}"
    codes = [f"{k}={tags[k]}" for k in CATEGORY_KEYS if tags.get(k)]
    same_as = []
    for value in (tags.get("osm"), tags.get("osm_id")):
        match = _OSM_URL.search(str(value or ""))
        if match:
            same_as.append(osm_iri(*match.groups()))
    return {
        "names": names, "descriptions": descriptions,
        "url": tags.get("contact:website") or tags.get("website") or tags.get("url"),
        "email": tags.get("contact:email") or tags.get("email"),
        "telephone": tags.get("contact:phone") or tags.get("phone"),
        "street": street, "postcode": tags.get("addr:postcode"),
        "locality": tags.get("addr:city"), "country": country_code(tags.get("addr:country")),
        "lat": lat, "lon": lon, "same_as": same_as, "osm_codes": codes,
    }


class OsmLoader(Loader):
    name = "osm"
    description = "OpenStreetMap Overpass JSON (nodes and ways with tags)"
    media_types = ("application/osm3s+json",)
    extensions = (".osm.json", ".overpass.json", ".json")

    def sniff(self, head: bytes) -> bool:
        text = json_head(head)[:3000]
        return bool(text) and '"elements"' in text and ('"osm3s"' in text or "Overpass" in text
                                                          or '"type": "node"' in text
                                                          or '"type":"node"' in text)

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        source = options.filename or options.source
        doc = parse_json(data, source)
        if not isinstance(doc, dict) or not isinstance(doc.get("elements"), list):
            raise InputError(f"{source}: not Overpass JSON (no \"elements\" list)")
        elements = doc["elements"]
        nodes = {e.get("id"): e for e in elements if isinstance(e, dict) and e.get("type") == "node"}
        b = Builder(options)
        for number, element in enumerate(elements, start=1):
            if not isinstance(element, dict):
                raise InputError(f"{source}: element {number} is not an object")
            kind, osm_id = element.get("type"), element.get("id")
            tags = element.get("tags") or {}
            if kind not in ("node", "way", "relation") or not tags.get("name"):
                continue
            b.start(number, f"{kind}/{osm_id}", tags.get("name"))
            lat, lon = _position(element, nodes)
            org = org_from_tags(tags, options, lat=lat, lon=lon)
            if directory_filter(b, org["country"], lat, lon):
                continue
            org["same_as"] = [osm_iri(kind, osm_id)]
            org["derived_from"] = osm_iri(kind, osm_id)
            org["categories"] = ("osm", org.pop("osm_codes"))
            b.organisation(f"{kind}/{osm_id}", org)
            b.finish()
        return b.result()


def _position(element: dict, nodes: dict):
    if "lat" in element and "lon" in element:
        return float(element["lat"]), float(element["lon"])
    center = element.get("center")
    if isinstance(center, dict) and "lat" in center:
        return float(center["lat"]), float(center["lon"])
    points = [nodes[n] for n in element.get("nodes") or () if n in nodes and "lat" in nodes[n]]
    if points:
        return (sum(p["lat"] for p in points) / len(points), sum(p["lon"] for p in points) / len(points))
    return None, None
