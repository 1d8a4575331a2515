-- Retention, legal holds and the right to delete (issue 16, items 3 and 4).
--
-- Data categories carry a default retention and a legal minimum; a clinic
-- may keep data longer than the minimum, never shorter. A scheduled purge
-- (`data_retention_purge`, the `retention.purge` job) removes what is past
-- its clinic's retention; a deletion request (`data_erase`, the
-- `data.erase` job filed for 30 days after the request, or run at once by
-- the clinic's administrator) removes everything about one patient (or
-- every patient of a clinic) that the law allows removing now, and says
-- in a certificate what it removed and what it had to keep, until when.
-- A patient under a legal hold is never purged or erased. Every purge
-- leaves a tombstone in the clinic's audit chain; audit events themselves
-- are never purged by the application (the chain must keep verifying).

CREATE TABLE retention_categories (
    key            text PRIMARY KEY CHECK (key ~ '^[a-z_]{1,40}$'),
    label          text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 80),
    -- What the category holds.
    holds          text NOT NULL CHECK (char_length(holds) BETWEEN 1 AND 400),
    default_days   integer NOT NULL CHECK (default_days > 0),
    legal_min_days integer NOT NULL CHECK (legal_min_days >= 0),
    -- Why the minimum is what it is.
    legal_basis    text NOT NULL CHECK (char_length(legal_basis) BETWEEN 1 AND 300),
    -- Whether the scheduled purge and erasure remove it (audit events: no).
    purged         boolean NOT NULL,
    sort_order     integer NOT NULL,
    CHECK (default_days >= legal_min_days)
);

INSERT INTO retention_categories
    (key, label, holds, default_days, legal_min_days, legal_basis, purged, sort_order) VALUES
('clinic_operational', 'Clinic operational data',
 'Patient records (demographics), visits and their EVV times and locations.',
 2557, 2192, 'HIPAA documentation retention (45 CFR 164.316(b)(2)): six years; EVV records as long.', true, 1),
('patient_communication', 'Patient communication',
 'Intake links, the addresses they were mailed to and unfinished drafts.',
 365, 0, 'No minimum: kept only as long as useful.', true, 2),
('clinical_documents', 'Clinical documents',
 'Signed intake forms and e-signatures.',
 2557, 2192, 'HIPAA documentation retention: six years from creation.', true, 3),
('visit_notes', 'Visit notes',
 'Signed visit logs and their addenda.',
 2557, 2192, 'HIPAA documentation retention: six years; many states ask seven or more.', true, 4),
('audit_security', 'Audit and security events',
 'The hash-chained audit log: who did what, when, from where (ids, no health details).',
 2557, 2192, 'HIPAA audit controls (45 CFR 164.312(b)) and documentation retention: six years.', false, 5),
('account_telemetry', 'Account and telemetry',
 'Sign-in attempts with address and browser, health probes.',
 365, 90, 'Security review needs at least 90 days of sign-in history.', true, 6);

ALTER TABLE retention_categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_categories FORCE ROW LEVEL SECURITY;
CREATE POLICY retention_categories_public_read ON retention_categories FOR SELECT
    TO carethread_app, carethread_worker, carethread_owner USING (true);
GRANT SELECT ON retention_categories TO carethread_app, carethread_worker;

-- A clinic's own retention per category (absent: the default).
CREATE TABLE clinic_retention (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    category        text NOT NULL REFERENCES retention_categories (key),
    days            integer NOT NULL CHECK (days BETWEEN 1 AND 36500),
    updated_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, category)
);

-- Never below the legal minimum, whoever writes.
CREATE FUNCTION clinic_retention_minimum() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.days < (SELECT legal_min_days FROM retention_categories WHERE key = NEW.category) THEN
        RAISE EXCEPTION 'retention below the legal minimum'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'clinic_retention_legal_minimum';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER clinic_retention_minimum BEFORE INSERT OR UPDATE ON clinic_retention
    FOR EACH ROW EXECUTE FUNCTION clinic_retention_minimum();

ALTER TABLE clinic_retention ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic_retention FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_retention_tenant_guard ON clinic_retention AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY clinic_retention_admin ON clinic_retention FOR ALL TO carethread_app
    USING (app_role() = 'clinic_admin')
    WITH CHECK (app_role() = 'clinic_admin' AND updated_by IS NOT DISTINCT FROM app_user_id());
