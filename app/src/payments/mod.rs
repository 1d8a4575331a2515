//! Money (issue 14, DESIGN "Visits and money"): amounts as integer
//! [`Cents`], the platform's double-entry [`ledger`], and the card
//! [`processor`] behind an adapter (a local test processor for development,
//! the demo and the tests; Stripe in production).
//!
//! The ledger says whose money it is; the processor moves it. A payment's
//! life — authorized and held at booking, captured and released when the
//! clinician signs an EVV-complete visit log, transferred to the clinician,
//! or let go — is a posting in the ledger at each step, filed once per
//! idempotency key, so a retried step never counts twice. The hold is an
//! authorization on the payer's card, never "escrow": the platform is not
//! an escrow agent (`reference/trust-portal.txt`).

mod cents;
pub mod ledger;
pub mod processor;

pub use cents::Cents;
pub use ledger::{Account, AccountKind, EntryKind, Line, Posting, PostingError};
pub use processor::{Authorization, CardProcessor, ProcessorError, TransferId};

use crate::domain::vocab::labelled_enum;

labelled_enum!(
    /// Where a visit's payment stands (`payment_state`): the clinician's
    /// earnings page groups by it.
    PaymentState, "payment_state", [
        Authorized = "authorized": "Pending the signed visit log",
        Voiding = "voiding": "Being released",
        Voided = "voided": "Released, not charged",
        Scheduled = "scheduled": "Scheduled for payout",
        Frozen = "frozen": "Frozen by a dispute",
        Paid = "paid": "Paid",
    ]
);
