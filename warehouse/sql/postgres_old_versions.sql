-- Loaded versions beyond the newest %(keep)s, never the current one.
SELECT version, schema_name FROM frontline.published_versions
WHERE NOT is_current
ORDER BY version DESC
OFFSET greatest(%(keep)s - 1, 0);
