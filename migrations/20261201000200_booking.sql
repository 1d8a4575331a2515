-- Families book care and the payment is held until the clinician signs
-- the visit log (issue 14, SPEC J3 steps 3-6).
--
-- A family's booking is a visit like a clinic's: the same table, so the
-- no-double-booking exclusion covers clinic-scheduled and booked visits
-- alike, and the clinician's day, check-in and check-out and the signed
-- log work unchanged. It belongs to the platform organization (where
-- independent clinicians act) with the family as a party (`family_id`),
-- and its patient is the platform's copy of the family's care recipient
-- (sealed like every patient; made at the first booking for them).
--
-- The money: `visit_payments`, one row per paid visit, moves through
-- `payment_state`; every movement of money is a posting in the ledger
-- (`ledger_post`). The database itself refuses a payout for a visit
-- without a signed, EVV-complete log.
--
-- The times (hold, answer, review window, late cancellation and its fee)
-- live in `payment_policy`, set from the server's configuration at start.

CREATE TABLE payment_policy (
    id                     boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- How long a chosen slot is held for the family to confirm.
    hold_seconds           integer NOT NULL DEFAULT 600 CHECK (hold_seconds BETWEEN 1 AND 3600),
    -- How long the clinician has to answer (at most until the visit starts).
    answer_seconds         integer NOT NULL DEFAULT 86400 CHECK (answer_seconds BETWEEN 1 AND 604800),
    -- The family's review window after the log is signed.
    review_seconds         integer NOT NULL DEFAULT 172800 CHECK (review_seconds BETWEEN 0 AND 2592000),
    -- Cancelling closer to the start than this costs the fee.
    late_cancel_seconds    integer NOT NULL DEFAULT 86400 CHECK (late_cancel_seconds BETWEEN 0 AND 604800),
    late_cancel_fee_cents  bigint NOT NULL DEFAULT 2500 CHECK (late_cancel_fee_cents BETWEEN 0 AND 100000)
);
INSERT INTO payment_policy DEFAULT VALUES;
ALTER TABLE payment_policy ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_policy FORCE ROW LEVEL SECURITY;
CREATE POLICY payment_policy_read ON payment_policy FOR SELECT TO carethread_app, carethread_worker USING (true);
CREATE POLICY payment_policy_owner ON payment_policy FOR ALL TO carethread_owner USING (true) WITH CHECK (true);
GRANT SELECT ON payment_policy TO carethread_app, carethread_worker;

-- Patients: the platform's copy of a family's care recipient ------------------
ALTER TABLE patients ADD COLUMN family_id uuid REFERENCES organizations (id);
ALTER TABLE patients ADD COLUMN recipient_id uuid;
COMMENT ON COLUMN patients.family_id IS 'tenant-party';
ALTER TABLE patients ADD CONSTRAINT patients_recipient_fkey
    FOREIGN KEY (family_id, recipient_id) REFERENCES care_recipients (organization_id, id);
ALTER TABLE patients ADD CONSTRAINT patients_family_copy
    CHECK ((family_id IS NULL) = (recipient_id IS NULL)
           AND (family_id IS NULL OR organization_id = platform_org_id()));
CREATE UNIQUE INDEX patients_recipient_idx ON patients (organization_id, family_id, recipient_id)
    WHERE family_id IS NOT NULL;

DROP POLICY patients_tenant_guard ON patients;
CREATE POLICY patients_tenant_guard ON patients AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, family_id))
    WITH CHECK (app_org_id() IN (organization_id, family_id));
-- (Never for the platform organization itself, where family accounts
-- from before family organizations still act.)
CREATE POLICY patients_family ON patients FOR SELECT TO carethread_app
    USING (app_role() = 'family' AND family_id = app_org_id() AND family_id <> platform_org_id());
CREATE POLICY patients_family_copy ON patients FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'family' AND family_id = app_org_id() AND family_id <> platform_org_id()
                AND organization_id = platform_org_id());
