-- General Staff payload versions not folded yet, oldest first, each with the version before it.
SELECT source, version, previous_version
FROM (
    SELECT source, version, lag(version) OVER (PARTITION BY source ORDER BY version) AS previous_version
    FROM raw.payloads
    WHERE source IN ('gs_personnel', 'gs_equipment') AND key = 'all'
) AS v
WHERE NOT EXISTS (
    SELECT 1 FROM core.loss_payloads AS p WHERE p.source = v.source AND p.payload_version = v.version
)
ORDER BY source, version;
