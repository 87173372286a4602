"""Reuse a frame's stored validation outcomes when nothing it is computed from has changed.

A validation is a pure function of the frame it reads (a table, its schema, a reconciliation…,
built fresh by SQL on every run), the expectations (whose parameters carry ``today``) and the GX
version. Their fingerprint keys the outcomes the checks report (plain JSON values,
``audit.validation_cache``, one row per table and frame): when the fingerprint matches, the
checks, the report and the manifest are built from the stored outcomes exactly as from a new
validation, and no GX is imported. A run that changed nothing validates nothing; a changed table
is validated.

A frame that is one SQL query's result (the table itself, references, anomalies,
reconciliations, steps) is fingerprinted inside DuckDB (:func:`query_fingerprint`: row count and two
64-bit sums over its rows, :func:`content_sql`, plus the result's column names and types), before
any pandas frame is built: on a match the frame is never read into Python. Its SQL orders rows by the frame's grain, so the
same rows make the same frame (a table edited by hand is validated again, whatever its builds say).
Frames with values from code (schema, freshness, bounds) are fingerprinted from the query they are
built from, with the code that builds them (:func:`code_version`); from the frame itself
(:func:`fingerprint`) only when that query cannot run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import weakref
from functools import cache
from typing import TYPE_CHECKING, Any

from .outcome import ExpectationOutcome

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from .suites import Spec

FORMAT = "3"  # bump when what is stored or how results are reduced changes


@cache  # importlib.metadata re-reads the dist-info on every call: ~60 calls a run
def _gx_version() -> str:
    from importlib.metadata import version  # not `import great_expectations`: seconds, and maybe not needed

    return version("great-expectations")


@cache
def code_version() -> str:
    """sha256 of this package's code and SQL and of the pandas version: what turns a query's rows
    into the frames built in code (schema, freshness, bounds), once per process."""
    from importlib.metadata import version
    from pathlib import Path

    root = Path(__file__).parent
    digest = hashlib.sha256(f"pandas=={version('pandas')}".encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".sql") and "__pycache__" not in p.parts):
        digest.update(f"\0{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(repr(v) for v in value)
    return repr(value)


def fingerprint(table_name: str, frame: str, df: pd.DataFrame, specs: list[Spec]) -> str | None:
    """sha256 of everything a frame's validation depends on; None if the frame cannot be hashed
    (it is then always validated)."""
    import pandas as pd

    h = hashlib.sha256()
    head = [FORMAT, _gx_version(), table_name, frame, [dataclasses.asdict(s) for s in specs]]
    head.append([(str(c), str(t)) for c, t in df.dtypes.items()])
    h.update(json.dumps(head, sort_keys=True, default=_canonical).encode())
    try:
        rows = pd.util.hash_pandas_object(df, index=False)
    except (TypeError, ValueError):  # unhashable cells (WKB bytes, lists): hash their text instead
        try:
            text = df.astype({c: str for c, t in df.dtypes.items() if pd.api.types.is_object_dtype(t)})
            rows = pd.util.hash_pandas_object(text, index=False)
        except (TypeError, ValueError):
            return None
    h.update(rows.to_numpy().tobytes())
    return h.hexdigest()


def content_sql(query: str) -> str:
    """The content of ``query``'s rows, blind to their order: their count, the sum of each row's
    64-bit hash and the sum of a hash of that hash. Two independent sums, as hashing each row twice
    (two seeds) gave, for one hash of the row's columns, which is the cost: 40-50 % less on the
    geometry and settlement tables (issue 12). Only two different rows with the same 64-bit hash
    (~2^-64) look the same to both sums."""
    return f"SELECT count(*), sum(h::HUGEINT), sum(hash(h)::HUGEINT) FROM (SELECT hash(f) AS h FROM ({query}) AS f)"


# A final ORDER BY of plain column names (no LIMIT/OFFSET after it, no call, no quote).
_FINAL_ORDER_BY = re.compile(r"\s+ORDER\s+BY\s+[\w\s.,\"]+;?\s*$", re.IGNORECASE)
_LIMITS = re.compile(r"\b(LIMIT|OFFSET)\b", re.IGNORECASE)


def unordered(query: str) -> str:
    """``query`` without its final ORDER BY: the same rows, whose sums of hashes do not depend on
    their order. DuckDB sorts an ordered subquery even under an aggregate: on the settlement
    table (1.9 M rows) that sort was 95 % of its fingerprint's time (1.8 of 1.9 s)."""
    found = _FINAL_ORDER_BY.search(query)
    if found is None or _LIMITS.search(found.group(0)):
        return query
    return query[: found.start()]


def query_fingerprint(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    frame: str,
    query: str,
    specs: list[Spec],
    params: dict[str, Any] | None = None,
    depends: list | None = None,
) -> str | None:
    """sha256 of everything the validation of the frame ``query`` reads depends on, computed in
    DuckDB (no frame is built); None when the query cannot run (the frame is then built and its
    error reported as usual). For a frame built in code from ``query``'s rows (and ``params``),
    ``depends`` is whatever else it is built from (:func:`code_version`, the catalog entry, today)."""
    import duckdb

    try:
        result = con.sql(query, params=params or None)
        columns = [(str(c), str(t)) for c, t in zip(result.columns, result.types, strict=True)]
        content = con.execute(content_sql(unordered(query)), params or None).fetchone()
    except duckdb.Error:
        return None
    head = [FORMAT, "query", duckdb.__version__, _gx_version(), table_name, frame]
    head += [[dataclasses.asdict(s) for s in specs], columns, [str(v) for v in content]]
    if depends is not None:
        head.append(depends)
    return hashlib.sha256(json.dumps(head, sort_keys=True, default=_canonical).encode()).hexdigest()


# Per connection, the audit tables seen to exist: asked ~5 times per suite, and a table that exists
# is never dropped (one that is missing is asked again: a test's bare database may be migrated later).
_audit_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def has_audit_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """False for a database without the warehouse schema (a test's bare tables): always validate."""
    known = _audit_tables.get(con)
    if known is not None and name in known:
        return True
    found = {
        row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'audit'").fetchall()
    }
    _audit_tables[con] = frozenset(found)
    return name in found


def _has_cache(con: duckdb.DuckDBPyConnection) -> bool:
    return has_audit_table(con, "validation_cache")


def lookup(
    con: duckdb.DuckDBPyConnection, table_name: str, frame: str, key: str
) -> dict[str, ExpectationOutcome] | None:
    """The outcomes (by expectation name) stored for this fingerprint, or None."""
    if not _has_cache(con):
        return None
    row = con.execute(
        "SELECT outcomes_json FROM audit.validation_cache WHERE table_name = ? AND frame = ? AND fingerprint = ?",
        [table_name, frame, key],
    ).fetchone()
    if row is None:
        return None
    return {o["name"]: ExpectationOutcome(**o) for o in json.loads(row[0])}


def save(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    frame: str,
    key: str,
    outcomes: dict[str, ExpectationOutcome],
) -> None:

    if not _has_cache(con):
        return
    # one statement, atomic on its own and inside a caller's transaction
    con.execute(
        "INSERT OR REPLACE INTO audit.validation_cache VALUES (?, ?, ?, ?, now())",
        [table_name, frame, key, json.dumps([dataclasses.asdict(o) for o in outcomes.values()])],
    )
