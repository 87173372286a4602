-- Replace the days whose inputs changed (temp table model_changed_days, transforms/build_keys.py):
-- the same rows front_line_daily.sql copies whole.
DELETE FROM core.front_line_daily AS f
USING model_changed_days AS d
WHERE f.source = d.source AND f.date = d.date;

INSERT INTO core.front_line_daily
SELECT l.source, l.date, l.length_km, l.geometry_wkb AS geometry, l.occupied_wkb AS occupied_area
FROM core.front_line_day AS l
SEMI JOIN model_changed_days AS d ON d.source = l.source AND d.date = l.date
ORDER BY l.source, l.date;
