-- Identity verification by one-time code: one row per code e-mailed to the person (the
-- first, and each new code the privacy team asks for). Like download_links, the code is
-- kept only as an scrypt hash, plus a sealed copy that lives only until its e-mail is
-- confirmed sent, so a retried send mails the same code rather than a second one.
-- verified_at is set by whoever checked the code (the CLI or the verification page);
-- forwarded_at once the request's workflow has been told (see workers/identity_relay.py).
CREATE TABLE identity_challenges (
    id            uuid PRIMARY KEY,
    reference     text NOT NULL REFERENCES requests (reference),
    -- '1' for the first code, then '2', '3', ... for each new code; one code per occasion.
    occasion      text NOT NULL,
    code_hash     text NOT NULL,
    code_key_id   text,
    code_sealed   bytea,
    expires_at    timestamptz NOT NULL,
    max_attempts  int NOT NULL,
    attempts      int NOT NULL DEFAULT 0,
    locked_at     timestamptz,
    -- Set when a newer code replaces this one.
    revoked_at    timestamptz,
    verified_at   timestamptz,
    -- 'cli' or 'page': where the right code was entered.
    verified_via  text,
    forwarded_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT identity_challenges_once UNIQUE (reference, occasion),
    CONSTRAINT identity_challenges_sealed_pair CHECK ((code_key_id IS NULL) = (code_sealed IS NULL))
);
CREATE INDEX identity_challenges_reference ON identity_challenges (reference);
-- The relay's sweep: codes entered whose workflow has not been told yet.
CREATE INDEX identity_challenges_unforwarded ON identity_challenges (verified_at)
    WHERE verified_at IS NOT NULL AND forwarded_at IS NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT, UPDATE ON identity_challenges TO dsar_app;
    END IF;
END
$$;
