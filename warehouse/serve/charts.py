"""Small server-side SVG charts for the status page: a line chart over days, a bar chart over
months (bars may go below zero). No plotting library is locked, and a status page must render in
any browser without scripts, so the charts are plain SVG text built here.

Every label is escaped; numbers are formatted with thousands separators and the axis unit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 34, 40
PALETTE = ("#c0392b", "#2471a3", "#229954", "#b9770e", "#7d3c98", "#566573")

Point = tuple[dt.date, float]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 × 10^k apart)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high == low:
        high = low + 1.0
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def _number(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.1f} M".replace(".0 M", " M")
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f} k"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _frame(title: str, unit: str, body: list[str], legend: Sequence[tuple[str, str]]) -> str:
    items = []
    x = LEFT
    for name, colour in legend:
        items.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="18" font-size="12">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" style="max-width:100%;height:auto" role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<text x="{WIDTH - RIGHT}" y="18" font-size="12" text-anchor="end" fill="#555">{escape(unit)}</text>'
        + "".join(items)
        + "".join(body)
        + "</svg>"
    )


def _y_axis(ticks: list[float], y_of) -> list[str]:
    out = []
    for tick in ticks:
        y = y_of(tick)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#444">'
            f"{escape(_number(tick))}</text>"
        )
    return out


def _empty(title: str, unit: str) -> str:
    return _frame(
        title,
        unit,
        [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#777">no data in this version</text>'],
        [],
    )


def line_chart(series: dict[str, list[Point]], title: str, unit: str) -> str:
    """One line per series over calendar days; a gap longer than 7 days breaks the line."""
    points = [p for values in series.values() for p in values]
    if not points:
        return _empty(title, unit)
    first, last = min(p[0] for p in points), max(p[0] for p in points)
    span = max((last - first).days, 1)
    ticks = nice_ticks(min(0.0, min(p[1] for p in points)), max(p[1] for p in points))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(day: dt.date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    body = _y_axis(ticks, y_of)
    for year in range(first.year + 1, last.year + 1):
        x = x_of(dt.date(year, 1, 1))
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#f0f0f0"/>'
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle" fill="#444">{year}</text>'
        )
    body.append(
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="11" fill="#444">{first.isoformat()}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" font-size="11" text-anchor="end" fill="#444">{last.isoformat()}</text>'
    )
    legend = []
    for (name, values), colour in zip(series.items(), PALETTE * 4, strict=False):
        legend.append((name, colour))
        path, previous = [], None
        for day, value in sorted(values):
            move = previous is None or (day - previous).days > 7
            path.append(f"{'M' if move else 'L'}{x_of(day):.1f},{y_of(value):.1f}")
            previous = day
        body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if len(values) <= 31:  # few points: mark them, a lone day would be invisible otherwise
            body += [f'<circle cx="{x_of(d):.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}"/>' for d, v in values]
    return _frame(title, unit, body, legend)


def bar_chart(months: list[dt.date], series: dict[str, list[float | None]], title: str, unit: str) -> str:
    """Bars per month, one bar per series side by side; negative values hang below zero."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if not months or not values:
        return _empty(title, unit)
    ticks = nice_ticks(min(0.0, min(values)), max(0.0, max(values)))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(months)
    bar = min(max(slot * 0.8 / len(series), 0.5), 40.0)

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    body = _y_axis(ticks, y_of)
    zero = y_of(0.0)
    legend = []
    for k, ((name, vs), colour) in enumerate(zip(series.items(), PALETTE, strict=False)):
        legend.append((name, colour))
        for i, (month, value) in enumerate(zip(months, vs, strict=True)):
            if value is None:
                continue
            x = LEFT + (i + 0.5) * slot + (k - len(series) / 2) * bar
            y = min(zero, y_of(value))
            h = max(abs(y_of(value) - zero), 0.5)
            body.append(
                f'<rect x="{x:.2f}" y="{y:.2f}" width="{bar:.2f}" height="{h:.2f}" fill="{colour}">'
                f"<title>{month:%Y-%m} {escape(name)}: {value:,.0f}</title></rect>"
            )
    body.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#333"/>')
    for i, month in enumerate(months):
        if month.month == 1 or i == 0:
            x = LEFT + (i + 0.5) * slot
            label = f"{month:%Y}" if len(months) > 12 else f"{month:%Y-%m}"
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle" fill="#444">{label}</text>'
            )
    return _frame(title, unit, body, legend)
