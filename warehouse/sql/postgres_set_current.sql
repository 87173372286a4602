UPDATE frontline.published_versions SET is_current = (version = %(version)s);
