"""Physical plausibility of raw payloads, checked before anything is computed from them.

A payload can parse and still be impossible: coordinates in metres or with lat/lon swapped, a
polygon moved off Ukraine, a count of 10¹⁵, a date in the future, a whole-history file cut off
mid-download that still parses. Each rule here raises :class:`Implausible` (a
:class:`~warehouse.ingest.parse.ParseError`: it names source, file, row or feature, the value and the
bound), so the payload is quarantined like any unreadable one and nothing is published.

Unlike a structural error (truncated JSON, an HTML page), an implausible payload may be real (an
extraordinary day, upstream really deleting history): an operator can let that exact payload
(sha256) through with ``frontline accept`` (recorded in ``audit.acceptances``; see
:func:`accepted`). Every bound below says where its number comes from.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import shapely

from warehouse.ingest.parse import ParseError


class Implausible(ParseError):
    """A payload that parses but breaks a physical bound; an operator may accept it."""


@dataclass(frozen=True)
class Box:
    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float

    def __str__(self) -> str:
        return f"lon {self.lon_min}…{self.lon_max}, lat {self.lat_min}…{self.lat_max}"


# Ukraine spans lon 22.1…40.2 E, lat 44.4…52.4 N (the 25 oblast polygons); the front and the
# territory either side of it (Kursk, Belgorod, Bryansk, Rostov, Transnistria) stays well inside
# this box. Lat/lon swapped (lat 22…40) or metres (10⁵…10⁶) land far outside it.
BOX = Box(lon_min=20.0, lon_max=45.0, lat_min=43.0, lat_max=56.0)

# A snapshot of occupied territory must lie on Ukraine: at least this share of its vertices within
# OVERLAP_BUFFER_DEG (~10 km, coast and border drawing) of the union of the oblast polygons. In the
# mirror the lowest share is 99.85 % (archive, 2024-07-08 … 2026-06-30); a polygon moved by a degree
# or more keeps well under it. (A shift of a few km stays inside; the fact bounds catch its gain/loss.)
OVERLAP_BUFFER_DEG = 0.1
MIN_SHARE_ON_UKRAINE = 0.95

# No source reports a day before Russia's occupation of Crimea began.
EARLIEST_DATE = dt.date(2014, 2, 20)


def geometry(source: str, uri: str, row: str, geom: shapely.Geometry, box: Box = BOX) -> None:
    """Every coordinate finite and inside ``box`` (first offender named)."""
    coords = shapely.get_coordinates(geom, include_z=False)
    if coords.size == 0:
        return
    finite = np.isfinite(coords).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ParseError(  # never acceptable: there is no such place
            source, uri, row, f"coordinate {i} is not a finite number: {tuple(coords[i].tolist())} (NaN or infinite)"
        )
    outside = (
        (coords[:, 0] < box.lon_min)
        | (coords[:, 0] > box.lon_max)
        | (coords[:, 1] < box.lat_min)
        | (coords[:, 1] > box.lat_max)
    )
    if outside.any():
        i = int(np.argmax(outside))
        lon, lat = coords[i].tolist()
        raise Implausible(
            source,
            uri,
            row,
            f"coordinate {i} (lon {lon:.6g}, lat {lat:.6g}) is outside the WGS84 box {box} "
            f"({int(outside.sum())} of {len(coords)} coordinates; metres, swapped axes or a wrong CRS?)",
        )


def outside_box(geom: shapely.Geometry, box: Box = BOX) -> bool:
    """Whether a (finite) geometry lies wholly outside ``box``."""
    lon0, lat0, lon1, lat1 = geom.bounds
    return lon1 < box.lon_min or lon0 > box.lon_max or lat1 < box.lat_min or lat0 > box.lat_max


def api_layer(uri: str, row: str, cls: str, geom: shapely.Geometry) -> list[str]:
    """A DeepState API polygon layer: coordinates finite always; inside BOX for the territorial
    classes. Editorial layers (class ``other``: Karelia, the Kurils, Abkhazia …) lie outside it by
    design. A grey-zone part wholly outside the box is a known upstream quirk (a 527 km² square in
    the Arabian Sea, lon 64.2, lat 14.4, in 41 snapshots from 2023-02): reported, not fatal."""
    source = "deepstate_api"
    if cls == "other":
        geometry(source, uri, row, geom, Box(-180.0, 180.0, -90.0, 90.0))
        return []
    if cls != "grey_zone":
        geometry(source, uri, row, geom)
        return []
    quirks = []
    for part in shapely.get_parts(geom):
        geometry(source, uri, row, part, Box(-180.0, 180.0, -90.0, 90.0))
        if outside_box(part):
            lon0, lat0, _, _ = part.bounds
            quirks.append(f"{row}: a grey-zone part lies outside {BOX} (at lon {lon0:.2f}, lat {lat0:.2f})")
        else:
            geometry(source, uri, row, part)
    return quirks


_zones: dict[str, shapely.Geometry] = {}


def ukraine_zone(con) -> shapely.Geometry | None:
    """The current oblast polygons of the raw layer, unioned, buffered by OVERLAP_BUFFER_DEG and
    simplified (prepared; built once per boundaries payload). None before the first landing."""
    current = con.execute(
        "SELECT version, sha256 FROM raw.current_payloads WHERE source = 'oblast_boundaries' AND key = 'all'"
    ).fetchall()
    if not current:
        return None
    version, sha = current[0]
    if sha not in _zones:
        rows = con.execute("SELECT geometry_wkb FROM raw.oblast_boundaries WHERE version = ?", [version]).fetchall()
        union = shapely.union_all([shapely.from_wkb(bytes(r[0])) for r in rows])
        zone = shapely.simplify(union.buffer(OVERLAP_BUFFER_DEG), 0.01)
        shapely.prepare(zone)
        _zones[sha] = zone
    return _zones[sha]


def on_ukraine(source: str, uri: str, row: str | None, geom: shapely.Geometry, zone: shapely.Geometry | None) -> None:
    """At least MIN_SHARE_ON_UKRAINE of the vertices within OVERLAP_BUFFER_DEG of Ukraine
    (``zone``: :func:`ukraine_zone`)."""
    if zone is None or geom.is_empty:
        return
    coords = shapely.get_coordinates(geom)
    share = float(shapely.contains_xy(zone, coords[:, 0], coords[:, 1]).mean())
    if share < MIN_SHARE_ON_UKRAINE:
        lon0, lat0, lon1, lat1 = geom.bounds
        raise Implausible(
            source,
            uri,
            row,
            f"only {share:.1%} of the polygon's {len(coords)} vertices lie on Ukraine (bound: at least "
            f"{MIN_SHARE_ON_UKRAINE:.0%} within {OVERLAP_BUFFER_DEG}° of the oblasts); its extent is "
            f"lon {lon0:.3f}…{lon1:.3f}, lat {lat0:.3f}…{lat1:.3f} (displaced?)",
        )


# --- rows of the whole-history files ---------------------------------------------------------


@dataclass(frozen=True)
class RowRule:
    """Where the row label, the date and the numbers sit in a source's parsed rows, and their
    physical range (inclusive)."""

    label: str  # "line" or "element"
    label_at: int
    date_at: int
    numbers: tuple[tuple[int, str, float, float], ...]  # (index, column, lo, hi)
    grain: tuple[int, ...]  # indexes of the row's key: unique within a payload, kept across versions


UKRAINE_AREA_M2 = 603_628e6
_MEDIAZONA = RowRule("line", 1, 4, ((6, "value", -1_000.0, 1_000_000.0),), (4, 5, 2, 3))
ROW_RULES: dict[str, RowRule] = {
    # ISW's figure includes Crimea and ORDLO (43,679 km² on 2022-02-22, the smallest in the file):
    # below 10,000 km² it is km² or hectares read as m²; above Ukraine's area it is impossible.
    "isw": RowRule("line", 0, 1, ((2, "area_m2", 10_000e6, UKRAINE_AREA_M2),), (1,)),
    # Cumulative claims: largest in the mirror 1,403,550 personnel (2026-06-30), 381,176 drones;
    # bounds ~7× and ~13× that: a count beyond them is a unit or digit error.
    "gs_personnel": RowRule("element", 0, 1, ((2, "personnel", 0, 10_000_000), (4, "POW", 0, 1_000_000)), (1,)),
    "gs_equipment": RowRule("element", 0, 1, ((3, "value", 0, 5_000_000),), (1, 2)),
    # Signed corrections: largest |amount| in the mirror 1,650 (personnel).
    "gs_equipment_corrections": RowRule("element", 0, 1, ((3, "value", -100_000, 100_000),), (1, 2)),
    # Weekly counts and estimates: the largest is the 2024 vintage's running total, 139,877; one
    # real weekly excess-death estimate in the 2026 file is −15.6.
    "mediazona_2024": _MEDIAZONA,
    "mediazona_2025": _MEDIAZONA,
    "mediazona_2026": _MEDIAZONA,
    # The largest published estimate is 1,490,000 casualties.
    "official_estimates": RowRule(
        "line",
        0,
        1,
        ((4, "estimate", 0, 5_000_000), (5, "estimate_low", 0, 5_000_000), (6, "estimate_high", 0, 5_000_000)),
        (1, 2, 3, 7),
    ),
}


def rows(source: str, uri: str, parsed_rows: list[tuple], today: dt.date) -> None:
    """Numbers finite and in range, dates between EARLIEST_DATE and today, grain unique."""
    rule = ROW_RULES.get(source)
    if rule is None:
        return
    seen: dict[tuple, str] = {}
    for r in parsed_rows:
        where = f"{rule.label} {r[rule.label_at]} (date {r[rule.date_at]})"
        day = r[rule.date_at]
        if day > today:
            raise Implausible(source, uri, where, f"date {day} is in the future (today is {today})")
        if day < EARLIEST_DATE:
            raise Implausible(source, uri, where, f"date {day} is before {EARLIEST_DATE}, the start of the war")
        for i, column, lo, hi in rule.numbers:
            value = r[i]
            if value is None:
                continue
            if not math.isfinite(value) or not lo <= value <= hi:
                raise Implausible(
                    source, uri, where, f"{column} {value!r} is outside its physical range {lo:,g} … {hi:,g}"
                )
        key = tuple(r[i] for i in rule.grain)
        if key in seen and rule.label == "line":  # JSON dates are checked unique by the parser
            raise Implausible(source, uri, where, f"{key} appears twice (first at {seen[key]})")
        seen.setdefault(key, where)


def known_fields(source: str, uri: str, parsed_rows: list[tuple]) -> None:
    """Every count field of an equipment file is claimed by a loss category (a renamed or new
    upstream field would otherwise vanish from the totals). Not acceptable by an operator: the
    field needs a category in transforms/losses/loss_categories.py first."""
    if source not in ("gs_equipment", "gs_equipment_corrections"):
        return
    from transforms.losses.loss_categories import CATEGORIES  # the one list of upstream fields

    claimed = {f for c in CATEGORIES for f in c.upstream_fields}
    for element, day, field, _ in parsed_rows:
        if field not in claimed:
            raise ParseError(
                source,
                uri,
                f"element {element} (date {day})",
                f"unknown field {field!r}: no loss category claims it (renamed upstream? map it in "
                "transforms/losses/loss_categories.py)",
            )


def no_gaps(source: str, uri: str, parsed_rows: list[tuple]) -> None:
    """The General Staff's claims are daily: report dates follow each other day by day (1,587 of
    them in the mirror, none missing), and every equipment field has a value on each date from
    the first it appears on to the last (fields only start, like `drones`, or stop for good, like
    `military auto` when merged). A missing date, or a field missing or null on a date in
    between, made the next day's difference cover two days, unflagged (and left the day out of
    the field's category)."""
    if source not in ("gs_personnel", "gs_equipment"):
        return
    element_of = {r[1]: r[0] for r in parsed_rows}
    dates = sorted(element_of)
    for before, day in zip(dates, dates[1:], strict=False):
        if (day - before).days > 1:
            raise Implausible(
                source,
                uri,
                f"element {element_of[day]} (date {day})",
                f"{(day - before).days - 1} report date(s) missing between {before} and {day} (the daily "
                "difference would cover them, unflagged)",
            )
    if source != "gs_equipment":
        return
    held: dict[str, set] = {}
    for _, day, field, _ in parsed_rows:
        held.setdefault(field, set()).add(day)
    for field, days in sorted(held.items()):
        first, last = min(days), max(days)
        missing = [d for d in dates if first < d < last and d not in days]
        if missing:
            day = missing[0]
            raise Implausible(
                source,
                uri,
                f"element {element_of[day]} (date {day})",
                f"{field!r} has no value on {len(missing)} report date(s) between {first} and {last}, first "
                f"{day} (a field dropped from a record?)",
            )


