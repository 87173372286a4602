"""Benchmark: full rebuild and one-day increment against a naive baseline, same machine, same run.

The baseline is what a notebook does: loop over every DeepState GeoJSON file, parse it with
shapely, measure it with pyproj and diff it with the previous day. Each phase runs in a forked
child so its peak memory (max RSS) is its own. Not a test: prints timings and ratios.

    ./dev.sh bench [--mirror ../shared/data] [--days N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
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
    from warehouse.config import Settings

    summary = run(Settings(home=home, sources=str(mirror)), start, end)
    if not summary.success:
        raise SystemExit(summary.text())
    return summary.days_computed or 0


def settlement_work(home: Path) -> int:
    """The settlement work of a full rebuild, alone, on a warehouse that has the rest: every
    (source, day) of the settlement step recomputed, its six tables rebuilt and validated."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from expectations import run_suite
    from transforms import settlement_models
    from warehouse import catalog, db

    with db.session(home / "warehouse.duckdb") as con:
        con.execute("DELETE FROM core.settlement_day_inputs")
        days = settlement_models.build_day_step(con)
        settlement_models.build_dim_settlement(con)
        for name in settlement_models.SQL_MODELS:
            settlement_models.build(con, name)
        for table in catalog.SETTLEMENT_TABLES:
            run_suite(con, table.name, today=dt.date.today())
    return days


def _child(queue, fn, args):
    t0 = time.perf_counter()
    try:
        result = fn(*args)
    except BaseException as exc:  # report it: the parent must never wait for a dead child
        queue.put(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
        raise
    queue.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, result))


def measure(fn, *args) -> tuple[float, float, object]:
    """(seconds, peak RSS MiB, result) of fn(*args) in a forked child."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(queue, fn, args))
    child.start()
    outcome = queue.get()
    child.join()
    if isinstance(outcome, Exception):
        raise SystemExit(f"{fn.__name__} failed: {outcome}")
    seconds, rss, result = outcome
    if child.exitcode:
        raise SystemExit(f"{fn.__name__} failed (exit {child.exitcode})")
    return seconds, rss, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=MIRROR)
    parser.add_argument("--days", type=int, default=0, help="only the first N DeepState days (0 = all)")
    args = parser.parse_args()

    files = sorted((args.mirror / "deepstate").glob("deepstatemap_data_*.geojson"))
    dates = [dt.datetime.strptime(p.stem[-8:], "%Y%m%d").date() for p in files]
    if args.days:
        dates = dates[: args.days]
    first, last = dates[0], dates[-1]
    calendar = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    work = Path(tempfile.mkdtemp(prefix="frontline-bench-"))
    try:
        full_mirror = _mirror_until(args.mirror, work / "mirror-full", last)
        cut_mirror = _mirror_until(args.mirror, work / "mirror-cut", dates[-2])

        base_s, base_mb, _ = measure(naive_baseline, args.mirror, calendar)
        full_s, full_mb, full_days = measure(frontline_run, full_mirror, work / "home-full", first, last)
        settle_s, settle_mb, settle_days = measure(settlement_work, work / "home-full")
        measure(frontline_run, cut_mirror, work / "home-inc", first, dates[-2])
        (cut_mirror / "deepstate" / files[len(dates) - 1].name).symlink_to(files[len(dates) - 1])
        inc_s, inc_mb, inc_days = measure(frontline_run, cut_mirror, work / "home-inc", dates[-2], last)
        rerun_s, rerun_mb, rerun_days = measure(frontline_run, cut_mirror, work / "home-inc", dates[-2], last)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"DeepState days: {len(dates)} ({first} … {last}); whole-history files: ISW, General Staff x3")
    print(f"{'phase':<44} {'seconds':>9} {'peak MiB':>9} {'time ratio':>11}")
    rows = [
        ("naive baseline (parse, area, diff all days)", base_s, base_mb),
        (f"frontline full rebuild ({full_days} days computed)", full_s, full_mb),
        (f"  of which settlements ({settle_days} days, alone)", settle_s, settle_mb),
        (f"frontline one new day ({inc_days} day computed)", inc_s, inc_mb),
        (f"frontline re-run, nothing new ({rerun_days} computed)", rerun_s, rerun_mb),
    ]
    for name, seconds, mb in rows:
        print(f"{name:<44} {seconds:>9.2f} {mb:>9.0f} {seconds / base_s:>10.2f}x")
    print(
        "\nframe: the frontline phases include Dagster run overhead, the raw layer (payloads and "
        "provenance in DuckDB), every SQL model, the GX suites and publishing; the baseline only "
        "computes the DeepState areas. A new day costs the baseline a full loop; frontline, one day."
    )


if __name__ == "__main__":
    main()
