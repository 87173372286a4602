-- Migration 8: the content fingerprint a frame's query (a suite frame, a published extract) had
-- when the tables it reads were as their last builds left them (expectations/cache.py): while no
-- model rebuilt them, the fingerprint is read here instead of hashing their rows again.
CREATE TABLE IF NOT EXISTS audit.validation_inputs (
    table_name   VARCHAR NOT NULL,
    frame        VARCHAR NOT NULL,
    inputs_key   VARCHAR NOT NULL,      -- sha256 of the query, the expectations and each read table's build
    fingerprint  VARCHAR NOT NULL,      -- expectations.cache.query_fingerprint of the query then
    stored_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, frame)
);
