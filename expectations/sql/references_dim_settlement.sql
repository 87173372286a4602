-- dim_settlement → dim_region: region_known is false for a region_code dim_region lacks.
SELECT s.settlement_id, s.region_code, r.region_code IS NOT NULL AS region_known
FROM {dim_settlement} AS s
LEFT JOIN {dim_region} AS r ON r.region_code = s.region_code
ORDER BY s.settlement_id
