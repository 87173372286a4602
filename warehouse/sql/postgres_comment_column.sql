COMMENT ON COLUMN {schema}.{table}.{column} IS {text};
