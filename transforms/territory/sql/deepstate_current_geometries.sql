SELECT date, geometry_wkb
FROM raw.deepstate_snapshots
WHERE list_contains($1, date)
QUALIFY version = max(version) OVER (PARTITION BY date);
