-- The states booking adds (issue 14, SPEC J3 steps 3-6), in a migration of
-- their own: a new enum value cannot be used in the transaction that adds
-- it.
--
-- `held`: a family chose a slot and has a few minutes to confirm it; the
-- slot is the clinician's busy time meanwhile (the no-double-booking
-- exclusion covers it like any planned visit).
ALTER TYPE visit_status ADD VALUE 'held' BEFORE 'proposed';

-- Where a visit's payment stands (`app::payments::PaymentState`).
CREATE TYPE payment_state AS ENUM (
    -- Held on the payer's card; nothing taken. Waits for the signed log.
    'authorized',
    -- To be let go (declined, cancelled, unanswered, refunded in full).
    'voiding',
    -- Let go: nothing was charged.
    'voided',
    -- The signed, EVV-complete log released it; paid out at `release_at`
    -- (after the family's review window, or at once when they confirm).
    'scheduled',
    -- Disputed by the family: nothing moves until a platform
    -- administrator resolves it.
    'frozen',
    -- Captured and transferred to the clinician.
    'paid'
);

-- A family member who sees the family's people and visits and changes
-- nothing (an owner invites them; owners are `family`).
ALTER TYPE member_role ADD VALUE 'family_viewer';
