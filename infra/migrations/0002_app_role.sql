-- The application role: what workers and the CLI may do, and no way to rewrite the audit
-- trail. Deployments create a login user IN ROLE dsar_app for the application and run
-- migrations as the schema owner (DSAR_MIGRATION_DATABASE_URL).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
            CREATE ROLE dsar_app NOLOGIN;
        ELSE
            RAISE NOTICE 'role dsar_app is missing and cannot be created here; create it and migrate again';
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dsar_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON requests, collected_records, collection_results, artefacts, notifications TO dsar_app;
        GRANT SELECT, INSERT ON audit_log TO dsar_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM dsar_app;
        GRANT SELECT ON schema_migrations TO dsar_app;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dsar_app;
    END IF;
END
$$;
