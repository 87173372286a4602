"""Fault injection: SIGKILL `frontline run` at seeded random points, then check what a user sees.

Not a test (the suite runs a 5-kill version, tests/test_faults.py): ``./dev.sh faults``.

A slice of the mirror (a few DeepState days, one new API snapshot, every whole-history file cut at
the slice's last day) is served on 127.0.0.1 by a server that streams files at a modest rate, so
a kill can land inside a transfer. Every trial starts from a copy of a *base* home (an earlier run
over the slice minus its last two days, published and loaded into PostgreSQL) or, one trial in
five, from an empty home, and runs ``frontline run`` over the whole slice:

1. A first, uninterrupted run from each start state is the reference: its extracts, and its
   timeline (Dagster step starts and ends from the instance's event log, each HTTP transfer from
   the server).
2. Each trial picks a phase (fetch, parse, geometry, transform, checks, publish, postgres: round
   robin), one segment of that phase in the reference timeline (an HTTP transfer, the parse and
   landing after one, or a step) and a fraction of its duration, all from the trial's seed. The
   run is started; when the segment begins (the server sees the request, or the run logs the
   step's start), the harness waits that fraction of the reference duration and sends SIGKILL.
   Where the kill really fell is read back from the killed run's own event log and the server.
3. After the kill: the warehouse opens; ``LATEST`` is absent (empty start, nothing published yet)
   or names a version ``frontline verify`` accepts, as does every version listed; ``latest`` agrees;
   PostgreSQL's current version is absent or complete (every view has the manifest's row count).
4. The next run succeeds, and its extracts equal the reference's: byte-identical files, except
   that the tables carrying ``fetched_at`` (when frontline fetched a payload) compare equal with
   those columns dropped — two independent runs fetch at different instants. PostgreSQL's current
   version is the new ``LATEST``, complete.

Runs are ``orchestration.cli.main(["run", …])`` — what the ``frontline`` script calls — in processes
forked from a server that has already imported Dagster and GX (``multiprocessing`` forkserver):
on 2 shared cores that import costs 5–25 s a run, where nothing can be interrupted.

    ./dev.sh faults [--kills 50] [--seed 1] [--no-scenarios] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PHASES = ("fetch", "parse", "geometry", "transform", "checks", "publish", "postgres")
# Dates of the slice: the base home holds the first three days; every trial adds the other six
# (fetched, parsed and landed, their geometry computed: long enough for kills to aim inside).
DAYS = [dt.date(2024, 7, 10) + dt.timedelta(days=i) for i in range(9)]
BASE_N = 3
TODAY = "2026-07-01"
# Columns that differ between two independent runs by design: when frontline fetched a payload.
FETCH_TIME_COLUMNS = frozenset({"fetched_at"})
PRELOAD = ["orchestration.cli", "orchestration.runner", "orchestration.definitions", "expectations", "duckdb"]
STEP_START = re.compile(r'STEP_START - Started execution of step "([^"]+)"')


# --- the mirror, served slowly ------------------------------------------------------------------


def make_slices(root: Path, days: list[dt.date] = DAYS, base_days: int = BASE_N) -> tuple[Path, Path]:
    """(base mirror, full mirror): symlinks into the mirror (FRONTLINE_MIRROR, default
    ../shared/data) and whole files cut at their last day."""
    from tests.conftest import make_mirror

    base = make_mirror(root / "mirror-base", days[:base_days], cut=days[base_days - 1])
    full = make_mirror(root / "mirror-full", days, cut=days[-1])
    return base, full


class SlowMirror:
    """A folder on 127.0.0.1, each file streamed at ``rate`` bytes/s after ``latency`` seconds;
    records when each transfer starts and ends (wall clock) so kills can aim inside one."""

    def __init__(self, folder: Path, rate: float = 2_000_000, latency: float = 0.05):
        self.events: list[tuple[float, str, str]] = []  # (time, "start" | "end", path)
        self.cond = threading.Condition()
        mirror = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                mirror._note("start", self.path)
                try:
                    time.sleep(latency)
                    super().do_GET()
                finally:
                    mirror._note("end", self.path)

            def translate_path(self, path):  # the history API's own URLs (warehouse.ingest.sources.deepstate_api)
                if path == "/api/history/public":
                    path = "/deepstate_api/index.json"
                elif m := re.fullmatch(r"/api/history/(\d+)/geojson", path):
                    path = f"/deepstate_api/{m[1]}.geojson.gz"
                return super().translate_path(path)

            def copyfile(self, source, outputfile):
                while block := source.read(32 * 1024):
                    outputfile.write(block)
                    time.sleep(len(block) / rate)

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _note(self, kind: str, path: str) -> None:
        with self.cond:
            self.events.append((time.time(), kind, path))
            self.cond.notify_all()

    def mark(self) -> int:
        with self.cond:
            return len(self.events)

    def transfers(self, since: int = 0) -> list[tuple[str, float, float | None]]:
        """(path, start, end or None) of each request after ``since``."""
        with self.cond:
            events = self.events[since:]
        out, open_ = [], {}
        for t, kind, path in events:
            if kind == "start":
                open_[path] = len(out)
                out.append([path, t, None])
            elif path in open_:
                out[open_.pop(path)][2] = t
        return [tuple(x) for x in out]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- runs in forked processes -------------------------------------------------------------------

_CTX = None


def _context():
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(PRELOAD)
    return _CTX


def _cli(argv: list[str], env: dict[str, str], log: str, ignore_sigxfsz: bool) -> None:
    """Child: the environment of a `frontline` process, output to ``log``, then the CLI."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    for key in [k for k in os.environ if k.startswith("FRONTLINE_")]:
        del os.environ[key]
    os.environ.update(env)
    if ignore_sigxfsz:  # a write over RLIMIT_FSIZE fails with EFBIG instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    from orchestration.cli import main

    sys.exit(main(argv))


