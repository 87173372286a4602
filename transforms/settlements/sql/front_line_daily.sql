-- The front line per source and observed day (GeoParquet lines).
CREATE OR REPLACE TABLE core.front_line_daily AS
SELECT source, date, length_km, geometry_wkb AS geometry, occupied_wkb AS occupied_area
FROM core.front_line_day
ORDER BY source, date;
