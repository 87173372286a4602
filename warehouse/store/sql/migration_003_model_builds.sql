-- Migration 3: what each SQL model was last built from (transforms/build_keys.py). A model whose
-- key (SQL text, parameters, catalog comments, content fingerprint of every input table) and
-- output fingerprint are unchanged is not rebuilt: its stored row count is reported instead.
CREATE TABLE audit.model_builds (
    table_name          VARCHAR PRIMARY KEY,  -- schema-qualified, as transforms/models.py names it
    build_key           VARCHAR NOT NULL,     -- sha256 of the SQL, parameters, comments and input fingerprints
    output_fingerprint  VARCHAR NOT NULL,     -- the table's content fingerprint right after the build
    row_count           BIGINT NOT NULL,
    builds              BIGINT NOT NULL,      -- how many times it was built (skips do not count)
    built_at            TIMESTAMPTZ NOT NULL
);
