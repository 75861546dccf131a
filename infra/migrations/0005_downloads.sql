-- The download page: one row per link e-mailed to the person (the first delivery, and each
-- re-sent link). The token in the URL names the row; the one-time code is kept only as an
-- scrypt hash, plus a sealed copy (AES-GCM, the codec key ring) that lives only until the
-- code's e-mail is confirmed sent, so a retried send mails the same code.
CREATE TABLE download_links (
    id           uuid PRIMARY KEY,
    reference    text NOT NULL REFERENCES requests (reference),
    artefact_id  uuid NOT NULL REFERENCES artefacts (id),
    -- '' for the delivery, 'resend-N' for the N-th new link; one link per occasion.
    occasion     text NOT NULL,
    code_hash    text NOT NULL,
    code_key_id  text,
    code_sealed  bytea,
    expires_at   timestamptz NOT NULL,
    attempts     int NOT NULL DEFAULT 0,
    locked_at    timestamptz,
    -- Set when a newer link replaces this one, or the package is deleted.
    revoked_at   timestamptz,
    downloads    int NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT download_links_once UNIQUE (reference, occasion),
    CONSTRAINT download_links_sealed_pair CHECK ((code_key_id IS NULL) = (code_sealed IS NULL))
);
CREATE INDEX download_links_reference ON download_links (reference);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT, UPDATE ON download_links TO dsar_app;
    END IF;
END
$$;
