-- DeepStateMap daily archive (warehouse/ingest/sources/deepstate_archive.py): one row per day and payload version.
CREATE TABLE IF NOT EXISTS raw.deepstate_snapshots (
    date          DATE NOT NULL,
    version       INTEGER NOT NULL,
    sha256        VARCHAR NOT NULL,
    geometry_wkb  BLOB NOT NULL,     -- occupied territory, lon/lat WGS84, polygons CCW
    repaired      BOOLEAN NOT NULL,  -- shapely.make_valid had to repair the upstream geometry
    PRIMARY KEY (date, version)
);
