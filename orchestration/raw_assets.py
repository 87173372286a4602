"""Raw layer assets: fetch, parse and land each source with provenance."""

import datetime as dt
import warnings
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orchestration.partitions import deepstate_days
from orchestration.progress import step_counter
from orchestration.resources import WarehouseResource
from warehouse.ingest import land, sources
from warehouse.ingest.fetch import FetchError
from warehouse.ingest.parse import ParseError

# Fetches retry (network, 5xx); a payload that does not parse fails without retrying.
FETCH_RETRY = dg.RetryPolicy(max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL)


def _summary(results: list[land.Landed]) -> dict:
    counts = {status: sum(r.status == status for r in results) for status in ("new", "unchanged", "not_yet")}
    meta = {f"payloads_{k}": v for k, v in counts.items()}
    meta["new_keys"] = ", ".join(r.key for r in results if r.status == "new")[:2000] or "-"
    quirks = [f"{r.key}: {q}" for r in results for q in r.quirks]
    if quirks:
        meta["quirks"] = "\n".join(quirks)[:4000]
    return meta


@contextmanager
def unreachable_fails_now():
    """A host that cannot be reached fails the step at once instead of through FETCH_RETRY's
    minutes of waiting (the HTTP layer has already retried it)."""
    try:
        yield
    except FetchError as exc:
        if exc.retryable:
            raise
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


def current_parser(con, source: sources.Source) -> dict:
    """Before a source is fetched: its stored rows rebuilt if an older parser made them
    (land.ensure_current_parser), what depends on the rows that changed forgotten so that this run
    recomputes it. Metadata saying how many stored payloads changed, if any."""
    from transforms import reparsed

    try:
        done = land.ensure_current_parser(con, source, lambda c, key: reparsed.forget(c, source.name, key))
    except ParseError as exc:
        raise dg.Failure(
            description=f"{exc}\n    a payload stored earlier no longer parses with parser version "
            f"{source.parser_version} of {source.name}; its rows stay as the earlier parser made them",
            allow_retries=False,
        ) from exc
    changed = sum(r.changed for r in done)
    return {"payloads_reparsed": changed} if changed else {}


def _what_to_do(error: ParseError) -> str:
    """Where the refused payload is kept and one line on how to proceed."""
    from warehouse.ingest.plausibility import Implausible

    lines = [str(error)]
    kept = getattr(error, "quarantined", None)
    if kept:
        lines.append(f"    quarantined: {kept}")
    key = Path(kept).name.rsplit("-", 1)[0] if kept else "KEY"
    if isinstance(error, Implausible):
        lines.append(
            f"    to proceed: if upstream really published this, `frontline accept {error.source} {key} "
            '--reason "…"` lets the next run publish it; otherwise wait for a corrected file'
        )
    else:
        lines.append(
            "    to proceed: wait for upstream to correct the file (the next run picks it up); nothing to accept"
        )
    return "\n".join(lines)


def _fail_on(errors: list[ParseError]) -> None:
    if errors:
        raise dg.Failure(
            description="\n".join(_what_to_do(e) for e in errors),
            metadata={"quarantined": len(errors), "file": errors[0].uri},  # the file alerts name
            allow_retries=False,
        )


# Full history in one run is what the DeepState asset needs; Dagster marks the parameter beta and
# would say so on every `frontline` start.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


@dg.asset(
    key=["raw", "deepstate_snapshots"],
    group_name="raw",
    kinds={"duckdb"},
    partitions_def=deepstate_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=FETCH_RETRY,
    deps=[["raw", "oblast_boundaries"]],  # the snapshot must lie on Ukraine (warehouse.ingest.plausibility)
    description=sources.DEEPSTATE.description,
)
def deepstate_snapshots(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    window = context.partition_time_window
    days = [window.start.date() + dt.timedelta(days=i) for i in range((window.end - window.start).days)]
    results, errors = [], []
    with warehouse.connect() as con, unreachable_fails_now():
        reparsed = current_parser(con, sources.DEEPSTATE)
        gaps = sources.deepstate_archive.gap_days(con, days[0], warehouse.settings.gap_recheck_days)
        days = gaps + days  # a gap upstream filled late is landed too (README "Configuration")
        for done, day in enumerate(days, 1):
            try:
                results.append(land.ingest(con, warehouse.settings, sources.DEEPSTATE, day))
            except ParseError as exc:
                context.log.error(str(exc))
                errors.append(exc)
            if line := step_counter("fetch deepstate", done, len(days)):  # `frontline run` progress
                context.log.info(line)
    _fail_on(errors)
    rechecked = [r for r in results if dt.date.fromisoformat(r.key) in gaps]
    filled = ", ".join(r.key for r in rechecked if r.status == "new") or "-"
    missing = ", ".join(r.key for r in rechecked if r.status == "not_yet") or "-"
    metadata = {"days": len(days), **_summary(results), **reparsed, "gap_days_filled": filled}
    metadata["gap_days_missing"] = missing
    return dg.MaterializeResult(metadata=metadata)


def _whole_file_asset(source: sources.Source) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source.name],
        group_name="raw",
        kinds={"duckdb"},
        retry_policy=FETCH_RETRY,
        description=source.description,
    )
    def _asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con, unreachable_fails_now():
            reparsed = current_parser(con, source)
            try:
                result = land.ingest(con, warehouse.settings, source)
            except ParseError as exc:
                _fail_on([exc])
        if result.status == "not_yet":
            raise dg.Failure(
                description=f"{source.name}: {result.uri} not found; the whole-history file should always exist"
            )
        return dg.MaterializeResult(metadata={**_summary([result]), **reparsed})

    return _asset


whole_file_assets = [
    _whole_file_asset(s)
    for s in (sources.ISW, sources.GS_PERSONNEL, sources.GS_EQUIPMENT, sources.GS_EQUIPMENT_CORRECTIONS)
]
