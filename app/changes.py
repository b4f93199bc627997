"""The transparency log for everyone: /changes (HTML, with a .json twin) and /changes.atom.

Rows come from app.reading, so anonymous readers see the public log (changes to public
graphs) and an admin token the full one. Every value is escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape as xml_escape

from flask import Blueprint, Flask, Response, jsonify, request
from markupsafe import escape

from . import changelog, reading

bp = Blueprint("changes", __name__)
LABELS = {
    "fr": ("Modifications des données", "Chaque changement des données communes : qui, quand, quel graphe, combien de triplets ajoutés et retirés.",
           ("Quand", "Quoi", "Qui", "Graphe", "Ajoutés", "Retirés")),
    "nl": ("Wijzigingen in de gegevens", "Elke wijziging van de gedeelde gegevens: wie, wanneer, welke graaf, hoeveel triples toegevoegd en verwijderd.",
           ("Wanneer", "Wat", "Wie", "Graaf", "Toegevoegd", "Verwijderd")),
    "en": ("Changes to the data", "Every change to the common data: who, when, which graph, how many triples added and removed.",
           ("When", "What", "Who", "Graph", "Added", "Removed")),
}


def init_app(app: Flask) -> None:
    """Register /changes and /changes.atom."""
    app.register_blueprint(bp)


def rows() -> list[dict]:
    """The changes the current viewer may see, newest first."""
    return [{k: v.value for k, v in row.items()} for row in reading.select(changelog.RECENT_QUERY)]


def _lang() -> str:
    wanted = request.args.get("lang")
    if wanted in LABELS:
        return wanted
    return request.accept_languages.best_match(list(LABELS), default="fr")


@bp.route("/changes")
def changes_page():
    """The change log as an HTML table (no JavaScript)."""
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return changes_json()
    lang = _lang()
    title, intro, heads = LABELS[lang]
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(row.get(k, ''))}</td>" for k in
                         ("time", "action", "who", "graph", "added", "removed")) + "</tr>"
        for row in rows())
    langs = " ".join(f'<a href="?lang={code}" hreflang="{code}">{code.upper()}</a>' for code in LABELS)
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="alternate" type="application/atom+xml" href="/changes.atom">'
            f'<link rel="alternate" type="application/json" href="/changes.json"></head><body><main>'
            f"<p>{langs}</p><h1>{escape(title)}</h1><p>{escape(intro)}</p>"
            f"<table><thead><tr>{''.join(f'<th>{escape(h)}</th>' for h in heads)}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
            f'<p><a href="/changes.atom">Atom</a> · <a href="/changes.json">JSON</a></p></main></body></html>')
    response = Response(html, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


@bp.route("/changes.json")
def changes_json():
    """The machine twin of /changes."""
    return jsonify({"changes": rows()})


@bp.route("/changes.atom")
def changes_atom():
    """The change log as an Atom feed."""
    items = rows()
    updated = items[0]["time"] if items else "1970-01-01T00:00:00Z"
    base = request.host_url
    entries = []
    for row in items:
        title = f"{row['action']} {row.get('graph', '')} by {row['who']}: +{row['added']} -{row['removed']}"
        entries.append(
            f"<entry><id>{xml_escape(row['change'])}</id><title>{xml_escape(title)}</title>"
            f"<updated>{xml_escape(row['time'])}</updated><author><name>{xml_escape(row['who'])}</name></author>"
            f"<content type=\"text\">{xml_escape(title)}</content></entry>")
    feed = ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{xml_escape(base)}changes</id><title>Mutu: changes to the data</title>"
            f"<updated>{xml_escape(updated)}</updated>"
            f'<link rel="self" href="{xml_escape(base)}changes.atom"/>' + "".join(entries) + "</feed>")
    return Response(feed, content_type="application/atom+xml; charset=utf-8")
