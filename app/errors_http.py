"""The one place that turns errors into HTTP responses (JSON, HTML or plain text)."""

from __future__ import annotations

from flask import Flask, jsonify, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from .errors import InvalidData, MutuError


def _wants(kind: str) -> bool:
    best = request.accept_mimetypes.best_match(["text/plain", "application/json", "text/html"],
                                               default="text/plain")
    return best == kind


def error_response(status: int, title: str, message: str, detail: str | None = None, report=None):
    """Render one error in the format the client prefers."""
    if _wants("application/json"):
        body = {"error": title, "status": status, "message": message}
        if detail:
            body["detail"] = detail
        if report is not None:
            import json

            body["report"] = json.loads(report.to_json())
        response = jsonify(body)
    elif _wants("text/html"):
        extra = f"<pre>{escape(detail)}</pre>" if detail else ""
        if report is not None:
            extra += f"<pre>{escape(report.to_text())}</pre>"
        html = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} {escape(title)}"
                f"</title><h1>{status} {escape(title)}</h1><p>{escape(message)}</p>{extra}</html>")
        response = Flask.response_class(html, mimetype="text/html")
    else:
        text = message + ("\n" + detail if detail else "")
        if report is not None:
            text += "\n\n" + report.to_text()
        response = Flask.response_class(text + "\n", mimetype="text/plain")
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(MutuError)
    def handle_mutu_error(error: MutuError):
        title = type(error).__name__
        report = error.report if isinstance(error, InvalidData) else None
        response = error_response(error.status, title, error.message, error.detail, report)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        challenge = getattr(error, "www_authenticate", None)
        if challenge is not None:
            response.headers["WWW-Authenticate"] = challenge
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        response = error_response(error.code or 500, error.name, error.description or error.name)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
