-- Platform administrators reach tenant PHI only by break-glass (SPEC §7,
-- security review).
--
-- 1. No key minting for another organization: live API keys are made by
--    the organization's own clinic administrators (and by the operator's
--    command on the administrative connection). A platform administrator
--    still sees and may revoke keys, never creates one.
--
-- 2. Break-glass: a platform administrator opens a grant for one
--    organization with a reason, for at most an hour. While it lasts (the
--    policies compare `now()` with `expires_at`, so an expired grant reads
--    nothing), their transaction acting for that organization
--    (`app.org_id` = the tenant, `app.role` = 'platform_admin',
--    `app.break_glass` = the grant) may SELECT its referrals, their
--    history and matches. There is no write policy for it: read-only is
--    kept by the database. Every event it writes goes to the tenant's own
--    chain with the actor kind `break_glass`, naming the administrator and
--    the grant. The tenant's clinic administrators see the grants.

-- API keys -------------------------------------------------------------------
DROP POLICY api_keys_manage ON api_keys;
CREATE POLICY api_keys_read ON api_keys FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin'));
CREATE POLICY api_keys_revoke ON api_keys FOR UPDATE TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin'))
    WITH CHECK (app_role() IN ('clinic_admin', 'platform_admin') AND environment = 'live');
-- Only an organization's own administrator, for that organization, as
-- themselves.
CREATE POLICY api_keys_create ON api_keys FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'clinic_admin'
                AND organization_id = app_org_id()
                AND environment = 'live'
                AND created_by IS NOT DISTINCT FROM app_user_id());

-- Break-glass grants ------------------------------------------------------------
CREATE TABLE break_glass_grants (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL,
    -- The platform administrator; their name as it was when they opened
    -- it (the tenant's administrators do not otherwise see the operator's
    -- accounts).
    admin_user_id   uuid NOT NULL REFERENCES users (id),
    admin_name      text NOT NULL CHECK (char_length(admin_name) BETWEEN 1 AND 120),
    reason          text NOT NULL CHECK (char_length(reason) BETWEEN 10 AND 500),
    opened_at       timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT break_glass_grants_duration
        CHECK (expires_at > opened_at AND expires_at <= opened_at + interval '60 minutes'),
    CONSTRAINT break_glass_grants_tenant CHECK (organization_id <> platform_org_id())
);
CREATE INDEX break_glass_grants_recent_idx ON break_glass_grants (organization_id, opened_at DESC);

-- The grant a break-glass transaction acts under.
CREATE FUNCTION app_break_glass() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.break_glass', true), '')::uuid $$;

-- Whether this transaction is a platform administrator's under a live
-- grant for the organization it acts for. SECURITY INVOKER: it sees the
-- grant through the policies below.
CREATE FUNCTION app_break_glass_live() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT app_role() = 'platform_admin'
       AND app_break_glass() IS NOT NULL
       AND EXISTS (SELECT 1 FROM break_glass_grants g
                   WHERE g.organization_id = app_org_id()
                     AND g.id = app_break_glass()
                     AND g.admin_user_id = app_user_id()
                     AND g.ended_at IS NULL
                     AND g.opened_at <= now() AND now() < g.expires_at)
$$;

ALTER TABLE break_glass_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY break_glass_grants_tenant_guard ON break_glass_grants AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id())
    WITH CHECK (organization_id = app_org_id());
-- The tenant's administrators see every grant on their organization; the
-- platform administrator sees their own.
CREATE POLICY break_glass_grants_read ON break_glass_grants FOR SELECT TO carethread_app
    USING (app_role() = 'clinic_admin'
           OR (app_role() = 'platform_admin' AND admin_user_id = app_user_id()));
-- Opened now, by the administrator acting under it, for at most an hour
-- (the table's checks).
CREATE POLICY break_glass_grants_open ON break_glass_grants FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'platform_admin'
                AND app_actor_api_key() IS NULL
                AND admin_user_id = app_user_id()
                AND id = app_break_glass()
                AND opened_at = now()
                AND ended_at IS NULL);
-- Ended early by the administrator who opened it.
CREATE POLICY break_glass_grants_end ON break_glass_grants FOR UPDATE TO carethread_app
    USING (app_role() = 'platform_admin' AND admin_user_id = app_user_id())
    WITH CHECK (app_role() = 'platform_admin' AND admin_user_id = app_user_id());
GRANT SELECT, INSERT ON break_glass_grants TO carethread_app;
GRANT UPDATE (ended_at) ON break_glass_grants TO carethread_app;

-- Read-only access to the tenant's referrals under a live grant. The
-- restrictive tenant guards still hold: only referrals the organization
-- is a party to.
CREATE POLICY referrals_break_glass_read ON referrals FOR SELECT TO carethread_app
    USING (app_break_glass_live());
CREATE POLICY referral_history_break_glass_read ON referral_history FOR SELECT TO carethread_app
    USING (app_break_glass_live());
CREATE POLICY referral_matches_break_glass_read ON referral_matches FOR SELECT TO carethread_app
    USING (app_break_glass_live());

-- Audit actors: `break_glass` --------------------------------------------------
-- As in 20261129000100_audit_actors.sql: a new kind with its grant id; the
-- hash covers the grant only when there is one, so every event written
-- before still verifies with the hash it was given.
ALTER TABLE audit_events
    DROP CONSTRAINT audit_events_actor_type_check,
    ADD CONSTRAINT audit_events_actor_type_check
        CHECK (actor_type IN ('user', 'api_key', 'anonymous', 'break_glass')),
    ADD COLUMN actor_grant_id uuid,
    DROP CONSTRAINT audit_events_actor_shape,
    ADD CONSTRAINT audit_events_actor_shape CHECK (
        CASE actor_type
            WHEN 'api_key' THEN actor_api_key_id IS NOT NULL AND actor_user_id IS NULL
                                AND actor_grant_id IS NULL
            WHEN 'anonymous' THEN actor_api_key_id IS NULL AND actor_user_id IS NULL
                                  AND actor_grant_id IS NULL
            WHEN 'break_glass' THEN actor_user_id IS NOT NULL AND actor_grant_id IS NOT NULL
                                    AND actor_api_key_id IS NULL
            ELSE actor_api_key_id IS NULL AND actor_grant_id IS NULL
        END);

