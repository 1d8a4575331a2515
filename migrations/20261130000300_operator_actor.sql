-- Audit actors: `operator`, the operator's command line (`server api-key
-- create`, over the administrative connection). Until now such events were
-- `anonymous`, the kind of an unauthenticated web request; an act that
-- opens API access deserves its own. As with `break_glass`, the hash
-- covers the actor type for every kind but `user`, so earlier events keep
-- the hashes they were given. The web role may never write this kind.

ALTER TABLE audit_events
    DROP CONSTRAINT audit_events_actor_type_check,
    ADD CONSTRAINT audit_events_actor_type_check
        CHECK (actor_type IN ('user', 'api_key', 'anonymous', 'break_glass', 'operator')),
    DROP CONSTRAINT audit_events_actor_shape,
    ADD CONSTRAINT audit_events_actor_shape CHECK (
        CASE actor_type
            WHEN 'api_key' THEN actor_api_key_id IS NOT NULL AND actor_user_id IS NULL
                                AND actor_grant_id IS NULL
            WHEN 'anonymous' THEN actor_api_key_id IS NULL AND actor_user_id IS NULL
                                  AND actor_grant_id IS NULL
            WHEN 'operator' THEN actor_api_key_id IS NULL AND actor_user_id IS NULL
                                 AND actor_grant_id IS NULL
            WHEN 'break_glass' THEN actor_user_id IS NOT NULL AND actor_grant_id IS NOT NULL
                                    AND actor_api_key_id IS NULL
            ELSE actor_api_key_id IS NULL AND actor_grant_id IS NULL
        END);

-- As in 20261129000400_break_glass.sql, and `operator` never.
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
            WHEN 'operator' THEN false
            ELSE actor_user_id IS NOT DISTINCT FROM app_user_id()
                 AND app_actor_api_key() IS NULL
                 AND app_break_glass() IS NULL
        END);