GRANT SELECT, INSERT ON clinic_retention TO carethread_app;
GRANT UPDATE (days, updated_by) ON clinic_retention TO carethread_app;

-- A legal hold keeps everything about one patient until it is released.
CREATE TABLE legal_holds (
    organization_id uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    patient_id      uuid NOT NULL,
    reason          text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    placed_by       uuid NOT NULL REFERENCES users (id),
    placed_at       timestamptz NOT NULL DEFAULT now(),
    released_by     uuid REFERENCES users (id),
    released_at     timestamptz,
    PRIMARY KEY (organization_id, id),
    -- Only released holds can outlive their patient (an open hold blocks
    -- erasure); the chain keeps `legal_hold.placed` and `.released`.
    FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id)
        ON DELETE CASCADE,
    CHECK ((released_by IS NULL) = (released_at IS NULL))
);
CREATE UNIQUE INDEX legal_holds_one_active ON legal_holds (organization_id, patient_id)
    WHERE released_at IS NULL;

ALTER TABLE legal_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE legal_holds FORCE ROW LEVEL SECURITY;
CREATE POLICY legal_holds_tenant_guard ON legal_holds AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY legal_holds_read ON legal_holds FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff'));
CREATE POLICY legal_holds_place ON legal_holds FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinic_admin' AND placed_by = app_user_id()
                AND released_at IS NULL);
CREATE POLICY legal_holds_release ON legal_holds FOR UPDATE TO carethread_app
    USING (app_role() = 'clinic_admin' AND released_at IS NULL)
    WITH CHECK (app_role() = 'clinic_admin' AND released_by = app_user_id());
GRANT SELECT, INSERT ON legal_holds TO carethread_app;
GRANT UPDATE (released_by, released_at) ON legal_holds TO carethread_app;

-- A request to delete one patient's data, or a whole clinic's.
CREATE TABLE deletion_requests (
    organization_id    uuid NOT NULL REFERENCES organizations (id),
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    scope              text NOT NULL CHECK (scope IN ('patient', 'clinic')),
    -- Kept after erasure as a bare id: the certificate names it.
    patient_id         uuid,
    reason             text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    requested_by       uuid NOT NULL REFERENCES users (id),
    requested_at       timestamptz NOT NULL DEFAULT now(),
    -- Carried out by then at the latest (the job runs at this time).
    due_at             timestamptz NOT NULL DEFAULT now() + interval '30 days',
    state              text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'completed', 'blocked')),
    completed_at       timestamptz,
    -- The certificate of destruction, exactly as served, and its SHA-256.
    certificate        text,
    certificate_sha256 bytea CHECK (length(certificate_sha256) = 32),
    PRIMARY KEY (organization_id, id),
    CHECK ((scope = 'patient') = (patient_id IS NOT NULL)),
    CHECK ((state = 'completed') = (certificate IS NOT NULL AND certificate_sha256 IS NOT NULL
                                    AND completed_at IS NOT NULL))
);
CREATE UNIQUE INDEX deletion_requests_one_pending ON deletion_requests
    (organization_id, coalesce(patient_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE state = 'pending';

ALTER TABLE deletion_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE deletion_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY deletion_requests_tenant_guard ON deletion_requests AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY deletion_requests_admin_read ON deletion_requests FOR SELECT TO carethread_app
    USING (app_role() = 'clinic_admin');
CREATE POLICY deletion_requests_file ON deletion_requests FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinic_admin' AND requested_by = app_user_id()
                AND state = 'pending' AND due_at <= now() + interval '30 days'
                AND (patient_id IS NULL OR EXISTS (
                    SELECT 1 FROM patients p WHERE p.organization_id = deletion_requests.organization_id
                                              AND p.id = deletion_requests.patient_id)));
GRANT SELECT, INSERT ON deletion_requests TO carethread_app;
-- The functions below (as the owner) carry requests out.
CREATE POLICY deletion_requests_by_function ON deletion_requests FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);

-- The job that carries a request out when it falls due.
CREATE FUNCTION jobs_file_erasure() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO jobs (kind, payload, run_at)
    VALUES ('data.erase',
            jsonb_build_object('organization_id', NEW.organization_id, 'request_id', NEW.id),
            NEW.due_at);
    RETURN NULL;
END $$;
CREATE TRIGGER deletion_requests_job AFTER INSERT ON deletion_requests
    FOR EACH ROW EXECUTE FUNCTION jobs_file_erasure();

