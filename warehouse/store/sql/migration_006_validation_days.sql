-- Migration 6: what a frame of a table's suite (the table, its references…) held, day by day,
-- when it was last validated (expectations/incremental.py): a frame that changed on a few days
-- only has those days' rows validated again, where that gives the whole frame's outcome.
CREATE TABLE IF NOT EXISTS audit.validation_bases (
    table_name     VARCHAR NOT NULL,
    frame          VARCHAR NOT NULL,
    fingerprint    VARCHAR NOT NULL,   -- the audit.validation_cache row these days belong to
    day_column     VARCHAR NOT NULL,   -- the DATE column the frame is split by
    specs_json     VARCHAR NOT NULL,   -- the expectations validated then (expectations/suites.py Spec), JSON
    rows_validated BIGINT NOT NULL,    -- rows read for that validation (all, the changed days', or none)
    stored_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, frame)
);
CREATE TABLE IF NOT EXISTS audit.validation_days (
    table_name   VARCHAR NOT NULL,
    frame        VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,     -- as in audit.validation_bases
    day          DATE,                 -- the day column's value (NULL: rows without one)
    row_count    BIGINT NOT NULL,
    hash_a       HUGEINT NOT NULL,     -- sums of two 64-bit hashes of the day's rows
    hash_b       HUGEINT NOT NULL
);