-- A clinician sees the patient of a booking only once it is confirmed
-- (a hold is not yet a request), as for a clinic's visits.
DROP POLICY patients_clinician ON patients;
CREATE POLICY patients_clinician ON patients FOR SELECT TO carethread_app
    USING (app_role() = 'clinician'
           AND EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                       WHERE v.organization_id = patients.organization_id
                         AND v.patient_id = patients.id AND c.user_id = app_user_id()
                         AND v.status NOT IN ('held', 'declined', 'cancelled')));
-- The worker names the visit's patient by initials in mail.
CREATE POLICY patients_notify ON patients FOR SELECT TO carethread_worker
    USING (family_id IS NOT NULL);
GRANT SELECT (organization_id, id, initials, family_id) ON patients TO carethread_worker;

-- Visits: a family's bookings ------------------------------------------------
ALTER TABLE visits ADD COLUMN family_id uuid REFERENCES organizations (id);
ALTER TABLE visits ADD COLUMN hold_expires_at timestamptz;
COMMENT ON COLUMN visits.family_id IS 'tenant-party';
ALTER TABLE visits ADD CONSTRAINT visits_family_booking
    CHECK ((family_id IS NULL OR organization_id = platform_org_id())
           AND (family_id IS NOT NULL OR hold_expires_at IS NULL));
CREATE INDEX visits_family_idx ON visits (family_id, starts_at) WHERE family_id IS NOT NULL;

-- The owner keeps the table of moves (a migration adds these); the worker
-- reads it when it moves a booking (the state machine's trigger checks).
CREATE POLICY visit_transitions_owner ON visit_transitions FOR ALL TO carethread_owner USING (true) WITH CHECK (true);
CREATE POLICY visit_transitions_worker ON visit_transitions FOR SELECT TO carethread_worker USING (true);
GRANT SELECT ON visit_transitions TO carethread_worker;
INSERT INTO visit_transitions VALUES ('held', 'proposed'), ('held', 'cancelled');

DROP POLICY visits_tenant_guard ON visits;
CREATE POLICY visits_tenant_guard ON visits AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, family_id))
    WITH CHECK (app_org_id() IN (organization_id, family_id));
CREATE POLICY visits_family ON visits FOR SELECT TO carethread_app
    USING (app_role() = 'family' AND family_id = app_org_id() AND family_id <> platform_org_id());
-- A hold for one of the family's own people (its copy of them). A
-- function, not a subquery: the patients policies read visits, and a
-- policy met twice while expanding is refused as recursion.
CREATE FUNCTION app_family_patient(org uuid, patient uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM patients p
                   WHERE p.organization_id = org AND p.id = patient AND p.family_id = app_org_id());
END $$;
CREATE POLICY visits_family_hold ON visits FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'family' AND family_id = app_org_id() AND family_id <> platform_org_id()
                AND organization_id = platform_org_id() AND status = 'held'
                AND app_family_patient(organization_id, patient_id));
CREATE POLICY visits_family_change ON visits FOR UPDATE TO carethread_app
    USING (app_role() = 'family' AND family_id = app_org_id() AND family_id <> platform_org_id())
    WITH CHECK (family_id = app_org_id());
-- The job runner lets holds expire and unanswered requests lapse.
CREATE POLICY visits_bookings_run ON visits FOR SELECT TO carethread_worker
    USING (family_id IS NOT NULL);
CREATE POLICY visits_bookings_lapse ON visits FOR UPDATE TO carethread_worker
    USING (family_id IS NOT NULL)
    WITH CHECK (family_id IS NOT NULL AND status IN ('cancelled', 'declined', 'missed'));
GRANT SELECT ON visits TO carethread_worker;
GRANT UPDATE (status, status_note, updated_at) ON visits TO carethread_worker;
CREATE POLICY clinicians_notify ON clinicians FOR SELECT TO carethread_worker USING (true);
GRANT SELECT (id, user_id, display_name) ON clinicians TO carethread_worker;

