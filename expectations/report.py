"""The validation report published with every version: static HTML rendered from the suite
outcomes the run's checks produced (the same results, not a second validation).

Self-contained on purpose: the styles are inline, there is no script and no link outside the
folder, so the report opens complete offline, behind a strict proxy or years later from an
archive (GX Data Docs load theirs from seven CDNs). One ``index.html`` with every table's result
and one page per suite listing each expectation: severity and why, result, observed value and up
to ten offending rows. Every page names the table(s), the run and the version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from warehouse.store import catalog

from .outcome import ExpectationOutcome, SuiteOutcome

INDEX = "index.html"

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1d1d1f; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
dl.ids { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 16px;
         color: #444; } dl.ids dt { font-weight: 600; } dl.ids dd { margin: 0; font-family: monospace; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; }
th, td { border: 1px solid #d0d0d4; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.passed { color: #136c2e; font-weight: 600; } .warned { color: #8a5a00; font-weight: 600; }
.failed { color: #b00020; font-weight: 700; }
tr.failed-row td { background: #fdecee; } tr.warned-row td { background: #fff6e0; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.examples { margin: 4px 0 10px 24px; width: auto; } .examples td, .examples th { font-size: 12px; }
.note { color: #555; } nav { margin-bottom: 12px; }
"""


def _state(outcome: SuiteOutcome) -> tuple[str, str]:
    """(css class, words) of a table's result."""
    if outcome.errors:
        return "failed", f"FAILED: {len(outcome.errors)} error(s)" + (
            f", {len(outcome.warnings)} warning(s)" if outcome.warnings else ""
        )
    if outcome.warnings:
        return "warned", f"passed with {len(outcome.warnings)} warning(s)"
    return "passed", "passed"


def _result(r: ExpectationOutcome) -> tuple[str, str]:
    if r.success:
        return "passed", "passed"
    words = "not evaluated" if r.exception else "failed"
    return ("failed", words.upper()) if r.severity == "error" else ("warned", f"{words} (warning)")


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 400 else text[:400] + " …"


def _page(title: str, ids: Mapping[str, str], body: list[str]) -> str:
    id_rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in ids.items())
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        # No request may leave the folder: not even a favicon lookup.
        "<link rel='icon' href='data:,'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><dl class='ids'>{id_rows}</dl>" + "\n".join(body) + "</body></html>\n"
    )


def _ids(run_id: str, version: str | None, today: str, table: str | None = None) -> dict[str, str]:
    ids = {"table": table} if table else {}
    ids["version"] = version or "not published (a blocking check failed; the previous version stays)"
    ids["run"] = run_id
    ids["checked as of"] = today or "?"
    return ids


def _index(outcomes: Mapping[str, SuiteOutcome], run_id: str, version: str | None) -> str:
    rows = []
    for name, o in outcomes.items():
        css, words = _state(o)
        passed = len(o.results) - len(o.failed)
        rows.append(
            f"<tr class='{css}-row'><td><a href='{escape(name)}.html'>{escape(name)}</a></td>"
            f"<td class='{css}'>{escape(words)}</td><td class='num'>{passed}/{len(o.results)}</td>"
            f"<td class='num'>{len(o.errors)}</td><td class='num'>{len(o.warnings)}</td>"
            f"<td>{escape(', '.join(r.name for r in o.failed)) or '—'}</td></tr>"
        )
    total = sum(len(o.results) for o in outcomes.values())
    failed = sum(len(o.errors) for o in outcomes.values())
    warned = sum(len(o.warnings) for o in outcomes.values())
    verdict = "FAILED — nothing was published" if failed else "passed — published"
    body = [
        f"<p class='{'failed' if failed else 'passed'}'>{escape(verdict)}: {len(outcomes)} tables, "
        f"{total} expectations, {total - failed - warned} passed, {warned} warned, {failed} failed.</p>",
        "<p class='note'>ERROR expectations block publishing; WARN expectations are reported and do "
        "not block. Each table's page lists every expectation with up to ten offending rows.</p>",
        "<table><thead><tr><th>table</th><th>result</th><th>expectations passed</th><th>errors</th>"
        "<th>warnings</th><th>not passed</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]
    today = next((o.today for o in outcomes.values()), "")
    return _page("frontline validation report", _ids(run_id, version, today), body)


def _examples(r: ExpectationOutcome) -> str:
    if not r.examples:
        return ""
    columns = list(dict.fromkeys(k for row in r.examples for k in row))
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td class='mono'>{escape(_value(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in r.examples
    )
    more = r.unexpected_count - len(r.examples)
    tail = f"<p class='note'>… and {more} more.</p>" if more > 0 else ""
    return (
        f"<tr><td colspan='6'><b>offending rows of {escape(r.name)}</b> (first {len(r.examples)})"
        f"<table class='examples'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}</td></tr>"
    )


def _suite(o: SuiteOutcome, run_id: str, version: str | None) -> str:
    css, words = _state(o)
    rows = []
    for r in o.results:
        rcss, rwords = _result(r)
        observed = "" if r.observed_value is None else _value(r.observed_value)
        detail = escape(r.description) + (
            f"<br><span class='failed'>{escape(r.exception)}</span>" if r.exception else ""
        )
        rows.append(
            f"<tr class='{rcss}-row' id='{escape(r.name)}'><td><b>{escape(r.name)}</b><br>"
            f"<code>{escape(r.expectation_type)}</code></td><td>{escape(r.severity.upper())}<br>"
            f"<span class='note'>{escape(r.reason)}</span></td><td class='{rcss}'>{escape(rwords)}</td>"
            f"<td class='num'>{r.unexpected_count}</td><td class='mono'>{escape(observed)}</td>"
            f"<td>{detail}</td></tr>"
        )
        if not r.success:
            rows.append(_examples(r))
    table = catalog.BY_NAME.get(o.table)
    body = [
        "<nav><a href='index.html'>← every table</a></nav>",
        f"<p class='{css}'>{escape(words)}: {len(o.results) - len(o.failed)} of {len(o.results)} expectations passed.</p>",
        f"<p class='note'>{escape(table.description)}</p>" if table else "",
        "<table><thead><tr><th>expectation</th><th>severity (why)</th><th>result</th><th>unexpected</th>"
        "<th>observed</th><th>what is expected</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]
    return _page(f"{o.table} — validation", _ids(run_id, version, o.today, o.table), body)


def write(folder: Path, outcomes: Mapping[str, SuiteOutcome], *, run_id: str, version: str | None) -> Path:
    """Write ``index.html`` and ``<table>.html`` per suite into ``folder``; returns the index.
    ``version`` None: the run published nothing (its checks blocked it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, outcome in outcomes.items():
        catalog.table(name)  # page names come from the whitelist only
        (folder / f"{name}.html").write_text(_suite(outcome, run_id, version), encoding="utf-8")
    index = folder / INDEX
    index.write_text(_index(outcomes, run_id, version), encoding="utf-8")
    return index
