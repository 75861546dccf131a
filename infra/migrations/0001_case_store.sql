-- The case store: one row per request plus everything collected and produced for it.
-- The workflow is the source of truth for the process; these tables hold the case data
-- and mirror status for reporting.

CREATE SEQUENCE request_number_seq;

CREATE TABLE requests (
    reference          text PRIMARY KEY CHECK (reference ~ '^DSAR-[0-9]{4}-[0-9]{6}$'),
    rights             text[] NOT NULL,
    jurisdiction       text NOT NULL,
    language           text NOT NULL CHECK (language IN ('sv', 'en')),
    channel            text NOT NULL,
    received_on        date NOT NULL,
    due_on             date,
    status             text NOT NULL,
    -- The person's claimed identity, AES-GCM sealed; only keyed hashes are searchable.
    subject_key_id     text NOT NULL,
    subject_ciphertext bytea NOT NULL,
    email_lookup       text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz
);
CREATE INDEX requests_email_lookup ON requests (email_lookup);
CREATE INDEX requests_status ON requests (status, due_on);

-- Records found in the group's systems (claim-check: the workflow only sees counts).
CREATE TABLE collected_records (
    id          bigserial PRIMARY KEY,
    reference   text NOT NULL REFERENCES requests (reference),
    company     text NOT NULL,
    system      text NOT NULL,
    source_table text NOT NULL,
    source_key  text NOT NULL,
    category    text NOT NULL,
    matched_on  text NOT NULL,
    data        jsonb NOT NULL,
    collected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collected_records_by_system ON collected_records (reference, company, system);

CREATE TABLE collection_results (
    reference   text NOT NULL REFERENCES requests (reference),
    company     text NOT NULL,
    system      text NOT NULL,
    status      text NOT NULL,
    records     bigint NOT NULL DEFAULT 0,
    bytes       bigint NOT NULL DEFAULT 0,
    categories  text[] NOT NULL DEFAULT '{}',
    error       text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reference, company, system)
);

-- Files produced for a request (response packages); S3 keys are built from ids only.
CREATE TABLE artefacts (
    id          uuid PRIMARY KEY,
    reference   text NOT NULL REFERENCES requests (reference),
    kind        text NOT NULL,
    bucket      text NOT NULL,
    s3_key      text NOT NULL,
    sha256      text NOT NULL,
    bytes       bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (reference, kind)
);

-- Every message sent about a request; the unique key makes sending idempotent.
CREATE TABLE notifications (
    id          uuid PRIMARY KEY,
    reference   text NOT NULL REFERENCES requests (reference),
    kind        text NOT NULL,
    channel     text NOT NULL DEFAULT 'email',
    message_id  text NOT NULL,
    status      text NOT NULL CHECK (status IN ('sending', 'sent')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    UNIQUE (reference, kind)
);

-- Append-only, hash-chained audit trail: each row's hash covers the previous row's hash,
-- so an edited or removed row breaks the chain.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    reference   text,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}',
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    -- Activities retry; a step is recorded once however often it runs.
    idempotency_key text UNIQUE
);
CREATE INDEX audit_log_reference ON audit_log (reference, seq);

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
