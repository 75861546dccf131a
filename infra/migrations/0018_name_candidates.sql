-- Names each company knows, kept only where the request's records mention them (issue #16).
--
-- Until now each company's worker wrote the keyed fingerprint of every name in its customer
-- tables, for every request (0006's known_name_fingerprints): thousands of rows a request
-- at the benchmark's crowd (1.4 MB of case store a delivered request, most of it these rows,
-- each through 0010's INSTEAD OF trigger), and a whole customer list a request in
-- production. Now the control worker first writes the fingerprints of the capitalised
-- phrases of the request's records (`name_candidates`, a few hundred), and each company
-- hands its names' fingerprints to `keep_known_names`, which stores only those among the
-- candidates. A company's worker still never reads another company's records, nor the
-- candidates themselves: the function takes its fingerprints and stores the overlap under
-- the company its login belongs to, and returns nothing.

CREATE TABLE name_candidates (
    reference   text NOT NULL REFERENCES requests (reference),
    -- 'full' for a capitalised phrase, 'given' for its first word (as in known_name_fingerprints).
    kind        text NOT NULL CHECK (kind IN ('full', 'given')),
    fingerprint text NOT NULL,
    PRIMARY KEY (reference, kind, fingerprint)
);

CREATE FUNCTION keep_known_names(p_reference text, p_company text, p_full text[], p_given text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    -- A company's login writes its own company's names; a login of the control role, which
    -- may write the table directly anyway (workers sharing one login in tests), any company's.
    IF NOT EXISTS (
        SELECT 1 FROM company_db_logins m WHERE m.login = session_user AND m.company = p_company
    ) AND NOT pg_has_role(session_user, 'dsar_app', 'MEMBER') THEN
        RAISE EXCEPTION 'this login may not write the names of company %', p_company
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM known_name_fingerprints WHERE reference = p_reference AND company = p_company;
    INSERT INTO known_name_fingerprints (reference, company, kind, fingerprint)
    SELECT p_reference, p_company, c.kind, c.fingerprint
    FROM name_candidates c
    WHERE c.reference = p_reference
      AND ((c.kind = 'full' AND c.fingerprint IN (SELECT unnest(p_full)))
        OR (c.kind = 'given' AND c.fingerprint IN (SELECT unnest(p_given))));
END
$$;
REVOKE ALL ON FUNCTION keep_known_names(text, text, text[], text[]) FROM PUBLIC;

-- The control worker (dsar_app) writes the candidates and removes them with the case.
GRANT SELECT, INSERT, DELETE ON name_candidates TO dsar_app;
GRANT EXECUTE ON FUNCTION keep_known_names(text, text, text[], text[]) TO dsar_company, dsar_app;
