#!/bin/sh
# One login per component, each with its password (docs/case-store-security.md). The group
# roles are made here because the logins join them before the schema exists; migrations (run
# by the setup job as the owner) give each group only what its component needs, and the
# setup job maps each dsar_co_<code> login to its company for row-level security.
# One company password for the demo; give each company's login its own in production.
set -eu
psql -v ON_ERROR_STOP=1 \
    -v app_pw="$DSAR_APP_PASSWORD" -v public_pw="$DSAR_PUBLIC_DB_PASSWORD" \
    -v team_pw="$DSAR_TEAM_DB_PASSWORD" -v company_pw="$DSAR_COMPANY_DB_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE dsar_app NOLOGIN;
CREATE ROLE dsar_control NOLOGIN IN ROLE dsar_app;
CREATE ROLE dsar_company NOLOGIN;
CREATE ROLE dsar_public NOLOGIN;
CREATE ROLE dsar_team NOLOGIN;
CREATE ROLE dsar LOGIN PASSWORD :'app_pw' IN ROLE dsar_control;
CREATE ROLE dsar_pages LOGIN PASSWORD :'public_pw' IN ROLE dsar_public;
CREATE ROLE dsar_cli LOGIN PASSWORD :'team_pw' IN ROLE dsar_team;
CREATE ROLE dsar_co_gb01 LOGIN PASSWORD :'company_pw' IN ROLE dsar_company;
CREATE ROLE dsar_co_se01 LOGIN PASSWORD :'company_pw' IN ROLE dsar_company;
CREATE ROLE dsar_co_dk01 LOGIN PASSWORD :'company_pw' IN ROLE dsar_company;
CREATE ROLE dsar_co_nl01 LOGIN PASSWORD :'company_pw' IN ROLE dsar_company;
SQL
