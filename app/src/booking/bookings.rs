//! What the booking pages show: a family's visits and one booking with its
//! payment and signed log, a clinician's earnings, and the disputes a
//! platform administrator resolves. The operations are in
//! [`super::book_service`].

use crate::identity::{ClinicianId, OrganizationId, RecipientId, VisitId};
use crate::payments::{Cents, PaymentState};
use crate::referrals::CareType;
use crate::visits::{SignedLog, VisitStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The booking form for one opening: who it is for and which service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingForm {
    pub clinician_id: ClinicianId,
    pub clinician: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub rates: Vec<(CareType, Cents)>,
    pub recipients: Vec<(RecipientId, String)>,
    /// A fresh idempotency key: submitting the form twice books once.
    pub key: uuid::Uuid,
}

/// One of the family's visits, as their list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyVisit {
    pub id: VisitId,
    /// The person the visit is for: initials only in lists.
    pub initials: String,
    pub clinician: String,
    pub service: CareType,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub status: VisitStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub checked_in_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub checked_out_at: Option<OffsetDateTime>,
    pub payment: Option<PaymentState>,
    pub amount: Cents,
}

impl FamilyVisit {
    /// "Checked in 09:02", "Waiting for the clinician", … (times UTC).
    pub fn live_status(&self) -> String {
        let hm = |t: OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
        match (self.status, self.checked_in_at, self.checked_out_at) {
            (VisitStatus::InProgress, _, Some(out)) => format!("Checked out {}", hm(out)),
            (VisitStatus::InProgress, Some(at), None) => format!("Checked in {}", hm(at)),
            (VisitStatus::Held, ..) => "Held: confirm to send the request".to_owned(),
            (VisitStatus::Proposed, ..) => "Waiting for the clinician to accept".to_owned(),
            (VisitStatus::Completed, ..) => "Done: the visit log is signed".to_owned(),
            (status, ..) => status.label().to_owned(),
        }
    }
}

/// One booking, for the family that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub visit: FamilyVisit,
    #[serde(with = "time::serde::rfc3339::option")]
    pub hold_expires_at: Option<OffsetDateTime>,
    pub status_note: Option<String>,
    /// When the payout goes unless the family disputes first.
    #[serde(with = "time::serde::rfc3339::option")]
    pub release_at: Option<OffsetDateTime>,
    /// What the payment takes (the amount, a cancellation fee, a
    /// resolution's share).
    pub capture: Option<Cents>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    pub dispute_reason: Option<String>,
    pub resolution: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    /// The signed log, once there is one.
    pub log: Option<SignedLog>,
    /// What cancelling now costs (None: it cannot be cancelled now).
    pub cancel_fee: Option<Cents>,
    /// The family may confirm or dispute the visit now.
    pub can_review: bool,
    /// The reader may act on the booking (an owner; a viewer only reads).
    pub can_act: bool,
}

/// One payment on the clinician's earnings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earning {
    pub visit_id: VisitId,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub service: CareType,
    /// What the clinician is paid (the amount, or a fee or a share).
    pub amount: Cents,
    pub state: PaymentState,
    #[serde(with = "time::serde::rfc3339::option")]
    pub release_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
}

/// The clinician's earnings: every payment, and the total per state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earnings {
    pub rows: Vec<Earning>,
    pub totals: Vec<(PaymentState, Cents)>,
}

/// A disputed payment waiting for a platform administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub organization_id: OrganizationId,
    pub visit_id: VisitId,
    pub family: String,
    pub clinician: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub amount: Cents,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub disputed_at: OffsetDateTime,
}

/// The ledger at a glance, for platform administrators: every
/// transaction should sum to zero, and so should the whole book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerCheck {
    pub transactions: i64,
    /// Transactions whose entries do not sum to zero (always none: the
    /// database refuses them; shown so anyone can see it).
    pub unbalanced: i64,
    pub book_total: Cents,
    /// The sum of every account of each kind.
    pub by_kind: Vec<(crate::payments::AccountKind, Cents)>,
}

/// `/admin/payments`: the ledger check and the disputes waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentsOverview {
    pub ledger: LedgerCheck,
    pub disputes: Vec<Dispute>,
}

/// How a platform administrator settles a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    /// The clinician is paid in full.
    Release,
    /// The clinician is paid this much; the rest of the hold is let go.
    Partial(Cents),
    /// Nothing is taken from the card.
    Refund,
}

impl Resolution {
    /// From the form: `release`, `partial` (with dollars) or `refund`.
    pub fn parse(
        decision: &str,
        partial: &str,
        amount: Cents,
    ) -> Result<Self, crate::error::FieldError> {
        use crate::error::FieldError;
        match decision {
            "release" => Ok(Resolution::Release),
            "refund" => Ok(Resolution::Refund),
            "partial" => {
                let cents = Cents::parse_dollars(partial).ok_or_else(|| {
                    FieldError::new("partial", "Enter the amount in dollars, e.g. 40.00.")
                })?;
                if !cents.is_positive() || cents >= amount {
                    return Err(FieldError::new(
                        "partial",
                        format!("A partial payout is more than $0.00 and less than {amount}."),
                    ));
                }
                Ok(Resolution::Partial(cents))
            }
            _ => Err(FieldError::new("decision", "Choose how to resolve it.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_payout_is_between_nothing_and_everything() {
        let amount = Cents(9500);
        assert_eq!(
            Resolution::parse("partial", "40", amount).unwrap(),
            Resolution::Partial(Cents(4000))
        );
        assert!(Resolution::parse("partial", "95.00", amount).is_err());
        assert!(Resolution::parse("partial", "0", amount).is_err());
        assert!(Resolution::parse("partial", "lots", amount).is_err());
        assert_eq!(
            Resolution::parse("refund", "", amount).unwrap(),
            Resolution::Refund
        );
        assert!(Resolution::parse("pay-double", "", amount).is_err());
    }
}
