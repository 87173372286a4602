-- One row per General Staff value per payload that first carried it (valid time = date,
-- transaction time = known_from … known_to). A value first seen is known from its own report
-- date; a changed value from the vintage of the payload that changed it.
CREATE OR REPLACE TABLE core.fact_losses_bitemporal AS
WITH ordered AS (
    SELECT *,
           row_number() OVER w AS nth,
           lag(cumulative) OVER w AS previous_cumulative,
           lag(qualifier) OVER w AS previous_qualifier
    FROM core.loss_values_by_version
    WINDOW w AS (PARTITION BY date, category ORDER BY payload_version)
),
changes AS (
    SELECT *, CASE WHEN nth = 1 THEN date ELSE payload_vintage END AS known_from
    FROM ordered
    WHERE nth = 1
       OR cumulative IS DISTINCT FROM previous_cumulative
       OR qualifier IS DISTINCT FROM previous_qualifier
)
SELECT date,
       category,
       cumulative,
       qualifier,
       known_from,
       lead(known_from) OVER (PARTITION BY date, category ORDER BY payload_version) AS known_to,
       source,
       payload_version,
       payload_vintage,
       fetched_at
FROM changes
ORDER BY category, date, payload_version;
