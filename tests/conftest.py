"""Fixtures that lay out small slices of the real mirror (../shared/data) and serve them.

Slices are symlinks to the mirror's files, or filtered copies written into the test's tmp dir,
never files committed to the repository.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import http.server
import io
import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from warehouse.ingest import sources
from warehouse.store.config import Settings

MIRROR = Path(os.environ.get("FRONTLINE_MIRROR", Path(__file__).resolve().parents[2] / "shared" / "data"))

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(autouse=True)
def _instance_env_restored():
    """`frontline run` points DAGSTER_HOME (and the Dagster PostgreSQL URL) at its home for the
    rest of the process, as the CLI should; in a test worker that would hand the next test's
    default Dagster instance a home a finished test owns (and whose tmp dir is gone)."""
    saved = {k: os.environ.get(k) for k in ("DAGSTER_HOME", "FRONTLINE_DAGSTER_PG_URL")}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _memory_temproot(path: str = "/dev/shm", room: int = 4 << 30) -> str | None:
    """A tmpfs with room for a suite's homes (~1.5 GB at most), if the machine has one."""
    try:
        stat = os.statvfs(path)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) and stat.f_bavail * stat.f_frsize >= room else None


# Every run commits Dagster's SQLite event log (an fsync per event) and checkpoints DuckDB files:
# on a busy disk those waits were a third of a bad-input case's time. tmp_path lives in memory
# instead (pytest's own PYTEST_DEBUG_TEMPROOT; set it to choose another root). Nothing here tests
# durability across a power cut; a SIGKILL (test_faults) leaves the page cache as a disk would.
if "PYTEST_DEBUG_TEMPROOT" not in os.environ and (_root := _memory_temproot()):
    os.environ["PYTEST_DEBUG_TEMPROOT"] = _root
# Tests serve the mirror on loopback: no pacing between requests there (test_territory checks pacing).
os.environ.setdefault("FRONTLINE_HTTP_INTERVAL", "0")


# Whole-history files a mirror slice carries (cut at the slice's last day when asked).
WHOLE_FILES = (
    sources.ISW,
    sources.GS_PERSONNEL,
    sources.GS_EQUIPMENT,
    sources.GS_EQUIPMENT_CORRECTIONS,
    *sources.CASUALTY_SOURCES,
)


def _casualty_row_date(source: sources.Source, row: dict) -> dt.date | None:
    """The date a casualty CSV row refers to (None for an empty row), per layout."""
    if source is sources.MEDIAZONA_2026:
        return dt.date.fromisocalendar(int(row["Year"]), int(row["Week"]), 1)
    text = (row.get("Date") or row.get("date") or "").strip()
    if not text:
        return None
    return (
        dt.date.fromisoformat(text)
        if source is sources.MEDIAZONA_2024
        else dt.datetime.strptime(text, "%d/%m/%Y").date()
    )


def cut_casualty_csv(source: sources.Source, content: bytes, cut: dt.date) -> bytes:
    """A Mediazona or estimates CSV with the rows dated after ``cut`` removed (BOM kept)."""
    bom = b"\xef\xbb\xbf" if content.startswith(b"\xef\xbb\xbf") else b""
    text = content[len(bom) :].decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(r for r in rows if (day := _casualty_row_date(source, r)) is not None and day <= cut)
    return bom + out.getvalue().encode("utf-8")


def deepstate_file(day: dt.date) -> Path:
    return MIRROR / sources.DEEPSTATE.relative_path(day)


# Two DeepState API snapshots (2024-07-07 and 2024-07-14, Kyiv dates) every slice carries by default.
API_SNAPSHOTS = (1720385367, 1720987853)


