-- Identity and tenancy (SPEC §1 and §4, DESIGN "Tenancy and row-level
-- security"): organizations, users, credentials, memberships with a role,
-- invitations, sign-in sessions, the login log and password-reset tokens.
--
-- Row-level security for these tables is in the next migration; this one
-- holds the shapes and the integrity rules.
--
-- Vocabulary used by the policies:
-- - a *tenant table* has an `organization_id` column; its primary key and
--   every unique constraint include that column, and so does every foreign
--   key to another tenant table (a schema lint checks all three);
-- - a *party table* belongs to one user (`user_id`) and is scoped to them.
--
-- Families and independent clinicians are members of the platform
-- organization (the marketplace the operator runs), so every membership has
-- an organization and every audit event a chain to belong to.

CREATE TYPE organization_kind AS ENUM ('clinic', 'referrer', 'platform');

CREATE TYPE member_role AS ENUM (
    'platform_admin', -- the operator: organizations, verification, trust content
    'clinic_admin',   -- a clinic's administrator: staff, settings, audit log
    'clinic_staff',   -- intake, scheduling: the referral inbox
    'referrer',       -- a hospital discharge planner
    'clinician',      -- an independent licensed professional
    'family'          -- a family member booking care
);

-- The identity of the current transaction, set by the application with
-- set_config(..., true) (transaction-local, bind parameters) and read by
-- every policy. `current_setting(.., true)` answers '' rather than NULL
-- after a transaction that set it has ended, hence the NULLIFs.
CREATE FUNCTION app_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;

CREATE FUNCTION app_role() RETURNS member_role
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.role', true), '')::member_role $$;

-- Set only by the sign-in and reset-request flows (lower-cased address):
-- lets an unauthenticated request see exactly the one account it names.
CREATE FUNCTION app_login_email() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.login_email', true), '') $$;

-- Set only by flows that hold an emailed token (reset, invitation): the
-- SHA-256 of the token, hex. The token itself is never stored.
CREATE FUNCTION app_token_hash() RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT decode(NULLIF(current_setting('app.token_hash', true), ''), 'hex') $$;

-- The operator's own organization. Fixed, so policies and the application
-- can name it without a lookup.
CREATE FUNCTION platform_org_id() RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '00000000-0000-4000-8000-000000000001'::uuid $$;

CREATE TABLE organizations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind       organization_kind NOT NULL,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 160),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_platform_id CHECK ((kind = 'platform') = (id = platform_org_id()))
);

INSERT INTO organizations (id, kind, name)
VALUES (platform_org_id(), 'platform', 'Carethread platform');

CREATE TABLE users (
    id           uuid PRIMARY KEY,
    email        text NOT NULL
        CHECK (char_length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
    display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
    created_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz
);
-- One account per address, whatever its case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Secrets apart from the profile, so that colleagues who may read a name
-- can never read a hash. Whether an account is locked is not stored: it
-- is computed from login_attempts (failures since the last success or
-- reset, within the lockout window), the same way for addresses with no
-- account, so the answer never tells the two apart.
CREATE TABLE user_credentials (
    user_id             uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    password_hash       text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            member_role NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    -- One role per person per organization; a role change is an update.
    CONSTRAINT memberships_one_role_per_org UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- A role only makes sense in its kind of organization.
CREATE FUNCTION memberships_check_role_fits() RETURNS trigger
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
        -- Missing, or not visible to this caller: either way, not theirs.
        RAISE EXCEPTION 'no such organization'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'memberships_organization_id_fkey';
    END IF;
    fits := CASE org_kind
        WHEN 'platform' THEN NEW.role IN ('platform_admin', 'clinician', 'family')
        WHEN 'clinic'   THEN NEW.role IN ('clinic_admin', 'clinic_staff', 'clinician')
        WHEN 'referrer' THEN NEW.role = 'referrer'
    END;
    IF NOT fits THEN
        RAISE EXCEPTION 'role % does not belong in a % organization', NEW.role, org_kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_role_fits_org';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER memberships_role_fits_org
    BEFORE INSERT OR UPDATE OF role, organization_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_check_role_fits();

-- Emailed invitations to join an organization with a role. The token is
-- stored only as its SHA-256.
CREATE TABLE invitations (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    email           text NOT NULL
        CHECK (char_length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
    role            member_role NOT NULL
        CHECK (role NOT IN ('platform_admin', 'family')),
    token_hash      bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    invited_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    accepted_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at      timestamptz,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT invitations_token_key UNIQUE (organization_id, token_hash),
    CONSTRAINT invitations_expiry_after_creation CHECK (expires_at > created_at),
    CONSTRAINT invitations_settled_once CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
-- Token lookups come before the organization is known.
CREATE INDEX invitations_token_idx ON invitations (token_hash);
-- At most one open invitation per address and organization.
CREATE UNIQUE INDEX invitations_one_open_per_email
    ON invitations (organization_id, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- One row per sign-in: what the account page lists and what revocation
-- ends. The browser's cookie names a tower-sessions record, which names
-- this row; a request is signed in only while this row is live.
CREATE TABLE user_sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- The absolute limit, whatever the activity.
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    ended_reason text CHECK (ended_reason IN
        ('signed_out', 'revoked', 'password_changed', 'password_reset', 'expired', 'idle')),
    ip           inet,
    user_agent   text CHECK (char_length(user_agent) <= 400),
    CONSTRAINT user_sessions_ended_with_reason CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
);
CREATE INDEX user_sessions_live_idx ON user_sessions (user_id) WHERE ended_at IS NULL;

CREATE TYPE login_outcome AS ENUM (
    'success',
    'bad_password',   -- a known account, the wrong password
    'unknown_account',
    'locked',         -- refused without checking: too many recent failures
    'disabled',
    'password_reset'  -- not a sign-in: a completed reset, which clears the count
);

-- Every sign-in attempt, kept for the security review and for lockout.
CREATE TABLE login_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- As typed and lower-cased; unknown addresses are logged too.
    email        text NOT NULL CHECK (char_length(email) <= 320),
    user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    outcome      login_outcome NOT NULL,
    ip           inet,
    user_agent   text CHECK (char_length(user_agent) <= 400),
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, attempted_at DESC);
CREATE INDEX login_attempts_user_idx ON login_attempts (user_id, attempted_at DESC);

CREATE TABLE password_reset_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT password_reset_tokens_hash_key UNIQUE (token_hash),
    CONSTRAINT password_reset_tokens_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);

-- tower-sessions' records (tower-sessions-sqlx-store's layout). Created
-- here rather than by the store, so the owner role owns it and the
-- application role only gets the grants below.
CREATE TABLE web_sessions (
    id          text PRIMARY KEY,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry_idx ON web_sessions (expiry_date);
