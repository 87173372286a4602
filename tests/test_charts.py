"""What warehouse/serve/charts.py draws, read back from the SVG on known series.

The plot area is x 78…744 (760 wide, margins 78 and 16) and y 34…260 (300 high, margins 34 and
40): every expected coordinate below is computed from those numbers by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.serve import charts, status

NS = {"s": "http://www.w3.org/2000/svg"}
D = dt.date


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def tick_labels(root) -> list[str]:
    """The y-axis labels (right-aligned at x = 72), bottom to top."""
    return [t.text for t in root.findall("s:text", NS) if t.get("x") == "72" and t.get("text-anchor") == "end"]


def test_nice_ticks_cover_the_range_in_round_steps():
    assert charts.nice_ticks(0, 101_000) == [0, 50_000, 100_000, 150_000]  # raw step 25,250 → 50,000
    # raw 185 → 200, from floor(−1.3)·200 = −400; 400 < 480 so one more
    assert charts.nice_ticks(-260, 480) == [-400, -200, 0, 200, 400, 600]
    assert charts.nice_ticks(0, 8) == [0, 2, 4, 6, 8]  # raw 2 → 2
    assert charts.nice_ticks(5, 5) == [5, 5.25, 5.5, 5.75, 6]  # a flat series gets a unit range: raw 0.25
    assert charts.nice_ticks(float("nan"), 1) == [0.0]


def test_line_chart_ticks_labels_and_a_gap_drawn_as_a_break():
    series = {
        "deepstate": [(D(2024, 12, 30), 100_000.0), (D(2024, 12, 31), 100_500.0), (D(2025, 1, 20), 101_000.0)],
    }
    root = parse(charts.line_chart(series, "Area <held>", "km²"))
    assert root.find("s:title", NS).text == "Area <held>"  # escaped in the text, read back unescaped
    assert tick_labels(root) == ["0", "50 k", "100 k", "150 k"]
    # y of a value v: 34 + 226·(1 − v/150,000); x of a day: 78 + 666·(days since 2024-12-30)/21
    (path,) = root.findall("s:path", NS)
    # 100,000 → 109.3; 100,500 → 108.6 (x 78 + 666/21 = 109.7); 101,000 → 107.8 at x 744, after a
    # 20-day gap (> 7 days): a new sub-path (M), not a line across the gap (L)
    assert path.get("d") == "M78.0,109.3 L109.7,108.6 M744.0,107.8"
    assert path.get("stroke") == charts.PALETTE[0]
    assert len(root.findall("s:circle", NS)) == 3  # few points: each marked
    texts = {t.text: t for t in root.findall("s:text", NS)}
    assert texts["2025"].get("x") == "141.4"  # the year line at 2025-01-01: 78 + 666·2/21
    assert {"2024-12-30", "2025-01-20", "deepstate", "km²"} <= set(texts)


def test_line_chart_numbers_in_millions_and_small_values():
    root = parse(charts.line_chart({"a": [(D(2024, 1, 1), 0.0), (D(2024, 1, 2), 2_000_000.0)]}, "t", "people"))
    assert tick_labels(root) == ["0", "500 k", "1 M", "1.5 M", "2 M"]  # raw step 500,000
    root = parse(charts.line_chart({"a": [(D(2024, 1, 1), 1.0), (D(2024, 1, 2), 2.0)]}, "t", "km²"))
    assert tick_labels(root) == ["0", "0.5", "1", "1.5", "2"]  # one decimal below whole numbers


def _bars(root) -> dict[str, dict[str, float]]:
    return {
        r.find("s:title", NS).text: {k: float(r.get(k)) for k in ("x", "y", "width", "height")}
        for r in root.findall("s:rect", NS)
        if r.find("s:title", NS) is not None
    }


def test_bar_chart_lost_bars_hang_below_zero():
    months = [D(2025, 1, 1), D(2025, 2, 1)]
    root = parse(charts.bar_chart(months, {"gained": [480.0, 300.0], "lost": [-260.0, None]}, "t", "km²"))
    assert tick_labels(root) == ["-400", "-200", "0", "200", "400", "600"]
    # y of v: 34 + 226·(1 − (v + 400)/1000); zero at 34 + 226·0.6 = 169.6
    zero = [ln for ln in root.findall("s:line", NS) if ln.get("stroke") == "#333"]
    assert [ln.get("y1") for ln in zero] == ["169.6"]
    bars = _bars(root)
    assert set(bars) == {"2025-01 gained: 480", "2025-02 gained: 300", "2025-01 lost: -260"}  # None: no bar
    gained, lost = bars["2025-01 gained: 480"], bars["2025-01 lost: -260"]
    # gained rises from zero: top at 169.6 − 226·0.48 = 61.12, height 108.48
    assert (gained["y"], gained["height"]) == pytest.approx((61.12, 108.48))
    # lost starts at zero and goes down by 226·0.26 = 58.76
    assert (lost["y"], lost["height"]) == pytest.approx((169.6, 58.76))
    # two months in 666 px: slots of 333, bars min(333·0.8/2, 40) = 40 wide, side by side from
    # the slot's middle 78 + 166.5 = 244.5: gained at 244.5 − 40, lost at 244.5
    assert (gained["x"], lost["x"], gained["width"]) == pytest.approx((204.5, 244.5, 40.0))
    labels = [t.text for t in root.findall("s:text", NS) if t.get("y") == "276"]
    assert labels == ["2025-01"]  # the first month only (no January after it); ≤ 12 months: YYYY-MM


def test_status_page_chart_draws_lost_as_negative(tmp_path):
    rows = {
        "month": [D(2025, 1, 1), D(2025, 1, 1)],
        "source": ["deepstate", "isw"],
        "region_code": ["UA", "UA"],
        "class": ["occupied_total", "occupied_total"],
        "gained_km2": [480.0, 900.0],
        "lost_km2": [260.0, 1.0],
    }
    pq.write_table(pa.table(rows), tmp_path / "m.parquet")
    manifest = {"tables": {"fact_control_monthly": {"file": "m.parquet", "columns": [{"name": n} for n in rows]}}}
    bars = _bars(parse(status.gained_lost_chart(tmp_path, manifest)))
    assert set(bars) == {"2025-01 gained: 480", "2025-01 lost: -260"}  # DeepState only, lost negated


@pytest.mark.parametrize("chart", ["line", "bar", "bar_all_none"])
def test_an_empty_series_says_so(chart):
    svg = {
        "line": lambda: charts.line_chart({}, "Area", "km²"),
        "bar": lambda: charts.bar_chart([], {}, "Losses", "people"),
        "bar_all_none": lambda: charts.bar_chart([D(2025, 1, 1)], {"lost": [None]}, "Lost", "km²"),
    }[chart]()
    root = parse(svg)
    assert [t.text for t in root.findall("s:text", NS)][-1] == "no data in this version"
    assert root.findall("s:path", NS) == [] and _bars(root) == {} and tick_labels(root) == []
