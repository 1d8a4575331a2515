-- Trust-portal editing by platform administrators (issue 16, item 7).
--
-- Platform administrators may add, change and remove certifications,
-- subprocessors and data principles. Every change, by whatever door,
-- lands in `trust_changes` (the public change feed behind `/trust.json`
-- and `/trust/feed.atom`) and bumps `trust_settings.last_reviewed`, both
-- by trigger so no caller can forget either. The audit event naming who
-- made the change is written by the application in the same transaction.

-- A subprocessor is announced before it receives data: customers read the
-- feed and learn of a new vendor ahead of its start date.
ALTER TABLE subprocessors ADD COLUMN starts_on date NOT NULL DEFAULT current_date;

CREATE TABLE trust_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- certification | subprocessor | principle
    item_kind   text NOT NULL CHECK (item_kind IN ('certification', 'subprocessor', 'principle')),
    -- added | changed | removed
    change      text NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
    item_id     uuid NOT NULL,
    -- The item's name as it reads after the change (before, for a removal).
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    -- One public sentence: what changed.
    summary     text NOT NULL CHECK (char_length(summary) BETWEEN 1 AND 600),
    -- For a subprocessor: the day it starts (or stops) receiving data.
    effective_on date
);
CREATE INDEX trust_changes_recent_idx ON trust_changes (occurred_at DESC, id DESC);

-- The feed row and the review date, for every change of the three tables.
-- SECURITY DEFINER: the application role may not write either directly.
CREATE FUNCTION trust_record_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    kind text := CASE TG_TABLE_NAME WHEN 'certifications' THEN 'certification'
                                    WHEN 'subprocessors' THEN 'subprocessor'
                                    ELSE 'principle' END;
    change text := CASE TG_OP WHEN 'INSERT' THEN 'added'
                              WHEN 'UPDATE' THEN 'changed'
                              ELSE 'removed' END;
    row_now jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    title text;
    summary text;
    effective date;
BEGIN
    -- A reorder alone is not news.
    IF TG_OP = 'UPDATE' AND to_jsonb(NEW) - 'sort_order' = to_jsonb(OLD) - 'sort_order' THEN
        RETURN NEW;
    END IF;
    title := coalesce(row_now->>'name', row_now->>'vendor', row_now->>'title');
    IF kind = 'subprocessor' THEN
        effective := CASE WHEN TG_OP = 'DELETE' THEN current_date
                          ELSE (row_now->>'starts_on')::date END;
        summary := CASE change
            WHEN 'added' THEN format('New subprocessor %s (%s, %s) from %s; %s.',
                row_now->>'vendor', row_now->>'purpose', row_now->>'region',
                to_char(effective, 'FMMonth FMDD, YYYY'),
                CASE WHEN (row_now->>'touches_phi')::boolean
                     THEN 'may receive PHI under a signed BAA' ELSE 'receives no PHI' END)
            WHEN 'changed' THEN format('Subprocessor %s changed: %s, %s; %s.',
                row_now->>'vendor', row_now->>'purpose', row_now->>'region',
                CASE WHEN (row_now->>'touches_phi')::boolean
                     THEN 'may receive PHI under a signed BAA' ELSE 'receives no PHI' END)
            ELSE format('Subprocessor %s removed.', row_now->>'vendor') END;
    ELSIF kind = 'certification' THEN
        summary := CASE change
            WHEN 'removed' THEN format('%s removed from the certifications.', row_now->>'name')
            ELSE format('%s: %s%s.', row_now->>'name',
                replace(initcap(replace(row_now->>'status', '_', ' ')), ' E', ' e'),
                coalesce(' (' || to_char((row_now->>'status_date')::date, 'FMMonth FMDD, YYYY')
                         || ')', '')) END;
    ELSE
        summary := CASE change
            WHEN 'added' THEN format('New data principle: %s.', row_now->>'title')
            WHEN 'changed' THEN format('Data principle "%s" reworded.', row_now->>'title')
            ELSE format('Data principle "%s" withdrawn.', row_now->>'title') END;
    END IF;
    INSERT INTO trust_changes (item_kind, change, item_id, title, summary, effective_on)
    VALUES (kind, change, (row_now->>'id')::uuid, left(title, 200), left(summary, 600), effective);
    UPDATE trust_settings SET last_reviewed = greatest(last_reviewed, current_date);
    RETURN NULL;
END
$$;

CREATE TRIGGER certifications_changed AFTER INSERT OR UPDATE OR DELETE ON certifications
    FOR EACH ROW EXECUTE FUNCTION trust_record_change();
CREATE TRIGGER subprocessors_changed AFTER INSERT OR UPDATE OR DELETE ON subprocessors
    FOR EACH ROW EXECUTE FUNCTION trust_record_change();
CREATE TRIGGER data_principles_changed AFTER INSERT OR UPDATE OR DELETE ON data_principles
    FOR EACH ROW EXECUTE FUNCTION trust_record_change();

-- The trigger runs as the owner, which is subject to the forced policies.
CREATE POLICY trust_changes_by_trigger ON trust_changes FOR INSERT TO carethread_owner
    WITH CHECK (true);
CREATE POLICY trust_settings_by_trigger ON trust_settings FOR UPDATE TO carethread_owner
    USING (true) WITH CHECK (true);
CREATE POLICY trust_settings_owner_read ON trust_settings FOR SELECT TO carethread_owner
    USING (true);
-- The seed below reads the listed vendors as the owner.
CREATE POLICY subprocessors_owner_read ON subprocessors FOR SELECT TO carethread_owner
    USING (true);

ALTER TABLE trust_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE trust_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY trust_changes_public_read ON trust_changes FOR SELECT TO carethread_app
    USING (true);
-- The owner's own reads (the trigger's UPDATE of the settings reads them).
CREATE POLICY trust_changes_owner_read ON trust_changes FOR SELECT TO carethread_owner
    USING (true);
GRANT SELECT ON trust_changes TO carethread_app;

-- Platform administrators edit the content.
CREATE POLICY certifications_admin_edit ON certifications FOR ALL TO carethread_app
    USING (app_role() = 'platform_admin') WITH CHECK (app_role() = 'platform_admin');
CREATE POLICY subprocessors_admin_edit ON subprocessors FOR ALL TO carethread_app
    USING (app_role() = 'platform_admin') WITH CHECK (app_role() = 'platform_admin');
CREATE POLICY data_principles_admin_edit ON data_principles FOR ALL TO carethread_app
    USING (app_role() = 'platform_admin') WITH CHECK (app_role() = 'platform_admin');
GRANT INSERT, UPDATE, DELETE ON certifications, subprocessors, data_principles TO carethread_app;

-- What the feed says happened so far: the seeded content, once.
INSERT INTO trust_changes (occurred_at, item_kind, change, item_id, title, summary, effective_on)
SELECT s.last_reviewed::timestamptz, 'subprocessor', 'added', p.id, p.vendor,
       format('Subprocessor %s (%s, %s) listed.', p.vendor, p.purpose, p.region), p.starts_on
FROM subprocessors p, trust_settings s;
