-- One row per General Staff value per payload that made it the known one (valid time = date,
-- transaction time = known_from … known_to). A value first seen is known from its own report
-- date; a changed value, or one back after a payload had dropped its date, from the vintage of
-- the payload that brought it. A payload that drops the date ends the value (known_to) and
-- leaves that date without a current value until a payload carries it again.
CREATE OR REPLACE TABLE core.fact_losses_bitemporal AS
WITH timeline AS (
    SELECT e.*,
           p.payload_vintage,
           p.fetched_at,
           CASE WHEN e.change_kind = 'first_seen' THEN e.date ELSE p.payload_vintage END AS known_from
    FROM core.loss_value_events AS e
    JOIN core.loss_payloads AS p USING (source, payload_version)
),
with_end AS (
    SELECT *, lead(known_from) OVER (PARTITION BY date, category ORDER BY payload_version) AS known_to
    FROM timeline
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
FROM with_end
WHERE change_kind <> 'dropped'
ORDER BY category, date, payload_version;
