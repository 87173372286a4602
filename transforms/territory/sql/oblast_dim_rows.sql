SELECT region_code, name_en, name_uk, geometry_wkb
FROM raw.oblast_boundaries
WHERE version = (SELECT max(version) FROM raw.oblast_boundaries)
ORDER BY region_code;
