-- Row-level security for clinicians, affiliations, referrals and events.
--
-- Referral tables have two parties: the referring organization
-- (organization_id) and the receiving clinic (clinic_id). Their restrictive
-- guard admits exactly those two; per-role policies decide what each side
-- may do. Platform administrators see no referral (PHI) at all.

-- Clinicians: a directory ---------------------------------------------------
ALTER TABLE clinicians ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinicians FORCE ROW LEVEL SECURITY;
CREATE POLICY clinicians_own ON clinicians FOR SELECT TO carethread_app
    USING (user_id = app_user_id());
-- Members who refer, triage or administer see verified clinicians.
CREATE POLICY clinicians_directory ON clinicians FOR SELECT TO carethread_app
    USING (verification_status = 'verified'
           AND app_role() IN ('clinic_admin', 'clinic_staff', 'referrer', 'platform_admin'));
CREATE POLICY clinicians_verification_queue ON clinicians FOR SELECT TO carethread_app
    USING (app_role() = 'platform_admin');
CREATE POLICY clinicians_onboard ON clinicians FOR INSERT TO carethread_app
    WITH CHECK (user_id = app_user_id() AND app_role() = 'clinician'
                AND verification_status = 'pending' AND verified_at IS NULL);
CREATE POLICY clinicians_edit_own ON clinicians FOR UPDATE TO carethread_app
    USING (user_id = app_user_id() AND app_role() = 'clinician')
    WITH CHECK (user_id = app_user_id());
CREATE POLICY clinicians_verify ON clinicians FOR UPDATE TO carethread_app
    USING (app_role() = 'platform_admin');
GRANT SELECT, INSERT ON clinicians TO carethread_app;
GRANT UPDATE (display_name, discipline, npi, home_zip, lat, lon, service_radius_miles, care_types,
              diagnosis_categories, skills, languages, available_days, open_slots,
              verification_status, verified_at)
    ON clinicians TO carethread_app;

-- Only platform administrators verify; a clinician's own edit of what was
-- verified sends the profile back to the queue.
CREATE FUNCTION clinicians_guard_verification() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF app_role() = 'platform_admin' THEN
        RETURN NEW;
    END IF;
    IF NEW.verification_status IS DISTINCT FROM OLD.verification_status
       OR NEW.verified_at IS DISTINCT FROM OLD.verified_at THEN
        RAISE EXCEPTION 'only a platform administrator verifies clinicians'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.discipline, NEW.npi) IS DISTINCT FROM (OLD.discipline, OLD.npi)
       AND OLD.verification_status = 'verified' THEN
        NEW.verification_status := 'pending';
        NEW.verified_at := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER clinicians_guard_verification
    BEFORE UPDATE ON clinicians
    FOR EACH ROW EXECUTE FUNCTION clinicians_guard_verification();

ALTER TABLE clinician_licenses ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinician_licenses FORCE ROW LEVEL SECURITY;
-- Licenses are public record (state boards publish them): the roles that
-- see the directory see them, with no per-row lookup in matching.
CREATE POLICY clinician_licenses_read ON clinician_licenses FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff', 'referrer', 'platform_admin'));
CREATE POLICY clinician_licenses_own ON clinician_licenses FOR ALL TO carethread_app
    USING (clinician_id IN (SELECT c.id FROM clinicians c WHERE c.user_id = app_user_id()))
    WITH CHECK (clinician_id IN (SELECT c.id FROM clinicians c WHERE c.user_id = app_user_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON clinician_licenses TO carethread_app;

-- Clinic affiliations: a directory ---------------------------------------------
ALTER TABLE clinic_affiliations ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic_affiliations FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_affiliations_read ON clinic_affiliations FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff', 'referrer', 'platform_admin'));
CREATE POLICY clinic_affiliations_manage ON clinic_affiliations FOR ALL TO carethread_app
    USING (app_role() = 'clinic_admin' AND clinic_id = app_org_id())
    WITH CHECK (app_role() = 'clinic_admin' AND clinic_id = app_org_id());
GRANT SELECT, INSERT, DELETE ON clinic_affiliations TO carethread_app;

-- Referrals (tenant, two parties) -------------------------------------------------
ALTER TABLE referral_transitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_transitions FORCE ROW LEVEL SECURITY;
CREATE POLICY referral_transitions_read ON referral_transitions FOR SELECT TO carethread_app USING (true);
GRANT SELECT ON referral_transitions TO carethread_app;

ALTER TABLE referrals ENABLE ROW LEVEL SECURITY;
ALTER TABLE referrals FORCE ROW LEVEL SECURITY;
CREATE POLICY referrals_tenant_guard ON referrals AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, clinic_id))
    WITH CHECK (app_org_id() IN (organization_id, clinic_id));
