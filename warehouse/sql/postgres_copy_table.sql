COPY {schema}.{table} ({columns}) FROM STDIN;
