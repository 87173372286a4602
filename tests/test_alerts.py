"""Alerts to a loopback webhook: a source older than its cadence is reported once per day, the
record shows on the status page, and an unreachable webhook fails nothing. (The run-failure
sensor under a real daemon: tests/test_services.py; the receiver: tests/conftest.py.)"""

from __future__ import annotations

import datetime as dt
import json
import shutil

from tests.conftest import MIRROR, PIPELINE_DAYS, free_port, make_mirror
from warehouse.ingest import sources
from warehouse.serve import alerts, status
from warehouse.store.config import Settings

TODAY = dt.date(2026, 7, 1)


def newest_in_mirror(source: sources.Source) -> dt.date:
    """The newest day of a whole-history JSON file, read from the raw mirror file."""
    records = json.loads((MIRROR / source.relative_path()).read_text(encoding="utf-8"))
    return max(dt.date.fromisoformat(r["date"]) for r in records)


def test_a_stale_source_alerts_once_per_day(published, tmp_path, webhook):
    url, received = webhook
    home = tmp_path / "home"
    shutil.copytree(published["home"] / "published", home / "published", symlinks=True)
    settings = Settings(home=home, sources=None, today_override=TODAY, alert_webhook=url, ui_url="http://ui:3000")

    raised = alerts.check_staleness(settings)
    by_source = {r["source"]: r for r in raised}
    # DeepState: the slice ends on 2024-07-10, 721 days before TODAY, cadence 3 days
    deepstate = by_source["deepstate"]
    assert (deepstate["newest_day"], deepstate["age_days"], deepstate["allowed_lag_days"]) == (
        PIPELINE_DAYS[-1].isoformat(),
        (TODAY - PIPELINE_DAYS[-1]).days,
        3,
    )
    assert deepstate["key"] == f"stale:deepstate:{TODAY}" and deepstate["delivered"] is True
    assert "source deepstate is stale — newest day 2024-07-10 is 721 days old" in deepstate["text"]
    # the General Staff file (whole history in the slice): stale or not as its raw file says
    personnel_age = (TODAY - newest_in_mirror(sources.GS_PERSONNEL)).days
    assert ("gs_personnel" in by_source) == (personnel_age > 3)
    # sources without a cadence never alert
    assert not set(by_source) & {s.name for s in sources.ALL if s.freshness.allowed_lag_days is None}

    assert [body for _, _, body in received] == [
        {k: v for k, v in r.items() if k not in ("key", "at", "delivered")} for r in raised
    ]
    assert all(path == "/hooks/frontline" and ctype == "application/json" for path, ctype, _ in received)

    # the same day again: nothing new is sent or recorded
    assert alerts.check_staleness(settings) == []
    assert len(received) == len(raised)
    # the next day: once more
    tomorrow = Settings(home=home, sources=None, today_override=TODAY + dt.timedelta(days=1), alert_webhook=url)
    again = alerts.check_staleness(tomorrow)
    assert sorted(r["source"] for r in again) == sorted(by_source)
    assert all(r["age_days"] == by_source[r["source"]]["age_days"] + 1 for r in again)
    assert len(alerts.recorded(home)) == 2 * len(raised)

    page = status.page(home / "published", TODAY, {})
    assert 'id="alerts"' in page and "source deepstate is stale" in page


def test_an_unreachable_webhook_is_recorded_not_raised(tmp_path):
    settings = Settings(home=tmp_path, sources=None, alert_webhook=f"http://127.0.0.1:{free_port()}/hook")
    alert = alerts.Alert(key="run:abc", kind="run_failure", text="frontline: run abc failed", fields={"run_id": "abc"})
    record = alerts.raise_alert(settings, alert)
    assert record["delivered"] is False and "ConnectionError" in record["delivery_error"]
    assert alerts.raise_alert(settings, alert) is None  # recorded: not sent again
    assert [r["run_id"] for r in alerts.recorded(tmp_path)] == ["abc"]


def test_a_run_blocked_by_a_check_alerts_from_frontline_run(tmp_path, webhook, monkeypatch, capsys):
    """A real run whose contract check fails (an ISW area of 400,000 km²: plausible at the raw layer,
    above the ISW area bound of the facts) publishes nothing
    and POSTs a publish_blocked alert naming the run, the step and the check."""
    from orchestration.cli import main

    url, received = webhook
    days = PIPELINE_DAYS[:2]
    mirror = make_mirror(tmp_path / "mirror", days, cut=days[-1])
    isw = mirror / sources.ISW.relative_path()
    text = isw.read_text()
    assert "2024-07-08,112727202194.50381," in text
    isw.write_text(text.replace("2024-07-08,112727202194.50381,", "2024-07-08,400000000000.0,"))
    home = tmp_path / "home"
    for name, value in {
        "FRONTLINE_HOME": str(home),
        "FRONTLINE_SOURCES": str(mirror),
        "FRONTLINE_TODAY": days[-1].isoformat(),
        "FRONTLINE_ALERT_WEBHOOK": url,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["run", "--start", days[0].isoformat(), "--end", days[-1].isoformat()]) == 1
    out = capsys.readouterr().out
    run_id = out.split()[1].rstrip(":")
    assert "published nothing (previous version stays)" in out

    assert len(received) == 1
    body = received[0][2]
    assert body["kind"] == "publish_blocked" and body["run_id"] == run_id
    assert body["job"] == "__ephemeral_asset_job__"  # `frontline run` materializes in-process
    assert body["check"] == "core/fact_control_daily.contract"
    assert body["failed_step"] == "fact_control_daily_suite"
    assert "fact_control_daily" in body["reason"] and body["link"] is None
    assert body["text"].startswith("frontline: publishing blocked — check core/fact_control_daily.contract failed")
    assert [r["key"] for r in alerts.recorded(home)] == [f"run:{run_id}"]
