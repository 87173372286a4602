"""The Dagster wiring: what the UI shows is what `frontline run` ran."""

import datetime as dt
import os

import dagster as dg
import pytest
import shapely.geometry

from orchestration.definitions import defs


def test_definitions_have_partitioned_single_run_backfills_a_schedule_and_blocking_checks():
    repo = defs.get_repository_def()
    deepstate = repo.assets_defs_by_key[dg.AssetKey(["raw", "deepstate_snapshots"])]
    assert deepstate.partitions_def.start.date().isoformat() == "2024-07-08"
    assert deepstate.backfill_policy == dg.BackfillPolicy.single_run()
    schedule = repo.get_schedule_def("daily_refresh_schedule")
    assert schedule.cron_schedule == "30 7 * * *" and schedule.execution_timezone == "UTC"
    graph = repo.asset_graph
    contract = [graph.get_check_spec(key) for key in graph.asset_check_keys if key.name == "contract"]
    assert contract and all(spec.blocking for spec in contract)
    assert {spec.asset_key for spec in contract} >= {
        dg.AssetKey(["core", "fact_control_daily"]),
        dg.AssetKey(["core", "fact_losses_monthly"]),
    }


def test_the_ui_instance_holds_the_cli_run_and_its_checks(published):
    instance = dg.DagsterInstance.from_config(str(published["home"] / "dagster"))
    # The run that published the version (other tests in this process may add runs of single
    # assets to this instance: DAGSTER_HOME is set by the CLI run, so runs are not counted).
    record = instance.get_latest_materialization_event(dg.AssetKey(["published", "extracts"]))
    assert record.asset_materialization.metadata["version"].value == published["dir"].name
    run = instance.get_run_by_id(record.run_id)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags["dagster/asset_partition_range_start"] == "2024-07-08"
    assert run.tags["dagster/asset_partition_range_end"] == "2024-07-10"
    key = dg.AssetCheckKey(dg.AssetKey(["core", "fact_control_daily"]), "contract")
    execution = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    assert execution.run_id == run.run_id
    assert execution.status.value == "SUCCEEDED"
    evaluation = execution.event.dagster_event.event_specific_data
    assert (evaluation.passed, evaluation.check_name) == (True, "contract")


def test_the_ui_never_sees_the_postgres_passwords(tmp_path):
    # What `dagster dev` loads and shows on its Resources page: the repository snapshot of the
    # code location, built in a fresh process with the variables set.
    import subprocess
    import sys

    code = (
        "from dagster._core.remote_representation.external_data import RepositorySnap\n"
        "from orchestration.definitions import defs\n"
        "snap = RepositorySnap.from_def(defs.get_repository_def())\n"
        "print({r.name: r.configured_values for r in snap.resources})\n"
    )
    env = {
        **os.environ,
        "FRONTLINE_HOME": str(tmp_path),
        "FRONTLINE_POSTGRES_DSN": "postgresql://loader:dsn-s3cret@127.0.0.1:5432/frontline",
        "FRONTLINE_POSTGRES_READER_PASSWORD": "reader-s3cret",
        "FRONTLINE_DAGSTER_PG_URL": "postgresql://dagster:pg-s3cret@127.0.0.1:5432/dagster",
        "FRONTLINE_ALERT_WEBHOOK": "https://hooks.example/services/token-s3cret",
    }
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert "FRONTLINE_POSTGRES_DSN" in shown and "FRONTLINE_POSTGRES_READER_PASSWORD" in shown
    assert "s3cret" not in shown


