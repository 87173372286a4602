-- Migration 2: audit.check_results keeps every field of a suite outcome (expectations/outcome.py),
-- so that publishing rebuilds the run's report from the run's rows, in whichever process it runs.
-- NULL in rows written before this migration.
ALTER TABLE audit.check_results ADD COLUMN position INTEGER;        -- the expectation's place in its suite
ALTER TABLE audit.check_results ADD COLUMN reason VARCHAR;          -- why this severity
ALTER TABLE audit.check_results ADD COLUMN observed_value JSON;     -- aggregate expectations (row count, …)
ALTER TABLE audit.check_results ADD COLUMN exception VARCHAR;       -- GX could not evaluate it
ALTER TABLE audit.check_results ADD COLUMN suite_today DATE;        -- the day time-relative expectations used
ALTER TABLE audit.check_results ADD COLUMN suite_seconds DOUBLE;    -- how long the table's suite took
