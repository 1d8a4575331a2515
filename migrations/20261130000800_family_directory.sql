-- Families find clinicians (issue 14, "Finding a clinician"): a signed-in
-- family sees verified clinicians — the professional profile the clinics'
-- directory already shows — and each one's state licenses with their
-- verified state licenses with their verification dates. Nothing about
-- anyone else. (The pages show the professional profile only; the rows
-- carry what the clinics' directory carries, like the home ZIP's centre.)
CREATE POLICY clinicians_family_directory ON clinicians FOR SELECT TO carethread_app
    USING (verification_status = 'verified' AND app_role() = 'family');
CREATE POLICY clinician_licenses_family ON clinician_licenses FOR SELECT TO carethread_app
    USING (app_role() = 'family' AND verification_status = 'verified'
           AND clinician_id IN (SELECT id FROM clinicians WHERE verification_status = 'verified'));