CREATE POLICY referrals_referrer ON referrals FOR ALL TO carethread_app
    USING (app_role() = 'referrer' AND organization_id = app_org_id())
    WITH CHECK (app_role() = 'referrer' AND organization_id = app_org_id());
CREATE POLICY referrals_clinic_read ON referrals FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id());
CREATE POLICY referrals_clinic_triage ON referrals FOR UPDATE TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id())
    WITH CHECK (clinic_id = app_org_id());
GRANT SELECT, INSERT ON referrals TO carethread_app;
GRANT UPDATE (clinic_id, status, decline_reason, status_note, assigned_clinician_id, updated_at)
    ON referrals TO carethread_app;

ALTER TABLE referral_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_history FORCE ROW LEVEL SECURITY;
CREATE POLICY referral_history_tenant_guard ON referral_history AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, clinic_id))
    WITH CHECK (app_org_id() IN (organization_id, clinic_id));
CREATE POLICY referral_history_read ON referral_history FOR SELECT TO carethread_app
    USING ((app_role() = 'referrer' AND organization_id = app_org_id())
           OR (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id()));
-- Written by the referrals trigger, as whoever made the change.
CREATE POLICY referral_history_record ON referral_history FOR INSERT TO carethread_app
    WITH CHECK (actor_user_id IS NOT DISTINCT FROM app_user_id());
GRANT SELECT, INSERT ON referral_history TO carethread_app;

ALTER TABLE referral_matches ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_matches FORCE ROW LEVEL SECURITY;
CREATE POLICY referral_matches_tenant_guard ON referral_matches AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, clinic_id))
    WITH CHECK (app_org_id() IN (organization_id, clinic_id));
CREATE POLICY referral_matches_read ON referral_matches FOR SELECT TO carethread_app
    USING ((app_role() = 'referrer' AND organization_id = app_org_id())
           OR (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id()));
CREATE POLICY referral_matches_record ON referral_matches FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'referrer' AND organization_id = app_org_id());
GRANT SELECT, INSERT ON referral_matches TO carethread_app;

-- Domain events (tenant, two parties) ---------------------------------------------
ALTER TABLE domain_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE domain_events FORCE ROW LEVEL SECURITY;
CREATE POLICY domain_events_tenant_guard ON domain_events AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, clinic_id))
    WITH CHECK (app_org_id() IN (organization_id, clinic_id));
CREATE POLICY domain_events_record ON domain_events FOR INSERT TO carethread_app
    WITH CHECK (notified_at IS NULL);
CREATE POLICY domain_events_read ON domain_events FOR SELECT TO carethread_app
    USING (app_role() IN ('referrer', 'clinic_admin', 'platform_admin'));
GRANT SELECT, INSERT ON domain_events TO carethread_app;

-- The worker: notification fan-out reads what a message needs and files it.
CREATE POLICY domain_events_notify ON domain_events FOR ALL TO carethread_worker
    USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE (notified_at) ON domain_events TO carethread_worker;
CREATE POLICY referrals_notify ON referrals FOR SELECT TO carethread_worker USING (true);
GRANT SELECT (organization_id, id, clinic_id, reference, patient_initials, status, decline_reason,
              created_by)
    ON referrals TO carethread_worker;
CREATE POLICY memberships_notify ON memberships FOR SELECT TO carethread_worker USING (true);
GRANT SELECT ON memberships TO carethread_worker;
CREATE POLICY users_notify ON users FOR SELECT TO carethread_worker USING (true);
GRANT SELECT (id, email, disabled_at) ON users TO carethread_worker;
CREATE POLICY organizations_notify ON organizations FOR SELECT TO carethread_worker USING (true);
GRANT SELECT (id, name) ON organizations TO carethread_worker;
-- (mail_outbox_deliver already admits the worker for every command.)
GRANT INSERT ON mail_outbox TO carethread_worker;

-- Organization names the referral parties see of each other, and the clinics
-- a referrer may send to.
CREATE POLICY organizations_referral_parties ON organizations FOR SELECT TO carethread_app
    USING (id IN (SELECT r.organization_id FROM referrals r)
           OR id IN (SELECT r.clinic_id FROM referrals r)
           OR (app_role() = 'referrer' AND kind = 'clinic'));