CREATE OR REPLACE FUNCTION visits_check_change() RETURNS trigger
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
        -- A clinic's visit starts as offered; a family's as a hold.
        IF NEW.status <> (CASE WHEN NEW.family_id IS NULL THEN 'proposed' ELSE 'held' END)::visit_status
           OR NEW.checked_in_at IS NOT NULL OR NEW.checked_out_at IS NOT NULL THEN
            RAISE EXCEPTION 'a visit starts as proposed, or as held when a family books it'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_status_transition';
        END IF;
        IF (NEW.family_id IS NULL AND role = 'family')
           OR (NEW.family_id IS NOT NULL AND role IS DISTINCT FROM 'family' AND role IS NOT NULL) THEN
            RAISE EXCEPTION 'a family books for itself, and only a family books'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- How long a hold lasts is the policy's, not the caller's.
        IF NEW.family_id IS NOT NULL THEN
            NEW.hold_expires_at := now() + make_interval(secs => (SELECT hold_seconds FROM payment_policy));
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.organization_id, NEW.id, NEW.patient_id, NEW.clinician_id, NEW.referral_id, NEW.service,
        NEW.family_id, NEW.hold_expires_at)
       IS DISTINCT FROM
       (OLD.organization_id, OLD.id, OLD.patient_id, OLD.clinician_id, OLD.referral_id, OLD.service,
        OLD.family_id, OLD.hold_expires_at) THEN
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
        -- A family confirms or lets go of its hold, and cancels its booking.
        IF role = 'family' AND NOT ((OLD.status = 'held' AND NEW.status IN ('proposed', 'cancelled'))
                                    OR (OLD.status IN ('proposed', 'accepted') AND NEW.status = 'cancelled')) THEN
            RAISE EXCEPTION 'a family cannot mark its visit %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.status = 'held' AND NEW.status = 'proposed'
           AND (OLD.hold_expires_at <= now() OR role IS DISTINCT FROM 'family') THEN
            RAISE EXCEPTION 'the hold on this time has expired'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_hold_expired';
        END IF;
        -- A request goes to the clinician only with its payment held.
        IF OLD.status = 'held' AND NEW.status = 'proposed'
           AND NOT EXISTS (SELECT 1 FROM visit_payments p
                           WHERE p.organization_id = NEW.organization_id AND p.visit_id = NEW.id
                             AND p.state = 'authorized') THEN
            RAISE EXCEPTION 'a booking is confirmed with its payment held'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visits_needs_payment';
        END IF;
        -- A clinician booked directly by a family may cancel (the family's
        -- hold is let go); a clinic's visit is cancelled by the clinic.
        IF role = 'clinician' AND NOT (NEW.status IN ('accepted', 'declined', 'in_progress', 'completed')
                                       OR (NEW.status = 'cancelled' AND OLD.family_id IS NOT NULL
                                           AND OLD.status IN ('proposed', 'accepted'))) THEN
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

-- The signed log of a booked visit: the family reads it (the tasks done
-- and the notes), so the family is a party to it too. Set from the visit
-- when the log is signed.
ALTER TABLE visit_logs ADD COLUMN family_id uuid REFERENCES organizations (id);
COMMENT ON COLUMN visit_logs.family_id IS 'tenant-party';
CREATE FUNCTION visit_logs_family() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    SELECT v.family_id INTO NEW.family_id FROM visits v
        WHERE v.organization_id = NEW.organization_id AND v.id = NEW.visit_id;
    RETURN NEW;
END $$;
CREATE TRIGGER visit_logs_family
    BEFORE INSERT ON visit_logs
    FOR EACH ROW EXECUTE FUNCTION visit_logs_family();
DROP POLICY visit_logs_tenant_guard ON visit_logs;
CREATE POLICY visit_logs_tenant_guard ON visit_logs AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, family_id))
    WITH CHECK (organization_id = app_org_id());
CREATE POLICY visit_logs_family_read ON visit_logs FOR SELECT TO carethread_app
    USING (app_role() = 'family' AND family_id = app_org_id() AND family_id <> platform_org_id());
CREATE POLICY visit_logs_release ON visit_logs FOR SELECT TO carethread_worker USING (true);
GRANT SELECT (organization_id, visit_id, sha256, signed_at, family_id) ON visit_logs TO carethread_worker;

