-- transforms/reparsed.py: the settlement step recomputes a day whose stored inputs are gone.
-- $date NULL: every day of the source.
DELETE FROM core.settlement_day_inputs
WHERE source = $source AND ($date IS NULL OR date = $date);
