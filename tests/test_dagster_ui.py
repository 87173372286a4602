"""Dagster's conventions as a user sees them: `frontline dev` starts without the venv on PATH,
and an asset's page in a real Dagster UI (webserver on loopback, headless Chromium) shows the
catalog's column schema; the instance holds the standard metadata of the run that made it."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.conventions import table_name
from orchestration.definitions import defs
from tests.browser import decode_png, devtools_session, headless_chromium
from tests.conftest import free_port, stop_process_group
from warehouse.store import catalog

ROOT = Path(__file__).resolve().parents[1]
TABLE = catalog.table("fact_losses_monthly")


def _wait_for_server(port: int, process: subprocess.Popen, log: Path, deadline_s: float = 180) -> dict:
    """The webserver's /server_info once it answers; fails with its output if it exits first."""
    for _ in range(int(deadline_s * 4)):
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.25)
    pytest.fail(
        f"no Dagster webserver on port {port} (exit {process.poll()}):\n{log.read_text(errors='replace')[-4000:]}"
    )


def test_frontline_dev_starts_its_own_dagster_whatever_path_holds(tmp_path):
    frontline = Path(sys.executable).parent / "frontline"
    assert frontline.is_file()
    port, log = free_port(), tmp_path / "dev.log"
    env = {**os.environ, "PATH": "/usr/bin:/bin", "FRONTLINE_HOME": str(tmp_path / "home")}
    env.pop("VIRTUAL_ENV", None)
    env.pop("DAGSTER_HOME", None)
    # PATH has no `dagster` (the venv's bin is not on it): the old os.execvp("dagster") failed here.
    assert subprocess.run(["sh", "-c", "command -v dagster"], env=env, capture_output=True).returncode != 0
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(frontline), "dev", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        info = _wait_for_server(port, process, log)
    finally:
        stop_process_group(process)
    assert info["dagster_webserver_version"] == dg.__version__
    assert str(Path(sys.executable)) in log.read_text(errors="replace")  # said which interpreter it ran
    assert (tmp_path / "home" / "dagster" / "dagster.yaml").is_file()


def test_definitions_carry_owners_tags_freshness_and_the_catalogs_column_schema():
    repo = defs.get_repository_def()
    for table in catalog.PUBLISHED:
        spec = next(s for s in repo.assets_defs_by_key[dg.AssetKey([table.schema, table.name])].specs)
        schema = spec.metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == table.column_names
        assert [c.description for c in schema.columns] == [c.doc for c in table.columns]
        assert spec.metadata["dagster/table_name"] == f"warehouse.{table.schema}.{table.name}"
        assert spec.owners == ["team:frontline"] and spec.tags["layer"] == table.schema
    control = next(iter(repo.assets_defs_by_key[dg.AssetKey(["core", "fact_control_daily"])].specs))
    area = next(c for c in control.metadata["dagster/column_schema"].columns if c.name == "area_km2")
    assert area.description.endswith("Unit: km².") and area.tags == {"unit": "km²"}
    assert not next(
        c for c in control.metadata["dagster/column_schema"].columns if c.name == "date"
    ).constraints.nullable
    for key, assets_def in repo.assets_defs_by_key.items():
        spec = next(s for s in assets_def.specs if s.key == key)
        assert isinstance(spec.freshness_policy, dg.FreshnessPolicy), key
        assert spec.freshness_policy.fail_window.to_timedelta().total_seconds() == 48 * 3600, key


def test_materializations_carry_row_count_table_name_and_uri(published):
    instance = dg.DagsterInstance.from_config(str(published["home"] / "dagster"))
    counted = {}
    with duckdb.connect(str(published["home"] / "warehouse.duckdb"), read_only=True) as con:
        for table in catalog.PUBLISHED:
            event = instance.get_latest_materialization_event(dg.AssetKey([table.schema, table.name]))
            meta = event.asset_materialization.metadata
            count = con.execute(f"SELECT count(*) FROM {table.qualified}").fetchall()[0][0]
            assert meta["dagster/row_count"].value == count, table.name
            counted[table.name] = count
            assert meta["dagster/table_name"].value == table_name(table)
            assert [c.name for c in meta["dagster/column_schema"].schema.columns] == table.column_names
    assert counted["fact_losses_daily"] > 1000 and sum(counted.values()) > 10_000
    extracts = instance.get_latest_materialization_event(dg.AssetKey(["published", "extracts"]))
    uri = extracts.asset_materialization.metadata["dagster/uri"].value
    assert uri == published["dir"].resolve().as_uri() and Path(uri.removeprefix("file://"), "manifest.json").is_file()


SKIP_DIALOG = (
    "[...document.querySelectorAll('button')].filter(b => b.innerText.trim() == 'Skip').forEach(b => b.click())"
)


async def _asset_page(devtools_port: int, url: str, expected: list[str], timeout_s: float = 120):
    """Open the asset page, wait until the UI (a single-page app) has rendered every expected
    text, and return the page text and a screenshot of it."""
    async with devtools_session(devtools_port) as tools:
        await tools.send("Page.enable")
        await tools.send("Page.navigate", url=url)
        text = ""
        for _ in range(int(timeout_s * 2)):
            reply = await tools.send("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)
            text = reply["result"].get("value") or ""
            if all(e in text for e in expected):
                break
            await asyncio.sleep(0.5)
        # Dagster's first-visit "join the community" dialog would cover the page in the picture.
        await tools.send("Runtime.evaluate", expression=SKIP_DIALOG)
        await asyncio.sleep(1)  # let the last layout settle before the picture
        shot = await tools.send("Page.captureScreenshot", format="png")
        return text, base64.b64decode(shot["data"])


def test_asset_page_in_the_dagster_ui_shows_the_column_schema(published, tmp_path):
    home = published["home"]
    port, log = free_port(), tmp_path / "webserver.log"
    env = {**os.environ, "DAGSTER_HOME": str(home / "dagster"), "FRONTLINE_HOME": str(home)}
    with open(log, "wb") as out:
        webserver = subprocess.Popen(
            [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port)]
            + ["-m", "orchestration.definitions", "--working-directory", str(ROOT)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        _wait_for_server(port, webserver, log)
        flags = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        with headless_chromium(tmp_path, "1400,2400", flags) as devtools:
            # "Sum of the month's daily values (corrections included). Unit: count."
            unit_doc = TABLE.column("total").doc
            expected = [*TABLE.column_names, "Sum of the month's daily values", "BIGINT"]
            url = f"http://127.0.0.1:{port}/assets/{TABLE.schema}/{TABLE.name}"
            text, png = asyncio.run(asyncio.wait_for(_asset_page(devtools, url, expected), 240))
    finally:
        stop_process_group(webserver)
    (tmp_path / "asset_page.png").write_bytes(png)
    missing = [e for e in expected if e not in text]
    assert not missing, (missing, text[:3000])
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        count = con.execute(f"SELECT count(*) FROM {TABLE.qualified}").fetchall()[0][0]
    # the Columns table (name, unit tag, type, description with unit), the row count of the one
    # materialization, the owner, the table name, the tags and the freshness policy
    assert "Columns" in text and "Column name\tType\tDescription" in text, text[:3000]
    assert "total\nunit: count" in text and unit_doc in text
    assert f"Row count\n{count}" in text and count > 100
    assert "Owners\nfrontline" in text and f"Storage\n{table_name(TABLE)}" in text
    assert "domain: losses" in text and "layer: core" in text and "Freshness policy" in text
    width, height, pixels = decode_png(png)
    assert width == 1400 and height > 1000
    assert len(set(pixels)) > 50  # a rendered page, not a blank one