# The grain of each whole-history raw table: what a new version must keep from the previous one.
_HISTORY_SQL = {
    "isw": "SELECT DISTINCT date FROM raw.isw_area WHERE version = ?",
    "gs_personnel": "SELECT DISTINCT date FROM raw.gs_personnel WHERE version = ?",
    "gs_equipment": "SELECT DISTINCT date FROM raw.gs_equipment WHERE version = ?",
    "gs_equipment_corrections": "SELECT DISTINCT date FROM raw.gs_equipment_corrections WHERE version = ?",
    "mediazona_2024": "SELECT DISTINCT week_start FROM raw.mediazona_weekly WHERE source = ? AND version = ?",
    "mediazona_2025": "SELECT DISTINCT week_start FROM raw.mediazona_weekly WHERE source = ? AND version = ?",
    "mediazona_2026": "SELECT DISTINCT week_start FROM raw.mediazona_weekly WHERE source = ? AND version = ?",
    "official_estimates": "SELECT DISTINCT report_date FROM raw.official_estimates WHERE version = ?",
}


def history_kept(con, source: str, uri: str, previous_version: int | None, parsed_rows: list[tuple]) -> None:
    """A new version of a whole-history file holds every date its previous version held (a
    download cut off mid-file that still parses is the classic way to lose them)."""
    if previous_version is None or source not in _HISTORY_SQL:
        return
    params = [source, previous_version] if "source = ?" in _HISTORY_SQL[source] else [previous_version]
    before = {r[0] for r in con.execute(_HISTORY_SQL[source], params).fetchall()}
    date_at = ROW_RULES[source].date_at
    lost = sorted(before - {r[date_at] for r in parsed_rows})
    if lost:
        shown = ", ".join(str(d) for d in lost[:5]) + (" …" if len(lost) > 5 else "")
        raise Implausible(
            source,
            uri,
            None,
            f"{len(lost)} date(s) of the previous version (v{previous_version}) are missing: {shown} "
            f"(newest now {max((r[date_at] for r in parsed_rows), default=None)}; a cut-off download?)",
        )


