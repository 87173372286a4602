-- The current settlements payload's places.
SELECT s.geonameid, s.name, s.name_uk, s.admin1_code, s.population, s.latitude, s.longitude
FROM raw.settlements AS s
JOIN raw.current_payloads AS p ON p.source = 'settlements' AND p.key = 'all' AND p.version = s.version
ORDER BY s.geonameid;
