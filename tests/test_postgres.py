"""The PostgreSQL publish target against a real server: psql as the read-only role gets the same
answers as `frontline query`, writes are refused, and a publish swaps the views atomically while
readers are connected.

Needs FRONTLINE_TEST_POSTGRES_DSN (a role with CREATEDB and CREATEROLE); `.ci/services` starts
PostgreSQL and sets it. Each test gets its own database and reader role, dropped afterwards.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import shutil
import subprocess
import threading
import time
import uuid

import psycopg
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from orchestration.cli import main
from tests.conftest import add_cut_version
from warehouse.publish import publish
from warehouse.publish.postgres import publish_version, schema_name

ADMIN_DSN = os.environ.get("FRONTLINE_TEST_POSTGRES_DSN")
if not ADMIN_DSN and not os.environ.get("FRONTLINE_TEST_REQUIRE_SERVICES"):
    pytest.skip(
        "FRONTLINE_TEST_POSTGRES_DSN is not set (run .ci/services to start PostgreSQL)",
        allow_module_level=True,
    )

# The README's example queries: the same text runs on the DuckDB snapshot (`frontline query`)
# and, through the reader role's search_path = frontline, on PostgreSQL.
EXAMPLES = [
    # Area held on one day, by source (DeepState and ISW measure differently: compare, don't merge).
    "SELECT date, source, round(area_km2) AS area_km2 FROM fact_control_daily "
    "WHERE region_code = 'UA' AND class = 'occupied_total' AND is_observed "
    "AND date = DATE '2024-07-08' ORDER BY source",
    # Area gained and lost in a month, DeepState.
    "SELECT month, round(gained_km2) AS gained_km2, round(lost_km2) AS lost_km2, "
    "round(net_change_km2) AS net_km2, observed_days FROM fact_control_monthly "
    "WHERE source = 'deepstate' AND region_code = 'UA' AND class = 'occupied_total' "
    "AND month = DATE '2024-07-01'",
    # Claimed personnel losses per month, first half of 2026.
    "SELECT month, total FROM fact_losses_monthly WHERE category = 'personnel' "
    "AND month BETWEEN DATE '2026-01-01' AND DATE '2026-06-01' ORDER BY month",
    # Claimed tank losses per year.
    "SELECT extract(year FROM month) AS year, sum(total) AS tanks FROM fact_losses_monthly "
    "WHERE category = 'tanks' GROUP BY 1 ORDER BY 1",
    # The newest personnel figure and its qualifier.
    "SELECT date, cumulative, qualifier FROM fact_losses_daily WHERE category = 'personnel' ORDER BY date DESC LIMIT 1",
    # Coverage of each territory source.
    "SELECT source, count(*) FILTER (WHERE is_observed) AS observed_days, min(date) AS first_day, "
    "max(date) AS last_day FROM fact_control_daily "
    "WHERE region_code = 'UA' AND class = 'occupied_total' GROUP BY source ORDER BY source",
]


@pytest.fixture
def pg():
    """A fresh database and reader role; yields (dsn of the database, role, password)."""
    assert ADMIN_DSN, "FRONTLINE_TEST_REQUIRE_SERVICES is set but FRONTLINE_TEST_POSTGRES_DSN is not"
    suffix = uuid.uuid4().hex[:10]
    database, role, password = f"frontline_t_{suffix}", f"frontline_r_{suffix}", uuid.uuid4().hex
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    dsn = make_conninfo(ADMIN_DSN, dbname=database)
    try:
        yield dsn, role, password
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            # Reader sessions closed by the test may take a moment to leave the server; FORCE
            # could only end them with pg_signal_backend, which the test role need not have.
            for _ in range(100):
                left = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    [database],
                ).fetchall()[0][0]
                if left == 0:
                    break
                time.sleep(0.1)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _reader_dsn(dsn: str, role: str, password: str) -> str:
    return make_conninfo(dsn, user=role, password=password)


def psql(dsn: str, role: str, password: str, query: str) -> subprocess.CompletedProcess:
    info = conninfo_to_dict(dsn)
    env = {**os.environ, "PGPASSWORD": password}
    return subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "--csv",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            info.get("host", "127.0.0.1"),
            "-p",
            str(info.get("port", 5432)),
            "-U",
            role,
            "-d",
            info["dbname"],
            "-c",
            query,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def _cells(text: str) -> list[list]:
    """CSV rows with numbers as floats and booleans unified (psql prints t/f)."""
    rows = list(csv.reader(io.StringIO(text)))
    out = [rows[0]]
    for row in rows[1:]:
        cells = []
        for value in row:
            if value in ("t", "true"):
                cells.append(True)
            elif value in ("f", "false"):
                cells.append(False)
            else:
                try:
                    cells.append(float(value))
                except ValueError:
                    cells.append(value)
        out.append(cells)
    return out


def _same(a: list[list], b: list[list]) -> bool:
    if len(a) != len(b):
        return False
    for row_a, row_b in zip(a, b, strict=True):
        if len(row_a) != len(row_b):
            return False
        for x, y in zip(row_a, row_b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9):
                    return False
            elif x != y:
                return False
    return True


def test_psql_reader_gets_the_same_answers_as_frontline_query(pg, published, monkeypatch, capsys):
    dsn, role, password = pg
    loaded = publish_version(dsn, published["home"] / "published", reader_role=role, reader_password=password)
    manifest = json.loads((published["dir"] / "manifest.json").read_text())
    assert loaded.loaded and loaded.switched
    assert loaded.tables == {name: t["rows"] for name, t in manifest["tables"].items()}

    monkeypatch.setenv("FRONTLINE_HOME", str(published["home"]))
    for query in EXAMPLES:
        assert main(["query", "--format", "csv", query]) == 0
        duck = capsys.readouterr().out
        done = psql(dsn, role, password, query)
        assert done.returncode == 0, (query, done.stderr)
        assert len(_cells(duck)) > 1, query
        assert _same(_cells(duck), _cells(done.stdout)), (query, duck[:400], done.stdout[:400])

    # Every published table and column is there with the catalog's description, row for row.
    with psycopg.connect(_reader_dsn(dsn, role, password)) as reader:
        for name, table in manifest["tables"].items():
            count = reader.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchall()
            assert count == [(table["rows"],)], name
            columns = reader.execute(
                "SELECT column_name, col_description(%s::regclass, ordinal_position) "
                "FROM information_schema.columns WHERE table_schema = 'frontline' AND table_name = %s "
                "ORDER BY ordinal_position",
                [f"frontline.{name}", name],
            ).fetchall()
            assert columns == [(c["name"], c["description"]) for c in table["columns"]], name
        # Values survive the trip: the personnel cumulative on the last day, straight from Parquet.
        data = pq.read_table(published["dir"] / "fact_losses_daily.parquet")
        last = data.filter(pc.field("category") == "personnel").sort_by([("date", "descending")]).slice(0, 1)
        expected = (last["date"][0].as_py(), last["cumulative"][0].as_py())
        got = reader.execute(
            "SELECT date, cumulative FROM fact_losses_daily WHERE category = 'personnel' ORDER BY date DESC LIMIT 1"
        ).fetchall()
        assert got == [expected]


WRITES = [
    "INSERT INTO fact_losses_monthly (month, category) VALUES (DATE '2020-01-01', 'x')",
    "SET default_transaction_read_only = off; INSERT INTO fact_losses_monthly (month) VALUES (DATE '2020-01-01')",
    "SET default_transaction_read_only = off; UPDATE dim_source SET licence = 'x'",
    "SET default_transaction_read_only = off; DELETE FROM dim_source",
    "CREATE TABLE frontline.mine (a int)",
    "SET default_transaction_read_only = off; CREATE TABLE frontline.mine (a int)",
    "SET default_transaction_read_only = off; CREATE TABLE public.mine (a int)",
    "SET default_transaction_read_only = off; CREATE VIEW frontline.fact_losses_monthly2 AS SELECT 1",
    "SET default_transaction_read_only = off; DROP VIEW frontline.dim_source",
    "SET default_transaction_read_only = off; TRUNCATE dim_source",
    "SET default_transaction_read_only = off; INSERT INTO frontline.published_versions VALUES ('x', 'x', now(), now(), 'x', true)",
]


def test_reader_role_cannot_write(pg, published):
    dsn, role, password = pg
    publish_version(dsn, published["home"] / "published", reader_role=role, reader_password=password)
    sources = len(publish.read_manifest(published["home"] / "published")["sources"])
    for statement in WRITES:
        done = psql(dsn, role, password, statement)
        assert done.returncode != 0, statement
        assert "permission denied" in done.stderr or "read-only transaction" in done.stderr, done.stderr
    after = psql(dsn, role, password, "SELECT count(*) AS n FROM dim_source")
    assert after.returncode == 0 and _cells(after.stdout)[1] == [float(sources)]


def _second_version(published_home, root) -> tuple[str, str, int, int]:
    """add_cut_version, made LATEST; returns (old, new, old rows, new rows)."""
    folder, old, new, old_rows, new_rows = add_cut_version(published_home, root)
    (folder / publish.LATEST).write_text(new + "\n")
    return old, new, old_rows, new_rows


def test_publish_swaps_views_atomically_while_readers_are_connected(pg, published, tmp_path):
    dsn, role, password = pg
    old, new, old_rows, new_rows = _second_version(published["home"], tmp_path)
    folder = tmp_path / "published"
    publish_version(dsn, folder, old, reader_role=role, reader_password=password)

    seen, errors, stop = [], [], threading.Event()

    def poll():
        with psycopg.connect(_reader_dsn(dsn, role, password), autocommit=True) as reader:
            while not stop.is_set():
                try:
                    seen.append(
                        reader.execute(
                            "SELECT (SELECT version FROM current_version), (SELECT count(*) FROM fact_losses_daily)"
                        ).fetchall()[0]
                    )
                except psycopg.Error as exc:  # a missing view or grant would land here
                    errors.append(repr(exc))

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(3)]
    for t in pollers:
        t.start()

    try:
        # A reader in the middle of a transaction keeps a consistent view: the swap waits for it.
        with psycopg.connect(_reader_dsn(dsn, role, password)) as holder:
            holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            assert holder.execute("SELECT count(*) FROM fact_losses_daily").fetchall() == [(old_rows,)]
            result = {}
            swap = threading.Thread(
                target=lambda: result.update(
                    loaded=publish_version(dsn, folder, new, reader_role=role, reader_password=password)
                ),
                daemon=True,
            )
            swap.start()
            database = conninfo_to_dict(dsn)["dbname"]
            with psycopg.connect(dsn, autocommit=True) as admin:  # the swap seen waiting on the lock
                deadline = time.monotonic() + 120
                while not _waiting_swaps(admin, database):
                    assert swap.is_alive(), f"the swap must wait for the open reader transaction: {result}"
                    assert time.monotonic() < deadline, "the swap never waited for the reader's lock"
            assert holder.execute("SELECT count(*) FROM fact_losses_daily").fetchall() == [(old_rows,)]
            holder.execute("COMMIT")
            swap.join(timeout=60)
        assert not swap.is_alive() and result["loaded"].switched
        n = len(seen)
        deadline = time.monotonic() + 60
        while len(seen) < n + 3 * len(pollers):  # each poller reads again after the swap
            assert time.monotonic() < deadline
    finally:  # the pollers stop even when an assertion above fails
        stop.set()
        for t in pollers:
            t.join(timeout=30)

    assert errors == []
    assert set(seen) == {(old, old_rows), (new, new_rows)}, set(seen)
    assert seen[-1] == (new, new_rows)

    # Idempotent: publishing the current version again loads and switches nothing.
    again = publish_version(dsn, folder, new, reader_role=role, reader_password=password)
    assert (again.loaded, again.switched) == (False, False)
    with psycopg.connect(dsn) as admin:
        schemas = admin.execute(
            "SELECT schema_name, is_current FROM frontline.published_versions ORDER BY version"
        ).fetchall()
    assert schemas == [(schema_name(old), False), (schema_name(new), True)]


def test_dagster_asset_publishes_when_a_dsn_is_configured(pg, published):
    import dagster as dg

    from orchestration.serving_assets import PostgresTarget, postgres_views

    dsn, role, password = pg
    folder = str(published["home"] / "published")
    skipped = dg.materialize([postgres_views], resources={"postgres": PostgresTarget(published_dir=folder)})
    assert skipped.success
    target = PostgresTarget(dsn=dsn, published_dir=folder, reader_role=role, reader_password=password)
    result = dg.materialize([postgres_views], resources={"postgres": target})
    assert result.success
    meta = result.asset_materializations_for_node("published__postgres")[0].metadata
    version = publish.latest_version(published["home"] / "published")
    assert meta["version"].value == version and meta["loaded"].value is True
    with psycopg.connect(_reader_dsn(dsn, role, password)) as reader:
        assert reader.execute("SELECT version FROM current_version").fetchall() == [(version,)]


def test_frontline_postgres_command_loads_and_rolls_back(pg, published, tmp_path, monkeypatch, capsys):
    dsn, role, password = pg
    old, new, old_rows, new_rows = _second_version(published["home"], tmp_path)
    monkeypatch.setenv("FRONTLINE_HOME", str(tmp_path))
    monkeypatch.delenv("FRONTLINE_POSTGRES_DSN", raising=False)
    assert main(["postgres"]) == 2
    assert "FRONTLINE_POSTGRES_DSN is not set" in capsys.readouterr().err
    monkeypatch.setenv("FRONTLINE_POSTGRES_DSN", dsn)
    monkeypatch.setenv("FRONTLINE_POSTGRES_READER", role)
    monkeypatch.setenv("FRONTLINE_POSTGRES_READER_PASSWORD", password)

    def current():
        with psycopg.connect(_reader_dsn(dsn, role, password)) as reader:
            return reader.execute(
                "SELECT (SELECT version FROM current_version), (SELECT count(*) FROM fact_losses_daily)"
            ).fetchall()[0]

    assert main(["postgres"]) == 0
    assert capsys.readouterr().out.startswith(f"{new}: loaded into schema {schema_name(new)}, now current")
    assert current() == (new, new_rows)
    assert main(["postgres"]) == 0
    assert "already loaded" in capsys.readouterr().out and current() == (new, new_rows)
    assert main(["postgres", "--version", old]) == 0  # roll back to the previous version
    capsys.readouterr()
    assert current() == (old, old_rows)


def _tiny_version(folder, name: str, tables=("dim_source", "dim_loss_category"), rows_claimed=None) -> str:
    """A version in `folder` (a copied published folder) holding only `tables` of the latest one,
    quick to load; `rows_claimed` overrides what its manifest says dim_source has."""
    base = publish.version_path(folder)
    target = publish.versions_dir(folder) / name
    target.mkdir()
    manifest = json.loads((base / "manifest.json").read_text())
    manifest["tables"] = {t: manifest["tables"][t] for t in tables}
    for entry in manifest["tables"].values():
        shutil.copy(base / entry["file"], target / entry["file"])
    if rows_claimed is not None:
        manifest["tables"]["dim_source"]["rows"] = rows_claimed
    manifest.update(version=name, fingerprint=uuid.uuid4().hex * 2)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return name


def _versions(dsn) -> list[tuple[str, str, bool]]:
    with psycopg.connect(dsn) as admin:
        return admin.execute(
            "SELECT version, schema_name, is_current FROM frontline.published_versions ORDER BY version"
        ).fetchall()


def _schemas(dsn) -> list[str]:
    with psycopg.connect(dsn) as admin:
        rows = admin.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'v\\_%' ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def _views(dsn) -> list[str]:
    with psycopg.connect(dsn) as admin:
        rows = admin.execute("SELECT viewname FROM pg_views WHERE schemaname = 'frontline' ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def test_prune_keeps_the_newest_versions_and_drops_their_schemas(pg, published, tmp_path):
    dsn, role, password = pg
    folder = tmp_path / "published"
    shutil.copytree(published["home"] / "published", folder, symlinks=True)
    names = [_tiny_version(folder, f"2999010{i}T000000Z-0000000{i}") for i in range(1, 5)]
    for name in names:  # four versions loaded in turn, two kept
        publish_version(dsn, folder, name, reader_role=role, reader_password=password, keep_versions=2)
    assert _versions(dsn) == [(names[2], schema_name(names[2]), False), (names[3], schema_name(names[3]), True)]
    assert _schemas(dsn) == [schema_name(names[2]), schema_name(names[3])]
    # Rolling back to a kept version makes it current; the newer one stays (2 kept, current included).
    publish_version(dsn, folder, names[2], reader_role=role, reader_password=password, keep_versions=2)
    assert _versions(dsn) == [(names[2], schema_name(names[2]), True), (names[3], schema_name(names[3]), False)]
    # keep 1: only the current version is left.
    publish_version(dsn, folder, names[2], reader_role=role, reader_password=password, keep_versions=1)
    assert _schemas(dsn) == [schema_name(names[2])]


def test_a_table_dropped_from_the_new_version_loses_its_view(pg, published, tmp_path):
    dsn, role, password = pg
    folder = tmp_path / "published"
    shutil.copytree(published["home"] / "published", folder, symlinks=True)
    old = publish.latest_version(folder)
    publish_version(dsn, folder, old, reader_role=role, reader_password=password)
    all_tables = sorted(publish.read_manifest(folder, old)["tables"])
    assert _views(dsn) == sorted([*all_tables, "current_version"])
    new = _tiny_version(folder, "29990101T000000Z-00000001")
    publish_version(dsn, folder, new, reader_role=role, reader_password=password)
    assert _views(dsn) == ["current_version", "dim_loss_category", "dim_source"]
    done = psql(dsn, role, password, "SELECT count(*) FROM fact_losses_daily")
    assert done.returncode != 0 and 'relation "fact_losses_daily" does not exist' in done.stderr


def test_a_row_count_mismatch_refuses_the_load_and_keeps_the_current_version(pg, published, tmp_path):
    dsn, role, password = pg
    folder = tmp_path / "published"
    shutil.copytree(published["home"] / "published", folder, symlinks=True)
    first = _tiny_version(folder, "29990101T000000Z-00000001")
    publish_version(dsn, folder, first, reader_role=role, reader_password=password)
    rows = publish.read_manifest(folder, first)["tables"]["dim_source"]["rows"]
    bad = _tiny_version(folder, "29990102T000000Z-00000002", rows_claimed=rows + 1)
    with pytest.raises(RuntimeError) as raised:
        publish_version(dsn, folder, bad, reader_role=role, reader_password=password)
    assert str(raised.value) == f"dim_source: loaded {rows} rows, the manifest says {rows + 1}"
    assert _versions(dsn) == [(first, schema_name(first), True)]
    assert _schemas(dsn) == [schema_name(first)]  # the half-loaded schema rolled back with the load
    with psycopg.connect(_reader_dsn(dsn, role, password)) as reader:
        assert reader.execute("SELECT version FROM current_version").fetchall() == [(first,)]
        assert reader.execute("SELECT count(*) FROM dim_source").fetchall() == [(rows,)]


def test_the_version_tables_declare_not_null_exactly_where_the_catalog_says(pg, published):
    from warehouse.store import catalog

    dsn, role, password = pg
    loaded = publish_version(dsn, published["home"] / "published", reader_role=role, reader_password=password)
    with psycopg.connect(dsn) as admin:
        rows = admin.execute(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = %s",
            [loaded.schema],
        ).fetchall()
    found: dict[str, dict[str, bool]] = {}
    for table, column, is_nullable in rows:
        found.setdefault(table, {})[column] = {"YES": True, "NO": False}[is_nullable]
    assert found == {t.name: {c.name: c.nullable for c in t.columns} for t in catalog.PUBLISHED}


def test_a_null_in_a_not_null_column_refuses_the_load_naming_table_and_column(pg, published, tmp_path):
    """A version whose file holds a NULL where its manifest says "nullable": false (written by hand
    here: the publisher refuses to write one) is not loaded; the current version stays."""
    dsn, role, password = pg
    folder = tmp_path / "published"
    shutil.copytree(published["home"] / "published", folder, symlinks=True)
    first = _tiny_version(folder, "29990101T000000Z-00000001")
    publish_version(dsn, folder, first, reader_role=role, reader_password=password)
    bad = _tiny_version(folder, "29990102T000000Z-00000002")
    path = publish.version_path(folder, bad) / "dim_source.parquet"
    data = pq.read_table(path)
    licence = data.schema.get_field_index("licence")
    nulls = pc.if_else(pc.equal(data.column("source"), "isw"), None, data.column("licence"))
    path.unlink()  # a copy, not the published file
    pq.write_table(data.set_column(licence, data.schema.field(licence).with_nullable(True), nulls), path)
    with pytest.raises(psycopg.errors.NotNullViolation) as raised:
        publish_version(dsn, folder, bad, reader_role=role, reader_password=password)
    assert 'column "licence" of relation "dim_source"' in str(raised.value)
    assert _versions(dsn) == [(first, schema_name(first), True)]
    assert _schemas(dsn) == [schema_name(first)]
    with psycopg.connect(_reader_dsn(dsn, role, password)) as reader:
        assert reader.execute("SELECT count(*) FROM dim_source WHERE licence IS NULL").fetchall() == [(0,)]


def _waiting_swaps(admin, database: str) -> list[tuple[int, dt.datetime]]:
    """(pid, transaction start) of the loader's sessions waiting for a lock in `database`."""
    return admin.execute(
        "SELECT a.pid, a.xact_start FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
        "WHERE a.datname = %s AND NOT l.granted AND a.usename = current_user",
        [database],
    ).fetchall()


