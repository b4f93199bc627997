"""Loaders: bytes of a source format in, Mutu-shaped RDF triples out.

A loader does no network and no store access. It mints stable IRIs from the source's own
record identifiers (``<base>alternative/<source>-<hash of the id>``), so converting the same
bytes twice gives the same triples, and it links every record to where it came from
(``prov:wasDerivedFrom`` the record's URL when the source has one, ``dcterms:identifier`` the
source's id, ``dcterms:source`` the source name). The pipeline (``app.pipeline``) validates
the triples and replaces the target graph atomically.

The registry ``LOADERS`` maps a name to a loader; :func:`pick` chooses one for a file from
``--loader``, the extension, a media type, or by sniffing the first bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pyoxigraph as ox

from app.errors import InputError
from app.namespaces import DCTERMS, GEO, MUTU, ORG, PROV, RDF, SCHEMA, XSD

LANGUAGES = ("fr", "nl", "en")


@dataclass
class LoaderOptions:
    """What every loader may be told.

    - ``base_iri``: prefix of minted IRIs; ``source``: the source's short name (its slug
      goes into every IRI, so two sources never collide);
    - ``language``: language of untagged names when the source gives no hint (fr, nl, en);
    - ``known_places``: places already in the store, ``[(iri, name, street, postcode)]``,
      handed over by the pipeline so that the iCal loader can match LOCATION text;
    - ``extra``: the loader's own options (from ``--option KEY=VALUE`` or the sources file);
    - ``progress``: called with (records done, records total or None) now and then;
    - ``filename``: the input's file name, for formats told by extension (RDF).
    """

    base_iri: str = "https://mutu.brussels/"
    source: str = "source"
    language: str = "fr"
    known_places: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    progress: Callable[[int, int | None], None] | None = None
    filename: str | None = None

    def get(self, key, default=None):
        return self.extra.get(key, default)


@dataclass
class Record:
    """One record of the source: its number (1-based), its id and the subjects it produced."""

    number: int
    id: str
    subjects: set = field(default_factory=set)
    label: str = ""


@dataclass
class LoaderResult:
    """What a conversion gives: triples, records, and counts."""

    triples: list
    records: list
    read: int = 0
    rejected: list = field(default_factory=list)  # [(Record, reason)]
    notes: list = field(default_factory=list)  # [(Record | None, note)] kept data, lost a detail

    @property
    def created(self) -> int:
        return len(self.records)


class Loader:
    """The interface: name, media types, extensions, sniff(head) and convert(data, options)."""

    name = ""
    description = ""
    media_types: tuple = ()
    extensions: tuple = ()

    def sniff(self, head: bytes) -> bool:
        """True if the first bytes of a file look like this loader's format."""
        return False

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        """Turn input bytes into triples; every registered loader overrides this."""
        raise TypeError(f"the {type(self).__name__} loader does not define convert()")


# --------------------------------------------------------------------------- registry

def _registry() -> dict:
    from . import csv as csv_loader
    from . import documents, geojson, gogocarto, ical, kvm, osm, rdf

    loaders = [rdf.RdfLoader(), ical.IcalLoader(), csv_loader.CsvLoader(), geojson.GeoJsonLoader(),
               osm.OsmLoader(), gogocarto.GoGoCartoLoader(), kvm.KvmLoader(),
               documents.DocumentsLoader()]
    return {loader.name: loader for loader in loaders}


_LOADERS: dict | None = None


def loaders() -> dict:
    """The registry {name: loader}."""
    global _LOADERS
    if _LOADERS is None:
        _LOADERS = _registry()
    return _LOADERS


def get(name: str) -> Loader:
    try:
        return loaders()[name]
    except KeyError:
        raise InputError(f"unknown loader {name!r}; use one of: {', '.join(loaders())}") from None


# Sniffing order: specific JSON shapes first, generic RDF last.
_SNIFF_ORDER = ("ical", "geojson", "osm", "gogocarto", "kvm", "rdf", "csv")


