"""A General Staff payload that drops a past date, and a later one that brings it back: the
bitemporal table ends the value and starts it again, the revisions table records both, the
as-of filter answers for every day in between, and the suites accept it (the anomaly guard
flags it). Real mirror files, cut and edited the way upstream rewrites them; real DuckDB and GX."""

import datetime as dt
import hashlib
import json

import pytest

from expectations import run_suite
from tests.conftest import make_mirror
from transforms.models import run_model
from warehouse.ingest import land, sources
from warehouse.store import audit, db
from warehouse.store.config import Settings

CUT = dt.date(2026, 6, 5)
DROPPED = dt.date(2026, 6, 1)


def _personnel(folder):
    return folder / sources.GS_PERSONNEL.relative_path()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("loss-revisions")
    home = root / "home"
    con = db.connect(home / "warehouse.duckdb")
    first = make_mirror(root / "v1", [], cut=CUT, api_snapshots=())
    records = json.loads(_personnel(first).read_text())
    original = next(r for r in records if r["date"] == DROPPED.isoformat())
    second = make_mirror(root / "v2", [], cut=CUT, api_snapshots=())
    _personnel(second).write_text(json.dumps([r for r in records if r["date"] != DROPPED.isoformat()]))
    third = make_mirror(root / "v3", [], cut=CUT + dt.timedelta(days=2), api_snapshots=())
    # A file that loses a date is refused at the raw layer unless an operator accepts it.
    audit.accept(
        con,
        source="gs_personnel",
        key="all",
        sha256=hashlib.sha256(_personnel(second).read_bytes()).hexdigest(),
        uri=str(_personnel(second)),
        accepted_by="test",
        reason="upstream really withdrew the 2026-06-01 report",
        refused_by=None,
    )
    for version, mirror, today in ((1, first, CUT), (2, second, CUT), (3, third, CUT + dt.timedelta(days=2))):
        settings = Settings(home=home, sources=str(mirror), today_override=today)  # no date after today
        for source in (sources.GS_PERSONNEL, sources.GS_EQUIPMENT, sources.GS_EQUIPMENT_CORRECTIONS):
            land.ingest(con, settings, source)
        assert land.ingest(con, settings, sources.GS_PERSONNEL).version == version
    run_model(con, "dim_loss_category")
    run_model(con, "fact_losses_daily")  # the anomaly guard's typical daily figures
    assert (
        run_model(con, "loss_value_events") == 5
    )  # personnel v1-v3; equipment v1-v2 (the same file twice is one version)
    assert run_model(con, "loss_value_events") == 0
    for name in ("fact_losses_bitemporal", "fact_loss_revisions"):
        run_model(con, name)
    yield con, original
    con.close()


def _rows(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def test_a_dropped_date_and_its_return_are_two_revisions(warehouse):
    con, original = warehouse
    revisions = _rows(
        con,
        "SELECT date, category, old_cumulative, new_cumulative, change, old_payload_version, new_payload_version, "
        "old_vintage, new_vintage FROM core.fact_loss_revisions ORDER BY new_payload_version, category",
    )
    back_on = CUT + dt.timedelta(days=2)
    assert revisions == [
        (DROPPED, "personnel", original["personnel"], None, None, 1, 2, CUT, CUT),
        (DROPPED, "personnel", None, original["personnel"], None, 2, 3, CUT, back_on),
    ]  # (no POW figure on that date upstream)


def test_as_of_each_day_sees_the_value_then_nothing_then_the_value(warehouse):
    con, original = warehouse
    states = _rows(
        con,
        "SELECT cumulative, known_from, known_to, payload_version FROM core.fact_losses_bitemporal "
        "WHERE date = ? AND category = 'personnel' ORDER BY payload_version",
        [DROPPED],
    )
    back_on = CUT + dt.timedelta(days=2)
    assert states == [(original["personnel"], DROPPED, CUT, 1), (original["personnel"], back_on, None, 3)]
    as_of = (
        "SELECT cumulative FROM core.fact_losses_bitemporal WHERE date = ? AND category = 'personnel' "
        "AND known_from <= ? AND (known_to IS NULL OR known_to > ?)"
    )
    for day, expected in (
        (DROPPED - dt.timedelta(days=1), []),  # not reported yet
        (DROPPED, [(original["personnel"],)]),
        (CUT - dt.timedelta(days=1), [(original["personnel"],)]),
        (CUT, []),  # the payload of CUT dropped it
        (back_on, [(original["personnel"],)]),
    ):
        assert _rows(con, as_of, [DROPPED, day, day]) == expected, day
    # an untouched date keeps one state from its report date on
    untouched = _rows(
        con,
        "SELECT known_from, known_to FROM core.fact_losses_bitemporal WHERE date = ? AND category = 'personnel'",
        [DROPPED - dt.timedelta(days=1)],
    )
    assert untouched == [(DROPPED - dt.timedelta(days=1), None)]


def test_the_suites_accept_a_drop_and_the_guard_flags_it(warehouse):
    con, _ = warehouse
    bitemporal = run_suite(con, "fact_losses_bitemporal", today=CUT + dt.timedelta(days=3))
    assert not bitemporal.errors, bitemporal.summary_text()
    revisions = run_suite(con, "fact_loss_revisions", today=CUT + dt.timedelta(days=3))
    assert not revisions.errors, revisions.summary_text()
    assert [w.name for w in revisions.warnings] == ["anomaly_revision_size"]
    assert revisions.warnings[0].unexpected_count == 2
