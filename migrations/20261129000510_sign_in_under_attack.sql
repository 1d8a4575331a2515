-- Sign-in under attack (security review).
--
-- 1. The lockout holds under parallel guesses. A sign-in takes the
--    address's advisory lock, counts the failures and the guesses still
--    being checked (`pending`, for a minute at most: a crashed request's
--    place is not held forever), and records its own guess as `pending`
--    before the password is checked, without holding a connection while
--    argon2 runs. The check's outcome then replaces `pending` on that one
--    row, in the sign-in scope of the same address.
CREATE POLICY login_attempts_settle ON login_attempts FOR UPDATE TO carethread_app
    USING (email = app_login_email() AND outcome = 'pending')
    WITH CHECK (email = app_login_email());
GRANT UPDATE (outcome) ON login_attempts TO carethread_app;

-- 2. Throttles shared by every server process: requests counted per
--    bucket (sign-in, reset, registration, sandbox sign-up) and per key
--    (a client address, or an account's address), in fixed windows, by one
--    atomic upsert. Keys are stored as SHA-256, never as the address or the
--    email itself. No tenant data: the web role counts, the worker prunes.
CREATE TABLE request_throttles (
    bucket       text NOT NULL CHECK (bucket ~ '^[a-z_:]{1,40}$'),
    key_hash     bytea NOT NULL CHECK (octet_length(key_hash) = 32),
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL CHECK (hits > 0),
    PRIMARY KEY (bucket, key_hash, window_start)
);
ALTER TABLE request_throttles ENABLE ROW LEVEL SECURITY;
ALTER TABLE request_throttles FORCE ROW LEVEL SECURITY;
CREATE POLICY request_throttles_count ON request_throttles FOR ALL TO carethread_app
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON request_throttles TO carethread_app;
CREATE POLICY request_throttles_prune ON request_throttles FOR DELETE TO carethread_worker
    USING (window_start < now() - interval '1 day');
CREATE POLICY request_throttles_prune_read ON request_throttles FOR SELECT TO carethread_worker
    USING (window_start < now() - interval '1 day');
GRANT SELECT, DELETE ON request_throttles TO carethread_worker;
