-- Inside every published snapshot, for BI tools that reflect through duckdb-engine (Superset):
-- SQLAlchemy 2.0's PostgreSQL reflection of primary keys, foreign keys, unique and check
-- constraints and table comments casts to REGCLASS, a type DuckDB does not have, so
-- `Table(..., autoload_with=engine)` and `MetaData.reflect()` fail without it. As an alias of
-- VARCHAR the comparison it is used in binds and matches nothing (the snapshot's only constraints
-- are NOT NULL, which that reflection does not read).
CREATE TYPE publish_snapshot.main.regclass AS VARCHAR;