-- The locked records give way to erasure alone: `data_purge_rows` sets
-- `carethread.erasure` while it runs (and clears it before returning), the
-- triggers honour it for the owner only, and only the owner may delete
-- these rows at all (the application and worker roles hold no DELETE).
CREATE OR REPLACE FUNCTION visit_logs_locked() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('carethread.erasure', true) = 'on' AND current_user = 'carethread_owner' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'a signed visit log is never deleted'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_logs_locked';
    END IF;
    IF (NEW.organization_id, NEW.visit_id, NEW.key_id, NEW.sealed, NEW.sha256, NEW.signed_by,
        NEW.signed_at, NEW.sync_key)
       IS DISTINCT FROM
       (OLD.organization_id, OLD.visit_id, OLD.key_id, OLD.sealed, OLD.sha256, OLD.signed_by,
        OLD.signed_at, OLD.sync_key)
       OR (OLD.countersigned_at IS NOT NULL
           AND (NEW.countersigned_by, NEW.countersigned_at)
               IS DISTINCT FROM (OLD.countersigned_by, OLD.countersigned_at)) THEN
        RAISE EXCEPTION 'a signed visit log is locked; add an addendum'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_logs_locked';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION visit_log_addenda_chain() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    last_seq integer;
    last_hash bytea;
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('carethread.erasure', true) = 'on'
       AND current_user = 'carethread_owner' THEN
        RETURN OLD;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'an addendum is never changed or removed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_log_addenda_chain';
    END IF;
    -- One writer per log at a time (the log row's lock).
    PERFORM 1 FROM visit_logs l
        WHERE l.organization_id = NEW.organization_id AND l.visit_id = NEW.visit_id FOR UPDATE;
    SELECT a.seq, a.sha256 INTO last_seq, last_hash FROM visit_log_addenda a
        WHERE a.organization_id = NEW.organization_id AND a.visit_id = NEW.visit_id
        ORDER BY a.seq DESC LIMIT 1;
    IF last_seq IS NULL THEN
        SELECT 0, l.sha256 INTO last_seq, last_hash FROM visit_logs l
            WHERE l.organization_id = NEW.organization_id AND l.visit_id = NEW.visit_id;
    END IF;
    IF NEW.seq <> last_seq + 1 OR NEW.prev_sha256 IS DISTINCT FROM last_hash THEN
        RAISE EXCEPTION 'an addendum follows the last hash of its log'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_log_addenda_chain';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION intake_submissions_frozen() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('carethread.erasure', true) = 'on'
       AND current_user = 'carethread_owner' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'DELETE'
       OR (NEW.organization_id, NEW.id, NEW.link_id, NEW.form_id, NEW.version, NEW.form_sha256,
           NEW.patient_id, NEW.key_id, NEW.sealed, NEW.sha256, NEW.signature_kind,
           NEW.consent_sha256, NEW.ip, NEW.user_agent, NEW.submitted_at)
          IS DISTINCT FROM
          (OLD.organization_id, OLD.id, OLD.link_id, OLD.form_id, OLD.version, OLD.form_sha256,
           OLD.patient_id, OLD.key_id, OLD.sealed, OLD.sha256, OLD.signature_kind,
           OLD.consent_sha256, OLD.ip, OLD.user_agent, OLD.submitted_at)
       OR OLD.reviewed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a signed intake submission is never changed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'intake_submissions_frozen';
    END IF;
    IF NEW.reviewed_at IS NOT NULL THEN
        NEW.reviewed_at := now();
    END IF;
    RETURN NEW;
END $$;

-- A referral's link to its patient is undone by erasure alone (the rest of
-- the function as in 20261130000410_patients_visits.sql).
CREATE OR REPLACE FUNCTION referrals_check_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    role member_role := app_role();
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'received' THEN
            RAISE EXCEPTION 'a referral starts as received, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
        END IF;
        IF NEW.patient_id IS NOT NULL THEN
            RAISE EXCEPTION 'a referral is linked to a patient by the clinic that accepts it'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.organization_id <> OLD.organization_id OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'a referral cannot move to another organization'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT 1 FROM referral_transitions t
                       WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
            RAISE EXCEPTION 'a referral cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
        END IF;
        IF role = 'referrer' AND NEW.status NOT IN ('matched', 'cancelled') THEN
            RAISE EXCEPTION 'the referring side cannot mark a referral %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF role IN ('clinic_admin', 'clinic_staff') AND NEW.status IN ('matched', 'cancelled') THEN
            RAISE EXCEPTION 'the clinic cannot mark a referral %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF role = 'clinician' AND NEW.status <> 'first_visit_done' THEN
            RAISE EXCEPTION 'a clinician cannot mark a referral %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- Scheduled means a visit exists; first visit done means a signed
        -- log of one (fixtures without a role are trusted).
        IF role IS NOT NULL AND NEW.status = 'scheduled' AND NOT EXISTS (
            SELECT 1 FROM visits v WHERE v.organization_id = NEW.clinic_id AND v.referral_id = NEW.id) THEN
            RAISE EXCEPTION 'a referral is scheduled by scheduling a visit'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
        END IF;
        IF role IS NOT NULL AND NEW.status = 'first_visit_done' AND NOT EXISTS (
            SELECT 1 FROM visits v JOIN visit_logs l
                ON l.organization_id = v.organization_id AND l.visit_id = v.id
            WHERE v.organization_id = NEW.clinic_id AND v.referral_id = NEW.id) THEN
            RAISE EXCEPTION 'a first visit is done when its log is signed'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
        END IF;
        NEW.updated_at := now();
    END IF;
    IF role = 'clinician'
       AND (NEW.decline_reason, NEW.status_note, NEW.assigned_clinician_id, NEW.patient_id)
           IS DISTINCT FROM (OLD.decline_reason, OLD.status_note, OLD.assigned_clinician_id, OLD.patient_id) THEN
        RAISE EXCEPTION 'a clinician only records the first visit'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF role IN ('clinic_admin', 'clinic_staff', 'clinician') AND NEW.clinic_id IS DISTINCT FROM OLD.clinic_id THEN
        RAISE EXCEPTION 'a clinic cannot re-route a referral'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF role IN ('referrer', 'clinician') AND NEW.assigned_clinician_id IS DISTINCT FROM OLD.assigned_clinician_id THEN
        RAISE EXCEPTION 'only the clinic assigns a clinician'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Erasure (`data_erase`, as the owner) unlinks a patient it removes.
    IF NEW.patient_id IS NULL AND OLD.patient_id IS NOT NULL
       AND current_setting('carethread.erasure', true) = 'on' AND current_user = 'carethread_owner' THEN
        RETURN NEW;
    END IF;
    IF NEW.patient_id IS DISTINCT FROM OLD.patient_id
       AND (role NOT IN ('clinic_admin', 'clinic_staff') OR OLD.patient_id IS NOT NULL) THEN
        RAISE EXCEPTION 'the accepting clinic links a referral to its patient, once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