def start(argv: list[str], env: dict[str, str], log: Path, ignore_sigxfsz: bool = False):
    process = _context().Process(target=_cli, args=(argv, env, str(log), ignore_sigxfsz))
    process.start()
    return process


def frontline(argv: list[str], env: dict[str, str], log: Path, timeout: float = 900) -> tuple[int, str]:
    """Run one frontline command to its end: (exit code, its output)."""
    offset = log.stat().st_size if log.exists() else 0
    process = start(argv, env, log)
    process.join(timeout)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise RuntimeError(f"frontline {' '.join(argv)} did not finish in {timeout} s; see {log}")
    return process.exitcode, log.read_bytes()[offset:].decode("utf-8", "replace")


# --- the timeline of a run, from Dagster's event log --------------------------------------------


RUN_ID = re.compile(r" - ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) - ")


COUNTER = re.compile(r"(geometry|fetch deepstate): \d+/\d+ days")


def timeline(home: Path, log_text: str) -> tuple[dict[str, tuple[float, float | None]], dict[str, float]]:
    """(step key -> (start, end or None), progress counter line -> when) of the run whose
    --verbose output is ``log_text``, from the event log of the Dagster instance under ``home``
    (wall-clock timestamps). The counters are the lines long loops inside a step log
    (orchestration.progress.step_counter: ``geometry: 2/5 days``)."""
    import dagster as dg

    found = RUN_ID.search(log_text)
    if not found:
        return {}, {}
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        steps: dict[str, list] = {}
        counters: dict[str, float] = {}
        for entry in instance.all_logs(found[1]):
            kind = entry.dagster_event_type
            if kind is None and entry.step_key and COUNTER.fullmatch(entry.user_message or ""):
                counters[entry.user_message] = entry.timestamp
            if entry.step_key is None or kind is None:
                continue
            if kind.value == "STEP_START":
                steps[entry.step_key] = [entry.timestamp, None]
            elif kind.value in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in steps:
                steps[entry.step_key][1] = entry.timestamp
        # A SIGKILL can land after Dagster printed a STEP_START and before it stored it: that step was open.
        for step in STEP_START.findall(log_text):
            steps.setdefault(step, [max((b for b, _ in steps.values()), default=0.0), None])
        return {k: tuple(v) for k, v in steps.items()}, counters
    finally:
        instance.dispose()


def step_times(home: Path, log_text: str) -> dict[str, tuple[float, float | None]]:
    return timeline(home, log_text)[0]


def step_phase(step: str) -> str:
    if step.startswith("raw__"):
        return "parse"  # fetch when a transfer is in flight (see phase_at)
    if step == "core__region_daily_area":
        return "geometry"
    if step.endswith("_suite"):
        return "checks"
    if step == "published__postgres":
        return "postgres"
    if step.startswith("published__"):  # the extracts, the object-storage copy
        return "publish"
    return "transform"


