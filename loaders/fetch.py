"""The only module of Mutu that touches the network: fetching partner sources.

``fetch(url, etag=..., last_modified=...)`` does one conditional HTTP(S) GET: it sends
If-None-Match / If-Modified-Since, follows redirects only to http(s), gives up after
``timeout`` seconds, refuses bodies over ``max_bytes`` (declared or actual) and any other
URL scheme. A local path (or file name without a scheme) is read from disk instead.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from app.errors import InputError

USER_AGENT = "Mutu/0.1 (+https://mutu.brussels/; partner source refresh)"


class FetchError(InputError):
    """A source could not be fetched (network, HTTP status, size, scheme)."""


@dataclass
class Fetched:
    """The answer: ``changed`` False on 304 Not Modified (then ``data`` is None)."""

    changed: bool
    data: bytes | None
    etag: str | None
    last_modified: str | None
    media_type: str | None
    url: str
    sha256: str | None = None


class _SafeRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(f"{req.full_url}: redirected to a non-http(s) URL {newurl!r}; refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def is_url(location: str) -> bool:
    return "://" in location


def fetch(location: str, *, etag: str | None = None, last_modified: str | None = None,
          timeout: float = 30, max_bytes: int = 512 * 1024 * 1024,
          base_dir: str | None = None) -> Fetched:
    """Fetch a source by URL (conditional GET) or read it from a local path."""
    if not is_url(location):
        path = Path(location)
        if base_dir and not path.is_absolute():
            path = Path(base_dir) / path
        from app.pipeline import read_input

        data = read_input(str(path), max_bytes)
        return Fetched(True, data, None, None, None, str(path), hashlib.sha256(data).hexdigest())
    scheme = urllib.parse.urlsplit(location).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"{location}: only http and https URLs are fetched, not {scheme}:")
    request = urllib.request.Request(location, headers={"User-Agent": USER_AGENT,
                                                        "Accept-Encoding": "identity"})
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    opener = urllib.request.build_opener(_SafeRedirect())
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{location}: {declared} bytes is over the limit of {max_bytes} bytes")
            chunks, size = [], 0
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{location}: more than {max_bytes} bytes; refused")
                chunks.append(chunk)
            data = b"".join(chunks)
            headers = response.headers
            return Fetched(True, data, headers.get("ETag"), headers.get("Last-Modified"),
                           (headers.get("Content-Type") or "").split(";")[0].strip() or None,
                           response.geturl(), hashlib.sha256(data).hexdigest())
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(False, None, etag, last_modified, None, location)
        raise FetchError(f"{location}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise FetchError(f"{location}: cannot fetch: {error.reason}") from None
    except TimeoutError:
        raise FetchError(f"{location}: no answer within {timeout} s") from None
    except OSError as error:
        raise FetchError(f"{location}: cannot fetch: {error}") from None
