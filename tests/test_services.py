"""Production scheduling: a real `dagster-daemon` (started as `frontline daemon`) on a temporary
FRONTLINE_HOME fires a one-minute schedule and launches the run; the run publishes (instance in
SQLite files under the home), or fails and the run-failure sensor alerts a loopback webhook
(instance in a PostgreSQL database of its own, as a deployment whose webserver and daemon sit on
different hosts has it).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.conftest import PIPELINE_DAYS, deepstate_file, make_mirror, stop_process_group, webhook_receiver
from tests.test_geometry import _ring_area_km2
from warehouse.publish import publish
from warehouse.serve import alerts, status

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("FRONTLINE_TEST_POSTGRES_DSN")
DAYS = PIPELINE_DAYS[:2]
DAY = DAYS[-1]  # FRONTLINE_TODAY: the schedule asks for the archive's first day … this one
# The daemon starts (~20 s, more on a busy machine), a tick at the next minute, a run of two days:
# a bound on liveness, not a speed check (a CI run on a loaded machine took over 240 s).
WAIT_S = 600


@contextlib.contextmanager
def instance_database():
    """A PostgreSQL database of its own (other tests share the server), dropped afterwards."""
    import psycopg

    name = f"frontline_dagster_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo_to_dict(ADMIN_DSN)
    try:
        yield (
            f"postgresql://{params['user']}:{params['password']}@{params.get('host', '127.0.0.1')}:"
            f"{params.get('port', 5432)}/{name}"
        )
    finally:
        with psycopg.connect(make_conninfo(ADMIN_DSN), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def start_daemon(home: Path, mirror: Path, extra_env: dict) -> subprocess.Popen:
    inherited = {k: v for k, v in os.environ.items() if k != "FRONTLINE_DAGSTER_PG_URL"}  # only if given
    env = {
        **inherited,
        "FRONTLINE_HOME": str(home),
        "FRONTLINE_SOURCES": str(mirror),
        "FRONTLINE_TODAY": DAY.isoformat(),
        "FRONTLINE_SCHEDULE_CRON": "* * * * *",
        "FRONTLINE_HTTP_INTERVAL": "0",
        **extra_env,
    }
    log = (home.parent / "daemon.log").open("w")
    # its own session: the daemon's code server and run workers are stopped with it
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "daemon"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(done, instance_dir: Path, daemon: subprocess.Popen, log: Path):
    """``done(instance)``'s first truthy answer, polled while the daemon works."""
    deadline = time.monotonic() + WAIT_S
    instance = None
    while time.monotonic() < deadline:
        assert daemon.poll() is None, f"the daemon exited ({daemon.returncode}):\n{log.read_text()[-3000:]}"
        # once `frontline daemon` has created the instance's storage and says so (opened while it
        # is creating it, two processes would both migrate a new SQLite file)
        if instance is None and log.read_text().startswith("starting daemon:"):
            instance = dg.DagsterInstance.from_config(str(instance_dir))
        if instance is not None and (answer := done(instance)):
            return answer
        time.sleep(2)
    raise AssertionError(f"nothing within {WAIT_S} s; daemon log:\n{log.read_text()[-3000:]}")


def finished_run(instance: dg.DagsterInstance) -> dg.DagsterRun | None:
    return next((r for r in instance.get_runs() if r.is_finished), None)


class Scenario:
    """A daemon on a home of its own, watched from a thread that stops it at ``done``'s first
    answer: the other scenario's daemon runs meanwhile, and no later tick adds a run or an alert."""

    def __init__(self, root: Path, mirror: Path, extra_env: dict, done):
        self.home, self.log = root / "home", root / "daemon.log"
        self.home.mkdir()
        self.daemon = start_daemon(self.home, mirror, extra_env)
        self._outcome: dict = {}
        self._watcher = threading.Thread(target=self._watch, args=(done,), daemon=True)
        self._watcher.start()

    def _watch(self, done) -> None:
        try:
            self._outcome["answer"] = done(self)
        except BaseException as exc:  # re-raised in the test
            self._outcome["error"] = exc
        finally:
            stop_process_group(self.daemon)

    def wait(self, done):
        """``done(instance)``'s first truthy answer (wait_for on this scenario's daemon)."""
        return wait_for(done, self.home / "dagster", self.daemon, self.log)

    def result(self):
        self._watcher.join(3 * WAIT_S)
        assert not self._watcher.is_alive(), (
            f"the watcher is still waiting; daemon log:\n{self.log.read_text()[-3000:]}"
        )
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["answer"]


