-- The payments ledger (issue 14, DESIGN "Visits and money"): the platform's
-- own double-entry book, in integer cents. The card processor (the local
-- test processor, or Stripe) moves money; this book says whose it is.
--
-- - An account is a kind and its owner: the organization that pays (its
--   authorized holds), the clinician who is owed (pending until the visit
--   log is signed, payable once released), or the platform (cash at the
--   processor, fees).
-- - A transaction is two or more entries that sum to zero (a positive
--   amount is a debit, a negative one a credit). Balances are never stored:
--   they are the sum of an account's entries.
-- - Nothing is ever changed or removed: a mistake is corrected by another
--   transaction (triggers refuse any update, delete or truncate, for every
--   role, and entries added to a committed transaction). The application
--   and worker roles cannot write these tables at all; they post through
--   ledger_post(), which checks the transaction balances, limits what a
--   signed-in caller may post, and files it once per idempotency key.
-- - Reading: platform administrators see the whole book; an organization's
--   administrators and families see their organization's accounts; a
--   clinician sees their own.

CREATE TYPE ledger_account_kind AS ENUM (
    'payer_holds',       -- owner_org: card authorizations held for visits
    'clinician_pending', -- owner_user: owed if the visit is done and signed
    'clinician_payable', -- owner_user: released, waiting for the transfer
    'processor_cash',    -- the platform's balance at the card processor
    'platform_fees'      -- cancellation fees the platform keeps
);

CREATE TYPE ledger_entry_kind AS ENUM (
    'authorize', -- a hold placed on the payer's card
    'void',      -- a hold let go
    'capture',   -- a hold taken, the clinician's share released
    'payout',    -- money transferred to the clinician
    'refund',    -- captured money returned to the payer
    'fee'        -- a cancellation fee
);

CREATE TABLE ledger_accounts (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind       ledger_account_kind NOT NULL,
    owner_org  uuid REFERENCES organizations (id),
    owner_user uuid REFERENCES users (id),
    currency   text NOT NULL DEFAULT 'usd' CHECK (currency = 'usd'),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_accounts_owner_fits_kind CHECK (CASE kind
        WHEN 'payer_holds' THEN owner_org IS NOT NULL AND owner_user IS NULL
        WHEN 'clinician_pending' THEN owner_user IS NOT NULL AND owner_org IS NULL
        WHEN 'clinician_payable' THEN owner_user IS NOT NULL AND owner_org IS NULL
        ELSE owner_org IS NULL AND owner_user IS NULL
    END)
);
-- One account per kind and owner (NULLs compare equal here).
CREATE UNIQUE INDEX ledger_accounts_one_per_owner
    ON ledger_accounts (kind, owner_org, owner_user) NULLS NOT DISTINCT;

CREATE TABLE ledger_transactions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            ledger_entry_kind NOT NULL,
    -- What the money is for, e.g. ('payment', <id>): never PHI.
    subject_type    text CHECK (char_length(subject_type) <= 40),
    subject_id      uuid,
    memo            text NOT NULL CHECK (char_length(memo) BETWEEN 1 AND 200),
    -- The same posting filed twice is filed once. Keys are per scope (the
    -- organization the caller acted for; the nil uuid for the worker), so
    -- no caller learns another's keys.
    scope           uuid NOT NULL,
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    posted_by       uuid REFERENCES users (id),
    posted_at       timestamptz NOT NULL DEFAULT now(),
    -- The database transaction that filed it: entries may be added by that
    -- one only, so nothing is appended to a transaction once committed.
    filed_in        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT ledger_transactions_idempotency_key_key UNIQUE (scope, idempotency_key)
);
CREATE INDEX ledger_transactions_subject ON ledger_transactions (subject_type, subject_id);

CREATE TABLE ledger_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
    account_id     uuid NOT NULL REFERENCES ledger_accounts (id),
    -- Debit positive, credit negative; never zero. A billion dollars at
    -- most, so a sum of any realistic book stays far inside bigint.
    amount_cents   bigint NOT NULL
        CHECK (amount_cents <> 0 AND abs(amount_cents) <= 100000000000)
);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id);

