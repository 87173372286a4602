DELETE FROM frontline.published_versions WHERE version = %(version)s;
