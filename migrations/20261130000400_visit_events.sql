-- The visit events webhooks carry (issue 13). A value added to an enum
-- cannot be used in the transaction that adds it, so this migration only
-- adds them; 20261130000410_patients_visits.sql uses them.
ALTER TYPE event_type ADD VALUE IF NOT EXISTS 'visit.scheduled' BEFORE 'ping';
ALTER TYPE event_type ADD VALUE IF NOT EXISTS 'visit.completed' BEFORE 'ping';