def phase_at(t: float, steps: dict, transfers: list) -> tuple[str, str]:
    """(phase, what) the run was doing at wall-clock time ``t``."""
    for step, (begin, end) in steps.items():
        if begin <= t and (end is None or t < end):
            phase = step_phase(step)
            if phase == "parse":
                for path, t0, t1 in transfers:
                    if t0 <= t and (t1 is None or t < t1):
                        return "fetch", f"GET {path}"
            return phase, step
    if not steps or t < min(b for b, _ in steps.values()):
        return "startup", "before the first step"
    if all(e is not None and e <= t for _, e in steps.values()) and "published__postgres" in steps:
        return "finish", "after the last step"
    return "between", "between two steps"


@dataclass
class Segment:
    """A stretch of the reference run a kill can aim at: it begins when ``anchor`` happens in the
    killed run (its step starts, the server sees the request or ends the response, the step logs
    a progress line) and lasted ``duration`` s in the reference run."""

    phase: str
    anchor: tuple[str, str]  # ("step", key) | ("request", path) | ("response", path) | ("line", text)
    duration: float
    label: str
    step: str = ""  # the step it lies in


def segments(steps: dict, transfers: list, counters: dict | None = None) -> dict[str, list[Segment]]:
    """Every place a kill can aim at, per phase, with its duration in the reference run: whole
    steps; inside a raw step each transfer (fetch) and the stretches between transfers (parse and
    land); inside the geometry step each day (between two progress lines)."""
    out: dict[str, list[Segment]] = {p: [] for p in PHASES}
    counters = counters or {}
    for step, (begin, end) in steps.items():
        phase = step_phase(step)
        if end is None:
            continue
        if phase == "geometry" and counters:
            marks = sorted(
                (t, line) for line, t in counters.items() if line.startswith("geometry") and begin <= t <= end
            )
            anchors = [(("step", re.escape(step)), begin, "")] + [
                (("line", re.escape(line)), t, f"after {line}") for t, line in marks
            ]
            for i, (anchor, t0, label) in enumerate(anchors):
                t1 = anchors[i + 1][1] if i + 1 < len(anchors) else end
                out[phase].append(Segment(phase, anchor, max(t1 - t0, 0.0), f"{step} {label}".strip(), step))
            continue
        if phase != "parse":
            out[phase].append(Segment(phase, ("step", re.escape(step)), end - begin, step, step))
            continue
        inside = sorted(
            (t for t in transfers if begin <= t[1] and t[2] is not None and t[2] <= end), key=lambda t: t[1]
        )
        first = inside[0][1] if inside else end
        out["parse"].append(Segment("parse", ("step", re.escape(step)), max(first - begin, 0.0), f"{step} start", step))
        for i, (path, t0, t1) in enumerate(inside):
            out["fetch"].append(Segment("fetch", ("request", re.escape(path)), t1 - t0, f"GET {path}", step))
            following = inside[i + 1][1] if i + 1 < len(inside) else end
            out["parse"].append(
                Segment("parse", ("response", re.escape(path)), max(following - t1, 0.0), f"after GET {path}", step)
            )
    return out


def aim(rng: random.Random, candidates: list[Segment], margin: float = 0.8) -> tuple[int, float]:
    """(index of a segment drawn with probability proportional to its duration, a fraction of its
    duration drawn uniformly over its first ``margin``: a run slower or faster than the reference
    one still has the kill land inside): kills spread evenly over the time the phase takes."""
    total = sum(s.duration for s in candidates)
    if total <= 0:
        return rng.randrange(len(candidates)), 0.0
    x, chosen = rng.random() * total, len(candidates) - 1
    for i, segment in enumerate(candidates):
        x -= segment.duration
        if x <= 0:
            chosen = i
            break
    return chosen, rng.random() * margin


# --- what a user sees after a kill ---------------------------------------------------------------


def _pg_connect(dsn: str):
    import psycopg

    return psycopg.connect(dsn, autocommit=True, connect_timeout=10)


