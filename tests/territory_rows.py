"""Hand-made rows of the territory tables (issue 3) for the quality-suite tests' warehouse."""

import datetime as dt

import shapely

_SQUARE = shapely.to_wkb(shapely.box(37.0, 48.0, 37.01, 48.01))

TERRITORY_ROWS = {
    "dim_region": [
        dict(
            region_code="UA-14",
            name_en="Donetsk Oblast",
            name_uk="Донецька область",
            region_kind="oblast",
            area_km2=26_684.0,
            geometry_wkb=_SQUARE,
        ),
        dict(
            region_code="UA",
            name_en="Ukraine",
            name_uk="Україна",
            region_kind="country",
            area_km2=599_094.0,
            geometry_wkb=None,
        ),
        dict(
            region_code="UNATTRIBUTED",
            name_en="Outside every oblast polygon",
            name_uk="Поза межами областей",
            region_kind="remainder",
            area_km2=None,
            geometry_wkb=None,
        ),
    ],
    "fact_control_coverage_daily": [
        dict(
            date=dt.date(2026, 3, 20) + dt.timedelta(days=i),
            source="deepstate",
            status="missing" if i == 151 else "observed",
            snapshot_id=None,
            snapshots_that_day=None,
            note=None,
        )
        for i in range(250)
    ],
    "mart_control_source_agreement_daily": [
        dict(
            date=dt.date(2025, 6, 1),
            source_a="deepstate",
            source_b="deepstate_api",
            area_a_km2=113_156.7,
            area_b_km2=113_181.4,
            difference_km2=-24.7,
            ratio=113_156.7 / 113_181.4,
        ),
        dict(
            date=dt.date(2025, 6, 1),
            source_a="deepstate",
            source_b="isw",
            area_a_km2=113_156.7,
            area_b_km2=116_987.0,
            difference_km2=-3_830.3,
            ratio=113_156.7 / 116_987.0,
        ),
    ],
    "control_changes_daily": [
        dict(
            date=dt.date(2026, 3, 21),
            source="deepstate",
            **{"class": "occupied_total"},
            change="gained",
            region_code="UA-14",
            area_km2=0.82,
            days_since_previous=1,
            geometry=_SQUARE,
        ),
    ],
}
