-- Oblast boundaries (warehouse/ingest/sources/boundaries.py; OSM, ODbL): one row per feature and
-- payload version, repaired with make_valid where invalid.
CREATE TABLE IF NOT EXISTS raw.oblast_boundaries (
    version       INTEGER NOT NULL,
    feature       INTEGER NOT NULL,
    region_code   VARCHAR NOT NULL,   -- ISO 3166-2 (iso3166-2 tag)
    name_en       VARCHAR NOT NULL,
    name_uk       VARCHAR NOT NULL,
    geometry_wkb  BLOB NOT NULL,      -- lon/lat WGS84, CCW
    repaired      BOOLEAN NOT NULL,
    PRIMARY KEY (version, region_code)
);
