-- The rights other than access: what each system did, what changed, who was told.
--
-- action_results: one row per (request, system, action), the latest outcome; the workflow
-- holds the same facts, this is for the letter, reports and the audit.
CREATE TABLE action_results (
    reference   text NOT NULL REFERENCES requests (reference),
    company     text NOT NULL,
    system      text NOT NULL,
    action      text NOT NULL,
    status      text NOT NULL,
    changed     bigint NOT NULL DEFAULT 0,
    fields      text[] NOT NULL DEFAULT '{}',
    -- [{category, items, legal_basis, until}]: what erasure kept and why (Art. 17(3)).
    kept        jsonb NOT NULL DEFAULT '[]',
    recipients  text[] NOT NULL DEFAULT '{}',
    error       text,
    note        text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reference, company, system, action)
);

-- Rectification's before and after, per row and field (Art. 16, and proof for Art. 5(2)).
-- The values are personal data: sealed with the case store's key ring, like the subject.
CREATE TABLE executed_changes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference     text NOT NULL REFERENCES requests (reference),
    company       text NOT NULL,
    system        text NOT NULL,
    action        text NOT NULL,
    source_table  text NOT NULL,
    source_key    text NOT NULL,
    field         text NOT NULL,
    key_id        text NOT NULL,
    before_sealed bytea,
    after_sealed  bytea,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    -- A retried activity records the same change once.
    CONSTRAINT executed_changes_once UNIQUE (reference, company, system, action, source_table, source_key, field)
);
CREATE INDEX executed_changes_reference ON executed_changes (reference);

-- Art. 19: each recipient told once per request, with the message that told them.
CREATE TABLE recipient_notifications (
    reference    text NOT NULL REFERENCES requests (reference),
    recipient    text NOT NULL,
    actions      text[] NOT NULL,
    message_id   text NOT NULL,
    notified_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reference, recipient)
);

-- The group-wide marketing suppression list (Art. 21(3)): keyed hashes of the person's
-- e-mail address and phone number, so any company can check an address before a mailing
-- without the list itself holding readable contact details.
CREATE TABLE marketing_suppressions (
    lookup_hash  text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('email', 'phone')),
    reference    text NOT NULL REFERENCES requests (reference),
    added_at     timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT, UPDATE ON action_results, recipient_notifications TO dsar_app;
        GRANT SELECT, INSERT ON executed_changes, marketing_suppressions TO dsar_app;
    END IF;
END
$$;
