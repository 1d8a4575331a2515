-- One durable job runner for every kind of background work (DESIGN
-- "Background work"; the runner is `server/src/jobs`).
--
-- A job is a row: its kind (which Rust `Job` runs it), a payload of ids
-- (never PHI), and where it stands. Workers claim due rows with
-- `FOR UPDATE SKIP LOCKED` and a lease that they renew while they run, so
-- several server processes share the work, each job runs at a time in one
-- process only, and a process that dies leaves its jobs to be claimed again
-- when the lease runs out. A failure is retried with exponential backoff and
-- jitter until the kind's budget is spent; then the job is `dead`, kept for
-- platform administrators to see and retry from /admin/jobs.
--
-- An idempotency key makes enqueueing the same work twice file it once (for
-- as long as the finished job is kept: 14 days). Schedules use it: each
-- process files "kind K for the period starting at T", and only the first
-- insert of a period wins.
--
-- What queues work: the outboxes below file their job by trigger, in the
-- transaction of the change that made the work, so work is never lost and
-- a rolled-back change files nothing; the web role needs no right to file
-- arbitrary jobs.

CREATE TYPE job_state AS ENUM ('queued', 'running', 'done', 'dead');

CREATE TABLE jobs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            text NOT NULL
        CHECK (char_length(kind) <= 64 AND kind ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
    -- Ids and codes only: what the job needs to find its work (JSON null
    -- for a kind that needs nothing).
    payload         jsonb NOT NULL DEFAULT 'null'::jsonb,
    idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    state           job_state NOT NULL DEFAULT 'queued',
    -- Attempts started (a claim counts one).
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    run_at          timestamptz NOT NULL DEFAULT now(),
    locked_by       text CHECK (char_length(locked_by) <= 200),
    locked_until    timestamptz,
    last_error      text CHECK (char_length(last_error) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    CONSTRAINT jobs_running_is_leased
        CHECK (state <> 'running' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL)),
    CONSTRAINT jobs_finished_when_over
        CHECK ((state IN ('done', 'dead')) = (finished_at IS NOT NULL))
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (kind, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_dead_idx ON jobs (finished_at DESC) WHERE state = 'dead';
CREATE INDEX jobs_done_idx ON jobs (finished_at) WHERE state = 'done';

-- Wakes idle workers as soon as work is committed; they poll as well, so a
-- missed notification only delays a job.
CREATE FUNCTION jobs_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('jobs', '');
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify
    AFTER INSERT OR UPDATE OF state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION jobs_notify();

-- The worker role runs jobs; platform administrators see them and put dead
-- ones back in the queue (the admin page, audited by the domain operation).
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY jobs_run ON jobs FOR ALL TO carethread_worker USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO carethread_worker;
CREATE POLICY jobs_admin_read ON jobs FOR SELECT TO carethread_app
    USING (app_role() = 'platform_admin' AND app_user_id() IS NOT NULL);
CREATE POLICY jobs_admin_retry ON jobs FOR UPDATE TO carethread_app
    USING (app_role() = 'platform_admin' AND app_user_id() IS NOT NULL AND state = 'dead')
    WITH CHECK (state = 'queued' AND finished_at IS NULL AND locked_by IS NULL);
GRANT SELECT (id, kind, state, attempts, run_at, last_error, created_at, finished_at)
    ON jobs TO carethread_app;
GRANT UPDATE (state, attempts, run_at, finished_at) ON jobs TO carethread_app;

-- Filing jobs for the outboxes, by trigger (SECURITY DEFINER: the roles
-- that write the outboxes cannot write `jobs` themselves; the functions
-- run as the owner, which the forced policies bind too).
CREATE POLICY jobs_file ON jobs FOR INSERT TO carethread_owner WITH CHECK (state = 'queued');
CREATE FUNCTION jobs_file_mail() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO jobs (kind, payload)
    VALUES ('mail.deliver', jsonb_build_object('mail_id', NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER mail_outbox_job
    AFTER INSERT ON mail_outbox
    FOR EACH ROW EXECUTE FUNCTION jobs_file_mail();

-- A webhook message: filed when created, and again when an organization
-- asks for it to be sent again (status back to pending).
CREATE FUNCTION jobs_file_webhook() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO jobs (kind, payload)
    VALUES ('webhook.deliver',
            jsonb_build_object('organization_id', NEW.organization_id, 'delivery_id', NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_deliveries_job
    AFTER INSERT ON webhook_deliveries
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION jobs_file_webhook();
CREATE TRIGGER webhook_deliveries_resend_job
    AFTER UPDATE OF status ON webhook_deliveries
    FOR EACH ROW WHEN (NEW.status = 'pending' AND OLD.status <> 'pending')
    EXECUTE FUNCTION jobs_file_webhook();

-- A domain event: one fan-out job files both its mail and its webhook
-- messages (replacing the two scans by `notified_at` and `webhooks_at`).
CREATE FUNCTION jobs_file_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO jobs (kind, payload, idempotency_key)
    VALUES ('events.fan_out',
            jsonb_build_object('organization_id', NEW.organization_id, 'event_id', NEW.id,
                               'mail', true, 'webhooks', true),
            NEW.organization_id || ':' || NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER domain_events_job
    AFTER INSERT ON domain_events
    FOR EACH ROW EXECUTE FUNCTION jobs_file_event();

REVOKE ALL ON FUNCTION jobs_file_mail() FROM PUBLIC;
REVOKE ALL ON FUNCTION jobs_file_webhook() FROM PUBLIC;
REVOKE ALL ON FUNCTION jobs_file_event() FROM PUBLIC;

-- Work already queued by the old loops moves over, nothing dropped. The
-- migrations run as the owner, which the forced policies bind too (and
-- no policy lets it read these tables): lifted for the copy only.
ALTER TABLE mail_outbox NO FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE domain_events NO FORCE ROW LEVEL SECURITY;
INSERT INTO jobs (kind, payload, run_at, attempts)
SELECT 'mail.deliver', jsonb_build_object('mail_id', id), next_attempt_at, attempts
FROM mail_outbox WHERE status = 'queued';
INSERT INTO jobs (kind, payload, run_at, attempts)
SELECT 'webhook.deliver',
       jsonb_build_object('organization_id', organization_id, 'delivery_id', id),
       next_attempt_at, attempts
FROM webhook_deliveries WHERE status = 'pending';
INSERT INTO jobs (kind, payload, idempotency_key)
SELECT 'events.fan_out',
       jsonb_build_object('organization_id', organization_id, 'event_id', id,
                          'mail', notified_at IS NULL, 'webhooks', webhooks_at IS NULL),
       organization_id || ':' || id
FROM domain_events WHERE notified_at IS NULL OR webhooks_at IS NULL;
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
ALTER TABLE domain_events FORCE ROW LEVEL SECURITY;

-- The old loops' wake-ups and scan columns go.
DROP TRIGGER mail_outbox_notify ON mail_outbox;
DROP TRIGGER domain_events_notify ON domain_events;
DROP TRIGGER domain_events_webhooks_notify ON domain_events;
DROP TRIGGER webhook_deliveries_notify ON webhook_deliveries;
DROP FUNCTION mail_outbox_notify();
DROP FUNCTION webhooks_notify();
DROP INDEX mail_outbox_due_idx;
DROP INDEX webhook_deliveries_due_idx;
DROP POLICY domain_events_record ON domain_events;
ALTER TABLE domain_events DROP COLUMN notified_at, DROP COLUMN webhooks_at;
-- As in 20261129000200_tighter_policies.sql, less the stamps that are gone.
CREATE POLICY domain_events_record ON domain_events FOR INSERT TO carethread_app
    WITH CHECK (
        ((app_role() = 'referrer' AND organization_id = app_org_id())
         OR (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id()))
        -- About a referral of these two parties: never a stranger clinic.
        AND EXISTS (SELECT 1 FROM referrals r
                    WHERE r.id = subject_id
                      AND r.organization_id = domain_events.organization_id
                      AND r.clinic_id IS NOT DISTINCT FROM domain_events.clinic_id));

-- The worker reads the events it fans out (no longer stamps them).
GRANT SELECT ON domain_events TO carethread_worker;

-- Housekeeping moves from the web role's loops to scheduled jobs.
CREATE POLICY health_probes_worker_record ON health_probes
    FOR INSERT TO carethread_worker WITH CHECK (true);
CREATE POLICY health_probes_worker_prune ON health_probes
    FOR DELETE TO carethread_worker USING (probed_at < now() - interval '90 days');
CREATE POLICY health_probes_worker_read ON health_probes
    FOR SELECT TO carethread_worker USING (probed_at < now() - interval '90 days');
GRANT SELECT, INSERT, DELETE ON health_probes TO carethread_worker;
GRANT EXECUTE ON FUNCTION web_session_delete_expired() TO carethread_worker;
