"""`frontline` — run the pipeline, query what was published, look at what was held back.

Heavy imports (Dagster, GX) happen inside the commands that need them, so `frontline query`
starts fast.
"""

import argparse
import datetime as dt
import errno
import json
import math
import os
import sys

from warehouse.store.config import SettingError, Settings


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _seconds(text: str) -> float:
    """A time limit in seconds: finite and > 0 (DuckDB reads a limit of 0 ms as no limit)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"not a number of seconds > 0: {text!r}")
    return value


def _row_cap(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of rows >= 1: {text!r}")
    return value


def _memory(text: str) -> str:
    """A DuckDB memory size (1GB, 512MiB, ...), checked by DuckDB itself."""
    import duckdb

    try:
        duckdb.connect(":memory:", config={"memory_limit": text}).close()
    except duckdb.Error:
        raise argparse.ArgumentTypeError(f"not a DuckDB memory size such as 1GB or 512MiB: {text!r}") from None
    return text


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (0-65535, 0 = any free one): {text!r}")
    return value


def cmd_run(args, settings: Settings) -> int:
    from orchestration.runner import RunRangeError, new_progress, run
    from warehouse.store.writer_lock import HomeNotWritable, WarehouseBusy

    # stages on stderr as they go (a live bar on a terminal); --verbose prints Dagster's events instead
    progress = None if args.quiet or args.verbose else new_progress()
    try:
        summary = run(
            settings,
            args.start,
            args.end,
            console_level="DEBUG" if args.verbose else "CRITICAL",
            progress=progress,
            quiet=args.quiet,
        )
    except (RunRangeError, WarehouseBusy, HomeNotWritable) as exc:  # nothing was run
        print(f"frontline run: error: {exc}", file=sys.stderr)
        return 2
    print(summary.brief() if args.quiet else summary.text())
    failed_checks = [c for c in summary.checks if c[1] == "contract" and not c[2]]
    return 0 if summary.success and not failed_checks else 1


def cmd_query(args, settings: Settings) -> int:
    from warehouse.publish import publish
    from warehouse.serve import query

    try:
        snapshot = publish.version_path(settings.published_dir, args.version) / publish.SNAPSHOT
        result = query.run_query(
            snapshot,
            args.sql,
            max_execution_time_ms=math.ceil(args.timeout * 1000),  # 0.1 ms is 1 ms, never 0 (no limit)
            memory_limit=args.memory_limit,
            max_rows=args.max_rows,
        )
    except (FileNotFoundError, query.QueryRefused) as exc:
        print(f"frontline query: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # duckdb errors: show the message, not a traceback
        print(f"frontline query: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(query.format_result(result, args.format))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from warehouse.serve.serve import serve

    try:
        serve(settings.published_dir, args.host, args.port, lambda: settings.today, verbose=args.verbose)
    except OSError as exc:  # the port is taken, the host is not an address of this machine
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        print(f"frontline serve: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 2
    return 0


def cmd_postgres(args, settings: Settings) -> int:
    import psycopg

    from warehouse.publish.postgres import publish_version

    if not settings.postgres_dsn:
        print("frontline postgres: FRONTLINE_POSTGRES_DSN is not set", file=sys.stderr)
        return 2
    try:
        loaded = publish_version(
            settings.postgres_dsn,
            settings.published_dir,
            args.version,
            reader_role=settings.postgres_reader,
            reader_password=settings.postgres_reader_password,
        )
    except FileNotFoundError as exc:
        print(f"frontline postgres: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:  # server down, connection killed: the previous version stays current
        print(f"frontline postgres: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    state = "loaded" if loaded.loaded else "already loaded"
    current = "now current" if loaded.switched else "already current"
    print(f"{loaded.version}: {state} into schema {loaded.schema}, {current}; {sum(loaded.tables.values())} rows")
    return 0


def cmd_dev(args, settings: Settings) -> int:
    from orchestration.runner import dagster_ui_command

    command = dagster_ui_command(settings, args.port)
    print("starting the Dagster UI:", " ".join(command), file=sys.stderr)
    os.execv(command[0], command)
    return 0


def cmd_service(args, settings: Settings) -> int:
    from orchestration.runner import service_command

    command = service_command(settings, args.command, getattr(args, "host", ""), getattr(args, "port", 0))
    print(f"starting {args.command}:", " ".join(command), file=sys.stderr)
    os.execv(command[0], command)
    return 0


def cmd_quarantine(args, settings: Settings) -> int:
    from warehouse.ingest import quarantine

    entries = quarantine.entries(settings.quarantine_dir)
    if args.action == "list":
        if not entries:
            print("quarantine is empty")
        for e in entries:
            where = f"{e['row']}: " if e.get("row") else ""
            print(
                f"{e['fetched_at']}  {e['source']:<24} {e['key']:<12} {e['sha256'][:12]}  {where}{e.get('message', e['error'])}"
            )
        return 0
    matches = [e for e in entries if e["sha256"].startswith(args.id) or e["file"] == args.id]
    if not matches:
        print(f"frontline quarantine: nothing matches {args.id!r}", file=sys.stderr)
        return 2
    print(json.dumps(matches, indent=2))
    return 0


def cmd_accept(args, settings: Settings) -> int:
    """Let one quarantined payload through the rule or bound that refused it, on the record."""
    import getpass

    from warehouse.ingest import quarantine
    from warehouse.store import audit, db
    from warehouse.store.writer_lock import WarehouseBusy, exclusive_writer

    if not args.reason.strip():
        print("frontline accept: --reason must say why", file=sys.stderr)
        return 2
    wanted = args.key
    matches = [
        e
        for e in quarantine.entries(settings.quarantine_dir)
        if e["source"] == args.source
        and (
            e["key"] == wanted
            or e.get("date") == wanted
            or e["file"] == wanted
            or wanted in (e["uri"].rsplit("/", 1)[-1],)
        )
    ]
    if not matches:
        print(
            f"frontline accept: nothing of {args.source} {wanted!r} is in quarantine "
            "(`frontline quarantine list` shows what is)",
            file=sys.stderr,
        )
        return 2
    entry = matches[-1]  # the newest payload refused for it
    who = os.environ.get("FRONTLINE_OPERATOR") or getpass.getuser()
    try:
        with exclusive_writer(settings.home), db.session(settings.warehouse_path) as con:
            audit.accept(
                con,
                source=entry["source"],
                key=entry["key"],
                sha256=entry["sha256"],
                uri=entry["uri"],
                accepted_by=who,
                reason=args.reason.strip(),
                refused_by=entry.get("message") or entry["error"],
            )
    except WarehouseBusy as exc:
        print(f"frontline accept: {exc}", file=sys.stderr)
        return 2
    print(
        f"accepted {entry['source']} {entry['key']} (sha256 {entry['sha256'][:12]}, {entry['uri']}) by {who}: "
        f"{args.reason.strip()}\nthe next `frontline run` publishes it past: {entry.get('message') or entry['error']}"
    )
    return 0


def cmd_reparse(args, settings: Settings) -> int:
    """Rebuild a source's parsed raw rows from the payload bytes stored in raw.payloads (after a
    parser fix), without fetching; the next `frontline run` recomputes what depends on changed rows."""
    from transforms import reparsed
    from warehouse.ingest import land, sources
    from warehouse.ingest.parse import ParseError
    from warehouse.store import db
    from warehouse.store.writer_lock import WarehouseBusy, exclusive_writer

    source = sources.BY_NAME.get(args.source)
    if source is None:
        print(f"frontline reparse: no source {args.source!r}; known: {', '.join(sources.BY_NAME)}", file=sys.stderr)
        return 2
    try:
        with exclusive_writer(settings.home), db.session(settings.warehouse_path) as con:
            done = land.reparse(con, source, args.since, lambda c, key: reparsed.forget(c, source.name, key))
    except WarehouseBusy as exc:
        print(f"frontline reparse: {exc}", file=sys.stderr)
        return 2
    except ParseError as exc:
        print(
            f"frontline reparse: a stored payload no longer parses (earlier ones were rebuilt): {exc}", file=sys.stderr
        )
        return 1
    changed = [r for r in done if r.changed]
    for r in changed:
        print(f"  {source.name} {r.key} v{r.version}: rows changed ({r.rows} now)")
    print(
        f"reparsed {source.name}: {len(done)} stored payload version(s), {sum(r.rows for r in done)} rows; "
        f"{len(changed)} changed" + (" (the next `frontline run` recomputes what depends on them)" if changed else "")
    )
    return 0


def cmd_versions(args, settings: Settings) -> int:
    from warehouse.publish import publish

    latest = publish.latest_version(settings.published_dir)
    versions = publish.list_versions(settings.published_dir)
    if not versions:
        print(f"no published version in {settings.published_dir} yet: `frontline run` publishes one", file=sys.stderr)
    for version in versions:
        manifest = publish.read_manifest(settings.published_dir, version)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        print(f"{'*' if version == latest else ' '} {version}  {manifest['created_at']}  {rows} rows")
    return 0


def cmd_verify(args, settings: Settings) -> int:
    from warehouse.publish import publish

    try:
        problems = publish.verify(settings.published_dir, args.version)
        version = args.version or publish.latest_version(settings.published_dir)
    except FileNotFoundError as exc:
        print(f"frontline verify: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"MISMATCH {problem}")
    print(f"{version}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 0 if not problems else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="frontline", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="fetch, build, check and publish what is missing or changed")
    run.add_argument(
        "--start", type=_date, help="first DeepState day to (re)fetch (default: a few days before the newest held)"
    )
    run.add_argument("--end", type=_date, help="last DeepState day to fetch (default: today, UTC)")
    noise = run.add_mutually_exclusive_group()
    noise.add_argument(
        "--verbose", action="store_true", help="print every Dagster event (the UI keeps them all anyway)"
    )
    noise.add_argument(
        "--quiet", action="store_true", help="for cron: no progress, print only the final status and any errors"
    )
    run.set_defaults(func=cmd_run)

    query = sub.add_parser("query", help="run read-only SQL on the latest published snapshot")
    query.add_argument("sql")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument("--version", help="a published version (default: latest)")
    query.add_argument(
        "--timeout", type=_seconds, default=30.0, help="seconds before the query is stopped (default 30)"
    )
    query.add_argument("--memory-limit", type=_memory, default="1GB", help="DuckDB memory limit (default 1GB)")
    query.add_argument("--max-rows", type=_row_cap, default=1_000_000, help="refuse results longer than this")
    query.set_defaults(func=cmd_query)

    serve = sub.add_parser("serve", help="serve downloads, manifest, report and a status page over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=8080)
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    serve.set_defaults(func=cmd_serve)

    postgres = sub.add_parser(
        "postgres", help="load a published version into FRONTLINE_POSTGRES_DSN and make it current"
    )
    postgres.add_argument("--version", help="a published version (default: latest)")
    postgres.set_defaults(func=cmd_postgres)

    dev = sub.add_parser("dev", help="open the Dagster UI on this FRONTLINE_HOME")
    dev.add_argument("--port", type=_port, default=3000)
    dev.set_defaults(func=cmd_dev)

    daemon = sub.add_parser("daemon", help="run dagster-daemon on this FRONTLINE_HOME: schedule, sensors, alerts, runs")
    daemon.set_defaults(func=cmd_service)
    webserver = sub.add_parser("webserver", help="run dagster-webserver (the UI, production) on this FRONTLINE_HOME")
    webserver.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    webserver.add_argument("--port", type=_port, default=3000)
    webserver.set_defaults(func=cmd_service)

    quarantine = sub.add_parser("quarantine", help="payloads held back because they failed parsing")
    quarantine.add_argument("action", choices=("list", "show"))
    quarantine.add_argument("id", nargs="?", help="sha256 prefix or file name (for show)")
    quarantine.set_defaults(func=cmd_quarantine)

    accept = sub.add_parser(
        "accept", help="let a quarantined payload past the plausibility rule or fact bound that refused it"
    )
    accept.add_argument("source", help="source name, e.g. deepstate, isw, gs_personnel")
    accept.add_argument("key", metavar="DAY|FILE", help="the day (YYYY-MM-DD), snapshot id, or file name / 'all'")
    accept.add_argument("--reason", required=True, help="why this payload is real (kept in audit.acceptances)")
    accept.set_defaults(func=cmd_accept)

    reparse = sub.add_parser(
        "reparse", help="rebuild a source's parsed raw rows from its stored payload bytes (after a parser fix)"
    )
    reparse.add_argument("source", help="source name, e.g. deepstate, deepstate_api, isw, gs_personnel")
    reparse.add_argument(
        "--since", type=_date, help="only payloads of this day or later (whole-history files: fetched since)"
    )
    reparse.set_defaults(func=cmd_reparse)

    versions = sub.add_parser("versions", help="list published versions (* = latest)")
    versions.set_defaults(func=cmd_versions)

    verify = sub.add_parser("verify", help="re-hash every file of a published version against its manifest")
    verify.add_argument("version", nargs="?", help="default: latest")
    verify.set_defaults(func=cmd_verify)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "action", None) == "show" and not args.id:
        parser().error("quarantine show needs an id")
    try:
        settings = Settings.from_env()
    except SettingError as exc:
        print(f"frontline: {exc}", file=sys.stderr)
        return 2
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
