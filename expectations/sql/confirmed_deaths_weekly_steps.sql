-- fact_confirmed_deaths_weekly with what its vintage checks need: the weekday of week_start,
-- how many upstream labels share a vintage date, whether is_latest_vintage marks the newest
-- vintage of the week, and (meduza_2026_weekly.csv only) the change from the previous vintage.
SELECT
    week_start,
    vintage,
    vintage_label,
    named_deaths,
    is_latest_vintage,
    isodow(week_start) AS iso_weekday,
    count(DISTINCT vintage_label) OVER (PARTITION BY vintage) AS labels_per_vintage,
    is_latest_vintage = (vintage = max(vintage) OVER (PARTITION BY week_start)) AS latest_is_newest,
    CASE WHEN source = 'mediazona_2026'
         THEN named_deaths - lag(named_deaths) OVER (PARTITION BY week_start, source ORDER BY vintage)
    END AS change_from_previous_vintage
FROM {fact_confirmed_deaths_weekly}
ORDER BY vintage, week_start
