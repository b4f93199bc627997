"""Limits that protect the service: concurrent queries, and where SERVICE may go.

The deadline itself lives in the store (`app/store/worker.py`): only the process that
evaluates a query can be made to stop it. The row cap is applied by the store while it
serialises (`EmbeddedStore.run`). Request bodies are capped by Flask (MAX_CONTENT_LENGTH)
and by waitress (max_request_body_size), both answering 413.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Flask, current_app

from . import sparql_text
from .config import Settings, service_allow_list
from .errors import Forbidden, ServiceBusy


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # embeds an IPv4 address in its last 32 bits


def init_app(app: Flask) -> None:
    """Create the app's query slots (MUTU_MAX_CONCURRENT_QUERIES; 0 means no cap)."""
    cap = app.config["MUTU"].max_concurrent_queries
    app.extensions["mutu.query_slots"] = threading.BoundedSemaphore(cap) if cap > 0 else None


@contextmanager
def query_slot():
    """Hold one of the concurrent-query slots, waiting in line for one at most
    MUTU_QUERY_QUEUE_SECONDS; past that, fail with 503 and Retry-After.

    A short, bounded wait absorbs bursts (a page of widgets firing queries at once) without
    errors, while a sustained overload still gets a clear 503 rather than an ever longer
    line holding every waitress thread that pages and feeds need.
    """
    slots = current_app.extensions.get("mutu.query_slots")
    if slots is None:
        yield
        return
    settings = current_app.config["MUTU"]
    wait = max(settings.query_queue_seconds, 0)
    if not (slots.acquire(blocking=False) or (wait > 0 and slots.acquire(timeout=wait))):
        raise ServiceBusy(f"too many queries at once (at most {settings.max_concurrent_queries}, "
                          f"MUTU_MAX_CONCURRENT_QUERIES; none freed within {wait:g} s, "
                          "MUTU_QUERY_QUEUE_SECONDS); retry in a moment")
    try:
        yield
    finally:
        slots.release()


def check_service(query: str, *, base_iri: str, settings: Settings) -> None:
    """Refuse (403) a query whose SERVICE clauses may reach a host they should not.

    Every SERVICE endpoint must be in MUTU_SERVICE_ALLOW (a variable endpoint never is),
    use http or https, and — unless MUTU_SERVICE_ALLOW_PRIVATE — resolve only to globally
    routable addresses: no loopback, private, link-local (cloud metadata), shared,
    multicast or reserved ranges. The allow-list is checked first, so an unlisted
    endpoint causes no DNS lookup and no connection at all.
    """
    allowed = service_allow_list(settings)
    for target in sparql_text.service_targets(query, base_iri=base_iri):
        if target is None:
            raise Forbidden("SERVICE with a variable endpoint is not allowed; this endpoint "
                            "federates only with the endpoints in MUTU_SERVICE_ALLOW")
        if target not in allowed:
            raise Forbidden(f"SERVICE <{target}> is not allowed; this endpoint federates only "
                            "with the endpoints in MUTU_SERVICE_ALLOW")
        if urlsplit(target).scheme not in ("http", "https"):
            raise Forbidden(f"SERVICE <{target}>: only http and https endpoints are allowed")
        if not settings.service_allow_private:
            refuse_non_public(target)


def refuse_non_public(url: str) -> None:
    """Raise Forbidden unless `url` is http(s) and its host resolves to public addresses only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Forbidden(f"SERVICE <{url}>: only http and https endpoints are allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as error:
        raise Forbidden(f"SERVICE <{url}>: its host does not resolve ({error})") from None
    for info in infos:
        address = info[4][0]
        if not is_public_address(address):
            raise Forbidden(f"SERVICE <{url}>: {parts.hostname} resolves to {address}, a "
                            "loopback, private or link-local address; set "
                            "MUTU_SERVICE_ALLOW_PRIVATE=1 to allow it")


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is None and ip in NAT64:
            mapped = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if mapped is not None:
            ip = mapped
    return ip.is_global and not ip.is_multicast
