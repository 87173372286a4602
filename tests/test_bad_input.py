"""Bad input end to end: each case fails the run with an error naming source, file and row,
keeps the payload in quarantine, and leaves the published version byte-identical."""

import datetime as dt
import http.server
import json
import shutil
from pathlib import Path

import pytest

from orchestration.cli import main
from tests.conftest import BASELINE_TODAY as TODAY
from tests.test_pipeline import file_hashes
from warehouse.publish import publish

NEXT_DAY = dt.date(2024, 7, 10)  # the day each case runs, after the baseline's (tests/conftest.py)


@pytest.fixture
def case(baseline, tmp_path, monkeypatch, capsys):
    """A copy of the baseline home and mirror; `run(base)` runs frontline against it."""
    home = tmp_path / "home"
    shutil.copytree(baseline / "home", home, symlinks=True)
    mirror = tmp_path / "mirror"
    shutil.copytree(baseline / "mirror", mirror, symlinks=True)
    # Dagster's run history refers to the copied home's paths only through DAGSTER_HOME.
    (home / "dagster" / "dagster.yaml").unlink(missing_ok=True)
    before = file_hashes(home / "published")

    def run(base=mirror, *extra):
        monkeypatch.setenv("FRONTLINE_HOME", str(home))
        monkeypatch.setenv("FRONTLINE_SOURCES", str(base))
        monkeypatch.setenv("FRONTLINE_TODAY", TODAY.isoformat())
        code = main(["run", "--start", NEXT_DAY.isoformat(), "--end", NEXT_DAY.isoformat(), *extra])
        out = capsys.readouterr()
        return code, out.out + out.err

    def unchanged() -> bool:
        return file_hashes(home / "published") == before

    def quarantined() -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted((home / "quarantine").glob("*/*.error.json"))]

    return type(
        "Case",
        (),
        {
            "home": home,
            "mirror": mirror,
            "run": staticmethod(run),
            "unchanged": staticmethod(unchanged),
            "quarantined": staticmethod(quarantined),
        },
    )


def _deepstate_path(mirror, day):
    path = mirror / "deepstate" / f"deepstatemap_data_{day:%Y%m%d}.geojson"
    path.unlink(missing_ok=True)
    return path


def _assert_blocked(case, code, out, source, file_name, row_text):
    assert code == 1, out
    assert f"{source}: " in out and file_name in out and row_text in out, out
    assert "published nothing (previous version stays)" in out
    assert case.unchanged()
    entry = next(e for e in case.quarantined() if e["source"] == source)
    assert file_name in entry["uri"] and row_text in entry["error"]
    kept = case.home / "quarantine" / source / entry["file"]
    assert kept.exists() and len(kept.read_bytes()) == entry["n_bytes"]


def test_truncated_geojson(case):
    good = (case.mirror / "deepstate/deepstatemap_data_20240709.geojson").read_bytes()
    _deepstate_path(case.mirror, NEXT_DAY).write_bytes(good[: len(good) // 2])
    code, out = case.run()
    _assert_blocked(case, code, out, "deepstate", "deepstatemap_data_20240710.geojson", "invalid JSON (truncated?)")


def test_quarantine_cli_and_a_corrected_payload(case, capsys):
    good = (case.mirror / "deepstate/deepstatemap_data_20240709.geojson").resolve()
    truncated = good.read_bytes()[:5000]
    _deepstate_path(case.mirror, NEXT_DAY).write_bytes(truncated)
    code, out = case.run()
    assert code == 1
    assert main(["quarantine", "list"]) == 0
    listing = capsys.readouterr().out
    assert "deepstate" in listing and "2024-07-10" in listing and "invalid JSON (truncated?)" in listing
    entry = case.quarantined()[0]
    assert main(["quarantine", "show", entry["sha256"][:12]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown[0]["sha256"] == entry["sha256"] and shown[0]["row"].startswith("line ")
    # Upstream fixes the file: the next run ingests it and publishes.
    _deepstate_path(case.mirror, NEXT_DAY).symlink_to(good.parent / "deepstatemap_data_20240710.geojson")
    code, out = case.run()
    assert code == 0, out
    assert "ingested deepstate_snapshots        new=1" in out and "published new version" in out


def test_feature_collection_without_features(case):
    _deepstate_path(case.mirror, NEXT_DAY).write_text('{"type": "FeatureCollection", "features": []}')
    code, out = case.run()
    _assert_blocked(case, code, out, "deepstate", "deepstatemap_data_20240710.geojson", "has no features")


class _HtmlErrorPage(http.server.SimpleHTTPRequestHandler):
    """A CDN that answers a missing day with an HTML page and status 200."""

    def do_GET(self):
        if self.path.endswith("deepstatemap_data_20240710.geojson"):
            body = b"<!DOCTYPE html><html><body>Too many requests</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            super().do_GET()

    def log_message(self, *args):
        pass


def test_html_error_page_served_with_200(case, http_mirror):
    base = http_mirror(case.mirror, _HtmlErrorPage)
    code, out = case.run(base)
    _assert_blocked(case, code, out, "deepstate", "deepstatemap_data_20240710.geojson", "got an HTML page")
    assert case.quarantined()[0]["uri"].startswith("http://127.0.0.1:")


def _rewrite_personnel(mirror, mutate):
    path = mirror / "losses/russia_losses_personnel.json"
    records = json.loads(path.read_text())
    path.unlink()
    mutate(records)
    path.write_text(json.dumps(records, indent=4))


def test_non_numeric_loss_value(case):
    _rewrite_personnel(case.mirror, lambda r: r[-1].__setitem__("personnel", "1,403,550"))
    code, out = case.run()
    _assert_blocked(case, code, out, "gs_personnel", "russia_losses_personnel.json", "element 1586 (date 2026-06-30)")


def test_duplicated_date(case):
    _rewrite_personnel(case.mirror, lambda r: r.append(dict(r[-1])))
    code, out = case.run()
    _assert_blocked(case, code, out, "gs_personnel", "russia_losses_personnel.json", "date 2026-06-30 appears twice")


def test_a_day_not_published_yet_is_not_a_failure(case):
    code, out = case.run()
    assert code == 0, out
    assert "ingested deepstate_snapshots        new=0 unchanged=0 not_yet=1" in out
    assert case.unchanged() and case.quarantined() == []


def test_failing_expectation_blocks_publishing(case):
    """Parses fine, fails the contract: an ISW area of 400,000 km² (two thirds of Ukraine; a
    larger-than-Ukraine one is refused at the raw layer, test_bad_input_catalogue)."""
    path = case.mirror / "isw/area_assessed_as_controlled_by_russia.csv"
    text = path.read_text().replace("120574964006.6059", "400000000000.0")
    path.unlink()
    path.write_text(text)
    code, out = case.run()
    assert code == 1
    assert "fact_control_daily.contract" in out and "FAILED" in out
    assert "400000" in out  # the offending row is shown
    assert "published nothing (previous version stays)" in out
    assert case.unchanged()
    # The blocked run's validation report is kept outside the published versions, and named.
    report = (
        next(line for line in out.splitlines() if "validation report:" in line).split("validation report:")[1].strip()
    )
    assert (case.home / "reports").exists() and report.endswith("index.html")
    assert "fact_control_daily" in Path(report).read_text()
    latest = publish.latest_version(case.home / "published")
    assert latest == publish.list_versions(case.home / "published")[-1]
