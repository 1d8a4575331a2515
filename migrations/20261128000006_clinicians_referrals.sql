-- Clinicians and discharge referrals (SPEC J1, J4 onboarding).
--
-- Clinicians are a platform directory: a clinician's own row (party:
-- user_id) plus verified entries that members of clinics and referring
-- organizations may see for matching. Licenses are per state with an
-- expiry; an expired license takes a clinician out of matching.
--
-- A referral belongs to the referring organization (organization_id) and,
-- once routed, to one receiving clinic (clinic_id): both are parties, and
-- the tenant guard admits exactly those two. `clinic_id` is marked as a
-- party column (COMMENT 'tenant-party') so the isolation property test
-- accepts rows the acting organization is a party to.

CREATE TYPE discipline AS ENUM ('rn', 'lpn', 'pt', 'ot', 'slp', 'hha', 'msw');

CREATE TYPE care_type AS ENUM (
    'skilled_nursing',
    'physical_therapy',
    'occupational_therapy',
    'speech_therapy',
    'home_health_aide',
    'medical_social_work'
);

CREATE TYPE verification_status AS ENUM ('pending', 'verified', 'rejected', 'suspended');

CREATE TABLE clinicians (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The clinician's account, when they have one (directory entries
    -- imported or seeded without an account have none).
    user_id              uuid UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    display_name         text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
    discipline           discipline NOT NULL,
    npi                  char(10) NOT NULL UNIQUE CHECK (npi ~ '^[12][0-9]{9}$'),
    home_zip             char(5) NOT NULL,
    -- The home ZIP's coordinates, copied so matching needs no join.
    lat                  double precision NOT NULL,
    lon                  double precision NOT NULL,
    service_radius_miles integer NOT NULL CHECK (service_radius_miles BETWEEN 1 AND 100),
    care_types           care_type[] NOT NULL CHECK (cardinality(care_types) >= 1),
    -- ICD-10-CM categories (3 characters, I50) the clinician has cared for.
    diagnosis_categories text[] NOT NULL DEFAULT '{}',
    skills               text[] NOT NULL DEFAULT '{}',
    languages            text[] NOT NULL DEFAULT '{en}',
    -- Weekdays open for new patients: bit 0 Monday … bit 6 Sunday.
    available_days       smallint NOT NULL DEFAULT 0 CHECK (available_days BETWEEN 0 AND 127),
    -- New patients the clinician can take now.
    open_slots           integer NOT NULL DEFAULT 0 CHECK (open_slots >= 0),
    verification_status  verification_status NOT NULL DEFAULT 'pending',
    verified_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clinicians_verified_has_date
        CHECK (verification_status <> 'verified' OR verified_at IS NOT NULL)
);
-- Matching: verified clinicians with room, by position. A btree over plain
-- numbers, because its comparisons are leakproof: under row-level security
-- PostgreSQL may only use leakproof operators in an index condition (the
-- geometric box operators are not, so a GiST index would go unused).
CREATE INDEX clinicians_match_idx ON clinicians (lat, lon)
    WHERE verification_status = 'verified' AND open_slots > 0;

CREATE TABLE clinician_licenses (
    clinician_id uuid NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    state        char(2) NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
    number       text NOT NULL CHECK (char_length(number) BETWEEN 3 AND 40),
    expires_on   date NOT NULL,
    PRIMARY KEY (clinician_id, state)
);
CREATE INDEX clinician_licenses_state_idx ON clinician_licenses (state, expires_on);

-- Which clinicians work with which clinic: a directory fact (no PHI), read
-- by referrers for routing and by the clinic for assigning, written by the
-- clinic's administrators.
CREATE TABLE clinic_affiliations (
    clinic_id    uuid NOT NULL REFERENCES organizations (id),
    clinician_id uuid NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, clinician_id)
);
CREATE INDEX clinic_affiliations_clinician_idx ON clinic_affiliations (clinician_id);

CREATE TYPE referral_priority AS ENUM ('routine', 'priority', 'urgent');

CREATE TYPE referral_status AS ENUM (
    'received', 'matched', 'accepted', 'declined', 'scheduled', 'first_visit_done', 'closed', 'cancelled'
);

CREATE TYPE decline_reason AS ENUM (
    'geography', 'not_homebound', 'exceeds_clinical_capability', 'no_capacity', 'payer', 'other'
);

