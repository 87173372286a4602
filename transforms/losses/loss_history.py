"""General Staff values across payload versions, folded into change events as versions arrive.

Upstream republishes its whole history in every payload, and sometimes rewrites or drops past
days. Each new payload version is compared once, when it arrives, with the version before it;
only what changed is kept in ``core.loss_value_events`` (first seen, changed, dropped, restored).
``fact_losses_bitemporal`` and ``fact_loss_revisions`` are built from those events, so a new
payload costs one payload of work however many versions are stored. A change to the category
field map (``core.loss_field_map``) refolds every version.
"""

from __future__ import annotations

import hashlib

import duckdb

from warehouse.store.sqlfiles import load


def _field_map_sha256(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("SELECT upstream_field, category FROM core.loss_field_map ORDER BY ALL").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def update(con: duckdb.DuckDBPyConnection) -> int:
    """Fold every General Staff payload version not folded yet; returns how many were folded."""
    field_map = _field_map_sha256(con)
    con.begin()
    try:
        stale = con.execute("SELECT count(*) FROM core.loss_payloads WHERE field_map_sha256 <> ?", [field_map])
        if stale.fetchone()[0]:
            con.execute("DELETE FROM core.loss_value_events")
            con.execute("DELETE FROM core.loss_payloads")
        pending = con.execute(load("transforms.losses", "loss_pending_payloads")).fetchall()
        fold, record = load("transforms.losses", "loss_fold_payload"), load("transforms.losses", "loss_record_payload")
        for source, version, previous in pending:
            con.execute(fold, {"source": source, "version": version, "previous": previous})
            con.execute(
                record,
                {"source": source, "version": version, "field_map": field_map},
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(pending)
