"""The documents loader: a folder of files with documents.csv / .toml / .yaml -> one graph.

The three metadata files of tests/fixtures/loaders/documents-metadata describe the same
three documents; each gives the golden graph (MUTU_REGEN_GOLDEN=1 rewrites it), which
conforms to the shapes once the authors are known. Bad records are refused with the file,
the line (CSV) or record number and the reason; `mutu load FOLDER` loads through the
validated pipeline and a changed file changes the graph.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from app.errors import InputError, InvalidData
from app.pipeline import shipped_context
from app.rdfterms import graph_from_triples
from app.validation import validate
from loaders import LoaderOptions, get
from loaders.documents import metadata_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders"
FOLDER = FIXTURES / "documents"
METADATA = FIXTURES / "documents-metadata"
GOLDEN = FIXTURES / "golden" / "documents.ttl"
BASE_URL = "https://files.example.org/docs/"
SCHEMA = rdflib.Namespace("https://schema.org/")
DOC = rdflib.URIRef("https://mutu.brussels/document/test-documents-repair-cafe-guide")
ROOT = Path(__file__).resolve().parents[2]


def convert(data: bytes, name: str, folder: Path = FOLDER, **extra):
    options = LoaderOptions(source="test-documents", filename=name,
                            extra={"folder": str(folder), "base_url": BASE_URL, **extra})
    return get("documents").convert(data, options=options)


def convert_fixture(ext: str):
    return convert((METADATA / f"documents.{ext}").read_bytes(), f"documents.{ext}")


@pytest.mark.parametrize("ext", ["csv", "toml", "yaml"])
def test_each_metadata_format_gives_the_golden_graph(ext):
    graph = graph_from_triples(convert_fixture(ext).triples)
    if os.environ.get("MUTU_REGEN_GOLDEN") == "1" and ext == "csv":
        GOLDEN.write_text(to_isomorphic(graph).serialize(format="turtle"), encoding="utf-8")
    golden = rdflib.Graph().parse(GOLDEN, format="turtle")
    if not isomorphic(graph, golden):
        _, only_new, only_golden = graph_diff(to_isomorphic(graph), to_isomorphic(golden))
        pytest.fail(f"documents.{ext}: output differs from the golden graph\n"
                    f"only in output:\n{only_new.serialize(format='nt')}\n"
                    f"only in golden:\n{only_golden.serialize(format='nt')}")


def test_golden_graph_records_the_file_link_checksum_and_size():
    graph = graph_from_triples(convert_fixture("csv").triples)
    media = graph.value(DOC, SCHEMA.encoding)
    body = (FOLDER / "guides" / "repair-cafe.md").read_bytes()
    import hashlib

    assert str(graph.value(media, SCHEMA.sha256)) == hashlib.sha256(body).hexdigest()
    assert int(graph.value(media, SCHEMA.contentSize)) == len(body)
    assert str(graph.value(DOC, SCHEMA.url)) == BASE_URL + "guides/repair-cafe.md"
    assert (DOC, rdflib.RDF.type, SCHEMA.HowTo) in graph
    licence = graph.value(DOC, rdflib.URIRef("http://purl.org/dc/terms/license"))
    assert str(licence) == "https://creativecommons.org/licenses/by-sa/4.0/"


def test_output_conforms_to_the_shapes_with_the_authors_known():
    context = rdflib.Graph()
    context += shipped_context()
    context.parse(ROOT / "demo" / "alternatives.ttl", format="turtle")
    report = validate(graph_from_triples(convert_fixture("toml").triples), context=context)
    assert report.ok, report.to_text()
    assert not [w for w in report.warnings if "document" in str(w.focus)], report.to_text()


def test_without_the_authors_the_shapes_refuse_it():
    report = validate(graph_from_triples(convert_fixture("toml").triples), context=shipped_context())
    assert not report.ok and any("author" in v.message for v in report.violations)


def test_same_bytes_give_the_same_triples_and_a_changed_file_changes_them(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(FOLDER, folder)
    data = (METADATA / "documents.yaml").read_bytes()
    first = sorted(map(str, convert(data, "documents.yaml", folder).triples))
    assert first == sorted(map(str, convert(data, "documents.yaml", folder).triples))
    (folder / "convention-pret.odt").write_bytes(b"a new version")
    assert first != sorted(map(str, convert(data, "documents.yaml", folder).triples))


# -- errors ------------------------------------------------------------------------------

CSV_HEAD = "slug,title_fr,author,licence,file,date,languages,url\n"


def rejected(text: str, name: str = "documents.csv") -> list[str]:
    return [reason for _, reason in convert(text.encode(), name).rejected]


@pytest.mark.parametrize("row,expected", [
    ("a,Titre,x,WTFPL,,,,", "unknown licence 'WTFPL'"),
    ("a,Titre,x,,,,,", "no licence"),
    ("a,Titre,,CC0-1.0,,,,", "no author"),
    ("a,,x,CC0-1.0,,,,", "no title"),
    ("A B,Titre,x,CC0-1.0,,,,", "slug 'A B'"),
    ("a,Titre,x,CC0-1.0,../secret.txt,,,", "no '..'"),
    ("a,Titre,x,CC0-1.0,/etc/passwd,,,", "not absolute"),
    ("a,Titre,x,CC0-1.0,missing.pdf,,,", "'missing.pdf' does not exist"),
    ("a,Titre,x,CC0-1.0,,15/09/2025,,", "date '15/09/2025'"),
    ("a,Titre,x,CC0-1.0,,,français,", "language 'français'"),
    ("a,Titre,x,CC0-1.0,,,,javascript:alert(1)", "not an http(s) address"),
])
def test_bad_records_are_refused_naming_file_line_and_slug(row, expected):
    reasons = rejected(CSV_HEAD + row + "\n")
    assert len(reasons) == 1 and expected in reasons[0], reasons
    assert reasons[0].startswith("documents.csv: line 2"), reasons


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text("secret")
    (folder / "link.txt").symlink_to(tmp_path / "outside.txt")
    data = (CSV_HEAD + "a,Titre,x,CC0-1.0,link.txt,,,\n").encode()
    reasons = [r for _, r in convert(data, "documents.csv", folder).rejected]
    assert "leads outside the folder" in reasons[0]


def test_duplicate_slug_names_both_lines():
    reasons = rejected(CSV_HEAD + "a,Un,x,CC0-1.0,,,,\na,Deux,x,CC0-1.0,,,,\n")
    assert reasons == ["documents.csv: line 3 (a): slug 'a' already used (line 2)"]


def test_toml_and_yaml_errors_name_the_record():
    toml = b'[[document]]\nslug = "a"\ntitle_fr = "T"\nauthor = "x"\nlicence = "CC0-1.0"\n' \
           b'[[document]]\nslug = "b"\ntitle_fr = "T"\nauthor = "x"\nlicence = "GPL"\n'
    assert [r for _, r in convert(toml, "documents.toml").rejected] == [
        "documents.toml: record 2 (b): unknown licence 'GPL' (known: CC0-1.0, CC-BY-4.0, "
        "CC-BY-SA-4.0, CC-BY-NC-4.0, ODbL-1.0, PDDL-1.0, Unlicense, etalab-2.0)"]
    yaml = b"- slug: a\n  title_fr: T\n  author: x\n  licence: CC0-1.0\n  colour: red\n"
    reasons = [r for _, r in convert(yaml, "documents.yaml").rejected]
    assert reasons[0].startswith("documents.yaml: record 1 (a): unknown field(s) 'colour'")


@pytest.mark.parametrize("name,data,expected", [
    ("documents.yaml", b"- slug: a\n  title: [unclosed\n", "YAML error on line"),
    ("documents.toml", b"[[document]\n", "TOML error"),
    ("documents.csv", b"slug,title_fr\na,b,c\n", "line 2: 3 fields"),
    ("documents.csv", b"", "empty"),
    ("documents.yaml", b"slug: a\n", "expected a list"),
    ("documents.json", b"[]", "must be one of"),
])
def test_broken_metadata_files_are_input_errors(name, data, expected):
    with pytest.raises(InputError) as info:
        convert(data, name)
    assert expected in info.value.message and name in info.value.message


def test_the_folder_must_hold_exactly_one_metadata_file(tmp_path):
    with pytest.raises(InputError) as info:
        metadata_file(tmp_path)
    assert "no metadata file" in info.value.message
    (tmp_path / "documents.csv").write_text(CSV_HEAD)
    assert metadata_file(tmp_path).name == "documents.csv"
    (tmp_path / "documents.yml").write_text("[]")
    with pytest.raises(InputError) as info:
        metadata_file(tmp_path)
    assert "several metadata files" in info.value.message


def test_unknown_category_is_a_note_not_a_failure():
    result = convert((CSV_HEAD.replace("url", "categories") + "a,T,x,CC0-1.0,,,,no-such-thing\n").encode(),
                     "documents.csv")
    assert not result.rejected and "no-such-thing" in result.notes[0][1]


# -- through the pipeline ------------------------------------------------------------------

def _mutu(*args, store: Path):
    return subprocess.run([sys.executable, "-m", "app.cli", "--store", str(store), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_mutu_load_folder_validates_loads_and_notices_a_changed_file(tmp_path):
    from app.demo_load import load_demo
    from app.store import open_store
    from loaders.pipeline import load_with

    folder = tmp_path / "guides"
    shutil.copytree(FOLDER, folder)
    shutil.copy(METADATA / "documents.csv", folder / "documents.csv")
    store = open_store(str(tmp_path / "store"))
    try:
        load_demo(store, "https://mutu.brussels/")
        data = (folder / "documents.csv").read_bytes()

        def load():
            options = LoaderOptions(source="guides", filename="documents.csv",
                                    extra={"folder": str(folder)})
            return load_with(store, "https://mutu.brussels/", data, get("documents"), options,
                             graph="https://mutu.brussels/graph/guides", source="guides",
                             licence="CC-BY-4.0")

        first = load()
        assert first.status == "loaded" and first.created == 3
        assert load().status == "unchanged"
        (folder / "guides" / "repair-cafe.md").write_text("# Nouvelle version\n", encoding="utf-8")
        assert load().status == "loaded"
        rows = store.select("""SELECT ?size WHERE { GRAPH <https://mutu.brussels/graph/guides> {
            <https://mutu.brussels/document/guides-repair-cafe-guide> <https://schema.org/encoding>/<https://schema.org/contentSize> ?size } }""")
        assert [r["size"].value for r in rows] == [str(len("# Nouvelle version\n"))]
    finally:
        store.close()


def test_mutu_load_refuses_unknown_authors_and_names_the_record(tmp_path):
    from app.store import open_store
    from loaders.pipeline import load_with

    store = open_store(str(tmp_path / "store"))
    try:
        data = (METADATA / "documents.toml").read_bytes()
        options = LoaderOptions(source="guides", filename="documents.toml", extra={"folder": str(FOLDER)})
        with pytest.raises(InvalidData) as info:
            load_with(store, "https://mutu.brussels/", data, get("documents"), options,
                      graph="https://mutu.brussels/graph/guides", source="guides", licence="CC-BY-4.0")
        assert "record 1 (repair-cafe-guide)" in info.value.message
        assert store.graph_triples("https://mutu.brussels/graph/guides") == []
    finally:
        store.close()


def test_cli_loads_a_folder(tmp_path):
    folder = tmp_path / "guides"
    shutil.copytree(FOLDER, folder)
    shutil.copy(METADATA / "documents.yaml", folder / "documents.yaml")
    store = tmp_path / "store"
    authors = tmp_path / "authors.ttl"
    authors.write_text("@prefix schema: <https://schema.org/> .\n@prefix a: <https://mutu.brussels/alternative/> .\n"
                       + "".join(f'a:{slug} a schema:Organization ; schema:name "{slug}"@fr .\n' for slug in (
                           "repair-cafe-le-tournevis", "outilotheque-de-la-foret", "coopsoleil",
                           "grainotheque-d-evere")), encoding="utf-8")
    demo = _mutu("load", str(authors), "--licence", "CC-BY-4.0", store=store)
    assert demo.returncode == 0, demo.stderr
    done = _mutu("load", str(folder) + "/", "--licence", "CC-BY-4.0", "-o", f"base_url={BASE_URL}",
                 store=store)
    assert done.returncode == 0, done.stderr
    assert "https://mutu.brussels/graph/guides: loaded; 3 record(s)" in done.stdout
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "documents.csv").write_text(CSV_HEAD + "a,T,x,MIT,,,,\n", encoding="utf-8")
    refused = _mutu("load", str(broken), "--licence", "CC-BY-4.0", store=store)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "unknown licence 'MIT'" in refused.stdout + refused.stderr


