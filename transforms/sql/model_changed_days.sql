-- The (source, date) of a by-day model whose input key changed, appeared or vanished since its
-- last build (audit.model_days) against now (temp model_day_keys): the days it rebuilds.
CREATE OR REPLACE TEMP TABLE model_changed_days AS
SELECT DISTINCT source, date
FROM (
    (SELECT source, date, day_key FROM model_day_keys
     EXCEPT
     SELECT source, date, day_key FROM audit.model_days WHERE table_name = $table_name)
    UNION ALL
    (SELECT source, date, day_key FROM audit.model_days WHERE table_name = $table_name
     EXCEPT
     SELECT source, date, day_key FROM model_day_keys)
);
