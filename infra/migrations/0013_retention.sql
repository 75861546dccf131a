-- Retention of the case store's own copies (docs/retention.md).
--
-- A closed request's copies (collected records, uploads, bulk CSV parts, copied files, the
-- package) are removed a set time after closure; its accountability record (reference,
-- rights, dates, decisions, counts, the audit trail) stays longer, then its identifying
-- fields are pseudonymised and the rest kept as statistics. Each stage is stamped here, so
-- a purge run that stops half-way resumes with the cases not yet stamped.
ALTER TABLE requests ADD COLUMN copies_purged_at timestamptz;
ALTER TABLE requests ADD COLUMN pseudonymised_at timestamptz;
CREATE INDEX requests_retention ON requests (closed_at)
    WHERE closed_at IS NOT NULL AND pseudonymised_at IS NULL;

-- A complaint, a claim or a legal hold recorded on a case keeps everything it holds until
-- released. At most one hold is open per case; released holds stay as the record of it.
CREATE TABLE case_holds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference    text NOT NULL REFERENCES requests (reference),
    kind         text NOT NULL CHECK (kind IN ('complaint', 'claim', 'legal-hold')),
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    placed_by    text NOT NULL,
    placed_at    timestamptz NOT NULL DEFAULT now(),
    released_by  text,
    released_at  timestamptz,
    CONSTRAINT case_holds_released_pair CHECK ((released_by IS NULL) = (released_at IS NULL))
);
CREATE UNIQUE INDEX case_holds_one_open ON case_holds (reference) WHERE released_at IS NULL;

-- An erasure request covers the person's earlier closed cases (Art. 17): which earlier
-- case each erasure reduced, or left whole because a hold kept it. The erasure case holds
-- the person's identity for its own accountability period, so the link survives the
-- earlier case's pseudonymisation.
CREATE TABLE earlier_case_erasures (
    erasure_reference  text NOT NULL REFERENCES requests (reference),
    earlier_reference  text NOT NULL REFERENCES requests (reference),
    outcome            text NOT NULL CHECK (outcome IN ('reduced', 'held')),
    decided_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (erasure_reference, earlier_reference)
);

-- Roles: the application role (0002) purges copies and pseudonymises. Per-component
-- roles, where a deployment has them, need the same on these objects for the control
-- worker and the CLI (holds), and UPDATE on requests' retention columns.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT, UPDATE ON case_holds, earlier_case_erasures TO dsar_app;
        -- Rectification's sealed before/after values are cleared when a record is reduced.
        GRANT UPDATE (before_sealed, after_sealed) ON executed_changes TO dsar_app;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dsar_app;
    END IF;
END
$$;
