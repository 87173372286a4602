INSERT INTO frontline.published_versions (version, schema_name, created_at, loaded_at, fingerprint)
VALUES (%(version)s, %(schema_name)s, %(created_at)s, now(), %(fingerprint)s);
