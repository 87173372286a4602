-- Migration 8: which version of each source's parser made its stored raw rows
-- (warehouse.ingest.sources.base.Source.parser_version). A run whose code has another version
-- first rebuilds the rows from the stored payloads (land.ensure_current_parser), so a parser fix
-- reaches an existing warehouse without `frontline reparse`.
CREATE TABLE IF NOT EXISTS audit.parser_versions (
    source          VARCHAR NOT NULL PRIMARY KEY,
    parser_version  INTEGER NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL
);
