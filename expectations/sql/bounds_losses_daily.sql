-- Facts the blocking bound on the General Staff's daily amounts looks at (numbers and derivation in
-- expectations/bounds.py): one row per (date, category) with a report, the daily amount, the days
-- since the category's previous report, the payload it came from and whether an operator accepted it.
WITH payloads AS (
    SELECT source, key, uri, sha256 FROM raw.current_payloads
    WHERE source IN ('gs_personnel', 'gs_equipment') AND key = 'all'
),
checked AS (
    SELECT 'gs_daily' AS bound,
           CASE WHEN category IN ('personnel', 'pow') THEN 'gs_personnel' ELSE 'gs_equipment' END AS source,
           date, category, daily AS value
    FROM {fact_losses_daily}
    WHERE daily IS NOT NULL
)
SELECT c.bound, c.source, c.date, c.category, c.value,
       p.key AS payload_key, p.uri AS payload_uri, p.sha256 AS payload_sha256,
       EXISTS (SELECT 1 FROM audit.acceptances a WHERE a.source = c.source AND a.sha256 = p.sha256) AS accepted
FROM checked c
LEFT JOIN payloads p ON p.source = c.source
ORDER BY c.category, c.date
