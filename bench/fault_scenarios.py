"""Faults other than a kill, each on a copy of the base home of bench.faults: a stale writer.lock,
a read-only FRONTLINE_HOME, the disk full while publishing, PostgreSQL's connection killed in the
middle of the load and PostgreSQL unreachable. Each must leave a complete ``LATEST`` (and
PostgreSQL's current version complete), say what happened in one clear line, and the next run
(fault gone) must converge to the uninterrupted run's extracts.

The read-only home and the full disk are real: a read-only bind mount and a small tmpfs, made in a
private mount namespace (``unshare -m``, needs root) that vanishes with the run; without it those
two are skipped with the reason.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.faults import Campaign, compare_extracts, frontline, pg_current, published_state, start

ROOT = Path(__file__).resolve().parents[1]
FRONTLINE = Path(sys.executable).parent / "frontline"
HOLD = "import sys; from pathlib import Path; from warehouse.store.writer_lock import exclusive_writer\n" + (
    "with exclusive_writer(Path(sys.argv[1])):\n    print('held', flush=True)\n    sys.stdin.read()\n"
)


@dataclass
class Outcome:
    name: str
    ok: bool = True
    lines: list[str] = field(default_factory=list)
    skipped: str | None = None

    def expect(self, condition: bool, what: str) -> None:
        self.lines.append(f"{'ok ' if condition else 'NO '} {what}")
        self.ok = self.ok and bool(condition)


def tree(folder: Path) -> dict[str, str]:
    """relative path -> sha256 (or link target) of everything under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            out[str(path.relative_to(folder))] = "-> " + str(path.readlink())
        elif path.is_file():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _error_lines(output: str) -> str:
    lines = [x.strip() for x in output.splitlines() if "error" in x.lower() or "Traceback" in x]
    return " | ".join(lines)[:500]


def _converges(c: Campaign, outcome: Outcome, home: Path, env: dict, log: Path, database: str | None) -> None:
    """The next run, fault gone: succeeds, LATEST verifies, extracts equal the reference's."""
    code, out = frontline(["run", *c.range], env, log)
    outcome.expect(code == 0, f"next run without the fault: exit {code}")
    latest, problems = published_state(home, env, log)
    outcome.expect(not problems, f"LATEST {latest} verifies after it {problems or ''}")
    differ, modulo = compare_extracts(home, c.reference("base")[0])
    outcome.expect(
        not differ,
        f"extracts equal the uninterrupted run's {differ or ''} (equal without fetched_at: {', '.join(modulo) or '-'})",
    )
    if database:
        pg, problems = pg_current(c.dsn(database), home / "published")
        outcome.expect(
            pg == latest and not problems, f"PostgreSQL current = LATEST and complete ({pg}) {problems or ''}"
        )


