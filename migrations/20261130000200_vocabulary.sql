-- The names the product speaks in, as enums in the database as in Rust
-- (`app::domain::EventType`, `app::developer::RateWindow`): a name
-- outside the list cannot be stored, and the Rust enum and this type are
-- one list (a test compares them).
--
-- Delivery statuses (`webhook_status`, `mail_status`), job states
-- (`job_state`) and key environments (`api_environment`) were enums from
-- the start.

CREATE TYPE event_type AS ENUM (
    'referral.created',
    'referral.matched',
    'referral.accepted',
    'referral.declined',
    'referral.scheduled',
    'referral.first_visit_done',
    'referral.closed',
    'referral.cancelled',
    'referral.assigned',
    -- A test message to a webhook endpoint; never a domain event.
    'ping'
);

ALTER TABLE domain_events DROP CONSTRAINT domain_events_event_type_check;
ALTER TABLE domain_events ALTER COLUMN event_type TYPE event_type USING event_type::event_type;
ALTER TABLE domain_events ADD CONSTRAINT domain_events_not_ping CHECK (event_type <> 'ping');

-- The ping policy names the column: it goes while the type changes.
DROP POLICY webhook_deliveries_ping ON webhook_deliveries;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_type_check;
ALTER TABLE webhook_deliveries
    ALTER COLUMN event_type TYPE event_type USING event_type::event_type;
CREATE POLICY webhook_deliveries_ping ON webhook_deliveries FOR INSERT TO carethread_app
    WITH CHECK (app_role() IN ('referrer', 'clinic_admin', 'clinic_staff', 'platform_admin')
                AND event_type = 'ping' AND event_id IS NULL
                AND status = 'pending' AND attempts = 0);

ALTER TABLE webhook_endpoints
    ALTER COLUMN events TYPE event_type[] USING events::text[]::event_type[];

CREATE TYPE rate_window AS ENUM ('minute', 'day');
ALTER TABLE api_rate_counters DROP CONSTRAINT api_rate_counters_window_kind_check;
ALTER TABLE api_rate_counters
    ALTER COLUMN window_kind TYPE rate_window USING window_kind::rate_window;
