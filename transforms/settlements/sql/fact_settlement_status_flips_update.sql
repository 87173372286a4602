-- Replace the flips from each source's first changed day on (temp table model_changed_days,
-- transforms/build_keys.py): a flip compares two consecutive observed days, so the flips before
-- that day are unchanged. The step writes a row for every settlement on every day it computes
-- (core.settlement_day_inputs), so every settlement's previous observed row at the first changed
-- day is on the source's last observed, computed day before it: the window starts there. The same
-- rows fact_settlement_status_flips.sql builds whole.
CREATE OR REPLACE TEMP TABLE settlement_flips_from AS
SELECT d.source,
       d.first_changed,
       coalesce(max(i.date), d.first_changed) AS window_from
FROM (SELECT source, min(date) AS first_changed FROM model_changed_days GROUP BY source) AS d
LEFT JOIN (
    SELECT i.source, i.date
    FROM core.settlement_day_inputs AS i
    JOIN core.fact_control_coverage_daily AS c ON c.source = i.source AND c.date = i.date
    WHERE c.status = 'observed'
) AS i ON i.source = d.source AND i.date < d.first_changed
GROUP BY d.source, d.first_changed;

DELETE FROM core.fact_settlement_status_flips AS f
USING settlement_flips_from AS d
WHERE f.source = d.source AND f.date >= d.first_changed;

INSERT INTO core.fact_settlement_status_flips
WITH observed AS (
    SELECT s.source, s.settlement_id, s.date, s.status,
           lag(s.status) OVER w AS previous_status,
           lag(s.date) OVER w AS previous_date
    FROM core.settlement_day_status AS s
    JOIN settlement_flips_from AS d ON d.source = s.source
    JOIN core.fact_control_coverage_daily AS c ON c.source = s.source AND c.date = s.date
    WHERE c.status = 'observed'
      AND s.date >= d.window_from
      AND s.date >= (SELECT min(window_from) FROM settlement_flips_from)  -- lets the scan skip older row groups
    WINDOW w AS (PARTITION BY s.source, s.settlement_id ORDER BY s.date)
)
SELECT o.source, o.settlement_id, o.date, o.previous_status AS from_status, o.status AS to_status, o.previous_date
FROM observed AS o
JOIN settlement_flips_from AS d ON d.source = o.source
WHERE o.previous_status <> o.status AND o.date >= d.first_changed
ORDER BY o.source, o.settlement_id, o.date;

DROP TABLE settlement_flips_from;
