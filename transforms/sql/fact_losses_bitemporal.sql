-- One row per General Staff value per payload that made it the known one (valid time = date,
-- transaction time = known_from … known_to). A value first seen is known from its own report
-- date; a changed value, or one back after a payload had dropped its date, from the vintage of
-- the payload that brought it. A payload that drops the date ends the value (known_to) and
-- leaves that date without a current value until a payload carries it again.
CREATE OR REPLACE TABLE core.fact_losses_bitemporal AS
WITH states AS (
    SELECT date, category, cumulative, qualifier, source, payload_version, payload_vintage, fetched_at,
           CASE WHEN previous_present_version IS NULL THEN date ELSE payload_vintage END AS known_from,
           false AS is_drop
    FROM core.loss_values_by_version
    WHERE previous_present_version IS NULL
       OR previous_present_version <> source_previous_version
       OR cumulative IS DISTINCT FROM previous_cumulative
       OR qualifier IS DISTINCT FROM previous_qualifier
),
payloads AS (
    SELECT DISTINCT source, payload_version, payload_vintage FROM core.loss_values_by_version
),
drops AS (
    SELECT v.date, v.category, NULL::BIGINT, NULL::VARCHAR, v.source, n.payload_version, n.payload_vintage,
           NULL::TIMESTAMPTZ, n.payload_vintage AS known_from, true AS is_drop
    FROM core.loss_values_by_version AS v
    JOIN payloads AS n ON n.source = v.source AND n.payload_version = v.source_next_version
    WHERE v.next_present_version IS DISTINCT FROM v.source_next_version
),
timeline AS (
    SELECT *, lead(known_from) OVER (PARTITION BY date, category ORDER BY payload_version) AS known_to
    FROM (SELECT * FROM states UNION ALL SELECT * FROM drops)
)
SELECT date,
       category,
       cumulative,
       qualifier,
       known_from,
       known_to,
       source,
       payload_version,
       payload_vintage,
       fetched_at
FROM timeline
WHERE NOT is_drop
ORDER BY category, date, payload_version;
