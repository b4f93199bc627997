"""A folder of documents (pdf, odt, md, ...) with one metadata file -> Mutu Documents.

The folder holds the files and exactly one of ``documents.csv``, ``documents.toml``,
``documents.yaml`` / ``documents.yml``. Each record describes one document::

    slug        readable id, lower-case letters, digits, hyphens (or `id`); the document's
                IRI is <base>document/<source slug>-<slug>
    title_fr, title_nl, title_en      (TOML/YAML also: title = {fr = "...", nl = "..."})
    summary_fr, summary_nl, summary_en  (or a `summary` table), description_* likewise
    author      alternative slug(s) or IRI(s)            -> schema:author (required)
    categories  category slugs, SSEDAS notations or labels -> mutu:category (crosswalk)
    languages   language tags ("fr", "nl-BE")            -> schema:inLanguage
    licence     SPDX id (CC-BY-SA-4.0) or IRI of a known licence -> dcterms:license (required)
    date        2025-03-04 or 2025                        -> schema:datePublished
    file        path inside the folder (must exist; no ../, no absolute path)
    url         http(s) link of the document              -> schema:url
    about       related alternatives/events: IRIs, `event:slug`, or alternative slugs
    howto       true for step-by-step know-how            -> also schema:HowTo

A file becomes ``schema:encoding <doc#file>``, a ``schema:MediaObject`` with its name,
``schema:contentSize`` (bytes), ``schema:sha256`` and media type, so a changed file changes
the graph and a reload notices it. With the option ``base_url`` (where the folder is
published) the file's address is ``schema:url`` / ``schema:contentUrl``; a ``url`` of the
record wins. In CSV, lists are separated by ``,`` or ``;``; in TOML/YAML they may be lists.
The loader reads the folder given by the ``folder`` option (``mutu load FOLDER`` sets it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import mimetypes
import re
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from app.errors import InputError
from app.namespaces import DCTERMS, MUTU, RDF, SCHEMA, XSD, licence_iri, KNOWN_LICENCES

from . import LANGUAGES, Builder, Loader, LoaderOptions, LoaderResult, crosswalk, decode_text

METADATA_NAMES = ("documents.csv", "documents.toml", "documents.yaml", "documents.yml")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")
TEXTS = {"title": SCHEMA + "name", "summary": SCHEMA + "abstract", "description": SCHEMA + "description"}
FIELDS = {"slug", "id", "author", "authors", "categories", "category", "languages", "language",
          "licence", "license", "date", "file", "url", "about", "howto"} | \
    {f"{t}_{lang}" for t in TEXTS for lang in LANGUAGES} | set(TEXTS)
TRUE = {"true", "yes", "1", "oui", "ja"}


def metadata_file(folder: str | Path) -> Path:
    """The one metadata file of a documents folder, or an InputError naming the folder."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{folder}: not a folder")
    found = [root / n for n in METADATA_NAMES if (root / n).is_file()]
    if not found:
        raise InputError(f"{folder}: no metadata file (one of {', '.join(METADATA_NAMES)})")
    if len(found) > 1:
        raise InputError(f"{folder}: several metadata files ({', '.join(p.name for p in found)}); "
                         "keep exactly one")
    return found[0]


def folder_fingerprint(folder: str | Path, metadata: bytes) -> str:
    """SHA-256 over the metadata and every file of the folder: changes when any of them does."""
    root = Path(folder)
    digest = hashlib.sha256(metadata)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii"))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


class DocumentsLoader(Loader):
    name = "documents"
    description = "a folder of documents with documents.csv, .toml or .yaml (mutu load FOLDER)"
    media_types = ()
    extensions = ()

    def convert(self, data: bytes, *, options: LoaderOptions) -> LoaderResult:
        name = options.filename or "documents.csv"
        folder = options.get("folder")
        if not folder:
            raise InputError(f"{name}: the documents loader needs the folder of the files "
                             "(`mutu load FOLDER`, or -o folder=PATH)")
        base_url = options.get("base_url")
        if base_url is not None and not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", str(base_url)):
            raise InputError(f"base_url {base_url!r} must be an http(s) address")
        records = read_records(data, name)
        b = Builder(options)
        root = Path(folder).resolve()
        seen: dict[str, str] = {}
        for where, raw in records:
            _convert_one(b, root, name, where, raw, seen, base_url)
        return b.result()


# --------------------------------------------------------------------------- reading the file

def read_records(data: bytes, name: str) -> list[tuple[str, dict]]:
    """[(where, record)] from the metadata file; `where` is "line N" (CSV) or "record N"."""
    text = decode_text(data, name, what="the metadata file")
    lower = name.lower()
    if lower.endswith(".csv"):
        return _csv_records(text, name)
    if lower.endswith(".toml"):
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{name}: TOML error: {error}") from None
        items = doc.get("document", doc.get("documents"))
        if not isinstance(items, list):
            raise InputError(f"{name}: write each document as a [[document]] table")
        return _numbered(items, name)
    if lower.endswith((".yaml", ".yml")):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" on line {mark.line + 1}" if mark is not None else ""
            raise InputError(f"{name}: YAML error{where}: {getattr(error, 'problem', None) or error}") from None
        items = doc.get("documents") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise InputError(f"{name}: expected a list of documents (or `documents:` holding one)")
        return _numbered(items, name)
    raise InputError(f"{name}: the metadata file must be one of {', '.join(METADATA_NAMES)}")


