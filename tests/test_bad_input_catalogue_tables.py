"""The bad-input catalogue, second half: the whole-history table sources (ISW, General Staff,
Mediazona, official estimates), with the same fixtures and assertions as
test_bad_input_catalogue.py (a separate module so that pytest-xdist runs the halves side by side),
and an operator accepting a refused payload."""

from __future__ import annotations

import hashlib
import json

import pytest

from orchestration.cli import main
from tests.conftest import MIRROR
from tests.test_bad_input import TODAY, case  # noqa: F401 (fixture)
from tests.test_bad_input_catalogue import (
    CORRECTIONS,
    EQUIPMENT,
    ESTIMATES,
    HTML,
    ISW,
    MZ2024,
    MZ2025,
    MZ2026,
    PERSONNEL,
    _csv_rows,
    _json_records,
    _personnel_jump,
    _whole,
    assert_refused_at_the_raw_layer,
    assert_refused_by_a_physical_bound,
)


def _whole_bytes(source_path: str, change):
    """A whole-history file of the mirror, changed as bytes."""

    def apply(mirror):
        path = mirror / source_path
        data = change((MIRROR / source_path).read_bytes())
        path.unlink(missing_ok=True)
        path.write_bytes(data)

    return apply


def _set(rows, row, column, value):
    rows[row][rows[0].index(column)] = value


def _isw_last(rows):
    _set(rows, len(rows) - 1, "area_assessed_as_russia_controlled", "400000000000.0")