def pick(path: str | None = None, *, name: str | None = None, media_type: str | None = None,
         head: bytes = b"") -> Loader:
    """Choose a loader: by name, else by sniffing the content among those the extension or
    media type allows, else by extension or media type alone."""
    if name:
        return get(name)
    registry = loaders()
    candidates = []
    if media_type:
        mt = media_type.split(";")[0].strip().lower()
        candidates = [l for l in registry.values() if mt in l.media_types]
    if not candidates and path:
        lower = path.lower()
        candidates = [l for l in registry.values() if any(lower.endswith(e) for e in l.extensions)]
    ordered = [registry[n] for n in _SNIFF_ORDER if registry[n] in candidates] or \
        [registry[n] for n in _SNIFF_ORDER]
    for loader in ordered:
        if head and loader.sniff(head):
            return loader
    if len(candidates) >= 1:
        # The rdf loader owns .json (JSON-LD) too; content did not say otherwise.
        return candidates[0]
    raise InputError(f"{path or 'input'}: cannot tell which loader reads it; pass --loader "
                     f"({', '.join(registry)})")


# --------------------------------------------------------------------------- helpers

def slug(text: str) -> str:
    """Lower-case ASCII, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def decode_text(data: bytes, source: str, *, what: str = "input") -> str:
    """UTF-8 text (a BOM is dropped), or an InputError naming the line of the first bad byte."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{source}: the file is UTF-16; {what} must be UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise InputError(f"{source}: not UTF-8 (byte 0x{data[error.start]:02x} on line {line}); "
                         f"convert it to UTF-8 first", detail=f"line {line}") from None


def parse_json(data: bytes, source: str):
    """Parse JSON, or raise an InputError with the line and column of the syntax error."""
    text = decode_text(data, source, what="JSON")
    if not text.strip():
        raise InputError(f"{source}: the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{source}: JSON syntax error: {error.msg}",
                         detail=f"line {error.lineno}, column {error.colno}") from None


def json_head(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf").decode("utf-8", "ignore").lstrip()
    return text if text[:1] in ("{", "[") else ""


_STOPWORDS = {
    "fr": set("le la les des une est et du pour dans avec sur nous vous qui que au aux ce cette "
              "son ses par pas plus sont être ont à l d".split()),
    "nl": set("de het een en van is voor met op in zijn wij we die dat niet ook aan bij te om "
              "naar uit of door hun".split()),
    "en": set("the and of to is for with on in we our are that this an by from at be as it "
              "you their".split()),
    "de": set("der die das und ist für mit auf wir ein eine nicht von zu den im dem sich".split()),
}


def guess_language(text: str, default: str) -> str:
    """French, Dutch or English by counting common words; `default` when unsure.

    Deliberately small: it only has to tell fr/nl/en apart in descriptions of a few
    sentences, and it says "de" (which the caller then drops) for German text.
    """
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœäößñ']+", text.lower())
    words = [w.split("'")[-1] or w for w in words]
    if len(words) < 4:
        return default
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda k: (scores[k], k == default))
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < 2 or ranked[0] < 1.5 * ranked[1]:
        return default
    return best


def normalise_lang(tag: str | None) -> str | None:
    if not tag:
        return None
    tag = tag.strip().lower().replace("_", "-").split("-")[0]
    return {"gr": "el", "fra": "fr", "nld": "nl", "dut": "nl", "eng": "en", "fre": "fr"}.get(tag, tag)


# Country names and codes as sources write them -> ISO 3166 code.
_COUNTRIES = {
    "be": "BE", "bel": "BE", "belgique": "BE", "belgium": "BE", "belgie": "BE", "belgien": "BE",
    "belgio": "BE", "belgica": "BE", "fr": "FR", "france": "FR", "nl": "NL", "nederland": "NL",
    "netherlands": "NL", "de": "DE", "deutschland": "DE", "germany": "DE", "lu": "LU",
    "luxembourg": "LU", "uk": "GB", "gb": "GB", "england": "GB", "united kingdom": "GB",
    "at": "AT", "austria": "AT", "osterreich": "AT", "it": "IT", "italia": "IT", "italy": "IT",
    "es": "ES", "espana": "ES", "spain": "ES", "pt": "PT", "portugal": "PT", "gr": "GR",
    "greece": "GR",
}


