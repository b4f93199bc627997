"""Pages of the common documentation base: /resources (search, filters, paging) and
/document/<slug> (with its licence shown prominently and its linked-data twins).

Every read goes through `reading`: the list through the named query queries/documents.rq,
its filter choices through queries/document-facets.rq, one document through `ld.describe`.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Flask, request

from . import agenda, i18n, ld, reading
from .document_filters import document_filters
from .namespaces import DCTERMS, KNOWN_LICENCES, RDFS, SCHEMA
from .state import settings

bp = Blueprint("documents", __name__)

MESSAGES = {
    "resources": ("Ressources", "Kennisbank", "Resources"),
    "resources_intro": ("Guides, savoir-faire, modèles et solutions partagés par les alternatives.",
                        "Handleidingen, knowhow, sjablonen en oplossingen gedeeld door de alternatieven.",
                        "Guides, know-how, templates and solutions shared by the alternatives."),
    "doc_language": ("Langue du document", "Taal van het document", "Document language"),
    "doc_author": ("Partagé par", "Gedeeld door", "Shared by"),
    "doc_licence": ("Licence", "Licentie", "Licence"),
    "doc_licence_intro": ("Ce document est partagé sous la licence", "Dit document wordt gedeeld onder de licentie",
                          "This document is shared under the licence"),
    "doc_published": ("Publié", "Gepubliceerd", "Published"),
    "doc_open": ("Ouvrir le document", "Document openen", "Open the document"),
    "doc_file": ("Fichier", "Bestand", "File"),
    "doc_size": ("octets", "bytes", "bytes"),
    "doc_about": ("En lien avec", "Gerelateerd aan", "Related to"),
    "doc_howto": ("Pas à pas", "Stap voor stap", "Step by step"),
    "doc_by_alternative": ("Documents partagés", "Gedeelde documenten", "Shared documents"),
    "doc_any": ("toutes", "alle", "any"),
}


def init_app(app: Flask) -> None:
    """Register the pages and feeds, their messages (fr/nl/en) and the `documents_by` helper."""
    from . import document_feeds

    clash = set(MESSAGES) & set(i18n.MESSAGES)
    if clash and any(i18n.MESSAGES[k] != MESSAGES[k] for k in clash):
        raise RuntimeError(f"app.documents: message keys already used: {', '.join(sorted(clash))}")
    i18n.MESSAGES.update(MESSAGES)
    app.register_blueprint(bp)
    document_feeds.init_app(app)
    app.jinja_env.globals.update(documents_by=documents_by)


# -- the list --------------------------------------------------------------------------------

def facets() -> dict[str, list[dict]]:
    """Values present in the visible documents, per filter, with counts (cached per state)."""
    def build():
        out: dict[str, list[dict]] = {"licence": [], "language": [], "category": [], "author": []}
        for row in reading.named("document-facets")[1]:
            out[row["kind"].value].append({
                "value": row["value"].value, "count": int(row["count"].value),
                "spdx": row["licence_id"].value if "licence_id" in row
                else KNOWN_LICENCES.get(row["value"].value)})
        return out
    return agenda.per_state("documents.facets", build)


def _split(row: dict, column: str) -> list[str]:
    value = row.get(column)
    return value.value.split() if value is not None and value.value else []


@bp.route("/resources")
def resources():
    """The documents, newest first, with search, filters and paging."""
    from .views import category_tree, render

    f = document_filters(request.args, settings().base_iri, extra=("lang",))
    _, rows = reading.named("documents", None, **f.bindings())
    rows, more = f.paging.cut(rows)
    found = facets()
    authors = {a for r in rows for a in _split(r, "authors")} | {a["value"] for a in found["author"][:200]}
    tree = category_tree()
    lang = i18n.choose()
    categories = sorted(((c["value"].rsplit("/", 1)[-1], str(i18n.pick(tree[c["value"]]["labels"], lang).value)
                          if c["value"] in tree else c["value"], c["count"]) for c in found["category"]),
                        key=lambda x: x[1].lower())
    return render("pages/resources.html", rows=rows, more=more, f=f, facets=found,
                  categories=categories, names=ld.names(sorted(authors)), split=_split,
                  KNOWN_LICENCES=KNOWN_LICENCES)


def documents_by(author: str, limit: int = 20) -> list[dict]:
    """The visible documents an alternative shares (for its page), newest first."""
    _, rows = reading.named("documents", None, author=ox.NamedNode(author), limit=limit, offset=0)
    return rows


# -- one document ------------------------------------------------------------------------------

LICENCE = """SELECT ?licence ?p ?o WHERE { ?licence ?p ?o .
  VALUES ?p { <http://purl.org/dc/terms/title> <http://purl.org/dc/terms/identifier>
              <http://www.w3.org/2000/01/rdf-schema#seeAlso> <https://schema.org/url> } }"""


def licence_details(iri: str) -> dict:
    """Title (in every language), SPDX id and reference link of a licence, from the licences graph."""
    found = {"iri": iri, "titles": [], "identifier": KNOWN_LICENCES.get(iri), "link": iri}
    for row in reading.select(LICENCE, {"licence": ox.NamedNode(iri)}):
        p, o = row["p"].value, row["o"]
        if p == DCTERMS + "title":
            found["titles"].append(o)
        elif p == DCTERMS + "identifier":
            found["identifier"] = o.value
        elif p in (RDFS + "seeAlso", SCHEMA + "url") and o.value.startswith(("http://", "https://")):
            found["link"] = o.value
    return found


@bp.route("/document/<slug>")
def document(slug):
    """One document: its licence prominently, authors, categories, languages, date, file, links."""
    from .views import _resource

    def extra(d):
        licences = [licence_details(o.value) for o in d.values(DCTERMS + "license")
                    if isinstance(o, ox.NamedNode)]
        linked = [o.value for p in ("author", "about") for o in d.values(SCHEMA + p)
                  if isinstance(o, ox.NamedNode)]
        return {"licences": licences, "people": ld.names(linked), "DCTERMS": DCTERMS}
    return _resource("document", slug, "pages/document.html", extra)
