-- transforms/reparsed.py: fold every General Staff payload version again (as a new field map does).
DELETE FROM core.loss_value_events;
DELETE FROM core.loss_payloads;
