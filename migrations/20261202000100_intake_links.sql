-- Sending intake forms and keeping what comes back (issue 15, SPEC J2).
--
-- A link (`intake_links`) asks one patient (or their family contact) to
-- answer one published form version. Its token signs once (afterwards it
-- shows the receipt, and for an hour the signer's copy), expires, can be
-- revoked, and is stored only as its SHA-256; the one reminder mails a
-- second token for the same link (the first keeps working: the patient may
-- have begun with it).
-- The holder of the token has no account: every step they take goes
-- through the SECURITY DEFINER functions below, keyed on the token's hash
-- (`app_token_hash()`), which is all they can name.
--
-- A submission (`intake_submissions`) is written once, when the patient
-- signs, and never changed: the sealed canonical document (RFC 8785: whose
-- it is, the version's hash, the answers, the signature, the consent
-- text and its hash, the time), its SHA-256, and the SHA-256 of the form
-- version it answered. Staff may only mark it reviewed.

CREATE TABLE intake_links (
    organization_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    form_id          uuid NOT NULL,
    version          integer NOT NULL,
    patient_id       uuid NOT NULL,
    recipient        text NOT NULL CHECK (recipient IN ('patient', 'family')),
    -- Mailed (or copied), and the address mailed, sealed by the application
    -- and dropped once the link is closed.
    emailed          boolean NOT NULL DEFAULT false,
    email_key_id     text CHECK (email_key_id ~ '^[a-z0-9-]{1,16}$'),
    email_sealed     bytea,
    token_hash       bytea NOT NULL CHECK (length(token_hash) = 32),
    -- The reminder's token (the first stays valid beside it).
    reminder_token_hash bytea CHECK (length(reminder_token_hash) = 32),
    expires_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    spent_at         timestamptz,
    reminders        integer NOT NULL DEFAULT 0 CHECK (reminders BETWEEN 0 AND 10),
    -- The patient's answers so far (sealed), resumable from any device.
    draft_key_id     text CHECK (draft_key_id ~ '^[a-z0-9-]{1,16}$'),
    draft_sealed     bytea,
    draft_updated_at timestamptz,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, form_id, version)
        REFERENCES intake_form_versions (organization_id, form_id, version),
    FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id),
    CONSTRAINT intake_links_email_pair CHECK ((email_key_id IS NULL) = (email_sealed IS NULL)
                                             AND (emailed OR email_sealed IS NULL)),
    CONSTRAINT intake_links_draft_pair CHECK ((draft_key_id IS NULL) = (draft_sealed IS NULL)),
    -- Unique with the organization (tenant keys stay distributable); a
    -- token is 256 random bits, so its hash names one link anywhere.
    CONSTRAINT intake_links_token UNIQUE (organization_id, token_hash),
    CONSTRAINT intake_links_reminder_token UNIQUE (organization_id, reminder_token_hash),
    CONSTRAINT intake_links_lifetime CHECK (expires_at > created_at
                                           AND expires_at <= created_at + interval '31 days')
);
CREATE INDEX intake_links_token_idx ON intake_links (token_hash);
CREATE INDEX intake_links_reminder_token_idx ON intake_links (reminder_token_hash);
CREATE INDEX intake_links_form_idx ON intake_links (organization_id, form_id, created_at DESC);
CREATE INDEX intake_links_patient_idx ON intake_links (organization_id, patient_id);

-- Only a published version is sent: what is answered is frozen.
CREATE FUNCTION intake_links_published() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM intake_form_versions v
                   WHERE v.organization_id = NEW.organization_id AND v.form_id = NEW.form_id
                     AND v.version = NEW.version AND v.published_at IS NOT NULL) THEN
        RAISE EXCEPTION 'only a published form version is sent'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'intake_links_published';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER intake_links_published
    BEFORE INSERT ON intake_links
    FOR EACH ROW EXECUTE FUNCTION intake_links_published();

-- Where a link stands: 'open', 'spent', 'revoked' or 'expired' (one
-- definition for every reader).
CREATE FUNCTION intake_link_state(spent_at timestamptz, revoked_at timestamptz,
                                  expires_at timestamptz) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
    SELECT CASE WHEN spent_at IS NOT NULL THEN 'spent'
                WHEN revoked_at IS NOT NULL THEN 'revoked'
                WHEN expires_at <= now() THEN 'expired'
                ELSE 'open' END
$$;

