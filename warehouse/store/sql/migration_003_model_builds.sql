-- Migration 3: what each model was last built from (transforms/build_keys.py). A model whose build
-- key (code version, its SQL/method and parameters, the keys of its inputs) matches, and whose
-- tables still hold what that build left (row counts; a step's bookkeeping whole), is not rebuilt:
-- its stored count is reported instead.
CREATE TABLE audit.model_builds (
    table_name  VARCHAR PRIMARY KEY,  -- the model's own table, schema-qualified (transforms/models.py)
    build_key   VARCHAR NOT NULL,     -- sha256 of what the build read (a Merkle key: no data row is read)
    guard       VARCHAR NOT NULL,     -- sha256 of what the build left: its tables' row counts, a step's bookkeeping
    counted     BIGINT NOT NULL,      -- what the build returned (row count, or what a step counted)
    builds      BIGINT NOT NULL,      -- how many times it was built (skips do not count)
    built_at    TIMESTAMPTZ NOT NULL
);

-- Raw tables whose rows `frontline reparse` rewrote without a new payload version: part of the
-- raw table's key, so what was built from the old rows is built again.
CREATE TABLE audit.raw_rewrites (
    table_name    VARCHAR PRIMARY KEY,  -- raw.<table>
    rewrites      BIGINT NOT NULL,
    rewritten_at  TIMESTAMPTZ NOT NULL
);
