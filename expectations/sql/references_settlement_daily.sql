-- fact_settlement_control_daily → dim_settlement, dim_source and the calendar of
-- fact_control_coverage_daily: every (source, settlement) has one row per calendar day of its
-- source (no more, no fewer), is_observed exactly when the day is not missing.
-- Only the rows where a flag is false: a row whose flags all hold (or are NULL, which GX does not
-- count) is never unexpected, so GX reports the same counts and, in the same order, the same
-- examples as on all 1.85 M rows of the mirror, without reading them into pandas.
WITH per_series AS (
    SELECT source, settlement_id, count(*) AS days FROM {fact_settlement_control_daily} GROUP BY ALL
),
calendar AS (
    SELECT source, count(*) AS days FROM {fact_control_coverage_daily} GROUP BY source
),
flagged AS (
    SELECT f.source, f.date, f.settlement_id, f.coverage, f.is_observed,
           d.settlement_id IS NOT NULL AS settlement_known,
           s.source IS NOT NULL AS source_known,
           (c.date IS NOT NULL AND f.is_observed = (c.status <> 'missing') AND p.days = k.days) AS calendar_ok
    FROM {fact_settlement_control_daily} AS f
    LEFT JOIN {dim_settlement} AS d ON d.settlement_id = f.settlement_id
    LEFT JOIN {dim_source} AS s ON s.source = f.source
    LEFT JOIN {fact_control_coverage_daily} AS c ON c.source = f.source AND c.date = f.date
    LEFT JOIN per_series AS p ON p.source = f.source AND p.settlement_id = f.settlement_id
    LEFT JOIN calendar AS k ON k.source = f.source
)
SELECT *
FROM flagged
WHERE NOT (settlement_known AND source_known AND calendar_ok)
ORDER BY source, settlement_id, date