-- Withdrawing is one-way, and a withdrawn or signed link keeps nothing it
-- no longer needs: its draft and the address it was mailed to go.
CREATE FUNCTION intake_links_close() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'a withdrawn intake link stays withdrawn'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'intake_links_close';
    END IF;
    IF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
        NEW.revoked_at := now();
    END IF;
    IF NEW.revoked_at IS NOT NULL OR NEW.spent_at IS NOT NULL THEN
        NEW.draft_key_id := NULL;
        NEW.draft_sealed := NULL;
        NEW.email_key_id := NULL;
        NEW.email_sealed := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER intake_links_close
    BEFORE UPDATE ON intake_links
    FOR EACH ROW EXECUTE FUNCTION intake_links_close();

CREATE TABLE intake_submissions (
    organization_id uuid NOT NULL,
    id              uuid NOT NULL,
    link_id         uuid NOT NULL,
    form_id         uuid NOT NULL,
    version         integer NOT NULL,
    -- The answered version's hash, copied from it when signed.
    form_sha256     bytea NOT NULL CHECK (length(form_sha256) = 32),
    patient_id      uuid NOT NULL,
    -- The sealed canonical document (`app::intake::fill::Document`).
    key_id          text NOT NULL CHECK (key_id ~ '^[a-z0-9-]{1,16}$'),
    sealed          bytea NOT NULL,
    -- SHA-256 of the canonical document: what the receipt shows and
    -- `/verify` answers for.
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    signature_kind  text NOT NULL CHECK (signature_kind IN ('typed', 'drawn')),
    consent_sha256  bytea NOT NULL CHECK (length(consent_sha256) = 32),
    ip              inet,
    user_agent      text CHECK (char_length(user_agent) <= 500),
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    reviewed_by     uuid REFERENCES users (id),
    reviewed_at     timestamptz,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, link_id),
    UNIQUE (organization_id, sha256),
    FOREIGN KEY (organization_id, link_id) REFERENCES intake_links (organization_id, id),
    FOREIGN KEY (organization_id, form_id, version)
        REFERENCES intake_form_versions (organization_id, form_id, version),
    FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id),
    CONSTRAINT intake_submissions_review_pair CHECK ((reviewed_by IS NULL) = (reviewed_at IS NULL))
);
CREATE INDEX intake_submissions_sha256_idx ON intake_submissions (sha256);
CREATE INDEX intake_submissions_form_idx ON intake_submissions (organization_id, form_id, submitted_at DESC);
CREATE INDEX intake_submissions_patient_idx ON intake_submissions (organization_id, patient_id);

-- Signed is signed: only the review columns ever change, once.
CREATE FUNCTION intake_submissions_frozen() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR (NEW.organization_id, NEW.id, NEW.link_id, NEW.form_id, NEW.version, NEW.form_sha256,
           NEW.patient_id, NEW.key_id, NEW.sealed, NEW.sha256, NEW.signature_kind,
           NEW.consent_sha256, NEW.ip, NEW.user_agent, NEW.submitted_at)
          IS DISTINCT FROM
          (OLD.organization_id, OLD.id, OLD.link_id, OLD.form_id, OLD.version, OLD.form_sha256,
           OLD.patient_id, OLD.key_id, OLD.sealed, OLD.sha256, OLD.signature_kind,
           OLD.consent_sha256, OLD.ip, OLD.user_agent, OLD.submitted_at)
       OR OLD.reviewed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a signed intake submission is never changed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'intake_submissions_frozen';
    END IF;
    IF NEW.reviewed_at IS NOT NULL THEN
        NEW.reviewed_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER intake_submissions_frozen
    BEFORE UPDATE OR DELETE ON intake_submissions
    FOR EACH ROW EXECUTE FUNCTION intake_submissions_frozen();

-- Clinic staff: their organization's links and submissions.
ALTER TABLE intake_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake_links FORCE ROW LEVEL SECURITY;
CREATE POLICY intake_links_tenant_guard ON intake_links AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY intake_links_clinic ON intake_links FOR ALL TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL)
    WITH CHECK (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL);
-- Sent as oneself.
CREATE POLICY intake_links_sender ON intake_links AS RESTRICTIVE FOR INSERT TO carethread_app
    WITH CHECK (created_by = app_user_id());
-- Staff never read tokens or what the patient has typed so far.
GRANT SELECT (organization_id, id, form_id, version, patient_id, recipient, emailed,
              expires_at, revoked_at, spent_at, reminders, created_by, created_at)
    ON intake_links TO carethread_app;
GRANT INSERT (organization_id, id, form_id, version, patient_id, recipient, emailed,
              email_key_id, email_sealed, token_hash, expires_at, created_by)
    ON intake_links TO carethread_app;
GRANT UPDATE (revoked_at) ON intake_links TO carethread_app;

