-- Signed checkpoints of the audit chains (issue 10, item 8).
--
-- The chains in audit_events are only as trustworthy as the database: a
-- superuser can disable the triggers, rewrite an event, recompute every
-- later hash with audit_event_hash() and move audit_chain_heads, and the
-- SQL walk (audit_verify) then passes. A checkpoint records every chain
-- head at one moment, signed with an Ed25519 key the database never holds
-- (server/src/audit_anchor.rs documents the signed bytes); `server audit
-- verify` checks each signature with the public key and compares each
-- signed head with the hash now stored at that sequence number, so history
-- before the newest checkpoint cannot be rewritten unnoticed.
--
-- `payload` is exactly the signed byte string; the other columns repeat
-- parts of it for ordering and reading and are not trusted by the verifier.
--
-- Append-only like audit_events: triggers refuse UPDATE, DELETE and
-- TRUNCATE for every role. Written by the operator's administrative
-- connection (`server audit checkpoint`) or by the worker role (the
-- server's periodic checkpoint); the worker may read them (to number the
-- next one and to skip a checkpoint another process just wrote). The
-- application role has no access. There is no organization_id column: one
-- checkpoint covers every organization's chain.

CREATE TABLE audit_checkpoints (
    -- Consecutive from 1 (assigned under an advisory lock by the writer
    -- and signed), so a checkpoint removed from the middle shows as a gap.
    number      bigint PRIMARY KEY CHECK (number > 0),
    created_at  timestamptz NOT NULL,
    -- First 8 bytes of SHA-256 of the public key, hex: which key signed it.
    key_id      text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    payload     bytea NOT NULL CHECK (octet_length(payload) BETWEEN 1 AND 67108864),
    signature   bytea NOT NULL CHECK (octet_length(signature) = 64)
);

CREATE TRIGGER audit_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate
    BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_checkpoints_worker_read ON audit_checkpoints
    FOR SELECT TO carethread_worker USING (true);
CREATE POLICY audit_checkpoints_worker_write ON audit_checkpoints
    FOR INSERT TO carethread_worker WITH CHECK (true);
GRANT SELECT, INSERT ON audit_checkpoints TO carethread_worker;

-- The worker reads every chain head to sign them (heads hold a sequence
-- number and a hash, nothing about the events themselves).
CREATE POLICY audit_chain_heads_checkpoint_read ON audit_chain_heads
    FOR SELECT TO carethread_worker USING (true);
GRANT SELECT ON audit_chain_heads TO carethread_worker;