-- What the purge and erasure functions (the owner) may touch: read and
-- delete, and unlink a referral from its patient; nothing else.
CREATE POLICY patients_by_purge ON patients FOR SELECT TO carethread_owner USING (true);
CREATE POLICY patients_by_purge_delete ON patients FOR DELETE TO carethread_owner USING (true);
CREATE POLICY visits_by_purge ON visits FOR SELECT TO carethread_owner USING (true);
CREATE POLICY visits_by_purge_delete ON visits FOR DELETE TO carethread_owner USING (true);
CREATE POLICY visit_logs_by_purge ON visit_logs FOR SELECT TO carethread_owner USING (true);
CREATE POLICY visit_logs_by_purge_delete ON visit_logs FOR DELETE TO carethread_owner USING (true);
CREATE POLICY visit_log_addenda_by_purge ON visit_log_addenda FOR SELECT TO carethread_owner
    USING (true);
CREATE POLICY visit_log_addenda_by_purge_delete ON visit_log_addenda FOR DELETE
    TO carethread_owner USING (true);
CREATE POLICY intake_submissions_by_purge ON intake_submissions FOR DELETE TO carethread_owner
    USING (true);
CREATE POLICY intake_links_by_purge ON intake_links FOR DELETE TO carethread_owner USING (true);
CREATE POLICY referrals_by_purge ON referrals FOR SELECT TO carethread_owner USING (true);
CREATE POLICY referrals_by_purge_unlink ON referrals FOR UPDATE TO carethread_owner
    USING (true) WITH CHECK (patient_id IS NULL);
CREATE POLICY visit_payments_by_purge ON visit_payments FOR SELECT TO carethread_owner USING (true);
CREATE POLICY clinician_busy_times_by_purge ON clinician_busy_times FOR SELECT
    TO carethread_owner USING (true);