def pg_current(dsn: str, published: Path) -> tuple[str | None, list[str]]:
    """(current version in PostgreSQL or None, problems): every view has the row count of that
    version's manifest."""
    from psycopg import sql

    from warehouse.publish import publish

    problems = []
    with _pg_connect(dsn) as conn:
        if not conn.execute("SELECT to_regclass('frontline.current_version')").fetchall()[0][0]:
            return None, []
        rows = conn.execute("SELECT version FROM frontline.current_version").fetchall()
        if not rows:
            return None, []
        version = rows[0][0]
        try:
            manifest = publish.read_manifest(published, version)
        except FileNotFoundError:
            return version, [f"PostgreSQL's current version {version} is not published under {published}"]
        for name, table in manifest["tables"].items():
            query = sql.SQL("SELECT count(*) FROM frontline.{}").format(sql.Identifier(name))
            count = conn.execute(query).fetchall()[0][0]
            if count != table["rows"]:
                problems.append(f"PostgreSQL frontline.{name}: {count} rows, version {version} has {table['rows']}")
    return version, problems


def published_state(home: Path, env: dict, log: Path, cli: bool = True) -> tuple[str | None, list[str]]:
    """(LATEST or None, problems): `frontline verify` accepts LATEST; every listed version verifies;
    the `latest` symlink agrees; the warehouse opens."""
    import duckdb

    from warehouse.publish import publish

    problems = []
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():
        try:
            with duckdb.connect(str(warehouse), read_only=True) as con:
                con.execute("SELECT count(*) FROM raw.payloads").fetchall()
        except Exception as exc:  # what a user would see
            problems.append(f"warehouse does not open: {exc}")
    published = home / "published"
    latest = publish.latest_version(published)
    if latest is None:
        if publish.list_versions(published):
            problems.append("versions exist but LATEST is missing")
        return None, problems
    if cli:  # the command a user runs; publish.verify is all it calls
        code, out = frontline(["verify"], env, log)
        if code != 0 or not out.strip().endswith(f"{latest}: ok"):
            problems.append(f"frontline verify (LATEST {latest}) exit {code}: {out.strip()[-400:]}")
    for version in publish.list_versions(published):
        if bad := publish.verify(published, version):
            problems.append(f"listed version {version} does not verify: {bad[:3]}")
    leftovers = [p.name for p in (published / "versions").glob(".staging-*")]
    leftovers += [p.name for p in (home / "tmp").glob("report-*")] if (home / "tmp").exists() else []
    if leftovers and not cli:  # after a complete run: a dead run's leftovers are gone
        problems.append(f"leftovers of the killed run: {leftovers}")
    link = published / "latest"
    if not link.is_symlink() or link.resolve() != (published / "versions" / latest).resolve():
        problems.append(f"published/latest does not point at LATEST {latest}")
    return latest, problems


def compare_extracts(home: Path, reference: Path) -> tuple[list[str], list[str]]:
    """(problems, tables equal only with the fetch-time columns dropped) between the LATEST
    extracts of ``home`` and of ``reference``."""
    import pyarrow.parquet as pq

    from warehouse.publish import publish

    ours, theirs = publish.read_manifest(home / "published"), publish.read_manifest(reference / "published")
    problems, modulo_fetch = [], []
    if set(ours["tables"]) != set(theirs["tables"]):
        return [f"tables differ: {sorted(set(ours['tables']) ^ set(theirs['tables']))}"], []
    for name, table in sorted(ours["tables"].items()):
        if table["sha256"] == theirs["tables"][name]["sha256"]:
            continue
        a = pq.read_table(publish.version_path(home / "published") / table["file"])
        b = pq.read_table(publish.version_path(reference / "published") / table["file"])
        drop = [c for c in a.column_names if c in FETCH_TIME_COLUMNS]
        if drop and a.drop_columns(drop).equals(b.drop_columns(drop), check_metadata=True):
            modulo_fetch.append(name)
        else:
            problems.append(f"{name}.parquet differs from the uninterrupted run's")
    return problems, modulo_fetch


# --- the campaign --------------------------------------------------------------------------------


@dataclass
class Trial:
    seed: int
    start: str  # "base" | "empty"
    target: str
    aimed: str = ""
    kill_s: float | None = None
    fell_in: str = ""
    what: str = ""
    after_kill: str = ""
    converged: bool = False
    problems: list[str] = field(default_factory=list)
    run_id: str | None = None  # the killed run's id in the Dagster instance
    seconds: float = 0.0


