-- The audit log (SPEC §4): append-only, hash-chained per organization.
--
-- Each organization has one chain. An event's hash covers its own fields
-- and the previous event's hash, so changing, removing or reordering any
-- event breaks every link after it; the chain head (last sequence number
-- and hash) is kept apart, so removing events from the end shows too.
--
-- Writers never choose the sequence number or the hashes: a trigger
-- assigns them while holding the chain head's row lock, so two concurrent
-- writers in one organization take turns and cannot fork the chain.
--
-- Append-only: the application role is granted INSERT and SELECT only, and
-- triggers refuse UPDATE, DELETE and TRUNCATE for every role. Events for
-- requests with no organization (a failed sign-in, a family member's
-- sign-in) go to the platform organization's chain.

CREATE FUNCTION audit_genesis_hash() RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT decode(repeat('00', 32), 'hex') $$;

-- seq, occurred_at and the hashes are always assigned by the chaining
-- trigger below; the defaults only let an INSERT leave them out.
CREATE TABLE audit_events (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    seq             bigint NOT NULL DEFAULT 0 CHECK (seq > 0),
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    -- No foreign key: the log outlives the accounts it mentions.
    actor_user_id   uuid,
    action          text NOT NULL
        CHECK (char_length(action) <= 64 AND action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$'),
    subject_type    text CHECK (char_length(subject_type) <= 40),
    subject_id      text CHECK (char_length(subject_id) <= 320),
    ip              inet,
    -- Identifiers and codes only; never PHI.
    details         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    prev_hash       bytea NOT NULL DEFAULT audit_genesis_hash() CHECK (octet_length(prev_hash) = 32),
    hash            bytea NOT NULL DEFAULT audit_genesis_hash() CHECK (octet_length(hash) = 32),
    PRIMARY KEY (organization_id, seq)
);
CREATE INDEX audit_events_recent_idx ON audit_events (organization_id, occurred_at DESC);

CREATE TABLE audit_chain_heads (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id),
    seq             bigint NOT NULL CHECK (seq >= 0),
    hash            bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- The hash of one event: SHA-256 over the previous hash and each field,
-- every field length-prefixed so no two different events can produce the
-- same input.
CREATE FUNCTION audit_event_hash(
    prev_hash bytea, organization_id uuid, seq bigint, occurred_at timestamptz,
    actor_user_id uuid, action text, subject_type text, subject_id text,
    ip inet, details jsonb
) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT sha256(prev_hash || convert_to(
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
             details::text
         ]) WITH ORDINALITY AS t (f, n)),
        'UTF8'))
$$;

-- Assigns sequence, time and hashes under the chain head's lock. Runs as
-- the owner (SECURITY DEFINER) so that the application role never needs
-- write access to the chain heads.
CREATE FUNCTION audit_events_chain() RETURNS trigger
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
        NEW.actor_user_id, NEW.action, NEW.subject_type, NEW.subject_id, NEW.ip, NEW.details);

    UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash
        WHERE organization_id = NEW.organization_id;
    RETURN NEW;
END $$;

CREATE TRIGGER audit_events_chain
    BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only'
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- Walks one organization's chain and reports the first broken link, as the
-- caller may see it (SECURITY INVOKER: row-level security applies, so an
-- administrator can verify their own organization's chain only).
CREATE FUNCTION audit_verify(org uuid)
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
                e.actor_user_id, e.action, e.subject_type, e.subject_id, e.ip, e.details) THEN
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
