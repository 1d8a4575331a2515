-- Row-level security and grants for the trust tables.
--
-- Policy: every table the application role can reach has RLS enabled and
-- forced (so even the owner is subject to it) and an explicit policy per
-- operation. The application role gets exactly what the public portal
-- needs: read the published content, record health probes (and prune old
-- ones), and file packet requests it can never read back.

ALTER TABLE trust_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE trust_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY trust_settings_public_read ON trust_settings
    FOR SELECT TO carethread_app USING (true);

ALTER TABLE certifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE certifications FORCE ROW LEVEL SECURITY;
CREATE POLICY certifications_public_read ON certifications
    FOR SELECT TO carethread_app USING (true);

ALTER TABLE subprocessors ENABLE ROW LEVEL SECURITY;
ALTER TABLE subprocessors FORCE ROW LEVEL SECURITY;
CREATE POLICY subprocessors_public_read ON subprocessors
    FOR SELECT TO carethread_app USING (true);

ALTER TABLE data_principles ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_principles FORCE ROW LEVEL SECURITY;
CREATE POLICY data_principles_public_read ON data_principles
    FOR SELECT TO carethread_app USING (true);

ALTER TABLE health_probes ENABLE ROW LEVEL SECURITY;
ALTER TABLE health_probes FORCE ROW LEVEL SECURITY;
CREATE POLICY health_probes_read ON health_probes
    FOR SELECT TO carethread_app USING (true);
CREATE POLICY health_probes_record ON health_probes
    FOR INSERT TO carethread_app WITH CHECK (true);
-- Only probes past the 90-day retention may be removed.
CREATE POLICY health_probes_prune ON health_probes
    FOR DELETE TO carethread_app USING (probed_at < now() - interval '90 days');

ALTER TABLE vendor_packet_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE vendor_packet_requests FORCE ROW LEVEL SECURITY;
-- Anyone may file a request; reading them is for platform admins (a policy
-- added with identity). Until then the application role cannot read them.
CREATE POLICY vendor_packet_requests_file ON vendor_packet_requests
    FOR INSERT TO carethread_app WITH CHECK (handled_at IS NULL);

GRANT SELECT ON trust_settings, certifications, subprocessors, data_principles
    TO carethread_app;
GRANT SELECT, INSERT, DELETE ON health_probes TO carethread_app;
GRANT INSERT ON vendor_packet_requests TO carethread_app;
