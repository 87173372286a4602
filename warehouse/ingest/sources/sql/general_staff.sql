-- General Staff loss claims (warehouse/ingest/sources/general_staff.py): rows per payload version.
CREATE TABLE IF NOT EXISTS raw.gs_personnel (
    version    INTEGER NOT NULL,
    element    INTEGER NOT NULL,
    date       DATE NOT NULL,
    personnel  BIGINT NOT NULL,
    qualifier  VARCHAR,
    pow        BIGINT,
    PRIMARY KEY (version, date)
);

CREATE TABLE IF NOT EXISTS raw.gs_equipment (
    version         INTEGER NOT NULL,
    element         INTEGER NOT NULL,
    date            DATE NOT NULL,
    upstream_field  VARCHAR NOT NULL,
    value           BIGINT NOT NULL,
    PRIMARY KEY (version, date, upstream_field)
);

CREATE TABLE IF NOT EXISTS raw.gs_equipment_corrections (
    version         INTEGER NOT NULL,
    element         INTEGER NOT NULL,
    date            DATE NOT NULL,
    upstream_field  VARCHAR NOT NULL,
    value           BIGINT NOT NULL,
    PRIMARY KEY (version, date, upstream_field)
);
