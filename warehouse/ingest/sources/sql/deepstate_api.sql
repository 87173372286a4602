-- DeepStateMap history API (warehouse/ingest/sources/deepstate_api.py): the snapshot listing per
-- version, and every polygon feature of each snapshot with the class transforms/territory/layers.py gave its name.
CREATE TABLE IF NOT EXISTS raw.deepstate_api_index (
    version      INTEGER NOT NULL,
    snapshot_id  BIGINT NOT NULL,       -- unix seconds of publication
    created_at   TIMESTAMPTZ NOT NULL,
    date         DATE NOT NULL,         -- created_at in Europe/Kyiv
    PRIMARY KEY (version, snapshot_id)
);

CREATE TABLE IF NOT EXISTS raw.deepstate_api_features (
    snapshot_id   BIGINT NOT NULL,
    version       INTEGER NOT NULL,
    feature       INTEGER NOT NULL,    -- index in the FeatureCollection
    name          VARCHAR NOT NULL,    -- upstream layer name as received
    class         VARCHAR NOT NULL,    -- occupied_after_2022 | occupied_before_2022 | grey_zone | liberated | other
    geometry_wkb  BLOB NOT NULL,       -- polygons only, lon/lat WGS84, CCW
    PRIMARY KEY (snapshot_id, version, feature)
);
