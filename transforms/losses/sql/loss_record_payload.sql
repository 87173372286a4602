-- Mark a General Staff payload version as folded, with its vintage (newest report date inside).
INSERT INTO core.loss_payloads
SELECT p.source,
       p.version,
       CASE $source
           WHEN 'gs_personnel' THEN (SELECT max(date) FROM raw.gs_personnel WHERE version = $version)
           ELSE (SELECT max(date) FROM raw.gs_equipment WHERE version = $version)
       END,
       p.fetched_at,
       $field_map
FROM raw.payloads AS p
WHERE p.source = $source AND p.key = 'all' AND p.version = $version;
