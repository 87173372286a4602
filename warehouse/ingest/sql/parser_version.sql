-- The parser version a source's stored rows were made with (NULL: none recorded), and whether it
-- has any stored payload.
SELECT (SELECT parser_version FROM audit.parser_versions WHERE source = $source) AS recorded,
       EXISTS (SELECT 1 FROM raw.payloads WHERE source = $source) AS has_payloads
