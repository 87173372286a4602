-- Past General Staff values that the next payload of the same file changed (old → new), dropped
-- (old → NULL) or brought back after dropping them (NULL → new).
CREATE OR REPLACE TABLE core.fact_loss_revisions AS
WITH payloads AS (
    SELECT DISTINCT source, payload_version, payload_vintage, fetched_at FROM core.loss_values_by_version
),
revisions AS (
    SELECT date, category, previous_cumulative AS old_cumulative, cumulative AS new_cumulative, source,
           previous_present_version AS old_payload_version, payload_version AS new_payload_version,
           previous_vintage AS old_vintage, payload_vintage AS new_vintage, fetched_at AS detected_at
    FROM core.loss_values_by_version
    WHERE previous_present_version = source_previous_version AND cumulative <> previous_cumulative
    UNION ALL
    SELECT v.date, v.category, v.cumulative, NULL, v.source,
           v.payload_version, n.payload_version, v.payload_vintage, n.payload_vintage, n.fetched_at
    FROM core.loss_values_by_version AS v
    JOIN payloads AS n ON n.source = v.source AND n.payload_version = v.source_next_version
    WHERE v.next_present_version IS DISTINCT FROM v.source_next_version
    UNION ALL
    SELECT v.date, v.category, NULL, v.cumulative, v.source,
           o.payload_version, v.payload_version, o.payload_vintage, v.payload_vintage, v.fetched_at
    FROM core.loss_values_by_version AS v
    JOIN payloads AS o ON o.source = v.source AND o.payload_version = v.source_previous_version
    WHERE v.previous_present_version <> v.source_previous_version
)
SELECT date,
       category,
       old_cumulative,
       new_cumulative,
       new_cumulative - old_cumulative AS change,
       source,
       old_payload_version,
       new_payload_version,
       old_vintage,
       new_vintage,
       detected_at
FROM revisions
ORDER BY date, category, new_payload_version;
