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
