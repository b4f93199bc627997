"""The `mutu` command: thin commands over plain functions.

Exit codes: 0 success, 1 invalid data (the SHACL report is printed), 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from .config import load_settings
from .errors import InvalidData, MutuError

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"mutu: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (README.md documents each one)."""
    parser = _Parser(prog="mutu", description="Mutu: the shared knowledge graph of Brussels "
                     "citizen alternatives.")
    parser.add_argument("--store", help="store directory, or :memory: (default ./var/store, "
                        "or MUTU_STORE)")
    parser.add_argument("--base-iri", help="prefix of the IRIs Mutu mints (MUTU_BASE_IRI)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("load", help="validate an RDF file and replace a named graph with it")
    p.add_argument("file")
    p.add_argument("--graph", help="target graph IRI (default <base>graph/<file name>)")
    p.add_argument("--licence", help="licence IRI or SPDX id (required on a first load)")
    p.add_argument("--title", help="dataset title (default: the file name)")
    p.add_argument("--format", help="turtle, ntriples, nquads, trig, jsonld or rdfxml "
                   "(default: from the extension)")
    p.add_argument("--visibility", choices=["public", "partners", "private"],
                   help="who may read the graph (default public, or as before)")
    p.add_argument("--publisher", help="who publishes the dataset")
    p.add_argument("--owner", help="the collective that owns the dataset (recorded in the catalog)")
    p.add_argument("--dry-run", action="store_true", help="parse and validate only")
    from loaders.cli import add_load_options

    add_load_options(p)

    p = sub.add_parser("validate", help="validate an RDF file against the shapes (report only)")
    p.add_argument("file")
    p.add_argument("--shapes", help="a SHACL shapes file instead of Mutu's shapes")
    p.add_argument("--format", dest="report_format", choices=["text", "turtle", "json"],
                   default="text", help="report format (default text)")
    p.add_argument("--input-format", help="RDF format of FILE (default: from the extension)")

    p = sub.add_parser("query", help="run a SPARQL query on the union of the source graphs")
    p.add_argument("query", help="the query text, or @FILE to read it from a file")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = sub.add_parser("dump", help="write the store (or one graph) as N-Quads to stdout")
    p.add_argument("--graph", help="dump only this graph")

    p = sub.add_parser("restore", help="replace the whole store with an N-Quads dump")
    p.add_argument("file")

    sub.add_parser("graphs", help="list the source graphs recorded in the catalog")

    sub.add_parser("optimize", help="compact the embedded store after large loads (faster queries)")

    p = sub.add_parser("token", help="create, list or revoke access tokens")
    tsub = p.add_subparsers(dest="token_command", metavar="ACTION", parser_class=_Parser)
    tsub.required = True
    t = tsub.add_parser("create", help="create a token; prints it alone on the last line")
    t.add_argument("--name", required=True, help="the token's name (shown in the change log)")
    t.add_argument("--role", required=True, choices=["partner", "editor", "admin"])
    t.add_argument("--graphs", default="", help="comma-separated graph IRIs an editor reads "
                   "and writes")
    t.add_argument("--licence", help="licence of the graphs this token creates (IRI or SPDX id)")
    tsub.add_parser("list", help="list tokens (names, roles, scopes; never the secrets)")
    t = tsub.add_parser("revoke", help="revoke a token by name")
    t.add_argument("name")

    p = sub.add_parser("graph", help="export or delete one graph")
    gsub = p.add_subparsers(dest="graph_command", metavar="ACTION", parser_class=_Parser)
    gsub.required = True
    t = gsub.add_parser("export", help="write one graph as N-Triples to stdout")
    t.add_argument("graph")
    t = gsub.add_parser("delete", help="delete one graph and its catalog record")
    t.add_argument("graph")
    from loaders.cli import add_commands

    COMMANDS.update(add_commands(sub))

    p = sub.add_parser("serve", help="run the HTTP service (SPARQL endpoint and pages)")
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 5000)")
    p.add_argument("--threads", type=int, help="worker threads (default 8)")
    p.add_argument("--query-timeout", type=float, metavar="SECONDS",
                   help="deadline of each query; past it the query is stopped (default 30, "
                   "0: none; MUTU_QUERY_TIMEOUT)")
    p.add_argument("--demo", action="store_true",
                   help="load the demo dataset first unless it is already there")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mutu` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings({"store": args.store, "base_iri": args.base_iri,
                                  **_serve_overrides(args)})
    except ValueError as error:
        print(f"mutu: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if argv is None:
        try:
            _rerun_for_a_large_load(args, settings)
        except ValueError as error:  # MUTU_MALLOC=jemalloc without jemalloc
            print(f"mutu: error: {error}", file=sys.stderr)
            return EXIT_ERROR
    handler = COMMANDS[args.command]
    try:
        return handler(args, settings)
    except InvalidData as error:
        print(error.report.to_text(), file=sys.stdout)
        print(f"mutu: {error.message}", file=sys.stderr)
        return EXIT_INVALID
    except MutuError as error:
        where = f" ({error.detail})" if error.detail else ""
        print(f"mutu: error: {error.message}{where}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("mutu: interrupted; nothing was half-written", file=sys.stderr)
        return EXIT_ERROR


# From these sizes on, a load is worth starting again with a faster malloc: jemalloc (20-25 %
# less time at 1M triples, bulk write halved), and from the second one on huge pages (the
# in-memory copy of the data is then a gigabyte or more): jemalloc's, else glibc's.
_JEMALLOC_FROM = 16 * 1024 * 1024
_HUGE_PAGES_FROM = 256 * 1024 * 1024


def _rerun_for_a_large_load(args, settings) -> None:
    """Re-run this process once with jemalloc (MUTU_MALLOC), or glibc's huge pages, for a large load."""
    import os

    if args.command != "load" or sys.platform != "linux" or not sys.executable:
        return
    try:
        size = os.path.getsize(args.file)
    except OSError:
        return  # the load itself reports it
    extra = large_load_environment(size, settings.malloc, os.environ)
    if extra:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, **extra})


def large_load_environment(size: int, malloc: str, environ) -> dict[str, str]:
    """The variables a load of `size` bytes starts itself again with, given the environment
    `environ` it runs in ({}: it runs as it is). ValueError: MUTU_MALLOC=jemalloc without it."""
    from . import memory

    library = memory.preload_for(malloc) if size >= _JEMALLOC_FROM else None
    if library is not None:
        value = memory.with_preload(library, environ.get("LD_PRELOAD"))
        if value is None:
            return {}  # already re-run (or the operator preloads it)
        extra = {"LD_PRELOAD": value}
        if size >= _HUGE_PAGES_FROM and "MALLOC_CONF" not in environ:
            # jemalloc's own huge pages: 10M triples loaded in 107 s instead of 122 s.
            extra["MALLOC_CONF"] = memory.JEMALLOC_HUGE_PAGES
        return extra
    if size >= _HUGE_PAGES_FROM and "GLIBC_TUNABLES" not in environ:
        # The in-memory store is linked nodes spread over gigabytes: with 4 KiB pages nearly every
        # step of a scan misses the TLB (measured at 10M triples: 5% less CPU, about 10% less time).
        return {"GLIBC_TUNABLES": memory.HUGE_PAGES}
    return {}


def _serve_overrides(args) -> dict:
    if args.command != "serve":
        return {}
    return {"host": args.host, "port": args.port, "threads": args.threads,
            "query_timeout": args.query_timeout}


def _open(settings):
    from .pipeline import cleanup_orphans
    from .store import open_store

    store = open_store(settings.store)
    cleanup_orphans(store, settings.base_iri)
    return store


def cmd_load(args, settings) -> int:
    from loaders.cli import loader_load, uses_loader

    from .pipeline import load_file

    if uses_loader(args):
        return loader_load(args, settings, _open)
    store = _open(settings)
    try:
        outcome = load_file(store, settings.base_iri, args.file, fmt=args.format, graph=args.graph,
                            max_bytes=settings.max_load_bytes, licence=args.licence,
                            title=args.title, visibility=args.visibility,
                            publisher=args.publisher, dry_run=args.dry_run,
                            owner=args.owner)
    finally:
        store.close()
    if outcome.report is not None and outcome.report.warnings:
        _print_warnings(outcome.report)
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in outcome.timings.items())
    verb = {"loaded": "loaded", "unchanged": "unchanged (same data already loaded)",
            "dry-run": "valid (dry run, nothing written)"}[outcome.status]
    print(f"{outcome.graph}: {verb}; {outcome.triples} triples in {outcome.seconds:.2f} s"
          + (f" ({steps})" if steps else ""))
    return EXIT_OK


def _print_warnings(report, limit: int = 10) -> None:
    warnings = report.warnings
    print(f"{len(warnings)} warning(s); the data was loaded anyway. "
          f"{'First ' + str(limit) + ' (run `mutu validate FILE` for all):' if len(warnings) > limit else ''}",
          file=sys.stderr)
    for result in warnings[:limit]:
        where = f" {result.path}" if result.path else ""
        print(f"  Warning: {result.focus}{where}: {result.message}", file=sys.stderr)


def cmd_validate(args, settings) -> int:
    import rdflib

    from .pipeline import read_input, shipped_context
    from .rdfio import format_name, normalise, parse
    from .rdfterms import graph_from_triples
    from .validation import report_exit_code, validate

    fmt = format_name(args.input_format, args.file)
    triples = normalise(parse(read_input(args.file, settings.max_load_bytes), fmt, source=args.file))
    data = graph_from_triples(triples)
    shapes = None
    if args.shapes:
        shapes = rdflib.Graph()
        try:
            shapes.parse(args.shapes, format=format_name(None, args.shapes).replace("ntriples", "nt")
                         .replace("rdfxml", "xml").replace("jsonld", "json-ld"))
        except (OSError, SyntaxError, ValueError) as error:
            print(f"mutu: error: cannot read shapes {args.shapes}: {error}", file=sys.stderr)
            return EXIT_ERROR
    report = validate(data, shapes=shapes, context=None if shapes is not None else shipped_context())
    text = {"text": report.to_text, "turtle": report.to_turtle, "json": report.to_json}[args.report_format]()
    print(text)
    return report_exit_code(report)


def cmd_query(args, settings) -> int:
    from .access import Viewer, query_dataset, visible_graphs
    from .sparql_text import dataset_clauses

    text = args.query
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            print(f"mutu: error: cannot read {text[1:]}: {error}", file=sys.stderr)
            return EXIT_ERROR
    store = _open(settings)
    try:
        # The operator sees everything, as an admin token does (full catalog and change log).
        graphs = visible_graphs(store, settings.base_iri, Viewer("operator", "admin"))
        froms, named = dataset_clauses(text)
        dataset = query_dataset(graphs, query_from=froms, query_from_named=named)
        wanted = {"table": "application/sparql-results+json", "json": "application/sparql-results+json",
                  "csv": "text/csv"}[args.format]
        output = store.run(text, dataset=dataset,
                           choose=lambda kind: "text/turtle" if kind == "graph" else wanted)
    finally:
        store.close()
    if output.kind == "graph" or args.format != "table":
        sys.stdout.write(output.body.decode("utf-8"))
        return EXIT_OK
    print(_table(json.loads(output.body)))
    return EXIT_OK


def _table(results: dict) -> str:
    if "boolean" in results:
        return "true" if results["boolean"] else "false"
    names = results["head"]["vars"]
    rows = []
    for binding in results["results"]["bindings"]:
        row = []
        for name in names:
            cell = binding.get(name)
            if cell is None:
                row.append("")
            elif cell["type"] == "uri":
                row.append(f"<{cell['value']}>")
            elif cell.get("xml:lang"):
                row.append(f"\"{cell['value']}\"@{cell['xml:lang']}")
            else:
                row.append(cell["value"])
        rows.append(row)
    widths = [max([len(n) + 1] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = "  ".join(("?" + n).ljust(w) for n, w in zip(names, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def cmd_dump(args, settings) -> int:
    store = _open(settings)
    try:
        store.dump(sys.stdout.buffer, graph=args.graph)
        sys.stdout.flush()
    finally:
        store.close()
    return EXIT_OK


def cmd_restore(args, settings) -> int:
    from .restore import restore

    count = restore(settings.store, args.file, max_bytes=settings.max_load_bytes)
    print(f"restored {count} quads into {settings.store}")
    return EXIT_OK


def cmd_graphs(args, settings) -> int:
    from .catalog import datasets

    store = _open(settings)
    try:
        records = datasets(store, settings.base_iri)
    finally:
        store.close()
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["graph", "visibility", "licence", "triples", "modified", "title", "owner"])
    for d in records:
        out.writerow([d.graph, d.visibility, d.licence, d.triples, d.modified, d.title, d.owner or ""])
    return EXIT_OK


# waitress writes an answer larger than this to a temporary file before sending it (its
# default, 1 MiB, made a 1.66 MB SPARQL answer take 5.1 ms instead of 2.9 ms on loopback).
# The answer is already in memory; this bounds the extra copy a slow reader can hold.
OUTPUT_IN_MEMORY = 8 * 1024 * 1024


def cmd_serve(args, settings) -> int:
    import waitress

    from . import create_app
    from .memory import limit_arenas
    from .store.worker import open_worker_store

    limit_arenas(settings.malloc_arenas)
    # The store lives in a worker process that is killed and restarted when a query runs
    # past its deadline (MUTU_QUERY_TIMEOUT); that process drops orphan graphs as it opens.
    store = open_worker_store(settings)
    from .pipeline import cleanup_orphans

    cleanup_orphans(store, settings.base_iri)
    if args.demo:
        from .demo_load import load_demo

        for line in load_demo(store, settings.base_iri):
            print(line, file=sys.stderr)
    app = create_app(settings, store=store)
    warming = None
    if settings.warmup:
        from .warmup import start

        warming = start(app)
    print(f"Mutu serving {settings.store} on http://{settings.host}:{settings.port}/ "
          f"(SPARQL endpoint: /sparql)", file=sys.stderr)
    allocator = getattr(store, "allocator", "")
    if allocator == "jemalloc":
        print("mutu: the store worker allocates with jemalloc", file=sys.stderr)
    elif allocator and settings.malloc != "system":
        print("mutu: the store worker allocates with the system malloc: jemalloc was not found "
              "(Debian: apt-get install libjemalloc2; queries ran 7-30 % faster with it)",
              file=sys.stderr)
    try:
        waitress.serve(app, host=settings.host, port=settings.port, threads=settings.threads,
                       ident="mutu", max_request_body_size=settings.max_request_bytes,
                       outbuf_overflow=OUTPUT_IN_MEMORY)
    finally:
        if warming is not None:
            warming.stop()  # no new warm-up request meets the closed store
        store.close()
    return EXIT_OK


def _tokens(settings):
    from .tokens import Registry, tokens_path

    if settings.store == ":memory:":
        raise MutuError("tokens need an on-disk store (--store DIR)")
    return Registry(tokens_path(settings.store))


def cmd_token(args, settings) -> int:
    from .namespaces import licence_iri

    registry = _tokens(settings)
    if args.token_command == "create":
        licence = None
        if args.licence:
            licence = licence_iri(args.licence)
            if licence is None:
                raise MutuError(f"unknown licence {args.licence!r}")
        graphs = [g.strip() for g in args.graphs.split(",") if g.strip()]
        secret = registry.create(args.name, args.role, graphs, licence)
        print(f"token {args.name!r} ({args.role}"
              + (f" on {', '.join(graphs)}" if graphs else "") + "); it is shown only once:",
              file=sys.stderr)
        print(secret)
    elif args.token_command == "list":
        out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
        out.writerow(["name", "role", "graphs", "created", "revoked"])
        for r in registry.records():
            out.writerow([r.name, r.role, ",".join(r.graphs), r.created, r.revoked or ""])
    else:
        registry.revoke(args.name)
        print(f"token {args.name!r} revoked", file=sys.stderr)
    _flush_token_events(settings, registry)
    return EXIT_OK


def _flush_token_events(settings, registry) -> None:
    """Log token events now if the store is free; a running server logs them otherwise."""
    from .errors import StoreUnavailable
    from .tokens import flush_events

    try:
        store = _open(settings)
    except StoreUnavailable:
        return
    try:
        flush_events(registry, store, settings.base_iri)
    finally:
        store.close()


def cmd_graph(args, settings) -> int:
    import getpass

    from . import changelog
    from .access import system_graphs
    from .catalog import find, remove_description_update
    from .errors import NotFound

    store = _open(settings)
    try:
        record = find(store, settings.base_iri, args.graph)
        if record is None and args.graph not in system_graphs(settings.base_iri):
            raise NotFound(f"no graph <{args.graph}> in the catalog")
        if args.graph_command == "export":
            import pyoxigraph as ox

            ox.serialize(store.graph_triples(args.graph), sys.stdout.buffer,
                         format=ox.RdfFormat.N_TRIPLES)
            sys.stdout.flush()
            return EXIT_OK
        if record is None:
            raise MutuError(f"<{args.graph}> is maintained by Mutu and cannot be deleted")
        size = store.graph_size(args.graph)
        store.update(f"DROP SILENT GRAPH <{args.graph}> ;\n"
                     + remove_description_update(settings.base_iri, args.graph) + " ;\n"
                     + changelog.record_update(settings.base_iri, action="delete", graph=args.graph,
                                               who=getpass.getuser(), added=0, removed=size,
                                               public=record.visibility == "public"))
        print(f"{args.graph}: deleted ({size} triples)")
    finally:
        store.close()
    return EXIT_OK


def cmd_optimize(args, settings) -> int:
    import time

    from .store.remote import is_remote

    if is_remote(settings.store) or settings.store == ":memory:":
        raise MutuError("`mutu optimize` compacts an on-disk embedded store; "
                        f"{settings.store} is not one (a remote store compacts itself)")
    store = _open(settings)
    before = _disk_size(settings.store)
    started = time.perf_counter()
    try:
        store.optimize()
    finally:
        store.close()
    print(f"optimized {settings.store} in {time.perf_counter() - started:.1f} s "
          f"({before / 2**20:.0f} MiB before, {_disk_size(settings.store) / 2**20:.0f} MiB after)",
          file=sys.stderr)
    return EXIT_OK


def _disk_size(directory: str) -> int:
    import os

    return sum(entry.stat().st_size for entry in os.scandir(directory) if entry.is_file())


COMMANDS = {"token": cmd_token, "graph": cmd_graph, "load": cmd_load, "validate": cmd_validate, "query": cmd_query, "dump": cmd_dump,
            "restore": cmd_restore, "graphs": cmd_graphs, "optimize": cmd_optimize, "serve": cmd_serve}

if __name__ == "__main__":
    sys.exit(main())
