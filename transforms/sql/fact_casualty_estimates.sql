-- Official and researchers' estimates from the current payload of the estimates file.
CREATE OR REPLACE TABLE core.fact_casualty_estimates AS
SELECT report_date,
       losses_of,
       measure,
       estimate,
       estimate_low,
       estimate_high,
       source_name,
       source_url,
       (warring_party_upstream OR source_name IN (SELECT unnest($warring_party_sources::VARCHAR[]))) AS is_warring_party,
       line
FROM raw.official_estimates
WHERE version = (SELECT max(version) FROM raw.official_estimates)
ORDER BY report_date, losses_of, measure, source_name;
