"""Headless Chromium for the page tests (status page, validation report, Dagster UI): one way to
start it and find its DevTools port, a minimal DevTools client, and a PNG decoder for its screenshots."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path

import aiohttp
import pytest

# Every page test: no GPU, no first-run, update or sync traffic, DevTools on a free loopback port.
COMMON_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def chromium_path() -> str | None:
    return os.environ.get("FRONTLINE_TEST_CHROMIUM") or shutil.which("chromium")


def devtools_port(browser: subprocess.Popen, profile, log, deadline_s: float = 60) -> int:
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


@contextlib.asynccontextmanager
async def devtools_session(devtools_port: int):
    """A DevTools client on Chromium's page, collecting its events until the block ends."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{devtools_port}/json/list") as response:
            page = next(t for t in await response.json() if t["type"] == "page")
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            tools = DevTools(ws)
            pump = asyncio.create_task(tools.pump())
            try:
                yield tools
            finally:
                pump.cancel()


@contextlib.contextmanager
def headless_chromium(folder: Path, window_size: str, flags: list[str]):
    """Chromium with COMMON_FLAGS plus ``flags`` (its network rules), its profile and log in
    ``folder``; yields its DevTools port and stops it afterwards. Skips (fails in CI) without
    Chromium."""
    chromium = chromium_path()
    if chromium is None:
        if os.environ.get("FRONTLINE_TEST_REQUIRE_SERVICES"):
            pytest.fail("chromium not installed (.ci/services installs Debian's chromium)")
        pytest.skip("chromium not installed (apt-get install chromium, or run .ci/services)")
    profile, log = folder / "profile", folder / "chromium.log"
    with open(log, "wb") as out:
        browser = subprocess.Popen(
            [
                chromium,
                *COMMON_FLAGS,
                *flags,
                f"--user-data-dir={profile}",
                f"--window-size={window_size}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        yield devtools_port(browser, profile, log)
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=20)
        except subprocess.TimeoutExpired:
            browser.kill()
