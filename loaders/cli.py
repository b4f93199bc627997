"""The loader commands of `mutu` (load through a loader, loaders, sources, refresh, link).

app/cli.py builds the parser and dispatches; this module adds the options and commands of
issue 4 so that the shared CLI file only carries a few hooks. Every handler is thin: it
calls plain functions of loaders.pipeline, loaders.sources and app.identity.
"""

from __future__ import annotations

import json
import os
import sys

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


def add_load_options(p) -> None:
    """Options of `mutu load` for non-RDF inputs."""
    p.add_argument("--loader", help="loader name (see `mutu loaders`; default: from the extension, "
                   "media type or content)")
    p.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE",
                   help="a loader option, e.g. -o countries=BE -o window_days=90 (repeatable)")
    p.add_argument("--mapping", help="TOML mapping file of the csv loader")
    p.add_argument("--language", choices=["fr", "nl", "en"],
                   help="language of names the source does not tag (default fr)")
    p.add_argument("--source-name", help="short name of the source, used in minted IRIs "
                   "(default: the graph's last path segment)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="load the valid records and report the rejected ones (default: all or nothing)")
    p.add_argument("--report", help="with --skip-invalid: write the rejected records (TSV) to this file")


def add_commands(sub) -> dict:
    """The commands `loaders`, `sources`, `refresh` and `link`; returns {name: handler}."""
    sub.add_parser("loaders", help="list the loaders, their extensions and media types")
    p = sub.add_parser("sources", help="list the partner sources and their state")
    p.add_argument("--sources", help="sources file (default ./sources.toml, or MUTU_SOURCES)")
    p = sub.add_parser("refresh", help="fetch what changed in the partner sources and re-load it")
    p.add_argument("name", nargs="?", help="only this source")
    p.add_argument("--sources", help="sources file (default ./sources.toml, or MUTU_SOURCES)")
    p.add_argument("--force", action="store_true", help="ignore refresh intervals and cached ETags")
    p = sub.add_parser("link", help="find probable duplicates across source graphs (owl:sameAs candidates)")
    p.add_argument("--accept", nargs=2, metavar=("A", "B"), help="record that A and B are the same")
    p.add_argument("--reject", nargs=2, metavar=("A", "B"), help="record that A and B are not the same")
    p.add_argument("--threshold", type=float, default=None,
                   help="lowest score written as a candidate (default 0.6)")
    p.add_argument("--show", action="store_true", help="print the candidates without writing them")
    return {"loaders": cmd_loaders, "sources": cmd_sources, "refresh": cmd_refresh, "link": cmd_link}


def uses_loader(args) -> bool:
    """True when `mutu load` must go through a loader rather than the plain RDF path."""
    if os.path.isdir(args.file):
        return True  # a folder of documents with its metadata file (loaders/documents.py)
    if args.loader or args.option or args.mapping or args.language or args.skip_invalid \
            or args.source_name:
        return args.loader != "rdf" or args.skip_invalid or bool(args.option)
    if args.format:
        return False
    from . import pick

    return pick(args.file, head=_head(args.file)).name != "rdf"


def _head(path: str, size: int = 8192) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def parse_options(items) -> dict:
    """-o KEY=VALUE pairs; a VALUE that is JSON (number, list, true) is read as JSON."""
    from app.errors import InputError

    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--option {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def read_mapping(path: str) -> dict:
    import tomllib

    from app.errors import InputError

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise InputError(f"{path}: cannot read the mapping: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: TOML error in the mapping: {error}") from None


def loader_load(args, settings, open_store) -> int:
    """`mutu load FILE` through a loader (everything but plain RDF without options)."""
    from app.pipeline import default_graph_iri, read_input

    from . import LoaderOptions, pick, slug
    from .pipeline import Progress, load_with, rejected_tsv

    extra = parse_options(args.option)
    source_file = args.file
    if os.path.isdir(args.file):
        from .documents import metadata_file

        extra.setdefault("folder", args.file)
        source_file = str(metadata_file(args.file))
        args.loader = args.loader or "documents"
    elif args.loader == "documents":
        extra.setdefault("folder", os.path.dirname(os.path.abspath(args.file)))
    data = read_input(source_file, settings.max_load_bytes)
    if args.format:
        extra.setdefault("format", args.format)
    if args.mapping:
        extra["mapping"] = read_mapping(args.mapping)
    loader = pick(args.file, name=args.loader or ("rdf" if args.format else None), head=data[:8192])
    graph = args.graph or default_graph_iri(settings.base_iri, args.file)
    options = LoaderOptions(base_iri=settings.base_iri,
                            source=args.source_name or slug(graph.rstrip("/").rsplit("/", 1)[-1]),
                            language=args.language or extra.pop("language", "fr"), extra=extra,
                            filename=os.path.basename(source_file),
                            progress=Progress(f"{loader.name} {os.path.basename(args.file)}"))
    store = open_store(settings)
    try:
        outcome = load_with(store, settings.base_iri, data, loader, options, graph=graph,
                            source=os.path.basename(os.path.normpath(args.file)), licence=args.licence,
                            title=args.title, visibility=args.visibility, publisher=args.publisher,
                            dry_run=args.dry_run, skip_invalid=args.skip_invalid)
    finally:
        store.close()
    print_outcome(outcome)
    if outcome.rejected:
        text = rejected_tsv(outcome.rejected)
        if args.report:
            with open(args.report, "w", encoding="utf-8") as handle:
                handle.write(text)
            print(f"rejected records written to {args.report}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    return EXIT_OK


def print_outcome(outcome) -> None:
    from app.cli import _print_warnings

    if outcome.report is not None and getattr(outcome.report, "warnings", None):
        _print_warnings(outcome.report)
    print(outcome.summary(), file=sys.stderr)
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in outcome.timings.items())
    verb = {"loaded": "loaded", "unchanged": "unchanged (same graph already loaded)",
            "dry-run": "valid (dry run, nothing written)"}[outcome.status]
    print(f"{outcome.graph}: {verb}; {outcome.created} record(s), {outcome.triples} triples, "
          f"{len(outcome.rejected)} rejected, in {outcome.seconds:.2f} s" + (f" ({steps})" if steps else ""))


def cmd_loaders(args, settings) -> int:
    from . import loaders

    for loader in loaders().values():
        print(f"{loader.name}\t{' '.join(loader.extensions)}\t{' '.join(loader.media_types)}\t"
              f"{loader.description}")
    return EXIT_OK


def _sources_path(args, settings) -> str:
    return args.sources or settings.sources


def cmd_sources(args, settings) -> int:
    from .sources import read_sources, source_states

    sources = read_sources(_sources_path(args, settings), settings.base_iri)
    print("name\tloader\tgraph\tevery\tlast fetch\tlast load\tstatus\terror")
    for name, state in source_states(settings.store, sources):
        s = sources[name]
        print(f"{name}\t{s.loader}\t{s.graph}\t{s.refresh}\t{state.get('fetched', '-')}\t"
              f"{state.get('loaded', '-')}\t{state.get('status', 'never')}\t{state.get('error', '')}")
    return EXIT_OK


def cmd_refresh(args, settings) -> int:
    from app.cli import _open

    from .sources import read_sources, refresh

    sources = read_sources(_sources_path(args, settings), settings.base_iri)
    store = _open(settings)
    try:
        results = refresh(store, settings, sources, only=args.name, force=args.force,
                          log=lambda line: print(line, file=sys.stderr))
    finally:
        store.close()
    failed = [r for r in results if r["status"] == "failed"]
    for r in results:
        print(f"{r['name']}\t{r['status']}\t{r.get('detail', '')}")
    return EXIT_ERROR if failed else EXIT_OK


def cmd_link(args, settings) -> int:
    from app import identity
    from app.cli import _open

    store = _open(settings)
    try:
        if args.accept or args.reject:
            a, b = args.accept or args.reject
            identity.decide(store, settings.base_iri, a, b, same=bool(args.accept))
            print(f"recorded: {a} {'=' if args.accept else '≠'} {b}")
            return EXIT_OK
        threshold = identity.THRESHOLD if args.threshold is None else args.threshold
        candidates = identity.find_candidates(store, settings.base_iri, threshold=threshold)
        if not args.show:
            identity.write_links(store, settings.base_iri, candidates)
    finally:
        store.close()
    for c in candidates:
        print(f"{c.score:.2f}\t{c.status}\t{c.a}\t{c.b}\t{'; '.join(c.evidence)}")
    print(f"{len(candidates)} candidate link(s)" + (" (not written)" if args.show else
                                                   f" written to {settings.base_iri}graph/links"),
          file=sys.stderr)
    return EXIT_OK
