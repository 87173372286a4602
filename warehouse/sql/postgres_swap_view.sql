-- Runs inside the swap transaction: readers see the old view or the new one, never neither.
DROP VIEW IF EXISTS frontline.{table};
CREATE VIEW frontline.{table} AS SELECT * FROM {schema}.{table};