-- Payments ---------------------------------------------------------------------
CREATE TABLE visit_payments (
    -- The visit's organization and the visit.
    organization_id    uuid NOT NULL REFERENCES organizations (id),
    visit_id           uuid NOT NULL,
    -- Who pays: the family that booked.
    payer_org_id       uuid NOT NULL REFERENCES organizations (id),
    -- Who is paid: the clinician's account.
    clinician_user_id  uuid NOT NULL REFERENCES users (id),
    -- The clinician's rate for the service when it was booked.
    amount_cents       bigint NOT NULL CHECK (amount_cents > 0),
    -- The processor's id for the hold on the card.
    authorization_id   text NOT NULL CHECK (char_length(authorization_id) BETWEEN 1 AND 200),
    state              payment_state NOT NULL DEFAULT 'authorized',
    -- What a scheduled payment takes: the whole amount for a signed visit,
    -- the fee for a late cancellation, what a resolution decided.
    capture_cents      bigint CHECK (capture_cents BETWEEN 0 AND amount_cents),
    reason             text CHECK (reason IN ('visit', 'late_cancel', 'resolution')),
    release_at         timestamptz,
    -- The family confirmed the visit (the payout goes at once).
    confirmed_by       uuid REFERENCES users (id),
    confirmed_at       timestamptz,
    disputed_by        uuid REFERENCES users (id),
    disputed_at        timestamptz,
    dispute_reason     text CHECK (char_length(dispute_reason) BETWEEN 1 AND 1000),
    resolved_by        uuid REFERENCES users (id),
    resolved_at        timestamptz,
    resolution         text CHECK (char_length(resolution) BETWEEN 1 AND 1000),
    -- The processor's id for the transfer to the clinician.
    transfer_id        text,
    paid_at            timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, visit_id),
    FOREIGN KEY (organization_id, visit_id) REFERENCES visits (organization_id, id),
    CONSTRAINT visit_payments_scheduled
        CHECK (state NOT IN ('scheduled', 'paid') OR (capture_cents IS NOT NULL AND reason IS NOT NULL
                                                       AND release_at IS NOT NULL)),
    CONSTRAINT visit_payments_dispute
        CHECK ((disputed_at IS NULL) = (dispute_reason IS NULL) AND (disputed_at IS NULL) = (disputed_by IS NULL)),
    CONSTRAINT visit_payments_paid CHECK ((state = 'paid') = (paid_at IS NOT NULL))
);
COMMENT ON COLUMN visit_payments.payer_org_id IS 'tenant-party';
CREATE INDEX visit_payments_payer_idx ON visit_payments (payer_org_id, created_at);
CREATE INDEX visit_payments_clinician_idx ON visit_payments (clinician_user_id, created_at);

