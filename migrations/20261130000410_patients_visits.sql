-- Patients, the referrer's patient packet, scheduled visits with EVV, and
-- the signed visit log (issue 13; SPEC J1 step 5 and J4).
--
-- What a database dump must not reveal is sealed by the application
-- (`app::vault`, AES-256-GCM, the key id in `key_id`) before it gets here:
-- patients' and packets' details (name, date of birth, address, phone,
-- payer and member id, emergency contact, notes) and visit logs and
-- addenda (tasks, vitals, notes, signatures). What stays readable is what
-- lists and constraints need and a referral already shows: initials, ZIP,
-- times, states.
--
-- `btree_gist` (for the no-double-booking exclusion constraint) is created
-- by the start-up before migrating (server/src/db.rs): creating an
-- extension needs more than the owner role has.

-- Patients: a clinic's record of a person it cares for ---------------------
CREATE TABLE patients (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    initials        text NOT NULL CHECK (initials ~ '^[A-Z]{2,3}$'),
    -- Where the patient lives (for the visit distance): the ZIP centroid.
    zip             char(5) NOT NULL REFERENCES zip_codes (zip),
    -- The sealed details (`app::patients::PatientDetails` as JSON).
    key_id          text NOT NULL CHECK (key_id ~ '^[a-z0-9-]{1,16}$'),
    sealed          bytea NOT NULL,
    -- HMAC of the normalised name, date of birth and ZIP (`app::vault`):
    -- finds the same person again without revealing who.
    match_index     bytea NOT NULL CHECK (length(match_index) = 32),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX patients_match_idx ON patients (organization_id, match_index);

-- The referrer's packet: everything about the patient beyond the
-- minimum the referral shows. Released to the receiving clinic only once
-- it accepts (the read policy asks the referral), never to another.
CREATE TABLE referral_packets (
    organization_id uuid NOT NULL,
    referral_id     uuid NOT NULL,
    -- The clinic the referral was routed to (a party, like the referral's).
    clinic_id       uuid REFERENCES organizations (id),
    key_id          text NOT NULL CHECK (key_id ~ '^[a-z0-9-]{1,16}$'),
    sealed          bytea NOT NULL,
    match_index     bytea NOT NULL CHECK (length(match_index) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, referral_id),
    FOREIGN KEY (organization_id, referral_id) REFERENCES referrals (organization_id, id)
);
COMMENT ON COLUMN referral_packets.clinic_id IS 'tenant-party';

-- The clinic's patient a referral became (set by the clinic on accepting).
ALTER TABLE referrals ADD COLUMN patient_id uuid;
ALTER TABLE referrals ADD CONSTRAINT referrals_patient_fkey
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (organization_id, id);
CREATE INDEX referrals_patient_idx ON referrals (clinic_id, patient_id) WHERE patient_id IS NOT NULL;

-- Visits ----------------------------------------------------------------------
CREATE TYPE visit_status AS ENUM (
    'proposed', 'accepted', 'in_progress', 'completed', 'declined', 'missed', 'cancelled'
);

-- Why a check-in or check-out has no device location (coded, for the EVV
-- exception report).
CREATE TYPE evv_exception AS ENUM (
    'location_denied', 'no_signal', 'device_problem', 'visit_outside_home', 'other'
);

-- The legal moves of the visit state machine (the Rust enum holds the same
-- table; a test compares them).
CREATE TABLE visit_transitions (
    from_status visit_status NOT NULL,
    to_status   visit_status NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO visit_transitions VALUES
    ('proposed', 'accepted'), ('proposed', 'declined'), ('proposed', 'cancelled'),
    ('accepted', 'in_progress'), ('accepted', 'cancelled'), ('accepted', 'missed'),
    ('in_progress', 'completed');

CREATE TABLE visits (
    -- The clinic that scheduled the visit.
    organization_id     uuid NOT NULL REFERENCES organizations (id),
    id                  uuid NOT NULL DEFAULT gen_random_uuid(),
    patient_id          uuid NOT NULL,
    -- The referral the visit serves, when it came from one (the referral
    -- is the referrer's row: no foreign key across the parties; the
    -- scheduling operation checks it is this clinic's accepted referral).
    referral_id         uuid,
    clinician_id        uuid NOT NULL REFERENCES clinicians (id),
    -- EVV: the type of service.
    service             care_type NOT NULL,
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL,
    -- The tasks planned (labels from the care type's template).
    tasks               text[] NOT NULL DEFAULT '{}'
                        CHECK (cardinality(tasks) <= 30),
    -- Visits scheduled together by a weekly recurrence.
    series_id           uuid,
    status              visit_status NOT NULL DEFAULT 'proposed',
    status_note         text CHECK (char_length(status_note) <= 500),
    -- EVV: begin and end times as the device took them, and where.
    checked_in_at       timestamptz,
    check_in_lat        double precision CHECK (check_in_lat BETWEEN -90 AND 90),
    check_in_lon        double precision CHECK (check_in_lon BETWEEN -180 AND 180),
    check_in_distance_m integer CHECK (check_in_distance_m >= 0),
    check_in_exception  evv_exception,
    checked_out_at      timestamptz,
    check_out_lat       double precision CHECK (check_out_lat BETWEEN -90 AND 90),
    check_out_lon       double precision CHECK (check_out_lon BETWEEN -180 AND 180),
    check_out_distance_m integer CHECK (check_out_distance_m >= 0),
    check_out_exception evv_exception,
    -- All six EVV elements are recorded: service, patient, date and
    -- clinician always are; begin and end times, and a location (the
    -- device's, or a coded reason it has none) at both ends.
    evv_complete        boolean NOT NULL GENERATED ALWAYS AS (
                            checked_in_at IS NOT NULL AND checked_out_at IS NOT NULL
                            AND (check_in_lat IS NOT NULL OR check_in_exception IS NOT NULL)
                            AND (check_out_lat IS NOT NULL OR check_out_exception IS NOT NULL)
                        ) STORED,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id),
    CONSTRAINT visits_ends_after_start CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '12 hours'),
    CONSTRAINT visits_check_out_after_check_in CHECK (checked_out_at IS NULL OR (checked_in_at IS NOT NULL AND checked_out_at >= checked_in_at)),
    CONSTRAINT visits_location_is_a_pair CHECK ((check_in_lat IS NULL) = (check_in_lon IS NULL)
                                                AND (check_out_lat IS NULL) = (check_out_lon IS NULL)),
    -- No clinician is ever in two places at once: across every clinic (a
    -- clinician may work for several), over every visit still planned or
    -- held. Deliberately without organization_id: the clinician's time is
    -- one resource whoever books it.
    CONSTRAINT visits_no_double_booking EXCLUDE USING gist (
        clinician_id WITH =, tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status NOT IN ('declined', 'cancelled', 'missed'))
);
-- The clinician's day and the clinic's week.
CREATE INDEX visits_clinician_day_idx ON visits (clinician_id, starts_at);
CREATE INDEX visits_schedule_idx ON visits (organization_id, starts_at);
CREATE INDEX visits_patient_idx ON visits (organization_id, patient_id, starts_at);

-- The signed visit log: written once, when the clinician signs, and never
-- changed (a trigger refuses; the application role has no UPDATE on its
-- content and no DELETE). Corrections are addenda.
CREATE TABLE visit_logs (
    organization_id   uuid NOT NULL,
    visit_id          uuid NOT NULL,
    -- The sealed log (`app::visits::VisitLog` as canonical JSON).
    key_id            text NOT NULL CHECK (key_id ~ '^[a-z0-9-]{1,16}$'),
    sealed            bytea NOT NULL,
    -- SHA-256 of the canonical log as signed.
    sha256            bytea NOT NULL CHECK (length(sha256) = 32),
    signed_by         uuid NOT NULL REFERENCES users (id),
    signed_at         timestamptz NOT NULL DEFAULT now(),
    -- The device's idempotency key: a sync that arrives twice stores once.
    sync_key          uuid NOT NULL,
    countersigned_by  uuid REFERENCES users (id),
    countersigned_at  timestamptz,
    PRIMARY KEY (organization_id, visit_id),
    FOREIGN KEY (organization_id, visit_id) REFERENCES visits (organization_id, id),
    CONSTRAINT visit_logs_sync_key UNIQUE (organization_id, sync_key),
    CONSTRAINT visit_logs_countersign_pair CHECK ((countersigned_by IS NULL) = (countersigned_at IS NULL))
);

-- Corrections after signing: each sealed, hashed over the previous hash
-- (the log's for the first), so the chain shows any removal or change.
CREATE TABLE visit_log_addenda (
    organization_id uuid NOT NULL,
    visit_id        uuid NOT NULL,
    seq             integer NOT NULL CHECK (seq >= 1),
    key_id          text NOT NULL CHECK (key_id ~ '^[a-z0-9-]{1,16}$'),
    sealed          bytea NOT NULL,
    prev_sha256     bytea NOT NULL CHECK (length(prev_sha256) = 32),
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    author_user_id  uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, visit_id, seq),
    FOREIGN KEY (organization_id, visit_id) REFERENCES visit_logs (organization_id, visit_id)
);

-- The state machine and who makes which move: the clinic schedules,
-- cancels and marks missed; the clinician accepts or declines, checks in
-- and completes. Check-in and check-out facts are the clinician's alone.
CREATE FUNCTION visits_check_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    role member_role := app_role();
    clinic boolean := coalesce(role IN ('clinic_admin', 'clinic_staff'), false);
BEGIN
    -- The application acts with a role, always; only the owner and fixtures
    -- (the demo, the tests) change visits without one.
    IF role IS NULL AND current_user = 'carethread_app' THEN
        RAISE EXCEPTION 'a visit is changed by someone acting in a role'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'proposed' OR NEW.checked_in_at IS NOT NULL OR NEW.checked_out_at IS NOT NULL THEN
            RAISE EXCEPTION 'a visit starts as proposed'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.organization_id, NEW.id, NEW.patient_id, NEW.clinician_id, NEW.referral_id, NEW.service)
       IS DISTINCT FROM
       (OLD.organization_id, OLD.id, OLD.patient_id, OLD.clinician_id, OLD.referral_id, OLD.service) THEN
        RAISE EXCEPTION 'a visit keeps its clinic, patient, clinician and service'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT 1 FROM visit_transitions t
                       WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
            RAISE EXCEPTION 'a visit cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
        END IF;
        IF clinic AND NEW.status NOT IN ('cancelled', 'missed') THEN
            RAISE EXCEPTION 'the clinic cannot mark a visit %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF role = 'clinician' AND NEW.status NOT IN ('accepted', 'declined', 'in_progress', 'completed') THEN
            RAISE EXCEPTION 'the clinician cannot mark a visit %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.updated_at := now();
    END IF;
    IF (NEW.checked_in_at, NEW.check_in_lat, NEW.check_in_lon, NEW.check_in_distance_m, NEW.check_in_exception,
        NEW.checked_out_at, NEW.check_out_lat, NEW.check_out_lon, NEW.check_out_distance_m, NEW.check_out_exception)
       IS DISTINCT FROM
       (OLD.checked_in_at, OLD.check_in_lat, OLD.check_in_lon, OLD.check_in_distance_m, OLD.check_in_exception,
        OLD.checked_out_at, OLD.check_out_lat, OLD.check_out_lon, OLD.check_out_distance_m, OLD.check_out_exception) THEN
        IF role <> 'clinician' THEN
            RAISE EXCEPTION 'only the clinician records check-in and check-out'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- Recorded once: the device's times are evidence, not a draft.
        IF (OLD.checked_in_at IS NOT NULL AND NEW.checked_in_at IS DISTINCT FROM OLD.checked_in_at)
           OR (OLD.checked_out_at IS NOT NULL AND NEW.checked_out_at IS DISTINCT FROM OLD.checked_out_at) THEN
            RAISE EXCEPTION 'a check-in or check-out, once recorded, stays'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
        END IF;
        IF NEW.status NOT IN ('in_progress', 'completed') THEN
            RAISE EXCEPTION 'check in by starting the visit'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
        END IF;
    END IF;
    IF NEW.status = 'in_progress' AND NEW.checked_in_at IS NULL THEN
        RAISE EXCEPTION 'a visit in progress has a check-in'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
    END IF;
    IF NEW.status = 'completed' AND (NEW.checked_out_at IS NULL
        OR NOT EXISTS (SELECT 1 FROM visit_logs l
                       WHERE l.organization_id = NEW.organization_id AND l.visit_id = NEW.id)) THEN
        RAISE EXCEPTION 'a visit is completed by checking out and signing its log'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
    END IF;
    IF (NEW.starts_at, NEW.ends_at) IS DISTINCT FROM (OLD.starts_at, OLD.ends_at)
       AND (NOT clinic OR OLD.status NOT IN ('proposed', 'accepted')) THEN
        RAISE EXCEPTION 'only the clinic moves a visit, before it starts'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER visits_check_change
    BEFORE INSERT OR UPDATE ON visits
    FOR EACH ROW EXECUTE FUNCTION visits_check_change();

-- A signed log is locked: only the clinic's countersignature is ever
-- added, once. (The application role cannot even name the other columns
-- in an UPDATE; this holds for every role, the owner's too.)
CREATE FUNCTION visit_logs_locked() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
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
CREATE TRIGGER visit_logs_locked
    BEFORE UPDATE OR DELETE ON visit_logs
    FOR EACH ROW EXECUTE FUNCTION visit_logs_locked();

-- Addenda form one chain: each names the hash before it and comes next.
CREATE FUNCTION visit_log_addenda_chain() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    last_seq integer;
    last_hash bytea;
BEGIN
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
CREATE TRIGGER visit_log_addenda_chain
    BEFORE INSERT OR UPDATE OR DELETE ON visit_log_addenda
    FOR EACH ROW EXECUTE FUNCTION visit_log_addenda_chain();

-- Referrals: the clinician who signs the first visit's log moves the
-- referral to first_visit_done; the clinic links the patient.
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
    IF NEW.patient_id IS DISTINCT FROM OLD.patient_id
       AND (role NOT IN ('clinic_admin', 'clinic_staff') OR OLD.patient_id IS NOT NULL) THEN
        RAISE EXCEPTION 'the accepting clinic links a referral to its patient, once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

-- Row-level security ------------------------------------------------------------

ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
CREATE POLICY patients_tenant_guard ON patients AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id())
    WITH CHECK (organization_id = app_org_id());
CREATE POLICY patients_clinic ON patients FOR ALL TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff'))
    WITH CHECK (app_role() IN ('clinic_admin', 'clinic_staff'));
-- A clinician sees the patients of their own visits (the address and
-- phone they need to get there), nobody else.
CREATE POLICY patients_clinician ON patients FOR SELECT TO carethread_app
    USING (app_role() = 'clinician'
           AND EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                       WHERE v.organization_id = patients.organization_id
                         AND v.patient_id = patients.id AND c.user_id = app_user_id()
                         AND v.status NOT IN ('declined', 'cancelled')));
GRANT SELECT, INSERT ON patients TO carethread_app;

ALTER TABLE referral_packets ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_packets FORCE ROW LEVEL SECURITY;
CREATE POLICY referral_packets_tenant_guard ON referral_packets AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, clinic_id))
    WITH CHECK (app_org_id() IN (organization_id, clinic_id));
