"""Alerts: a failed run, publishing blocked by a check, a source older than its cadence allows.

Each alert is POSTed as JSON to FRONTLINE_ALERT_WEBHOOK (a Slack-compatible body: ``text`` for
the message, plus structured fields for other receivers) and appended to
``$FRONTLINE_HOME/alerts.jsonl`` (beside ``published/``, whose files stay those of the versions),
which the status page lists. An alert has a key (the
run id, or source + day for staleness): a key already in the log is never sent again, so the
daemon's sensors, CLI runs and restarts do not repeat themselves, and a stale source is reported
once per day. A webhook that cannot be reached does not fail anything: the record says so.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.ingest import sources
from warehouse.publish import publish
from warehouse.store.config import Settings

LOG = "alerts.jsonl"
POST_TIMEOUT_S = 10


@dataclass(frozen=True)
class Alert:
    key: str  # deduplication: one alert per key, ever
    kind: str  # run_failure | publish_blocked | stale_source
    text: str
    fields: dict = field(default_factory=dict)  # run_id, job, failed_step, check, file, source, link…

    def body(self) -> dict:
        return {"text": self.text, "kind": self.kind, **self.fields}


def log_path(settings: Settings) -> Path:
    return settings.home / LOG


def recorded(home: Path, limit: int | None = None) -> list[dict]:
    """Alerts in the log of a FRONTLINE_HOME, newest first."""
    path = home / LOG
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records.reverse()
    return records[:limit] if limit else records


@contextmanager
def _locked(settings: Settings):
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / ".alerts.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def raise_alert(settings: Settings, alert: Alert, now: dt.datetime | None = None) -> dict | None:
    """POST the alert (when a webhook is set) and record it; None if its key was already raised."""
    import requests

    with _locked(settings):
        if any(r["key"] == alert.key for r in recorded(settings.home)):
            return None
        record = {"key": alert.key, "at": (now or dt.datetime.now(dt.UTC)).isoformat(), **alert.body()}
        if settings.alert_webhook:
            try:
                response = requests.post(settings.alert_webhook, json=alert.body(), timeout=POST_TIMEOUT_S)
                record["delivered"] = response.ok
                if not response.ok:
                    record["delivery_error"] = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                record["delivered"] = False
                record["delivery_error"] = f"{type(exc).__name__}: {exc}"
        else:
            record["delivered"] = False
            record["delivery_error"] = "FRONTLINE_ALERT_WEBHOOK is not set"
        with log_path(settings).open("a", encoding="utf-8") as log:
            log.write(json.dumps(record, default=str) + "\n")
        return record


def run_link(settings: Settings, run_id: str) -> str | None:
    return f"{settings.ui_url}/runs/{run_id}" if settings.ui_url else None


def stale_sources(settings: Settings) -> list[Alert]:
    """One alert per source of the latest published version whose newest day is older than its
    cadence allows (warehouse.ingest.sources), keyed by source and today: once per day."""
    from warehouse.serve.status import source_freshness

    version = publish.latest_version(settings.published_dir)
    if version is None:
        return []
    folder = publish.version_path(settings.published_dir, version)
    manifest = publish.read_manifest(settings.published_dir, version)
    today = settings.today
    alerts = []
    for fresh in source_freshness(folder, manifest):
        known = sources.BY_NAME.get(fresh.source)
        allowed = known.freshness.allowed_lag_days if known else None
        age = fresh.age_days(today)
        if allowed is None or (age is not None and age <= allowed):
            continue
        newest = fresh.newest.isoformat() if fresh.newest else "never"
        alerts.append(
            Alert(
                key=f"stale:{fresh.source}:{today.isoformat()}",
                kind="stale_source",
                text=(
                    f"frontline: source {fresh.source} is stale — newest day {newest} is {age} days old "
                    f"on {today}, its cadence allows {allowed} (published version {version})"
                ),
                fields={
                    "source": fresh.source,
                    "newest_day": newest,
                    "age_days": age,
                    "allowed_lag_days": allowed,
                    "version": version,
                    "link": settings.ui_url,
                },
            )
        )
    return alerts


def check_staleness(settings: Settings) -> list[dict]:
    """Raise the staleness alerts not raised yet today; the records sent."""
    return [r for alert in stale_sources(settings) if (r := raise_alert(settings, alert)) is not None]
