-- Row-level security for identity, audit and mail (DESIGN "Tenancy").
--
-- Every request's transaction carries its identity in settings read by the
-- app_*() functions. The scopes, from narrowest:
--   anonymous  nothing set: public content only
--   sign-in    app.login_email: the one account that address names
--   token      app.token_hash: the one invitation or reset token held
--   user       app.user_id: the person's own account, sessions, memberships
--   tenant     app.user_id + app.org_id + app.role: an authenticated member
--              acting for one organization
--
-- Tenant tables have a RESTRICTIVE guard (the organization must be the
-- acting one) AND-ed with permissive per-role policies. Platform
-- administrators administer accounts across organizations (memberships,
-- invitations) but get no tenant data elsewhere from these policies.

-- Organizations ---------------------------------------------------------
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_read ON organizations FOR SELECT TO carethread_app
    USING (
        id = app_org_id()
        OR app_role() = 'platform_admin'
        -- user scope: the organizations one belongs to (the context picker)
        OR (app_org_id() IS NULL
            AND id IN (SELECT m.organization_id FROM memberships m WHERE m.user_id = app_user_id()))
        -- token scope: the organization an invitation is for
        OR id IN (SELECT i.organization_id FROM invitations i WHERE i.token_hash = app_token_hash())
    );
CREATE POLICY organizations_create ON organizations FOR INSERT TO carethread_app
    WITH CHECK (app_role() = 'platform_admin' AND kind <> 'platform');
CREATE POLICY organizations_rename ON organizations FOR UPDATE TO carethread_app
    USING (app_role() = 'platform_admin' OR (id = app_org_id() AND app_role() = 'clinic_admin'));
GRANT SELECT, INSERT ON organizations TO carethread_app;
GRANT UPDATE (name) ON organizations TO carethread_app;

-- Users (profiles: no secrets) ---------------------------------------------
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_self ON users FOR SELECT TO carethread_app
    USING (id = app_user_id());
CREATE POLICY users_sign_in ON users FOR SELECT TO carethread_app
    USING (lower(email) = app_login_email());
-- Colleagues in a clinic or referrer organization see each other's names;
-- families and clinicians on the platform never see each other.
CREATE POLICY users_colleagues ON users FOR SELECT TO carethread_app
    USING (app_org_id() <> platform_org_id()
           AND id IN (SELECT m.user_id FROM memberships m WHERE m.organization_id = app_org_id()));
CREATE POLICY users_platform_admin ON users FOR SELECT TO carethread_app
    USING (app_role() = 'platform_admin');
CREATE POLICY users_register ON users FOR INSERT TO carethread_app
    WITH CHECK (id = app_user_id());
CREATE POLICY users_update_self ON users FOR UPDATE TO carethread_app
    USING (id = app_user_id()) WITH CHECK (id = app_user_id());
GRANT SELECT, INSERT ON users TO carethread_app;
GRANT UPDATE (display_name) ON users TO carethread_app;

-- Credentials: only the person, or the sign-in naming them -----------------
ALTER TABLE user_credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY user_credentials_owner ON user_credentials FOR SELECT TO carethread_app
    USING (user_id = app_user_id()
           OR user_id IN (SELECT u.id FROM users u WHERE lower(u.email) = app_login_email()));
CREATE POLICY user_credentials_update ON user_credentials FOR UPDATE TO carethread_app
    USING (user_id = app_user_id()
           OR user_id IN (SELECT u.id FROM users u WHERE lower(u.email) = app_login_email()));
CREATE POLICY user_credentials_create ON user_credentials FOR INSERT TO carethread_app
    WITH CHECK (user_id = app_user_id());
GRANT SELECT, INSERT ON user_credentials TO carethread_app;
GRANT UPDATE (password_hash, password_changed_at) ON user_credentials TO carethread_app;

-- Memberships (tenant) -------------------------------------------------------
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY memberships_tenant_guard ON memberships AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()
           OR app_role() = 'platform_admin'
           OR (app_org_id() IS NULL AND user_id = app_user_id()))
    WITH CHECK (organization_id = app_org_id() OR app_role() = 'platform_admin');
CREATE POLICY memberships_own ON memberships FOR SELECT TO carethread_app
    USING (user_id = app_user_id());
CREATE POLICY memberships_colleagues ON memberships FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff', 'referrer', 'platform_admin'));
-- Families and clinicians register themselves on the platform.
CREATE POLICY memberships_self_register ON memberships FOR INSERT TO carethread_app
    WITH CHECK (user_id = app_user_id()
                AND organization_id = platform_org_id()
                AND role IN ('family', 'clinician'));
-- Everyone else joins by accepting an open invitation sent to their address.
CREATE POLICY memberships_invited ON memberships FOR INSERT TO carethread_app
    WITH CHECK (user_id = app_user_id()
                AND EXISTS (
                    SELECT 1 FROM invitations i
                    WHERE i.organization_id = memberships.organization_id
                      AND i.token_hash = app_token_hash()
                      AND i.role = memberships.role
                      AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                      AND i.expires_at > now()
                      AND lower(i.email) = (SELECT lower(u.email) FROM users u WHERE u.id = app_user_id())));
CREATE POLICY memberships_admin_change ON memberships FOR UPDATE TO carethread_app
    USING (app_role() = 'clinic_admin' AND role IN ('clinic_admin', 'clinic_staff'))
    WITH CHECK (role IN ('clinic_admin', 'clinic_staff'));
CREATE POLICY memberships_admin_remove ON memberships FOR DELETE TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin') AND user_id <> app_user_id());
GRANT SELECT, INSERT, DELETE ON memberships TO carethread_app;
GRANT UPDATE (role) ON memberships TO carethread_app;

