-- Internal (not published) tables of the per-region geometry step (transforms/territory/region_step.py).
-- Per (source, date): the hashes of the snapshot, its predecessor and the boundaries the stored
-- results were computed from, and the method version; a day is recomputed only when one changed.
CREATE TABLE IF NOT EXISTS core.region_day_inputs (
    source           VARCHAR NOT NULL,   -- deepstate | deepstate_api
    date             DATE NOT NULL,
    sha256           VARCHAR NOT NULL,
    previous_date    DATE,
    previous_sha256  VARCHAR,
    regions_sha256   VARCHAR NOT NULL,
    PRIMARY KEY (source, date)
);
-- transforms.territory.region_step.METHOD the stored results were computed with; NULL (a warehouse from before
-- the column) counts as out of date, so such rows are recomputed once.
ALTER TABLE core.region_day_inputs ADD COLUMN IF NOT EXISTS method VARCHAR;

-- Geodesic areas per (source, date, region, class); 'UA' = whole class inside Ukraine,
-- 'UNATTRIBUTED' = 'UA' minus the oblasts, 'RU-KRS' = Ukrainian-held territory in Russia.
CREATE TABLE IF NOT EXISTS core.region_daily_area (
    source       VARCHAR NOT NULL,
    date         DATE NOT NULL,
    region_code  VARCHAR NOT NULL,
    class        VARCHAR NOT NULL,
    area_km2     DOUBLE NOT NULL,
    gained_km2   DOUBLE,
    lost_km2     DOUBLE,
    PRIMARY KEY (source, date, region_code, class)
);

-- The polygons gained and lost per (source, date, class, region): the change maps.
CREATE TABLE IF NOT EXISTS core.region_changes (
    source        VARCHAR NOT NULL,
    date          DATE NOT NULL,
    class         VARCHAR NOT NULL,
    change        VARCHAR NOT NULL,   -- gained | lost
    region_code   VARCHAR NOT NULL,
    area_km2      DOUBLE NOT NULL,
    geometry_wkb  BLOB NOT NULL,
    PRIMARY KEY (source, date, class, change, region_code)
);
CREATE SCHEMA IF NOT EXISTS marts;
