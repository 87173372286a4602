-- Migration 4: the Parquet extract each published table's content was last encoded to
-- (warehouse/publish/publish.py): a table whose key (content, catalog docs, geo metadata, library
-- versions, compression) is unchanged reuses the latest version's file instead of encoding it again.
CREATE TABLE IF NOT EXISTS audit.published_extracts (
    table_name   VARCHAR NOT NULL PRIMARY KEY,
    extract_key  VARCHAR NOT NULL,      -- sha256 of everything that goes into the file's bytes
    sha256       VARCHAR NOT NULL,      -- of the file
    version      VARCHAR NOT NULL,      -- the published version that holds it
    recorded_at  TIMESTAMPTZ NOT NULL
);