ALTER TABLE intake_submissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake_submissions FORCE ROW LEVEL SECURITY;
CREATE POLICY intake_submissions_tenant_guard ON intake_submissions AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY intake_submissions_clinic ON intake_submissions FOR ALL TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL)
    WITH CHECK (app_role() IN ('clinic_admin', 'clinic_staff') AND app_user_id() IS NOT NULL);
-- No INSERT: only the token holder signs, through intake_link_submit.
GRANT SELECT ON intake_submissions TO carethread_app;
GRANT UPDATE (reviewed_by, reviewed_at) ON intake_submissions TO carethread_app;
-- Reviewed as oneself.
CREATE POLICY intake_submissions_reviewer ON intake_submissions AS RESTRICTIVE FOR UPDATE
    TO carethread_app
    USING (true) WITH CHECK (reviewed_by = app_user_id());
-- A clinic's API keys read its forms and what was signed (FHIR
-- Questionnaire and QuestionnaireResponse); they change nothing.
CREATE POLICY intake_forms_api_read ON intake_forms FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND app_actor_api_key() IS NOT NULL);
CREATE POLICY intake_form_versions_api_read ON intake_form_versions FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND app_actor_api_key() IS NOT NULL
           AND published_at IS NOT NULL);
CREATE POLICY intake_submissions_api_read ON intake_submissions FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND app_actor_api_key() IS NOT NULL);

-- The owner role runs only the SECURITY DEFINER functions below (nobody
-- connects as it), and row-level security is forced on it too: these
-- policies let those functions read and write what they name, and nothing
-- else reaches the owner's rights.
CREATE POLICY intake_links_by_function ON intake_links FOR SELECT TO carethread_owner
    USING (true);
CREATE POLICY intake_links_by_function_update ON intake_links FOR UPDATE TO carethread_owner
    USING (true) WITH CHECK (true);
CREATE POLICY intake_submissions_by_function ON intake_submissions FOR SELECT TO carethread_owner
    USING (true);
CREATE POLICY intake_submissions_by_function_insert ON intake_submissions FOR INSERT
    TO carethread_owner WITH CHECK (true);
CREATE POLICY intake_forms_by_function ON intake_forms FOR SELECT TO carethread_owner USING (true);
CREATE POLICY intake_form_versions_by_function ON intake_form_versions FOR SELECT TO carethread_owner
    USING (true);
-- Clinics' names (a link's holder and `/verify` see the clinic's name).
CREATE POLICY organizations_intake_read ON organizations FOR SELECT TO carethread_owner
    USING (kind = 'clinic');
-- The intake events the functions below write, each in the chain of the
-- clinic its link or submission belongs to, as nobody proven.
CREATE POLICY audit_events_intake ON audit_events FOR INSERT TO carethread_owner
    WITH CHECK (actor_type = 'anonymous' AND CASE audit_events.subject_type
        WHEN 'intake_link' THEN audit_events.action = 'intake.link_reminded'
            AND EXISTS (SELECT 1 FROM intake_links l
                        WHERE l.organization_id = audit_events.organization_id
                          AND l.id = audit_events.subject_id::uuid)
        WHEN 'intake_submission' THEN audit_events.action IN ('intake.submission_received',
                                                              'intake.signature_captured',
                                                              'intake.copy_downloaded')
            AND EXISTS (SELECT 1 FROM intake_submissions s
                        WHERE s.organization_id = audit_events.organization_id
                          AND s.id = audit_events.subject_id::uuid)
        ELSE false END);

-- The token holder's doors. Each names nothing but the token (its hash in
-- `app.token_hash`: the first or the reminder's), and answers nothing a
-- token does not already know.

