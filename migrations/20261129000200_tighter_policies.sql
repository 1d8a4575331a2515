-- Policies as tight as the code (security review): each rule the
-- application already keeps is now also kept by the database, so a bug or
-- a new code path cannot break it.

-- Referral history and domain events are written only by a party to that
-- referral, acting in a role that may change it (the referring planner,
-- or the receiving clinic's staff), for a referral that exists.
DROP POLICY referral_history_record ON referral_history;
CREATE POLICY referral_history_record ON referral_history FOR INSERT TO carethread_app
    WITH CHECK (
        actor_user_id IS NOT DISTINCT FROM app_user_id()
        AND ((app_role() = 'referrer' AND organization_id = app_org_id())
             OR (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id()))
        AND EXISTS (SELECT 1 FROM referrals r
                    WHERE r.id = referral_id
                      AND r.organization_id = referral_history.organization_id
                      AND r.clinic_id IS NOT DISTINCT FROM referral_history.clinic_id));

DROP POLICY domain_events_record ON domain_events;
CREATE POLICY domain_events_record ON domain_events FOR INSERT TO carethread_app
    WITH CHECK (
        -- Recorded unsent (as in 20261128000009_webhooks.sql).
        notified_at IS NULL AND webhooks_at IS NULL
        AND ((app_role() = 'referrer' AND organization_id = app_org_id())
             OR (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id()))
        -- About a referral of these two parties: never a stranger clinic.
        AND EXISTS (SELECT 1 FROM referrals r
                    WHERE r.id = subject_id
                      AND r.organization_id = domain_events.organization_id
                      AND r.clinic_id IS NOT DISTINCT FROM domain_events.clinic_id));

-- A sandbox's referrals stay in the sandbox: never routed to a clinic.
CREATE POLICY referrals_sandbox_unrouted ON referrals AS RESTRICTIVE FOR INSERT TO carethread_app
    WITH CHECK (clinic_id IS NULL
                OR NOT EXISTS (SELECT 1 FROM organizations o
                               WHERE o.id = organization_id AND o.sandbox));
CREATE POLICY referrals_sandbox_unrouted_update ON referrals AS RESTRICTIVE FOR UPDATE TO carethread_app
    USING (true)
    WITH CHECK (clinic_id IS NULL
                OR NOT EXISTS (SELECT 1 FROM organizations o
                               WHERE o.id = organization_id AND o.sandbox));

-- Webhook endpoints are managed by an organization's administrators (a
-- referring organization's planners are its administrators) and by its
-- API keys, never by a clinic's staff signed in as people: the same rule
-- as `developer::webhooks::may_manage`.
DROP POLICY webhook_endpoints_manage ON webhook_endpoints;
CREATE POLICY webhook_endpoints_manage ON webhook_endpoints FOR ALL TO carethread_app
    USING (app_role() IN ('referrer', 'clinic_admin', 'platform_admin')
           OR (app_role() = 'clinic_staff' AND app_actor_api_key() IS NOT NULL))
    WITH CHECK (app_role() IN ('referrer', 'clinic_admin', 'platform_admin')
                OR (app_role() = 'clinic_staff' AND app_actor_api_key() IS NOT NULL));

-- The sign-in scope reads the one account's hash to check a password; it
-- never writes one. Only the person (after a reset token or their current
-- password proved who they are) changes their password.
DROP POLICY user_credentials_update ON user_credentials;
CREATE POLICY user_credentials_update ON user_credentials FOR UPDATE TO carethread_app
    USING (user_id = app_user_id())
    WITH CHECK (user_id = app_user_id());

-- An invitation's end is final: a revoked or accepted invitation cannot be
-- revived, whoever asks.
CREATE FUNCTION invitations_final() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'a revoked invitation stays revoked' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.accepted_at IS NOT NULL AND (NEW.accepted_at IS DISTINCT FROM OLD.accepted_at
                                        OR NEW.accepted_by IS DISTINCT FROM OLD.accepted_by) THEN
        RAISE EXCEPTION 'an accepted invitation stays accepted' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invitations_final BEFORE UPDATE ON invitations
    FOR EACH ROW EXECUTE FUNCTION invitations_final();
