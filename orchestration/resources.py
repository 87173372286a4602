"""The warehouse as a Dagster resource: settings in, connections out."""

import datetime as dt
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from warehouse.store import db
from warehouse.store.config import Settings
from warehouse.store.writer_lock import exclusive_writer


class WarehouseResource(dg.ConfigurableResource):
    """Where the warehouse lives and where sources are fetched from (see warehouse.store.config)."""

    home: str
    sources: str | None = None
    keep_versions: int = 10
    http_interval_s: float = 1.0
    today: str | None = None  # ISO date; None = the real date (UTC)

    @property
    def settings(self) -> Settings:
        return Settings(
            home=Path(self.home),
            sources=self.sources,
            keep_versions=self.keep_versions,
            http_interval_s=self.http_interval_s,
            today_override=dt.date.fromisoformat(self.today) if self.today else None,
        )

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        """A run holds the warehouse's writer lock from its first step to its last, however it
        was started (CLI, schedule, UI): overlapping runs would collide step by step."""
        with exclusive_writer(Path(self.home)):
            yield self

    @contextmanager
    def connect(self):
        with db.session(self.settings.warehouse_path) as con:
            yield con

    @classmethod
    def from_settings(cls, settings: Settings) -> "WarehouseResource":
        return cls(
            home=str(settings.home),
            sources=settings.sources,
            keep_versions=settings.keep_versions,
            http_interval_s=settings.http_interval_s,
            today=settings.today_override.isoformat() if settings.today_override else None,
        )
