-- The developer API's keys and rate limits (SPEC §3).
--
-- A key is `ct_<environment>_<key_id>_<secret>`: the key_id finds the row,
-- the SHA-256 of the whole key proves it (the key itself is never stored;
-- it is shown once). A key acts for one organization with one role
-- (a referrer organization's keys as `referrer`, a clinic's as
-- `clinic_staff`), under the same row-level security as a person.
--
-- Sandbox keys are self-served: each gets its own sandbox organization
-- (a referring organization marked `sandbox`), whose referrals are never
-- routed to a real clinic, and whose searches see de-identified data.

ALTER TABLE organizations ADD COLUMN sandbox boolean NOT NULL DEFAULT false;
ALTER TABLE organizations ADD CONSTRAINT organizations_sandbox_refers
    CHECK (NOT sandbox OR kind = 'referrer');

CREATE TYPE api_environment AS ENUM ('sandbox', 'live');

CREATE TABLE api_keys (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    -- The public part of the key, for lookup.
    key_id          text NOT NULL CHECK (key_id ~ '^[a-z0-9]{12}$'),
    secret_hash     bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    environment     api_environment NOT NULL,
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    acts_as         member_role NOT NULL CHECK (acts_as IN ('referrer', 'clinic_staff')),
    -- Who made it (an administrator), or the address a sandbox key was sent to.
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    contact_email   text CHECK (char_length(contact_email) <= 254),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT api_keys_key_id_key UNIQUE (organization_id, key_id)
);
-- Lookups come before the organization is known.
CREATE INDEX api_keys_lookup_idx ON api_keys (key_id);

-- Limits per organization (sandbox organizations use the defaults).
CREATE TABLE api_rate_limits (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id),
    per_minute      integer NOT NULL CHECK (per_minute BETWEEN 1 AND 100000),
    per_day         integer NOT NULL CHECK (per_day BETWEEN 1 AND 100000000)
);

-- Requests per key per window. One row per key and window, incremented
-- atomically by every request, so every server process sees the same
-- count (fixed windows: a minute and a UTC day).
CREATE TABLE api_rate_counters (
    organization_id uuid NOT NULL,
    api_key_id      uuid NOT NULL,
    window_kind     text NOT NULL CHECK (window_kind IN ('minute', 'day')),
    window_start    timestamptz NOT NULL,
    hits            integer NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (organization_id, api_key_id, window_kind, window_start),
    FOREIGN KEY (organization_id, api_key_id) REFERENCES api_keys (organization_id, id) ON DELETE CASCADE
);

-- The key being presented (set only while authenticating a request).
CREATE FUNCTION app_api_key_id() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.api_key_id', true), '') $$;

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant_guard ON api_keys AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()
           OR app_role() = 'platform_admin'
           OR (app_org_id() IS NULL AND key_id = app_api_key_id()))
    WITH CHECK (organization_id = app_org_id() OR app_role() = 'platform_admin');
-- Authentication: the one key presented.
CREATE POLICY api_keys_authenticate ON api_keys FOR SELECT TO carethread_app
    USING (key_id = app_api_key_id());
CREATE POLICY api_keys_manage ON api_keys FOR ALL TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin'))
    WITH CHECK (app_role() IN ('clinic_admin', 'platform_admin') AND environment = 'live');
-- The key's own use (last_used_at) while it acts.
CREATE POLICY api_keys_touch ON api_keys FOR UPDATE TO carethread_app
    USING (key_id = app_api_key_id());
GRANT SELECT, INSERT ON api_keys TO carethread_app;
GRANT UPDATE (last_used_at, revoked_at) ON api_keys TO carethread_app;

ALTER TABLE api_rate_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_rate_limits FORCE ROW LEVEL SECURITY;
-- An organization sees its own limits; the platform administrator sets them.
CREATE POLICY api_rate_limits_tenant_guard ON api_rate_limits AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id() OR app_role() = 'platform_admin')
    WITH CHECK (app_role() = 'platform_admin');
CREATE POLICY api_rate_limits_read ON api_rate_limits FOR SELECT TO carethread_app
    USING (true);
CREATE POLICY api_rate_limits_set ON api_rate_limits FOR ALL TO carethread_app
    USING (app_role() = 'platform_admin') WITH CHECK (app_role() = 'platform_admin');
GRANT SELECT, INSERT, UPDATE ON api_rate_limits TO carethread_app;

ALTER TABLE api_rate_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_rate_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY api_rate_counters_tenant_guard ON api_rate_counters AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY api_rate_counters_count ON api_rate_counters FOR ALL TO carethread_app
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON api_rate_counters TO carethread_app;
-- Old windows are pruned by the worker.
CREATE POLICY api_rate_counters_prune ON api_rate_counters FOR DELETE TO carethread_worker
    USING (window_start < now() - interval '2 days');
CREATE POLICY api_rate_counters_prune_read ON api_rate_counters FOR SELECT TO carethread_worker
    USING (window_start < now() - interval '2 days');
GRANT SELECT, DELETE ON api_rate_counters TO carethread_worker;

-- Sandbox sign-up: anyone may get a sandbox key. This one narrow function
-- (SECURITY DEFINER, reviewed: it can only create a sandbox organization
-- and one sandbox key in it) does what an anonymous request may not.
CREATE POLICY organizations_sandbox_signup ON organizations FOR ALL TO carethread_owner
    USING (sandbox) WITH CHECK (sandbox AND kind = 'referrer');
CREATE POLICY api_keys_sandbox_signup ON api_keys FOR ALL TO carethread_owner
    USING (environment = 'sandbox') WITH CHECK (environment = 'sandbox');

CREATE FUNCTION sandbox_signup(contact text, new_key_id text, new_secret_hash bytea)
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    org uuid := gen_random_uuid();
BEGIN
    IF contact !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' OR char_length(contact) > 254 THEN
        RAISE EXCEPTION 'not an email address' USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO organizations (id, kind, name, sandbox)
    VALUES (org, 'referrer', 'Sandbox · ' || split_part(contact, '@', 2), true);
    INSERT INTO api_keys (organization_id, key_id, secret_hash, environment, name, acts_as, contact_email)
    VALUES (org, new_key_id, new_secret_hash, 'sandbox', 'Sandbox key', 'referrer', contact);
    RETURN org;
END $$;
REVOKE ALL ON FUNCTION sandbox_signup(text, text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandbox_signup(text, text, bytea) TO carethread_app;