def test_sources_file_refreshes_a_documents_folder_when_a_file_changes(tmp_path):
    from app.config import load_settings
    from app.demo_load import load_demo
    from app.store import open_store
    from loaders.sources import read_sources, refresh

    folder = tmp_path / "guides"
    shutil.copytree(FOLDER, folder)
    shutil.copy(METADATA / "documents.toml", folder / "documents.toml")
    (tmp_path / "sources.toml").write_text(f"""
[sources.guides]
path = "guides"
loader = "documents"
licence = "CC-BY-4.0"
[sources.guides.options]
base_url = "{BASE_URL}"
""", encoding="utf-8")
    settings = load_settings({"store": str(tmp_path / "store")}, environ={})
    sources = read_sources(str(tmp_path / "sources.toml"), "https://mutu.brussels/")
    store = open_store(settings.store)
    try:
        load_demo(store, "https://mutu.brussels/")
        assert [r["status"] for r in refresh(store, settings, sources, force=True)] == ["loaded"]
        assert [r["status"] for r in refresh(store, settings, sources, only="guides")] == ["unchanged"]
        (folder / "convention-pret.odt").write_bytes(b"changed")
        assert [r["status"] for r in refresh(store, settings, sources, only="guides")] == ["loaded"]
    finally:
        store.close()
