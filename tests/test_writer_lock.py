"""One writing run per FRONTLINE_HOME: a second run, from the CLI or from Dagster, stops before
touching anything and names the process that holds the warehouse."""

import select
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli import main
from orchestration.raw_assets import whole_file_assets
from orchestration.resources import WarehouseResource
from tests.conftest import MIRROR
from warehouse.store.writer_lock import WarehouseBusy, exclusive_writer

ROOT = Path(__file__).resolve().parents[1]
HOLD = "import sys; from pathlib import Path; from warehouse.store.writer_lock import exclusive_writer\n" + (
    "with exclusive_writer(Path(sys.argv[1])):\n    print('held', flush=True)\n    sys.stdin.read()\n"
)


@pytest.fixture
def held_by_another_process(tmp_path):
    home = tmp_path / "home"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert select.select([holder.stdout], [], [], 60)[0], "the holder never took the lock"
        assert holder.stdout.readline().strip() == "held"
        yield home, holder.pid
    finally:
        holder.stdin.close()  # the holder exits, and the system drops its lock
        holder.wait(timeout=30)


def test_a_second_cli_run_stops_before_touching_anything(held_by_another_process, monkeypatch, capsys):
    home, pid = held_by_another_process
    monkeypatch.setenv("FRONTLINE_HOME", str(home))
    monkeypatch.setenv("FRONTLINE_SOURCES", str(MIRROR))
    assert main(["run", "--start", "2024-07-08", "--end", "2024-07-08"]) == 2
    err = capsys.readouterr().err
    assert f"frontline run: error: {home} is being written by frontline (PID {pid}); nothing was changed" in err
    assert sorted(p.name for p in home.iterdir()) == ["writer.lock"]


def test_a_dagster_run_of_the_same_home_fails_at_resource_init(held_by_another_process):
    home, pid = held_by_another_process
    isw = next(a for a in whole_file_assets if a.key.path == ["raw", "isw"])
    result = dg.materialize(
        [isw], resources={"warehouse": WarehouseResource(home=str(home), sources=str(MIRROR))}, raise_on_error=False
    )
    assert not result.success
    messages = [e.message or "" for e in result.all_events] + [
        str(e.event_specific_data.error.message)
        for e in result.all_events
        if getattr(e.event_specific_data, "error", None)
    ]
    assert any(f"being written by frontline (PID {pid})" in m for m in messages), messages
    assert not (home / "warehouse.duckdb").exists()


def test_the_lock_is_reentrant_in_a_process_and_free_after_it(tmp_path):
    with exclusive_writer(tmp_path), exclusive_writer(tmp_path):
        pass
    with exclusive_writer(tmp_path):  # released: taken again
        code = f"from pathlib import Path; from warehouse.store.writer_lock import exclusive_writer as w\nwith w(Path({str(tmp_path)!r})): pass"
        other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert other.returncode == 1 and WarehouseBusy.__name__ in other.stderr