-- Invitations (tenant) ------------------------------------------------------
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant_guard ON invitations AS RESTRICTIVE TO carethread_app
    USING (organization_id = app_org_id()
           OR app_role() = 'platform_admin'
           OR (app_org_id() IS NULL AND token_hash = app_token_hash()))
    WITH CHECK (organization_id = app_org_id() OR app_role() = 'platform_admin');
CREATE POLICY invitations_read ON invitations FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin') OR token_hash = app_token_hash());
CREATE POLICY invitations_send ON invitations FOR INSERT TO carethread_app
    WITH CHECK (invited_by = app_user_id()
                AND (app_role() = 'platform_admin'
                     OR (app_role() = 'clinic_admin' AND role IN ('clinic_admin', 'clinic_staff', 'clinician'))));
CREATE POLICY invitations_revoke ON invitations FOR UPDATE TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin'));
CREATE POLICY invitations_accept ON invitations FOR UPDATE TO carethread_app
    USING (token_hash = app_token_hash())
    WITH CHECK (accepted_by = app_user_id());
GRANT SELECT, INSERT ON invitations TO carethread_app;
GRANT UPDATE (accepted_at, accepted_by, revoked_at) ON invitations TO carethread_app;

-- Sign-in sessions (party: the user) ------------------------------------------
ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY user_sessions_own ON user_sessions FOR ALL TO carethread_app
    USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
GRANT SELECT, INSERT ON user_sessions TO carethread_app;
GRANT UPDATE (last_seen_at, ended_at, ended_reason) ON user_sessions TO carethread_app;

-- The login log ---------------------------------------------------------------
ALTER TABLE login_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY login_attempts_record ON login_attempts FOR INSERT TO carethread_app
    WITH CHECK (user_id IS NULL
                OR user_id = app_user_id()
                OR user_id IN (SELECT u.id FROM users u WHERE lower(u.email) = app_login_email()));
CREATE POLICY login_attempts_read ON login_attempts FOR SELECT TO carethread_app
    USING (email = app_login_email()
           OR user_id = app_user_id()
           OR app_role() = 'platform_admin'
           OR (app_role() = 'clinic_admin'
               AND user_id IN (SELECT m.user_id FROM memberships m WHERE m.organization_id = app_org_id())));
GRANT SELECT, INSERT ON login_attempts TO carethread_app;

-- Password-reset tokens -----------------------------------------------------------
ALTER TABLE password_reset_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_reset_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY password_reset_tokens_issue ON password_reset_tokens FOR INSERT TO carethread_app
    WITH CHECK (user_id IN (SELECT u.id FROM users u WHERE lower(u.email) = app_login_email()));
CREATE POLICY password_reset_tokens_redeem ON password_reset_tokens FOR SELECT TO carethread_app
    USING (token_hash = app_token_hash() OR user_id = app_user_id());
CREATE POLICY password_reset_tokens_spend ON password_reset_tokens FOR UPDATE TO carethread_app
    USING (token_hash = app_token_hash() OR user_id = app_user_id());
GRANT SELECT, INSERT ON password_reset_tokens TO carethread_app;
GRANT UPDATE (used_at) ON password_reset_tokens TO carethread_app;

-- Web sessions (tower-sessions) ------------------------------------------------
-- The record id is a 128-bit random secret held only in the browser's
-- HttpOnly cookie: knowing it is what being that session means, so the
-- store may reach any record by id. Records carry ids, never PHI.
ALTER TABLE web_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE web_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY web_sessions_by_secret_id ON web_sessions FOR ALL TO carethread_app
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO carethread_app;

-- Audit (tenant) ------------------------------------------------------------------
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_tenant_guard ON audit_events AS RESTRICTIVE TO carethread_app
    USING (organization_id = coalesce(app_org_id(), platform_org_id()))
    WITH CHECK (organization_id = coalesce(app_org_id(), platform_org_id()));
-- Anyone may append, as themselves.
CREATE POLICY audit_events_append ON audit_events FOR INSERT TO carethread_app
    WITH CHECK (actor_user_id IS NOT DISTINCT FROM app_user_id());
CREATE POLICY audit_events_admin_read ON audit_events FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin'));
GRANT SELECT, INSERT ON audit_events TO carethread_app;

ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_chain_heads_tenant_guard ON audit_chain_heads AS RESTRICTIVE TO carethread_app
    USING (organization_id = coalesce(app_org_id(), platform_org_id()));
CREATE POLICY audit_chain_heads_admin_read ON audit_chain_heads FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'platform_admin'));
-- Only the chaining trigger (SECURITY DEFINER, run as the owner) writes heads.
CREATE POLICY audit_chain_heads_chaining ON audit_chain_heads FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);
GRANT SELECT ON audit_chain_heads TO carethread_app;

-- Mail outbox: the web role files, the worker role sends ------------------------
ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY mail_outbox_file ON mail_outbox FOR INSERT TO carethread_app
    WITH CHECK (status = 'queued' AND attempts = 0 AND sent_at IS NULL);
CREATE POLICY mail_outbox_deliver ON mail_outbox FOR ALL TO carethread_worker
    USING (true) WITH CHECK (true);
GRANT INSERT ON mail_outbox TO carethread_app;
GRANT SELECT, UPDATE ON mail_outbox TO carethread_worker;

-- Vendor-packet requests: platform administrators may now read them.
CREATE POLICY vendor_packet_requests_platform_read ON vendor_packet_requests
    FOR SELECT TO carethread_app USING (app_role() = 'platform_admin');
GRANT SELECT ON vendor_packet_requests TO carethread_app;
