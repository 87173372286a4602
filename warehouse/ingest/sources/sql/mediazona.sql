-- Mediazona vintages (warehouse/ingest/sources/mediazona.py).
-- The three Mediazona layouts in one long shape: one row per (payload, vintage, week, measure).
CREATE TABLE IF NOT EXISTS raw.mediazona_weekly (
    version           INTEGER NOT NULL,
    source            VARCHAR NOT NULL,   -- mediazona_2024 | mediazona_2025 | mediazona_2026
    line              INTEGER NOT NULL,   -- CSV line the value was read from
    vintage           DATE NOT NULL,      -- date this state of the lists was current (see sources/mediazona.py)
    vintage_label     VARCHAR NOT NULL,   -- upstream file (and column) of the vintage
    week_start        DATE NOT NULL,      -- Monday of the week of death
    measure           VARCHAR NOT NULL,   -- named_deaths, excess_deaths_estimate, ...
    value             DOUBLE NOT NULL,    -- as published
    is_running_total  BOOLEAN NOT NULL,   -- true: upstream publishes running totals (meduza_2024.csv)
    PRIMARY KEY (source, version, vintage, week_start, measure)
);