CREATE POLICY referral_packets_referrer ON referral_packets FOR ALL TO carethread_app
    USING (app_role() = 'referrer' AND organization_id = app_org_id())
    WITH CHECK (app_role() = 'referrer' AND organization_id = app_org_id()
                AND EXISTS (SELECT 1 FROM referrals r
                            WHERE r.organization_id = referral_packets.organization_id
                              AND r.id = referral_packets.referral_id
                              AND r.clinic_id IS NOT DISTINCT FROM referral_packets.clinic_id));
-- Released to the receiving clinic once it has accepted, never before.
CREATE POLICY referral_packets_released ON referral_packets FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id()
           AND EXISTS (SELECT 1 FROM referrals r
                       WHERE r.organization_id = referral_packets.organization_id
                         AND r.id = referral_packets.referral_id
                         AND r.clinic_id = app_org_id()
                         AND r.status IN ('accepted', 'scheduled', 'first_visit_done', 'closed')));
GRANT SELECT, INSERT ON referral_packets TO carethread_app;

-- The clinic links the referral to its patient.
GRANT UPDATE (patient_id) ON referrals TO carethread_app;

ALTER TABLE visit_transitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_transitions FORCE ROW LEVEL SECURITY;
CREATE POLICY visit_transitions_read ON visit_transitions FOR SELECT TO carethread_app USING (true);
GRANT SELECT ON visit_transitions TO carethread_app;

