-- Internal (not published) tables of the settlement step (transforms/settlements/status_step.py), per
-- (source, date): the inputs the stored results were computed from, every settlement's status and
-- distance to the front, and the front line. A day is recomputed only when an input or METHOD changed.
CREATE TABLE IF NOT EXISTS core.settlement_day_inputs (
    source              VARCHAR NOT NULL,   -- deepstate | deepstate_api
    date                DATE NOT NULL,
    sha256              VARCHAR NOT NULL,   -- the day's snapshot payload
    settlements_sha256  VARCHAR NOT NULL,
    regions_sha256      VARCHAR NOT NULL,
    method              VARCHAR NOT NULL,   -- transforms.settlements.status_step.METHOD
    PRIMARY KEY (source, date)
);

CREATE TABLE IF NOT EXISTS core.settlement_day_status (
    source                VARCHAR NOT NULL,
    date                  DATE NOT NULL,
    settlement_id         BIGINT NOT NULL,
    status                VARCHAR NOT NULL,   -- ukraine | grey_zone | occupied
    api_class             VARCHAR,            -- deepstate_api: the layer class containing the point
    distance_to_front_km  DOUBLE              -- negative inside occupied territory
);  -- ~5.5k rows per (source, date), replaced as a whole: no key index to maintain on ~5 M rows

CREATE TABLE IF NOT EXISTS core.front_line_day (
    source        VARCHAR NOT NULL,
    date          DATE NOT NULL,
    length_km     DOUBLE NOT NULL,
    geometry_wkb  BLOB NOT NULL,   -- (Multi)LineString, lon/lat WGS84
    occupied_wkb  BLOB NOT NULL,   -- the occupied area simplified to OCCUPIED_SIMPLIFY_DEG, for maps
    PRIMARY KEY (source, date)
);
