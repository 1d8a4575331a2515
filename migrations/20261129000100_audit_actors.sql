-- Audit actors (issue: every PHI access through one audited door).
--
-- An audit event names who acted by kind: a person (`user`, with
-- `actor_user_id`), an API key (`api_key`, with `actor_api_key_id` and no
-- user id: a key is nobody), or nobody yet (`anonymous`: a failed sign-in,
-- a public form). Before this migration an API key's id was written into
-- `actor_user_id`; those rows keep their kind `user` and their hashes.
--
-- The hash covers the new columns only when they say something the old
-- columns could not (a kind other than `user`, or a key id), so every
-- event written before still verifies with the hash it was given.

ALTER TABLE audit_events
    ADD COLUMN actor_type text NOT NULL DEFAULT 'user'
        CHECK (actor_type IN ('user', 'api_key', 'anonymous')),
    ADD COLUMN actor_api_key_id uuid,
    ADD CONSTRAINT audit_events_actor_shape CHECK (
        CASE actor_type
            WHEN 'api_key' THEN actor_api_key_id IS NOT NULL AND actor_user_id IS NULL
            WHEN 'anonymous' THEN actor_api_key_id IS NULL AND actor_user_id IS NULL
            ELSE actor_api_key_id IS NULL
        END);

-- The hash of one event, with its actor's kind. Same as the original
-- `audit_event_hash` for a person's (or a pre-migration) event; two more
-- length-prefixed fields otherwise, so the two forms cannot collide.
CREATE FUNCTION audit_event_hash(
    prev_hash bytea, organization_id uuid, seq bigint, occurred_at timestamptz,
    actor_user_id uuid, action text, subject_type text, subject_id text,
    ip inet, details jsonb, actor_type text, actor_api_key_id uuid
) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN actor_type = 'user' AND actor_api_key_id IS NULL THEN
        audit_event_hash(prev_hash, organization_id, seq, occurred_at, actor_user_id,
                         action, subject_type, subject_id, ip, details)
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
             coalesce(actor_api_key_id::text, '-')
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
        NEW.actor_type, NEW.actor_api_key_id);

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
                e.actor_type, e.actor_api_key_id) THEN
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

-- The API key acting in this transaction (its uuid), set by the key's
-- tenant transaction; a key's transaction sets no user id.
CREATE FUNCTION app_actor_api_key() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.actor_api_key', true), '')::uuid $$;

-- Anyone may append, as exactly who they are: a person as themselves, a
-- key as itself, nobody as nobody.
DROP POLICY audit_events_append ON audit_events;
CREATE POLICY audit_events_append ON audit_events FOR INSERT TO carethread_app
    WITH CHECK (
        CASE actor_type
            WHEN 'api_key' THEN actor_api_key_id = app_actor_api_key()
                                AND app_user_id() IS NULL
            WHEN 'anonymous' THEN app_user_id() IS NULL AND app_actor_api_key() IS NULL
            ELSE actor_user_id IS NOT DISTINCT FROM app_user_id()
                 AND app_actor_api_key() IS NULL
        END);

-- A sandbox sign-up with a long (but valid) domain made an organization
-- name over 160 characters, which failed as a server error. Otherwise as
-- in 20261128000009_webhooks.sql (five keys a day per address).
CREATE OR REPLACE FUNCTION sandbox_signup(contact text, new_key_id text, new_secret_hash bytea)
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
    IF (SELECT count(*) FROM api_keys
        WHERE environment = 'sandbox' AND lower(contact_email) = lower(contact)
          AND created_at > now() - interval '1 day') >= 5 THEN
        RAISE EXCEPTION 'too many sandbox keys for this address today'
            USING ERRCODE = 'program_limit_exceeded';
    END IF;
    INSERT INTO organizations (id, kind, name, sandbox)
    VALUES (org, 'referrer', left('Sandbox · ' || split_part(contact, '@', 2), 160), true);
    INSERT INTO api_keys (organization_id, key_id, secret_hash, environment, name, acts_as, contact_email)
    VALUES (org, new_key_id, new_secret_hash, 'sandbox', 'Sandbox key', 'referrer', contact);
    RETURN org;
END $$;
