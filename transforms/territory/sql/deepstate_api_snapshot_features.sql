-- Polygon features (class, geometry) of the given API snapshots, current payload version.
SELECT f.snapshot_id, f.class, f.geometry_wkb
FROM raw.deepstate_api_features AS f
JOIN raw.current_payloads AS p
  ON p.source = 'deepstate_api' AND p.key = f.snapshot_id::VARCHAR AND p.version = f.version
WHERE list_contains($1, f.snapshot_id)
ORDER BY f.snapshot_id, f.feature;
