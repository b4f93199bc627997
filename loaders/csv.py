"""CSV spreadsheets of alternatives, read through a declarative mapping (TOML).

The mapping (``mutu load list.csv --mapping list.toml``, or ``mapping`` in the sources file)::

    delimiter = ";"           # default ","
    encoding = "utf-8"        # or "cp1252", "latin-1"
    id = "ID"                 # the column holding each row's stable id (required)
    language = "fr"           # language of the text columns without @lang (default: --language)
    vocabulary = "gogocarto"  # crosswalk scheme the category labels come from (optional)
    category_separator = ","  # default ","

    [columns]                 # what -> column header
    name = "Nom"
    "name@nl" = "Naam"        # a text column in another language
    description = "Description"
    url = "Site"
    email = "Courriel"
    telephone = "Téléphone"
    street = "Adresse"
    postcode = "CP"
    locality = "Commune"
    country = "Pays"
    latitude = "Lat"
    longitude = "Lon"
    categories = "Catégories"

    [defaults]                # what -> value when the cell is empty or the column absent
    locality = "Bruxelles"

    [categories]              # a source label -> a scheme slug; wins over the crosswalk
    "Répar'" = "repair-cafe"

Each row is a record (its number is its line in the file). Errors name the line: a column
the mapping names but the header lacks, a header of one column (wrong delimiter), a row
with a different number of fields.
"""

from __future__ import annotations

import csv
import io

from . import (Builder, Loader, LoaderOptions, LoaderResult, country_code,
               normalise_lang)
from app.errors import InputError

TEXT_FIELDS = ("name", "description")
KNOWN = {"name", "description", "url", "email", "telephone", "street", "postcode", "locality",
         "country", "latitude", "longitude", "categories", "logo"}


class CsvLoader(Loader):
    name = "csv"
    description = "CSV with a TOML mapping (--mapping FILE)"
    media_types = ("text/csv", "text/tab-separated-values")
    extensions = (".csv", ".tsv")

    def sniff(self, head: bytes) -> bool:
        return False  # CSV has no signature; chosen by extension, media type or --loader

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        source = options.filename or options.source
        mapping = options.get("mapping")
        if not isinstance(mapping, dict):
            raise InputError(f"{source}: the csv loader needs a mapping (--mapping FILE.toml)")
        columns = mapping.get("columns") or {}
        for key in columns:
            what, _, lang = key.partition("@")
            if what not in KNOWN or (lang and what not in TEXT_FIELDS):
                raise InputError(f"mapping: unknown column key {key!r}; use {', '.join(sorted(KNOWN))}"
                                 " (name@nl, description@en for other languages)")
        if "id" not in mapping or "name" not in {k.partition("@")[0] for k in columns}:
            raise InputError("mapping: `id = \"COLUMN\"` and a `name` column are required")
        delimiter = mapping.get("delimiter", "\t" if source.endswith(".tsv") else ",")
        text = _decode(data, mapping.get("encoding", "utf-8"), source)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{source}: the file is empty") from None
        except csv.Error as error:
            raise InputError(f"{source}: line 1: {error}") from None
        header = [h.strip() for h in header]
        if len(header) == 1:
            other = next((d for d in (";", ",", "\t", "|") if d != delimiter and d in header[0]), None)
            if other:
                raise InputError(f"{source}: line 1 has a single column; the file seems to use "
                                 f"{other!r} as delimiter, not {delimiter!r} (set delimiter in the mapping)",
                                 detail="line 1")
        wanted = dict(columns, id=mapping["id"])
        missing = [f"{col!r} (for {what})" for what, col in wanted.items() if col not in header]
        if missing:
            raise InputError(f"{source}: line 1: column(s) {', '.join(missing)} not in the header "
                             f"({', '.join(repr(h) for h in header)})", detail="line 1")
        index = {what: header.index(col) for what, col in wanted.items()}
        defaults = mapping.get("defaults") or {}
        language = normalise_lang(mapping.get("language")) or options.language
        vocabulary = mapping.get("vocabulary", "csv")
        own = {k.strip().lower(): v for k, v in (mapping.get("categories") or {}).items()}
        separator = mapping.get("category_separator", ",")
        b = Builder(options)
        seen = {}
        try:
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                record_id = row[index["id"]].strip() if len(row) > index["id"] else ""
                b.start(line, record_id or f"line {line}")
                if len(row) != len(header):
                    b.reject(f"line {line}: {len(row)} fields, the header has {len(header)}")
                    continue
                if not record_id:
                    b.reject(f"line {line}: empty id column {mapping['id']!r}")
                    continue
                if record_id in seen:
                    b.reject(f"line {line}: id {record_id!r} already used on line {seen[record_id]}")
                    continue
                seen[record_id] = line

                def cell(what):
                    value = row[index[what]].strip() if what in index else ""
                    return value or defaults.get(what)

                names, descriptions = {}, {}
                for key in columns:
                    what, _, lang = key.partition("@")
                    if what in TEXT_FIELDS and cell(key):
                        (names if what == "name" else descriptions)[normalise_lang(lang) or language] = cell(key)
                b.current.label = next(iter(names.values()), "")
                if not names:
                    b.reject(f"line {line}: empty name")
                    continue
                try:
                    lat = float(cell("latitude").replace(",", ".")) if cell("latitude") else None
                    lon = float(cell("longitude").replace(",", ".")) if cell("longitude") else None
                except ValueError:
                    b.reject(f"line {line}: coordinates {cell('latitude')!r}, {cell('longitude')!r} are not numbers")
                    continue
                labels = [c.strip() for c in (cell("categories") or "").split(separator) if c.strip()]
                concepts = [own[l.lower()] for l in labels if l.lower() in own]
                labels = [l for l in labels if l.lower() not in own]
                a = b.organisation(record_id, {
                    "names": names, "descriptions": descriptions, "url": cell("url"),
                    "email": cell("email"), "telephone": cell("telephone"), "logo": cell("logo"),
                    "street": cell("street"), "postcode": cell("postcode"),
                    "locality": cell("locality"), "country": country_code(cell("country")),
                    "lat": lat, "lon": lon, "categories": (vocabulary, labels),
                })
                for concept in concepts:
                    target = concept if "://" in concept else f"https://mutu.brussels/category/{concept}"
                    b.add(a, "https://w3id.org/mutu/ns#category", target)
                b.finish()
        except csv.Error as error:
            raise InputError(f"{source}: line {reader.line_num}: {error}",
                             detail=f"line {reader.line_num}") from None
        return b.result()


def _decode(data: bytes, encoding: str, source: str) -> str:
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        from . import decode_text

        return decode_text(data, source, what="CSV (or set encoding in the mapping)")
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as error:
        raise InputError(f"{source}: cannot decode as {encoding}: {error}") from None
