"""The status page in a real headless Chromium, driven over the DevTools protocol: it loads
without console errors, every chart is drawn (screenshots of the chart areas are not blank) and
every link on the page answers."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import http.client
import json
import os
import shutil
import struct
import subprocess
import threading
import time
import zlib
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest

from warehouse.serve.serve import make_server


def _chromium() -> str | None:
    return os.environ.get("FRONTLINE_TEST_CHROMIUM") or shutil.which("chromium")


def _devtools_port(browser: subprocess.Popen, profile, log, deadline_s: float = 60) -> int:
    """The port Chromium's DevTools endpoint listens on, from the `DevToolsActivePort` file it
    writes into its profile; fails with Chromium's own output if it exits or takes too long."""
    active = profile / "DevToolsActivePort"
    for _ in range(int(deadline_s * 10)):
        if active.exists() and (first := active.read_text().split("\n")[0]).isdigit():
            return int(first)
        if browser.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"chromium did not open DevTools (exit {browser.poll()}):\n{log.read_text(errors='replace')[-3000:]}")


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, len(r), bpp)]


class DevTools:
    """A minimal DevTools protocol client: commands with ids, events collected as they come."""

    def __init__(self, ws):
        self.ws, self.next_id, self.events, self.waiting = ws, 0, [], {}

    async def pump(self):
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data:
                self.waiting.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)

    async def send(self, method: str, **params):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = future
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        reply = await asyncio.wait_for(future, 60)
        assert "error" not in reply, (method, reply)
        return reply["result"]

    async def wait_for(self, method: str, timeout: float = 60):
        for _ in range(int(timeout * 20)):
            if any(e["method"] == method for e in self.events):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(method)


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
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{devtools_port}/json/list") as response:
            targets = await response.json()
        page = next(t for t in targets if t["type"] == "page")
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            tools = DevTools(ws)
            pump = asyncio.create_task(tools.pump())
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
            pump.cancel()
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
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("FRONTLINE_TEST_REQUIRE_SERVICES"):
            pytest.fail("chromium not installed (.ci/services installs Debian's chromium)")
        pytest.skip("chromium not installed (apt-get install chromium, or run .ci/services)")
    server = make_server(published["home"] / "published", port=0, today=lambda: dt.date(2026, 7, 1))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    profile, log = tmp_path / "profile", tmp_path / "chromium.log"
    with open(log, "wb") as log_file:
        browser = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                # No name lookups at all: a machine whose resolver never answers must not stall the test.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--user-data-dir={profile}",
                "--window-size=1280,1600",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
    try:
        port = _devtools_port(browser, profile, log)
        facts, shots, events = asyncio.run(asyncio.wait_for(_inspect(port, base), 120))
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=20)
        except subprocess.TimeoutExpired:
            browser.kill()
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
