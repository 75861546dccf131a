-- The audit trail: each entry MACed with a key held outside the database (the appending
-- components' DSAR_AUDIT_MAC_KEYS), appended only through audit_head/audit_append, and its
-- head anchored outside the database (casestore/anchor.py). Entries written before this
-- migration carry no MAC; audit_mac_since says from which entry on every one must.
ALTER TABLE audit_log ADD COLUMN mac_key_id text;
ALTER TABLE audit_log ADD COLUMN mac text;

CREATE TABLE audit_mac_since (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq       bigint NOT NULL
);
INSERT INTO audit_mac_since (seq) SELECT coalesce(max(seq), 0) + 1 FROM audit_log;

-- The chain's head, the append lock taken (held until the caller's transaction ends), and
-- the entry already recorded under this idempotency key, if any.
CREATE FUNCTION audit_head(p_idempotency_key text)
RETURNS TABLE (existing bigint, head_seq bigint, head_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1096107092);  -- 0x41554454 "AUDT", as casestore/audit.py
    RETURN QUERY SELECT
        (SELECT a.seq FROM audit_log a WHERE p_idempotency_key IS NOT NULL AND a.idempotency_key = p_idempotency_key),
        (SELECT a.seq FROM audit_log a ORDER BY a.seq DESC LIMIT 1),
        (SELECT a.hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1);
END
$$;

-- The one way in: the entry must extend the head seen under the same lock and carry a MAC.
-- The function cannot check the MAC (the key is not in the database): `dsar audit --verify` does.
CREATE FUNCTION audit_append(
    p_seq bigint, p_reference text, p_at timestamptz, p_actor text, p_action text, p_details jsonb,
    p_prev_hash text, p_hash text, p_idempotency_key text, p_mac_key_id text, p_mac text
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(1096107092);
    SELECT a.seq, a.hash INTO last_seq, last_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    IF p_seq <> coalesce(last_seq, 0) + 1 OR p_prev_hash <> coalesce(last_hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'audit append must extend the chain head (entry %)', coalesce(last_seq, 0) + 1;
    END IF;
    IF p_mac IS NULL OR p_mac_key_id IS NULL OR p_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'audit append needs a hash and a MAC';
    END IF;
    INSERT INTO audit_log (seq, reference, at, actor, action, details, prev_hash, hash, idempotency_key,
                           mac_key_id, mac)
    VALUES (p_seq, p_reference, p_at, p_actor, p_action, coalesce(p_details, '{}'), p_prev_hash, p_hash,
            p_idempotency_key, p_mac_key_id, p_mac);
    RETURN p_seq;
END
$$;

REVOKE ALL ON FUNCTION audit_head(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_append(bigint, text, timestamptz, text, text, jsonb, text, text, text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_head(text) TO dsar_app, dsar_company, dsar_public, dsar_team;
GRANT EXECUTE ON FUNCTION audit_append(bigint, text, timestamptz, text, text, jsonb, text, text, text, text, text)
    TO dsar_app, dsar_company, dsar_public, dsar_team;
GRANT SELECT ON audit_mac_since TO dsar_app, dsar_team;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM dsar_app, dsar_company, dsar_public, dsar_team;
