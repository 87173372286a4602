"""The Dagster wiring: what the UI shows is what `frontline run` ran."""

import datetime as dt
import os

import dagster as dg

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
    runs = instance.get_runs()
    assert len(runs) >= 1 and runs[-1].status == dg.DagsterRunStatus.SUCCESS
    record = instance.get_latest_materialization_event(dg.AssetKey(["published", "extracts"]))
    assert record.asset_materialization.metadata["version"].value == published["dir"].name
    evaluation = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey(["core", "fact_control_daily"]), "contract")]
    )
    assert evaluation


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
    }
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert "FRONTLINE_POSTGRES_DSN" in shown and "FRONTLINE_POSTGRES_READER_PASSWORD" in shown
    assert "s3cret" not in shown


def test_run_outside_the_partitioned_days_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from orchestration.cli import main

    monkeypatch.setenv("FRONTLINE_HOME", str(tmp_path))
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    cases = {
        ("2024-07-01", "2024-07-09"): "--start 2024-07-01 is before 2024-07-08",
        ("2024-07-10", "2024-07-09"): "--end 2024-07-09 is before --start 2024-07-10",
        ("2024-07-10", tomorrow.isoformat()): f"--end {tomorrow} is after {tomorrow - dt.timedelta(days=1)}",
    }
    for (start, end), message in cases.items():
        assert main(["run", "--start", start, "--end", end]) == 2
        assert f"frontline run: error: {message}" in capsys.readouterr().err
    assert not (tmp_path / "published").exists()


def test_fetch_settings_reach_the_assets_through_the_resource(tmp_path, monkeypatch):
    from orchestration.resources import WarehouseResource
    from warehouse.config import Settings

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
