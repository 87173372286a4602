-- Official and researchers' estimates from the current payload of the estimates file, with that
-- payload's version, vintage (its newest report date) and fetch time.
CREATE OR REPLACE TABLE core.fact_casualty_estimates AS
WITH current_payload AS (
    SELECT e.*, max(e.report_date) OVER () AS payload_vintage
    FROM raw.official_estimates AS e
    WHERE e.version = (SELECT max(version) FROM raw.official_estimates)
)
SELECT e.report_date,
       e.losses_of,
       e.measure,
       e.estimate,
       e.estimate_low,
       e.estimate_high,
       e.source_name,
       e.source_url,
       (e.warring_party_upstream OR e.source_name IN (SELECT unnest($warring_party_sources::VARCHAR[]))) AS is_warring_party,
       e.line,
       e.version AS payload_version,
       e.payload_vintage,
       p.fetched_at
FROM current_payload AS e
JOIN raw.payloads AS p ON p.source = 'official_estimates' AND p.key = 'all' AND p.version = e.version
ORDER BY e.report_date, e.losses_of, e.measure, e.source_name;
