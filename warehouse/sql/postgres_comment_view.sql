COMMENT ON VIEW frontline.{table} IS {text};
