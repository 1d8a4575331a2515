-- Outgoing mail, queued durably (DESIGN "Mail", "Background work").
--
-- A message is inserted in the same transaction as the change it reports
-- (a transactional outbox), so a rolled-back change sends nothing and a
-- committed one is never lost. The background worker, connected as its own
-- role, claims due messages with FOR UPDATE SKIP LOCKED (safe with several
-- server processes), sends them over SMTP, and retries with exponential
-- backoff when the SMTP server is down.
--
-- The web application's role may only insert: it can never read a queued
-- message (they hold reset links and invitation tokens). Bodies are erased
-- once sent; the row stays as the delivery record.

CREATE TYPE mail_status AS ENUM ('queued', 'sent', 'failed');

CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Which template made it (for the delivery record and tests).
    template        text NOT NULL CHECK (template ~ '^[a-z_]+$'),
    recipient       text NOT NULL
        CHECK (char_length(recipient) BETWEEN 3 AND 254 AND position('@' IN recipient) > 1),
    subject         text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    body_text       text,
    body_html       text,
    status          mail_status NOT NULL DEFAULT 'queued',
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text CHECK (char_length(last_error) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT mail_outbox_queued_has_body
        CHECK (status <> 'queued' OR (body_text IS NOT NULL AND body_html IS NOT NULL))
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'queued';

-- Wakes the worker as soon as a message is committed; the worker also
-- polls, so a missed notification only delays a message.
CREATE FUNCTION mail_outbox_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('mail_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER mail_outbox_notify
    AFTER INSERT ON mail_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION mail_outbox_notify();
