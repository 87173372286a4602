"""Fault injection, small: in one home, `frontline run` SIGKILLed once in every phase (fetch, parse
and land, geometry, SQL transforms, checks, publishing, the PostgreSQL load), each kill aimed by
the run's own events and where it fell read back from them; after each kill LATEST is absent or
complete and `frontline verify` accepts it, PostgreSQL serves nothing or a complete version, no
lock is left; each next run marks the killed one failed in Dagster; the run after the last kill
converges to the extracts of an uninterrupted run (the session's `published` run over the same
slice). `./dev.sh faults` runs independent kills and the other faults (bench/faults.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from bench import fault_scenarios, faults
from tests.conftest import PIPELINE_DAYS
from warehouse.publish import publish

RUN_FAILURE = dg.DagsterEventType.RUN_FAILURE
ADMIN_DSN = os.environ.get("FRONTLINE_TEST_POSTGRES_DSN") or None
# (phase, the event the kill waits for, the largest seeded delay after it, s), in the order a run
# meets them. Each delay is far shorter than the aimed stretch lasts: a fetch has the server's
# 0.05 s latency before its first byte, a parse is killed as its response ends, the geometry step
# after its first day.
CHAIN = (
    ("transform", ("step", r"core__dim_region"), 0.03),  # ~130 ms of work (core__dim_source: ~45 ms now)
    ("fetch", ("request", r".*"), 0.0),
    ("parse", ("response", r"/api/history/\d+/geojson"), 0.0),
    ("checks", ("step", r"\w+_suite"), 0.1),
    ("geometry", ("line", r"geometry: 1/\d+ days"), 0.0),
    ("publish", ("step", r"published__extracts"), 0.2),
    ("postgres", ("step", r"published__postgres"), 0.02),
)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, published):
    c = faults.Campaign(tmp_path_factory.mktemp("faults"), ADMIN_DSN, days=PIPELINE_DAYS, mirror=published["mirror"])
    try:
        yield c
    finally:
        c.close()


@pytest.mark.timeout(1800)
def test_a_kill_in_every_phase_leaves_a_complete_latest_and_the_next_run_converges(campaign, published):
    plan = CHAIN if ADMIN_DSN else CHAIN[:-1]  # no PostgreSQL load without a server
    trials, final = campaign.chain(plan, 7, published["home"])
    report = "\n".join([faults.HEADER, *(faults._row(t) + "".join(f"\n  {p}" for p in t.problems) for t in trials)])
    assert [t.target for t in trials] == [phase for phase, _, _ in plan]
    for trial in trials:
        # where the kill fell, from the killed run's own event log (and the server for a transfer)
        assert trial.fell_in == trial.target, report
        assert trial.problems == [], report
        assert trial.after_kill.split(",")[0] in ("none yet", "new"), report
    # a kill before publishing finished leaves nothing published; after it, the new version stays
    assert trials[-2 if ADMIN_DSN else -1].after_kill.startswith("none yet"), report
    if ADMIN_DSN:
        assert trials[-1].after_kill.split(",")[0] == "new", report
    # converged (and every killed run marked failed: bench.faults.dead_run_ended)
    assert final == [], report
    # the Dagster instance as the UI shows it: no run left in progress, each killed one FAILURE and
    # saying why, marked by the run after it (whose process is gone: `frontline run` tags its PID)
    instance = dg.DagsterInstance.from_config(str(campaign.work / "chain-7" / "dagster"))
    try:
        runs = {r.run_id: r for r in instance.get_runs()}
        assert len(runs) == len(plan) + 1
        for trial in trials:
            assert runs[trial.run_id].status == dg.DagsterRunStatus.FAILURE, report
            (failure,) = [e for e in instance.all_logs(trial.run_id) if e.dagster_event_type == RUN_FAILURE]
            pid = runs[trial.run_id].tags["frontline/pid"]
            assert f"its process (PID {pid} on " in failure.message and "died without ending" in failure.message
        assert sorted(r.status.value for r in runs.values()) == ["FAILURE"] * len(plan) + ["SUCCESS"]
    finally:
        instance.dispose()


def test_a_dead_publish_leaves_no_version_behind(published, tmp_path):
    """A publish killed after writing the staged manifest: the folder is never listed as a
    version, and the next publish removes it."""
    home = tmp_path / "home"
    shutil.copytree(published["home"], home, symlinks=True)
    published = home / "published"
    latest = publish.latest_version(published)
    staging = publish.versions_dir(published) / ".staging-4242-20260701T000000000000"
    shutil.copytree(publish.version_path(published), staging)
    assert publish.list_versions(published) == [latest]
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        again = publish.publish(con, published)
    assert not again.is_new and again.version == latest
    assert not staging.exists()
    assert publish.verify(published) == []


@pytest.mark.skipif(fault_scenarios._namespace_ok() is not None, reason="needs unshare -m (root)")
def test_a_read_only_home_is_one_clear_line_and_changes_nothing(campaign, published):
    home = campaign.work / "read-only-test"
    shutil.copytree(published["home"], home, symlinks=True)
    (home / "writer.lock").unlink(missing_ok=True)
    before = fault_scenarios.tree(home)
    env = campaign.env(home, campaign.server(), None)
    script = 'mount --bind "$FRONTLINE_HOME" "$FRONTLINE_HOME" && mount -o remount,bind,ro "$FRONTLINE_HOME" && exec "$FRONTLINE" run "$@"'
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *campaign.range],
        env={
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            **env,
            "FRONTLINE": str(Path(sys.executable).parent / "frontline"),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr
    assert (
        f"frontline run: error: {home} cannot be written (Read-only file system: {home / 'writer.lock'}); nothing was changed"
        in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert fault_scenarios.tree(home) == before


@pytest.mark.skipif(not ADMIN_DSN, reason="FRONTLINE_TEST_POSTGRES_DSN is not set (run .ci/services)")
def test_a_load_whose_session_is_killed_names_the_real_cause(campaign, published):
    """The loading session terminated by the server: the error says so (it used to be "the
    connection is closed", from the advisory unlock in `finally` on the dead session)."""
    import threading
    import time

    import psycopg

    from warehouse.publish.postgres import publish_version

    database = campaign.create_db()
    dsn = campaign.dsn(database)
    raised = []
    publish_version(dsn, published["home"] / "published", reader_role=campaign.reader)  # the tables exist

    def load():
        try:
            publish_version(dsn, published["home"] / "published", reader_role=campaign.reader)
        except Exception as exc:
            raised.append(exc)

    try:
        # `holder` holds the version table, so the load waits inside its session; `admin` watches
        # (pg_stat_activity is a snapshot per transaction: not from the holder's)
        with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as admin:
            holder.execute("LOCK TABLE frontline.published_versions IN ACCESS EXCLUSIVE MODE")
            loader = threading.Thread(target=load)
            loader.start()
            waiting = []
            for _ in range(600):
                waiting = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", [database]
                ).fetchall()
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting, f"the load never waited on the lock: {raised}"
            admin.execute("SELECT pg_terminate_backend(%s)", [waiting[0][0]])
            loader.join(60)
            holder.rollback()
        (error,) = raised
        assert isinstance(error, psycopg.OperationalError)
        assert "terminating connection due to administrator command" in str(error)
    finally:
        campaign.drop_db(database)