def _numbered(items: list, name: str) -> list[tuple[str, dict]]:
    out = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError(f"{name}: record {number} is not a table of fields")
        flat = {}
        for key, value in item.items():
            if key in TEXTS and isinstance(value, dict):
                for lang, text in value.items():
                    flat[f"{key}_{lang}"] = text
            else:
                flat[key] = value
        out.append((f"record {number}", flat))
    return out


def _csv_records(text: str, name: str) -> list[tuple[str, dict]]:
    sample = text.split("\n", 1)[0]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{name}: the file is empty") from None
    except csv.Error as error:
        raise InputError(f"{name}: line 1: {error}", detail="line 1") from None
    out = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise InputError(f"{name}: line {line}: {len(row)} fields, the header has {len(header)}",
                                 detail=f"line {line}")
            out.append((f"line {line}", {h: c for h, c in zip(header, row) if c.strip()}))
    except csv.Error as error:
        raise InputError(f"{name}: line {reader.line_num}: {error}",
                         detail=f"line {reader.line_num}") from None
    return out


# --------------------------------------------------------------------------- one record

def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in re.split(r"[;,]", str(value)) if v.strip()]


def _one(raw: dict, *names):
    for n in names:
        if raw.get(n) not in (None, ""):
            return raw[n]
    return None


class _Bad(Exception):
    """A record that cannot become a document; the message says why."""


def _convert_one(b: Builder, root: Path, name: str, where: str, raw: dict, seen: dict,
                 base_url: str | None) -> None:
    slug = str(_one(raw, "slug", "id") or "").strip()
    label = f"{where}" + (f" ({slug})" if slug else "")
    number = int(where.split()[-1])
    b.start(number, slug or where, label=str(_one(raw, "title_fr", "title_nl", "title_en", "title") or ""))
    try:
        unknown = sorted(set(raw) - FIELDS)
        if unknown:
            raise _Bad(f"unknown field(s) {', '.join(map(repr, unknown))} "
                       f"(known: slug, title_fr, summary_fr, author, categories, languages, "
                       "licence, date, file, url, about, howto)")
        if not slug:
            raise _Bad("no slug (or id)")
        if not SLUG.match(slug):
            raise _Bad(f"slug {slug!r} must be lower-case letters, digits and hyphens")
        if slug in seen:
            raise _Bad(f"slug {slug!r} already used ({seen[slug]})")
        seen[slug] = where
        _document(b, root, slug, raw, base_url)
    except _Bad as bad:
        b.reject(f"{name}: {label}: {bad}")
        return
    b.finish()


def _document(b: Builder, root: Path, slug: str, raw: dict, base_url: str | None) -> None:
    doc = f"{b.base}document/{b.src}-{slug}"
    titles = {lang: raw.get(f"title_{lang}") for lang in LANGUAGES if raw.get(f"title_{lang}")}
    if raw.get("title") and not isinstance(raw["title"], dict):
        titles.setdefault(b.options.language, raw["title"])
    if not titles:
        raise _Bad("no title (title_fr, title_nl or title_en)")
    licence_raw = _one(raw, "licence", "license")
    if not licence_raw:
        raise _Bad("no licence (an SPDX id such as CC-BY-SA-4.0, or its IRI)")
    licence = licence_iri(str(licence_raw).strip())
    if licence is None:
        raise _Bad(f"unknown licence {licence_raw!r} (known: {', '.join(KNOWN_LICENCES.values())})")
    authors = [_alternative(b, a, "author") for a in _list(_one(raw, "author", "authors"))]
    if not authors:
        raise _Bad("no author (the slug or IRI of the alternative sharing it)")
    b.add(doc, RDF + "type", MUTU + "Document")
    b.add(doc, RDF + "type", SCHEMA + "CreativeWork")
    if str(raw.get("howto", "")).strip().lower() in TRUE:
        b.add(doc, RDF + "type", SCHEMA + "HowTo")
    for key, prop in TEXTS.items():
        b.texts(doc, prop, {lang: str(raw[f"{key}_{lang}"]) for lang in LANGUAGES
                            if raw.get(f"{key}_{lang}") not in (None, "")}, what=key)
        if key != "title" and raw.get(key) and not isinstance(raw[key], dict):
            b.lit(doc, prop, raw[key], lang=b.options.language)
    for author in authors:
        b.add(doc, SCHEMA + "author", author)
    b.add(doc, DCTERMS + "license", licence)
    _categories(b, doc, _list(_one(raw, "categories", "category")))
    for tag in _list(_one(raw, "languages", "language")):
        if not LANGUAGE_TAG.match(tag):
            raise _Bad(f"language {tag!r} is not a language tag such as fr, nl, en or nl-BE")
        b.lit(doc, SCHEMA + "inLanguage", tag.lower())
    date = raw.get("date")
    if date not in (None, ""):
        b.add(doc, SCHEMA + "datePublished", _date(date))
    for item in _list(raw.get("about")):
        b.add(doc, SCHEMA + "about", _related(b, item))
    url = raw.get("url")
    if url:
        url = str(url).strip()
        if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", url):
            raise _Bad(f"url {url!r} is not an http(s) address")
    if raw.get("file"):
        relative = _safe_path(root, str(raw["file"]).strip())
        file_url = f"{base_url.rstrip('/')}/{quote(relative)}" if base_url else None
        url = url or file_url
        _media(b, doc, root / relative, relative, file_url or url)
    if url:
        b.add(doc, SCHEMA + "url", url)
    b.provenance(doc, slug)


