-- The occupied layers the per-region step united for the given API snapshots (WKB), with the
-- payload hash and method they were united from (a row not matching the snapshot's is not used).
SELECT snapshot_id, sha256, method, occupied_after_2022, occupied_before_2022, occupied_total
FROM core.api_occupied_layers
WHERE list_contains($1, snapshot_id);
