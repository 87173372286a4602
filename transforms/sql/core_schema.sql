CREATE SCHEMA IF NOT EXISTS core;

-- Superseded by core.region_daily_area (its 'UA' rows are the same areas, computed once):
-- dropped from warehouses built before.
DROP TABLE IF EXISTS core.deepstate_daily_area;