def country_code(text: str | None) -> str | None:
    """ISO code of a free-text country ("Belgique" -> "BE"); the text itself when unknown."""
    if text is None or not str(text).strip():
        return None
    key = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().strip().lower()
    return _COUNTRIES.get(key, str(text).strip())


BELGIUM_BBOX = (49.49, 2.54, 51.51, 6.41)  # lat min, lon min, lat max, lon max (as the shapes)


def _url(value) -> str | None:
    if not value:
        return None
    value = str(value).strip().split()[0] if str(value).strip() else ""
    if not value:
        return None
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        value = "http://" + value
    try:
        ox.NamedNode(value)
    except ValueError:
        return None
    return value


def _email(value) -> str | None:
    if not value:
        return None
    value = str(value).strip().removeprefix("mailto:").removeprefix("MAILTO:").strip()
    return value if re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value) else None


# --------------------------------------------------------------------------- category crosswalk

class Crosswalk:
    """Source category codes and labels -> concepts of the shared scheme.

    Built from data: the scheme's own ``skos:notation`` (SSEDAS tags) and labels
    (ontology/categories.ttl), and ``ontology/crosswalk.ttl``, where each source vocabulary is a
    ``skos:ConceptScheme`` whose concepts carry a ``skos:notation`` (the code or label as the
    source writes it) and a ``skos:exactMatch`` or ``skos:closeMatch`` to a scheme concept.
    """

    def __init__(self):
        from app.resources import files

        store = ox.Store()
        for name in ("categories.ttl", "crosswalk.ttl"):
            for path in files("ontology", name):
                store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        self.scheme = "https://mutu.brussels/categories"
        self.by_source: dict[str, dict[str, str]] = {}
        self.generic: dict[str, str] = {}
        q = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?c ?key WHERE { ?c skos:inScheme <https://mutu.brussels/categories> .
          { ?c skos:notation ?key } UNION { ?c skos:prefLabel ?key } }"""
        for row in store.query(q):
            self.generic.setdefault(_key(row["key"].value), row["c"].value)
        q = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?scheme ?key ?target WHERE { ?s skos:inScheme ?scheme ;
          skos:exactMatch|skos:closeMatch ?target . ?target skos:inScheme <https://mutu.brussels/categories> .
          { ?s skos:notation ?key } UNION { ?s skos:prefLabel ?key } }"""
        for row in store.query(q):
            scheme = row["scheme"].value.rstrip("/").rsplit("/", 1)[-1]
            self.by_source.setdefault(scheme, {})[_key(row["key"].value)] = row["target"].value

    def lookup(self, vocabulary: str, value: str) -> str | None:
        """The scheme concept for a source code or label, or None."""
        key = _key(value)
        return self.by_source.get(vocabulary, {}).get(key) or self.generic.get(key)


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9=]+", " ", text).strip()


_CROSSWALK: Crosswalk | None = None


def crosswalk() -> Crosswalk:
    global _CROSSWALK
    if _CROSSWALK is None:
        _CROSSWALK = Crosswalk()
    return _CROSSWALK


# --------------------------------------------------------------------------- triple builder

def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


_TYPE = _n(RDF + "type")