class Campaign:
    """Slices, servers, the base home and PostgreSQL databases of one fault-injection session.
    Trials may run in parallel threads: each thread has its own server (its own transfer log)."""

    def __init__(
        self, work: Path, admin_dsn: str | None, days: list[dt.date] = DAYS, base_days: int = BASE_N, mirror=None
    ):
        """``mirror``: serve this folder (holding ``days``) instead of building slices; no base home then."""
        self.work = work
        self.admin_dsn = admin_dsn
        self.days, self.base_days = days, base_days
        if mirror is None:
            self.base_mirror, self.full_mirror = make_slices(work, days, base_days)
        else:
            self.base_mirror, self.full_mirror = None, Path(mirror)
        self.servers: list[SlowMirror] = []
        self.local = threading.local()
        self.lock = threading.Lock()
        self.suffix = uuid.uuid4().hex[:10]
        self.reader = f"frontline_fr_{self.suffix}"
        self.databases: list[str] = []
        self.references: dict[str, tuple[Path, dict]] = {}
        self.base_home = work / "home-base"
        self.base_db: str | None = None
        self.range = ["--start", days[0].isoformat(), "--end", days[-1].isoformat()]

    def server(self, folder: Path | None = None) -> SlowMirror:
        """This thread's server of the full slice (or a new one of ``folder``)."""
        if folder is None and getattr(self.local, "server", None) is not None:
            return self.local.server
        server = SlowMirror(folder or self.full_mirror)
        with self.lock:
            self.servers.append(server)
        if folder is None:
            self.local.server = server
        return server

    # PostgreSQL: a database per trial, copied from the base run's
    def dsn(self, database: str | None) -> str | None:
        if not self.admin_dsn or database is None:
            return None
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.admin_dsn, dbname=database)

    def create_db(self, template: str | None = None) -> str | None:
        if not self.admin_dsn:
            return None
        from psycopg import sql

        with self.lock:
            name = f"frontline_f_{self.suffix}_{len(self.databases)}_{uuid.uuid4().hex[:4]}"
            self.databases.append(name)
            query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            with _pg_connect(self.admin_dsn) as admin:  # a template is copied by one session at a time
                admin.execute(query)
        return name

    def drop_db(self, name: str | None) -> None:
        if not name:
            return
        from psycopg import sql

        with _pg_connect(self.admin_dsn) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        with self.lock:
            self.databases.remove(name)

    def env(self, home: Path, server: SlowMirror, database: str | None) -> dict[str, str]:
        env = {
            "FRONTLINE_HOME": str(home),
            "FRONTLINE_SOURCES": server.url,
            "FRONTLINE_TODAY": TODAY,
            "FRONTLINE_HTTP_INTERVAL": "0",
            "GX_ANALYTICS_ENABLED": "false",
        }
        if dsn := self.dsn(database):
            env |= {"FRONTLINE_POSTGRES_DSN": dsn, "FRONTLINE_POSTGRES_READER": self.reader}
        return env

    def prepare(self, starts=("base", "empty")) -> None:
        """The base home (a run over the slice minus its last two days, published and loaded),
        then the reference run from each start state, in parallel."""
        if self.base_home.exists():
            starts = [s for s in starts if s not in self.references]
        else:
            self._base()
        threads = [threading.Thread(target=self.reference, args=(s,)) for s in starts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        missing = [s for s in starts if s not in self.references]
        if missing:
            raise SystemExit(f"the reference run(s) {missing} failed; see {self.work}")

    def _base(self) -> None:
        self.base_db = self.create_db()
        env = self.env(self.base_home, self.server(self.base_mirror), self.base_db)
        code, out = frontline(
            ["run", "--start", self.days[0].isoformat(), "--end", self.days[self.base_days - 1].isoformat()],
            env,
            self.work / "base.log",
        )
        if code != 0:
            raise SystemExit(f"the base run failed (exit {code}):\n{out[-3000:]}")

    def fresh(self, start: str, name: str) -> tuple[Path, str | None]:
        home = self.work / name
        if start == "base":
            shutil.copytree(self.base_home, home, symlinks=True)
            (home / "writer.lock").unlink(missing_ok=True)
            return home, self.create_db(self.base_db)
        return home, self.create_db()

    def reference(self, start: str) -> tuple[Path, dict]:
        """An uninterrupted run from ``start``: its home and its kill segments per phase."""
        if start not in self.references:
            home, database = self.fresh(start, f"reference-{start}")
            server, log = self.server(), self.work / f"reference-{start}.log"
            mark = server.mark()
            code, out = frontline(["run", *self.range, "--verbose"], self.env(home, server, database), log)
            if code != 0:
                raise SystemExit(f"the reference run ({start}) failed (exit {code}):\n{out[-3000:]}")
            steps, counters = timeline(home, out)
            self.references[start] = (home, segments(steps, server.transfers(mark), counters))
            self.drop_db(database)
        return self.references[start]

    def trial(self, seed: int, index: int, phases=PHASES, empty_every: int = 5) -> Trial:
        """Kill trial ``index`` (the phase it aims at: round robin over ``phases``; one trial in
        ``empty_every`` starts from an empty home) at a point drawn from ``seed``."""
        rng = random.Random(seed)
        start_state = "empty" if empty_every and index % empty_every == empty_every - 1 else "base"
        target = phases[index % len(phases)]
        reference_home, per_phase = self.reference(start_state)
        candidates = per_phase[target] or [s for p in PHASES for s in per_phase[p]]
        chosen, fraction = aim(rng, candidates)
        segment, delay = candidates[chosen], fraction * candidates[chosen].duration
        # if this run gets through the segment sooner than the reference did, the next ones of the phase
        fallbacks = [(s, fraction * s.duration) for s in candidates[chosen + 1 : chosen + 4]]
        trial = Trial(seed, start_state, target, aimed=f"{segment.label} +{delay:.2f}s")
        t0 = time.time()
        home, database = self.fresh(start_state, f"trial-{seed}")
        server = self.server()
        env = self.env(home, server, database)
        log = self.work / f"trial-{seed}.log"
        try:
            mark = server.mark()
            process = start(["run", *self.range, "--verbose"], env, log)
            started = time.time()
            killed_at, trial.run_id = self.kill(process, segment, delay, home, log, server, mark, trial, fallbacks)
            trial.kill_s = killed_at - started
            latest, problems = published_state(home, env, log)
            trial.problems += problems
            if start_state == "base" and latest is None:
                trial.problems.append("LATEST vanished")
            pg = None
            if database:
                pg, problems = pg_current(self.dsn(database), home / "published")
                trial.problems += problems
                if start_state == "base" and pg is None:
                    trial.problems.append("PostgreSQL lost its current version")
            base_version = _latest(self.base_home)
            trial.after_kill = _describe(latest, base_version) + (
                f", PG {_describe(pg, base_version)}" if database else ""
            )

            code, out = frontline(["run", *self.range], env, log)
            if code != 0:
                trial.problems.append(f"the next run failed (exit {code}): {out.strip()[-600:]}")
            else:
                trial.problems += dead_run_ended(home, trial.run_id)
                latest, problems = published_state(home, env, log, cli=False)
                trial.problems += problems
                differ, _ = compare_extracts(home, reference_home)
                trial.problems += differ
                if database:
                    pg, problems = pg_current(self.dsn(database), home / "published")
                    trial.problems += problems
                    if pg != latest:
                        trial.problems.append(f"PostgreSQL's current version {pg} is not LATEST {latest}")
            trial.converged = not trial.problems
        finally:
            self.drop_db(database)
            if trial.converged:
                shutil.rmtree(home, ignore_errors=True)
            trial.seconds = time.time() - t0
        return trial

    def chain(self, plan, seed: int, reference: Path) -> tuple[list[Trial], list[str]]:
        """One home, from empty: a run killed per entry of ``plan`` ((phase, anchor, largest delay
        s), in the order a run meets them), each next run picking up what the killed one left; then
        an uninterrupted run whose extracts must equal ``reference``'s. After each kill the checks
        of a trial (LATEST, every version, PostgreSQL, writer.lock free); at the end every killed
        run is FAILURE in the Dagster instance, marked by the run after it. (trials, final problems)"""
        rng = random.Random(seed)
        home, database = self.fresh("empty", f"chain-{seed}")
        server = self.server()
        env = self.env(home, server, database)
        trials, killed_runs, problems = [], [], []
        try:
            for i, (phase, anchor, largest) in enumerate(plan):
                delay = rng.random() * largest
                segment = Segment(phase, anchor, largest, f"{anchor[0]} {anchor[1]}")
                trial = Trial(seed, "chain", phase, aimed=f"{segment.label} +{delay:.2f}s")
                t0 = time.time()
                log = self.work / f"chain-{seed}-{i}.log"
                mark = server.mark()
                process = start(["run", *self.range, "--verbose"], env, log)
                killed_at, trial.run_id = self.kill(process, segment, delay, home, log, server, mark, trial)
                trial.kill_s = killed_at - t0
                killed_runs.append(trial.run_id)
                latest, found = published_state(home, env, log)
                trial.problems += found
                pg = None
                if database:
                    pg, found = pg_current(self.dsn(database), home / "published")
                    trial.problems += found
                trial.after_kill = _describe(latest, None) + (f", PG {_describe(pg, None)}" if database else "")
                trial.converged = not trial.problems
                trial.seconds = time.time() - t0
                trials.append(trial)
            log = self.work / f"chain-{seed}-final.log"
            code, out = frontline(["run", *self.range], env, log)
            if code != 0:
                return trials, [f"the run after the last kill failed (exit {code}): {out.strip()[-600:]}"]
            latest, found = published_state(home, env, log, cli=False)
            problems += found + compare_extracts(home, reference)[0]
            if database:
                pg, found = pg_current(self.dsn(database), home / "published")
                problems += found + (
                    [] if pg == latest else [f"PostgreSQL's current version {pg} is not LATEST {latest}"]
                )
            for run_id in killed_runs:
                problems += dead_run_ended(home, run_id)
            return trials, problems
        finally:
            self.drop_db(database)

    def kill(
        self, process, segment: Segment, delay: float, home: Path, log: Path, server, mark: int, trial, fallbacks=()
    ) -> tuple[float, str | None]:
        """Wait for ``segment`` to begin in the run, ``delay`` more, SIGKILL; if the segment ends
        first, the same with the next of ``fallbacks`` ((segment, delay)). Notes where the kill
        fell (from the killed run's own event log and the server) in ``trial``. (kill time, run id)"""
        for segment, delay in [(segment, delay), *fallbacks]:  # noqa: B020 (the last one tried is the one reported)
            if not self._wait_for(segment.anchor, process, log, server, mark):
                trial.problems.append(f"the run ended before {segment.label} (exit {process.exitcode})")
                break
            if self._sleep_within(segment, delay, process, log, server, mark):
                break
        trial.aimed = f"{segment.label} +{delay:.2f}s"
        killed_at = time.time()
        if process.exitcode is None:
            os.kill(process.pid, signal.SIGKILL)
        process.join()
        if process.exitcode != -signal.SIGKILL:
            trial.problems.append(f"the run finished (exit {process.exitcode}) before the kill")
        killed_output = log.read_text(encoding="utf-8", errors="replace")
        trial.fell_in, trial.what = phase_at(killed_at, step_times(home, killed_output), server.transfers(mark))
        if not lock_free(home):
            trial.problems.append("writer.lock is still held after the kill")
        found = RUN_ID.findall(killed_output)
        return killed_at, found[-1] if found else None

    def _sleep_within(self, segment: Segment, delay: float, process, log: Path, server: SlowMirror, mark: int) -> bool:
        """Sleep ``delay``: True; False as soon as the aimed step, transfer or stretch after a
        response ends in this run (a machine quieter than during the reference run is sooner)."""
        kind, name = segment.anchor
        end = time.time() + delay
        finished = f'Finished execution of step "{segment.step}"'
        with server.cond:
            since = len(server.events)
        while time.time() < end:
            if process.exitcode is not None:
                return False
            if segment.step and finished in log.read_bytes().decode("utf-8", "replace"):
                return False
            with server.cond:
                later = server.events[since:]
            if kind == "request" and any(k == "end" and re.fullmatch(name, p) for _, k, p in later):
                return False
            if kind == "response" and any(k == "start" for _, k, _ in later):
                return False  # the next transfer began: fetching again
            time.sleep(0.01)
        return True

    def _wait_for(self, anchor, process, log: Path, server: SlowMirror, mark: int, timeout: float = 900) -> bool:
        """Until the anchor happens in this run; False if the run ends first."""
        kind, name = anchor
        deadline = time.time() + timeout
        while time.time() < deadline and process.exitcode is None:
            if kind in ("step", "line"):
                text = log.read_bytes().decode("utf-8", "replace") if log.exists() else ""
                if kind == "step" and any(re.fullmatch(name, step) for step in STEP_START.findall(text)):
                    return True
                if kind == "line" and re.search(f" - {name}\n", text):
                    return True
                time.sleep(0.01)
                continue
            wanted = "start" if kind == "request" else "end"
            with server.cond:
                if any(k == wanted and re.fullmatch(name, p) for _, k, p in server.events[mark:]):
                    return True
                server.cond.wait(0.02)
        return False

    def close(self) -> None:
        for name in list(self.databases):
            self.drop_db(name)
        if self.admin_dsn:
            from psycopg import sql

            with _pg_connect(self.admin_dsn) as admin:
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.reader)))
        for server in self.servers:
            server.close()


