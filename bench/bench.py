"""Benchmark: full rebuild and one-day increment against a naive baseline, same machine, same run.

The baseline is what a notebook does: loop over every DeepState GeoJSON file, parse it with
shapely, measure it with pyproj and diff it with the previous day. Each phase runs in a forked
child so its peak memory (max RSS, its worker processes included) is its own. A sampling profiler
(py-spy, a dev dependency) watches the full rebuild and the one-day run and says where their time
went. "One new day" is also measured on 100, 400 and 700 days of history: its cost should not grow
with the history. Not a test: prints timings and ratios.

    ./dev.sh bench [--mirror ../shared/data] [--days N] [--no-profile]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"


def naive_baseline(mirror: Path, days: list[dt.date]) -> int:
    import shapely
    from pyproj import Geod
    from shapely.geometry import shape

    geod = Geod(ellps="WGS84")

    def km2(g):
        return abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0]) / 1e6

    previous = None
    for day in days:
        path = mirror / "deepstate" / f"deepstatemap_data_{day:%Y%m%d}.geojson"
        if not path.exists():
            continue
        geom = shape(json.loads(path.read_text())["features"][0]["geometry"])
        km2(geom)
        if previous is not None:
            km2(geom.difference(previous)), km2(previous.difference(geom))
        previous = geom
    return len(days)


def _mirror_until(mirror: Path, root: Path, last: dt.date) -> Path:
    """Symlink every DeepState archive file up to ``last`` and every other source as it is."""
    (root / "deepstate").mkdir(parents=True)
    for path in sorted((mirror / "deepstate").glob("*.geojson")):
        if dt.datetime.strptime(path.stem[-8:], "%Y%m%d").date() <= last:
            (root / "deepstate" / path.name).symlink_to(path)
    for folder in mirror.iterdir():
        if folder.is_dir() and folder.name != "deepstate":
            (root / folder.name).symlink_to(folder)
    return root


def frontline_run(mirror: Path, home: Path, start: dt.date, end: dt.date) -> int:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from orchestration.runner import run
    from warehouse.store.config import Settings

    summary = run(Settings(home=home, sources=str(mirror)), start, end)
    if not summary.success:
        raise SystemExit(summary.text())
    return summary.days_computed or 0


def forget_settlement_work(home: Path) -> None:
    """A warehouse that has the rest as a full rebuild finds it before its settlement work: no
    stored settlement day, build key or validation to reuse."""
    from transforms.models import MODELS
    from warehouse.store import catalog, db

    settlement_tables = [f"{m.schema}.{m.table}" for m in MODELS.values() if m.package == "transforms.settlements"]
    with db.session(home / "warehouse.duckdb") as con:
        for stored in ("core.settlement_day_inputs", "core.settlement_day_status", "core.front_line_day"):
            con.execute(f"DELETE FROM {stored}")  # noqa: S608 - fixed names
        con.execute("DELETE FROM audit.model_builds WHERE list_contains(?, table_name)", [settlement_tables])
        names = [t.name for t in catalog.SETTLEMENT_TABLES]
        con.execute("DELETE FROM audit.validation_cache WHERE list_contains(?, table_name)", [names])
        con.execute("CHECKPOINT")  # the deletions written out before the work is timed


def settlement_work(home: Path) -> int:
    """The settlement work of a full rebuild, alone, on a warehouse that has the rest (after
    :func:`forget_settlement_work`): every (source, day) of the settlement step computed, its six
    tables built and validated."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from expectations import run_suite
    from transforms.models import MODELS, run_model
    from warehouse.store import catalog, db

    with db.session(home / "warehouse.duckdb") as con:
        days = run_model(con, "settlement_day_status")
        for model in MODELS.values():
            if model.package == "transforms.settlements" and model.table != "settlement_day_status":
                run_model(con, model.table)
        for table in catalog.SETTLEMENT_TABLES:
            run_suite(con, table.name, today=dt.date.today())
    return days


