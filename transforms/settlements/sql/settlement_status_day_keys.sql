-- What each (source, day) of the settlement status facts (fact_settlement_control_daily,
-- fact_settlement_status_flips) is built from: the settlement step's inputs of that day (it
-- replaces a day's status rows exactly when they change) and the day's coverage row, for the
-- sources the step covers.
SELECT coalesce(i.source, c.source) AS source,
       coalesce(i.date, c.date) AS date,
       hash(i.sha256, i.settlements_sha256, i.regions_sha256, i.method, c.status) AS day_key
FROM core.settlement_day_inputs AS i
FULL JOIN (
    SELECT source, date, status
    FROM core.fact_control_coverage_daily
    WHERE source IN (SELECT source FROM core.settlement_day_inputs)
) AS c ON c.source = i.source AND c.date = i.date;
