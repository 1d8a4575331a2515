-- The export centre (issue 16, item 2): a clinic administrator asks for
-- some of the clinic's data as CSV or JSON; the `export.build` job writes
-- it, acting as that administrator (row-level security decides what is
-- theirs), in chunks with a manifest; the files can be downloaded until
-- they expire, and then only the record of the export remains.

CREATE TABLE data_exports (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    requested_by    uuid NOT NULL REFERENCES users (id),
    -- The sign-in that asked: the job acts as it (and as no one else).
    login_id        uuid NOT NULL,
    datasets        text[] NOT NULL CHECK (
        cardinality(datasets) BETWEEN 1 AND 8
        AND datasets <@ ARRAY['patients', 'referrals', 'visits', 'visit_logs',
                              'intake_submissions', 'invoices', 'ledger', 'audit']::text[]),
    format          text NOT NULL CHECK (format IN ('csv', 'json')),
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'ready', 'failed', 'expired')),
    rows_total      bigint CHECK (rows_total >= 0),
    rows_done       bigint NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    -- What was written: one entry per file (name, dataset, rows, bytes,
    -- SHA-256); its own SHA-256 is what the audit event records.
    manifest        jsonb CHECK (manifest IS NULL OR jsonb_typeof(manifest) = 'object'),
    manifest_sha256 bytea CHECK (length(manifest_sha256) = 32),
    error           text CHECK (char_length(error) <= 300),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    expires_at      timestamptz,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT data_exports_ready_is_complete CHECK (
        state <> 'ready' OR (manifest IS NOT NULL AND manifest_sha256 IS NOT NULL
                             AND expires_at IS NOT NULL AND finished_at IS NOT NULL))
);
CREATE INDEX data_exports_recent ON data_exports (organization_id, requested_at DESC);
CREATE INDEX data_exports_expiring ON data_exports (expires_at) WHERE state = 'ready';

-- The files, in order, a quarter of a megabyte at a time: written as the
-- job reads (nothing holds a whole table) and read back the same way.
CREATE TABLE data_export_chunks (
    organization_id uuid NOT NULL,
    export_id       uuid NOT NULL,
    file            text NOT NULL CHECK (file ~ '^[a-z_]{1,40}\.(csv|json)$'),
    seq             integer NOT NULL CHECK (seq >= 0),
    bytes           bytea NOT NULL CHECK (length(bytes) BETWEEN 1 AND 1048576),
    PRIMARY KEY (organization_id, export_id, file, seq),
    FOREIGN KEY (organization_id, export_id) REFERENCES data_exports (organization_id, id)
);

ALTER TABLE data_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_exports FORCE ROW LEVEL SECURITY;
CREATE POLICY data_exports_tenant_guard ON data_exports AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY data_exports_admin_read ON data_exports FOR SELECT TO carethread_app
    USING (app_role() = 'clinic_admin');
-- The sign-in named is the requester's own: the job acts as it.
CREATE POLICY data_exports_request ON data_exports FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinic_admin' AND requested_by = app_user_id()
                AND state = 'queued' AND rows_done = 0 AND manifest IS NULL
                AND EXISTS (SELECT 1 FROM user_sessions s
                            WHERE s.id = login_id AND s.user_id = app_user_id()
                              AND s.ended_at IS NULL));
-- Finishing is the requester's own (the job acts as them): a day to
-- download, no more.
CREATE POLICY data_exports_finish ON data_exports FOR UPDATE TO carethread_app
    USING (app_role() = 'clinic_admin' AND requested_by = app_user_id()
           AND state IN ('queued', 'running'))
    WITH CHECK (state IN ('running', 'ready', 'failed')
                AND (expires_at IS NULL OR expires_at <= now() + interval '1 day'));
GRANT SELECT, INSERT ON data_exports TO carethread_app;
GRANT UPDATE (state, rows_total, rows_done, manifest, manifest_sha256, finished_at, expires_at)
    ON data_exports TO carethread_app;

-- The worker reports progress, records a failure, and expires old files.
CREATE POLICY data_exports_worker ON data_exports FOR ALL TO carethread_worker
    USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE (state, rows_total, rows_done, error, finished_at) ON data_exports
    TO carethread_worker;

ALTER TABLE data_export_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_export_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY data_export_chunks_tenant_guard ON data_export_chunks AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY data_export_chunks_admin_read ON data_export_chunks FOR SELECT TO carethread_app
    USING (app_role() = 'clinic_admin' AND EXISTS (
        SELECT 1 FROM data_exports e
        WHERE e.organization_id = data_export_chunks.organization_id
          AND e.id = data_export_chunks.export_id
          AND e.state = 'ready' AND e.expires_at > now()));
CREATE POLICY data_export_chunks_write ON data_export_chunks FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinic_admin' AND EXISTS (
        SELECT 1 FROM data_exports e
        WHERE e.organization_id = data_export_chunks.organization_id
          AND e.id = data_export_chunks.export_id
          AND e.requested_by = app_user_id() AND e.state = 'running'));
GRANT SELECT, INSERT ON data_export_chunks TO carethread_app;
CREATE POLICY data_export_chunks_expire ON data_export_chunks FOR ALL TO carethread_worker
    USING (true);
GRANT SELECT, DELETE ON data_export_chunks TO carethread_worker;

-- Each request files its job.
CREATE FUNCTION jobs_file_export() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO jobs (kind, payload)
    VALUES ('export.build',
            jsonb_build_object('organization_id', NEW.organization_id, 'export_id', NEW.id));
    RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION jobs_file_export() FROM PUBLIC;
CREATE TRIGGER data_exports_job AFTER INSERT ON data_exports
    FOR EACH ROW EXECUTE FUNCTION jobs_file_export();

-- An erasure carried out takes every export's files with it: a file
-- written before the request must not outlive the patient it names.
CREATE FUNCTION data_exports_expire_on_erasure() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    DELETE FROM data_export_chunks WHERE organization_id = NEW.organization_id;
    UPDATE data_exports SET state = 'expired', expires_at = least(expires_at, now())
        WHERE organization_id = NEW.organization_id AND state IN ('ready', 'queued', 'running');
    RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION data_exports_expire_on_erasure() FROM PUBLIC;
-- The function above runs as the owner, which row-level security holds
-- too: these are its doors (and only it runs as the owner here).
CREATE POLICY data_exports_by_erasure ON data_exports FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);
CREATE POLICY data_export_chunks_by_erasure ON data_export_chunks FOR ALL TO carethread_owner
    USING (true);
CREATE TRIGGER deletion_requests_expire_exports AFTER UPDATE OF state ON deletion_requests
    FOR EACH ROW WHEN (NEW.state = 'completed' AND OLD.state <> 'completed')
    EXECUTE FUNCTION data_exports_expire_on_erasure();