-- The money rules every role is held to: the parties and the amount never
-- change; voided and paid are final; a frozen payment moves only by a
-- resolution; and a visit's payout needs its signed, EVV-complete log.
CREATE FUNCTION visit_payments_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    signed boolean;
    role member_role;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'authorized'
           OR (current_user = 'carethread_app'
               AND (NEW.capture_cents, NEW.reason, NEW.release_at, NEW.confirmed_by, NEW.confirmed_at,
                    NEW.disputed_by, NEW.disputed_at, NEW.dispute_reason, NEW.resolved_by,
                    NEW.resolved_at, NEW.resolution, NEW.transfer_id, NEW.paid_at)
                   IS DISTINCT FROM
                   (NULL::bigint, NULL::text, NULL::timestamptz, NULL::uuid, NULL::timestamptz,
                    NULL::uuid, NULL::timestamptz, NULL::text, NULL::uuid,
                    NULL::timestamptz, NULL::text, NULL::text, NULL::timestamptz)) THEN
            RAISE EXCEPTION 'a payment starts as a hold'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_payments_state';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.organization_id, NEW.visit_id, NEW.payer_org_id, NEW.clinician_user_id, NEW.amount_cents,
        NEW.authorization_id, NEW.created_at)
       IS DISTINCT FROM
       (OLD.organization_id, OLD.visit_id, OLD.payer_org_id, OLD.clinician_user_id, OLD.amount_cents,
        OLD.authorization_id, OLD.created_at) THEN
        RAISE EXCEPTION 'a payment keeps its visit, parties and amount'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_payments_state';
    END IF;
    IF OLD.state IN ('voided', 'paid') AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'a % payment is final', OLD.state
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_payments_state';
    END IF;
    IF OLD.state = 'frozen' AND NEW.state <> 'frozen' AND NEW.resolved_at IS NULL THEN
        RAISE EXCEPTION 'a disputed payment moves only when it is resolved'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_payments_state';
    END IF;
    IF NEW.state = 'voided' AND OLD.state <> 'voiding' THEN
        RAISE EXCEPTION 'a payment is voided by voiding it first'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_payments_state';
    END IF;
    IF NEW.state = 'paid' AND OLD.state <> 'scheduled' THEN
        RAISE EXCEPTION 'only a scheduled payment is paid'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_payments_state';
    END IF;
    -- A signed-in family or administrator makes only the moves its
    -- operations need (the triggers and the job runner, acting as the
    -- owner or the worker, are held to the rules around this).
    IF current_user = 'carethread_app' THEN
        role := app_role();
        IF role = 'family' AND NOT coalesce(
            -- Confirming the signed visit: the payout goes now.
            (OLD.state = 'scheduled' AND NEW.state = 'scheduled' AND OLD.reason = 'visit'
             AND OLD.confirmed_at IS NULL AND OLD.release_at > now()
             AND NEW.confirmed_by = app_user_id() AND NEW.confirmed_at = now()
             AND NEW.release_at = now()
             AND (NEW.capture_cents, NEW.reason, NEW.disputed_by, NEW.disputed_at, NEW.dispute_reason,
                  NEW.resolved_by, NEW.resolved_at, NEW.resolution)
                 IS NOT DISTINCT FROM
                 (OLD.capture_cents, OLD.reason, OLD.disputed_by, OLD.disputed_at, OLD.dispute_reason,
                  OLD.resolved_by, OLD.resolved_at, OLD.resolution))
            -- Disputing it within the review window.
            OR (OLD.state = 'scheduled' AND NEW.state = 'frozen' AND OLD.reason = 'visit'
                AND OLD.confirmed_at IS NULL AND OLD.release_at > now()
                AND NEW.disputed_by = app_user_id() AND NEW.disputed_at = now()
                AND (NEW.capture_cents, NEW.reason, NEW.release_at, NEW.confirmed_by, NEW.confirmed_at,
                     NEW.resolved_by, NEW.resolved_at, NEW.resolution)
                    IS NOT DISTINCT FROM
                    (OLD.capture_cents, OLD.reason, OLD.release_at, OLD.confirmed_by, OLD.confirmed_at,
                     OLD.resolved_by, OLD.resolved_at, OLD.resolution)),
            false
        ) THEN
            RAISE EXCEPTION 'a family cannot change this payment that way'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF role = 'platform_admin' AND NOT coalesce(
            OLD.state = 'frozen' AND NEW.resolved_by = app_user_id() AND NEW.resolved_at = now()
            AND (NEW.disputed_by, NEW.disputed_at, NEW.dispute_reason, NEW.confirmed_by, NEW.confirmed_at)
                IS NOT DISTINCT FROM
                (OLD.disputed_by, OLD.disputed_at, OLD.dispute_reason, OLD.confirmed_by, OLD.confirmed_at)
            AND ((NEW.state = 'scheduled' AND NEW.reason = 'resolution' AND NEW.capture_cents > 0
                  AND NEW.release_at <= now())
                 OR NEW.state = 'voiding'),
            false
        ) THEN
            RAISE EXCEPTION 'an administrator only resolves a disputed payment'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF role IS DISTINCT FROM 'family' AND role IS DISTINCT FROM 'platform_admin' THEN
            RAISE EXCEPTION 'only the payer and platform administrators change a payment'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF NEW.state IN ('scheduled', 'paid') AND NEW.reason = 'visit' THEN
        SELECT v.evv_complete AND v.status = 'completed' AND l.visit_id IS NOT NULL INTO signed
            FROM visits v
            LEFT JOIN visit_logs l ON l.organization_id = v.organization_id AND l.visit_id = v.id
            WHERE v.organization_id = NEW.organization_id AND v.id = NEW.visit_id;
        IF NOT coalesce(signed, false) THEN
            RAISE EXCEPTION 'a visit pays out only after its log is signed and its EVV record complete'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'visit_payments_needs_signed_log';
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER visit_payments_check
    BEFORE INSERT OR UPDATE ON visit_payments
    FOR EACH ROW EXECUTE FUNCTION visit_payments_check();

