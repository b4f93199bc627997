"""Mutu: the shared knowledge graph of Brussels citizen alternatives."""

from __future__ import annotations

from flask import Flask

from .config import Settings, load_settings


def create_app(config: dict | Settings | None = None, *, store=None) -> Flask:
    """Build the Flask app: defaults, then MUTU_* environment, then `config` overrides."""
    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(__name__)
    app.config["MUTU"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.sort_keys = False

    from . import (api, auth, changes, digest_views, documents, errors_http, feeds, freshness, graphstore,
                   offers, queries, result_cache, self_service, sparql, state, views, widgets)

    # Fail fast, naming the file, on a broken queries/*.rq (before the store is opened).
    queries.registry(reload=True)
    state.init_app(app, store=store)
    result_cache.init_app(app)
    errors_http.init_app(app)
    auth.init_app(app)
    sparql.init_app(app)
    graphstore.init_app(app)
    changes.init_app(app)
    api.init_app(app)
    feeds.init_app(app)
    views.init_app(app)
    offers.init_app(app)  # /offers, /offer/<slug>, /request/<slug> and their feeds
    documents.init_app(app)  # /resources, /document/<slug> and their feeds
    digest_views.init_app(app)
    widgets.init_app(app)
    self_service.init_app(app)
    # Last: its before_request must see the viewer that earlier hooks authenticate.
    freshness.init_app(app)
    return app
