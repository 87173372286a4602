-- The current settlements payload: its sha256 and its places (id, lon, lat).
SELECT p.sha256, s.geonameid, s.longitude, s.latitude
FROM raw.settlements AS s
JOIN raw.current_payloads AS p ON p.source = 'settlements' AND p.key = 'all' AND p.version = s.version
ORDER BY s.geonameid;