-- The link, its form version and its state (`intake_link_state`). For a
-- spent link, its submission's id, hash and time (the receipt).
CREATE FUNCTION intake_link_for_token()
    RETURNS TABLE (organization_id uuid, id uuid, form_id uuid, patient_id uuid, clinic text,
                   form_title text, version integer, canonical bytea, form_sha256 bytea,
                   state text, expires_at timestamptz, draft_key_id text, draft_sealed bytea,
                   draft_updated_at timestamptz, submission_id uuid, submission_sha256 bytea,
                   submitted_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT l.organization_id, l.id, l.form_id, l.patient_id, o.name, f.title, l.version,
           v.canonical, v.sha256, intake_link_state(l.spent_at, l.revoked_at, l.expires_at), l.expires_at, l.draft_key_id,
           l.draft_sealed, l.draft_updated_at, s.id, s.sha256, s.submitted_at
    FROM intake_links l
    JOIN organizations o ON o.id = l.organization_id
    JOIN intake_forms f ON f.organization_id = l.organization_id AND f.id = l.form_id
    JOIN intake_form_versions v ON v.organization_id = l.organization_id
                               AND v.form_id = l.form_id AND v.version = l.version
    LEFT JOIN intake_submissions s ON s.organization_id = l.organization_id AND s.link_id = l.id
    WHERE app_token_hash() IS NOT NULL
      AND app_token_hash() IN (l.token_hash, l.reminder_token_hash)
$$;

-- Keeps the token holder's answers so far, on an open link, if the draft
-- is still the one they read (`p_read`, its time; NULL for none): two
-- devices saving at once do not overwrite each other unseen. Whether it
-- did.
CREATE FUNCTION intake_link_save_draft(p_key_id text, p_sealed bytea, p_read timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    UPDATE intake_links l
    SET draft_key_id = p_key_id, draft_sealed = p_sealed, draft_updated_at = clock_timestamp()
    WHERE app_token_hash() IS NOT NULL
      AND app_token_hash() IN (l.token_hash, l.reminder_token_hash)
      AND intake_link_state(l.spent_at, l.revoked_at, l.expires_at) = 'open'
      AND l.draft_updated_at IS NOT DISTINCT FROM p_read;
    RETURN FOUND;
END $$;

-- Signs: stores the submission (pinned to the version's hash), spends the
-- token, drops the draft and writes the two audit events into the clinic's
-- chain, all at once. `p_signed_at` is the time inside the signed document
-- (the database's clock, read moments before). Answers 'signed', or what
-- stopped it ('spent', 'revoked', 'expired'; 'missing' for a token that
-- names no link; 'clock' for a time that is not now).
CREATE FUNCTION intake_link_submit(p_id uuid, p_key_id text, p_sealed bytea, p_sha256 bytea,
                                   p_signature_kind text, p_consent_sha256 bytea,
                                   p_ip inet, p_user_agent text, p_signed_at timestamptz)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    l intake_links%ROWTYPE;
    hash bytea;
BEGIN
    SELECT * INTO l FROM intake_links x
    WHERE app_token_hash() IS NOT NULL
      AND app_token_hash() IN (x.token_hash, x.reminder_token_hash)
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'missing';
    END IF;
    IF intake_link_state(l.spent_at, l.revoked_at, l.expires_at) <> 'open' THEN
        RETURN intake_link_state(l.spent_at, l.revoked_at, l.expires_at);
    END IF;
    -- The time inside the document is the database's, read just before.
    IF p_signed_at > clock_timestamp() OR p_signed_at < clock_timestamp() - interval '10 minutes' THEN
        RETURN 'clock';
    END IF;
    SELECT v.sha256 INTO hash FROM intake_form_versions v
    WHERE v.organization_id = l.organization_id AND v.form_id = l.form_id AND v.version = l.version;
    INSERT INTO intake_submissions (organization_id, id, link_id, form_id, version, form_sha256,
                                    patient_id, key_id, sealed, sha256, signature_kind,
                                    consent_sha256, ip, user_agent, submitted_at)
    VALUES (l.organization_id, p_id, l.id, l.form_id, l.version, hash, l.patient_id, p_key_id,
            p_sealed, p_sha256, p_signature_kind, p_consent_sha256, p_ip, left(p_user_agent, 500),
            p_signed_at);
    UPDATE intake_links SET spent_at = now()
    WHERE organization_id = l.organization_id AND id = l.id;
    INSERT INTO audit_events (organization_id, actor_type, action, subject_type, subject_id, ip, details)
    VALUES (l.organization_id, 'anonymous', 'intake.submission_received', 'intake_submission',
            p_id::text, p_ip,
            jsonb_build_object('form_id', l.form_id, 'version', l.version,
                               'form_sha256', encode(hash, 'hex'), 'sha256', encode(p_sha256, 'hex'),
                               'patient_id', l.patient_id)),
           (l.organization_id, 'anonymous', 'intake.signature_captured', 'intake_submission',
            p_id::text, p_ip,
            jsonb_build_object('kind', p_signature_kind,
                               'consent_sha256', encode(p_consent_sha256, 'hex')));
    RETURN 'signed';
END $$;

-- `/verify`: the submissions with this hash, with the sealed document and
-- the clinic's name (the application opens the document, hashes it again
-- and answers from what it says, so a document changed in the database no
-- longer verifies).
CREATE FUNCTION intake_verify(p_sha256 bytea)
    RETURNS TABLE (organization_id uuid, id uuid, clinic text, key_id text, sealed bytea)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT s.organization_id, s.id, o.name, s.key_id, s.sealed
    FROM intake_submissions s JOIN organizations o ON o.id = s.organization_id
    WHERE s.sha256 = p_sha256
    LIMIT 5
$$;

-- The signer's copy: the sealed document of the token's submission, for an
-- hour after signing (the token is in mail and browser history long after
-- that), each download audited in the clinic's chain.
CREATE FUNCTION intake_link_copy(p_ip inet)
    RETURNS TABLE (id uuid, key_id text, sealed bytea)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    s intake_submissions%ROWTYPE;
BEGIN
    SELECT x.* INTO s FROM intake_submissions x JOIN intake_links l
        ON l.organization_id = x.organization_id AND l.id = x.link_id
    WHERE app_token_hash() IS NOT NULL
      AND app_token_hash() IN (l.token_hash, l.reminder_token_hash)
      AND l.spent_at > now() - interval '1 hour';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO audit_events (organization_id, actor_type, action, subject_type, subject_id, ip)
    VALUES (s.organization_id, 'anonymous', 'intake.copy_downloaded', 'intake_submission',
            s.id::text, p_ip);
    RETURN QUERY SELECT s.id, s.key_id, s.sealed;
END $$;

-- The one reminder of an open, mailed link that nobody has begun: a second
-- token for it (the first stays valid). The sealed address and the
-- clinic's name, for the mail, and an audit event in the clinic's chain
-- (as nobody proven: a job acts for no one);
-- nothing when the link is closed, begun, was not mailed or was reminded
-- already.
CREATE FUNCTION intake_link_remind(p_org uuid, p_id uuid, p_token_hash bytea)
    RETURNS TABLE (clinic text, email_key_id text, email_sealed bytea, expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
    UPDATE intake_links l SET reminder_token_hash = p_token_hash, reminders = l.reminders + 1
    FROM organizations o
    WHERE l.organization_id = p_org AND l.id = p_id AND o.id = l.organization_id
      AND intake_link_state(l.spent_at, l.revoked_at, l.expires_at) = 'open' AND l.draft_updated_at IS NULL
      AND l.email_sealed IS NOT NULL AND l.reminders = 0
    RETURNING o.name, l.email_key_id, l.email_sealed, l.expires_at;
    IF FOUND THEN
        INSERT INTO audit_events (organization_id, actor_type, action, subject_type, subject_id, details)
        VALUES (p_org, 'anonymous', 'intake.link_reminded', 'intake_link', p_id::text,
                '{"by": "the reminder job"}'::jsonb);
    END IF;
END $$;

-- Housekeeping: an expired link keeps neither the patient's unfinished
-- answers nor the address it was mailed to. How many it cleared.
CREATE FUNCTION intake_links_prune() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    WITH cleared AS (
        UPDATE intake_links
        SET draft_key_id = NULL, draft_sealed = NULL, email_key_id = NULL, email_sealed = NULL
        WHERE expires_at <= now() AND (draft_sealed IS NOT NULL OR email_sealed IS NOT NULL)
        RETURNING 1)
    SELECT count(*) FROM cleared
$$;

-- A mailed link's reminder, filed when it is sent: halfway to its expiry.
CREATE FUNCTION jobs_file_intake_reminder() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO jobs (kind, payload, run_at)
    VALUES ('intake.remind',
            jsonb_build_object('organization_id', NEW.organization_id, 'link_id', NEW.id),
            NEW.created_at + (NEW.expires_at - NEW.created_at) / 2);
    RETURN NULL;
END $$;
CREATE TRIGGER intake_links_reminder
    AFTER INSERT ON intake_links
    FOR EACH ROW WHEN (NEW.email_sealed IS NOT NULL)
    EXECUTE FUNCTION jobs_file_intake_reminder();

REVOKE ALL ON FUNCTION intake_link_for_token(), intake_link_save_draft(text, bytea, timestamptz),
    intake_link_submit(uuid, text, bytea, bytea, text, bytea, inet, text, timestamptz),
    intake_link_copy(inet), intake_verify(bytea), intake_link_remind(uuid, uuid, bytea), intake_links_prune(),
    jobs_file_intake_reminder() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION intake_link_for_token(), intake_link_save_draft(text, bytea, timestamptz),
    intake_link_submit(uuid, text, bytea, bytea, text, bytea, inet, text, timestamptz),
    intake_link_copy(inet), intake_verify(bytea)
    TO carethread_app;
GRANT EXECUTE ON FUNCTION intake_link_remind(uuid, uuid, bytea), intake_links_prune()
    TO carethread_worker;
