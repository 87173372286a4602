"""What `frontline run` prints while it runs: a live bar on a terminal (a real pty), plain stage
lines into a pipe, and with --quiet only the final status (and errors) — the real command, in
its own process, on a small slice of the mirror."""

from __future__ import annotations

import datetime as dt
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import duckdb

from tests.conftest import make_mirror
from warehouse.ingest import sources
from warehouse.publish import publish
from warehouse.store import catalog

FRONTLINE = str(Path(sys.executable).parent / "frontline")
DAYS = [dt.date(2024, 7, 8), dt.date(2024, 7, 9)]
ARGS = ["run", "--start", "2024-07-08", "--end", "2024-07-09"]


def _env(home: Path, mirror: Path | str) -> dict:
    return {
        **os.environ,
        "FRONTLINE_HOME": str(home),
        "FRONTLINE_SOURCES": str(mirror),
        "FRONTLINE_TODAY": "2026-07-01",
        "FRONTLINE_HTTP_INTERVAL": "0",
    }


def _run_on_a_terminal(args: list[str], env: dict) -> tuple[int, str, str]:
    """stderr on a pseudo-terminal (what a person sees), stdout into a pipe."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [FRONTLINE, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    chunks: list[bytes] = []

    def read():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    out = process.communicate(timeout=600)[0]
    reader.join(timeout=30)
    os.close(master)
    return process.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


def test_run_shows_progress_as_a_bar_on_a_terminal_lines_in_a_pipe_and_nothing_when_quiet(tmp_path):
    mirror = make_mirror(tmp_path / "mirror", DAYS)
    home = tmp_path / "home"
    env = _env(home, mirror)
    raw_assets = len(sources.ALL)  # one raw asset per source
    tables = len(catalog.PUBLISHED)

    # 1. first run, on a terminal: one line per stage, rewritten in place with a bar
    code, out, tty = _run_on_a_terminal(ARGS, env)
    assert code == 0, out + tty
    version = publish.latest_version(home / "published")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        geometry_days = con.execute("SELECT count(*) FROM core.region_day_inputs").fetchall()[0][0]
    assert geometry_days >= len(DAYS)
    frames = re.findall(r"\r\x1b\[K(\[[#-]{24}\] [^\r\n]*)", tty)
    texts = [f[27:] for f in frames]
    fetched = [int(m[1]) for t in texts if (m := re.match(r"fetched (\d+)/(\d+) sources", t))]
    assert fetched == list(range(1, raw_assets + 1))  # every source, in order, each once
    assert f"fetch deepstate {len(DAYS)}/{len(DAYS)} days" in texts
    assert f"geometry {geometry_days}/{geometry_days} days" in texts
    checked = [int(m[1]) for t in texts if (m := re.match(r"checks (\d+)/(\d+) tables", t))]
    assert checked == list(range(1, tables + 1))
    assert "[" + "#" * 24 + f"] checks {tables}/{tables} tables" in "\n".join(frames)
    assert "publishing" in tty and f"published new version {version}" in tty
    # a stage's bar ends with a newline before the next stage starts: the terminal keeps one line per stage
    finished = [line.rsplit("\r\x1b[K", 1)[-1] for line in tty.replace("\r\n", "\n").split("\n") if line]
    assert any(line.startswith("[" + "#" * 24 + f"] fetched {raw_assets}/{raw_assets}") for line in finished)
    assert f"published new version {version}" in out  # the summary, on stdout as before

    # 2. again into a pipe (a log file, CI): plain lines, nothing rewritten; nothing changed this time
    done = subprocess.run([FRONTLINE, *ARGS], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    fetched_lines = [line for line in lines if line.startswith("fetched ")]
    assert [int(re.match(r"fetched (\d+)/", line)[1]) for line in fetched_lines] == list(range(1, raw_assets + 1))
    assert all(re.fullmatch(rf"fetched \d+/{raw_assets} sources \(raw/\w+\)", line) for line in fetched_lines)
    assert "geometry 0/0 days (nothing changed)" in lines
    assert sum(line.startswith("checks ") for line in lines) == tables
    order = [
        next(i for i, line in enumerate(lines) if line.startswith(p))
        for p in ("fetched 1/", "checks 1/", "publishing", "published unchanged")
    ]
    assert order == sorted(order), lines  # (stages overlap: a table is checked once built, while others build)
    assert lines.index("geometry 0/0 days (nothing changed)") < order[2]
    assert lines[-1] == f"published unchanged {version}"

    # 3. --quiet (cron): nothing on stderr, one status line on stdout
    quiet = subprocess.run([FRONTLINE, *ARGS, "--quiet"], env=env, capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert re.fullmatch(rf"run [0-9a-f-]{{36}}: succeeded; published unchanged, still {version}\n", quiet.stdout)


def test_quiet_run_still_prints_the_errors(tmp_path):
    # Nothing listens on port 9: every fetch fails, the run fails, and --quiet says why. No backoff
    # between the HTTP layer's retries (FRONTLINE_HTTP_BACKOFF=0): they fail at once, not after 14 s each.
    env = {**_env(tmp_path / "home", "http://127.0.0.1:9/mirror"), "FRONTLINE_HTTP_BACKOFF": "0"}
    quiet = subprocess.run([FRONTLINE, *ARGS, "--quiet"], env=env, capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 1, quiet.stdout + quiet.stderr
    first, *rest = quiet.stdout.splitlines()
    assert re.fullmatch(r"run [0-9a-f-]{36}: FAILED; published nothing \(previous version stays\)", first)
    errors = [line for line in rest if line.startswith("  error: raw__")]
    # every source fetched over HTTP that does not wait for another: the DeepState assets wait for
    # the boundaries (their plausibility needs Ukraine's outline), settlements come from a package
    fetched_first = [s for s in sources.ALL if s.name not in ("deepstate", "deepstate_api", "settlements")]
    assert len(errors) == len(fetched_first) and all("127.0.0.1:9" in e for e in errors), quiet.stdout
    assert quiet.stderr == ""
