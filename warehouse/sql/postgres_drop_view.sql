DROP VIEW IF EXISTS frontline.{table};