-- Every transaction sums to zero, checked when the database transaction
-- commits (so its entries can be filed one by one) whoever filed them. As
-- the owner (SECURITY DEFINER, reviewed; a trigger function cannot be
-- called directly): at commit it runs as the signed-in role, which may see
-- only its own side of a transaction.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    total numeric;
    lines bigint;
BEGIN
    SELECT coalesce(sum(amount_cents), 0), count(*) INTO total, lines
        FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 OR lines < 2 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (% over % entries)',
            NEW.transaction_id, total, lines
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balance';
    END IF;
    RETURN NULL;
END $$;

-- Entries belong to the database transaction that filed their ledger
-- transaction (as the owner, SECURITY DEFINER, reviewed: a trigger).
CREATE FUNCTION ledger_entries_same_filing() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger_transactions
                   WHERE id = NEW.transaction_id AND filed_in = pg_current_xact_id()) THEN
        RAISE EXCEPTION 'a filed ledger transaction takes no more entries'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_entries_same_filing
    BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_same_filing();

-- A transaction filed with no entries at all fails at commit too.
CREATE FUNCTION ledger_check_has_entries() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF (SELECT count(*) FROM ledger_entries WHERE transaction_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has fewer than two entries', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balance';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_transactions_have_entries
    AFTER INSERT ON ledger_transactions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_has_entries();

CREATE CONSTRAINT TRIGGER ledger_entries_balanced
    AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

CREATE FUNCTION ledger_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: correct it with another transaction'
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ledger_transactions_append_only
    BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transactions_no_truncate
    BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_accounts_append_only
    BEFORE UPDATE OR DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_accounts_no_truncate
    BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- Fired even when a session replays changes (session_replication_role =
-- replica). A superuser or the owner can still disable triggers: against
-- the operator the book relies on the audit log and backups.
ALTER TABLE ledger_transactions ENABLE ALWAYS TRIGGER ledger_transactions_append_only;
ALTER TABLE ledger_transactions ENABLE ALWAYS TRIGGER ledger_transactions_no_truncate;
ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_append_only;
ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_no_truncate;
ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_same_filing;
ALTER TABLE ledger_accounts ENABLE ALWAYS TRIGGER ledger_accounts_append_only;
ALTER TABLE ledger_accounts ENABLE ALWAYS TRIGGER ledger_accounts_no_truncate;
ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_balanced;
ALTER TABLE ledger_transactions ENABLE ALWAYS TRIGGER ledger_transactions_have_entries;

-- Posts one transaction: `lines` is a JSON array of
-- {"kind", "org", "user", "cents"} (org and user as the kind needs). Runs as
-- the owner (SECURITY DEFINER, reviewed): a family booking must credit a
-- clinician's account it may not read. It is narrow:
-- - only a balanced transaction of two lines at least is appended (the
--   constraint triggers check again at commit);
-- - a signed-in caller may post only a hold or its release, on its own
--   organization's holds against one clinician's pending account, acting
--   as a family or a clinic administrator; capture, payout, refund and fee
--   are the worker role's (the job runner, after the checks the release
--   job makes);
-- - the same key in the caller's scope answers the transaction it filed
--   when kind, subject and lines are the same, and is refused otherwise.
CREATE FUNCTION ledger_post(
    p_kind ledger_entry_kind,
    p_key text,
    p_memo text,
    p_subject_type text,
    p_subject_id uuid,
    p_lines jsonb
) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    txn uuid;
    line jsonb;
    account uuid;
    total numeric := 0;
    filed jsonb;
    wanted jsonb;
    worker boolean := session_user = 'carethread_worker';
    key_scope uuid;
    payer_lines integer;
    pending_lines integer;
