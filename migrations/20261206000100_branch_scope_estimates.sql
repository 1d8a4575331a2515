-- The branch scope of patients, visits and referrals, written so that the
-- planner estimates it honestly.
--
-- The first form, `app_branch_id() IS NULL OR branch_id = app_branch_id()`,
-- admits the same rows. But PostgreSQL gives an IS NULL test on a function
-- call (no column, no statistics) a selectivity of 0.005. Every scan of these
-- tables under the policy was therefore expected to return 1 row in 200.
-- Measured with 100,000 referrals (scripts/bench/growth.sh): a page of a
-- clinic's inbox or of a FHIR search is estimated at 4 rows when it has
-- 100,000. The planner then reads and sorts them all (500 ms) instead of
-- walking the (clinic_id, received_at) index for the 50 it shows (under
-- 1 ms).
--
-- A CASE is a boolean expression the planner cannot see into, so it gets
-- the neutral 0.5. The scope is unchanged: a member scoped to a branch
-- sees that branch's rows, and everyone else is not narrowed.
-- The branch property test in server/tests/tenancy.rs checks the scope
-- against its own model of who sees which rows.
ALTER POLICY patients_branch_scope ON patients
    USING (CASE WHEN app_branch_id() IS NULL THEN true ELSE branch_id = app_branch_id() END)
    WITH CHECK (CASE WHEN app_branch_id() IS NULL THEN true ELSE branch_id = app_branch_id() END);
ALTER POLICY visits_branch_scope ON visits
    USING (CASE WHEN app_branch_id() IS NULL THEN true ELSE branch_id = app_branch_id() END)
    WITH CHECK (CASE WHEN app_branch_id() IS NULL THEN true ELSE branch_id = app_branch_id() END);
ALTER POLICY referrals_branch_scope ON referrals
    USING (CASE WHEN app_branch_id() IS NULL THEN true ELSE clinic_branch_id = app_branch_id() END)
    WITH CHECK (CASE WHEN app_branch_id() IS NULL THEN true ELSE clinic_branch_id = app_branch_id() END);
