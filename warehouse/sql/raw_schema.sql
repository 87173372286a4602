-- Raw layer: every payload as received, with provenance (warehouse/ingest/land.py lands them). The
-- parsed rows of each source have their own tables: warehouse/ingest/sources/sql/<source>.sql.
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
