-- Reference data (issue: referral inbox): US ZIP codes with coordinates and
-- ICD-10-CM diagnosis codes. The rows are not in this migration: the server
-- loads them at start-up from reference/*.csv.gz (made by
-- scripts/make-reference-data.sh from packages on PyPI) and records which
-- file it loaded in reference_data, so a new file replaces the old rows.
--
-- Public platform content: the application role may read it, nothing else.

CREATE TABLE zip_codes (
    zip    char(5) PRIMARY KEY CHECK (zip ~ '^[0-9]{5}$'),
    city   text NOT NULL,
    state  char(2) NOT NULL,
    county text NOT NULL DEFAULT '',
    lat    double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon    double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    -- USPS type: STANDARD, PO BOX, UNIQUE, MILITARY.
    kind   text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true
);
CREATE INDEX zip_codes_city_idx ON zip_codes (state, lower(city));

CREATE TABLE icd10cm_codes (
    -- Without the dot, as claims carry it: I509.
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z][0-9A-Z]{2,6}$'),
    -- With the dot, as people read it: I50.9.
    display     text NOT NULL,
    description text NOT NULL,
    -- A leaf code (billable); categories are kept for search and grouping.
    billable    boolean NOT NULL,
    search      tsvector GENERATED ALWAYS AS (to_tsvector('english', description)) STORED
);
CREATE INDEX icd10cm_codes_search_idx ON icd10cm_codes USING gin (search);
CREATE INDEX icd10cm_codes_prefix_idx ON icd10cm_codes (code text_pattern_ops);

-- Which file each table was loaded from.
CREATE TABLE reference_data (
    name      text PRIMARY KEY,
    sha256    text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    row_count bigint NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE zip_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE zip_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY zip_codes_public_read ON zip_codes FOR SELECT TO carethread_app USING (true);
-- The loader runs as the owner (FORCE applies to it too).
CREATE POLICY zip_codes_load ON zip_codes FOR ALL TO carethread_owner USING (true) WITH CHECK (true);
GRANT SELECT ON zip_codes TO carethread_app;

ALTER TABLE icd10cm_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE icd10cm_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY icd10cm_codes_public_read ON icd10cm_codes FOR SELECT TO carethread_app USING (true);
CREATE POLICY icd10cm_codes_load ON icd10cm_codes FOR ALL TO carethread_owner USING (true) WITH CHECK (true);
GRANT SELECT ON icd10cm_codes TO carethread_app;

ALTER TABLE reference_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE reference_data FORCE ROW LEVEL SECURITY;
CREATE POLICY reference_data_load ON reference_data FOR ALL TO carethread_owner USING (true) WITH CHECK (true);
