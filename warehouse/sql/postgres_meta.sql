-- The PostgreSQL publish target's bookkeeping: which version lives in which schema, and which is
-- current (what the stable views in schema `frontline` point at).
CREATE SCHEMA IF NOT EXISTS frontline;
CREATE TABLE IF NOT EXISTS frontline.published_versions (
    version     text PRIMARY KEY,
    schema_name text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    loaded_at   timestamptz NOT NULL,
    fingerprint text NOT NULL,
    is_current  boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE frontline.published_versions IS
    'Versions of the frontline warehouse loaded into this database: one schema per version; the views in schema frontline point at the row with is_current.';
CREATE OR REPLACE VIEW frontline.current_version AS
    SELECT version, schema_name, created_at, loaded_at FROM frontline.published_versions WHERE is_current;
COMMENT ON VIEW frontline.current_version IS 'The version the views in schema frontline show.';
