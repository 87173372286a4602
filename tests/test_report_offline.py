"""A published version's validation report opens complete with networking off: headless
Chromium behind a dead proxy and a resolver that answers nothing opens report/index.html from
the version folder (file://), every page renders, and no request leaves the folder."""

from __future__ import annotations

import asyncio
import base64
import json

from tests.browser import decode_png, devtools_session, headless_chromium
from warehouse.store import catalog

PAGE_TEXT = "JSON.stringify({text: document.body.innerText, height: document.documentElement.scrollHeight})"
CONTROL = "fetch('https://cdn.jsdelivr.net/npm/bootstrap.css').then(() => 'reached', () => 'blocked')"


async def _open_all(devtools_port: int, urls: list[str]):
    async with devtools_session(devtools_port) as tools:
        for domain in ("Network", "Page", "Runtime"):
            await tools.send(f"{domain}.enable")
        pages, shot = {}, None
        for url in urls:
            tools.events = [e for e in tools.events if e["method"] != "Page.loadEventFired"]
            await tools.send("Page.navigate", url=url)
            await tools.wait_for("Page.loadEventFired")
            reply = await tools.send("Runtime.evaluate", expression=PAGE_TEXT, returnByValue=True)
            pages[url] = json.loads(reply["result"]["value"])
            if shot is None:  # the index, whole page
                await tools.send(
                    "Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False
                )
                metrics = await tools.send("Page.getLayoutMetrics")
                size = metrics["cssContentSize"]
                clip = {"x": 0, "y": 0, "width": 1280, "height": size["height"], "scale": 1}
                data = await tools.send("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)
                shot = base64.b64decode(data["data"])
        # Control: a CDN request from the page is seen here and does not get through.
        reply = await tools.send("Runtime.evaluate", expression=CONTROL, awaitPromise=True, returnByValue=True)
        await asyncio.sleep(0.3)
        requests = [e["params"]["request"]["url"] for e in tools.events if e["method"] == "Network.requestWillBeSent"]
        return pages, shot, requests, reply["result"]["value"]


def test_report_opens_complete_offline_in_chromium(published, tmp_path):
    version_dir = published["dir"]
    manifest = json.loads((version_dir / "manifest.json").read_text())
    report = version_dir / manifest["report"]
    urls = [report.as_uri()] + [(report.parent / f"{t.name}.html").as_uri() for t in catalog.PUBLISHED]
    # networking off: every HTTP(S) request goes to a dead proxy, no name resolves
    flags = ["--disable-sync", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
    flags += ["--host-resolver-rules=MAP * ~NOTFOUND", "--allow-file-access-from-files"]
    with headless_chromium(tmp_path, "1280,900", flags) as port:
        pages, png, requests, control = asyncio.run(asyncio.wait_for(_open_all(port, urls), 240))
    (tmp_path / "report_index.png").write_bytes(png)

    # No request left the version folder (the CDN control was seen and blocked).
    assert control == "blocked"
    outside = [u for u in requests if not u.startswith(("file://", "data:"))]
    assert outside == ["https://cdn.jsdelivr.net/npm/bootstrap.css"], outside
    assert all(u.startswith(str(version_dir.as_uri())) for u in requests if u.startswith("file://"))

    # Every table's result on the index, as the manifest's check summary (from the audit table) has it.
    index = pages[urls[0]]["text"]
    warned = {}
    for failure in manifest["checks"]["not_passed"]:
        assert failure["severity"] == "warn"
        warned[failure["table"]] = warned.get(failure["table"], 0) + 1
    lines = {line.split("\t")[0]: line for line in index.splitlines() if "\t" in line}
    for table in catalog.PUBLISHED:
        expected = f"passed with {warned[table.name]} warning(s)" if table.name in warned else "passed"
        assert lines[table.name].split("\t")[1] == expected, lines.get(table.name)
    run_id, version = manifest["checks"]["run_id"], manifest["version"]
    run_expectations = manifest["checks"]["expectations_run"]
    assert f"{run_expectations} expectations" in index
    for url, page in pages.items():  # every page names the run and the version (and its table)
        assert run_id in page["text"] and version in page["text"], url
    for table, url in zip(catalog.PUBLISHED, urls[1:], strict=True):
        assert f"table\n{table.name}" in pages[url]["text"] or f"table\t{table.name}" in pages[url]["text"], url

    width, height, pixels = decode_png(png)
    assert width == 1280 and height >= 400
    colours = set(pixels)
    assert len(colours) > 20  # text and table borders, not a blank page
    assert any(p[1] > 90 and p[0] < 60 and p[2] < 80 for p in colours)  # the green "passed"
    assert any(p[0] > 120 and p[1] > 70 and p[2] < 40 for p in colours)  # the amber warning
