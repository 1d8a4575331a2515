-- What a clinician offers families (issue 14, "Availability and rates"):
-- weekly hours, days off and a rate per service. Bookable slots are
-- computed from them minus every visit the clinician already has, in any
-- clinic (app::booking::slots), so clinic-scheduled and booked visits never
-- meet (the visits table's exclusion constraint has the last word).
--
-- Times are UTC, like the rest of the product for now. None of this is
-- PHI: a clinician edits their own; anyone signed in may read a verified
-- clinician's (families book from it).

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

-- When a clinician is busy, for computing their open slots (SECURITY
-- DEFINER, reviewed): visits are each clinic's PHI and a family may read
-- none, but a slot must not be offered over any of them. It answers only
-- start and end times, for at most 62 days, to a signed-in caller; the
-- operation that calls it (app::booking::service) first reads the
-- clinician as the caller, so a clinician the caller may not see is not
-- found.
CREATE POLICY visits_busy_times ON visits FOR SELECT TO carethread_owner USING (true);

CREATE FUNCTION clinician_busy(p_clinician uuid, p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (starts_at timestamptz, ends_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF app_user_id() IS NULL THEN
        RAISE EXCEPTION 'busy times need a signed-in caller' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_to <= p_from OR p_to - p_from > interval '62 days' THEN
        RAISE EXCEPTION 'ask for 62 days at most' USING ERRCODE = 'check_violation';
    END IF;
    RETURN QUERY
        SELECT v.starts_at, v.ends_at FROM visits v
        WHERE v.clinician_id = p_clinician
          AND v.status NOT IN ('declined', 'cancelled', 'missed')
          AND tstzrange(v.starts_at, v.ends_at) && tstzrange(p_from, p_to)
        ORDER BY v.starts_at;
END $$;
REVOKE ALL ON FUNCTION clinician_busy(uuid, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinician_busy(uuid, timestamptz, timestamptz) TO carethread_app;
