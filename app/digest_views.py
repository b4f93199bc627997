"""The digest's URLs: /digest (page with preview and copy boxes), /digest.fragment.html,
/digest.md and /digest.email.html. Same parameters everywhere (app.digest.parse)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, request

from . import digest, digest_formats, i18n
from .views import category_options, render
from .state import settings

bp = Blueprint("digest", __name__)


def init_app(app: Flask) -> None:
    """Register the digest blueprint."""
    app.register_blueprint(bp)


def _digest() -> tuple[digest.Request, digest.Digest]:
    req = digest.parse(request.args, settings().base_iri, i18n.choose())
    return req, digest.build(req, base_iri=settings().base_iri, url_root=request.url_root)


def _links(req: digest.Request) -> dict[str, str]:
    query = urlencode([*req.args, ("lang", req.lang)])
    root = request.url_root.rstrip("/")
    return {name: f"{root}/digest.{ext}?{query}"
            for name, ext in (("fragment", "fragment.html"), ("markdown", "md"), ("email", "email.html"))}


def _send(body: str, media: str, lang: str) -> Response:
    response = Response(body, content_type=f"{media}; charset=utf-8")
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.route("/digest")
def page():
    """The digest page: filters, the formats to copy and a preview."""
    req, d = _digest()
    return render("digest/page.html", d=d, req=req, links=_links(req),
                  fragment=digest_formats.fragment(d), markdown=digest_formats.markdown(d),
                  categories=category_options(), max_days=digest.MAX_DAYS, max_recent=digest.MAX_RECENT)


@bp.route("/digest.fragment.html")
def fragment():
    """The digest as an HTML fragment to paste into a newsletter."""
    _, d = _digest()
    return _send(digest_formats.fragment(d), "text/html", d.lang)


@bp.route("/digest.md")
def markdown():
    """The digest as Markdown."""
    _, d = _digest()
    return _send(digest_formats.markdown(d), "text/markdown", d.lang)


@bp.route("/digest.email.html")
def email():
    """The digest as an e-mail-safe HTML page."""
    _, d = _digest()
    return _send(digest_formats.email(d), "text/html", d.lang)
