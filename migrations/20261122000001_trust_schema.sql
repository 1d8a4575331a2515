-- Trust portal schema (SPEC J6).
--
-- Runs as carethread_owner, like every migration: the owner role holds the
-- tables; the application role (carethread_app) only gets the grants in
-- 20261122000003_trust_rls.sql.
--
-- These are platform tables, not tenant tables: they hold the instance's
-- public trust content, its own health probes, and procurement requests.

-- Where a certification or framework stands. "scheduled" must carry a date
-- (see the check on certifications): a date that is real, not a hope.
CREATE TYPE certification_status AS ENUM (
    'operational',   -- in force, evidence in hand
    'audit_engaged', -- an auditor is engaged, audit under way
    'scheduled',     -- funded, with a real date
    'planned'        -- intended, no engagement yet
);

-- The single row of portal-wide settings.
CREATE TABLE trust_settings (
    singleton             boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- Bumped by every edit of the trust content (admin editing arrives later).
    last_reviewed         date NOT NULL,
    uptime_target_percent numeric(6, 3) NOT NULL
        CHECK (uptime_target_percent > 0 AND uptime_target_percent <= 100),
    packet_response_days  integer NOT NULL DEFAULT 2
        CHECK (packet_response_days BETWEEN 1 AND 30)
);

CREATE TABLE certifications (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    scope       text NOT NULL CHECK (char_length(scope) <= 500),
    status      certification_status NOT NULL,
    -- Attained (operational), expected (audit engaged) or booked (scheduled).
    status_date date,
    detail      text NOT NULL DEFAULT '' CHECK (char_length(detail) <= 1000),
    sort_order  integer NOT NULL DEFAULT 0,
    CONSTRAINT certifications_name_key UNIQUE (name),
    CONSTRAINT certifications_scheduled_has_date
        CHECK (status <> 'scheduled' OR status_date IS NOT NULL)
);

-- Every vendor that may receive data. The BAA-chain counts on the portal
-- are computed from this table and never stored.
CREATE TABLE subprocessors (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    vendor      text NOT NULL CHECK (char_length(vendor) BETWEEN 1 AND 120),
    purpose     text NOT NULL CHECK (char_length(purpose) BETWEEN 1 AND 300),
    region      text NOT NULL CHECK (char_length(region) BETWEEN 1 AND 120),
    baa_signed  boolean NOT NULL,
    -- "Bedrock", "covered by the AWS BAA", "N/A, no PHI", …
    baa_note    text CHECK (char_length(baa_note) <= 200),
    touches_phi boolean NOT NULL,
    -- "initials and a link only", "encrypted, no keys", …
    phi_note    text CHECK (char_length(phi_note) <= 200),
    sort_order  integer NOT NULL DEFAULT 0,
    CONSTRAINT subprocessors_vendor_key UNIQUE (vendor),
    -- HIPAA: a vendor that may receive PHI must have signed a BAA. The
    -- database refuses a table that would say otherwise.
    CONSTRAINT subprocessors_phi_requires_baa CHECK (NOT touches_phi OR baa_signed)
);

CREATE TABLE data_principles (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title      text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 120),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    sort_order integer NOT NULL DEFAULT 0
);

-- One row per probe by each server process (about one a minute each).
-- Uptime counts the distinct minutes with a successful probe.
CREATE TABLE health_probes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    probed_at  timestamptz NOT NULL DEFAULT now(),
    ok         boolean NOT NULL,
    latency_ms integer NOT NULL CHECK (latency_ms >= 0)
);
CREATE INDEX health_probes_probed_at_idx ON health_probes (probed_at);

CREATE TYPE vendor_packet_kind AS ENUM (
    'full_packet',
    'sample_baa',
    'security_questionnaire',
    'pen_test_summary',
    'sbom'
);

-- Procurement requests from the portal form. Minimal by design: no IP
-- address or user agent is kept for an unauthenticated public form.
CREATE TABLE vendor_packet_requests (
    id             uuid PRIMARY KEY,
    requester_name text NOT NULL CHECK (char_length(requester_name) BETWEEN 1 AND 120),
    email          text NOT NULL
        CHECK (char_length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
    organization   text NOT NULL CHECK (char_length(organization) BETWEEN 2 AND 160),
    packet         vendor_packet_kind NOT NULL,
    message        text CHECK (char_length(message) <= 2000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    handled_at     timestamptz
);
CREATE INDEX vendor_packet_requests_open_idx
    ON vendor_packet_requests (created_at) WHERE handled_at IS NULL;