def lock_free(home: Path) -> bool:
    """No process holds ``writer.lock`` (warehouse.store.writer_lock: a flock dies with its holder)."""
    import fcntl

    path = home / "writer.lock"
    if not path.exists():
        return True
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
    return True


def dead_run_ended(home: Path, run_id: str | None) -> list[str]:
    """Problems unless the killed run ``run_id`` is FAILURE in the Dagster instance, with the
    message of orchestration.runner.end_dead_runs (the next run marked it)."""
    import dagster as dg

    if run_id is None:
        return []  # killed before Dagster created its run
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        killed = instance.get_run_by_id(run_id)
        if killed is None:
            return []
        if killed.status != dg.DagsterRunStatus.FAILURE:
            return [f"the killed run {run_id} is still {killed.status.value} after the next run"]
        messages = [
            e.message
            for e in instance.all_logs(run_id)
            if e.dagster_event_type and e.dagster_event_type.value == "PIPELINE_FAILURE"
        ]
        if not any("died without ending" in m for m in messages):
            return [f"the killed run {run_id} failed without saying it died: {messages}"]
        return []
    finally:
        instance.dispose()


def _latest(home: Path) -> str | None:
    from warehouse.publish import publish

    return publish.latest_version(home / "published")


def _describe(version: str | None, base: str | None) -> str:
    if version is None:
        return "none yet"
    return "base" if base and version == base else "new"


