-- A family's owners invite other family members as owners (`family`: they
-- book, pay and review) or viewers (`family_viewer`: they see the people
-- and visits and change nothing) — issue 14, "Care recipients". The
-- invitation machinery is the clinics' (migrations/*_identity*.sql).

CREATE OR REPLACE FUNCTION memberships_check_role_fits() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    org_kind organization_kind;
    fits boolean;
BEGIN
    org_kind := CASE
        WHEN NEW.organization_id = platform_org_id() THEN 'platform'::organization_kind
        ELSE (SELECT kind FROM organizations WHERE id = NEW.organization_id)
    END;
    IF org_kind IS NULL THEN
        RAISE EXCEPTION 'no such organization'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'memberships_organization_id_fkey';
    END IF;
    fits := CASE org_kind
        WHEN 'platform' THEN NEW.role IN ('platform_admin', 'clinician', 'family')
        WHEN 'clinic'   THEN NEW.role IN ('clinic_admin', 'clinic_staff', 'clinician')
        WHEN 'referrer' THEN NEW.role = 'referrer'
        WHEN 'family'   THEN NEW.role IN ('family', 'family_viewer')
        ELSE false
    END;
    IF NOT fits THEN
        RAISE EXCEPTION 'role % does not belong in a % organization', NEW.role, org_kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_role_fits_org';
    END IF;
    RETURN NEW;
END $$;

-- Invitations may now name a family role (never the operator's).
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role <> 'platform_admin');

-- A family's owners send, see and revoke its invitations (the tenant guard
-- keeps each to its own organization).
DROP POLICY invitations_read ON invitations;
CREATE POLICY invitations_read ON invitations FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin')
           OR (app_role() = 'family' AND organization_id <> platform_org_id())
           OR token_hash = app_token_hash());
DROP POLICY invitations_send ON invitations;
-- (Not even the operator joins a family: its health data and payments are
-- its own. A function, not a subquery: the organizations policies read
-- invitations.)
CREATE FUNCTION app_org_is_family(org uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM organizations o WHERE o.id = org AND o.kind = 'family');
END $$;
CREATE POLICY invitations_send ON invitations FOR INSERT TO carethread_app
    WITH CHECK (invited_by = app_user_id()
                AND ((app_role() = 'platform_admin' AND NOT app_org_is_family(organization_id))
                     OR (app_role() = 'clinic_admin' AND role IN ('clinic_admin', 'clinic_staff', 'clinician'))
                     OR (app_role() = 'family' AND role IN ('family', 'family_viewer')
                         AND organization_id <> platform_org_id())));
DROP POLICY invitations_revoke ON invitations;
CREATE POLICY invitations_revoke ON invitations FOR UPDATE TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin')
           OR (app_role() = 'family' AND organization_id <> platform_org_id()));

-- A family's owners remove other members (never themselves, so an owner
-- always remains).
CREATE POLICY memberships_family_remove ON memberships FOR DELETE TO carethread_app
    USING (app_role() = 'family' AND organization_id = app_org_id()
           AND organization_id <> platform_org_id() AND user_id <> app_user_id());

-- Family members see who else is in their family.
CREATE POLICY memberships_family ON memberships FOR SELECT TO carethread_app
    USING (app_role() IN ('family', 'family_viewer') AND organization_id = app_org_id()
           AND organization_id <> platform_org_id());

-- Viewers read what owners read.
CREATE POLICY care_recipients_viewer ON care_recipients FOR SELECT TO carethread_app
    USING (app_role() = 'family_viewer' AND organization_id <> platform_org_id());
DROP POLICY patients_family ON patients;
CREATE POLICY patients_family ON patients FOR SELECT TO carethread_app
    USING (app_role() IN ('family', 'family_viewer') AND family_id = app_org_id()
           AND family_id <> platform_org_id());
DROP POLICY visits_family ON visits;
CREATE POLICY visits_family ON visits FOR SELECT TO carethread_app
    USING (app_role() IN ('family', 'family_viewer') AND family_id = app_org_id()
           AND family_id <> platform_org_id());
DROP POLICY visit_logs_family_read ON visit_logs;
CREATE POLICY visit_logs_family_read ON visit_logs FOR SELECT TO carethread_app
    USING (app_role() IN ('family', 'family_viewer') AND family_id = app_org_id()
           AND family_id <> platform_org_id());
DROP POLICY visit_payments_family ON visit_payments;
CREATE POLICY visit_payments_family ON visit_payments FOR SELECT TO carethread_app
    USING (app_role() IN ('family', 'family_viewer') AND payer_org_id = app_org_id()
           AND payer_org_id <> platform_org_id());
