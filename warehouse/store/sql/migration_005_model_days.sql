-- Migration 5: the per-day input keys each incremental SQL model was last built from
-- (transforms/models.py, transforms/build_keys.py). When only some days' keys changed since, the
-- model replaces those days' rows instead of rebuilding its whole history.
CREATE TABLE IF NOT EXISTS audit.model_days (
    table_name  VARCHAR NOT NULL,  -- the model's own table, schema-qualified
    model_key   VARCHAR NOT NULL,  -- sha256 of how the rows are computed (code, SQL, parameters): days of another key are not comparable
    source      VARCHAR NOT NULL,
    date        DATE NOT NULL,
    day_key     UBIGINT NOT NULL,  -- hash of that day's input rows (or of the step bookkeeping that stands for them)
    PRIMARY KEY (table_name, source, date)
);
