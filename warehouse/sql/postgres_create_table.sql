CREATE TABLE {schema}.{table} ({columns});
