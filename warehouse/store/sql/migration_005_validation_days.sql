-- Migration 5: what a table held, day by day, when its rows were last validated
-- (expectations/incremental.py): a table that changed on a few days only has those days' rows
-- validated again, with the outcomes of the rest carried over where that gives the same result.
CREATE TABLE IF NOT EXISTS audit.validation_bases (
    table_name     VARCHAR NOT NULL PRIMARY KEY,
    fingerprint    VARCHAR NOT NULL,   -- the audit.validation_cache row ('table' frame) these days belong to
    day_column     VARCHAR NOT NULL,   -- the DATE key the table is split by
    specs_json     VARCHAR NOT NULL,   -- the expectations validated then (expectations/suites.py Spec), JSON
    rows_validated BIGINT NOT NULL,    -- rows read for that validation (all of them, or the changed days')
    stored_at      TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS audit.validation_days (
    table_name   VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,     -- as in audit.validation_bases
    day          DATE,                 -- the day column's value (NULL: rows without one)
    row_count    BIGINT NOT NULL,
    hash_a       HUGEINT NOT NULL,     -- sums of two 64-bit hashes of the day's rows
    hash_b       HUGEINT NOT NULL
);
