"""The HTML page of /sparql: a plain query form, enhanced by the YASGUI editor when it can be.

Without JavaScript (or without `npm ci`) the page is a form that submits a GET request to the
endpoint; the named queries are listed below it, each as its SPARQL text with the defaults
bound, ready to copy. With JavaScript and the `@zazuko/yasgui` package, static/sparql.js
replaces the form by YASGUI (endpoint: this page's own /sparql; no persistence) and opens the
named queries as example tabs. No inline script: every dynamic value is an escaped attribute
or element text.
"""

from __future__ import annotations

from flask import url_for
from markupsafe import escape

from . import queries
from .queries import ParameterError
from .views import vendor_available

YASGUI_JS = "@zazuko/yasgui/build/yasgui.min.js"
YASGUI_CSS = "@zazuko/yasgui/build/yasgui.min.css"


def examples() -> list[tuple[str, str, str, str]]:
    """(name, title, description, SPARQL with the defaults bound) of each named query."""
    out = []
    for name, q in sorted(queries.registry().items()):
        try:
            text = q.sparql(q.parse_params({}))
        except ParameterError:  # a required parameter without default: not runnable as is
            continue
        out.append((name, q.title, q.description, text))
    return out


def page(endpoint: str, example_query: str, formats: list[tuple[str, str]]) -> str:
    endpoint = escape(endpoint)
    options = "".join(f'<option value="{escape(value)}">{escape(label)}</option>'
                      for value, label in formats)
    items = "".join(
        f'<li><details><summary>{escape(title)}</summary>'
        + (f"<p>{escape(description)}</p>" if description else "")
        + f'<pre class="example" data-name="{escape(name)}" data-title="{escape(title)}">'
        f'{escape(text)}</pre>'
        f'<p><a href="/api/queries/{escape(name)}">/api/queries/{escape(name)}</a></p></details></li>'
        for name, title, description, text in examples())
    head = scripts = ""
    if vendor_available(YASGUI_JS):
        head = f'<link rel="stylesheet" href="/vendor/{YASGUI_CSS}">\n'
        scripts = (f'<script src="/vendor/{YASGUI_JS}" defer></script>\n'
                   f'<script src="{escape(url_for("static", filename="sparql.js"))}" defer></script>\n')
    css = escape(url_for("static", filename="mutu.css"))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mutu SPARQL endpoint</title>
<link rel="stylesheet" href="{css}">
{head}</head>
<body class="sparql-page">
<header><p class="brand"><a href="/">Mutu</a></p></header>
<main id="main">
<h1>Mutu SPARQL endpoint</h1>
<p>Query the shared knowledge graph of Brussels citizen alternatives with
<a href="https://www.w3.org/TR/sparql11-query/">SPARQL 1.1</a>. The endpoint is
<code>{endpoint}</code>; its default graph is the union of the public graphs, and each
graph can also be queried by name with <code>GRAPH</code>.</p>
<div id="yasgui" data-endpoint="{endpoint}" hidden></div>
<form method="get" action="{endpoint}" id="query-form">
<label for="query">Query</label>
<textarea id="query" name="query" rows="12" cols="80" required>{escape(example_query)}</textarea>
<label for="format">Result format</label>
<select id="format" name="format">{options}</select>
<button type="submit">Run query</button>
</form>
<section id="examples" aria-labelledby="examples-title">
<h2 id="examples-title">Named queries</h2>
<p>The queries behind Mutu's pages and feeds, with their default parameters
(also served with typed parameters at <a href="/api/queries">/api/queries</a>).</p>
<ul>{items}</ul>
</section>
<p><a href="{endpoint}?format=turtle">Service description (Turtle)</a></p>
</main>
{scripts}</body>
</html>
"""
