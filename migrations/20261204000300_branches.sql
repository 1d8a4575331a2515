-- Branches (issue 16, item 6): a clinic's offices, each serving a set of
-- ZIP codes (its counties). A staff member assigned to a branch sees that
-- branch's patients, visits and referrals and nothing else of the
-- clinic's; staff with no branch (the head office) and the clinic's
-- administrators see the whole clinic; a platform administrator sees
-- tenant data only under break-glass, as before. Enforced here, by
-- restrictive row-level security policies, so every door obeys it.

CREATE TABLE branches (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 80),
    -- New patients and referrals in these ZIP codes are the branch's.
    zips            char(5)[] NOT NULL DEFAULT '{}' CHECK (cardinality(zips) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    CONSTRAINT branches_name_key UNIQUE (organization_id, name)
);

ALTER TABLE branches ENABLE ROW LEVEL SECURITY;
ALTER TABLE branches FORCE ROW LEVEL SECURITY;
CREATE POLICY branches_tenant_guard ON branches AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY branches_read ON branches FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff'));
CREATE POLICY branches_manage ON branches FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinic_admin');
CREATE POLICY branches_change ON branches FOR UPDATE TO carethread_app
    USING (app_role() = 'clinic_admin') WITH CHECK (app_role() = 'clinic_admin');
GRANT SELECT, INSERT ON branches TO carethread_app;
GRANT UPDATE (name, zips) ON branches TO carethread_app;

-- A member's branch; none: the whole clinic. Only staff are scoped (an
-- administrator's branch, if any, is ignored: see app_branch_id).
ALTER TABLE memberships ADD COLUMN branch_id uuid;
ALTER TABLE memberships ADD CONSTRAINT memberships_branch_fk
    FOREIGN KEY (organization_id, branch_id) REFERENCES branches (organization_id, id);
GRANT UPDATE (branch_id) ON memberships TO carethread_app;

ALTER TABLE patients ADD COLUMN branch_id uuid;
ALTER TABLE patients ADD CONSTRAINT patients_branch_fk
    FOREIGN KEY (organization_id, branch_id) REFERENCES branches (organization_id, id);
ALTER TABLE visits ADD COLUMN branch_id uuid;
ALTER TABLE visits ADD CONSTRAINT visits_branch_fk
    FOREIGN KEY (organization_id, branch_id) REFERENCES branches (organization_id, id);
-- The receiving clinic's branch (the referral's own organization is the
-- referrer's).
ALTER TABLE referrals ADD COLUMN clinic_branch_id uuid;
ALTER TABLE referrals ADD CONSTRAINT referrals_clinic_branch_fk
    FOREIGN KEY (clinic_id, clinic_branch_id) REFERENCES branches (organization_id, id);
-- The worker mails a referral's news to its branch's staff only.
GRANT SELECT (clinic_branch_id) ON referrals TO carethread_worker;
CREATE INDEX patients_branch ON patients (organization_id, branch_id);
CREATE INDEX visits_branch ON visits (organization_id, branch_id);
CREATE INDEX referrals_clinic_branch ON referrals (clinic_id, clinic_branch_id);

-- The acting member's branch: set only for clinic staff assigned to one.
-- Read from the membership at each statement, so an assignment changes
-- what a signed-in person sees at once.
CREATE FUNCTION app_branch_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT m.branch_id FROM memberships m
    WHERE m.user_id = app_user_id() AND m.organization_id = app_org_id()
      AND m.role = 'clinic_staff'
$$;

-- The branch serving `zip` in `org`, if one does (the first by name).
CREATE FUNCTION branch_for_zip(org uuid, zip text) RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
    SELECT b.id FROM branches b
    WHERE b.organization_id = org AND zip::char(5) = ANY (b.zips)
    ORDER BY b.name, b.id LIMIT 1
$$;

-- The scope itself: restrictive, so it narrows every other policy. A
-- plain call, not a scalar subquery: a sublink here makes PostgreSQL
-- expand the referrals' other policies into a recursion. The call reads
-- the membership (indexed) per row checked.
CREATE POLICY patients_branch_scope ON patients AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR branch_id = app_branch_id())
    WITH CHECK (app_branch_id() IS NULL OR branch_id = app_branch_id());