class Builder:
    """Collects triples and records for one conversion; mints stable IRIs."""

    def __init__(self, options: LoaderOptions):
        self.options = options
        self.base = options.base_iri
        self.src = slug(options.source)
        self.triples: list[ox.Triple] = []
        self.records: list[Record] = []
        self.rejected: list = []
        self.notes: list = []
        self.read = 0
        self.current: Record | None = None

    def iri(self, kind: str, source_id: str, suffix: str = "") -> str:
        """``<base><kind>/<source slug>-<hash of the source id>``: stable across re-loads."""
        return f"{self.base}{kind}/{self.src}-{short_hash(source_id)}{suffix}"

    def start(self, number: int, record_id: str, label: str = "") -> Record:
        self.read += 1
        self.current = Record(number, str(record_id), set(), label)
        self._mark = len(self.triples)
        return self.current

    def finish(self) -> None:
        self.records.append(self.current)
        self.current = None
        progress = self.options.progress
        if progress and self.read % 100 == 0:
            progress(self.read, None)

    def reject(self, reason: str) -> None:
        """Drop the current record (its triples so far) and say why."""
        del self.triples[self._mark:]
        self.rejected.append((self.current, reason))
        self.current = None

    def note(self, text: str) -> None:
        self.notes.append((self.current, text))

    def add(self, s: str, p: str, o) -> None:
        if self.current is not None:
            self.current.subjects.add(s)
        self.triples.append(ox.Triple(_n(s), _n(p), o if not isinstance(o, str) else _n(o)))

    def lit(self, s: str, p: str, value, datatype: str | None = None, lang: str | None = None):
        if value is None or str(value).strip() == "":
            return
        value = str(value).strip()
        if lang:
            self.add(s, p, ox.Literal(value, language=lang))
        elif datatype:
            self.add(s, p, ox.Literal(value, datatype=_n(datatype)))
        else:
            self.add(s, p, ox.Literal(value))

    def texts(self, s: str, p: str, values: dict, *, what: str) -> None:
        """Language-tagged texts {lang: text}; languages other than fr/nl/en are left out."""
        for lang, text in sorted(values.items()):
            if not text or not str(text).strip():
                continue
            if lang in LANGUAGES:
                self.lit(s, p, text, lang=lang)
            else:
                self.note(f"{what} in language {lang!r} left out (Mutu keeps fr, nl, en)")

    def provenance(self, s: str, record_id: str, url: str | None = None) -> None:
        self.lit(s, DCTERMS + "identifier", record_id)
        self.lit(s, DCTERMS + "source", self.options.source)
        if url:
            self.add(s, PROV + "wasDerivedFrom", url)

    def categories(self, s: str, vocabulary: str, values: Iterable[str]) -> None:
        xw = crosswalk()
        seen = set()
        for value in values:
            value = str(value).strip()
            if not value:
                continue
            concept = xw.lookup(vocabulary, value)
            if concept is None:
                self.note(f"category {value!r} is not in the crosswalk; left out")
            elif concept not in seen:
                seen.add(concept)
                self.add(s, MUTU + "category", concept)

    def organisation(self, record_id: str, org: dict) -> str:
        """An Alternative (and its Place when the address is complete) from a flat dict.

        Keys: names {lang: text}, descriptions {lang: text}, url, email, telephone, logo,
        same_as [IRIs], categories (vocabulary, [codes]) or a list of them, derived_from, street, postcode,
        locality, country, lat, lon, place_name {lang: text}.
        """
        a = self.iri("alternative", record_id)
        self.add(a, RDF + "type", MUTU + "Alternative")
        self.add(a, RDF + "type", SCHEMA + "Organization")
        self.add(a, RDF + "type", ORG + "Organization")
        self.texts(a, SCHEMA + "name", org.get("names") or {}, what="name")
        self.texts(a, SCHEMA + "description", org.get("descriptions") or {}, what="description")
        url = _url(org.get("url"))
        if url:
            self.add(a, SCHEMA + "url", url)
        elif org.get("url"):
            self.note(f"web address {org['url']!r} is not a valid IRI; left out")
        email = _email(org.get("email"))
        if email:
            self.lit(a, SCHEMA + "email", email)
        elif org.get("email"):
            self.note(f"e-mail {org['email']!r} is not an address; left out")
        self.lit(a, SCHEMA + "telephone", org.get("telephone"))
        logo = _url(org.get("logo"))
        if logo:
            self.add(a, SCHEMA + "logo", logo)
        for same in org.get("same_as") or ():
            self.add(a, SCHEMA + "sameAs", same)
        groups = org.get("categories") or []
        for vocabulary, codes in [groups] if isinstance(groups, tuple) else groups:
            self.categories(a, vocabulary, codes)
        self.provenance(a, record_id, org.get("derived_from"))
        place = self.place(record_id, org, names=org.get("place_name") or org.get("names") or {})
        if place:
            self.add(a, SCHEMA + "location", place)
        return a

    def place(self, record_id: str, info: dict, *, names: dict) -> str | None:
        """A Place when street and postal code are known; otherwise None (and a note)."""
        street, postcode = info.get("street"), info.get("postcode")
        if not street or not postcode:
            if street or postcode or info.get("lat") is not None:
                self.note("no complete postal address (street and postal code): place not created")
            return None
        p = self.iri("place", record_id)
        self.add(p, RDF + "type", MUTU + "Place")
        self.add(p, RDF + "type", SCHEMA + "Place")
        self.texts(p, SCHEMA + "name", names, what="place name")
        addr = p + "#address"
        self.add(p, SCHEMA + "address", addr)
        self.add(addr, RDF + "type", SCHEMA + "PostalAddress")
        self.lit(addr, SCHEMA + "streetAddress", street)
        self.lit(addr, SCHEMA + "postalCode", str(postcode).strip().replace(" ", ""))
        self.lit(addr, SCHEMA + "addressLocality", info.get("locality"))
        self.lit(addr, SCHEMA + "addressCountry", info.get("country"))
        lat, lon = info.get("lat"), info.get("lon")
        if lat is not None and lon is not None:
            geo = p + "#geo"
            self.add(p, SCHEMA + "geo", geo)
            self.add(geo, RDF + "type", SCHEMA + "GeoCoordinates")
            self.lit(geo, SCHEMA + "latitude", decimal(lat), XSD + "decimal")
            self.lit(geo, SCHEMA + "longitude", decimal(lon), XSD + "decimal")
            wkt = p + "#geometry"
            self.add(p, GEO + "hasGeometry", wkt)
            self.add(wkt, RDF + "type", GEO + "Geometry")
            self.lit(wkt, GEO + "asWKT", f"POINT({decimal(lon)} {decimal(lat)})", GEO + "wktLiteral")
        return p

    def result(self) -> LoaderResult:
        if self.options.progress:
            self.options.progress(self.read, self.read)
        return LoaderResult(self.triples, self.records, self.read, self.rejected, self.notes)


def decimal(value) -> str:
    """A coordinate as an xsd:decimal lexical form, rounded to 7 places (about 1 cm)."""
    text = f"{float(value):.7f}".rstrip("0").rstrip(".")
    return text if "." in text else text + ".0"


def outside(lat: float, lon: float, bbox=BELGIUM_BBOX) -> bool:
    return not (bbox[0] <= lat <= bbox[2] and bbox[1] <= lon <= bbox[3])


def directory_filter(builder: Builder, country: str | None, lat, lon) -> bool:
    """Apply the `countries` option (default ["BE"]) of directory loaders; True if rejected.

    A record is kept when its country (if given) is one of the list and its coordinates (if
    given) lie in Belgium; an empty list keeps everything (the shapes then decide).
    """
    countries = builder.options.get("countries", ["BE"])
    if isinstance(countries, str):
        countries = [c.strip() for c in countries.split(",") if c.strip()]
    if not countries:
        return False
    if country and country not in countries:
        builder.reject(f"country {country!r} is not one of {', '.join(countries)}")
        return True
    if lat is not None and lon is not None and "BE" in countries and outside(lat, lon):
        builder.reject(f"coordinates {decimal(lat)}, {decimal(lon)} are outside Belgium")
        return True
    return False
