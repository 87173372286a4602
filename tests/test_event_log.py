"""The run's event log written through held connections (orchestration/event_log.py) holds the
same rows as Dagster's own per-event connections write, in the same order, in the same files."""

import json
import re
import sqlite3

import dagster as dg

from orchestration.event_log import HeldEventLog

days = dg.DailyPartitionsDefinition(start_date="2024-07-08", end_offset=0)


@dg.asset(partitions_def=days, backfill_policy=dg.BackfillPolicy.single_run())
def snapshots(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    context.log.info("fetched")
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset(deps=[snapshots])
def areas() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 3})


@dg.asset_check(asset=areas)
def contract() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, description="fine")


def _run(instance: dg.DagsterInstance, run_id: str):
    job = dg.Definitions(
        assets=[snapshots, areas], asset_checks=[contract], jobs=[dg.define_asset_job("j")]
    ).resolve_job_def("j")
    return job.execute_in_process(
        instance=instance,
        run_id=run_id,
        tags={"dagster/asset_partition_range_start": "2024-07-08", "dagster/asset_partition_range_end": "2024-07-10"},
    )


def _rows(path, sql: str, run_id: str) -> list:
    with sqlite3.connect(path) as con:
        return [tuple(json.dumps(v) if isinstance(v, dict) else v for v in r) for r in con.execute(sql, [run_id])]


def _what_the_ui_reads(instance: dg.DagsterInstance, run_id: str) -> dict:
    """The run's events (type, step, asset, partition, message, metadata), its asset rows in the
    index and its check executions, without the ids and times that differ between runs."""
    records = instance.get_records_for_run(run_id, limit=10_000).records
    events = []
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        meta = None
        if event and event.is_step_materialization:
            meta = {
                k: repr(getattr(v, "value", v))
                for k, v in event.step_materialization_data.materialization.metadata.items()
            }
        events.append(
            (
                event.event_type_value if event else None,
                entry.step_key,
                event.asset_key.to_user_string() if event and event.asset_key else None,
                event.partition if event else None,
                re.sub(r"in [\d.]+m?s\b", "in T", entry.user_message if not event else event.message or ""),
                json.dumps(meta, sort_keys=True),
            )
        )
    index = instance.event_log_storage.path_for_shard("index")
    tags = _rows(
        index,
        # values hold the run id (the default code version) or hashes of it
        "SELECT t.key, length(t.value), e.asset_key, e.partition FROM asset_event_tags t "
        "JOIN event_logs e ON e.id = t.event_id WHERE e.run_id = ? ORDER BY t.id",
        run_id,
    )
    checks = _rows(
        index,
        "SELECT check_name, partition, execution_status, asset_key FROM asset_check_executions WHERE run_id = ? ORDER BY id",
        run_id,
    )
    in_index = _rows(
        index,
        "SELECT dagster_event_type, asset_key, partition FROM event_logs WHERE run_id = ? ORDER BY id",
        run_id,
    )
    return {"events": events, "tags": tags, "checks": checks, "index": in_index}


def test_held_connections_write_what_dagster_writes_and_are_released(tmp_path):
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    storage = instance.event_log_storage
    plain_id, held_id = "0" * 8 + "-0000-0000-0000-" + "0" * 12, "1" * 8 + "-1111-1111-1111-" + "1" * 12
    assert _run(instance, plain_id).success

    held = HeldEventLog(instance, held_id)
    with held:
        assert "_connect" in vars(storage)  # this storage object only, not the class
        assert _run(instance, held_id).success
        assert set(held.engines) == {"index", held_id}  # both files written through held engines
        for engine in held.engines.values():
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert "_connect" not in vars(storage) and "has_table" not in vars(storage)
    assert held.engines == {}

    plain, with_held = _what_the_ui_reads(instance, plain_id), _what_the_ui_reads(instance, held_id)
    assert with_held == plain
    types = [e[0] for e in plain["events"]]
    # the slice is what a `frontline run` writes: one materialization (and one planned) per partition
    assert types.count("ASSET_MATERIALIZATION") == 3 + 1
    assert [e[3] for e in plain["events"] if e[0] == "ASSET_MATERIALIZATION" and e[2] == "snapshots"] == [
        "2024-07-08",
        "2024-07-09",
        "2024-07-10",
    ]
    assert plain["checks"][-1] == ("contract", None, "SUCCEEDED", '["areas"]')
    assert [(key, partition) for key, _, _, partition in plain["tags"]] == [
        ("dagster/data_version", day) for day in ("2024-07-08", "2024-07-09", "2024-07-10", None)
    ]
    # closing the held connections checkpointed their WAL into the database files
    for shard in ("index", held_id):
        wal = tmp_path / "history" / "runs" / f"{shard}.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    # the asset's latest materialization, as the UI and the next run's data versions read it
    record = instance.get_asset_records([dg.AssetKey("areas")])[0]
    assert record.asset_entry.last_materialization_record.run_id == held_id
