-- A clinic's settings (issue 16, item 9): its public profile (phone,
-- address, website) and its service area, the ZIP codes it takes
-- patients in. Routing a referral passes over a clinic whose service area
-- leaves the patient's ZIP out. A business's contact details and area
-- are no one's PHI: every signed-in party may read them.

CREATE TABLE clinic_profiles (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id),
    phone           text CHECK (phone ~ '^[0-9]{10}$'),
    street_address  text CHECK (char_length(street_address) BETWEEN 1 AND 200),
    zip             char(5) REFERENCES zip_codes (zip),
    website         text CHECK (website ~ '^https://[^[:space:]]+$' AND char_length(website) <= 200),
    -- Empty: no limit (the clinicians' own radius decides).
    service_zips    char(5)[] NOT NULL DEFAULT '{}' CHECK (cardinality(service_zips) <= 500),
    updated_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE clinic_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic_profiles FORCE ROW LEVEL SECURITY;
-- Reads cross clinics (a referrer's routing reads every candidate's
-- area); writes never leave the caller's own organization.
CREATE POLICY clinic_profiles_tenant_guard ON clinic_profiles AS RESTRICTIVE TO carethread_app
    USING (true) WITH CHECK (organization_id = app_org_id());
CREATE POLICY clinic_profiles_read ON clinic_profiles FOR SELECT TO carethread_app
    USING (app_user_id() IS NOT NULL OR app_org_id() IS NOT NULL);
CREATE POLICY clinic_profiles_write ON clinic_profiles FOR INSERT TO carethread_app
    WITH CHECK (organization_id = app_org_id() AND app_role() = 'clinic_admin'
                AND updated_by = app_user_id());
CREATE POLICY clinic_profiles_change ON clinic_profiles FOR UPDATE TO carethread_app
    USING (organization_id = app_org_id() AND app_role() = 'clinic_admin')
    WITH CHECK (organization_id = app_org_id() AND app_role() = 'clinic_admin'
                AND updated_by = app_user_id());
GRANT SELECT, INSERT ON clinic_profiles TO carethread_app;
GRANT UPDATE (phone, street_address, zip, website, service_zips, updated_by, updated_at)
    ON clinic_profiles TO carethread_app;
