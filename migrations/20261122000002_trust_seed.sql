-- Initial trust-portal content for a new instance: an honest starting point
-- that the operator edits (platform-admin editing arrives with identity).
-- The vendors are those of the reference hosted deployment; a self-hosted
-- instance replaces them with its own.

INSERT INTO trust_settings (last_reviewed, uptime_target_percent, packet_response_days)
VALUES (DATE '2026-11-20', 99.9, 2);

INSERT INTO certifications (name, scope, status, status_date, detail, sort_order) VALUES
('HIPAA Security and Privacy Rules', 'Administrative, physical and technical safeguards under 45 CFR §§164.306–316.',
 'operational', DATE '2026-09-01',
 'Row-level tenant isolation in the database, hash-chained audit log, encryption in transit and at rest, BAAs with every subprocessor that may receive PHI. HIPAA issues no certificate; this is our own posture.', 10),
('SOC 2 Type I', 'Security, availability and confidentiality trust services criteria.',
 'audit_engaged', DATE '2027-03-31',
 'An AICPA-registered CPA firm is engaged; fieldwork is under way. The date is when the report is expected.', 20),
('SOC 2 Type II', 'Operating effectiveness of the SOC 2 controls over a six-month window.',
 'scheduled', DATE '2027-10-01',
 'The observation window opens when the Type I report is issued; the engagement is signed and funded.', 30),
('Third-party penetration test', 'Web application, API and infrastructure testing by an independent firm.',
 'scheduled', DATE '2027-02-15',
 'Booked with an independent firm; a summary will be added to the vendor packet.', 40),
('HITRUST CSF', 'Healthcare control framework commonly required by hospital and payer procurement.',
 'planned', NULL,
 'No engagement yet. We will list a date here only once one is booked.', 50);

INSERT INTO subprocessors (vendor, purpose, region, baa_signed, baa_note, touches_phi, phi_note, sort_order) VALUES
('Amazon Web Services', 'Compute, managed PostgreSQL, encrypted object storage', 'us-east-1', true, NULL, true, NULL, 10),
('Backblaze B2', 'Encrypted off-site database backups', 'us-west', true, NULL, true, 'encrypted before upload; keys stay with us', 20),
('Cloudflare', 'DNS, TLS termination and web application firewall', 'Global edge, US origin', true, NULL, true, 'in transit only', 30),
('Twilio', 'SMS visit reminders', 'US', true, NULL, true, 'minimal: initials and a link', 40),
('Postmark', 'Transactional email', 'US', false, 'N/A, no PHI', false, 'bodies carry initials and links only', 50),
('Stripe', 'Card payments and Stripe Connect payouts', 'US', false, 'N/A, no PHI', false, 'financial data only', 60),
('Checkr', 'Background screening of clinicians', 'US', false, 'N/A, no PHI', false, 'clinician details, not patient PHI', 70),
('Grafana Cloud', 'Metrics and logs', 'us-east', false, 'N/A, no PHI', false, 'logs carry no PHI by design', 80);

INSERT INTO data_principles (title, body, sort_order) VALUES
('PHI by exception, not by default',
 'Each part of the system receives the minimum PHI it needs. Emails and webhooks carry initials and links, never clinical detail, and every read of a patient record is written to the audit log.', 10),
('Isolation enforced by the database',
 'Every tenant table is protected by PostgreSQL row-level security. The application connects as a role that owns nothing and cannot bypass those policies, so a query that forgets its filter still sees only its own organization.', 20),
('Encryption everywhere',
 'TLS 1.2 or later in transit with HSTS, AES-256 at rest, and backups encrypted before they leave our network.', 30),
('A transparent BAA chain',
 'The subprocessor table on this page is the single source of truth, and the counts above are computed from it each time the page is served.', 40);
