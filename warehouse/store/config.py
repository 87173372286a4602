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
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

# The DeepState archive commits the day's file around 03:00 UTC; the General Staff figures
# appear in the morning Kyiv time. 07:30 UTC catches both on a normal day.
DEFAULT_SCHEDULE_CRON = "30 7 * * *"


def _env(variable: str, default=MISSING, secret: bool = False):
    """A setting read from `variable`; `secret` ones (passwords, tokens in URLs) are handed to
    Dagster by the variable's name, never by value (the UI shows resources' configuration)."""
    return field(default=default, metadata={"env": variable, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Everything frontline reads from the environment: built once per process (`from_env`) and
    handed on whole (the Dagster resource holds these fields 1:1, orchestration/resources.py)."""

    home: Path = _env("FRONTLINE_HOME")
    sources: str | None = _env("FRONTLINE_SOURCES")  # None = live upstream URLs
    keep_versions: int = _env("FRONTLINE_KEEP_VERSIONS", 10)
    recheck_days: int = _env("FRONTLINE_RECHECK_DAYS", 3)
    # missing DeepState days this far before a run's range are asked for again (filled late upstream)
    gap_recheck_days: int = _env("FRONTLINE_GAP_RECHECK_DAYS", 30)
    # between two HTTP requests to one host: be gentle with upstream
    http_interval_s: float = _env("FRONTLINE_HTTP_INTERVAL", 1.0)
    # FRONTLINE_TODAY: pin "today" for reproducible checks
    today_override: dt.date | None = _env("FRONTLINE_TODAY", None)
    # Optional PostgreSQL publish target (warehouse/publish/postgres.py); None = not used.
    postgres_dsn: str | None = _env("FRONTLINE_POSTGRES_DSN", None, secret=True)
    postgres_reader: str = _env("FRONTLINE_POSTGRES_READER", "frontline_reader")
    postgres_reader_password: str | None = _env("FRONTLINE_POSTGRES_READER_PASSWORD", None, secret=True)
    # Services (README "Running in production"); None = not used.
    # Dagster instance storage (runs, events, schedules)
    dagster_pg_url: str | None = _env("FRONTLINE_DAGSTER_PG_URL", None, secret=True)
    schedule_cron: str = _env("FRONTLINE_SCHEDULE_CRON", DEFAULT_SCHEDULE_CRON)
    alert_webhook: str | None = _env("FRONTLINE_ALERT_WEBHOOK", None, secret=True)  # chat webhooks carry a token
    ui_url: str | None = _env("FRONTLINE_UI_URL", None)  # the Dagster UI as alert readers reach it, for links to runs
    publish_url: str | None = _env("FRONTLINE_PUBLISH_URL", None)  # s3://, gs://, az:// or file:// mirror

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
        """Every field from its variable (`_env` above); unset or empty = the field's default."""
        hints = typing.get_type_hints(cls)
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f.metadata["env"]) or None
            if raw is not None:
                try:
                    values[f.name] = _parse(hints[f.name], raw)
                except ValueError:
                    raise SettingError(f"{f.metadata['env']}={raw!r}: expected {_EXPECTED[hints[f.name]]}") from None
        values["home"] = values.get("home", Path.home() / ".frontline").expanduser().resolve()
        values.setdefault("sources", None)
        if values.get("ui_url"):
            values["ui_url"] = values["ui_url"].rstrip("/") or None
        return cls(**values)


class SettingError(ValueError):
    """A variable holds a value its setting cannot take (the message names both)."""


_EXPECTED = {
    int: "a whole number ≥ 0",
    float: "a number ≥ 0",
    dt.date: "a date (YYYY-MM-DD)",
    dt.date | None: "a date (YYYY-MM-DD)",
}


def _parse(hint, raw: str):
    if hint is Path:
        return Path(raw)
    if hint in (dt.date, dt.date | None):
        return dt.date.fromisoformat(raw)
    if hint in (int, float):  # counts of days or versions, seconds: a negative one means nothing
        value = hint(raw)
        if not 0 <= value < float("inf"):  # NaN and infinity too
            raise ValueError(raw)
        return value
    return raw


def env_variables() -> dict[str, str]:
    """Field name → the environment variable it is read from."""
    return {f.name: f.metadata["env"] for f in fields(Settings)}


def secret_fields() -> set[str]:
    return {f.name for f in fields(Settings) if f.metadata["secret"]}
