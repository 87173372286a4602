-- Change maps: the gained and lost pieces per region, with the days the change covers.
CREATE OR REPLACE TABLE core.control_changes_daily AS
SELECT c.date,
       c.source,
       c.class,
       c.change,
       c.region_code,
       c.area_km2,
       date_diff('day', i.previous_date, c.date)::INTEGER AS days_since_previous,
       c.geometry_wkb AS geometry
FROM core.region_changes AS c
JOIN core.region_day_inputs AS i USING (source, date)
ORDER BY c.date, c.source, c.class, c.change, c.region_code;
