-- Upstream fields in the current equipment/corrections payloads that no category claims.
SELECT 'gs_equipment' AS source, min(element) AS element, min(date) AS first_date, upstream_field
FROM raw.gs_equipment
WHERE version = (SELECT max(version) FROM raw.gs_equipment)
  AND upstream_field NOT IN (SELECT upstream_field FROM core.loss_field_map)
GROUP BY upstream_field
UNION ALL
SELECT 'gs_equipment_corrections', min(element), min(date), upstream_field
FROM raw.gs_equipment_corrections
WHERE version = (SELECT max(version) FROM raw.gs_equipment_corrections)
  AND upstream_field NOT IN (SELECT upstream_field FROM core.loss_field_map)
GROUP BY upstream_field
ORDER BY 1, 2;
