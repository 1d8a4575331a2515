-- Session records are reached by id only (security review): the web role
-- may no longer read, scan or write `web_sessions`; it calls these narrow
-- functions, each of which touches exactly the record whose id (a 128-bit
-- secret from the browser's cookie) it is given, or, for the clean-up,
-- only expired records. A leaked application-role connection can no longer
-- list everyone's sessions.
REVOKE SELECT, INSERT, UPDATE, DELETE ON web_sessions FROM carethread_app;
DROP POLICY web_sessions_by_secret_id ON web_sessions;
-- The functions run as the owner; row-level security is forced on the
-- table, so the owner needs a policy of its own.
CREATE POLICY web_sessions_by_function ON web_sessions FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);

CREATE FUNCTION web_session_load(session_id text) RETURNS bytea
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT data FROM web_sessions WHERE id = session_id AND expiry_date > now() $$;

-- A new record; false when the id is taken (the caller draws another).
CREATE FUNCTION web_session_create(session_id text, session_data bytea, expires timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO web_sessions (id, data, expiry_date) VALUES (session_id, session_data, expires)
    ON CONFLICT (id) DO NOTHING;
    RETURN FOUND;
END $$;

CREATE FUNCTION web_session_save(session_id text, session_data bytea, expires timestamptz)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    INSERT INTO web_sessions (id, data, expiry_date) VALUES (session_id, session_data, expires)
    ON CONFLICT (id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date
$$;

CREATE FUNCTION web_session_delete(session_id text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ DELETE FROM web_sessions WHERE id = session_id $$;

CREATE FUNCTION web_session_delete_expired() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    WITH gone AS (DELETE FROM web_sessions WHERE expiry_date < now() RETURNING 1)
    SELECT count(*) FROM gone
$$;

REVOKE ALL ON FUNCTION web_session_load(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_create(text, bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_save(text, bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_delete(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_delete_expired() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION web_session_load(text) TO carethread_app;
GRANT EXECUTE ON FUNCTION web_session_create(text, bytea, timestamptz) TO carethread_app;
GRANT EXECUTE ON FUNCTION web_session_save(text, bytea, timestamptz) TO carethread_app;
GRANT EXECUTE ON FUNCTION web_session_delete(text) TO carethread_app;
GRANT EXECUTE ON FUNCTION web_session_delete_expired() TO carethread_app;
