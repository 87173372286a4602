COMMENT ON TABLE {schema}.{table} IS {text};