ALTER TABLE visit_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY visit_payments_tenant_guard ON visit_payments AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, payer_org_id))
    WITH CHECK (app_org_id() IN (organization_id, payer_org_id));
-- The family pays for its own bookings: the hold at the clinician's rate.
CREATE POLICY visit_payments_family ON visit_payments FOR SELECT TO carethread_app
    USING (app_role() = 'family' AND payer_org_id = app_org_id() AND payer_org_id <> platform_org_id());
CREATE POLICY visit_payments_family_hold ON visit_payments FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'family' AND payer_org_id = app_org_id()
                AND EXISTS (SELECT 1 FROM visits v
                            JOIN clinicians c ON c.id = v.clinician_id
                            JOIN clinician_rates r ON r.clinician_id = v.clinician_id AND r.service = v.service
                            WHERE v.organization_id = visit_payments.organization_id
                              AND v.id = visit_payments.visit_id
                              AND v.family_id = app_org_id() AND v.status = 'held'
                              AND v.hold_expires_at > now()
                              AND c.user_id = visit_payments.clinician_user_id
                              AND r.cents = visit_payments.amount_cents));
-- Confirming and disputing: the trigger above allows a family exactly
-- those two moves (a late cancellation's fee is charged by the visit's
-- own trigger, below).
CREATE POLICY visit_payments_family_change ON visit_payments FOR UPDATE TO carethread_app
    USING (app_role() = 'family' AND payer_org_id = app_org_id() AND payer_org_id <> platform_org_id()
           AND state IN ('authorized', 'scheduled'))
    WITH CHECK (payer_org_id = app_org_id() AND state IN ('scheduled', 'frozen')
                AND resolved_at IS NULL AND paid_at IS NULL);
-- The clinician sees what they are owed.
CREATE POLICY visit_payments_clinician ON visit_payments FOR SELECT TO carethread_app
    USING (app_role() = 'clinician' AND clinician_user_id = app_user_id());
-- Platform administrators see every payment and resolve disputes.
CREATE POLICY visit_payments_admin ON visit_payments FOR SELECT TO carethread_app
    USING (app_role() = 'platform_admin');
CREATE POLICY visit_payments_resolve ON visit_payments FOR UPDATE TO carethread_app
    USING (app_role() = 'platform_admin' AND state = 'frozen')
    WITH CHECK (state IN ('scheduled', 'voiding') AND resolved_by = app_user_id() AND paid_at IS NULL);
-- A platform administrator resolving a dispute sees the visit's time and
-- clinician (not its patient, nor its log).
CREATE FUNCTION app_visit_disputed(org uuid, visit uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM visit_payments p
                   WHERE p.organization_id = org AND p.visit_id = visit AND p.state = 'frozen');
END $$;
CREATE POLICY visits_disputed ON visits FOR SELECT TO carethread_app
    USING (app_role() = 'platform_admin' AND family_id IS NOT NULL AND app_visit_disputed(organization_id, id));
GRANT SELECT, INSERT ON visit_payments TO carethread_app;
GRANT UPDATE (state, capture_cents, reason, release_at, confirmed_by, confirmed_at, disputed_by,
              disputed_at, dispute_reason, resolved_by, resolved_at, resolution, updated_at)
    ON visit_payments TO carethread_app;
-- The job runner settles: it voids, captures and pays out.
CREATE POLICY visit_payments_settle ON visit_payments FOR ALL TO carethread_worker USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON visit_payments TO carethread_worker;

