-- Signed webhooks (SPEC §3): endpoints an organization registers, the
-- deliveries the worker makes to them, and every attempt.
--
-- - The signing secret is written by the web role when an endpoint is
--   registered (and shown once) but only the worker, which signs, can
--   read it back.
-- - A delivery is one message with a stable id (the `webhook-id` header):
--   retries and resends send the same id and the same body, so receivers
--   can de-duplicate. The body is stored as the exact text that is signed.
-- - Domain events are fanned out to deliveries by the worker, which stamps
--   `webhooks_at` (separately from the mail fan-out's `notified_at`) in
--   the same transaction: an event is turned into deliveries exactly once.

ALTER TABLE domain_events ADD COLUMN webhooks_at timestamptz;
CREATE INDEX domain_events_unhooked_idx ON domain_events (occurred_at) WHERE webhooks_at IS NULL;
-- (Events older than this migration are stamped by the worker's first
-- round; no endpoint exists yet to receive them.)

CREATE TABLE webhook_endpoints (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    url             text NOT NULL CHECK (char_length(url) BETWEEN 8 AND 2000 AND url ~ '^https?://'),
    description     text NOT NULL DEFAULT '' CHECK (char_length(description) <= 200),
    events          text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 10),
    -- `whsec_` and base64 of 32 random bytes (the Standard Webhooks form).
    secret          text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/=]{40,}$'),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz,
    PRIMARY KEY (organization_id, id)
);

CREATE TYPE webhook_status AS ENUM ('pending', 'delivered', 'failed');

CREATE TABLE webhook_deliveries (
    organization_id uuid NOT NULL,
    -- Sent as `webhook-id`: the same for every attempt of this message.
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    endpoint_id     uuid NOT NULL,
    -- The domain event it carries (none for a ping).
    event_id        uuid,
    event_type      text NOT NULL CHECK (event_type ~ '^[a-z]+(\.[a-z_]+)?$'),
    body            text NOT NULL,
    status          webhook_status NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, endpoint_id)
        REFERENCES webhook_endpoints (organization_id, id) ON DELETE CASCADE,
    -- One message per event per endpoint, however often fan-out runs.
    CONSTRAINT webhook_deliveries_once UNIQUE (organization_id, endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx
    ON webhook_deliveries (organization_id, endpoint_id, created_at DESC);

CREATE TABLE webhook_attempts (
    organization_id uuid NOT NULL,
    delivery_id     uuid NOT NULL,
    attempt         integer NOT NULL CHECK (attempt >= 1),
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    -- The receiver's HTTP status, when it answered.
    status_code     integer,
    -- Why it failed (connection refused, timeout, refused address…).
    error           text CHECK (char_length(error) <= 500),
    duration_ms     integer NOT NULL CHECK (duration_ms >= 0),
    PRIMARY KEY (organization_id, delivery_id, attempt),
    FOREIGN KEY (organization_id, delivery_id)
        REFERENCES webhook_deliveries (organization_id, id) ON DELETE CASCADE
);

-- Row-level security ----------------------------------------------------------------
-- The web role acts for one organization: people who may manage the
-- organization's integrations, and its API keys.

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_tenant_guard ON webhook_endpoints AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY webhook_endpoints_manage ON webhook_endpoints FOR ALL TO carethread_app
    USING (app_role() IN ('referrer', 'clinic_admin', 'clinic_staff', 'platform_admin'))
    WITH CHECK (app_role() IN ('referrer', 'clinic_admin', 'clinic_staff', 'platform_admin'));
-- Everything but the secret; the secret may be written, never read back.
GRANT SELECT (organization_id, id, url, description, events, created_by, created_at, disabled_at)
    ON webhook_endpoints TO carethread_app;
GRANT INSERT (organization_id, id, url, description, events, secret, created_by)
    ON webhook_endpoints TO carethread_app;
GRANT UPDATE (disabled_at) ON webhook_endpoints TO carethread_app;

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_tenant_guard ON webhook_deliveries AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY webhook_deliveries_read ON webhook_deliveries FOR SELECT TO carethread_app
    USING (app_role() IN ('referrer', 'clinic_admin', 'clinic_staff', 'platform_admin'));
-- A ping is filed by the web role, as a fresh message.
CREATE POLICY webhook_deliveries_ping ON webhook_deliveries FOR INSERT TO carethread_app
    WITH CHECK (app_role() IN ('referrer', 'clinic_admin', 'clinic_staff', 'platform_admin')
                AND event_type = 'ping' AND event_id IS NULL
                AND status = 'pending' AND attempts = 0);
-- A resend puts the same message back in the queue.
CREATE POLICY webhook_deliveries_resend ON webhook_deliveries FOR UPDATE TO carethread_app
    USING (app_role() IN ('referrer', 'clinic_admin', 'clinic_staff', 'platform_admin'))
    WITH CHECK (status = 'pending');
GRANT SELECT, INSERT ON webhook_deliveries TO carethread_app;
GRANT UPDATE (status, next_attempt_at) ON webhook_deliveries TO carethread_app;

ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_attempts_tenant_guard ON webhook_attempts AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()) WITH CHECK (organization_id = app_org_id());
CREATE POLICY webhook_attempts_read ON webhook_attempts FOR SELECT TO carethread_app
    USING (app_role() IN ('referrer', 'clinic_admin', 'clinic_staff', 'platform_admin'));
GRANT SELECT ON webhook_attempts TO carethread_app;

-- Events recorded by the web role start unsent.
DROP POLICY domain_events_record ON domain_events;
CREATE POLICY domain_events_record ON domain_events FOR INSERT TO carethread_app
    WITH CHECK (notified_at IS NULL AND webhooks_at IS NULL);

-- The worker: fans events out to endpoints, signs and sends, logs attempts.
CREATE POLICY webhook_endpoints_deliver ON webhook_endpoints FOR SELECT TO carethread_worker
    USING (true);
GRANT SELECT ON webhook_endpoints TO carethread_worker;
CREATE POLICY webhook_deliveries_deliver ON webhook_deliveries FOR ALL TO carethread_worker
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO carethread_worker;
CREATE POLICY webhook_attempts_deliver ON webhook_attempts FOR ALL TO carethread_worker
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON webhook_attempts TO carethread_worker;
GRANT UPDATE (webhooks_at) ON domain_events TO carethread_worker;

-- Wake the webhook worker when a message is filed or an event recorded.
CREATE FUNCTION webhooks_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM pg_notify('webhooks', '');
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_deliveries_notify
    AFTER INSERT OR UPDATE OF status ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks_notify();
CREATE TRIGGER domain_events_webhooks_notify
    AFTER INSERT ON domain_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks_notify();

-- Sandbox sign-up is open to anyone: at most five keys a day per address.
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
    VALUES (org, 'referrer', 'Sandbox · ' || split_part(contact, '@', 2), true);
    INSERT INTO api_keys (organization_id, key_id, secret_hash, environment, name, acts_as, contact_email)
    VALUES (org, new_key_id, new_secret_hash, 'sandbox', 'Sandbox key', 'referrer', contact);
    RETURN org;
END $$;
