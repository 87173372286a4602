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
