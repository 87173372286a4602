"""While `frontline run` writes, readers of the published snapshot are never blocked."""

import contextlib
import datetime as dt
import os
import subprocess
import sys
import time

from orchestration.cli import main
from tests.conftest import make_mirror
from warehouse.ingest import sources
from warehouse.publish import publish

DAYS = [dt.date(2024, 7, 8) + dt.timedelta(days=i) for i in range(12)]


def _env(home, mirror):
    return os.environ | {"FRONTLINE_HOME": str(home), "FRONTLINE_SOURCES": str(mirror), "FRONTLINE_TODAY": "2026-07-01"}


def _frontline(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args], env=env, capture_output=True, text=True, **kwargs
    )


# Between two rounds of reads: each round starts two processes, which would otherwise take a core
# from the run they watch for its whole length (the run lasts far longer than a few rounds).
READ_EVERY_S = 2.0


def test_query_and_a_separate_duckdb_process_read_while_a_run_writes(tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "mirror", DAYS)
    home = tmp_path / "home"
    env = _env(home, mirror)
    # The first publication only sets the scene: in this process (a second process start would
    # import Dagster and GX again for nothing this test looks at).
    for key in ("FRONTLINE_HOME", "FRONTLINE_SOURCES", "FRONTLINE_TODAY"):
        monkeypatch.setenv(key, env[key])
    assert main(["run", "--start", "2024-07-08", "--end", "2024-07-09", "--quiet"]) == 0
    snapshot = publish.latest_snapshot(home / "published")

    # The run's log goes to a file: a pipe nobody reads until the end would fill and stall it.
    log_path = tmp_path / "run.log"
    log = log_path.open("w")
    writer = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--start", "2024-07-08", "--end", "2024-07-19"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reads_during_run = 0
    deadline = time.monotonic() + 900
    try:
        while writer.poll() is None and time.monotonic() < deadline:
            query = _frontline(
                env, "query", "SELECT count(*) AS n FROM fact_control_daily", "--format", "csv", timeout=60
            )
            assert query.returncode == 0, query.stderr
            assert query.stdout.startswith("n\n")
            other = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); print(c.sql('SELECT count(*) FROM dim_source').fetchall()[0][0])",
                    str(snapshot),
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert other.returncode == 0 and other.stdout.strip() == str(len(sources.ALL)), other.stderr
            if writer.poll() is None:
                reads_during_run += 1
                with contextlib.suppress(subprocess.TimeoutExpired):
                    writer.wait(timeout=READ_EVERY_S)
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait(timeout=60)
        log.close()
    output = log_path.read_text()
    assert writer.returncode == 0, output[-5000:]
    assert "new=10 unchanged=2" in output
    assert reads_during_run >= 2, "the run finished before the readers overlapped it"
    assert publish.latest_snapshot(home / "published") != snapshot