CREATE POLICY clinician_busy_times_by_purge_delete ON clinician_busy_times FOR DELETE
    TO carethread_owner USING (true);
CREATE POLICY legal_holds_by_purge ON legal_holds FOR SELECT TO carethread_owner USING (true);
CREATE POLICY clinic_retention_by_purge ON clinic_retention FOR SELECT TO carethread_owner
    USING (true);
CREATE POLICY login_attempts_by_purge ON login_attempts FOR SELECT TO carethread_owner USING (true);
CREATE POLICY login_attempts_by_purge_delete ON login_attempts FOR DELETE TO carethread_owner
    USING (true);
CREATE POLICY organizations_by_purge ON organizations FOR SELECT TO carethread_owner USING (true);
-- The tombstones: purges and erasures, in the clinic's chain.
CREATE POLICY audit_events_data_rights ON audit_events FOR INSERT TO carethread_owner
    WITH CHECK (action IN ('data.purged', 'data.erased', 'data.erasure_blocked')
                AND actor_type IN ('anonymous', 'user'));

-- Removes one patient's rows (`p_patient`), or every patient's without a
-- hold (NULL), that are older than each category's cutoff in `p_cutoffs`
-- ({category: timestamptz}); a category missing from it is not touched.
-- Answers, per category, what was removed and (for one patient) what was
-- kept and until when.
CREATE FUNCTION data_purge_rows(p_org uuid, p_patient uuid, p_cutoffs jsonb, p_keep_days jsonb,
                                p_erase boolean)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    cut timestamptz;
    n bigint;
    kept bigint;
    until timestamptz;
    result jsonb := '{}'::jsonb;
    -- The patients in scope, without a hold (arrays, not temporary tables:
    -- a temporary table's name could be planted by the caller).
    ids uuid[];
    links uuid[];
    gone_patients bigint := 0;
BEGIN
    -- For this transaction's owner only (the triggers check), and switched
    -- off again before returning.
    PERFORM set_config('carethread.erasure', 'on', true);
    SELECT coalesce(array_agg(p.id), '{}') INTO ids FROM patients p
    WHERE p.organization_id = p_org AND (p_patient IS NULL OR p.id = p_patient)
      AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.organization_id = p_org
                      AND h.patient_id = p.id AND h.released_at IS NULL);

    -- Visit notes: signed logs and their addenda.
    cut := (p_cutoffs->>'visit_notes')::timestamptz;
    IF cut IS NOT NULL THEN
        WITH gone AS (
            DELETE FROM visit_log_addenda a USING visits v
            WHERE a.organization_id = p_org AND v.organization_id = p_org AND v.id = a.visit_id
              AND v.patient_id = ANY (ids)
              AND EXISTS (SELECT 1 FROM visit_logs l WHERE l.organization_id = p_org
                          AND l.visit_id = a.visit_id AND l.signed_at < cut)
            RETURNING 1)
        SELECT count(*) INTO n FROM gone;
        WITH gone AS (
            DELETE FROM visit_logs l USING visits v
            WHERE l.organization_id = p_org AND v.organization_id = p_org AND v.id = l.visit_id
              AND v.patient_id = ANY (ids) AND l.signed_at < cut
            RETURNING 1)
        SELECT n + count(*) INTO n FROM gone;
        SELECT count(*), max(l.signed_at) INTO kept, until FROM visit_logs l JOIN visits v
            ON v.organization_id = l.organization_id AND v.id = l.visit_id
            WHERE l.organization_id = p_org AND v.patient_id = ANY (ids);
        result := result || jsonb_build_object('visit_notes', jsonb_build_object(
            'removed', n, 'kept', kept,
            'kept_until', (until + make_interval(days => (p_keep_days->>'visit_notes')::int))::date));
    END IF;

    -- Clinical documents: signed intake forms (their links go with them).
    cut := (p_cutoffs->>'clinical_documents')::timestamptz;
    IF cut IS NOT NULL THEN
        WITH gone AS (
            DELETE FROM intake_submissions s
            WHERE s.organization_id = p_org AND s.patient_id = ANY (ids)
              AND s.submitted_at < cut
            RETURNING s.link_id)
        SELECT count(*), coalesce(array_agg(link_id), '{}') INTO n, links FROM gone;
        DELETE FROM intake_links l WHERE l.organization_id = p_org AND l.id = ANY (links);
        SELECT count(*), max(s.submitted_at) INTO kept, until FROM intake_submissions s
            WHERE s.organization_id = p_org AND s.patient_id = ANY (ids);
        result := result || jsonb_build_object('clinical_documents', jsonb_build_object(
            'removed', n, 'kept', kept,
            'kept_until', (until + make_interval(days => (p_keep_days->>'clinical_documents')::int))::date));
    END IF;

    -- Patient communication: links never signed, with their sealed
    -- address and draft.
    cut := (p_cutoffs->>'patient_communication')::timestamptz;
    IF cut IS NOT NULL THEN
        WITH gone AS (
            DELETE FROM intake_links l
            WHERE l.organization_id = p_org AND l.patient_id = ANY (ids)
              AND l.created_at < cut
              AND NOT EXISTS (SELECT 1 FROM intake_submissions s
                              WHERE s.organization_id = p_org AND s.link_id = l.id)
            RETURNING 1)
        SELECT count(*) INTO n FROM gone;
        SELECT count(*) INTO kept FROM intake_links l
            WHERE l.organization_id = p_org AND l.patient_id = ANY (ids)
              AND NOT EXISTS (SELECT 1 FROM intake_submissions s
                              WHERE s.organization_id = p_org AND s.link_id = l.id);
        result := result || jsonb_build_object('patient_communication', jsonb_build_object(
            'removed', n, 'kept', kept, 'kept_until', NULL));
    END IF;

    -- Clinic operational data: visits with nothing left that needs them
    -- (no log, no payment: money records are the ledger's to keep), then
    -- the patient's own record once nothing refers to it.
    cut := (p_cutoffs->>'clinic_operational')::timestamptz;
    IF cut IS NOT NULL THEN
        DELETE FROM clinician_busy_times b USING visits v
            WHERE b.organization_id = p_org AND v.organization_id = p_org AND v.id = b.visit_id
              AND v.patient_id = ANY (ids) AND v.ends_at < cut
              AND NOT EXISTS (SELECT 1 FROM visit_logs l WHERE l.organization_id = p_org AND l.visit_id = v.id)
              AND NOT EXISTS (SELECT 1 FROM visit_payments x WHERE x.organization_id = p_org AND x.visit_id = v.id);
        WITH gone AS (
            DELETE FROM visits v
            WHERE v.organization_id = p_org AND v.patient_id = ANY (ids)
              AND v.ends_at < cut
              AND NOT EXISTS (SELECT 1 FROM visit_logs l WHERE l.organization_id = p_org AND l.visit_id = v.id)
              AND NOT EXISTS (SELECT 1 FROM visit_payments x WHERE x.organization_id = p_org AND x.visit_id = v.id)
            RETURNING 1)
        SELECT count(*) INTO n FROM gone;
        -- The patient record: only for an erasure (a purge keeps records
        -- of patients still in care), once nothing kept names it: the
        -- details alone have no minimum once the documentation is gone.
        IF p_erase THEN
            UPDATE referrals r SET patient_id = NULL
                WHERE r.clinic_id = p_org AND r.patient_id = ANY (ids)
                  AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.organization_id = p_org AND v.patient_id = r.patient_id)
                  AND NOT EXISTS (SELECT 1 FROM intake_submissions s WHERE s.organization_id = p_org AND s.patient_id = r.patient_id)
                  AND NOT EXISTS (SELECT 1 FROM intake_links l WHERE l.organization_id = p_org AND l.patient_id = r.patient_id);
            WITH gone AS (
                DELETE FROM patients p
                WHERE p.organization_id = p_org AND p.id = ANY (ids)
                  AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.organization_id = p_org AND v.patient_id = p.id)
                  AND NOT EXISTS (SELECT 1 FROM intake_submissions s WHERE s.organization_id = p_org AND s.patient_id = p.id)
                  AND NOT EXISTS (SELECT 1 FROM intake_links l WHERE l.organization_id = p_org AND l.patient_id = p.id)
                  AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.clinic_id = p_org AND r.patient_id = p.id)
                RETURNING 1)
            SELECT count(*) INTO gone_patients FROM gone;
        END IF;
        SELECT count(*), max(v.ends_at) INTO kept, until FROM visits v
            WHERE v.organization_id = p_org AND v.patient_id = ANY (ids);
        result := result || jsonb_build_object('clinic_operational', jsonb_build_object(
            'removed', n, 'kept', kept,
            'kept_until', (until + make_interval(days => (p_keep_days->>'clinic_operational')::int))::date,
            'patients_removed', gone_patients,
            'patients_kept', (SELECT count(*) FROM patients p
                              WHERE p.organization_id = p_org AND p.id = ANY (ids)),
            'patient_record', CASE WHEN p_patient IS NULL OR NOT p_erase THEN NULL
                                   WHEN EXISTS (SELECT 1 FROM patients p WHERE p.organization_id = p_org AND p.id = p_patient)
                                   THEN 'kept' ELSE 'removed' END));
    END IF;
    PERFORM set_config('carethread.erasure', 'off', true);
    RETURN result;
