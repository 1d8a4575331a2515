-- Three follow-ups to 20261205000100.
--
-- 1. The branch memo is also keyed by the database role. The membership
--    lookup's answer depends on who runs it: the application role sees a
--    member's own row, but inside a SECURITY DEFINER function (run as the
--    owner, whose policies on memberships admit only families) the same
--    lookup finds nothing, and a memo filed under the staff member's key
--    would read "no branch: the whole clinic" for the rest of the
--    transaction. Nothing reaches it that way today; the key makes sure
--    nothing can. (20261204000300's comment that the branch is read "at
--    each statement" now means once per transaction and role: a change of
--    branch applies from the member's next request.)
--
-- 2. referral_matches gets an index on referral_id, as referral_history
--    did: a referral's matches are read by its id alone (the details, and
--    the inbox's count per row), which the primary key
--    (organization_id, referral_id, rank) cannot serve.
--
-- 3. referrals gets an index on id alone, for the same reason: the details
--    read takes ids, and its tenant guard (the caller as either party) is
--    an OR the planner cannot turn into the primary key's leading column.
CREATE OR REPLACE FUNCTION app_branch_id() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL UNSAFE
    AS $$
DECLARE
    who  text := current_user || '/'
                 || coalesce(current_setting('app.user_id', true), '') || '/'
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

CREATE INDEX IF NOT EXISTS referral_matches_referral_idx ON referral_matches (referral_id, rank);
CREATE INDEX IF NOT EXISTS referrals_id_idx ON referrals (id);
