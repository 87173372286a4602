"""What `frontline run` shows while it runs, read from the run's own Dagster events.

The runner subscribes `Progress.on_event` to the run's event log: stages are followed from the
events Dagster writes anyway (a raw asset materialized = one source fetched, a `contract` check
evaluated = one table checked, the publishing step started). Only the two long loops inside one
step — DeepState days fetched, per-region geometry days computed — log a counter themselves
(`step_counter`), which the UI's run log shows too.

Three ways to show it: a live bar on a terminal, plain lines otherwise (logs, CI), nothing with
--quiet (cron: the summary's errors and final status only).
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

from warehouse.store import catalog

_COUNTER = re.compile(r"^(?P<stage>fetch deepstate|geometry): (?P<done>\d+)/(?P<total>\d+) days$")
_MAX_COUNTER_LOGS = 50  # per loop: enough for a smooth bar, few enough for the event log


def step_counter(stage: str, done: int, total: int) -> str | None:
    """The log line a long loop inside a step writes after `done` of `total` days, or None when
    this one is skipped (at most ~50 per loop, always the last)."""
    every = max(1, total // _MAX_COUNTER_LOGS)
    return f"{stage}: {done}/{total} days" if done == total or done % every == 0 else None


class Progress:
    """Stage lines (``bar=False``) or one live bar line rewritten in place (``bar=True``)."""

    def __init__(self, raw_assets: int, stream: TextIO | None = None, bar: bool | None = None, width: int = 24):
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self.width = width
        self.totals = {"fetched": raw_assets, "checks": len(catalog.PUBLISHED)}
        self.done = {"fetched": 0, "checks": 0}
        self.seen: set[tuple[str, ...]] = set()  # a partitioned asset materializes once per day
        self.stage: str | None = None
        self.last_line: dict[str, str] = {}
        self.live = False  # a bar line is on screen, not yet ended with a newline

    # -- rendering ---------------------------------------------------------------------------
    def _show(self, stage: str, done: int | None, total: int | None, text: str, final: bool = False) -> None:
        if self.stage is not None and stage != self.stage:
            self._end_line()
        self.stage = stage
        if self.bar:
            filled = int(self.width * done / total) if done is not None and total else self.width * final
            bar = f"[{'#' * filled}{'-' * (self.width - filled)}] " if done is not None else ""
            self.stream.write(f"\r\x1b[K{bar}{text}")
            self.live = True
            if final:
                self._end_line()
        elif self.last_line.get(stage) != text:  # plain lines: each state once
            self.stream.write(text + "\n")
        self.last_line[stage] = text
        self.stream.flush()

    def _end_line(self) -> None:
        if self.bar and self.live:
            self.stream.write("\n")
            self.live = False

    def _count(self, stage: str, what: str, unit: str) -> None:
        self.done[stage] += 1
        done, total = self.done[stage], self.totals[stage]
        self._show(stage, done, total, f"{stage} {done}/{total} {unit} ({what})", final=done == total)

    def finish(self) -> None:
        self._end_line()
        self.stream.flush()

    # -- events ------------------------------------------------------------------------------
    def on_event(self, entry) -> None:
        """An EventLogEntry of the run (called by the Dagster instance as it is written)."""
        event = entry.dagster_event
        if event is None:
            match = _COUNTER.match(entry.user_message or "")
            if match:
                done, total = int(match["done"]), int(match["total"])
                stage = "geometry" if match["stage"] == "geometry" else "fetched"
                label = "geometry" if stage == "geometry" else "fetch deepstate"
                self._show(
                    stage, done, total, f"{label} {done}/{total} days", final=stage == "geometry" and done == total
                )
            return
        if event.is_step_failure:
            self._end_line()
            self.stream.write(f"step failed: {event.step_key}\n")
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            key = event.asset_key.path
            if key[0] == "raw" and tuple(key) not in self.seen:
                self.seen.add(tuple(key))
                self._count("fetched", "/".join(key), "sources")
            elif key == ["core", "region_daily_area"] and self.last_line.get("geometry") is None:
                self._show("geometry", 0, 0, "geometry 0/0 days (nothing changed)", final=True)
            elif key == ["published", "extracts"]:
                meta = event.event_specific_data.materialization.metadata
                version = getattr(meta.get("version"), "value", "?")
                new = getattr(meta.get("new_version"), "value", False)
                self._show("publishing", None, None, f"published {'new version' if new else 'unchanged'} {version}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.check_name == "contract":
                verdict = "passed" if evaluation.passed else "FAILED"
                self._count("checks", f"{evaluation.asset_key.path[-1]} {verdict}", "tables")
        elif event.is_step_start and event.step_key == "published__extracts":
            self._show("publishing", None, None, "publishing")