CREATE POLICY visits_branch_scope ON visits AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR branch_id = app_branch_id())
    WITH CHECK (app_branch_id() IS NULL OR branch_id = app_branch_id());
CREATE POLICY referrals_branch_scope ON referrals AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR clinic_branch_id = app_branch_id())
    WITH CHECK (app_branch_id() IS NULL OR clinic_branch_id = app_branch_id());

-- A new patient is the branch's that serves their ZIP, or that of the
-- staff member who added them.
CREATE FUNCTION patients_assign_branch() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.branch_id IS NULL THEN
        NEW.branch_id := coalesce(app_branch_id(), branch_for_zip(NEW.organization_id, NEW.zip));
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER patients_assign_branch BEFORE INSERT ON patients
    FOR EACH ROW EXECUTE FUNCTION patients_assign_branch();

-- A visit is its patient's branch's.
CREATE FUNCTION visits_assign_branch() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.branch_id IS NULL THEN
        SELECT p.branch_id INTO NEW.branch_id FROM patients p
        WHERE p.organization_id = NEW.organization_id AND p.id = NEW.patient_id;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER visits_assign_branch BEFORE INSERT ON visits
    FOR EACH ROW EXECUTE FUNCTION visits_assign_branch();

-- A referral routed to a clinic is the branch's serving its ZIP. The
-- referrer cannot read the clinic's branches, so this runs as the owner;
-- it reads one clinic's branch list for one ZIP and writes one column.
CREATE FUNCTION referrals_assign_branch() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.clinic_id IS NULL THEN
        NEW.clinic_branch_id := NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.clinic_id IS DISTINCT FROM OLD.clinic_id THEN
        NEW.clinic_branch_id := branch_for_zip(NEW.clinic_id, NEW.zip);
    END IF;
    RETURN NEW;
END;
$$;
REVOKE EXECUTE ON FUNCTION referrals_assign_branch() FROM PUBLIC;
CREATE TRIGGER referrals_assign_branch BEFORE INSERT OR UPDATE OF clinic_id ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_assign_branch();
CREATE POLICY branches_by_routing ON branches FOR SELECT TO carethread_owner USING (true);

-- What hangs off a scoped row is scoped with it: a branch's staff reach a
-- referral's packet, documents, history and matches, a visit's signed log
-- and addenda, and a patient's intake links and signed forms only when
-- they can see the referral, the visit or the patient.
CREATE POLICY referral_packets_branch_scope ON referral_packets AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM referrals r WHERE r.organization_id = referral_packets.organization_id
                                    AND r.id = referral_packets.referral_id));
CREATE POLICY referral_attachments_branch_scope ON referral_attachments AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM referrals r WHERE r.organization_id = referral_attachments.organization_id
                                    AND r.id = referral_attachments.referral_id));
CREATE POLICY referral_history_branch_scope ON referral_history AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM referrals r WHERE r.organization_id = referral_history.organization_id
                                    AND r.id = referral_history.referral_id));
CREATE POLICY referral_matches_branch_scope ON referral_matches AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM referrals r WHERE r.organization_id = referral_matches.organization_id
                                    AND r.id = referral_matches.referral_id));
CREATE POLICY visit_logs_branch_scope ON visit_logs AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM visits v WHERE v.organization_id = visit_logs.organization_id
                                 AND v.id = visit_logs.visit_id));
CREATE POLICY visit_log_addenda_branch_scope ON visit_log_addenda AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM visits v WHERE v.organization_id = visit_log_addenda.organization_id
                                 AND v.id = visit_log_addenda.visit_id));
CREATE POLICY intake_links_branch_scope ON intake_links AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM patients p WHERE p.organization_id = intake_links.organization_id
                                   AND p.id = intake_links.patient_id));
CREATE POLICY intake_submissions_branch_scope ON intake_submissions AS RESTRICTIVE TO carethread_app
    USING (app_branch_id() IS NULL OR EXISTS (
        SELECT 1 FROM patients p WHERE p.organization_id = intake_submissions.organization_id
                                   AND p.id = intake_submissions.patient_id));
