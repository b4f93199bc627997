"""The app's store handle: opened once per app, shared by the server threads."""

from __future__ import annotations

from flask import Flask, current_app

from .store import Store, open_store


def init_app(app: Flask, *, store: Store | None = None) -> None:
    """Open the configured store (unless one is given) and keep it on the app."""
    settings = app.config["MUTU"]
    app.extensions["mutu.store"] = store if store is not None else \
        open_store(settings.store, max_rows=settings.max_rows)


def get_store() -> Store:
    """The current app's store."""
    return current_app.extensions["mutu.store"]


def settings():
    """The current app's settings."""
    return current_app.config["MUTU"]