ALTER TABLE visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE visits FORCE ROW LEVEL SECURITY;
CREATE POLICY visits_tenant_guard ON visits AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id())
    WITH CHECK (organization_id = app_org_id());
CREATE POLICY visits_clinic ON visits FOR ALL TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff'))
    WITH CHECK (app_role() IN ('clinic_admin', 'clinic_staff'));
-- A clinician sees and works their own visits of the clinic they act for.
CREATE POLICY visits_clinician ON visits FOR SELECT TO carethread_app
    USING (app_role() = 'clinician'
           AND clinician_id IN (SELECT c.id FROM clinicians c WHERE c.user_id = app_user_id()));
CREATE POLICY visits_clinician_work ON visits FOR UPDATE TO carethread_app
    USING (app_role() = 'clinician'
           AND clinician_id IN (SELECT c.id FROM clinicians c WHERE c.user_id = app_user_id()))
    WITH CHECK (clinician_id IN (SELECT c.id FROM clinicians c WHERE c.user_id = app_user_id()));
GRANT SELECT, INSERT ON visits TO carethread_app;
GRANT UPDATE (starts_at, ends_at, status, status_note, updated_at,
              checked_in_at, check_in_lat, check_in_lon, check_in_distance_m, check_in_exception,
              checked_out_at, check_out_lat, check_out_lon, check_out_distance_m, check_out_exception)
    ON visits TO carethread_app;