-- The hash of one event with its grant: the earlier form when there is no
-- grant; one more length-prefixed field otherwise.
CREATE FUNCTION audit_event_hash(
    prev_hash bytea, organization_id uuid, seq bigint, occurred_at timestamptz,
    actor_user_id uuid, action text, subject_type text, subject_id text,
    ip inet, details jsonb, actor_type text, actor_api_key_id uuid, actor_grant_id uuid
) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN actor_grant_id IS NULL THEN
        audit_event_hash(prev_hash, organization_id, seq, occurred_at, actor_user_id,
                         action, subject_type, subject_id, ip, details, actor_type,
                         actor_api_key_id)
    ELSE sha256(prev_hash || convert_to(
        (SELECT string_agg(char_length(f)::text || ':' || f, ';' ORDER BY n)
         FROM unnest(ARRAY[
             organization_id::text,
             seq::text,
             (extract(epoch FROM occurred_at) * 1000000)::bigint::text,
             coalesce(actor_user_id::text, '-'),
             action,
             coalesce(subject_type, '-'),
             coalesce(subject_id, '-'),
             coalesce(host(ip), '-'),
             details::text,
             actor_type,
             coalesce(actor_api_key_id::text, '-'),
             actor_grant_id::text
         ]) WITH ORDINALITY AS t (f, n)),
        'UTF8'))
    END
$$;

CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    head audit_chain_heads%ROWTYPE;
BEGIN
    INSERT INTO audit_chain_heads (organization_id, seq, hash)
    VALUES (NEW.organization_id, 0, audit_genesis_hash())
    ON CONFLICT (organization_id) DO NOTHING;
    SELECT * INTO STRICT head FROM audit_chain_heads
        WHERE organization_id = NEW.organization_id
        FOR UPDATE;

    NEW.seq := head.seq + 1;
    NEW.occurred_at := clock_timestamp();
    NEW.prev_hash := head.hash;
    NEW.hash := audit_event_hash(NEW.prev_hash, NEW.organization_id, NEW.seq, NEW.occurred_at,
        NEW.actor_user_id, NEW.action, NEW.subject_type, NEW.subject_id, NEW.ip, NEW.details,
        NEW.actor_type, NEW.actor_api_key_id, NEW.actor_grant_id);

    UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash
        WHERE organization_id = NEW.organization_id;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION audit_verify(org uuid)
    RETURNS TABLE (events bigint, first_broken_seq bigint, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    e audit_events%ROWTYPE;
    expected_seq bigint := 1;
    expected_prev bytea := audit_genesis_hash();
    head audit_chain_heads%ROWTYPE;
BEGIN
    events := 0;
    FOR e IN SELECT * FROM audit_events a WHERE a.organization_id = org ORDER BY a.seq LOOP
        IF e.seq <> expected_seq THEN
            first_broken_seq := expected_seq;
            problem := format('events %s to %s are missing', expected_seq, e.seq - 1);
            RETURN NEXT; RETURN;
        END IF;
        IF e.prev_hash <> expected_prev THEN
            first_broken_seq := e.seq;
            problem := 'the link to the previous event does not match';
            RETURN NEXT; RETURN;
        END IF;
        IF e.hash <> audit_event_hash(e.prev_hash, e.organization_id, e.seq, e.occurred_at,
                e.actor_user_id, e.action, e.subject_type, e.subject_id, e.ip, e.details,
                e.actor_type, e.actor_api_key_id, e.actor_grant_id) THEN
            first_broken_seq := e.seq;
            problem := 'the event was altered after it was written';
            RETURN NEXT; RETURN;
        END IF;
        events := events + 1;
        expected_seq := e.seq + 1;
        expected_prev := e.hash;
    END LOOP;
    SELECT * INTO head FROM audit_chain_heads h WHERE h.organization_id = org;
    IF FOUND AND (head.seq <> expected_seq - 1 OR head.hash <> expected_prev) THEN
        first_broken_seq := expected_seq;
        problem := format('events after %s are missing (the chain head is at %s)',
                          expected_seq - 1, head.seq);
        RETURN NEXT; RETURN;
    END IF;
    RETURN NEXT;
END $$;

-- Anyone may append, as exactly who they are: a person as themselves (not
-- under a grant), a key as itself, nobody as nobody, and a platform
-- administrator under a live grant as that grant.
DROP POLICY audit_events_append ON audit_events;
CREATE POLICY audit_events_append ON audit_events FOR INSERT TO carethread_app
    WITH CHECK (
        CASE actor_type
            WHEN 'api_key' THEN actor_api_key_id = app_actor_api_key()
                                AND app_user_id() IS NULL
            WHEN 'anonymous' THEN app_user_id() IS NULL AND app_actor_api_key() IS NULL
            WHEN 'break_glass' THEN actor_user_id = app_user_id()
                                    AND actor_grant_id = app_break_glass()
                                    AND app_actor_api_key() IS NULL
                                    AND app_break_glass_live()
            ELSE actor_user_id IS NOT DISTINCT FROM app_user_id()
                 AND app_actor_api_key() IS NULL
                 AND app_break_glass() IS NULL
        END);
