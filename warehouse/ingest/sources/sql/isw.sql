-- ISW/CTP area series (warehouse/ingest/sources/isw.py): one row per date and payload version.
CREATE TABLE IF NOT EXISTS raw.isw_area (
    version  INTEGER NOT NULL,
    line     INTEGER NOT NULL,
    date     DATE NOT NULL,
    area_m2  DOUBLE NOT NULL,
    PRIMARY KEY (version, date)
);
