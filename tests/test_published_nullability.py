"""The published schemas say what the catalog (and the manifest) say about NULLs: a ``nullable=False``
column is a REQUIRED Parquet field (plain and GeoParquet extracts) and NOT NULL in the snapshot;
every other column is OPTIONAL / nullable. A NULL in such a column is refused by the writer,
naming the table and the column, and nothing is published. (PostgreSQL: tests/test_postgres.py.)"""

from __future__ import annotations

import json
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest

from warehouse.publish import publish
from warehouse.store import catalog, db


def _catalog_nullability() -> dict[str, dict[str, bool]]:
    return {t.name: {c.name: c.nullable for c in t.columns} for t in catalog.PUBLISHED}


def test_the_catalog_has_both_kinds_of_column():
    """Otherwise the comparisons below could not tell a REQUIRED field from an OPTIONAL one."""
    flags = {n for columns in _catalog_nullability().values() for n in columns.values()}
    assert flags == {True, False}


def test_every_extract_field_is_required_exactly_where_the_catalog_and_manifest_say(published):
    manifest = json.loads((published["dir"] / publish.MANIFEST).read_text())
    expected = _catalog_nullability()
    assert {n: {c["name"]: c["nullable"] for c in e["columns"]} for n, e in manifest["tables"].items()} == expected
    for name, columns in expected.items():
        path = published["dir"] / manifest["tables"][name]["file"]
        arrow = pq.read_schema(path)
        assert {f.name: f.nullable for f in arrow} == columns, name
        # The Parquet schema itself: a REQUIRED column has no definition levels.
        parquet = pq.ParquetFile(path).schema
        levels = {parquet.column(i).name: parquet.column(i).max_definition_level for i in range(len(parquet))}
        assert {c: levels[c] == 1 for c in columns} == columns, name
        # The values read back: none of the REQUIRED columns holds a NULL (and the file is whole).
        data = pq.read_table(path)
        assert data.num_rows == manifest["tables"][name]["rows"]
        assert all(data.column(c).null_count == 0 for c, nullable in columns.items() if not nullable), name


def test_geoparquet_extracts_keep_the_required_fields_and_still_open_as_layers(published):
    gpd = pytest.importorskip("geopandas")
    from warehouse.publish import geoparquet

    for name, column in geoparquet.GEOMETRY_COLUMNS.items():
        path = published["dir"] / f"{name}.parquet"
        assert pq.read_schema(path).field(column).nullable is catalog.table(name).column(column).nullable
        assert b"geo" in pq.read_schema(path).metadata
        frame = gpd.read_parquet(path)
        assert frame.crs.to_string() == geoparquet.CRS_NAME and len(frame) == pq.read_metadata(path).num_rows


def test_the_snapshot_declares_not_null_exactly_where_the_catalog_says(published):
    with duckdb.connect(str(published["dir"] / publish.SNAPSHOT), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'main'"
        ).fetchall()
    found: dict[str, dict[str, bool]] = {}
    for table, column, is_nullable in rows:
        found.setdefault(table, {})[column] = {"YES": True, "NO": False}[is_nullable]
    assert found == _catalog_nullability()


def test_the_snapshot_refuses_a_null_in_a_not_null_column(published, tmp_path):
    """The constraint is enforced, not only shown (in a writable copy)."""
    copy = tmp_path / "snapshot.duckdb"
    shutil.copy(published["dir"] / publish.SNAPSHOT, copy)
    with duckdb.connect(str(copy)) as con, pytest.raises(duckdb.ConstraintException, match="dim_source.licence"):
        con.execute("UPDATE dim_source SET licence = NULL WHERE source = 'isw'")


@pytest.fixture
def home(published, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(published["home"], copy, symlinks=True)
    return copy


def test_publishing_a_null_in_a_non_nullable_column_is_refused_naming_table_and_column(home):
    out = home / "published"
    before = publish.latest_version(out)
    files = sorted(p.relative_to(out) for p in out.rglob("*"))
    with db.session(home / "warehouse.duckdb") as con:
        con.execute("UPDATE core.dim_source SET licence = NULL WHERE source IN ('isw', 'gs_personnel')")
        with pytest.raises(publish.NullInRequiredColumn) as raised:
            publish.publish(con, out)
    assert str(raised.value) == (
        "published table dim_source, column licence: 2 NULL value(s) in a column the catalog declares "
        "nullable=False; not published"
    )
    assert publish.latest_version(out) == before
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == files  # no staging folder, no new file
    assert publish.verify(out) == []


def test_a_snapshot_table_with_a_null_in_a_non_nullable_column_is_refused_naming_table_and_column(tmp_path):
    """The snapshot's tables whose extract is reused are copied from SQL, not from the checked Arrow
    rows: DuckDB's NOT NULL check there is reported the same way."""
    table = catalog.table("dim_loss_category")
    with duckdb.connect(str(tmp_path / "s.duckdb")) as con:
        con.execute(
            "CREATE TABLE dim_loss_category AS SELECT * FROM (VALUES ('tanks', 'tanks', 'equipment.json', NULL)) "
            "v(category, upstream_fields, file, description)"
        )
        with pytest.raises(publish.NullInRequiredColumn) as raised:
            publish._not_null(con, "dim_loss_category", table)
    assert str(raised.value).startswith(
        "published table dim_loss_category, column description: NULL value(s) in a column the catalog "
        "declares nullable=False; not published"
    )
