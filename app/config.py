"""Every setting in one place: defaults, then MUTU_* environment variables, then overrides."""

import os
from dataclasses import dataclass, field, fields, replace

from .namespaces import DEFAULT_BASE_IRI


@dataclass(frozen=True)
class Settings:
    """Mutu's settings; each field is documented in README.md under Configuration."""

    store: str = "./var/store"  # MUTU_STORE: a directory, or ":memory:"
    base_iri: str = DEFAULT_BASE_IRI  # MUTU_BASE_IRI: prefix of the IRIs Mutu mints
    # A remote store (MUTU_STORE=sparql+http://host:port/path[#oxigraph|#virtuoso]):
    remote_query_url: str = ""  # MUTU_REMOTE_QUERY_URL: SPARQL query endpoint (default: from MUTU_STORE)
    remote_update_url: str = ""  # MUTU_REMOTE_UPDATE_URL: SPARQL update endpoint (default: by flavour)
    remote_store_url: str = ""  # MUTU_REMOTE_STORE_URL: Graph Store Protocol endpoint (default: by flavour)
    remote_user: str = ""  # MUTU_REMOTE_USER: user for the store's endpoints (none: anonymous)
    remote_password: str = ""  # MUTU_REMOTE_PASSWORD
    remote_auth: str = ""  # MUTU_REMOTE_AUTH: "basic" or "digest" (default: by flavour)
    remote_flavour: str = ""  # MUTU_REMOTE_FLAVOUR: "oxigraph", "virtuoso" or "generic" (default: the #fragment)
    remote_timeout: int = 30  # MUTU_REMOTE_TIMEOUT: seconds each HTTP call to the store may take
    remote_versioned: str = ""  # MUTU_REMOTE_VERSIONED: "true"/"false": write new graph versions (default: by flavour)
    host: str = "127.0.0.1"  # MUTU_HOST
    port: int = 5000  # MUTU_PORT
    threads: int = 8  # MUTU_THREADS: WSGI worker threads
    warmup: bool = True  # MUTU_WARMUP: `mutu serve` builds the busiest pages' indexes after start and each write
    malloc: str = "auto"  # MUTU_MALLOC: the store worker's malloc: "auto" (jemalloc if installed), "jemalloc" or "system"
    malloc_huge_pages: bool = True  # MUTU_MALLOC_HUGE_PAGES: the store worker's malloc on transparent huge pages
    malloc_arenas: int = 2  # MUTU_MALLOC_ARENAS: glibc malloc arenas per server process (0: glibc's default, 8 per core)
    max_load_bytes: int = 512 * 1024 * 1024  # MUTU_MAX_LOAD_BYTES: largest file `mutu load` reads
    max_request_bytes: int = 1024 * 1024  # MUTU_MAX_REQUEST_BYTES: largest HTTP request body
    sources: str = "./sources.toml"  # MUTU_SOURCES: the partner sources file of `mutu sources` / `refresh`
    fetch_timeout: int = 30  # MUTU_FETCH_TIMEOUT: seconds `mutu refresh` waits for a source's server
    service_allow: str = ""  # MUTU_SERVICE_ALLOW: comma-separated SERVICE endpoints queries may call
    shacl_engine: str = "sparql"  # MUTU_SHACL_ENGINE: "sparql" (shapes compiled to SPARQL) or "pyshacl" (the reference)
    service_allow_private: bool = False  # MUTU_SERVICE_ALLOW_PRIVATE: SERVICE may reach loopback/private hosts
    query_timeout: float = 30.0  # MUTU_QUERY_TIMEOUT: seconds before a query is stopped (0: never)
    max_rows: int = 100_000  # MUTU_MAX_ROWS: most solutions/triples a /sparql result may hold (0: no cap)
    max_concurrent_queries: int = 4  # MUTU_MAX_CONCURRENT_QUERIES: /sparql queries at once (0: no cap)
    result_cache_mb: float = 64.0  # MUTU_RESULT_CACHE_MB: memory for query results kept until the next write (0: off)
    query_queue_seconds: float = 30.0  # MUTU_QUERY_QUEUE_SECONDS: how long a /sparql query waits for a free slot before 503
    freshness_seconds: int = 300  # MUTU_FRESHNESS_SECONDS: clock tick in the ETag of pages and feeds of upcoming events
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"  # MUTU_TILE_URL: map tiles of /places (Leaflet URL template)
    secret_key: str = ""  # MUTU_SECRET_KEY: signs the self-service session cookie (default: random, kept in <store>.secret-key)
    extra: dict = field(default_factory=dict)


MALLOC_CHOICES = ("auto", "jemalloc", "system")
ENV_NAMES = {f.name: "MUTU_" + f.name.upper() for f in fields(Settings) if f.name != "extra"}


def load_settings(overrides: dict | None = None, environ=None) -> Settings:
    """Build settings from defaults, the MUTU_* environment, then explicit overrides."""
    environ = os.environ if environ is None else environ
    values = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = environ.get(ENV_NAMES[f.name])
        if raw is not None and raw != "":
            values[f.name] = _convert(f.name, raw, f.type)
    settings = replace(Settings(), **values)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    known = {f.name for f in fields(Settings)}
    extra = {k: v for k, v in overrides.items() if k not in known}
    settings = replace(settings, **{k: v for k, v in overrides.items() if k in known})
    if extra:
        settings = replace(settings, extra={**settings.extra, **extra})
    if settings.malloc not in MALLOC_CHOICES:
        raise ValueError(f"MUTU_MALLOC must be one of {', '.join(MALLOC_CHOICES)}, "
                         f"got {settings.malloc!r}")
    if not settings.base_iri.endswith("/"):
        settings = replace(settings, base_iri=settings.base_iri + "/")
    return settings


def service_allow_list(settings: Settings) -> frozenset[str]:
    """The SERVICE endpoints queries may federate with (none by default)."""
    return frozenset(u.strip() for u in settings.service_allow.split(",") if u.strip())


def _convert(name: str, raw: str, type_):
    if type_ in (bool, "bool"):
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{ENV_NAMES[name]} must be 1 or 0, got {raw!r}")
    if type_ in (float, "float"):
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{ENV_NAMES[name]} must be a number of seconds, got {raw!r}") from None
        if not value >= 0:
            raise ValueError(f"{ENV_NAMES[name]} must be 0 or more, got {raw!r}")
        return value
    if type_ in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{ENV_NAMES[name]} must be an integer, got {raw!r}") from None
    return raw
