"""Fault injection, small: `frontline run` SIGKILLed at 5 seeded points (fetch, geometry, checks,
publishing, the PostgreSQL load); after each kill LATEST is complete and `frontline verify`
accepts it, PostgreSQL serves a complete version, and the next run converges to the extracts of an
uninterrupted run. `./dev.sh faults` runs 50 kills and the other faults (bench/faults.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench import fault_scenarios, faults
from warehouse.publish import publish

ADMIN_DSN = os.environ.get("FRONTLINE_TEST_POSTGRES_DSN") or None
KILLS = 5
PHASES = ("fetch", "geometry", "checks", "publish", "postgres")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    c = faults.Campaign(tmp_path_factory.mktemp("faults"), ADMIN_DSN)
    try:
        c.prepare(("base",))
        yield c
    finally:
        c.close()


# ~9 pipeline runs (base, reference, 5 × killed + next): minutes on a quiet 2-core machine, far
# more when it is shared; the limit is generous, the time is not asserted.
@pytest.mark.timeout(3000)
def test_five_kills_leave_a_complete_latest_and_the_next_run_converges(campaign):
    lines = []
    trials = faults.run_campaign(
        KILLS, 101, None, ADMIN_DSN, workers=2, phases=PHASES, empty_every=0, campaign=campaign, out=lines.append
    )
    report = "\n".join(lines)
    assert len(trials) == KILLS
    for trial in trials:
        assert trial.converged, report
        assert trial.kill_s is not None and trial.kill_s > 0, report
        assert trial.fell_in in (*faults.PHASES, "startup", "between", "finish"), report
        # a kill never loses the published version, and PostgreSQL keeps serving one
        assert trial.after_kill.split(",")[0] in ("base", "new"), report
        if ADMIN_DSN:
            assert trial.after_kill.split(", PG ")[1] in ("base", "new"), report
    # the kills land where they were aimed, mostly (a step can end sooner than in the reference run)
    assert sum(t.fell_in == t.target for t in trials) >= 2, report


def test_a_dead_publish_leaves_no_version_behind(campaign, tmp_path):
    """A publish killed after writing the staged manifest: the folder is never listed as a
    version, and the next publish removes it."""
    home = tmp_path / "home"
    shutil.copytree(campaign.base_home, home, symlinks=True)
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
def test_a_read_only_home_is_one_clear_line_and_changes_nothing(campaign):
    home, _ = campaign.fresh("base", "read-only-test")
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
def test_a_load_whose_session_is_killed_names_the_real_cause(campaign):
    """The loading session terminated by the server: the error says so (it used to be "the
    connection is closed", from the advisory unlock in `finally` on the dead session)."""
    import threading
    import time

    import psycopg

    from warehouse.publish.postgres import publish_version

    database = campaign.create_db(campaign.base_db)
    dsn = campaign.dsn(database)
    raised = []

    def load():
        try:
            publish_version(dsn, campaign.base_home / "published", reader_role=campaign.reader)
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
