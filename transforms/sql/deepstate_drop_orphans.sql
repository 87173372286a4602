-- Results for days that no longer have a snapshot (none today; kept correct if one is withdrawn).
DELETE FROM core.deepstate_daily_area
WHERE date NOT IN (SELECT DISTINCT date FROM raw.deepstate_snapshots);
