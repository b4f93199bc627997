"""Links taken from data never carry a script: shapes refuse them, templates neutralise them."""

import rdflib

from app.validation import validate
from app.views import web_href

ALTERNATIVE = """
@prefix mutu: <https://w3id.org/mutu/ns#> .
@prefix schema: <https://schema.org/> .
<https://mutu.brussels/alternative/x> a mutu:Alternative, schema:Organization ;
    schema:name "X"@fr ; schema:url <{url}> .
"""


def url_violations(url):
    data = rdflib.Graph().parse(data=ALTERNATIVE.format(url=url), format="turtle")
    return [r for r in validate(data).violations if r.path == "schema:url"]


def test_shapes_accept_web_links_only():
    assert not url_violations("https://example.org/")
    assert not url_violations("http://example.org/a?b=c")
    assert url_violations("javascript:alert(1)")
    assert url_violations("data:text/html,hello")


def test_templates_link_web_addresses_only():
    assert web_href("https://example.org/") == "https://example.org/"
    assert web_href("JAVASCRIPT:alert(1)") == "#"
    assert web_href("data:text/html,x") == "#"
    assert web_href(None) == "#"
