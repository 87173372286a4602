"""What the status page shows about one published version, read from its manifest and Parquet
extracts (never from the warehouse file the pipeline is writing):

* per source: the newest day it contributes and how many days old that is;
* the run that published the version and its quality checks (counts, what did not pass, report);
* every downloadable file with its size and sha256;
* three charts: area held over time by source, monthly area gained vs lost, monthly losses;
* a map of the front on the latest DeepState day (warehouse.serve.front_map).

The page is static HTML with inline SVG: no scripts, nothing fetched from elsewhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.ingest import sources
from warehouse.publish import publish
from warehouse.serve import charts, front_map
from warehouse.store import catalog

TOTAL_REGION = "UA"
TOTAL_CLASS = "occupied_total"  # tables split by class (issue 3): all territory held
LOSSES_CATEGORY = "personnel"


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    newest: dt.date | None
    tables: tuple[str, ...]

    def age_days(self, today: dt.date) -> int | None:
        return None if self.newest is None else (today - self.newest).days


def _read(folder: Path, manifest: dict, table: str, columns: list[str]) -> pa.Table | None:
    """The columns of a table (None if the version lacks any of them), only the whole-country
    total: rows of region UA and, where the table is split by class, of all territory held."""
    entry = manifest["tables"].get(table)
    if entry is None:
        return None
    names = {c["name"] for c in entry["columns"]}
    if not set(columns) <= names:
        return None
    keys = [k for k in ("region_code", "class") if k in names and k not in columns]
    data = pq.read_table(folder / entry["file"], columns=columns + keys)
    if "region_code" in names:
        data = data.filter(pc.field("region_code") == TOTAL_REGION)
    if "class" in names:
        data = data.filter(pc.field("class") == TOTAL_CLASS)
    return data.select(columns)


def source_freshness(folder: Path, manifest: dict) -> list[SourceFreshness]:
    """Newest date per source over every table that names it. A table with a `source` column
    is split by it (and only observed rows count when it has `is_observed`); that answer is
    exact and wins. A source seen only in tables without one (a monthly mart, say) gets their
    last date, which may be the first day of a month."""
    exact: dict[str, dt.date] = {}
    newest: dict[str, dt.date] = {}
    tables: dict[str, list[str]] = {}
    for name, entry in manifest["tables"].items():
        if not entry.get("date_range"):
            continue
        columns = {c["name"] for c in entry["columns"]}
        documented = catalog.BY_NAME.get(name)
        date_column = (documented.date_column if documented else None) or next(
            c["name"] for c in entry["columns"] if c["type"] == "DATE"
        )
        if "source" in columns:
            wanted = [date_column, "source"] + (["is_observed"] if "is_observed" in columns else [])
            data = pq.read_table(folder / entry["file"], columns=wanted)
            if "is_observed" in columns:
                data = data.filter(pc.field("is_observed"))
            per_source = data.group_by("source").aggregate([(date_column, "max")])
            found = dict(
                zip(
                    per_source["source"].to_pylist(),
                    per_source[f"{date_column}_max"].to_pylist(),
                    strict=True,
                )
            )
        else:
            last = dt.date.fromisoformat(entry["date_range"][1])
            found = {source: last for source in entry["sources"]}
        for source, day in found.items():
            if day is None:
                continue
            tables.setdefault(source, []).append(name)
            newest[source] = max(newest.get(source, day), day)
            if "source" in columns:
                exact[source] = max(exact.get(source, day), day)
    newest.update(exact)
    listed = [s["name"] for s in manifest.get("sources", [])]
    return [
        SourceFreshness(s, newest.get(s), tuple(sorted(tables.get(s, ()))))
        for s in listed + sorted(set(newest) - set(listed))
    ]


def area_chart(folder: Path, manifest: dict) -> str:
    title, unit = "Area held by Russia, by source", "km²"
    data = _read(
        folder,
        manifest,
        "fact_control_daily",
        ["date", "source", "area_km2", "is_observed"],
    )
    if data is None:
        return charts.line_chart({}, title, unit)
    data = data.filter(pc.field("is_observed") & pc.field("area_km2").is_valid()).sort_by(
        [("source", "ascending"), ("date", "ascending")]
    )
    series: dict[str, list[charts.Point]] = {}
    for source, day, area in zip(
        data["source"].to_pylist(),
        data["date"].to_pylist(),
        data["area_km2"].to_pylist(),
        strict=True,
    ):
        series.setdefault(source, []).append((day, area))
    return charts.line_chart(series, title, unit)


def gained_lost_chart(folder: Path, manifest: dict) -> str:
    title, unit = "Area gained and lost per month (DeepState)", "km²"
    data = _read(
        folder,
        manifest,
        "fact_control_monthly",
        ["month", "source", "gained_km2", "lost_km2"],
    )
    if data is None:
        return charts.bar_chart([], {}, title, unit)
    data = data.filter(pc.field("source") == "deepstate").sort_by("month")
    lost = [None if v is None else -v for v in data["lost_km2"].to_pylist()]
    return charts.bar_chart(
        data["month"].to_pylist(),
        {"gained": data["gained_km2"].to_pylist(), "lost": lost},
        title,
        unit,
    )


def losses_chart(folder: Path, manifest: dict) -> str:
    title, unit = "Russian personnel losses per month (General Staff claims)", "people"
    data = _read(folder, manifest, "fact_losses_monthly", ["month", "category", "total"])
    if data is None:
        return charts.bar_chart([], {}, title, unit)
    data = data.filter(pc.field("category") == LOSSES_CATEGORY).sort_by("month")
    return charts.bar_chart(data["month"].to_pylist(), {LOSSES_CATEGORY: data["total"].to_pylist()}, title, unit)


CHARTS = {
    "area": area_chart,
    "gained-lost": gained_lost_chart,
    "losses": losses_chart,
    "front-map": front_map.front_map,
}
CAPTIONS = {
    "front-map": (
        "The front on the latest DeepState day: occupied area, what Russia gained and lost in the 30 days "
        "before, the front line and the largest towns within 20 km of it."
    ),
    "area": "Area held by Russia over time, by source (km²). The sources measure differently.",
    "gained-lost": "Area gained (up) and lost (down) per month according to DeepState (km²).",
    "losses": "Russian personnel losses per month as claimed by Ukraine's General Staff.",
}


def _age(days: int | None) -> str:
    if days is None:
        return "—"
    return f"{days} day" if days == 1 else f"{days} days"


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError


CSS = """
body{font-family:"DejaVu Sans",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #eee}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.d{white-space:nowrap}code{font-size:12px}
.stale{color:#a93226;font-weight:bold}.ok{color:#1e8449}
figure{margin:12px 0 20px}figcaption{font-size:13px;color:#555}
"""


def _freshness_cell(source: str, age: int | None) -> str:
    """Age of the newest day, marked stale past the source's allowed lag (warehouse.ingest.sources)."""
    known = sources.BY_NAME.get(source)
    allowed = known.freshness.allowed_lag_days if known else None
    title = escape(known.freshness.why if known else "not a known source", quote=True)
    if allowed is None:
        return f'<td class="n" title="{title}">{_age(age)}</td><td>no fixed cadence</td>'
    css = "ok" if age is not None and age <= allowed else "stale"
    return f'<td class="n {css}" title="{title}">{_age(age)}</td><td>within {_age(allowed)}</td>'


ALERTS_SHOWN = 10


def alerts_section(published_dir: Path) -> str:
    """The newest alerts (warehouse.serve.alerts) of the FRONTLINE_HOME that holds ``published_dir``."""
    from warehouse.serve.alerts import recorded

    records = recorded(published_dir.parent, limit=ALERTS_SHOWN)
    if not records:
        return ""
    out = ['<h2>Alerts</h2><table id="alerts"><tr><th>when (UTC)</th><th>kind</th><th>what</th><th>sent</th></tr>']
    for r in records:
        link = r.get("link")
        what = escape(r.get("text", ""))
        if link and link.startswith(("http://", "https://")):
            what += f' <a href="{escape(link, quote=True)}">link</a>'
        sent = "yes" if r.get("delivered") else escape(r.get("delivery_error") or "no")
        out.append(
            f'<tr class="alert {escape(r.get("kind", ""))}"><td class="d">{escape(r.get("at", "")[:19])}</td>'
            f"<td>{escape(r.get('kind', ''))}</td><td>{what}</td><td>{sent}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def page(published_dir: Path, today: dt.date, chart_svgs: dict[str, str]) -> str:
    """The status page of the latest version as one HTML document."""
    version = publish.latest_version(published_dir)
    if version is None:
        body = "<h1>frontline</h1><p>Nothing has been published yet.</p>" + alerts_section(published_dir)
        return _html("frontline status", body)
    folder = publish.version_path(published_dir, version)
    manifest = publish.read_manifest(published_dir, version)
    out = [
        "<h1>frontline — published data status</h1>",
        f"<p>Latest version <code>{escape(version)}</code>, published {escape(manifest['created_at'])}. "
        f"Today (UTC): {today.isoformat()}. "
        '<a href="manifest.json">manifest.json</a> · <a href="versions.json">all versions</a></p>',
        "<h2>Sources</h2><table><tr><th>source</th><th>newest day</th><th>age</th><th>expected</th><th>tables</th></tr>",
    ]
    for fresh in source_freshness(folder, manifest):
        out.append(
            f'<tr><td>{escape(fresh.source)}</td><td class="d">{fresh.newest or "—"}</td>'
            f"{_freshness_cell(fresh.source, fresh.age_days(today))}"
            f"<td>{escape(', '.join(fresh.tables))}</td></tr>"
        )
    out.append("</table>")
    out.append(alerts_section(published_dir))

    checks = manifest.get("checks") or {}
    out.append("<h2>Last run and its checks</h2>")
    if checks:
        out.append(
            f"<p>Run <code>{escape(str(checks.get('run_id', '?')))}</code>: "
            f"{checks.get('expectations_run', 0)} expectations on {len(checks.get('tables', []))} tables, "
            f'<span class="ok">{checks.get("passed", 0)} passed</span>, {checks.get("warned", 0)} warned, '
            f"{checks.get('failed', 0)} failed.</p>"
        )
        if checks.get("not_passed"):
            out.append("<table><tr><th>table</th><th>expectation</th><th>severity</th><th>rows</th><th>what</th></tr>")
            for item in checks["not_passed"]:
                out.append(
                    f"<tr><td>{escape(item['table'])}</td><td>{escape(item['expectation'])}</td>"
                    f'<td>{escape(item["severity"])}</td><td class="n">{item.get("unexpected_count") or 0}</td>'
                    f"<td>{escape(item.get('description') or '')}</td></tr>"
                )
            out.append("</table>")
        if checks.get("acceptances"):
            out.append(
                "<h3>Accepted by an operator</h3><p>Payloads let past a plausibility rule or a fact bound "
                "with <code>frontline accept</code>.</p><table><tr><th>source</th><th>day / file</th>"
                "<th>sha256</th><th>by</th><th>when</th><th>why</th><th>refused by</th></tr>"
            )
            for a in checks["acceptances"]:
                out.append(
                    f"<tr><td>{escape(a['source'])}</td><td>{escape(a['key'])}</td>"
                    f"<td><code>{escape(a['sha256'][:12])}</code></td><td>{escape(a['accepted_by'])}</td>"
                    f"<td>{escape(a['accepted_at'])}</td><td>{escape(a['reason'])}</td>"
                    f"<td>{escape(a.get('refused_by') or '')}</td></tr>"
                )
            out.append("</table>")
    else:
        out.append("<p>No check summary in this version.</p>")
    if manifest.get("report"):
        out.append(f'<p><a href="versions/{escape(version)}/{escape(manifest["report"])}">Validation report</a></p>')

    out.append("<h2>Charts</h2>")
    for name, svg in chart_svgs.items():
        out.append(
            f'<figure class="chart" id="chart-{name}">{svg}'
            f"<figcaption>{escape(CAPTIONS.get(name, name))} "
            f'<a href="charts/{name}.svg">{name}.svg</a></figcaption></figure>'
        )

    out.append(
        "<h2>Downloads</h2><p>Stable links follow the latest version; per-version links never change.</p>"
        "<table><tr><th>file</th><th>rows</th><th>size</th><th>sha256</th><th>this version</th></tr>"
    )
    files = [(entry["file"], entry["rows"], entry["bytes"], entry["sha256"]) for entry in manifest["tables"].values()]
    snapshot = manifest.get("snapshot")
    if snapshot:
        path = folder / snapshot["file"]
        files.append(
            (
                snapshot["file"],
                None,
                path.stat().st_size if path.exists() else 0,
                snapshot["sha256"],
            )
        )
    for file, rows, size, sha in files:
        out.append(
            f'<tr><td><a href="extracts/latest/{escape(file)}">{escape(file)}</a></td>'
            f'<td class="n">{"" if rows is None else f"{rows:,}"}</td><td class="n">{_size(size)}</td>'
            f"<td><code>{sha}</code></td>"
            f'<td><a href="extracts/{escape(version)}/{escape(file)}">pinned</a></td></tr>'
        )
    out.append("</table>")
    return _html("frontline status", "\n".join(out))


def _html(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{escape(title)}</title><style>{CSS}</style></head>'
        f"<body>{body}</body></html>"
    )
