-- Views in schema frontline that no published table of the new version explains.
SELECT viewname FROM pg_views
WHERE schemaname = 'frontline' AND viewname <> 'current_version' AND NOT (viewname = ANY(%(keep)s));
