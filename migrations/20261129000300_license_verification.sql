-- Each state license is verified on its own (security review: "verified
-- means verified"). Until now a platform administrator verified the
-- clinician's profile, and a verified clinician could then change a
-- license's state, number or expiry and stay in matching.
--
-- Now every license carries its own verification. A license is added as
-- pending, and changing its state, number or expiry sends it back to
-- pending: a trigger does both, so no code path can skip it. Only a
-- platform administrator verifies a license. Matching (and the developer
-- API's state filter) counts only verified, unexpired licenses.
--
-- Existing licenses start pending: nothing records whether a license was
-- changed after its clinician's profile was verified, so none can be
-- trusted. Platform administrators verify them from the queue (licenses
-- waiting come first); until then their clinicians are not matched.

ALTER TABLE clinician_licenses
    ADD COLUMN verification_status verification_status NOT NULL DEFAULT 'pending',
    ADD COLUMN verified_at timestamptz,
    -- The platform administrator who verified it (the audit log keeps the
    -- full record; the account may be gone).
    ADD COLUMN verified_by uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD CONSTRAINT clinician_licenses_verified_has_date
        CHECK (verification_status <> 'verified' OR verified_at IS NOT NULL);

-- New licenses wait; a change of what was verified sends a license back;
-- only platform administrators verify.
CREATE FUNCTION clinician_licenses_guard_verification() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Sessions that bypass row-level security (the administrative
        -- connection seeding demo data, benchmarks and test fixtures) may
        -- file a license as verified; every other session, the application
        -- included, adds it as pending.
        IF row_security_active(TG_RELID) THEN
            NEW.verification_status := 'pending';
            NEW.verified_at := NULL;
            NEW.verified_by := NULL;
        END IF;
        RETURN NEW;
    END IF;
    -- Whoever changes what was verified, the license goes back to the
    -- queue (even in the statement that tries to verify it).
    IF (NEW.clinician_id, NEW.state, NEW.number, NEW.expires_on)
       IS DISTINCT FROM (OLD.clinician_id, OLD.state, OLD.number, OLD.expires_on) THEN
        NEW.verification_status := 'pending';
        NEW.verified_at := NULL;
        NEW.verified_by := NULL;
        RETURN NEW;
    END IF;
    -- Clearing verified_by is the foreign key's ON DELETE SET NULL.
    IF app_role() IS DISTINCT FROM 'platform_admin'
       AND (NEW.verification_status IS DISTINCT FROM OLD.verification_status
            OR NEW.verified_at IS DISTINCT FROM OLD.verified_at
            OR (NEW.verified_by IS DISTINCT FROM OLD.verified_by AND NEW.verified_by IS NOT NULL)) THEN
        RAISE EXCEPTION 'only a platform administrator verifies licenses'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER clinician_licenses_guard_verification
    BEFORE INSERT OR UPDATE ON clinician_licenses
    FOR EACH ROW EXECUTE FUNCTION clinician_licenses_guard_verification();

-- Platform administrators set a license's verification (they already read
-- every license); the trigger above keeps them to the verification columns'
-- meaning, and a clinician to their own licenses' content.
CREATE POLICY clinician_licenses_verify ON clinician_licenses FOR UPDATE TO carethread_app
    USING (app_role() = 'platform_admin')
    WITH CHECK (app_role() = 'platform_admin');
