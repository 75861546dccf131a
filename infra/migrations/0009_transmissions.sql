-- Portability (Art. 20(2)): the portable data sent straight to another controller, at
-- most once per request. Only the endpoint's host is kept (the path may carry the other
-- controller's account or the person's identifiers), with what was sent: its size and
-- checksum, and the status the receiver answered.
CREATE TABLE portable_transmissions (
    reference      text PRIMARY KEY REFERENCES requests (reference),
    endpoint_host  text NOT NULL,
    status_code    int NOT NULL CHECK (status_code BETWEEN 200 AND 299),
    bytes          bigint NOT NULL CHECK (bytes >= 0),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    sent_at        timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT ON portable_transmissions TO dsar_app;
    END IF;
END
$$;