def stale_lock(c: Campaign) -> Outcome:
    outcome = Outcome("stale writer.lock of a dead process")
    home, _ = c.fresh("base", "scenario-stale-lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    text = (home / "writer.lock").read_text()
    outcome.expect(f"PID {holder.pid}" in text, f"writer.lock names the dead holder: {text.strip()!r}")
    env = c.env(home, c.server(), None)
    _converges(c, outcome, home, env, c.work / "scenario-stale-lock.log", None)
    return outcome


def _namespace_ok() -> str | None:
    if shutil.which("unshare") is None:
        return "no unshare(1)"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"unshare -m refused: {probe.stderr.strip()}"


def _in_namespace(script: str, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", **env, "FRONTLINE": str(FRONTLINE)},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def read_only_home(c: Campaign) -> Outcome:
    outcome = Outcome("read-only FRONTLINE_HOME")
    if reason := _namespace_ok():
        outcome.skipped = reason
        return outcome
    home, _ = c.fresh("base", "scenario-read-only")
    env = c.env(home, c.server(), None)
    before = tree(home)
    script = 'mount --bind "$FRONTLINE_HOME" "$FRONTLINE_HOME" && mount -o remount,bind,ro "$FRONTLINE_HOME" && exec "$FRONTLINE" run "$@"'
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *c.range],
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", **env, "FRONTLINE": str(FRONTLINE)},
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    output = done.stdout + done.stderr
    outcome.expect(done.returncode == 2, f"run on a read-only home: exit {done.returncode}")
    outcome.expect(
        "cannot be written" in output and "Read-only file system" in output and "Traceback" not in output,
        f"one clear line: {_error_lines(output)}",
    )
    outcome.expect(tree(home) == before, "nothing under FRONTLINE_HOME changed")
    _converges(c, outcome, home, env, c.work / "scenario-read-only.log", None)
    return outcome


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def disk_full(c: Campaign) -> Outcome:
    """published/ on a tmpfs with room for what it holds plus half a version."""
    outcome = Outcome("disk full while publishing")
    if reason := _namespace_ok():
        outcome.skipped = reason
        return outcome
    from warehouse.publish import publish

    home, _ = c.fresh("base", "scenario-disk-full")
    env = c.env(home, c.server(), None)
    reference = c.reference("base")[0]
    version_bytes = _du(publish.version_path(reference / "published"))
    size = _du(home / "published") + version_bytes // 2
    stash, report = c.work / "scenario-disk-full-stash", c.work / "scenario-disk-full-out"
    stash.mkdir()
    report.mkdir()
    before = publish.latest_version(home / "published")
    script = f"""
set -e
P="$FRONTLINE_HOME/published"
mount --bind "$P" "{stash}"
mount -t tmpfs -o size={size} frontline-disk-full "$P"
cp -a "{stash}/." "$P/"
set +e
"$FRONTLINE" run {" ".join(c.range)} > "{report}/run" 2>&1; echo $? > "{report}/rc"
df -k "$P" | tail -1 > "{report}/df"
find "{stash}" -mindepth 1 -delete
cp -a "$P/." "{stash}/"
"""
    done = _in_namespace(script, env)
    outcome.expect(done.returncode == 0, f"namespace script: exit {done.returncode} {done.stderr.strip()[-300:]}")
    output = (report / "run").read_text(errors="replace")
    code = int((report / "rc").read_text())
    outcome.lines.append(
        f"    published/ on a {size // 1024} KiB tmpfs (a new version is {version_bytes // 1024} KiB); df after: {(report / 'df').read_text().split()[1:4]}"
    )
    outcome.expect(code == 1, f"run with the disk full: exit {code}")
    outcome.expect(
        "published__extracts" in output and "No space left on device" in output,
        f"the summary says why: {_error_lines(output)}",
    )
    latest, problems = published_state(home, env, c.work / "scenario-disk-full.log")
    outcome.expect(latest == before and not problems, f"LATEST still {before}, verifies {problems or ''}")
    leftovers = [p.name for p in (home / "published" / "versions").iterdir() if p.name.startswith(".")]
    outcome.expect(not leftovers, f"no half-written folder left {leftovers or ''}")
    _converges(c, outcome, home, env, c.work / "scenario-disk-full.log", None)
    return outcome


def pg_killed_mid_load(c: Campaign) -> Outcome:
    """pg_terminate_backend on the loading session while it copies rows."""
    outcome = Outcome("PostgreSQL connection killed mid-load")
    if not c.admin_dsn:
        outcome.skipped = "no FRONTLINE_TEST_POSTGRES_DSN"
        return outcome
    from bench.faults import _pg_connect

    home, database = c.fresh("base", "scenario-pg-killed")
    env = c.env(home, c.server(), database)
    log = c.work / "scenario-pg-killed.log"
    base_version = publish_latest(home)
    process = start(["run", *c.range, "--verbose"], env, log)
    killed = None
    with _pg_connect(c.admin_dsn) as admin:
        while process.exitcode is None and killed is None:
            text = log.read_text(errors="replace") if log.exists() else ""
            if 'step "published__postgres"' not in text:
                time.sleep(0.05)
                continue
            rows = admin.execute(
                "SELECT pid, left(query, 60) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
                " AND xact_start IS NOT NULL AND (query ILIKE 'COPY%%' OR query ILIKE 'CREATE TABLE%%' OR query ILIKE 'COMMENT%%')",
                [database],
            ).fetchall()
            for pid, query in rows:
                if admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchall()[0][0]:
                    killed = query
            time.sleep(0.002)
    process.join()
    output = log.read_text(errors="replace")
    outcome.expect(killed is not None, f"terminated the loading session during: {killed!r}")
    outcome.expect(process.exitcode == 1, f"run: exit {process.exitcode}")
    outcome.expect(
        "error: published__postgres" in output and "terminat" in output,
        f"the summary says why: {_error_lines(output.split('published new version')[-1])}",
    )
    latest, problems = published_state(home, env, log)
    outcome.expect(latest != base_version and not problems, f"the new version {latest} is published and verifies")
    pg, problems = pg_current(c.dsn(database), home / "published")
    outcome.expect(
        pg == base_version and not problems, f"PostgreSQL still serves the previous version, complete ({pg})"
    )
    _converges(c, outcome, home, env, log, database)
    c.drop_db(database)
    return outcome


def pg_unreachable(c: Campaign) -> Outcome:
    """PostgreSQL stopped: nothing listens on its port during the run."""
    outcome = Outcome("PostgreSQL stopped (nothing listening) during the run")
    if not c.admin_dsn:
        outcome.skipped = "no FRONTLINE_TEST_POSTGRES_DSN"
        return outcome
    from psycopg.conninfo import make_conninfo

    home, database = c.fresh("base", "scenario-pg-down")
    env = c.env(home, c.server(), database)
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = env | {"FRONTLINE_POSTGRES_DSN": make_conninfo(env["FRONTLINE_POSTGRES_DSN"], host="127.0.0.1", port=port)}
    log = c.work / "scenario-pg-down.log"
    base_version = publish_latest(home)
    code, output = frontline(["run", *c.range], down, log)
    outcome.expect(code == 1, f"run: exit {code}")
    outcome.expect(
        "error: published__postgres" in output and "refused" in output,
        f"the summary says why: {_error_lines(output)}",
    )
    latest, problems = published_state(home, env, log)
    outcome.expect(latest != base_version and not problems, f"the new version {latest} is published and verifies")
    pg, problems = pg_current(c.dsn(database), home / "published")
    outcome.expect(pg == base_version and not problems, f"PostgreSQL keeps the previous version, complete ({pg})")
    _converges(c, outcome, home, env, log, database)
    c.drop_db(database)
    return outcome


def publish_latest(home: Path) -> str | None:
    from warehouse.publish import publish

    return publish.latest_version(home / "published")


SCENARIOS = (stale_lock, read_only_home, disk_full, pg_killed_mid_load, pg_unreachable)


def run_all(work: Path, admin_dsn: str | None, out=print, scenarios=SCENARIOS) -> list[Outcome]:
    c = Campaign(work, admin_dsn)
    results = []
    try:
        c.prepare(("base",))
        for scenario in scenarios:
            t0 = time.time()
            try:
                outcome = scenario(c)
            except Exception as exc:  # report it with the others
                outcome = Outcome(scenario.__name__, ok=False, lines=[f"NO  raised {type(exc).__name__}: {exc}"])
            state = f"skipped ({outcome.skipped})" if outcome.skipped else "ok" if outcome.ok else "FAILED"
            out(f"{outcome.name}: {state} ({time.time() - t0:.0f} s)")
            for line in outcome.lines:
                out(f"    {line}")
            results.append(outcome)
    finally:
        c.close()
    return results