-- The legal moves of the referral state machine; a trigger refuses any
-- other (the Rust enum holds the same table, and a test compares them).
CREATE TABLE referral_transitions (
    from_status referral_status NOT NULL,
    to_status   referral_status NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO referral_transitions VALUES
    ('received', 'matched'), ('received', 'accepted'), ('received', 'declined'), ('received', 'cancelled'),
    ('matched', 'accepted'), ('matched', 'declined'), ('matched', 'cancelled'),
    ('accepted', 'scheduled'), ('accepted', 'cancelled'),
    ('scheduled', 'first_visit_done'), ('scheduled', 'cancelled'),
    ('first_visit_done', 'closed');

CREATE TABLE referrals (
    -- The referring organization.
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    -- The receiving clinic, once routed (a party to the referral too).
    clinic_id         uuid REFERENCES organizations (id),
    -- A short reference for phone calls: R-XXXXXXXX.
    reference         text NOT NULL CHECK (reference ~ '^R-[0-9A-F]{8}$'),
    -- Minimum necessary PHI: initials, birth year, ZIP, diagnosis.
    patient_initials  text NOT NULL CHECK (patient_initials ~ '^[A-Z]{2,3}$'),
    patient_birth_year integer CHECK (patient_birth_year BETWEEN 1900 AND 2100),
    zip               char(5) NOT NULL REFERENCES zip_codes (zip),
    diagnosis_code    text NOT NULL REFERENCES icd10cm_codes (code),
    care_type         care_type NOT NULL,
    priority          referral_priority NOT NULL,
    requested_start   date NOT NULL,
    notes             text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 2000),
    status            referral_status NOT NULL DEFAULT 'received',
    decline_reason    decline_reason,
    -- The reason given with the latest change (required for other and for
    -- cancellations), copied into the history by the trigger.
    status_note       text CHECK (char_length(status_note) <= 500),
    assigned_clinician_id uuid REFERENCES clinicians (id),
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    CONSTRAINT referrals_reference_key UNIQUE (organization_id, reference),
    CONSTRAINT referrals_declined_has_reason
        CHECK ((status = 'declined') = (decline_reason IS NOT NULL)),
    CONSTRAINT referrals_other_reason_explained
        CHECK (decline_reason IS DISTINCT FROM 'other' OR char_length(coalesce(status_note, '')) > 0)
);
COMMENT ON COLUMN referrals.clinic_id IS 'tenant-party';
-- The inbox: a clinic's referrals, newest first (keyset pagination).
CREATE INDEX referrals_inbox_idx ON referrals (clinic_id, received_at DESC, id);
CREATE INDEX referrals_sent_idx ON referrals (organization_id, received_at DESC, id);

-- Every status change: who, when, from what to what, and why.
CREATE TABLE referral_history (
    organization_id uuid NOT NULL,
    referral_id     uuid NOT NULL,
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    clinic_id       uuid,
    from_status     referral_status,
    to_status       referral_status NOT NULL,
    reason          text,
    actor_user_id   uuid,
    -- The organization the actor acted for: shown to the other party,
    -- who may not see the person's name.
    actor_org_id    uuid,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, referral_id, seq),
    FOREIGN KEY (organization_id, referral_id) REFERENCES referrals (organization_id, id)
);
COMMENT ON COLUMN referral_history.clinic_id IS 'tenant-party';

-- The clinicians matching found, in rank order, with the explanation.
CREATE TABLE referral_matches (
    organization_id uuid NOT NULL,
    referral_id     uuid NOT NULL,
    rank            integer NOT NULL CHECK (rank >= 1),
    clinic_id       uuid,
    clinician_id    uuid NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    distance_miles  double precision NOT NULL CHECK (distance_miles >= 0),
    explanation     text NOT NULL,
    PRIMARY KEY (organization_id, referral_id, rank),
    FOREIGN KEY (organization_id, referral_id) REFERENCES referrals (organization_id, id)
);
COMMENT ON COLUMN referral_matches.clinic_id IS 'tenant-party';

-- Changes for notifications now and webhook delivery later: written in
-- the transaction of the change, thin (ids and codes, no PHI). The event
-- belongs to the referral's parties like the referral does. The worker
-- mails the people concerned and stamps notified_at.
CREATE TABLE domain_events (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    clinic_id       uuid REFERENCES organizations (id),
    event_type      text NOT NULL CHECK (event_type ~ '^[a-z]+\.[a-z_]+$'),
    subject_id      uuid NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    notified_at     timestamptz,
    PRIMARY KEY (organization_id, id)
);
COMMENT ON COLUMN domain_events.clinic_id IS 'tenant-party';
CREATE INDEX domain_events_unnotified_idx ON domain_events (occurred_at) WHERE notified_at IS NULL;

-- Enforces the state machine, and who may make which move: the referring
-- side routes and cancels, the clinic triages and schedules.
CREATE FUNCTION referrals_check_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    role member_role := app_role();
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'received' THEN
            RAISE EXCEPTION 'a referral starts as received, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.organization_id <> OLD.organization_id OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'a referral cannot move to another organization'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT 1 FROM referral_transitions t
                       WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
            RAISE EXCEPTION 'a referral cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_status_transition';
        END IF;
        IF role = 'referrer' AND NEW.status NOT IN ('matched', 'cancelled') THEN
            RAISE EXCEPTION 'the referring side cannot mark a referral %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF role IN ('clinic_admin', 'clinic_staff') AND NEW.status IN ('matched', 'cancelled') THEN
            RAISE EXCEPTION 'the clinic cannot mark a referral %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.updated_at := now();
    END IF;
    IF role IN ('clinic_admin', 'clinic_staff') AND NEW.clinic_id IS DISTINCT FROM OLD.clinic_id THEN
        RAISE EXCEPTION 'a clinic cannot re-route a referral'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF role = 'referrer' AND NEW.assigned_clinician_id IS DISTINCT FROM OLD.assigned_clinician_id THEN
        RAISE EXCEPTION 'the referring side cannot assign a clinician'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER referrals_check_change
    BEFORE INSERT OR UPDATE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_check_change();

-- Writes the history row of each status change (and of the creation).
CREATE FUNCTION referrals_record_history() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO referral_history
        (organization_id, referral_id, clinic_id, from_status, to_status, reason, actor_user_id,
         actor_org_id)
    VALUES (NEW.organization_id, NEW.id, NEW.clinic_id,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            NEW.status, NEW.status_note, app_user_id(), app_org_id());
    RETURN NULL;
END $$;

CREATE TRIGGER referrals_history_on_create
    AFTER INSERT ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_record_history();
CREATE TRIGGER referrals_history_on_change
    AFTER UPDATE ON referrals
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION referrals_record_history();

-- Events wake the mail worker (it mails the people concerned).
CREATE TRIGGER domain_events_notify
    AFTER INSERT ON domain_events
    FOR EACH STATEMENT EXECUTE FUNCTION mail_outbox_notify();
