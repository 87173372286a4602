CREATE OR REPLACE TABLE core.loss_field_map (
    upstream_field VARCHAR PRIMARY KEY,
    category       VARCHAR NOT NULL
);
