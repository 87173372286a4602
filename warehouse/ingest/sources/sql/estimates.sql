-- Official casualty estimates (warehouse/ingest/sources/estimates.py): one row per CSV line and payload version.
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