def make_api_mirror(root: Path, snapshot_ids, cut: dt.date | None = None) -> Path:
    """``deepstate_api/`` with the given snapshots (symlinks) and an index.json listing only them
    (and only those published by ``cut``, UTC, when given)."""
    folder = root / "deepstate_api"
    folder.mkdir(parents=True, exist_ok=True)
    listing = json.loads((MIRROR / "deepstate_api" / "index.json").read_text(encoding="utf-8"))
    kept = [e for e in listing if e["id"] in set(snapshot_ids)]
    assert len(kept) == len(set(snapshot_ids)), f"not in the mirror: {set(snapshot_ids) - {e['id'] for e in kept}}"
    if cut is not None:
        kept = [e for e in kept if dt.date.fromisoformat(e["createdAt"][:10]) <= cut]
    (folder / "index.json").write_text(json.dumps(kept, indent=1), encoding="utf-8")
    for e in kept:
        (folder / f"{e['id']}.geojson.gz").symlink_to(MIRROR / "deepstate_api" / f"{e['id']}.geojson.gz")
    return root


def make_mirror(root: Path, days: list[dt.date], cut: dt.date | None = None, api_snapshots=API_SNAPSHOTS) -> Path:
    """A mirror with the given DeepState days and the whole-history files cut at ``cut``
    (rows after it removed; ``None`` = the files as they are), the oblast boundaries and the
    given DeepState API snapshots."""
    boundaries = root / sources.OBLAST_BOUNDARIES.relative_path()
    boundaries.parent.mkdir(parents=True, exist_ok=True)
    boundaries.symlink_to(MIRROR / sources.OBLAST_BOUNDARIES.relative_path())
    make_api_mirror(root, api_snapshots, cut)
    for day in days:
        target = root / sources.DEEPSTATE.relative_path(day)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(deepstate_file(day))
    for source in WHOLE_FILES:
        original = MIRROR / source.relative_path()
        target = root / source.relative_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        if cut is None:
            target.symlink_to(original)
        elif source in sources.CASUALTY_SOURCES:
            target.write_bytes(cut_casualty_csv(source, original.read_bytes(), cut))
        elif original.suffix == ".csv":
            target.write_text(_cut_csv(original.read_text(encoding="utf-8"), cut), encoding="utf-8")
        else:
            records = json.loads(original.read_text(encoding="utf-8"))
            kept = [r for r in records if dt.date.fromisoformat(r["date"]) <= cut]
            target.write_text(json.dumps(kept, indent=4), encoding="utf-8")
    return root


def _cut_csv(text: str, cut: dt.date) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows(r for r in rows[1:] if dt.date.fromisoformat(r[0]) <= cut)
    return out.getvalue()


def add_day(mirror: Path, day: dt.date, cut_whole_files: bool = True) -> None:
    """Extend a cut mirror by one day: the DeepState file and the whole-history files up to it."""
    target = mirror / sources.DEEPSTATE.relative_path(day)
    target.symlink_to(deepstate_file(day))
    if cut_whole_files:
        for source in WHOLE_FILES:
            (mirror / source.relative_path()).unlink()
        tmp = make_mirror(mirror.parent / f"cut-{day}", [], cut=day)
        for source in WHOLE_FILES:
            (tmp / source.relative_path()).replace(mirror / source.relative_path())


