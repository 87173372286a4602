INSERT OR REPLACE INTO audit.parser_versions VALUES ($source, $parser_version, now())
