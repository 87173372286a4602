-- Actual columns of one warehouse table, in order, with the logical type names DuckDB reports
-- (the same spelling warehouse/store/catalog.py uses). Compared with the catalog in Python.
SELECT
    column_name,
    column_index AS actual_position,
    data_type
FROM duckdb_columns()
WHERE database_name = current_database()
  AND schema_name = $schema_name
  AND table_name = $table_name
ORDER BY column_index