def test_a_reader_holding_a_lock_makes_the_swap_retry_then_succeed(pg, published, tmp_path, monkeypatch):
    import warehouse.publish.postgres as pg_target

    dsn, role, password = pg
    folder = tmp_path / "published"
    shutil.copytree(published["home"] / "published", folder, symlinks=True)
    first = _tiny_version(folder, "29990101T000000Z-00000001")
    second = _tiny_version(folder, "29990102T000000Z-00000002")
    publish_version(dsn, folder, first, reader_role=role, reader_password=password)
    # Each swap attempt gives up on the lock after 100 ms (production: 5 s) and tries again.
    monkeypatch.setattr(pg_target, "SWAP_LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(pg_target, "SWAP_ATTEMPTS", 10_000)
    database = conninfo_to_dict(dsn)["dbname"]
    result, attempts = {}, set()
    with psycopg.connect(_reader_dsn(dsn, role, password)) as holder, psycopg.connect(dsn, autocommit=True) as admin:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE frontline.dim_source IN ACCESS SHARE MODE")  # what a SELECT holds
        swap = threading.Thread(
            target=lambda: result.update(
                loaded=publish_version(dsn, folder, second, reader_role=role, reader_password=password)
            ),
            daemon=True,
        )
        swap.start()
        deadline = time.monotonic() + 60
        while len(attempts) < 2:  # two attempts seen waiting, in two transactions: it retried
            assert swap.is_alive() and time.monotonic() < deadline, (result, attempts)
            attempts.update(_waiting_swaps(admin, database))
        assert len({pid for pid, _ in attempts}) == 1  # one loader session, several transactions
        assert holder.execute("SELECT version FROM frontline.current_version").fetchall() == [(first,)]
        holder.execute("COMMIT")
        swap.join(timeout=60)
    assert not swap.is_alive() and result["loaded"].switched
    assert _versions(dsn)[-1] == (second, schema_name(second), True)
