-- The organization names the two parties of a referral see of each other,
-- looked up by the pair instead of by every referral the caller can see.
--
-- The first form of this policy (20261128000007) asked whether an
-- organization's id was among the senders or the receivers of all the
-- caller's visible referrals. Every query that names an organization (the
-- referral read, the inbox, the API) therefore read each of those
-- referrals, so its cost grew with the organization's history: 82 ms for
-- the read's main query at 2,500 referrals against 4-9 ms at 8
-- (scripts/bench/rest-read.sh).
--
-- The rows it admits are the same. The restrictive referrals_tenant_guard
-- admits only referrals whose sender or receiver is the caller's
-- organization, so the organizations of visible referrals are the
-- caller's own (which organizations_read admits anyway), the receivers of
-- what it sent, and the senders of what it received. Each EXISTS below
-- still reads referrals under their own policies (branch scope, roles),
-- and one index on the pair answers both directions. The equivalence rests
-- on referrals_tenant_guard staying restrictive; the property test in
-- server/tests/tenancy.rs holds this policy to the first form's rows.
-- The cheap tests go first: one's own organization (which
-- organizations_read admits anyway) and a referrer's clinics need no
-- lookup; before, the policy was evaluated ahead of organizations_read and
-- even the key check's read of its own organization probed referrals.
-- OFFSET 0 keeps each EXISTS a probe per organization row: without it the
-- planner may turn it into a hashed subplan over every referral the clinic
-- received, the first form's cost again.
--
-- The index is built in the migration's transaction, which blocks writes
-- to referrals while it builds: seconds at a clinic's scale. A deployment
-- with millions of referrals can build it beforehand with CREATE INDEX
-- CONCURRENTLY under the same name; this migration keeps it.
DROP POLICY organizations_referral_parties ON organizations;
CREATE POLICY organizations_referral_parties ON organizations FOR SELECT TO carethread_app
    USING (id = app_org_id()
           OR (app_role() = 'referrer' AND kind = 'clinic')
           OR EXISTS (SELECT 1 FROM referrals r
                       WHERE r.organization_id = organizations.id
                         AND r.clinic_id = app_org_id()
                      OFFSET 0)
           OR EXISTS (SELECT 1 FROM referrals r
                       WHERE r.organization_id = app_org_id()
                         AND r.clinic_id = organizations.id
                      OFFSET 0));

CREATE INDEX IF NOT EXISTS referrals_parties_idx ON referrals (organization_id, clinic_id);

-- A referral's history is read by the referral's id alone (the read, the
-- inbox, FHIR), which the primary key (organization_id, referral_id, seq)
-- cannot serve: every read scanned the whole history table.
CREATE INDEX IF NOT EXISTS referral_history_referral_idx ON referral_history (referral_id, seq);

-- The branch a clinic's staff member is scoped to, remembered for the rest
-- of the transaction. Every branch-scoped policy calls this once per row
-- checked, and the first form ran its membership query each time: about
-- 9 µs a row, so a FHIR search or an inbox over 100,000 referrals spent
-- most of a second here. Now the query runs once per identity: the answer
-- is kept in a transaction-local setting under the user and organization
-- it was computed for, and any other identity (a switch of organization,
-- a key) computes afresh, so a stale answer is never used. The setting is
-- only a cache of what the memberships say; the app role could set it, as
-- it sets app.org_id itself, so it trusts nothing new. Not parallel safe:
-- set_config cannot run in a parallel worker.
CREATE OR REPLACE FUNCTION app_branch_id() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL UNSAFE
    AS $$
DECLARE
    who  text := coalesce(current_setting('app.user_id', true), '') || '/'
                 || coalesce(current_setting('app.org_id', true), '') || '=';
    memo text := current_setting('app.branch_memo', true);
    branch uuid;
BEGIN
    IF memo IS NOT NULL AND starts_with(memo, who) THEN
        RETURN nullif(substr(memo, length(who) + 1), '')::uuid;
    END IF;
    SELECT m.branch_id INTO branch FROM memberships m
     WHERE m.user_id = app_user_id() AND m.organization_id = app_org_id()
       AND m.role = 'clinic_staff';
    PERFORM set_config('app.branch_memo', who || coalesce(branch::text, ''), true);
    RETURN branch;
END $$;