def _import_gx() -> None:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from expectations.runner import get_context

    get_context()


def _before_settlement_work(home: Path) -> None:
    _import_gx()  # GX's import is not the settlement work's: a full rebuild pays it once anyway
    forget_settlement_work(home)


def _child(queue, fn, args, before=None):
    if before is not None:
        before()
    t0 = time.perf_counter()
    try:
        result = fn(*args)
    except BaseException as exc:  # report it: the parent must never wait for a dead child
        queue.put(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
        raise
    rss = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    queue.put((time.perf_counter() - t0, rss / 1024, result))


def _py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


def measure(fn, *args, profile: Path | None = None, before=None) -> tuple[float, float, object]:
    """(seconds, peak RSS MiB, result) of fn(*args) in a forked child, after ``before()`` there
    (not timed); with ``profile``, py-spy samples the child (and its workers) into that file
    (collapsed stacks)."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(queue, fn, args, before))
    child.start()
    spy = None
    if profile is not None and (exe := _py_spy()):
        spy = subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(child.pid),
                "--subprocesses",
                "--format",
                "raw",
                "--rate",
                "50",
                "--nonblocking",
                "-o",
                str(profile),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    outcome = queue.get()
    child.join()
    if spy is not None:
        spy.wait(timeout=60)
    if isinstance(outcome, Exception):
        raise SystemExit(f"{fn.__name__} failed: {outcome}")
    seconds, rss, result = outcome
    if child.exitcode:
        raise SystemExit(f"{fn.__name__} failed (exit {child.exitcode})")
    return seconds, rss, result


OWN = ("orchestration/", "transforms/", "warehouse/", "expectations/")


def _where(frame: str) -> tuple[str, str]:
    """("regions.py:compute_day" or "shapely", location) of one py-spy frame "name (path:line)"."""
    name, _, location = frame.rpartition(" (")
    return name, location.rstrip(")")


def _stage(stack: list[str]) -> str:
    """Where one sample was: the innermost frame of frontline's own code and the library call it
    was in below that (e.g. ``regions.py:compute_day > shapely.difference``); outside frontline's
    code, Dagster's event log, imports or the rest of Dagster."""
    frames = [_where(f) for f in stack]  # outermost first
    own = [i for i, (_, loc) in enumerate(frames) if loc.startswith(OWN)]
    if not own:
        if any("event_log" in loc for _, loc in frames):
            return "(dagster event log)"
        if any("importlib" in loc for _, loc in frames):
            return "(imports)"
        return "(dagster run machinery)" if any(loc.startswith("dagster") for _, loc in frames) else "(other)"
    i = own[-1]
    name, loc = frames[i]
    label = f"{Path(loc.split(':')[0]).name}:{name}"
    below = frames[i + 1 :]
    if any("importlib" in where for _, where in below):
        return f"{label} > (imports)"
    if any("event_log" in where for _, where in below):
        return f"{label} > (dagster event log)"
    if below:
        package = below[0][1].split("/")[0]
        leaf = [n for n, where in below if where.split("/")[0] == package][-1]
        return f"{label} > {package}.{leaf.split('.')[-1]}"
    return label


def top_stages(profile: Path, n: int = 10) -> list[tuple[str, float]]:
    """The ``n`` stages with the most samples and their share of all samples."""
    if not profile.exists():
        return []
    counts: Counter[str] = Counter()
    for line in profile.read_text(errors="replace").splitlines():
        stack, _, weight = line.rpartition(" ")
        if not stack or not weight.isdigit():
            continue
        frames = [f for f in stack.split(";") if "(" in f]  # drop "process …" / thread roots
        counts[_stage(frames)] += int(weight)
    total = sum(counts.values()) or 1
    return [(stage, c / total) for stage, c in counts.most_common(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=MIRROR)
    parser.add_argument("--days", type=int, default=0, help="only the first N DeepState days (0 = all)")
    parser.add_argument("--no-profile", action="store_true", help="no py-spy sampling")
    args = parser.parse_args()

    files = sorted((args.mirror / "deepstate").glob("deepstatemap_data_*.geojson"))
    dates = [dt.datetime.strptime(p.stem[-8:], "%Y%m%d").date() for p in files]
    if args.days:
        dates = dates[: args.days]
    first, last = dates[0], dates[-1]
    calendar = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    work = Path(tempfile.mkdtemp(prefix="frontline-bench-"))
    profiles = {"full rebuild": work / "full.txt", "one new day": work / "one-day.txt"}
    if args.no_profile:
        profiles = {}
    try:
        full_mirror = _mirror_until(args.mirror, work / "mirror-full", last)
        base_s, base_mb, _ = measure(naive_baseline, args.mirror, calendar)
        full_s, full_mb, full_days = measure(
            frontline_run, full_mirror, work / "home-full", first, last, profile=profiles.get("full rebuild")
        )
        settle_s, settle_mb, settle_days = measure(
            settlement_work, work / "home-full", before=partial(_before_settlement_work, work / "home-full")
        )
        # One history grown in steps: at 100, 400 and 700 days (and at the last day), one new day.
        home = work / "home-inc"
        flat = []
        marks = [k for k in (100, 400, 700) if k < len(dates) - 1] + [len(dates) - 1]
        built_to = None
        for k in marks:
            mirror = _mirror_until(args.mirror, work / f"mirror-{k}", dates[k - 1])
            measure(frontline_run, mirror, home, built_to or first, dates[k - 1])
            (mirror / "deepstate" / files[k].name).symlink_to(files[k])
            is_last = k == marks[-1]
            seconds, mb, days = measure(
                frontline_run,
                mirror,
                home,
                dates[k - 1],
                dates[k],
                profile=profiles.get("one new day") if is_last else None,
            )
            flat.append((k, seconds, mb, days))
            built_to = dates[k]
        _, inc_s, inc_mb, inc_days = flat[-1]
        rerun_s, rerun_mb, rerun_days = measure(frontline_run, mirror, home, dates[-2], last)
        stages = {name: top_stages(path) for name, path in profiles.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"DeepState days: {len(dates)} ({first} … {last}); whole-history files: ISW, General Staff x3")
    print(f"{'phase':<52} {'seconds':>9} {'peak MiB':>9} {'time ratio':>11}")
    rows = [
        ("naive baseline (parse, area, diff all days)", base_s, base_mb),
        (f"frontline full rebuild ({full_days} days computed)", full_s, full_mb),
        (f"  of which settlements ({settle_days} days, alone, GX imported)", settle_s, settle_mb),
        (f"frontline one new day ({inc_days} day computed)", inc_s, inc_mb),
        (f"frontline re-run, nothing new ({rerun_days} computed)", rerun_s, rerun_mb),
    ]
    rows += [(f"  one new day after {k - 1} days of history ({d} computed)", s_, mb) for k, s_, mb, d in flat[:-1]]
    for name, seconds, mb in rows:
        print(f"{name:<52} {seconds:>9.2f} {mb:>9.0f} {seconds / base_s:>10.2f}x")
    one_day = [s_ for _, s_, _, _ in flat]
    print(f"one new day, slowest / fastest over {len(one_day)} history lengths: {max(one_day) / min(one_day):.2f}")
    for name, top in stages.items():
        if top:
            print(f"\nwhere the {name} went (py-spy samples, top stages):")
            for stage, share in top:
                print(f"  {share:>6.1%}  {stage}")
    print(
        "\nframe: the frontline phases include Dagster run overhead, the raw layer (payloads and "
        "provenance in DuckDB), every SQL model, the GX suites and publishing; the baseline only "
        "computes the DeepState areas. A new day costs the baseline a full loop; frontline, one day."
    )


if __name__ == "__main__":
    main()
