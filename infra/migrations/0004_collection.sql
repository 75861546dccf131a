-- Collection at scale and by hand: resumable scans, files, fuzzy matches, manual systems.

-- Where a long scan got to, written in the same transaction as the rows it covers, so a
-- worker killed mid-scan resumes after the last stored row and never stores one twice.
CREATE TABLE collection_checkpoints (
    reference   text NOT NULL REFERENCES requests (reference),
    company     text NOT NULL,
    system      text NOT NULL,
    table_index integer NOT NULL DEFAULT 0,
    last_key    text,
    records     bigint NOT NULL DEFAULT 0,
    bytes       bigint NOT NULL DEFAULT 0,
    categories  text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reference, company, system)
);

-- Exact keys match with confidence 1; a name-plus-postcode match carries its score and
-- stays out of the package until a reviewer confirms it.
ALTER TABLE collected_records ADD COLUMN confidence real NOT NULL DEFAULT 1
    CHECK (confidence > 0 AND confidence <= 1);
ALTER TABLE collected_records ADD COLUMN needs_confirmation boolean NOT NULL DEFAULT false;
ALTER TABLE collected_records ADD COLUMN confirmed_by text;
ALTER TABLE collected_records ADD COLUMN rejected_by text;
-- Files (S3 objects, uploaded exports) live in the case bucket; the row points at them.
ALTER TABLE collected_records ADD COLUMN object_key text;

-- Per-system results say what kind of system it was and, for a system marked not
-- applicable, who decided and why.
ALTER TABLE collection_results ADD COLUMN kind text NOT NULL DEFAULT 'postgres';
ALTER TABLE collection_results ADD COLUMN decided_by text;
ALTER TABLE collection_results ADD COLUMN note text;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON collection_checkpoints TO dsar_app;
    END IF;
END
$$;
