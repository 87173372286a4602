-- Past General Staff values that the next payload of the same file changed (old → new), dropped
-- (old → NULL) or brought back after dropping them (NULL → new). A qualifier-only change is a
-- new state in fact_losses_bitemporal, not a revision of the figure.
CREATE OR REPLACE TABLE core.fact_loss_revisions AS
SELECT e.date,
       e.category,
       e.previous_cumulative AS old_cumulative,
       e.cumulative AS new_cumulative,
       e.cumulative - e.previous_cumulative AS change,
       e.source,
       e.previous_payload_version AS old_payload_version,
       e.payload_version AS new_payload_version,
       o.payload_vintage AS old_vintage,
       n.payload_vintage AS new_vintage,
       n.fetched_at AS detected_at
FROM core.loss_value_events AS e
JOIN core.loss_payloads AS n ON n.source = e.source AND n.payload_version = e.payload_version
JOIN core.loss_payloads AS o ON o.source = e.source AND o.payload_version = e.previous_payload_version
WHERE e.change_kind IN ('dropped', 'restored')
   OR (e.change_kind = 'changed' AND e.cumulative <> e.previous_cumulative)
ORDER BY e.date, e.category, e.payload_version;