def _row(trial: Trial) -> str:
    return (
        f"{trial.seed:>5} {trial.start:<5} {trial.target:<9} {trial.kill_s or 0:>7.2f} {trial.fell_in:<9} "
        f"{trial.what[:44]:<44} {trial.after_kill:<14} {'yes' if trial.converged else 'NO'}"
    )


HEADER = f"{'seed':>5} {'start':<5} {'aimed at':<9} {'kill s':>7} {'fell in':<9} {'what it was doing':<44} {'after kill':<14} converged"


def run_campaign(
    kills: int,
    seed: int,
    work: Path | None,
    admin_dsn: str | None,
    workers: int = 1,
    out=print,
    phases=PHASES,
    empty_every: int = 5,
    campaign: Campaign | None = None,
) -> list[Trial]:
    """``kills`` trials, seeds ``seed`` … ``seed + kills - 1``; rows printed as trials finish."""
    from concurrent.futures import ThreadPoolExecutor

    own = campaign is None
    campaign = campaign or Campaign(work, admin_dsn)
    try:
        campaign.prepare(("base", "empty") if empty_every and kills >= empty_every else ("base",))
        out(HEADER)
        printing = threading.Lock()

        def one(i: int) -> Trial:
            trial = campaign.trial(seed + i, i, phases, empty_every)
            with printing:
                out(_row(trial))
                for problem in trial.problems:
                    out(f"      problem: {problem}")
            return trial

        with ThreadPoolExecutor(max_workers=workers) as pool:
            trials = list(pool.map(one, range(kills)))
        return trials
    finally:
        if own:
            campaign.close()