def _scenario_mirror(root: Path) -> Path:
    return make_mirror(root / "mirror", DAYS, cut=DAY)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    """Both daemons start together: each takes ~20 s to start and up to a minute until its
    schedule's first tick, and those waits overlap instead of adding up."""
    with contextlib.ExitStack() as stack:
        env = stack.enter_context(pytest.MonkeyPatch.context())
        root = tmp_path_factory.mktemp("sqlite")
        started = {"sqlite": Scenario(root, _scenario_mirror(root), {}, lambda s: s.wait(finished_run))}
        stack.callback(stop_process_group, started["sqlite"].daemon)
        if ADMIN_DSN:
            database = stack.enter_context(instance_database())
            url, received = stack.enter_context(webhook_receiver())
            root = tmp_path_factory.mktemp("postgres")
            mirror = _scenario_mirror(root)
            # the scheduled run meets a General Staff file with a non-numeric value
            personnel = mirror / "losses" / "russia_losses_personnel.json"
            records = json.loads(personnel.read_text())
            records[-1]["personnel"] = "1,403,550"
            personnel.unlink()  # never write through a symlink into the mirror
            personnel.write_text(json.dumps(records, indent=4))
            env.setenv("FRONTLINE_DAGSTER_PG_URL", database)  # for the instance read here

            def run_then_alert(scenario):
                run = scenario.wait(finished_run)
                scenario.wait(lambda _: received)
                return run

            extra = {
                "FRONTLINE_DAGSTER_PG_URL": database,
                "FRONTLINE_ALERT_WEBHOOK": url,
                "FRONTLINE_UI_URL": "http://frontline.example:3000",
            }
            started["postgres"] = Scenario(root, mirror, extra, run_then_alert)
            started["postgres"].received, started["postgres"].records = received, records
            stack.callback(stop_process_group, started["postgres"].daemon)
        yield started


def test_daemon_fires_the_schedule_and_its_run_publishes(scenarios):
    home = scenarios["sqlite"].home
    run = scenarios["sqlite"].result()
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    assert run.status == dg.DagsterRunStatus.SUCCESS, [e.message for e in instance.all_logs(run.run_id)][-5:]
    assert run.job_name == "daily_refresh"
    assert run.tags["dagster/schedule_name"] == "daily_refresh_schedule"
    assert run.tags["dagster/asset_partition_range_start"] == "2024-07-08"  # not 07-06: the archive starts here
    assert run.tags["dagster/asset_partition_range_end"] == DAY.isoformat()
    record = instance.get_latest_materialization_event(dg.AssetKey(["published", "extracts"]))
    version = record.asset_materialization.metadata["version"].value

    published = home / "published"
    assert publish.latest_version(published) == version
    manifest = json.loads((publish.version_path(published) / "manifest.json").read_text())
    assert manifest["checks"]["run_id"] == run.run_id
    rows = [
        r
        for r in pq.read_table(publish.version_path(published) / "fact_control_daily.parquet").to_pylist()
        if r["source"] == "deepstate" and r["region_code"] == "UA" and r["class"] == "occupied_total"
    ]
    assert [r["date"] for r in rows] == DAYS
    # the area of each day, computed here from the raw file
    for row in rows:
        coordinates = json.loads(deepstate_file(row["date"]).read_text())["features"][0]["geometry"]["coordinates"]
        independent = sum(_ring_area_km2(p[0]) - sum(_ring_area_km2(h) for h in p[1:]) for p in coordinates)
        assert row["area_km2"] == pytest.approx(independent, rel=1e-3)


def test_daemon_on_postgres_alerts_on_a_failed_run(scenarios):
    """The instance in PostgreSQL; the scheduled run meets a General Staff file with a
    non-numeric value, fails, and the run-failure sensor POSTs the alert and records it."""
    if "postgres" not in scenarios:
        if os.environ.get("FRONTLINE_TEST_REQUIRE_SERVICES"):
            pytest.fail("FRONTLINE_TEST_POSTGRES_DSN is not set")
        pytest.skip("FRONTLINE_TEST_POSTGRES_DSN is not set (run .ci/services to start PostgreSQL)")
    scenario = scenarios["postgres"]
    home, received, records = scenario.home, scenario.received, scenario.records
    run = scenario.result()
    assert "postgres_url" in (home / "dagster" / "dagster.yaml").read_text()
    assert not (home / "dagster" / "history").exists()  # runs and events are in PostgreSQL
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert publish.latest_version(home / "published") is None

    assert len(received) == 1
    path, content_type, body = received[0]
    assert path == "/hooks/frontline" and content_type == "application/json"
    assert body["kind"] == "run_failure" and body["run_id"] == run.run_id and body["job"] == "daily_refresh"
    assert body["failed_step"] == "raw__gs_personnel"
    assert body["file"].endswith("losses/russia_losses_personnel.json")
    assert f"element {len(records) - 1} (date {DAY})" in body["reason"]
    assert "1,403,550" in body["reason"]
    assert body["link"] == f"http://frontline.example:3000/runs/{run.run_id}"
    assert body["text"].startswith(f"frontline: run {run.run_id} (daily_refresh) failed at step raw__gs_personnel")

    logged = alerts.recorded(home)
    assert [(r["key"], r["delivered"]) for r in logged] == [(f"run:{run.run_id}", True)]
    page = status.page(home / "published", DAY, {})
    assert 'id="alerts"' in page and run.run_id in page and "raw__gs_personnel" in page
