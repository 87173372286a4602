-- One General Staff payload version ($version) against the one before it ($previous, NULL for
-- the first): every (date, category) whose value appeared, changed, disappeared or came back.
INSERT INTO core.loss_value_events
WITH values_of AS (
    SELECT version, date, 'personnel' AS category, personnel AS cumulative, qualifier
    FROM raw.gs_personnel
    WHERE $source = 'gs_personnel' AND version IN ($version, $previous)
    UNION ALL
    SELECT version, date, 'pow', pow, NULL
    FROM raw.gs_personnel
    WHERE $source = 'gs_personnel' AND version IN ($version, $previous) AND pow IS NOT NULL
    UNION ALL
    SELECT e.version, e.date, m.category, sum(e.value), NULL
    FROM raw.gs_equipment AS e
    JOIN core.loss_field_map AS m USING (upstream_field)
    WHERE $source = 'gs_equipment' AND e.version IN ($version, $previous)
    GROUP BY e.version, e.date, m.category
),
new AS (SELECT * FROM values_of WHERE version = $version),
old AS (SELECT * FROM values_of WHERE version = $previous),
seen AS (SELECT DISTINCT date, category FROM core.loss_value_events WHERE source = $source)
SELECT $source,
       $version,
       coalesce(n.date, o.date) AS date,
       coalesce(n.category, o.category) AS category,
       CASE
           WHEN n.date IS NULL THEN 'dropped'
           WHEN o.date IS NOT NULL THEN 'changed'
           WHEN s.date IS NOT NULL THEN 'restored'
           ELSE 'first_seen'
       END,
       n.cumulative::BIGINT,
       n.qualifier::VARCHAR,
       o.cumulative::BIGINT,
       $previous
FROM new AS n
FULL OUTER JOIN old AS o ON n.date = o.date AND n.category = o.category
LEFT JOIN seen AS s ON s.date = coalesce(n.date, o.date) AND s.category = coalesce(n.category, o.category)
WHERE n.date IS NULL
   OR o.date IS NULL
   OR n.cumulative <> o.cumulative
   OR n.qualifier IS DISTINCT FROM o.qualifier;
