-- Which numbered migrations (warehouse/store/migrations.py) this warehouse file holds.
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE IF NOT EXISTS audit.schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    checksum    VARCHAR NOT NULL,   -- sha256 of the SQL applied
    applied_at  TIMESTAMPTZ NOT NULL
);
