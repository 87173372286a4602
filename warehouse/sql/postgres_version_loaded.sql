SELECT schema_name, is_current FROM frontline.published_versions WHERE version = %(version)s;