ALTER TABLE visit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY visit_logs_tenant_guard ON visit_logs AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id())
    WITH CHECK (organization_id = app_org_id());
CREATE POLICY visit_logs_clinic_read ON visit_logs FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff'));
CREATE POLICY visit_logs_countersign ON visit_logs FOR UPDATE TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND countersigned_at IS NULL)
    WITH CHECK (countersigned_by = app_user_id());
-- The clinician signs the log of their own visit, and reads it back.
CREATE POLICY visit_logs_clinician ON visit_logs FOR SELECT TO carethread_app
    USING (app_role() = 'clinician'
           AND EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                       WHERE v.organization_id = visit_logs.organization_id
                         AND v.id = visit_logs.visit_id AND c.user_id = app_user_id()));
CREATE POLICY visit_logs_sign ON visit_logs FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinician' AND signed_by = app_user_id()
                AND countersigned_by IS NULL
                AND EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                            WHERE v.organization_id = visit_logs.organization_id
                              AND v.id = visit_logs.visit_id AND c.user_id = app_user_id()
                              AND v.status = 'in_progress'));
GRANT SELECT, INSERT ON visit_logs TO carethread_app;
GRANT UPDATE (countersigned_by, countersigned_at) ON visit_logs TO carethread_app;

ALTER TABLE visit_log_addenda ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_log_addenda FORCE ROW LEVEL SECURITY;
CREATE POLICY visit_log_addenda_tenant_guard ON visit_log_addenda AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id())
    WITH CHECK (organization_id = app_org_id());