def listing_kept(source: str, uri: str, previous: set[int], now: set[int]) -> None:
    """The DeepState API listing keeps every snapshot id it listed before."""
    lost = sorted(previous - now)
    if lost:
        raise Implausible(
            source, uri, None, f"{len(lost)} snapshot id(s) listed before are missing: {', '.join(map(str, lost[:5]))}"
        )


def not_future(source: str, uri: str, row: str | None, day: dt.date, today: dt.date) -> None:
    if day > today:
        raise Implausible(source, uri, row, f"date {day} is in the future (today is {today})")


# --- operator acceptances ---------------------------------------------------------------------


def accepted(con, source: str, sha256: str) -> dict | None:
    """The acceptance recorded for this exact payload, if any."""
    rows = con.execute(
        "SELECT accepted_by, accepted_at, reason FROM audit.acceptances WHERE source = ? AND sha256 = ? "
        "ORDER BY accepted_at DESC LIMIT 1",
        [source, sha256],
    ).fetchall()
    if not rows:
        return None
    by, at, reason = rows[0]
    return {"accepted_by": by, "accepted_at": at, "reason": reason}


def whole_file_rows(con, source, key: str, payload, parsed, current_version: int | None, today: dt.date) -> list[str]:
    """The checks of a whole-history file's rows (a source's ``check``): known fields, values and
    dates in range, no missing report date or equipment field, no date of the current version lost."""

    def check() -> None:
        known_fields(source.name, payload.uri, parsed.rows)
        rows(source.name, payload.uri, parsed.rows, today)
        history_kept(con, source.name, payload.uri, current_version, parsed.rows)
        no_gaps(source.name, payload.uri, parsed.rows)

    return unless_accepted(con, source.name, payload.sha256, check)


def unless_accepted(con, source: str, sha256: str, check, *args) -> list[str]:
    """Run ``check(*args)``; an :class:`Implausible` on an accepted payload becomes a quirk line."""
    try:
        check(*args)
    except Implausible as exc:
        acceptance = accepted(con, source, sha256)
        if acceptance is None:
            raise
        return [f"accepted by {acceptance['accepted_by']} ({acceptance['reason']}): {exc.message}"]
    return []