@pytest.fixture
def settings_for(tmp_path):
    """Settings with a fresh FRONTLINE_HOME under tmp_path, reading from the given base."""

    def _make(base: str | Path, today: dt.date = dt.date(2026, 7, 1)) -> Settings:
        return Settings(home=tmp_path / "home", sources=str(base), today_override=today, http_interval_s=0)

    return _make


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@pytest.fixture
def http_mirror():
    """Serve a folder on 127.0.0.1 with a real HTTP server; yields a function folder -> base URL."""
    servers = []

    def _serve(folder: Path, handler=_QuietHandler) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield _serve
    for server in servers:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def webhook_receiver():
    """A loopback HTTP server that records what is POSTed to it; yields (url, [(path, content
    type, JSON body), ...])."""
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], json.loads(body)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/frontline", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook():
    """webhook_receiver() for one test."""
    with webhook_receiver() as hook:
        yield hook


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released): free for a server to take, or
    closed for a client to be refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(process: subprocess.Popen) -> None:
    """End a process started with start_new_session=True and its group (a daemon's code server
    and run workers, dagster dev's webserver and daemon): SIGTERM, SIGKILL after 30 s, then
    SIGKILL to whatever of the group outlived it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


PIPELINE_DAYS = [dt.date(2024, 7, 8), dt.date(2024, 7, 9), dt.date(2024, 7, 10)]


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    """One run over three DeepState days and the full whole-history files, shared by the
    modules that read what it published."""
    from orchestration.cli import main
    from warehouse.publish import publish

    root = tmp_path_factory.mktemp("pipeline")
    mirror = make_mirror(root / "mirror", PIPELINE_DAYS)
    home = root / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("FRONTLINE_HOME", str(home))
    mp.setenv("FRONTLINE_SOURCES", str(mirror))
    mp.setenv("FRONTLINE_TODAY", "2026-07-01")
    try:
        code = main(["run", "--start", "2024-07-08", "--end", "2024-07-10"])
    finally:
        mp.undo()
    assert code == 0
    return {"home": home, "mirror": mirror, "dir": publish.version_path(home / "published")}


# The bad-input modules' published baseline (tests/test_bad_input.py's `case` copies it).
BASELINE_DAYS = [dt.date(2024, 7, 8), dt.date(2024, 7, 9)]
BASELINE_TODAY = dt.date(2026, 7, 1)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory):
    """A home with one published version (two DeepState days, the full whole-history files), to be
    copied by each bad-input case (never written to). Session-wide: the three bad-input modules
    share one per worker instead of one run each."""
    from orchestration.cli import main

    root = tmp_path_factory.mktemp("baseline")
    mirror = make_mirror(root / "mirror", BASELINE_DAYS)
    mp = pytest.MonkeyPatch()
    mp.setenv("FRONTLINE_HOME", str(root / "home"))
    mp.setenv("FRONTLINE_SOURCES", str(mirror))
    mp.setenv("FRONTLINE_TODAY", BASELINE_TODAY.isoformat())
    try:
        code = main(["run", "--start", "2024-07-08", "--end", "2024-07-09"])
    finally:
        mp.undo()
    assert code == 0
    return root


# The longest modules (many `frontline run`s, daemons, whole-mirror files) go first, longest first:
# xdist (--dist loadfile --no-loadscope-reorder) hands a worker the next file when it runs low, so
# the two workers finish together instead of one waiting on a late long file. (Measured with
# --durations; a module longer than a fair share of the suite is split in two, as the bad-input
# catalogue is.)
LONG_MODULES = (
    "test_bad_input_catalogue_tables.py",
    "test_bad_input_catalogue.py",
    "test_faults.py",
    "test_pipeline.py",
    "test_progress.py",
    "test_services.py",
    "test_serve.py",
    "test_casualties.py",
    "test_concurrent_readers.py",
    "test_bad_input.py",
    "test_territory_full_history.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_MODULES)))  # stable: the rest keep their order


def add_cut_version(published_home: Path, root: Path) -> tuple[Path, str, str, int, int]:
    """A copy of the published folder (LATEST still the published version) plus a newer version
    beside it whose fact_losses_daily stops at 2026-05-31, so its rows differ; returns (folder,
    old, new, old rows, new rows)."""
    import shutil

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from warehouse.publish import publish

    folder = root / "published"
    shutil.copytree(published_home / "published", folder, symlinks=True)
    old = publish.latest_version(folder)
    new = "29990101T000000Z-feedbeef"
    target = publish.versions_dir(folder) / new
    shutil.copytree(publish.version_path(folder, old), target)
    data = pq.read_table(target / "fact_losses_daily.parquet")
    cut = data.filter(pc.field("date") <= dt.date(2026, 5, 31))
    pq.write_table(cut, target / "fact_losses_daily.parquet", compression="zstd")
    manifest = json.loads((target / "manifest.json").read_text())
    manifest.update(version=new, fingerprint="feedbeef" * 8)
    manifest["tables"]["fact_losses_daily"]["rows"] = cut.num_rows
    (target / "manifest.json").write_text(json.dumps(manifest))
    return folder, old, new, data.num_rows, cut.num_rows
