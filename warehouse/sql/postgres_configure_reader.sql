-- A BI user's session: read-only transactions, the stable views first on the search path, and a
-- statement time limit. Privileges (below) are what actually refuse writes.
ALTER ROLE {role} SET default_transaction_read_only = on;
ALTER ROLE {role} SET search_path = frontline;
ALTER ROLE {role} SET statement_timeout = {statement_timeout};
