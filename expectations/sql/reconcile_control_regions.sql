-- fact_control_daily: per observed (date, source, class), the regional rows (oblasts +
-- UNATTRIBUTED) against the 'UA' row. *_diff = sum of the regions minus the 'UA' value.
-- held_by_ukraine (RU-KRS, outside Ukraine) has no 'UA' row and is left out.
SELECT
    date,
    source,
    class,
    'UA' AS region_code,
    sum(area_km2) FILTER (WHERE region_code <> 'UA') - sum(area_km2) FILTER (WHERE region_code = 'UA') AS area_km2_diff,
    sum(gained_km2) FILTER (WHERE region_code <> 'UA') - sum(gained_km2) FILTER (WHERE region_code = 'UA') AS gained_km2_diff,
    sum(lost_km2) FILTER (WHERE region_code <> 'UA') - sum(lost_km2) FILTER (WHERE region_code = 'UA') AS lost_km2_diff
FROM {fact_control_daily}
WHERE is_observed AND class <> 'held_by_ukraine'
GROUP BY date, source, class
HAVING count(*) FILTER (WHERE region_code <> 'UA') > 0
ORDER BY date, source, class
