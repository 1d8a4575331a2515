-- Clinic-scheduled visits at a per-visit rate (issue 14, "Release"): the
-- clinic's administrator schedules with a rate and a card, each visit's
-- payment is held on the clinic's card like a family's, and the clinician
-- is paid the same way: after a signed, EVV-complete log and the review
-- window; a declined, cancelled or missed visit lets its hold go. The
-- payment belongs to the clinic (organization and payer); the clinician
-- sees it on their earnings when acting for the clinic.

-- The clinic's administrator holds a visit's payment on the clinic's card
-- (only an administrator posts a hold to the ledger, `ledger_post`).
CREATE POLICY visit_payments_clinic_hold ON visit_payments FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinic_admin'
                AND payer_org_id = app_org_id() AND organization_id = app_org_id()
                AND EXISTS (SELECT 1 FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                            WHERE v.organization_id = visit_payments.organization_id
                              AND v.id = visit_payments.visit_id
                              AND v.family_id IS NULL AND v.status = 'proposed'
                              AND c.user_id = visit_payments.clinician_user_id));
-- (The administrators, who pay, see the clinic's payments; staff do not.)
CREATE POLICY visit_payments_clinic ON visit_payments FOR SELECT TO carethread_app
    USING (app_role() = 'clinic_admin' AND payer_org_id = app_org_id());

-- The payment follows any paid visit, booked or clinic-scheduled. A
-- family cancelling an accepted visit inside the notice period, before it
-- starts, pays the policy's fee to the clinician (charged here, with the
-- cancellation itself, so neither happens without the other).
CREATE OR REPLACE FUNCTION visit_payments_follow_visit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    policy payment_policy%ROWTYPE;
BEGIN
    SELECT * INTO policy FROM payment_policy;
    IF NEW.status = 'cancelled' AND OLD.status = 'accepted' AND NEW.family_id IS NOT NULL
       AND app_role() = 'family' AND NEW.starts_at > now()
       AND NEW.starts_at - now() <= make_interval(secs => policy.late_cancel_seconds)
       AND policy.late_cancel_fee_cents > 0 THEN
        UPDATE visit_payments p
           SET state = 'scheduled', reason = 'late_cancel',
               capture_cents = least(policy.late_cancel_fee_cents, p.amount_cents), release_at = now()
         WHERE p.organization_id = NEW.organization_id AND p.visit_id = NEW.id AND p.state = 'authorized';
    END IF;
    IF NEW.status IN ('declined', 'cancelled', 'missed') THEN
        UPDATE visit_payments SET state = 'voiding'
         WHERE organization_id = NEW.organization_id AND visit_id = NEW.id AND state = 'authorized';
    ELSIF NEW.status = 'completed' THEN
        UPDATE visit_payments p
           SET state = 'scheduled', reason = 'visit', capture_cents = p.amount_cents,
               release_at = now() + make_interval(secs => policy.review_seconds)
         WHERE p.organization_id = NEW.organization_id AND p.visit_id = NEW.id
           AND p.state = 'authorized' AND NEW.evv_complete;
    END IF;
    RETURN NULL;
END $$;

-- The owner (the function above) and the worker (settling) read the visit
-- and its log of any paid visit to check the payout rules.
CREATE FUNCTION visit_is_paid(org uuid, visit uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM visit_payments p WHERE p.organization_id = org AND p.visit_id = visit);
END $$;
CREATE POLICY visits_paid_follow ON visits FOR SELECT TO carethread_owner, carethread_worker
    USING (visit_is_paid(organization_id, id));
CREATE POLICY visit_logs_paid_follow ON visit_logs FOR SELECT TO carethread_owner
    USING (visit_is_paid(organization_id, visit_id));

-- A paid clinic visit is not left holding the clinic's card: unanswered by
-- the clinician in time, it lapses; accepted and never checked in, it is
-- missed two hours after its end (the same jobs as a family's booking,
-- filed when its payment is held).
CREATE POLICY visits_paid_lapse ON visits FOR UPDATE TO carethread_worker
    USING (visit_is_paid(organization_id, id))
    WITH CHECK (status IN ('declined', 'missed'));
CREATE FUNCTION jobs_file_clinic_payment() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ref jsonb := jsonb_build_object('organization_id', NEW.organization_id, 'visit_id', NEW.visit_id);
    starts timestamptz;
    ends timestamptz;
BEGIN
    SELECT v.starts_at, v.ends_at INTO starts, ends FROM visits v
        WHERE v.organization_id = NEW.organization_id AND v.id = NEW.visit_id AND v.family_id IS NULL;
    IF starts IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO jobs (kind, payload, run_at)
    VALUES ('booking.lapse', ref,
            least(starts, now() + make_interval(secs => (SELECT answer_seconds FROM payment_policy)))),
           ('booking.no_show', ref, ends + interval '2 hours');
    RETURN NULL;
END $$;
CREATE TRIGGER visit_payments_clinic_jobs
    AFTER INSERT ON visit_payments
    FOR EACH ROW EXECUTE FUNCTION jobs_file_clinic_payment();