END $$;
REVOKE ALL ON FUNCTION data_purge_rows(uuid, uuid, jsonb, jsonb, boolean) FROM PUBLIC;

-- Who may run the functions below: the worker (the jobs), or the
-- application acting as the clinic's administrator.
CREATE FUNCTION data_rights_caller(p_org uuid) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF session_user = 'carethread_worker' THEN
        RETURN 'anonymous';
    END IF;
    IF app_role() = 'clinic_admin' AND app_org_id() = p_org AND app_user_id() IS NOT NULL THEN
        RETURN 'user';
    END IF;
    RAISE EXCEPTION 'not allowed' USING ERRCODE = 'insufficient_privilege';
END $$;

-- Carries out a deletion request now: each patient in scope without a
-- hold loses everything past its legal minimum (the legal minimum is the
-- cutoff, not the clinic's longer setting: the person asked). Writes the
-- certificate (exact text and SHA-256) and the tombstone. Answers the
-- request's state: 'completed', 'blocked' (a hold), or 'missing'.
CREATE FUNCTION data_erase(p_org uuid, p_request uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    actor text := data_rights_caller(p_org);
    r deletion_requests;
    cutoffs jsonb;
    keep jsonb;
    held boolean;
    counts jsonb;
    categories jsonb;
    cert_text text;
    digest bytea;
    clinic text;
BEGIN
    SELECT * INTO r FROM deletion_requests
        WHERE organization_id = p_org AND id = p_request FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'missing';
    END IF;
    IF r.state <> 'pending' THEN
        RETURN r.state;
    END IF;
    -- A hold placed meanwhile waits for this (its foreign key locks the
    -- patient row), and one committed first is seen below.
    PERFORM 1 FROM patients p WHERE p.organization_id = p_org
        AND (r.patient_id IS NULL OR p.id = r.patient_id) FOR UPDATE;
    SELECT jsonb_object_agg(key, now() - make_interval(days => legal_min_days)),
           jsonb_object_agg(key, legal_min_days)
        INTO cutoffs, keep
        FROM retention_categories WHERE purged AND key <> 'account_telemetry';
    held := EXISTS (SELECT 1 FROM legal_holds h WHERE h.organization_id = p_org
                    AND h.released_at IS NULL
                    AND (r.patient_id IS NULL OR h.patient_id = r.patient_id));
    IF r.scope = 'patient' AND held THEN
        UPDATE deletion_requests SET state = 'blocked' WHERE organization_id = p_org AND id = r.id;
        INSERT INTO audit_events (organization_id, actor_type, actor_user_id, action, subject_type,
                                  subject_id, details)
        VALUES (p_org, actor, CASE WHEN actor = 'user' THEN app_user_id() END,
                'data.erasure_blocked', 'patient', r.patient_id::text,
                jsonb_build_object('request_id', r.id, 'why', 'legal hold'));
        RETURN 'blocked';
    END IF;
    counts := data_purge_rows(p_org, r.patient_id, cutoffs, keep, true);
    SELECT jsonb_agg(jsonb_build_object(
               'category', c.key, 'label', c.label,
               'removed', coalesce((counts->c.key->>'removed')::bigint, 0),
               'kept', coalesce((counts->c.key->>'kept')::bigint, 0),
               'kept_until', counts->c.key->'kept_until',
               'legal_minimum_days', c.legal_min_days,
               'why_kept', CASE WHEN coalesce((counts->c.key->>'kept')::bigint, 0) > 0
                                THEN c.legal_basis END)
               ORDER BY c.sort_order)
        INTO categories
        FROM retention_categories c WHERE c.purged AND c.key <> 'account_telemetry';
    SELECT name INTO clinic FROM organizations WHERE id = p_org;
    cert_text := jsonb_pretty(jsonb_build_object(
        'certificate', 'Certificate of destruction',
        'request', jsonb_build_object('id', r.id, 'scope', r.scope, 'reason', r.reason,
                                      'requested_at', r.requested_at, 'due_at', r.due_at),
        'clinic', jsonb_build_object('id', p_org, 'name', clinic),
        'patient_id', r.patient_id,
        'patient_record', counts->'clinic_operational'->'patient_record',
        'patients_removed', counts->'clinic_operational'->'patients_removed',
        'patients_kept', counts->'clinic_operational'->'patients_kept',
        'patients_on_hold', CASE WHEN r.scope = 'clinic' THEN
            (SELECT count(*) FROM legal_holds h WHERE h.organization_id = p_org AND h.released_at IS NULL) END,
        'completed_at', now(),
        'categories', categories,
        'audit_events', 'Kept: the audit chain records this erasure and holds ids, never health details.'));
    digest := sha256(convert_to(cert_text, 'UTF8'));
    UPDATE deletion_requests
        SET state = 'completed', completed_at = now(), certificate = cert_text,
            certificate_sha256 = digest
        WHERE organization_id = p_org AND id = r.id;
    INSERT INTO audit_events (organization_id, actor_type, actor_user_id, action, subject_type,
                              subject_id, details)
    VALUES (p_org, actor, CASE WHEN actor = 'user' THEN app_user_id() END, 'data.erased',
            CASE WHEN r.scope = 'patient' THEN 'patient' ELSE 'deletion_request' END,
            coalesce(r.patient_id, r.id)::text,
            jsonb_build_object('request_id', r.id, 'scope', r.scope,
                               'certificate_sha256', encode(digest, 'hex'),
                               'removed', (SELECT jsonb_object_agg(k, v->'removed')
                                           FROM jsonb_each(counts) AS e(k, v))));
    RETURN 'completed';
END $$;

-- The scheduled purge: every clinic's rows past its own retention, for
-- patients without a hold, and sign-in attempts past the platform's.
-- One tombstone per clinic that lost anything. Answers rows removed.
CREATE FUNCTION data_retention_purge() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    o record;
    cutoffs jsonb;
    keep jsonb;
    counts jsonb;
    removed bigint;
    total bigint := 0;
BEGIN
    IF session_user <> 'carethread_worker' THEN
        RAISE EXCEPTION 'not allowed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOR o IN SELECT id FROM organizations WHERE kind = 'clinic' LOOP
        SELECT jsonb_object_agg(c.key, now() - make_interval(days => coalesce(r.days, c.default_days))),
               jsonb_object_agg(c.key, coalesce(r.days, c.default_days))
            INTO cutoffs, keep
            FROM retention_categories c
            LEFT JOIN clinic_retention r ON r.organization_id = o.id AND r.category = c.key
            WHERE c.purged AND c.key <> 'account_telemetry';
        counts := data_purge_rows(o.id, NULL, cutoffs, keep, false);
        SELECT coalesce(sum((v->>'removed')::bigint), 0) INTO removed FROM jsonb_each(counts) AS e(k, v);
        IF removed > 0 THEN
            INSERT INTO audit_events (organization_id, actor_type, action, subject_type, subject_id, details)
            VALUES (o.id, 'anonymous', 'data.purged', 'organization', o.id::text,
                    jsonb_build_object('by', 'the retention job',
                                       'removed', (SELECT jsonb_object_agg(k, v->'removed')
                                                   FROM jsonb_each(counts) AS e(k, v))));
            total := total + removed;
        END IF;
    END LOOP;
    WITH gone AS (
        DELETE FROM login_attempts
        WHERE attempted_at < now() - make_interval(days => (SELECT default_days FROM retention_categories
                                                             WHERE key = 'account_telemetry'))
        RETURNING 1)
    SELECT total + count(*) INTO total FROM gone;
    RETURN total;
END $$;

REVOKE ALL ON FUNCTION data_erase(uuid, uuid), data_retention_purge(), data_rights_caller(uuid),
    jobs_file_erasure() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION data_erase(uuid, uuid) TO carethread_app, carethread_worker;
GRANT EXECUTE ON FUNCTION data_retention_purge() TO carethread_worker;

-- "Who viewed this record": events about a patient, by subject or by the
-- patient named in their details (an intake form, a visit).
CREATE INDEX audit_events_subject_idx ON audit_events (organization_id, subject_type, subject_id);
CREATE INDEX audit_events_patient_idx ON audit_events (organization_id, (details->>'patient_id'))
    WHERE details ? 'patient_id';