-- What moves a payment without anyone asking (SECURITY DEFINER: they run
-- for the clinician who signs or declines, who may not write payments):
-- a signed, EVV-complete log schedules the payout after the review
-- window; a visit declined, cancelled or missed lets an untaken hold go.
CREATE POLICY visit_payments_follow ON visit_payments FOR ALL TO carethread_owner USING (true) WITH CHECK (true);
CREATE POLICY visits_payments_follow ON visits FOR SELECT TO carethread_owner USING (family_id IS NOT NULL);
CREATE POLICY visit_logs_payments_follow ON visit_logs FOR SELECT TO carethread_owner USING (family_id IS NOT NULL);
-- On the visit's status: signing inserts the log and then completes the
-- visit, in one transaction.
CREATE FUNCTION visit_payments_follow_visit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.family_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF NEW.status IN ('declined', 'cancelled', 'missed') THEN
        UPDATE visit_payments SET state = 'voiding'
         WHERE organization_id = NEW.organization_id AND visit_id = NEW.id AND state = 'authorized';
    ELSIF NEW.status = 'completed' THEN
        UPDATE visit_payments p
           SET state = 'scheduled', reason = 'visit', capture_cents = p.amount_cents,
               release_at = now() + make_interval(secs => (SELECT review_seconds FROM payment_policy))
         WHERE p.organization_id = NEW.organization_id AND p.visit_id = NEW.id
           AND p.state = 'authorized' AND NEW.evv_complete;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER visit_payments_follow_visit
    AFTER UPDATE OF status ON visits
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION visit_payments_follow_visit();

-- The job runner's work for bookings, filed by trigger in the transaction
-- of the change (the web role cannot write jobs):
-- - `booking.expire_hold` when the hold runs out;
-- - `booking.lapse` when the clinician's time to answer runs out;
-- - `booking.no_show` two hours after an accepted visit's end: never
--   checked in, it is missed (and its hold let go);
-- - `booking.notify` to mail the clinician (a request) or the family (an
--   answer): initials and a link only;
-- - `payments.settle` when a payment is to be voided, or paid at
--   `release_at`.
CREATE FUNCTION jobs_file_booking() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ref jsonb;
BEGIN
    IF NEW.family_id IS NULL THEN
        RETURN NULL;
    END IF;
    ref := jsonb_build_object('organization_id', NEW.organization_id, 'visit_id', NEW.id);
    IF TG_OP = 'UPDATE' AND NEW.status = OLD.status THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO jobs (kind, payload, run_at) VALUES ('booking.expire_hold', ref, NEW.hold_expires_at);
        RETURN NULL;
    END IF;
    IF NEW.status = 'proposed' THEN
        INSERT INTO jobs (kind, payload, run_at)
        VALUES ('booking.lapse', ref,
                least(NEW.starts_at, now() + make_interval(secs => (SELECT answer_seconds FROM payment_policy))));
    END IF;
    IF NEW.status = 'accepted' THEN
        INSERT INTO jobs (kind, payload, run_at)
        VALUES ('booking.no_show', ref, NEW.ends_at + interval '2 hours');
    END IF;
    -- Not for a hold let go or expired: nobody was asked yet.
    IF NEW.status IN ('proposed', 'accepted', 'declined') OR (NEW.status = 'cancelled' AND OLD.status <> 'held') THEN
        INSERT INTO jobs (kind, payload)
        VALUES ('booking.notify', ref || jsonb_build_object('status', NEW.status));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER visits_booking_jobs
    AFTER INSERT OR UPDATE OF status ON visits
    FOR EACH ROW WHEN (NEW.family_id IS NOT NULL)
    EXECUTE FUNCTION jobs_file_booking();

CREATE FUNCTION jobs_file_settle() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO jobs (kind, payload, run_at)
    VALUES ('payments.settle',
            jsonb_build_object('organization_id', NEW.organization_id, 'visit_id', NEW.visit_id),
            CASE WHEN NEW.state = 'scheduled' THEN greatest(NEW.release_at, now()) ELSE now() END);
    RETURN NULL;
END $$;
CREATE TRIGGER visit_payments_settle_job
    AFTER INSERT OR UPDATE OF state, release_at ON visit_payments
    FOR EACH ROW WHEN (NEW.state IN ('voiding', 'scheduled'))
    EXECUTE FUNCTION jobs_file_settle();
