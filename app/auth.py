"""Who is asking: `Authorization: Bearer <token>` becomes flask.g.mutu_viewer on every request.

No header: anonymous. A header with an unknown, malformed or revoked token is refused with
401 and `WWW-Authenticate: Bearer` on every route (reads too), so a client never mistakes
a typo for anonymous access. app.reading.viewer() is the one place views read it from.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from .errors import Unauthorized
from .state import get_store, settings
from .tokens import Registry, flush_events, tokens_path


def init_app(app: Flask) -> None:
    """Open the token registry of the app's store and authenticate each request."""
    app.extensions["mutu.tokens"] = Registry(tokens_path(app.config["MUTU"].store))
    app.before_request(authenticate)


def registry() -> Registry:
    """The current app's token registry."""
    return current_app.extensions["mutu.tokens"]


def authenticate() -> None:
    """Set g.mutu_viewer from the Bearer token (or leave the request anonymous)."""
    reg = registry()
    # Token creations and revocations made by `mutu token` while we hold the store.
    flush_events(reg, get_store(), settings().base_iri)
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be `Bearer <token>`")
    viewer = reg.authenticate(token.strip())
    if viewer is None:
        raise Unauthorized("unknown or revoked token")
    g.mutu_viewer = viewer
