-- The packet's documents (issue 13): the discharge summary and the orders,
-- as PDFs the referrer attaches. Sealed by the application like the
-- packet (`app::vault`; no file name is kept, since names of files carry
-- names of people) and, like the packet, released only to the clinic that
-- accepts the referral.

CREATE TYPE attachment_kind AS ENUM ('discharge_summary', 'orders');

CREATE TABLE referral_attachments (
    organization_id uuid NOT NULL,
    referral_id     uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    -- The clinic the referral was routed to (a party, like the referral's).
    clinic_id       uuid REFERENCES organizations (id),
    kind            attachment_kind NOT NULL,
    size_bytes      integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    -- SHA-256 of the document as received.
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    key_id          text NOT NULL CHECK (key_id ~ '^[a-z0-9-]{1,16}$'),
    sealed          bytea NOT NULL,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, referral_id, id),
    FOREIGN KEY (organization_id, referral_id) REFERENCES referrals (organization_id, id)
);
COMMENT ON COLUMN referral_attachments.clinic_id IS 'tenant-party';
-- A referral's documents (the pages and the download ask by referral).
CREATE INDEX referral_attachments_referral_idx ON referral_attachments (referral_id, id);

ALTER TABLE referral_attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_attachments FORCE ROW LEVEL SECURITY;
CREATE POLICY referral_attachments_tenant_guard ON referral_attachments AS RESTRICTIVE TO carethread_app
    USING (app_org_id() IN (organization_id, clinic_id))
    WITH CHECK (app_org_id() IN (organization_id, clinic_id));
CREATE POLICY referral_attachments_referrer ON referral_attachments FOR ALL TO carethread_app
    USING (app_role() = 'referrer' AND organization_id = app_org_id())
    WITH CHECK (app_role() = 'referrer' AND organization_id = app_org_id()
                AND EXISTS (SELECT 1 FROM referrals r
                            WHERE r.organization_id = referral_attachments.organization_id
                              AND r.id = referral_attachments.referral_id
                              AND r.clinic_id IS NOT DISTINCT FROM referral_attachments.clinic_id));
-- Released to the receiving clinic once it has accepted, never before.
CREATE POLICY referral_attachments_released ON referral_attachments FOR SELECT TO carethread_app
    USING (app_role() IN ('clinic_admin', 'clinic_staff') AND clinic_id = app_org_id()
           AND EXISTS (SELECT 1 FROM referrals r
                       WHERE r.organization_id = referral_attachments.organization_id
                         AND r.id = referral_attachments.referral_id
                         AND r.clinic_id = app_org_id()
                         AND r.status IN ('accepted', 'scheduled', 'first_visit_done', 'closed')));
GRANT SELECT, INSERT ON referral_attachments TO carethread_app;
