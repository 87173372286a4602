"""The status page in a real headless Chromium, driven over the DevTools protocol: it loads
without console errors, every chart is drawn (screenshots of the chart areas are not blank) and
every link on the page answers."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import http.client
import json
import threading
from urllib.parse import urljoin, urlsplit

from tests.browser import decode_png, devtools_session, headless_chromium
from warehouse.serve.serve import make_server

PAGE_FACTS = """JSON.stringify({
  charts: [...document.querySelectorAll('figure.chart svg')].map(s => {
    const r = s.getBoundingClientRect();
    return {id: s.closest('figure').id, x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height,
            shapes: s.querySelectorAll('path, rect, circle').length};
  }),
  links: [...document.querySelectorAll('a')].map(a => a.href),
  text: document.body.innerText,
})"""


async def _inspect(devtools_port: int, url: str):
    async with devtools_session(devtools_port) as tools:
        for domain in ("Runtime", "Log", "Page"):
            await tools.send(f"{domain}.enable")
        await tools.send("Page.navigate", url=url)
        await tools.wait_for("Page.loadEventFired")
        await asyncio.sleep(0.5)  # late console messages
        facts = json.loads(
            (await tools.send("Runtime.evaluate", expression=PAGE_FACTS, returnByValue=True))["result"]["value"]
        )
        shots = {}
        for chart in facts["charts"]:
            clip = {
                "x": chart["x"],
                "y": chart["y"],
                "width": chart["w"],
                "height": chart["h"],
                "scale": 1,
            }
            shot = await tools.send("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)
            shots[chart["id"]] = base64.b64decode(shot["data"])
        # Control: an error logged now must be caught, or the check below proves nothing.
        await tools.send("Runtime.evaluate", expression="console.error('frontline-control')")
        await asyncio.sleep(0.3)
        return facts, shots, tools.events


def _problems(events: list[dict]) -> list[str]:
    found = []
    for e in events:
        p = e.get("params", {})
        console = e["method"] == "Runtime.consoleAPICalled"
        if e["method"] == "Runtime.exceptionThrown" or (console and p.get("type") in ("error", "assert", "warning")):
            found.append(json.dumps(p)[:300])
        elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            found.append(json.dumps(p["entry"])[:300])
    return found


def _assert_front_map(facts: dict, shots: dict) -> None:
    """The map is drawn: the occupied fill, gains or losses, the front line and labelled towns
    are all on the screenshot, and the labels are the towns the published tables name."""
    chart = next(c for c in facts["charts"] if c["id"] == "chart-front-map")
    assert chart["w"] > 600 and chart["h"] > 400 and chart["shapes"] >= 25 + 3, chart  # 25 oblasts and more
    width, height, pixels = decode_png(shots["chart-front-map"])
    assert (width, height) == (round(chart["w"]), round(chart["h"]))
    counts: dict[str, int] = {}
    for p in pixels:
        kind = (
            "occupied" if p == bytes.fromhex("f1b7ae")
            else "gained" if p[0] > 110 and p[1] < 80 and p[2] < 80  # dark red, anti-aliased
            else "lost" if p[2] > 130 and p[0] < 100
            else "dark" if max(p) < 60
            else None
        )  # fmt: skip
        if kind:
            counts[kind] = counts.get(kind, 0) + 1
    # the occupied area is ~18 % of Ukraine; the map's box is wider than the country
    assert counts.get("occupied", 0) > 0.04 * len(pixels), counts
    assert counts.get("gained", 0) + counts.get("lost", 0) > 5, counts
    assert counts.get("dark", 0) > 500, counts  # front line, town dots, labels


def _get(base: str, path: str) -> str:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", path)
    body = conn.getresponse().read().decode()
    conn.close()
    return body


def _towns_near_the_front(extracts) -> list[str]:
    """The 12 most populous settlements within 20 km of the DeepState front on its latest day,
    straight from the published Parquet files."""
    import duckdb

    return [
        r[0]
        for r in duckdb.sql(
            f"""SELECT d.name_en FROM '{extracts}/fact_settlement_control_daily.parquet' AS f
                JOIN '{extracts}/dim_settlement.parquet' AS d USING (settlement_id)
                WHERE f.source = 'deepstate' AND abs(f.distance_to_front_km) <= 20
                  AND f.date = (SELECT max(date) FROM '{extracts}/front_line_daily.parquet' WHERE source = 'deepstate')
                ORDER BY d.population DESC, d.settlement_id LIMIT 12"""
        ).fetchall()
    ]


def test_status_page_renders_charts_and_links_in_chromium(published, tmp_path):
    server = make_server(published["home"] / "published", port=0, today=lambda: dt.date(2026, 7, 1))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    # No name lookups at all: a machine whose resolver never answers must not stall the test.
    flags = ["--disable-quic", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
    try:
        with headless_chromium(tmp_path, "1280,1600", flags) as port:
            facts, shots, events = asyncio.run(asyncio.wait_for(_inspect(port, base), 120))
    finally:
        server.shutdown()
        server.server_close()

    problems = _problems(events)
    assert len(problems) == 1 and "frontline-control" in problems[0], problems
    assert {c["id"] for c in facts["charts"]} == {"chart-area", "chart-gained-lost", "chart-losses", "chart-front-map"}
    _assert_front_map(facts, shots)
    for chart in (c for c in facts["charts"] if c["id"] != "chart-front-map"):
        assert chart["w"] > 300 and chart["h"] > 150 and chart["shapes"] >= 5, chart
        width, height, pixels = decode_png(shots[chart["id"]])
        assert (width, height) == (round(chart["w"]), round(chart["h"])), chart
        inked = sum(1 for p in pixels if p != b"\xff\xff\xff")
        colours = {p for p in pixels}
        # Not blank: axis text, grid lines and the series colours are all on the picture.
        assert inked / len(pixels) > 0.02 and len(colours) > 20, (chart["id"], inked, len(colours))
        assert any(p[0] > 150 and p[1] < 90 and p[2] < 90 for p in colours), chart["id"]  # red series
    for source in ("deepstate", "isw", "gs_personnel"):
        assert source in facts["text"]
    assert "Validation report" in facts["text"] and "fact_losses_daily.parquet" in facts["text"]
    towns = _towns_near_the_front(published["dir"])
    assert len(towns) == 12

    # Every link on the page answers (downloads, pinned versions, manifest, report, charts).
    server = make_server(published["home"] / "published", port=0, today=lambda: dt.date(2026, 7, 1))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hrefs = {urlsplit(urljoin(base, h)).path for h in facts["links"]}
        assert "/extracts/latest/fact_control_daily.parquet" in hrefs and "/manifest.json" in hrefs
        svg = _get(f"http://127.0.0.1:{server.server_address[1]}/", "/charts/front-map.svg")
        for town in towns:
            assert f">{town}</text>" in svg, town
        for path in sorted(hrefs):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
            conn.request("HEAD", path)
            status = conn.getresponse().status
            conn.close()
            assert status == 200, path
    finally:
        server.shutdown()
        server.server_close()