CREATE POLICY visit_log_addenda_read ON visit_log_addenda FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff')
           OR (app_role() = 'clinician'
               AND EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                           WHERE v.organization_id = visit_log_addenda.organization_id
                             AND v.id = visit_log_addenda.visit_id AND c.user_id = app_user_id())));
-- The signing clinician (or the clinic's staff) adds corrections as themselves.
CREATE POLICY visit_log_addenda_write ON visit_log_addenda FOR INSERT TO carethread_app
    WITH CHECK (author_user_id = app_user_id()
                AND (app_role() IN ('clinic_admin', 'clinic_staff')
                     OR (app_role() = 'clinician'
                         AND EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                                     WHERE v.organization_id = visit_log_addenda.organization_id
                                       AND v.id = visit_log_addenda.visit_id
                                       AND c.user_id = app_user_id()))));
GRANT SELECT, INSERT ON visit_log_addenda TO carethread_app;

-- The clinician signing the first visit's log moves its referral on: they
-- see (and may change the status of) the referral their visit serves. A
-- function, not a subquery in the policy: the organizations policy reads
-- referrals, and a policy with a subquery met twice while expanding is
-- refused as recursion. PL/pgSQL (never inlined), so the visits policies
-- still apply inside it.
CREATE FUNCTION app_clinician_serves(referral uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                   WHERE v.organization_id = app_org_id() AND v.referral_id = referral
                     AND c.user_id = app_user_id() AND v.status NOT IN ('declined', 'cancelled'));
