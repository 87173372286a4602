"""The registry of upstream sources: one module per source (its ``Source``, parser and raw row
schema in ``sql/<module>.sql``), collected here; what each source is (description, licence, URLs,
cadence) is in ``sources.toml``.

A mirror (``FRONTLINE_SOURCES``) keeps every file under the same relative path as
``../shared/data``, so one base switches all sources at once.
"""

from __future__ import annotations

from warehouse.ingest.sources import (
    boundaries,
    deepstate_api,
    deepstate_archive,
    estimates,
    general_staff,
    isw,
    mediazona,
    settlements,
)
from warehouse.ingest.sources.base import Freshness, RawTable, Source, require_described_only

DEEPSTATE = deepstate_archive.DEEPSTATE
DEEPSTATE_FIRST_DAY = deepstate_archive.DEEPSTATE_FIRST_DAY
ISW = isw.ISW
GS_PERSONNEL, GS_EQUIPMENT, GS_EQUIPMENT_CORRECTIONS = general_staff.SOURCES
MEDIAZONA_2024, MEDIAZONA_2025, MEDIAZONA_2026 = mediazona.SOURCES
OFFICIAL_ESTIMATES = estimates.OFFICIAL_ESTIMATES
CASUALTY_SOURCES: tuple[Source, ...] = (*mediazona.SOURCES, OFFICIAL_ESTIMATES)
DEEPSTATE_API = deepstate_api.DEEPSTATE_API
OBLAST_BOUNDARIES = boundaries.OBLAST_BOUNDARIES
TERRITORY_SOURCES: tuple[Source, ...] = (DEEPSTATE_API, OBLAST_BOUNDARIES)
SETTLEMENTS = settlements.SETTLEMENTS

ALL: tuple[Source, ...] = (
    DEEPSTATE,
    ISW,
    *general_staff.SOURCES,
    *CASUALTY_SOURCES,
    *TERRITORY_SOURCES,
    SETTLEMENTS,
)
BY_NAME = {s.name: s for s in ALL}
require_described_only(BY_NAME)

__all__ = ["ALL", "BY_NAME", "Freshness", "RawTable", "Source"]
