-- A family is an organization of its own (issue 14): the people it books
-- for are its tenant data, guarded like a clinic's patients, and family
-- members are its members. Added alone: a new enum value cannot be used in
-- the transaction that adds it.
ALTER TYPE organization_kind ADD VALUE 'family';