BEGIN
    IF NOT worker AND app_user_id() IS NULL THEN
        RAISE EXCEPTION 'posting to the ledger needs a signed-in caller'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_lines IS NULL OR jsonb_typeof(p_lines) IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_lines) < 2 THEN
        RAISE EXCEPTION 'a ledger transaction has two entries at least'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balance';
    END IF;
    FOR line IN SELECT * FROM jsonb_array_elements(p_lines) LOOP
        total := total + (line->>'cents')::bigint;
    END LOOP;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction does not balance (%)', total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balance';
    END IF;
    IF NOT worker THEN
        IF NOT coalesce(p_kind IN ('authorize', 'void') AND app_role() IN ('family', 'clinic_admin')
                        AND app_org_id() <> platform_org_id(), false) THEN
            RAISE EXCEPTION 'only the worker posts %', p_kind
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT count(*) FILTER (WHERE e->>'kind' = 'payer_holds' AND (e->>'org')::uuid = app_org_id()
                                  AND e->>'user' IS NULL
                                  AND sign((e->>'cents')::bigint) = CASE p_kind WHEN 'authorize' THEN 1 ELSE -1 END),
               count(*) FILTER (WHERE e->>'kind' = 'clinician_pending' AND e->>'org' IS NULL
                                  AND e->>'user' IS NOT NULL)
            INTO payer_lines, pending_lines
            FROM jsonb_array_elements(p_lines) e;
        IF jsonb_array_length(p_lines) <> 2 OR payer_lines <> 1 OR pending_lines <> 1 THEN
            RAISE EXCEPTION 'a hold moves the caller''s own holds against one clinician''s pending account'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    key_scope := CASE WHEN worker THEN '00000000-0000-0000-0000-000000000000'::uuid ELSE app_org_id() END;

    -- Kind, subject and lines in a canonical form (ids as uuids), to
    -- compare a replay with the filing.
    SELECT jsonb_build_object('kind', p_kind::text, 'subject', p_subject_type || ':' || p_subject_id::text,
                              'lines', jsonb_agg(l ORDER BY l::text)) INTO wanted
        FROM (SELECT jsonb_build_object('kind', e->>'kind', 'org', (e->>'org')::uuid::text,
                                        'user', (e->>'user')::uuid::text,
                                        'cents', (e->>'cents')::bigint) AS l
              FROM jsonb_array_elements(p_lines) e) s;

    INSERT INTO ledger_transactions (kind, subject_type, subject_id, memo, scope, idempotency_key, posted_by)
    VALUES (p_kind, p_subject_type, p_subject_id, p_memo, key_scope, p_key, app_user_id())
    ON CONFLICT (scope, idempotency_key) DO NOTHING
    RETURNING id INTO txn;
    IF txn IS NULL THEN
        -- Filed before (perhaps a moment ago, by a retry racing this one).
        SELECT t.id, jsonb_build_object('kind', t.kind::text,
                                        'subject', t.subject_type || ':' || t.subject_id::text,
                                        'lines', (SELECT jsonb_agg(l ORDER BY l::text) FROM (
                                            SELECT jsonb_build_object('kind', a.kind::text, 'org', a.owner_org::text,
                                                                      'user', a.owner_user::text,
                                                                      'cents', e.amount_cents) AS l
                                            FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                                            WHERE e.transaction_id = t.id) s))
            INTO txn, filed
            FROM ledger_transactions t WHERE t.scope = key_scope AND t.idempotency_key = p_key;
        IF filed IS DISTINCT FROM wanted THEN
            RAISE EXCEPTION 'idempotency key % was used for another posting', p_key
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'ledger_transactions_idempotency_key_key';
        END IF;
        RETURN txn;
    END IF;

    FOR line IN SELECT * FROM jsonb_array_elements(p_lines) LOOP
        INSERT INTO ledger_accounts (kind, owner_org, owner_user)
        VALUES ((line->>'kind')::ledger_account_kind, (line->>'org')::uuid, (line->>'user')::uuid)
        ON CONFLICT (kind, owner_org, owner_user) DO NOTHING;
        SELECT id INTO STRICT account FROM ledger_accounts
            WHERE kind = (line->>'kind')::ledger_account_kind
              AND owner_org IS NOT DISTINCT FROM (line->>'org')::uuid
              AND owner_user IS NOT DISTINCT FROM (line->>'user')::uuid;
        INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)
        VALUES (txn, account, (line->>'cents')::bigint);
    END LOOP;
    RETURN txn;
END $$;

