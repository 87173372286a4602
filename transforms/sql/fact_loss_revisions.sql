-- Past General Staff values that a later payload of the same file changed: old → new.
CREATE OR REPLACE TABLE core.fact_loss_revisions AS
WITH ordered AS (
    SELECT *,
           lag(cumulative) OVER w AS old_cumulative,
           lag(payload_version) OVER w AS old_payload_version,
           lag(payload_vintage) OVER w AS old_vintage
    FROM core.loss_values_by_version
    WINDOW w AS (PARTITION BY date, category ORDER BY payload_version)
)
SELECT date,
       category,
       old_cumulative,
       cumulative AS new_cumulative,
       cumulative - old_cumulative AS change,
       source,
       old_payload_version,
       payload_version AS new_payload_version,
       old_vintage,
       payload_vintage AS new_vintage,
       fetched_at AS detected_at
FROM ordered
WHERE old_cumulative IS NOT NULL AND cumulative <> old_cumulative
ORDER BY date, category, new_payload_version;
