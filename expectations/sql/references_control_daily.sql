-- fact_control_daily → dim_source: source_known is false for a source dim_source lacks.
SELECT f.*, s.source IS NOT NULL AS source_known
FROM {fact_control_daily} AS f
LEFT JOIN {dim_source} AS s ON s.source = f.source
ORDER BY f.date, f.source, f.region_code, f.class
