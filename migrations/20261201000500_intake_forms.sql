-- Intake forms (issue 15, SPEC J2): a clinic's forms and their versions.
-- A version is a draft until it is published; publishing freezes it with
-- the SHA-256 of its canonical definition (RFC 8785, computed by
-- `app::intake::form::canonical`), and a submission will pin that hash.
-- Editing a published form works on a draft of the next version. Form
-- definitions hold no PHI (questions, not answers).

CREATE TABLE intake_forms (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    title           text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);

CREATE TABLE intake_form_versions (
    organization_id uuid NOT NULL,
    form_id         uuid NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    definition      jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'
                                          AND octet_length(definition::text) <= 200000),
    -- Set once, when published: the canonical definition's bytes (RFC
    -- 8785) as hashed, and their SHA-256 — what a submission pins and a
    -- verifier recomputes, whatever later code makes of `definition`.
    canonical       bytea,
    sha256          bytea CHECK (length(sha256) = 32),
    published_at    timestamptz,
    published_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, form_id, version),
    FOREIGN KEY (organization_id, form_id) REFERENCES intake_forms (organization_id, id),
    CONSTRAINT intake_form_versions_published CHECK ((published_at IS NULL) = (sha256 IS NULL)
                                                     AND (sha256 IS NULL) = (canonical IS NULL)),
    CONSTRAINT intake_form_versions_hash CHECK (sha256 IS NULL OR sha256 = sha256(canonical))
);
-- One draft at a time per form.
CREATE UNIQUE INDEX intake_form_versions_one_draft ON intake_form_versions (organization_id, form_id)
    WHERE published_at IS NULL;

-- A published version is frozen, for every role: what was answered is
-- exactly what was published.
CREATE FUNCTION intake_form_versions_frozen() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF OLD.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'a published form version is never changed; edit a draft of the next version'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'intake_form_versions_frozen';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER intake_form_versions_frozen
    BEFORE UPDATE OR DELETE ON intake_form_versions
    FOR EACH ROW EXECUTE FUNCTION intake_form_versions_frozen();

ALTER TABLE intake_forms ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake_forms FORCE ROW LEVEL SECURITY;
CREATE POLICY intake_forms_tenant_guard ON intake_forms AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
-- A clinic's people (not its API keys) build its forms.
CREATE POLICY intake_forms_clinic ON intake_forms FOR ALL TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL)
    WITH CHECK (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL);
GRANT SELECT, INSERT ON intake_forms TO carethread_app;
GRANT UPDATE (title) ON intake_forms TO carethread_app;

ALTER TABLE intake_form_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake_form_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY intake_form_versions_tenant_guard ON intake_form_versions AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY intake_form_versions_clinic ON intake_form_versions FOR ALL TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL)
    WITH CHECK (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL);
GRANT SELECT, INSERT, DELETE ON intake_form_versions TO carethread_app;
GRANT UPDATE (definition, canonical, sha256, published_at, published_by) ON intake_form_versions TO carethread_app;
