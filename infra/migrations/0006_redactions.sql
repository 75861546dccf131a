-- Review and redaction (Art. 15(4)): what is removed from the copy and why, and the
-- reviewer's decisions. Never the removed value: a finding names its record, the JSON
-- path of the field, the character span and the kind.

-- Names each company knows (its customer tables' name columns), as keyed fingerprints
-- (HMAC with the codec ring's lookup key), written by that company's own worker. The
-- control worker looks up the capitalised phrases of the collected records here, so no
-- company's customer list is copied anywhere in clear. One set per request and company,
-- replaced whenever the company is collected again.
CREATE TABLE known_name_fingerprints (
    reference   text NOT NULL REFERENCES requests (reference),
    company     text NOT NULL,
    -- 'full' for a whole name, 'given' for its first word.
    kind        text NOT NULL CHECK (kind IN ('full', 'given')),
    fingerprint text NOT NULL,
    PRIMARY KEY (reference, kind, fingerprint, company)
);

-- One row per span removed from a record: found by the detector (source 'auto') or
-- chosen by a reviewer (source 'manual'). A reviewer may keep an automatic finding
-- (kept_by); it then stays in the text and out of the redaction log.
CREATE TABLE redactions (
    id            bigserial PRIMARY KEY,
    reference     text NOT NULL REFERENCES requests (reference),
    record_id     bigint NOT NULL REFERENCES collected_records (id) ON DELETE CASCADE,
    finding_id    text NOT NULL,
    source        text NOT NULL CHECK (source IN ('auto', 'manual')),
    kind          text NOT NULL,
    path          text NOT NULL,
    span_start    integer NOT NULL CHECK (span_start >= 0),
    span_end      integer NOT NULL CHECK (span_end > span_start),
    reason        text NOT NULL,
    fingerprint   text,
    decided_by    text,
    kept_by       text,
    kept_reason   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT redactions_once UNIQUE (record_id, finding_id)
);
CREATE INDEX redactions_by_reference ON redactions (reference);

-- A reviewer leaves a whole record out of the package (legal privilege, a trade secret,
-- another person's rights); the package counts such records by reason, never shows them.
ALTER TABLE collected_records ADD COLUMN excluded_by text;
ALTER TABLE collected_records ADD COLUMN exclusion_reason text;
ALTER TABLE collected_records ADD COLUMN exclusion_note text;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON known_name_fingerprints, redactions TO dsar_app;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dsar_app;
    END IF;
END
$$;