# (id, source, file, change, the row/feature named, what the message says)
PARSE_CASES = [
    # ISW
    (
        "isw-renamed-column",
        "isw",
        "area_assessed_as_controlled_by_russia.csv",
        _whole(ISW, lambda t: t.replace("area_assessed_as_russia_controlled,", "area_km2,", 1)),
        "line 1",
        "missing columns",
    ),
    (
        "isw-km2-not-m2",
        "isw",
        "area_assessed_as_controlled_by_russia.csv",
        _csv_rows(ISW, lambda r: _set(r, 5, "area_assessed_as_russia_controlled", "43697.1")),
        "line 6",
        "outside its physical range",
    ),
    (
        "isw-malformed-date",
        "isw",
        "area_assessed_as_controlled_by_russia.csv",
        _csv_rows(ISW, lambda r: _set(r, 7, "date", "2022/03/01")),
        "line 8",
        "bad date",
    ),
    (
        "isw-future-date",
        "isw",
        "area_assessed_as_controlled_by_russia.csv",
        _csv_rows(ISW, lambda r: r.append(["2026-08-15", *r[-1][1:]])),
        "date 2026-08-15",
        "is in the future",
    ),
    (
        "isw-cut-off",
        "isw",
        "area_assessed_as_controlled_by_russia.csv",
        _csv_rows(ISW, lambda r: r[:-40]),
        None,
        "40 date(s) of the previous version (v1) are missing",
    ),
    # General Staff: personnel, equipment, corrections
    (
        "personnel-impossible",
        "gs_personnel",
        "russia_losses_personnel.json",
        _json_records(PERSONNEL, lambda r: r[-1].__setitem__("personnel", 1_403_550_000_000)),
        "element 1586 (date 2026-06-30)",
        "outside its physical range",
    ),
    (
        "personnel-cut-off",
        "gs_personnel",
        "russia_losses_personnel.json",
        _json_records(PERSONNEL, lambda r: r[:-10]),
        None,
        "10 date(s) of the previous version (v1) are missing",
    ),
    (
        "personnel-future",
        "gs_personnel",
        "russia_losses_personnel.json",
        _json_records(PERSONNEL, lambda r: r.append(dict(r[-1], date="2026-09-01"))),
        "date 2026-09-01",
        "is in the future",
    ),
    (
        "personnel-malformed-date",
        "gs_personnel",
        "russia_losses_personnel.json",
        _json_records(PERSONNEL, lambda r: r[-1].__setitem__("date", "30.06.2026")),
        "element 1586",
        "bad date '30.06.2026'",
    ),
    (
        "equipment-unknown-category",
        "gs_equipment",
        "russia_losses_equipment.json",
        _json_records(EQUIPMENT, lambda r: r[-1].__setitem__("laser cannons", 3)),
        "element",
        "unknown field 'laser cannons'",
    ),
    (
        "equipment-negative",
        "gs_equipment",
        "russia_losses_equipment.json",
        _json_records(EQUIPMENT, lambda r: r[-1].__setitem__("tank", -11_000)),
        "(date 2026-06-30)",
        "outside its physical range",
    ),
    (
        "equipment-wrong-shape",
        "gs_equipment",
        "russia_losses_equipment.json",
        _whole(EQUIPMENT, lambda t: json.dumps({"data": json.loads(t)})),
        None,
        "expected a non-empty JSON array",
    ),
    (
        "corrections-truncated",
        "gs_equipment_corrections",
        "russia_losses_equipment_correction.json",
        _whole(CORRECTIONS, lambda t: t[: len(t) // 3]),
        "line",
        "invalid JSON (truncated?)",
    ),
    (
        "corrections-impossible",
        "gs_equipment_corrections",
        "russia_losses_equipment_correction.json",
        _json_records(CORRECTIONS, lambda r: r[0].__setitem__("personnel", 16_500_000)),
        "element 0",
        "outside its physical range",
    ),
    # Mediazona vintages
    (
        "mediazona2024-renamed-column",
        "mediazona_2024",
        "meduza_2024.csv",
        _whole(MZ2024, lambda t: t.replace("ED_high", "ED_hi", 1)),
        "line 1",
        "missing columns ['ED_high']",
    ),
    (
        "mediazona2025-html",
        "mediazona_2025",
        "meduza_2025_weekly.csv",
        _whole(MZ2025, lambda t: HTML.decode()),
        None,
        "got an HTML page",
    ),
    (
        "mediazona2025-duplicated-week",
        "mediazona_2025",
        "meduza_2025_weekly.csv",
        _csv_rows(MZ2025, lambda r: r.insert(3, list(r[2]))),
        "line 4",
        "appears twice",
    ),
    (
        "mediazona2026-cut-off",
        "mediazona_2026",
        "meduza_2026_weekly.csv",
        _csv_rows(MZ2026, lambda r: r[:-20]),
        None,
        "20 date(s) of the previous version (v1) are missing",
    ),
    (
        "mediazona2026-future-week",
        "mediazona_2026",
        "meduza_2026_weekly.csv",
        _csv_rows(MZ2026, lambda r: r.append(["2027", "10", *r[-1][2:]])),
        "date 2027-03-08",
        "is in the future",
    ),
    (
        "mediazona2026-impossible",
        "mediazona_2026",
        "meduza_2026_weekly.csv",
        _csv_rows(MZ2026, lambda r: _set(r, 1, "EDHigh", "5.5e9")),
        "line 2",
        "outside its physical range",
    ),
    # Official estimates
    (
        "estimates-unknown-country",
        "official_estimates",
        "official_estimates.csv",
        _csv_rows(ESTIMATES, lambda r: _set(r, 1, "country", "atlantis")),
        "line 2",
        "'atlantis' is not one of",
    ),
    (
        "estimates-malformed-date",
        "official_estimates",
        "official_estimates.csv",
        _csv_rows(ESTIMATES, lambda r: _set(r, 1, "date", "31/02/2024")),
        "line 2",
        "bad date '31/02/2024'",
    ),
    (
        "estimates-impossible",
        "official_estimates",
        "official_estimates.csv",
        _csv_rows(ESTIMATES, lambda r: _set(r, 1, "estimate", "390580000")),
        "line 2",
        "outside its physical range",
    ),
    (
        "estimates-duplicated-row",
        "official_estimates",
        "official_estimates.csv",
        _csv_rows(ESTIMATES, lambda r: r.insert(2, list(r[1]))),
        "line 3",
        "appears twice",
    ),
    (
        "mediazona2025-new-column",
        "mediazona_2025",
        "meduza_2025_weekly.csv",
        _csv_rows(MZ2025, lambda r: [[*row, "ED_median" if i == 0 else "1"] for i, row in enumerate(r)]),
        "line 1",
        "unknown columns ['ED_median']: nothing reads them",
    ),
    # Read wrong at the byte or line level (a traceback and no quarantine before)
    (
        "isw-not-utf8",
        "isw",
        "area_assessed_as_controlled_by_russia.csv",
        _whole_bytes(ISW, lambda b: b.replace(b"date,", b"d\xe9te,", 1)),  # a Latin-1 export
        None,
        "not UTF-8",
    ),
    (
        "estimates-line-cut-off",
        "official_estimates",
        "official_estimates.csv",
        _csv_rows(ESTIMATES, lambda r: r.__setitem__(len(r) - 1, r[-1][:4])),  # its last four fields lost
        "line 125",
        "4 fields where the header has 9",
    ),
]


# Cases whose refused run an acceptance test below goes on from (an operator accepts the payload,
# the next run publishes it): that test asserts the case's refusal, with the same helper, on its
# own first run, which is the case's run; a run of their own would repeat it.
ACCEPTED = ("isw-cut-off", "personnel-daily-jump")


def _case(cases, name):
    return next(c[1:] for c in cases if c[0] == name)


@pytest.mark.parametrize(
    ("source", "file_name", "change", "row_text", "message"),
    [pytest.param(*c[1:], id=c[0]) for c in PARSE_CASES if c[0] not in ACCEPTED],
)
def test_refused_at_the_raw_layer(case, source, file_name, change, row_text, message):
    assert_refused_at_the_raw_layer(case, source, file_name, change, row_text, message)


# (id, source, file, change, bound, the fact row named)
BOUND_CASES = [
    (
        "isw-area-jump",
        "isw",
        "area_assessed_as_controlled_by_russia.csv",
        _csv_rows(ISW, _isw_last),
        "isw_area_km2",
        "date 2026-06-30 (UA)",
    ),
    (
        "personnel-daily-jump",
        "gs_personnel",
        "russia_losses_personnel.json",
        _json_records(PERSONNEL, _personnel_jump),
        "gs_daily",
        "date 2026-06-30 (personnel)",
    ),
]


@pytest.mark.parametrize(
    ("source", "file_name", "change", "bound", "row_text"),
    [pytest.param(*c[1:], id=c[0]) for c in BOUND_CASES if c[0] not in ACCEPTED],
)
def test_refused_by_a_physical_bound(case, source, file_name, change, bound, row_text):
    assert_refused_by_a_physical_bound(case, source, file_name, change, bound, row_text)


@pytest.mark.parametrize("refused", ["personnel-daily-jump"])
def test_an_accepted_payload_is_published_and_shown(case, capsys, monkeypatch, refused):
    """A real extraordinary day: refused (the catalogue case), accepted by an operator, published
    on the next run with the acceptance in the manifest and on the status page."""
    from warehouse.publish import publish
    from warehouse.serve import status

    assert_refused_by_a_physical_bound(case, *_case(BOUND_CASES, refused))
    monkeypatch.setenv("FRONTLINE_OPERATOR", "duty-editor")
    assert main(["accept", "gs_personnel", "russia_losses_personnel.json", "--reason", "GS confirmed the figure"]) == 0
    said = capsys.readouterr().out
    assert "accepted gs_personnel all" in said and "duty-editor" in said
    code, out = case.run()
    assert code == 0, out
    assert "published new version" in out
    manifest = publish.read_manifest(case.home / "published")
    (acceptance,) = manifest["checks"]["acceptances"]
    sha = hashlib.sha256((case.mirror / PERSONNEL).read_bytes()).hexdigest()
    assert (acceptance["source"], acceptance["key"], acceptance["sha256"]) == ("gs_personnel", "all", sha)
    assert acceptance["accepted_by"] == "duty-editor" and acceptance["reason"] == "GS confirmed the figure"
    assert "gs_daily" in acceptance["refused_by"]
    page = status.page(case.home / "published", TODAY, {})
    assert "Accepted by an operator" in page and "GS confirmed the figure" in page and sha[:12] in page


@pytest.mark.parametrize("refused", ["isw-cut-off"])
def test_an_accepted_cut_off_file_is_landed(case, capsys, refused):
    """Upstream really deleted history: refused at the raw layer (the catalogue case), accepted,
    landed, published."""
    assert_refused_at_the_raw_layer(case, *_case(PARSE_CASES, refused))
    assert main(["accept", "isw", "all", "--reason", "ISW withdrew its spring assessments"]) == 0
    capsys.readouterr()
    code, out = case.run()
    assert code == 0, out
    assert "published new version" in out
