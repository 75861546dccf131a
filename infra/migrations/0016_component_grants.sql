-- The per-component roles of 0010 meet the columns and tables that 0013-0015 added
-- (docs/case-store-security.md): a later migration that adds a table or a column names here
-- which component may touch it.
--
-- The download code is spent by code_guess (SECURITY DEFINER) in the same locked
-- transaction that checked it (0014's code_used_at); the pages and the team only read it.
GRANT SELECT (code_used_at) ON download_links TO dsar_public, dsar_team;
-- Holds for complaints and claims are placed and released from the team's CLI (0013).
GRANT SELECT, INSERT, UPDATE ON case_holds TO dsar_team;