END $$;
CREATE POLICY referrals_clinician_visit ON referrals FOR SELECT TO carethread_app
    USING (app_role() = 'clinician' AND clinic_id = app_org_id() AND app_clinician_serves(id));
CREATE POLICY referrals_clinician_first_visit ON referrals FOR UPDATE TO carethread_app
    USING (app_role() = 'clinician' AND clinic_id = app_org_id() AND app_clinician_serves(id))
    WITH CHECK (clinic_id = app_org_id());

DROP POLICY referral_history_record ON referral_history;
CREATE POLICY referral_history_record ON referral_history FOR INSERT TO carethread_app
    WITH CHECK (
        actor_user_id IS NOT DISTINCT FROM app_user_id()
        AND ((app_role() = 'referrer' AND organization_id = app_org_id())
             OR (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id())
             OR (app_role() = 'clinician' AND clinic_id = app_org_id() AND to_status = 'first_visit_done'))
        AND EXISTS (SELECT 1 FROM referrals r
                    WHERE r.id = referral_id
                      AND r.organization_id = referral_history.organization_id
                      AND r.clinic_id IS NOT DISTINCT FROM referral_history.clinic_id));

-- Visit events belong to the clinic alone (no second party); referral
-- events as before (20261130000100_jobs.sql), and the clinician's first
-- visit moves its referral.
DROP POLICY domain_events_record ON domain_events;
CREATE POLICY domain_events_record ON domain_events FOR INSERT TO carethread_app
    WITH CHECK (
            (event_type::text LIKE 'referral.%'
             AND ((app_role() = 'referrer' AND organization_id = app_org_id())
                  OR (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id())
                  OR (app_role() = 'clinician' AND clinic_id = app_org_id()
                      AND event_type = 'referral.first_visit_done'))
             AND EXISTS (SELECT 1 FROM referrals r
                         WHERE r.id = subject_id
                           AND r.organization_id = domain_events.organization_id
                           AND r.clinic_id IS NOT DISTINCT FROM domain_events.clinic_id))
            OR
            (((app_role() IN ('clinic_admin', 'clinic_staff') AND event_type = 'visit.scheduled')
              OR (app_role() = 'clinician' AND event_type = 'visit.completed'))
             AND organization_id = app_org_id() AND clinic_id IS NULL
             AND EXISTS (SELECT 1 FROM visits v
                         WHERE v.id = subject_id AND v.organization_id = domain_events.organization_id)));
