"""GeoJSON of initiatives: TransforMap/SUSY exports (OSM-style keys) and uMap point layers.

Each Feature is one record. Its id is, in order: ``properties._id`` (TransforMap),
``properties.id`` / ``@id``, the Feature's ``id``, else a hash of its name and coordinates
(uMap layers carry no ids; such records keep their IRIs as long as name and position do).
Properties are read as OSM-style tags (``name``, ``name:fr``, ``description:nl``,
``addr:street``/``addr:housenumber``/``addr:postcode``/``addr:city``/``addr:country``,
``contact:website``/``website``, ``contact:email``, ``contact:phone``, ``osm``).
Categories come from ``type_of_initiative`` (SSEDAS tags, ';'-separated), from OSM keys
through the crosswalk, and from a uMap ``category``/``categories`` property by label.
``_uri`` (TransforMap) becomes ``prov:wasDerivedFrom``.

Options: ``countries`` (default ``["BE"]``: records with another ``addr:country`` or with
coordinates outside Belgium are rejected with that reason; ``[]`` lets the shapes decide),
``language`` (names without a language tag; default fr).
"""

from __future__ import annotations

from . import (Builder, Loader, LoaderOptions, LoaderResult, directory_filter, json_head,
               parse_json)
from .osm import org_from_tags
from app.errors import InputError


class GeoJsonLoader(Loader):
    name = "geojson"
    description = "GeoJSON of initiatives (TransforMap/SUSY OSM-style keys, uMap point layers)"
    media_types = ("application/geo+json", "application/vnd.geo+json")
    extensions = (".geojson", ".umap", ".json")

    def sniff(self, head: bytes) -> bool:
        text = json_head(head)[:3000].replace(" ", "")
        return '"type":"FeatureCollection"' in text or '"type":"Feature"' in text

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        source = options.filename or options.source
        doc = parse_json(data, source)
        if isinstance(doc, dict) and doc.get("type") == "Feature":
            features = [doc]
        elif isinstance(doc, dict) and isinstance(doc.get("features"), list):
            features = doc["features"]
        else:
            raise InputError(f"{source}: not a GeoJSON FeatureCollection (no \"features\" list)")
        b = Builder(options)
        total = len(features)
        for number, feature in enumerate(features, start=1):
            if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
                raise InputError(f"{source}: feature {number} is not a GeoJSON Feature object")
            props = feature.get("properties") or {}
            lat, lon, problem = _point(feature.get("geometry"))
            record_id = _record_id(feature, props, lat, lon)
            b.start(number, record_id, str(props.get("name") or ""))
            if problem:
                b.reject(problem)
                continue
            if not props.get("name"):
                b.reject("no name")
                continue
            org = org_from_tags(props, options, lat=lat, lon=lon)
            if directory_filter(b, org["country"], lat, lon):
                continue
            codes = [c.strip() for c in str(props.get("type_of_initiative") or "").split(";")]
            umap = props.get("categories") or props.get("category") or []
            if isinstance(umap, str):
                umap = umap.split(",")
            org["categories"] = [("ssedas", codes + list(umap)), ("osm", org.pop("osm_codes"))]
            org["derived_from"] = props.get("_uri") if str(props.get("_uri", "")).startswith("http") else None
            b.organisation(record_id, org)
            b.finish()
            if options.progress and number % 200 == 0:
                options.progress(number, total)
        return b.result()


def _point(geometry):
    """(lat, lon, problem): a Point's position, or a polygon's mean vertex."""
    if not isinstance(geometry, dict):
        return None, None, None
    coords = geometry.get("coordinates")
    try:
        if geometry.get("type") == "Point":
            lon, lat = float(coords[0]), float(coords[1])
        elif geometry.get("type") in ("Polygon", "LineString", "MultiPoint"):
            ring = coords[0] if geometry["type"] == "Polygon" else coords
            lon = sum(float(p[0]) for p in ring) / len(ring)
            lat = sum(float(p[1]) for p in ring) / len(ring)
        else:
            return None, None, f"geometry type {geometry.get('type')!r} is not supported"
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        return None, None, f"malformed coordinates {coords!r}"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, f"coordinates {coords!r} are not longitude, latitude in degrees"
    return lat, lon, None


def _record_id(feature: dict, props: dict, lat, lon) -> str:
    for value in (props.get("_id"), props.get("id"), props.get("@id"), feature.get("id")):
        if value not in (None, ""):
            return str(value)
    return f"{props.get('name', '')}@{lat},{lon}"
