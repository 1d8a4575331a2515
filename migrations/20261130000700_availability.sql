-- What a clinician offers families (issue 14, "Availability and rates"):
-- weekly hours, days off and a rate per service. Bookable slots are
-- computed from them minus every visit the clinician already has, in any
-- clinic (app::booking::slots), so clinic-scheduled and booked visits never
-- meet (the visits table's exclusion constraint has the last word).
--
-- Times are UTC, like the rest of the product for now. None of this is
-- PHI: a clinician edits their own; whoever may see a clinician (their
-- directory: clinics, referrers, families see verified ones) may read it.

CREATE TABLE clinician_hours (
    clinician_id uuid NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    -- 0 Monday … 6 Sunday.
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    -- Minutes after midnight.
    start_minute integer NOT NULL CHECK (start_minute BETWEEN 0 AND 1410),
    end_minute   integer NOT NULL CHECK (end_minute BETWEEN 30 AND 1440),
    PRIMARY KEY (clinician_id, id),
    CONSTRAINT clinician_hours_half_an_hour CHECK (end_minute - start_minute >= 30),
    CONSTRAINT clinician_hours_no_overlap EXCLUDE USING gist (
        clinician_id WITH =, weekday WITH =, int4range(start_minute, end_minute) WITH &&
    )
);

CREATE TABLE clinician_days_off (
    clinician_id uuid NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    day          date NOT NULL,
    PRIMARY KEY (clinician_id, day)
);

CREATE TABLE clinician_rates (
    clinician_id uuid NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    service      care_type NOT NULL,
    -- Per visit, in cents: $5 to $1,000.
    cents        bigint NOT NULL CHECK (cents BETWEEN 500 AND 100000),
    PRIMARY KEY (clinician_id, service)
);

-- The clinician's own rows (through their profile), and read access for
-- whoever may see the clinician (the clinicians table's own policies
-- decide that: a family, a clinic, a referrer see verified ones).
CREATE FUNCTION app_own_clinician() RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$ SELECT id FROM clinicians WHERE user_id = app_user_id() AND app_role() = 'clinician' $$;

ALTER TABLE clinician_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinician_hours FORCE ROW LEVEL SECURITY;
CREATE POLICY clinician_hours_own ON clinician_hours FOR ALL TO carethread_app
    USING (clinician_id = app_own_clinician()) WITH CHECK (clinician_id = app_own_clinician());
CREATE POLICY clinician_hours_read ON clinician_hours FOR SELECT TO carethread_app
    USING (clinician_id IN (SELECT id FROM clinicians));
GRANT SELECT, INSERT, DELETE ON clinician_hours TO carethread_app;

ALTER TABLE clinician_days_off ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinician_days_off FORCE ROW LEVEL SECURITY;
CREATE POLICY clinician_days_off_own ON clinician_days_off FOR ALL TO carethread_app
    USING (clinician_id = app_own_clinician()) WITH CHECK (clinician_id = app_own_clinician());
CREATE POLICY clinician_days_off_read ON clinician_days_off FOR SELECT TO carethread_app
    USING (clinician_id IN (SELECT id FROM clinicians));
GRANT SELECT, INSERT, DELETE ON clinician_days_off TO carethread_app;

ALTER TABLE clinician_rates ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinician_rates FORCE ROW LEVEL SECURITY;
CREATE POLICY clinician_rates_own ON clinician_rates FOR ALL TO carethread_app
    USING (clinician_id = app_own_clinician()) WITH CHECK (clinician_id = app_own_clinician());
CREATE POLICY clinician_rates_read ON clinician_rates FOR SELECT TO carethread_app
    USING (clinician_id IN (SELECT id FROM clinicians));
GRANT SELECT, INSERT, UPDATE (cents), DELETE ON clinician_rates TO carethread_app;

-- When a clinician is busy, for computing their open slots. Visits are each
-- clinic's PHI and a family may read none, but a slot must not be offered
-- over any of them: a projection of every visit that holds the
-- clinician's time — its id, clinician and times, never whose or where —
-- kept by a trigger on visits (SECURITY DEFINER, reviewed: it writes only
-- this table, and a trigger cannot be called directly). Whoever may see a
-- clinician may see when they are busy (the clinicians table's policies).
CREATE TABLE clinician_busy_times (
    -- The visit's own key (its clinic and id): kept, never shown.
    organization_id uuid NOT NULL,
    visit_id        uuid NOT NULL,
    clinician_id    uuid NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    PRIMARY KEY (organization_id, visit_id),
    FOREIGN KEY (organization_id, visit_id) REFERENCES visits (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX clinician_busy_times_clinician ON clinician_busy_times (clinician_id, starts_at);

ALTER TABLE clinician_busy_times ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinician_busy_times FORCE ROW LEVEL SECURITY;
-- Only times to come (and the day just gone), of a clinician the reader
-- may see; and only the clinician and the times, never which visit.
CREATE POLICY clinician_busy_times_recent ON clinician_busy_times AS RESTRICTIVE TO carethread_app
    USING (ends_at > now() - interval '1 day');
CREATE POLICY clinician_busy_times_read ON clinician_busy_times FOR SELECT TO carethread_app
    USING (clinician_id IN (SELECT id FROM clinicians));
CREATE POLICY clinician_busy_times_projection ON clinician_busy_times FOR ALL TO carethread_owner
    USING (true) WITH CHECK (true);
GRANT SELECT (clinician_id, starts_at, ends_at) ON clinician_busy_times TO carethread_app;

CREATE FUNCTION visits_busy_projection() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.status IN ('declined', 'cancelled', 'missed') THEN
        DELETE FROM clinician_busy_times
            WHERE (organization_id, visit_id) = (CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END,
                                                 CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    INSERT INTO clinician_busy_times (organization_id, visit_id, clinician_id, starts_at, ends_at)
    VALUES (NEW.organization_id, NEW.id, NEW.clinician_id, NEW.starts_at, NEW.ends_at)
    ON CONFLICT (organization_id, visit_id) DO UPDATE
        SET clinician_id = EXCLUDED.clinician_id, starts_at = EXCLUDED.starts_at,
            ends_at = EXCLUDED.ends_at;
    RETURN NEW;
END $$;

CREATE TRIGGER visits_busy_projection
    AFTER INSERT OR UPDATE OF clinician_id, starts_at, ends_at, status OR DELETE ON visits
    FOR EACH ROW EXECUTE FUNCTION visits_busy_projection();

-- The visits that exist already (none outside development), read once
-- through a policy that lives only as long as this migration.
CREATE POLICY visits_busy_backfill ON visits FOR SELECT TO carethread_owner USING (true);
INSERT INTO clinician_busy_times (organization_id, visit_id, clinician_id, starts_at, ends_at)
    SELECT organization_id, id, clinician_id, starts_at, ends_at FROM visits
    WHERE status NOT IN ('declined', 'cancelled', 'missed');
DROP POLICY visits_busy_backfill ON visits;
