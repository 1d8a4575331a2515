-- A sign-in attempt is recorded as `pending` before its password is
-- checked, so parallel guesses at one address each take one of the
-- lockout's places (see 20261129000510_sign_in_under_attack.sql). The
-- value is added in a migration of its own: PostgreSQL will not use a new
-- enum value in the transaction that added it.
ALTER TYPE login_outcome ADD VALUE IF NOT EXISTS 'pending';
