#!/bin/sh
# The application's login user; migrations (run by the setup job as the owner) grant it
# everything but UPDATE and DELETE on the audit trail, through the dsar_app role.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$DSAR_APP_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE dsar_app NOLOGIN;
CREATE ROLE dsar LOGIN PASSWORD :'pw' IN ROLE dsar_app;
SQL
