-- Table macros created inside every published DuckDB snapshot: casualty facts as they were known
-- on a given date. Parquet users apply the same filters to the extracts (see the README).

-- General Staff cumulative figures as frontline knew them on as_of.
CREATE OR REPLACE MACRO losses_as_of(as_of) AS TABLE
SELECT date, category, cumulative, qualifier, known_from, payload_version
FROM fact_losses_bitemporal
WHERE known_from <= as_of AND (known_to IS NULL OR known_to > as_of);

-- Mediazona named deaths and estimates per week of death in the newest vintage current on as_of.
CREATE OR REPLACE MACRO confirmed_deaths_as_of(as_of) AS TABLE
SELECT *
FROM fact_confirmed_deaths_weekly
WHERE vintage <= as_of
QUALIFY vintage = max(vintage) OVER (PARTITION BY week_start);

-- Official estimates published on or before as_of.
CREATE OR REPLACE MACRO casualty_estimates_as_of(as_of) AS TABLE
SELECT *
FROM fact_casualty_estimates
WHERE report_date <= as_of;
