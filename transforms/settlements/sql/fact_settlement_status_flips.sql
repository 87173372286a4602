-- Every raw status flip between consecutive observed days; partial API days (no Crimea/ORDLO
-- layer) are skipped, their settlements there would read 'ukraine'. Only settlements whose
-- status ever differs are windowed (the others have no flip): ~1 % of the rows.
CREATE OR REPLACE TABLE core.fact_settlement_status_flips AS
WITH changing AS (
    SELECT source, settlement_id
    FROM core.settlement_day_status
    GROUP BY source, settlement_id
    HAVING min(status) <> max(status)
),
observed AS (
    SELECT s.source, s.settlement_id, s.date, s.status,
           lag(s.status) OVER w AS previous_status,
           lag(s.date) OVER w AS previous_date
    FROM core.settlement_day_status AS s
    SEMI JOIN changing AS g ON g.source = s.source AND g.settlement_id = s.settlement_id
    JOIN core.fact_control_coverage_daily AS c ON c.source = s.source AND c.date = s.date
    WHERE c.status = 'observed'
    WINDOW w AS (PARTITION BY s.source, s.settlement_id ORDER BY s.date)
)
SELECT source, settlement_id, date, previous_status AS from_status, status AS to_status, previous_date
FROM observed
WHERE previous_status <> status
ORDER BY source, settlement_id, date;