def test_run_outside_the_partitioned_days_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from orchestration.cli import main

    monkeypatch.setenv("FRONTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("FRONTLINE_TODAY", "2025-03-10")  # "today" is the pinned day, not the clock's
    cases = {
        ("2024-07-01", "2024-07-09"): "--start 2024-07-01 is before 2024-07-08, the first day of the DeepState"
        " daily archive",
        ("2024-07-10", "2024-07-09"): "--end 2024-07-09 is before --start 2024-07-10",
        (
            "2024-07-10",
            "2025-03-11",
        ): "--end 2025-03-11 is after 2025-03-10, the newest day that can have been published (today)",
    }
    for (start, end), message in cases.items():
        assert main(["run", "--start", start, "--end", end]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == f"frontline run: error: {message}"
    assert not (tmp_path / "published").exists()


def test_fetch_settings_reach_the_assets_through_the_resource(tmp_path, monkeypatch):
    from orchestration.resources import WarehouseResource
    from warehouse.store.config import Settings

    monkeypatch.setenv("FRONTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("FRONTLINE_SOURCES", "http://127.0.0.1:9/mirror")
    monkeypatch.setenv("FRONTLINE_HTTP_INTERVAL", "2.5")
    monkeypatch.setenv("FRONTLINE_TODAY", "2026-07-01")
    seen = WarehouseResource.from_settings(Settings.from_env()).settings
    assert (seen.home, seen.sources, seen.http_interval_s, seen.today) == (
        tmp_path.resolve(),
        "http://127.0.0.1:9/mirror",
        2.5,
        dt.date(2026, 7, 1),
    )


def test_the_schedule_requests_the_recheck_window_and_its_job_publishes(tmp_path, monkeypatch):
    """The schedule's body evaluated at 07:30 UTC on 2024-07-10 (FRONTLINE_RECHECK_DAYS=2), and
    the job it names run with the request's tags on a three-day slice of the mirror."""
    import json

    import pyarrow.parquet as pq

    from orchestration.checks import suite_checks
    from orchestration.definitions import all_assets, resources
    from orchestration.runner import prepare_instance
    from orchestration.schedules import daily_refresh_job, daily_refresh_schedule
    from tests.conftest import deepstate_file, make_mirror
    from tests.test_pipeline import geodesic_km2
    from warehouse.publish import publish
    from warehouse.store.config import Settings

    days = [dt.date(2024, 7, 8), dt.date(2024, 7, 9), dt.date(2024, 7, 10)]
    mirror = make_mirror(tmp_path / "mirror", days, cut=days[-1])
    monkeypatch.setenv("FRONTLINE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRONTLINE_SOURCES", str(mirror))
    monkeypatch.setenv("FRONTLINE_TODAY", "2024-07-10")
    monkeypatch.setenv("FRONTLINE_RECHECK_DAYS", "2")
    settings = Settings.from_env()
    instance = prepare_instance(settings)

    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=dt.datetime(2024, 7, 10, 7, 30, tzinfo=dt.UTC)
    )
    (request,) = daily_refresh_schedule.evaluate_tick(context).run_requests
    assert request.run_key == "2024-07-10T07:30:00+00:00"  # one run per tick (a minute's cron fires daily too)
    assert request.tags == {
        "dagster/asset_partition_range_start": "2024-07-08",  # 2024-07-10 − 2 recheck days
        "dagster/asset_partition_range_end": "2024-07-10",
        "dagster/schedule_name": "daily_refresh_schedule",
    }
    assert daily_refresh_schedule.job_name == "daily_refresh"

    test_defs = dg.Definitions(
        assets=all_assets,
        asset_checks=suite_checks,
        jobs=[daily_refresh_job],
        schedules=[daily_refresh_schedule],
        resources=resources(settings),
        executor=dg.in_process_executor,
    )
    job = test_defs.get_job_def(daily_refresh_schedule.job_name)
    result = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]

    version = publish.version_path(settings.published_dir)
    rows = pq.read_table(version / "fact_control_daily.parquet").to_pylist()
    ua = {r["date"]: r["area_km2"] for r in rows if r["source"] == "deepstate" and r["region_code"] == "UA"}
    assert sorted(ua) == days
    for day in days:  # the archive's one polygon, its geodesic area computed here with pyproj
        polygon = shapely.geometry.shape(json.loads(deepstate_file(day).read_text())["features"][0]["geometry"])
        assert ua[day] == pytest.approx(geodesic_km2(polygon), rel=1e-6)
    manifest = publish.read_manifest(settings.published_dir)
    assert manifest["tables"]["fact_control_daily"]["rows"] == len(rows)
    assert manifest["tables"]["fact_control_daily"]["date_range"][1] == "2024-07-10"
    assert instance.get_runs()[0].tags["dagster/asset_partition_range_start"] == "2024-07-08"