def _safe_path(root: Path, given: str) -> str:
    """The file's path relative to the folder, refusing absolute paths, `..` and escapes."""
    posix = PurePosixPath(given.replace("\\", "/"))
    if posix.is_absolute() or re.match(r"^[A-Za-z]:", given) or ".." in posix.parts:
        raise _Bad(f"file {given!r} must be a relative path inside the folder (no '..', not absolute)")
    path = (root / Path(*posix.parts)).resolve()
    try:
        path.relative_to(root)
    except ValueError:
        raise _Bad(f"file {given!r} leads outside the folder") from None
    if not path.is_file():
        raise _Bad(f"file {given!r} does not exist in the folder")
    return str(posix)


def _media(b: Builder, doc: str, path: Path, relative: str, url: str | None) -> None:
    media = doc + "#file"
    b.add(doc, SCHEMA + "encoding", media)
    b.add(media, RDF + "type", SCHEMA + "MediaObject")
    b.lit(media, SCHEMA + "name", relative)
    b.lit(media, SCHEMA + "contentSize", path.stat().st_size, XSD + "integer")
    b.lit(media, SCHEMA + "sha256", file_sha256(path))
    kind = mimetypes.guess_type(path.name)[0] or {".md": "text/markdown"}.get(path.suffix.lower())
    b.lit(media, SCHEMA + "encodingFormat", kind)
    if url:
        b.add(media, SCHEMA + "contentUrl", url)


def _date(value):
    import datetime as dt

    import pyoxigraph as ox

    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    text = str(value).strip()
    if re.fullmatch(r"[0-9]{4}", text):
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "gYear"))
    try:
        return ox.Literal(dt.date.fromisoformat(text).isoformat(), datatype=ox.NamedNode(XSD + "date"))
    except ValueError:
        raise _Bad(f"date {text!r} must be YYYY-MM-DD or a year YYYY") from None


def _alternative(b: Builder, value: str, what: str) -> str:
    if value.startswith(("http://", "https://")):
        return _checked_iri(value, what)
    if SLUG.match(value):
        return f"{b.base}alternative/{value}"
    raise _Bad(f"{what} {value!r} must be an alternative slug or an http(s) IRI")


def _related(b: Builder, value: str) -> str:
    kind, sep, rest = value.partition(":")
    if sep and kind in ("alternative", "event") and SLUG.match(rest):
        return f"{b.base}{kind}/{rest}"
    return _alternative(b, value, "about")


def _checked_iri(value: str, what: str) -> str:
    if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", value):
        raise _Bad(f"{what} {value!r} is not a valid IRI")
    return value


def _categories(b: Builder, doc: str, values: list[str]) -> None:
    """Scheme slugs directly; SSEDAS notations and labels through the crosswalk."""
    xw = crosswalk()
    known = set(xw.generic.values())
    added = set()
    for value in values:
        concept = f"https://mutu.brussels/category/{value}" if SLUG.match(value) else None
        if concept not in known:
            concept = xw.lookup("documents", value)
        if concept is None:
            b.note(f"category {value!r} is not in the scheme or the crosswalk; left out")
        elif concept not in added:
            added.add(concept)
            b.add(doc, MUTU + "category", concept)


def fetch_folder(location: str, *, base_dir: str | None, max_bytes: int):
    """A sources-file `path` to a documents folder, read like `loaders.fetch.fetch` reads a file:
    the metadata bytes, with a checksum that also covers every file of the folder."""
    from app.pipeline import read_input

    from .fetch import Fetched, is_url

    if is_url(location):
        raise InputError(f"{location}: the documents loader reads a local folder, not a URL")
    folder = Path(location)
    if base_dir and not folder.is_absolute():
        folder = Path(base_dir) / folder
    meta = metadata_file(folder)
    data = read_input(str(meta), max_bytes)
    return Fetched(True, data, None, None, None, str(meta), folder_fingerprint(folder, data))
