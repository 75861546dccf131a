-- One database role per component, row-level security per company, and the one-time codes
-- checked only through SECURITY DEFINER functions (docs/case-store-security.md).
--
--   dsar_app      the control worker's privileges (the name of the old shared role, kept so
--                 existing deployments keep working); dsar_control is a member of it
--   dsar_company  each company's worker: only the collection and action tables, and there
--                 only its own company's rows (login -> company in company_db_logins)
--   dsar_public   the download and identity pages: the few columns they show, the codes
--                 only through code_salt/code_guess
--   dsar_team     the privacy team's CLI: reads, a new reference, the audit functions
-- No component may write audit_log directly (migration 0011 adds the append function).
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['dsar_app', 'dsar_control', 'dsar_company', 'dsar_public', 'dsar_team'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN', name);
            ELSE
                RAISE EXCEPTION 'role % is missing and cannot be created by %; create it (NOLOGIN) and migrate again',
                    name, current_user;
            END IF;
        END IF;
    END LOOP;
END
$$;

GRANT dsar_app TO dsar_control;

-- Which company each company worker's login may see.
CREATE TABLE company_db_logins (
    login    name PRIMARY KEY,
    company  text NOT NULL
);

-- ---- the control worker (dsar_app): everything it did before, minus rewriting codes and audit
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM dsar_app;
REVOKE UPDATE ON identity_challenges FROM dsar_app;
GRANT UPDATE (revoked_at, code_key_id, code_sealed, forwarded_at) ON identity_challenges TO dsar_app;
REVOKE UPDATE ON download_links FROM dsar_app;
GRANT UPDATE (revoked_at, code_key_id, code_sealed) ON download_links TO dsar_app;
GRANT SELECT ON company_db_logins TO dsar_app;

-- ---- a company's worker
GRANT SELECT, INSERT, UPDATE, DELETE ON collection_results, collection_checkpoints TO dsar_company;
GRANT SELECT, INSERT, UPDATE ON action_results TO dsar_company;
GRANT SELECT, INSERT ON executed_changes TO dsar_company;
GRANT SELECT ON company_db_logins TO dsar_company;
-- The sealed identity it searches its systems for (it holds the codec keys to open it), and
-- nothing else of the request.
GRANT SELECT (reference, subject_key_id, subject_ciphertext) ON requests TO dsar_company;
GRANT USAGE, SELECT ON SEQUENCE collected_records_id_seq TO dsar_company;
GRANT USAGE, SELECT ON SEQUENCE executed_changes_id_seq TO dsar_company;

-- ---- the public pages: what the pages show, never a code's hash or sealed copy
GRANT SELECT (reference, language) ON requests TO dsar_public;
GRANT SELECT (id, reference, kind, bucket, s3_key, sha256, bytes, created_at, deleted_at) ON artefacts TO dsar_public;
GRANT SELECT (id, reference, artefact_id, occasion, expires_at, attempts, locked_at, revoked_at, downloads, created_at)
    ON download_links TO dsar_public;
GRANT UPDATE (downloads) ON download_links TO dsar_public;
GRANT SELECT (id, reference, occasion, expires_at, max_attempts, attempts, locked_at, revoked_at,
              verified_at, verified_via, forwarded_at, created_at)
    ON identity_challenges TO dsar_public;

-- ---- the team's CLI: reads everything but the codes; writes go through the workflows
GRANT SELECT ON requests, collected_records, collection_results, artefacts, notifications, audit_log,
    collection_checkpoints, known_name_fingerprints, redactions, action_results, executed_changes,
    recipient_notifications, marketing_suppressions, portable_transmissions, schema_migrations,
    company_db_logins TO dsar_team;
GRANT SELECT (id, reference, artefact_id, occasion, expires_at, attempts, locked_at, revoked_at, downloads, created_at)
    ON download_links TO dsar_team;
GRANT SELECT (id, reference, occasion, expires_at, max_attempts, attempts, locked_at, revoked_at,
              verified_at, verified_via, forwarded_at, created_at)
    ON identity_challenges TO dsar_team;
GRANT USAGE, SELECT ON SEQUENCE request_number_seq TO dsar_team;
-- Tables later migrations add are readable by the team too (its CLI lists and reports them).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO dsar_team;

-- ---- row-level security: a company's worker sees and writes only its company's rows
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['collection_results', 'collection_checkpoints', 'action_results', 'executed_changes'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY own_company ON %I TO dsar_company'
            ' USING (company IN (SELECT m.company FROM company_db_logins m WHERE m.login = current_user))'
            ' WITH CHECK (company IN (SELECT m.company FROM company_db_logins m WHERE m.login = current_user))',
            t);
        EXECUTE format('CREATE POLICY whole_group ON %I TO dsar_app, dsar_team USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$$;

-- The two tables the workers fill with COPY: PostgreSQL refuses COPY FROM into a table
-- under row-level security, so a company's worker reaches them through views of its own
-- company's rows in schema dsar_company_rows, first on its logins' search_path (set by
-- casestore.db.ensure_login). The views filter reads, UPDATE and DELETE (security barrier,
-- WITH CHECK OPTION); an INSTEAD OF trigger checks each inserted row, COPY's included.
-- The worker holds no privilege on the tables themselves. A later migration that adds a
-- column to either table recreates its view.
CREATE SCHEMA dsar_company_rows;
GRANT USAGE ON SCHEMA dsar_company_rows TO dsar_company;

CREATE FUNCTION dsar_company_rows.insert_own_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.company IS NULL OR NEW.company NOT IN (SELECT m.company FROM company_db_logins m WHERE m.login = session_user) THEN
        RAISE EXCEPTION 'new row violates row-level security: % belongs to another company', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('INSERT INTO public.%I SELECT ($1).*', TG_TABLE_NAME) USING NEW;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dsar_company_rows.insert_own_row() FROM PUBLIC;

DO $$
DECLARE
    t text;
    col record;
BEGIN
    FOREACH t IN ARRAY ARRAY['collected_records', 'known_name_fingerprints'] LOOP
        EXECUTE format(
            'CREATE VIEW dsar_company_rows.%I WITH (security_barrier) AS SELECT * FROM public.%I'
            ' WHERE company IN (SELECT m.company FROM public.company_db_logins m WHERE m.login = session_user)'
            ' WITH CASCADED CHECK OPTION', t, t);
        -- A view has no defaults of its own: the table's, so COPY and INSERT may leave them out.
        FOR col IN
            SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) AS expr
              FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = format('public.%I', t)::regclass
        LOOP
            EXECUTE format('ALTER VIEW dsar_company_rows.%I ALTER COLUMN %I SET DEFAULT %s', t, col.attname, col.expr);
        END LOOP;
        EXECUTE format(
            'CREATE TRIGGER insert_own_row INSTEAD OF INSERT ON dsar_company_rows.%I'
            ' FOR EACH ROW EXECUTE FUNCTION dsar_company_rows.insert_own_row()', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON dsar_company_rows.%I TO dsar_company', t);
    END LOOP;
END
$$;

-- ---- the one-time codes: the one way to check a code and to mark it entered
-- What a caller needs to hash a typed code the same way (scheme, cost, salt): the stored hash
-- minus its digest. NULL when there is no such code.
CREATE FUNCTION code_salt(p_kind text, p_id uuid) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    stored text;
BEGIN
    IF p_kind = 'identity' THEN
        SELECT code_hash INTO stored FROM identity_challenges WHERE id = p_id;
    ELSIF p_kind = 'download' THEN
        SELECT code_hash INTO stored FROM download_links WHERE id = p_id;
    ELSE
        RAISE EXCEPTION 'code kind must be identity or download';
    END IF;
    RETURN regexp_replace(stored, '\$[^$]*$', '');
END
$$;

-- One guess, the row locked so parallel guesses cannot pass the limit. p_candidate is the
-- typed code hashed with code_salt's parameters (NULL: what was typed cannot be a code, not
-- counted). A right identity code is marked entered here and nowhere else; a wrong one
-- counts a try and the last allowed one locks the code. The clock may only move forward.
CREATE FUNCTION code_guess(p_kind text, p_id uuid, p_candidate text, p_via text, p_now timestamptz)
RETURNS TABLE (outcome text, attempts int, attempts_left int, locked_now boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    row_hash text;
    tries int;
    max_tries int;
    used timestamptz;
    spent boolean := false;  -- a download code's code_used_at, where that column exists
    revoked timestamptz;
    locked timestamptz;
    expires timestamptz;
    at timestamptz := greatest(coalesce(p_now, now()), now());
BEGIN
    IF p_kind = 'identity' THEN
        SELECT c.code_hash, c.attempts, c.max_attempts, c.verified_at, c.revoked_at, c.locked_at, c.expires_at
          INTO row_hash, tries, max_tries, used, revoked, locked, expires
          FROM identity_challenges c WHERE c.id = p_id FOR UPDATE;
    ELSIF p_kind = 'download' THEN
        SELECT l.code_hash, l.attempts, 5, NULL, l.revoked_at, l.locked_at, l.expires_at
          INTO row_hash, tries, max_tries, used, revoked, locked, expires
          FROM download_links l WHERE l.id = p_id FOR UPDATE;
    ELSE
        RAISE EXCEPTION 'code kind must be identity or download';
    END IF;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, 0, NULL::int, false;
        RETURN;
    END IF;
    -- Single-use download codes (a later migration adds code_used_at): spent once, here.
    IF p_kind = 'download' AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'download_links'::regclass
                                       AND attname = 'code_used_at' AND NOT attisdropped) THEN
        EXECUTE 'SELECT code_used_at IS NOT NULL FROM download_links WHERE id = $1' INTO spent USING p_id;
        IF spent THEN
            used := now();
        END IF;
    END IF;
    IF used IS NOT NULL THEN
        RETURN QUERY SELECT 'already_verified'::text, tries, NULL::int, false;
    ELSIF revoked IS NOT NULL THEN
        RETURN QUERY SELECT 'replaced'::text, tries, NULL::int, false;
    ELSIF locked IS NOT NULL THEN
        RETURN QUERY SELECT 'locked'::text, tries, NULL::int, false;
    ELSIF at >= expires THEN
        RETURN QUERY SELECT 'expired'::text, tries, NULL::int, false;
    ELSIF p_candidate IS NULL THEN
        RETURN QUERY SELECT 'code_missing'::text, tries, NULL::int, false;
    ELSIF p_candidate = row_hash THEN
        IF p_kind = 'identity' THEN
            UPDATE identity_challenges SET verified_at = now(), verified_via = p_via WHERE id = p_id;
        ELSIF spent IS NOT NULL AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'download_links'::regclass
                                            AND attname = 'code_used_at' AND NOT attisdropped) THEN
            EXECUTE 'UPDATE download_links SET code_used_at = now() WHERE id = $1' USING p_id;
        END IF;
        RETURN QUERY SELECT 'verified'::text, tries, NULL::int, false;
    ELSE
        tries := tries + 1;
        IF p_kind = 'identity' THEN
            UPDATE identity_challenges SET attempts = tries, locked_at = CASE WHEN tries >= max_tries THEN now() END
             WHERE id = p_id;
        ELSE
            UPDATE download_links SET attempts = tries, locked_at = CASE WHEN tries >= max_tries THEN now() END
             WHERE id = p_id;
        END IF;
        IF tries >= max_tries THEN
            RETURN QUERY SELECT 'locked'::text, tries, NULL::int, true;
        ELSE
            RETURN QUERY SELECT 'code_wrong'::text, tries, greatest(max_tries - tries, 0), false;
        END IF;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION code_salt(text, uuid), code_guess(text, uuid, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION code_salt(text, uuid), code_guess(text, uuid, text, text, timestamptz)
    TO dsar_app, dsar_public, dsar_team;
