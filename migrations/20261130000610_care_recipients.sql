-- Families and the people they book care for (issue 14, SPEC J3 step 1).
--
-- A family registers into an organization of its own (kind 'family'),
-- made by family_signup() below. Families registered before this stay
-- members of the platform organization and keep working; they add care
-- recipients once they register a family (none exist outside the demo).

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
        WHEN 'family'   THEN NEW.role = 'family'
        ELSE false
    END;
    IF NOT fits THEN
        RAISE EXCEPTION 'role % does not belong in a % organization', NEW.role, org_kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_role_fits_org';
    END IF;
    RETURN NEW;
END $$;

-- Family sign-up (SECURITY DEFINER, reviewed): a person registering as a
-- family gets an organization of their own and is its first member. It can
-- only make a family organization with the caller as its one member, and
-- only for a caller who is in no family yet.
CREATE POLICY organizations_family_signup_read ON organizations FOR SELECT TO carethread_owner
    USING (kind = 'family');
CREATE POLICY organizations_family_signup ON organizations FOR INSERT TO carethread_owner
    WITH CHECK (kind = 'family');
CREATE POLICY memberships_family_signup_read ON memberships FOR SELECT TO carethread_owner
    USING (role = 'family');
CREATE POLICY memberships_family_signup ON memberships FOR INSERT TO carethread_owner
    WITH CHECK (role = 'family'
                AND organization_id IN (SELECT id FROM organizations WHERE kind = 'family'));

-- Families no longer join the platform organization by themselves (they
-- register into their own); clinicians still do.
DROP POLICY memberships_self_register ON memberships;
CREATE POLICY memberships_self_register ON memberships FOR INSERT TO carethread_app
    WITH CHECK (user_id = app_user_id()
                AND organization_id = platform_org_id()
                AND role = 'clinician');

CREATE FUNCTION family_signup(family_name text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    org uuid := gen_random_uuid();
BEGIN
    IF app_user_id() IS NULL THEN
        RAISE EXCEPTION 'family sign-up needs the registering person'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- One sign-up at a time per person, so two at once make one family.
    PERFORM pg_advisory_xact_lock(hashtextextended('family_signup:' || app_user_id()::text, 0));
    IF EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.organization_id
               WHERE m.user_id = app_user_id() AND o.kind = 'family') THEN
        RAISE EXCEPTION 'already in a family'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'memberships_one_role_per_org';
    END IF;
    INSERT INTO organizations (id, kind, name) VALUES (org, 'family', family_name);
    INSERT INTO memberships (organization_id, user_id, role) VALUES (org, app_user_id(), 'family');
    RETURN org;
END $$;
REVOKE ALL ON FUNCTION family_signup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION family_signup(text) TO carethread_app;

-- The people a family books care for. Their name, birth date, street
-- address and notes are sealed by the application (app::vault, AES-256-GCM,
-- the row's place bound in); what matching needs (ZIP, care types,
-- diagnosis codes, language) and the initials mail may carry are kept clear
-- — still PHI, guarded by row-level security like the rest.
CREATE TABLE care_recipients (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL,
    initials        text NOT NULL CHECK (initials ~ '^[A-Z]{2,3}$'),
    zip             char(5) NOT NULL REFERENCES zip_codes (zip),
    care_types      care_type[] NOT NULL CHECK (cardinality(care_types) BETWEEN 1 AND 8),
    diagnoses       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(diagnoses) <= 12),
    language        text NOT NULL CHECK (char_length(language) BETWEEN 2 AND 40),
    key_id          text NOT NULL CHECK (char_length(key_id) BETWEEN 1 AND 40),
    sealed          bytea NOT NULL,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);

ALTER TABLE care_recipients ENABLE ROW LEVEL SECURITY;
ALTER TABLE care_recipients FORCE ROW LEVEL SECURITY;
CREATE POLICY care_recipients_tenant_guard ON care_recipients AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id())
    WITH CHECK (organization_id = app_org_id());
-- Family members of a family organization (never the platform's, where
-- family accounts from before family organizations act).
CREATE POLICY care_recipients_family ON care_recipients FOR ALL TO carethread_app
    USING (app_role() = 'family' AND organization_id <> platform_org_id())
    WITH CHECK (app_role() = 'family' AND organization_id <> platform_org_id());
GRANT SELECT, INSERT ON care_recipients TO carethread_app;