def summary(trials: list[Trial]) -> str:
    by_phase = {p: sum(t.fell_in == p for t in trials) for p in (*PHASES, "startup", "between", "finish")}
    fell = ", ".join(f"{p} {n}" for p, n in by_phase.items() if n)
    converged = sum(t.converged for t in trials)
    return f"{len(trials)} kills ({fell}); converged {converged}/{len(trials)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="trials run side by side (each its own home)")
    parser.add_argument("--no-scenarios", action="store_true", help="only the kill campaign")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    admin_dsn = os.environ.get("FRONTLINE_TEST_POSTGRES_DSN") or None
    if not admin_dsn:
        print("FRONTLINE_TEST_POSTGRES_DSN is not set: no PostgreSQL load in the runs", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="frontline-faults-"))
    t0 = time.time()
    failed = False
    try:
        if args.kills:
            trials = run_campaign(args.kills, args.seed, work / "kills", admin_dsn, args.workers)
            print(summary(trials) + f"; {time.time() - t0:.0f} s")
            failed = not all(t.converged for t in trials)
        if not args.no_scenarios:
            from bench import fault_scenarios

            results = fault_scenarios.run_all(work / "scenarios", admin_dsn)
            failed = failed or not all(r.ok for r in results)
    finally:
        if args.keep or failed:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"fault injection: {'FAILED' if failed else 'all invariants held'} in {time.time() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
