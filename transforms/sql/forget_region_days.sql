-- transforms/reparsed.py: the per-region step recomputes a day whose stored inputs are gone; the
-- day after depends on it too (gained/lost). $date NULL: every day of the source.
DELETE FROM core.region_day_inputs
WHERE source = $source AND ($date IS NULL OR date = $date OR previous_date = $date);
