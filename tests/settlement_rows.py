"""Hand-made rows of the settlement tables (issue 11) for the quality-suite tests' warehouse:
two towns on the archive's calendar of tests/territory_rows.py (2026-03-20 + 250 days, day 151
missing), Toretsk taken on the tenth day after a flicker."""

import datetime as dt

import shapely

DAYS = [dt.date(2026, 3, 20) + dt.timedelta(days=i) for i in range(250)]
MISSING = DAYS[151]
KURAKHOVE, TORETSK = 695357, 709354
_LINE = shapely.to_wkb(shapely.LineString([(37.0, 48.0), (37.5, 48.6)]))
_AREA = shapely.to_wkb(shapely.box(37.5, 47.0, 39.0, 49.0))


def _status(sid: int, i: int) -> tuple[str, float]:
    if sid == KURAKHOVE:
        return "occupied", -12.5
    if i < 6 or i in (7, 8):
        return "ukraine", 0.4
    return "occupied", -0.05 if i < 20 else -1.5


SETTLEMENT_ROWS = {
    "dim_settlement": [
        dict(
            settlement_id=KURAKHOVE,
            name_en="Kurakhove",
            name_uk="Курахове",
            region_code="UA-14",
            region_match="contains",
            admin1_code="05",
            population=18_220,
            latitude=47.9847,
            longitude=37.28069,
            geometry=shapely.to_wkb(shapely.Point(37.28069, 47.9847)),
        ),
        dict(
            settlement_id=TORETSK,
            name_en="Toretsk",
            name_uk="Торецьк",
            region_code="UA-14",
            region_match="nearest",
            admin1_code="05",
            population=30_914,
            latitude=48.39768,
            longitude=37.84696,
            geometry=shapely.to_wkb(shapely.Point(37.84696, 48.39768)),
        ),
    ],  # fmt: skip
    "fact_settlement_control_daily": [
        dict(
            source="deepstate",
            date=day,
            settlement_id=sid,
            status=None if day == MISSING else _status(sid, i)[0],
            api_class=None,
            distance_to_front_km=None if day == MISSING else _status(sid, i)[1],
            is_observed=day != MISSING,
            coverage="missing" if day == MISSING else "observed",
        )
        for sid in (KURAKHOVE, TORETSK)
        for i, day in enumerate(DAYS)
    ],
    "fact_settlement_status_flips": [
        dict(
            source="deepstate",
            settlement_id=TORETSK,
            date=DAYS[i],
            from_status=a,
            to_status=b,
            previous_date=DAYS[i - 1],
        )
        for i, a, b in ((6, "ukraine", "occupied"), (7, "occupied", "ukraine"), (9, "ukraine", "occupied"))
    ],  # fmt: skip
    "fact_settlement_control_changes": [
        dict(
            source="deepstate",
            settlement_id=TORETSK,
            from_status="ukraine",
            to_status="occupied",
            first_seen=DAYS[9],
            last_seen_before=DAYS[8],
            flicker_from=DAYS[6],
            raw_flips=3,
        ),
    ],  # fmt: skip
    "fact_front_line_daily": [
        dict(
            source="deepstate",
            date=day,
            length_km=None if day == MISSING else 1_150.0 + i / 10,
            is_observed=day != MISSING,
            coverage="missing" if day == MISSING else "observed",
        )
        for i, day in enumerate(DAYS)
    ],  # fmt: skip
    "front_line_daily": [
        dict(source="deepstate", date=day, length_km=1_150.0 + i / 10, geometry=_LINE, occupied_area=_AREA)
        for i, day in enumerate(DAYS)
        if day != MISSING
    ],
}