REVOKE ALL ON FUNCTION ledger_post(ledger_entry_kind, text, text, text, uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_post(ledger_entry_kind, text, text, text, uuid, jsonb)
    TO carethread_app, carethread_worker;

-- Who reads what.
CREATE FUNCTION ledger_account_visible(owner_org uuid, owner_user uuid) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
    SELECT (app_role() = 'platform_admin' AND app_org_id() = platform_org_id())
        OR (owner_user IS NOT NULL AND owner_user = app_user_id())
        OR (owner_org IS NOT NULL AND owner_org = app_org_id()
            AND app_role() IN ('family', 'clinic_admin'))
$$;

ALTER TABLE ledger_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY ledger_accounts_read ON ledger_accounts FOR SELECT TO carethread_app, carethread_worker
    USING (session_user = 'carethread_worker' OR ledger_account_visible(owner_org, owner_user));
CREATE POLICY ledger_accounts_posting ON ledger_accounts FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);
GRANT SELECT ON ledger_accounts TO carethread_app, carethread_worker;

ALTER TABLE ledger_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY ledger_entries_read ON ledger_entries FOR SELECT TO carethread_app, carethread_worker
    USING (account_id IN (SELECT id FROM ledger_accounts));
CREATE POLICY ledger_entries_posting ON ledger_entries FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);
GRANT SELECT ON ledger_entries TO carethread_app, carethread_worker;

ALTER TABLE ledger_transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY ledger_transactions_read ON ledger_transactions FOR SELECT TO carethread_app, carethread_worker
    USING (id IN (SELECT transaction_id FROM ledger_entries));
CREATE POLICY ledger_transactions_posting ON ledger_transactions FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);
GRANT SELECT ON ledger_transactions TO carethread_app, carethread_worker;

-- Balances, derived (as the reader may see them).
CREATE VIEW ledger_balances WITH (security_invoker = true) AS
    SELECT a.id AS account_id, a.kind, a.owner_org, a.owner_user,
           coalesce(sum(e.amount_cents), 0)::bigint AS balance_cents
    FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
    GROUP BY a.id;
GRANT SELECT ON ledger_balances TO carethread_app, carethread_worker;

-- The local test processor's book of card payments (development, demo and
-- tests; server::payments::local). No PHI: an id, amounts, a state.
CREATE TYPE local_payment_state AS ENUM ('authorized', 'captured', 'voided');

CREATE TABLE local_processor_payments (
    id             text PRIMARY KEY CHECK (id ~ '^lp_[0-9a-f]{32}$'),
    amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
    captured_cents bigint NOT NULL DEFAULT 0 CHECK (captured_cents >= 0 AND captured_cents <= amount_cents),
    refunded_cents bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= captured_cents),
    state          local_payment_state NOT NULL DEFAULT 'authorized',
    card_last4     text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
    idempotency_key text NOT NULL UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE local_processor_refunds (
    idempotency_key text PRIMARY KEY CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    payment_id      text NOT NULL REFERENCES local_processor_payments (id),
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE local_processor_transfers (
    id              text PRIMARY KEY CHECK (id ~ '^lt_[0-9a-f]{32}$'),
    destination     text NOT NULL CHECK (char_length(destination) BETWEEN 1 AND 100),
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    idempotency_key text NOT NULL UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The simulated card network is the server's, not any tenant's: the roles
-- that call it read and write it whole. It holds no one's data.
ALTER TABLE local_processor_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE local_processor_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY local_processor_payments_processor ON local_processor_payments FOR ALL
    TO carethread_app, carethread_worker USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON local_processor_payments TO carethread_app, carethread_worker;

ALTER TABLE local_processor_refunds ENABLE ROW LEVEL SECURITY;
ALTER TABLE local_processor_refunds FORCE ROW LEVEL SECURITY;
CREATE POLICY local_processor_refunds_processor ON local_processor_refunds FOR ALL
    TO carethread_app, carethread_worker USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON local_processor_refunds TO carethread_app, carethread_worker;

ALTER TABLE local_processor_transfers ENABLE ROW LEVEL SECURITY;
ALTER TABLE local_processor_transfers FORCE ROW LEVEL SECURITY;
CREATE POLICY local_processor_transfers_processor ON local_processor_transfers FOR ALL
    TO carethread_app, carethread_worker USING (true) WITH CHECK (true);
-- UPDATE of the key alone: a retried transfer reads the one it made
-- (INSERT … ON CONFLICT DO UPDATE … RETURNING).
GRANT SELECT, INSERT, UPDATE (idempotency_key) ON local_processor_transfers TO carethread_app, carethread_worker;
