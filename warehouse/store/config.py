"""Where frontline keeps its files and where it fetches from, read from the environment once.

`FRONTLINE_HOME` holds the warehouse, the Dagster instance, quarantine and published versions.
`FRONTLINE_SOURCES` selects one base for every source (a folder, `file://` or `http(s)://` URL laid
out like the mirror in `../shared/data`); unset, each source is fetched from its live upstream URL.
`FRONTLINE_HTTP_INTERVAL` spaces HTTP requests to one host (seconds, default 1).
Running as services (README "Running in production"): `FRONTLINE_DAGSTER_PG_URL` puts the Dagster
instance on PostgreSQL, `FRONTLINE_SCHEDULE_CRON` sets the daily schedule, `FRONTLINE_ALERT_WEBHOOK`
receives alerts, `FRONTLINE_PUBLISH_URL` mirrors each published version to object storage.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

# The DeepState archive commits the day's file around 03:00 UTC; the General Staff figures
# appear in the morning Kyiv time. 07:30 UTC catches both on a normal day.
DEFAULT_SCHEDULE_CRON = "30 7 * * *"


@dataclass(frozen=True)
class Settings:
    home: Path
    sources: str | None  # None = live upstream URLs
    keep_versions: int = 10
    recheck_days: int = 3
    http_interval_s: float = 1.0  # between two HTTP requests to one host: be gentle with upstream
    today_override: dt.date | None = None  # FRONTLINE_TODAY: pin "today" for reproducible checks
    # Optional PostgreSQL publish target (warehouse/publish/postgres.py); None = not used.
    postgres_dsn: str | None = None
    postgres_reader: str = "frontline_reader"
    postgres_reader_password: str | None = None
    # Services (README "Running in production"); None = not used.
    dagster_pg_url: str | None = None  # Dagster instance storage (runs, events, schedules)
    schedule_cron: str = DEFAULT_SCHEDULE_CRON
    alert_webhook: str | None = None
    ui_url: str | None = None  # the Dagster UI as alert readers reach it, for links to runs
    publish_url: str | None = None  # s3://, gs://, az:// or file:// mirror of published versions

    @property
    def today(self) -> dt.date:
        return self.today_override or dt.datetime.now(dt.UTC).date()

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("FRONTLINE_HOME", Path.home() / ".frontline")).expanduser()
        return cls(
            home=home.resolve(),
            sources=os.environ.get("FRONTLINE_SOURCES") or None,
            keep_versions=int(os.environ.get("FRONTLINE_KEEP_VERSIONS", "10")),
            recheck_days=int(os.environ.get("FRONTLINE_RECHECK_DAYS", "3")),
            http_interval_s=float(os.environ.get("FRONTLINE_HTTP_INTERVAL", "1")),
            today_override=dt.date.fromisoformat(os.environ["FRONTLINE_TODAY"])
            if os.environ.get("FRONTLINE_TODAY")
            else None,
            postgres_dsn=os.environ.get("FRONTLINE_POSTGRES_DSN") or None,
            postgres_reader=os.environ.get("FRONTLINE_POSTGRES_READER") or "frontline_reader",
            postgres_reader_password=os.environ.get("FRONTLINE_POSTGRES_READER_PASSWORD") or None,
            dagster_pg_url=os.environ.get("FRONTLINE_DAGSTER_PG_URL") or None,
            schedule_cron=os.environ.get("FRONTLINE_SCHEDULE_CRON") or DEFAULT_SCHEDULE_CRON,
            alert_webhook=os.environ.get("FRONTLINE_ALERT_WEBHOOK") or None,
            ui_url=(os.environ.get("FRONTLINE_UI_URL") or "").rstrip("/") or None,
            publish_url=os.environ.get("FRONTLINE_PUBLISH_URL") or None,
        )
