-- Cost of advance per month: territory (DeepState, ISW) next to General Staff personnel claims
-- and Mediazona named deaths of the newest vintage.
CREATE OR REPLACE TABLE marts.mart_cost_of_advance_monthly AS
WITH territory AS (
    -- The one place that says which territory rows count: the whole occupied area of Ukraine.
    -- (Adjust here if fact_control_monthly gains a class column; keep the whole-area class.)
    SELECT month, source, gained_km2, lost_km2, net_change_km2, observed_days
    FROM core.fact_control_monthly
    WHERE region_code = 'UA' AND class = 'occupied_total'
),
deepstate AS (
    SELECT month, gained_km2, lost_km2, net_change_km2, observed_days FROM territory WHERE source = 'deepstate'
),
isw AS (
    SELECT month, net_change_km2 FROM territory WHERE source = 'isw'
),
personnel AS (
    SELECT month, total FROM core.fact_losses_monthly WHERE category = 'personnel'
),
named AS (
    SELECT date_trunc('month', week_start)::DATE AS month, sum(named_deaths) AS named_deaths, max(vintage) AS vintage
    FROM core.fact_confirmed_deaths_weekly
    WHERE vintage = (SELECT max(vintage) FROM core.fact_confirmed_deaths_weekly)
    GROUP BY ALL
),
months AS (
    SELECT month FROM territory
    UNION
    SELECT month FROM personnel
    UNION
    SELECT month FROM named
)
SELECT m.month,
       d.gained_km2 AS deepstate_gained_km2,
       d.lost_km2 AS deepstate_lost_km2,
       d.net_change_km2 AS deepstate_net_change_km2,
       d.observed_days AS deepstate_observed_days,
       i.net_change_km2 AS isw_net_change_km2,
       p.total AS personnel_claimed,
       n.named_deaths::BIGINT AS named_deaths,
       n.vintage AS named_deaths_vintage,
       p.total / nullif(d.gained_km2, 0) AS personnel_claimed_per_km2_gained,
       n.named_deaths / nullif(d.gained_km2, 0) AS named_deaths_per_km2_gained
FROM months AS m
LEFT JOIN deepstate AS d USING (month)
LEFT JOIN isw AS i USING (month)
LEFT JOIN personnel AS p USING (month)
LEFT JOIN named AS n USING (month)
ORDER BY m.month;
