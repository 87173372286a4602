CREATE SCHEMA IF NOT EXISTS core;

-- Internal (not published): per DeepState day, the geodesic areas and the hashes of the two
-- snapshots they were computed from, so only changed days are recomputed.
CREATE TABLE IF NOT EXISTS core.deepstate_daily_area (
    date             DATE PRIMARY KEY,
    sha256           VARCHAR NOT NULL,
    previous_date    DATE,
    previous_sha256  VARCHAR,
    area_km2         DOUBLE NOT NULL,
    gained_km2       DOUBLE,
    lost_km2         DOUBLE
);
