-- Mediazona named deaths and estimates per week of death and vintage, from the long raw rows of
-- the three layouts. Each vintage comes from the newest payload that carries it. Running totals
-- (meduza_2024.csv) become weekly values by difference with the previous week: the file's first
-- week keeps its total, a week whose predecessor is missing gets NULL (never a guessed value).
CREATE OR REPLACE TABLE core.fact_confirmed_deaths_weekly AS
WITH current_vintages AS (
    SELECT *
    FROM raw.mediazona_weekly
    QUALIFY version = max(version) OVER (PARTITION BY source, vintage)
),
weekly AS (
    SELECT *,
           CASE
               WHEN NOT is_running_total THEN value
               WHEN lag(week_start) OVER w = week_start - 7 THEN value - lag(value) OVER w
               WHEN week_start = min(week_start) OVER (PARTITION BY source, version, vintage) THEN value
           END AS weekly_value
    FROM current_vintages
    WINDOW w AS (PARTITION BY source, version, vintage, measure ORDER BY week_start)
),
pivoted AS (
    SELECT week_start,
           vintage,
           vintage_label,
           source,
           version AS payload_version,
           bool_or(is_running_total) AS is_running_total,
           max(value) FILTER (WHERE measure = 'named_deaths') AS named_published,
           max(weekly_value) FILTER (WHERE measure = 'named_deaths') AS named_deaths,
           max(weekly_value) FILTER (WHERE measure = 'excess_deaths_estimate') AS excess_deaths_estimate,
           max(weekly_value) FILTER (WHERE measure = 'excess_deaths_low') AS excess_deaths_low,
           max(weekly_value) FILTER (WHERE measure = 'excess_deaths_high') AS excess_deaths_high,
           max(weekly_value) FILTER (WHERE measure = 'flash_estimate') AS flash_estimate,
           max(weekly_value) FILTER (WHERE measure = 'flash_estimate_low') AS flash_estimate_low,
           max(weekly_value) FILTER (WHERE measure = 'flash_estimate_high') AS flash_estimate_high,
           max(weekly_value) FILTER (WHERE measure = 'mia_floor_estimate') AS mia_floor_estimate,
           max(weekly_value) FILTER (WHERE measure = 'mia_estimate') AS mia_estimate,
           max(weekly_value) FILTER (WHERE measure = 'mia_courts_estimate') AS mia_courts_estimate,
           max(weekly_value) FILTER (WHERE measure = 'total_deaths_estimate') AS total_deaths_estimate,
           max(weekly_value) FILTER (WHERE measure = 'total_deaths_low') AS total_deaths_low,
           max(weekly_value) FILTER (WHERE measure = 'total_deaths_high') AS total_deaths_high
    FROM weekly
    GROUP BY ALL
)
SELECT week_start,
       vintage,
       vintage_label,
       vintage = max(vintage) OVER (PARTITION BY week_start) AS is_latest_vintage,
       named_deaths::BIGINT AS named_deaths,
       (CASE WHEN is_running_total THEN named_published
             ELSE sum(named_deaths) OVER (PARTITION BY vintage ORDER BY week_start) END)::BIGINT AS named_deaths_cumulative,
       excess_deaths_estimate,
       excess_deaths_low,
       excess_deaths_high,
       flash_estimate,
       flash_estimate_low,
       flash_estimate_high,
       mia_floor_estimate,
       mia_estimate,
       mia_courts_estimate,
       total_deaths_estimate,
       total_deaths_low,
       total_deaths_high,
       source,
       payload_version
FROM pivoted
ORDER BY vintage, week_start;
