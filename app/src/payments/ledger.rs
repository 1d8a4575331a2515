//! The platform's double-entry book (`migrations/*_ledger.sql`).
//!
//! A [`Posting`] is a transaction: lines on [`Account`]s that sum to zero
//! (debits positive, credits negative), checked here when it is built and
//! again by the database, which alone may write the book (`ledger_post`, an
//! append-only filing keyed by an idempotency key: the same posting filed
//! twice is filed once, and a key reused for different lines is refused).
//! Balances are derived, never stored.
//!
//! The chart, and what each step of a payment posts (amount `A`):
//!
//! | step      | debit                     | credit                    |
//! |-----------|---------------------------|---------------------------|
//! | authorize | payer holds `A`           | clinician pending `A`     |
//! | void      | clinician pending `A`     | payer holds `A`           |
//! | capture   | processor cash `A`, clinician pending `A` | payer holds `A`, clinician payable `A` |
//! | payout    | clinician payable `A`     | processor cash `A`        |
//!
//! So "pending" is what a clinician is owed for visits not yet signed,
//! "payable" what was released and waits for its transfer, and the payer's
//! holds are what is authorized on their card and not yet taken or let go.

use super::Cents;
use crate::domain::vocab::labelled_enum;
use crate::identity::{OrganizationId, UserId};
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// What an account holds.
    AccountKind, "ledger_account_kind", [
        PayerHolds = "payer_holds": "Authorized on the payer's card",
        ClinicianPending = "clinician_pending": "Owed once the visit log is signed",
        ClinicianPayable = "clinician_payable": "Released, waiting for the transfer",
        ProcessorCash = "processor_cash": "The platform's balance at the processor",
        PlatformFees = "platform_fees": "Fees the platform keeps",
    ]
);

labelled_enum!(
    /// What a transaction did.
    EntryKind, "ledger_entry_kind", [
        Authorize = "authorize": "Hold placed",
        Void = "void": "Hold released",
        Capture = "capture": "Captured and released to the clinician",
        Payout = "payout": "Paid to the clinician",
        Refund = "refund": "Refunded",
        Fee = "fee": "Cancellation fee",
    ]
);

/// An account: its kind and its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Account {
    /// What is authorized on this organization's card (a family, or a
    /// clinic paying a per-visit rate).
    PayerHolds(OrganizationId),
    ClinicianPending(UserId),
    ClinicianPayable(UserId),
    ProcessorCash,
    PlatformFees,
}

impl Account {
    pub fn kind(self) -> AccountKind {
        match self {
            Account::PayerHolds(_) => AccountKind::PayerHolds,
            Account::ClinicianPending(_) => AccountKind::ClinicianPending,
            Account::ClinicianPayable(_) => AccountKind::ClinicianPayable,
            Account::ProcessorCash => AccountKind::ProcessorCash,
            Account::PlatformFees => AccountKind::PlatformFees,
        }
    }

    pub fn owner_org(self) -> Option<OrganizationId> {
        match self {
            Account::PayerHolds(org) => Some(org),
            _ => None,
        }
    }

    pub fn owner_user(self) -> Option<UserId> {
        match self {
            Account::ClinicianPending(u) | Account::ClinicianPayable(u) => Some(u),
            _ => None,
        }
    }
}

/// One line of a posting: positive debits the account, negative credits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub account: Account,
    pub cents: Cents,
}

/// Why a posting cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostingError {
    /// Fewer than two lines.
    TooFewLines,
    /// A line of zero cents.
    ZeroLine,
    /// The lines do not sum to zero (or the sum overflows).
    Unbalanced(i64),
    /// An empty or over-long idempotency key or memo.
    BadText,
    /// An amount that is not positive, or a capture larger than the hold.
    BadAmount,
}

impl std::fmt::Display for PostingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostingError::TooFewLines => write!(f, "a transaction needs two lines at least"),
            PostingError::ZeroLine => write!(f, "a line of zero cents"),
            PostingError::Unbalanced(by) => write!(f, "the lines are off by {by} cents"),
            PostingError::BadText => write!(f, "the key and memo must be 1 to 200 characters"),
            PostingError::BadAmount => {
                write!(f, "amounts are positive, and a capture is at most the hold")
            }
        }
    }
}

fn positive(amount: Cents) -> Result<(), PostingError> {
    if amount.is_positive() {
        Ok(())
    } else {
        Err(PostingError::BadAmount)
    }
}

/// A balanced transaction, ready to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    kind: EntryKind,
    key: String,
    memo: String,
    subject: Option<(&'static str, uuid::Uuid)>,
    lines: Vec<Line>,
}

impl Posting {
    /// Builds a posting, refusing one that does not balance.
    pub fn new(
        kind: EntryKind,
        key: impl Into<String>,
        memo: impl Into<String>,
        lines: Vec<Line>,
    ) -> Result<Self, PostingError> {
        let (key, memo) = (key.into(), memo.into());
        let fits = |t: &str| (1..=200).contains(&t.chars().count());
        if !fits(&key) || !fits(&memo) {
            return Err(PostingError::BadText);
        }
        if lines.len() < 2 {
            return Err(PostingError::TooFewLines);
        }
        if lines.iter().any(|l| l.cents == Cents::ZERO) {
            return Err(PostingError::ZeroLine);
        }
        let sum = lines
            .iter()
            .try_fold(0i64, |acc, l| acc.checked_add(l.cents.0))
            .ok_or(PostingError::Unbalanced(i64::MAX))?;
        if sum != 0 {
            return Err(PostingError::Unbalanced(sum));
        }
        Ok(Self {
            kind,
            key,
            memo,
            subject: None,
            lines,
        })
    }

    /// What the money is for (`("payment", id)`), for finding it again.
    pub fn about(mut self, subject_type: &'static str, id: uuid::Uuid) -> Self {
        self.subject = Some((subject_type, id));
        self
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// Authorizing `amount` on `payer`'s card for `clinician`.
    pub fn authorize(
        key: impl Into<String>,
        payer: OrganizationId,
        clinician: UserId,
        amount: Cents,
    ) -> Result<Self, PostingError> {
        positive(amount)?;
        Self::new(
            EntryKind::Authorize,
            key,
            "Hold placed on the payer's card",
            vec![
                Line {
                    account: Account::PayerHolds(payer),
                    cents: amount,
                },
                Line {
                    account: Account::ClinicianPending(clinician),
                    cents: -amount,
                },
            ],
        )
    }

    /// Letting an authorization go.
    pub fn void(
        key: impl Into<String>,
        payer: OrganizationId,
        clinician: UserId,
        amount: Cents,
    ) -> Result<Self, PostingError> {
        positive(amount)?;
        Self::new(
            EntryKind::Void,
            key,
            "Hold released",
            vec![
                Line {
                    account: Account::ClinicianPending(clinician),
                    cents: amount,
                },
                Line {
                    account: Account::PayerHolds(payer),
                    cents: -amount,
                },
            ],
        )
    }

    /// Taking `captured` of a hold of `held` and releasing it to the
    /// clinician; the rest of the hold is let go.
    pub fn capture(
        key: impl Into<String>,
        payer: OrganizationId,
        clinician: UserId,
        held: Cents,
        captured: Cents,
    ) -> Result<Self, PostingError> {
        positive(held)?;
        if captured.0 < 0 || captured > held {
            return Err(PostingError::BadAmount);
        }
        let mut lines = vec![
            Line {
                account: Account::ClinicianPending(clinician),
                cents: held,
            },
            Line {
                account: Account::PayerHolds(payer),
                cents: -held,
            },
        ];
        if captured.is_positive() {
            lines.push(Line {
                account: Account::ProcessorCash,
                cents: captured,
            });
            lines.push(Line {
                account: Account::ClinicianPayable(clinician),
                cents: -captured,
            });
        }
        Self::new(
            EntryKind::Capture,
            key,
            "Captured and released to the clinician",
            lines,
        )
    }

    /// Paying `amount` out to the clinician.
    pub fn payout(
        key: impl Into<String>,
        clinician: UserId,
        amount: Cents,
    ) -> Result<Self, PostingError> {
        positive(amount)?;
        Self::new(
            EntryKind::Payout,
            key,
            "Transferred to the clinician",
            vec![
                Line {
                    account: Account::ClinicianPayable(clinician),
                    cents: amount,
                },
                Line {
                    account: Account::ProcessorCash,
                    cents: -amount,
                },
            ],
        )
    }
}

#[cfg(feature = "ssr")]
mod store {
    use super::*;
    use crate::error::AppError;
    use sqlx::PgConnection;

    #[derive(Serialize)]
    struct WireLine {
        kind: AccountKind,
        org: Option<OrganizationId>,
        user: Option<UserId>,
        cents: i64,
    }

    /// Files `posting` (once per key) and answers its transaction's id.
    pub async fn post(conn: &mut PgConnection, posting: &Posting) -> Result<uuid::Uuid, AppError> {
        let lines: Vec<WireLine> = posting
            .lines
            .iter()
            .map(|l| WireLine {
                kind: l.account.kind(),
                org: l.account.owner_org(),
                user: l.account.owner_user(),
                cents: l.cents.0,
            })
            .collect();
        let lines = serde_json::to_value(&lines).map_err(|error| {
            tracing::error!(%error, "a posting could not be encoded");
            AppError::Internal
        })?;
        let id: Option<uuid::Uuid> =
            sqlx::query_scalar("SELECT ledger_post($1::ledger_entry_kind, $2, $3, $4, $5, $6)")
                .bind(posting.kind.as_str())
                .bind(&posting.key)
                .bind(&posting.memo)
                .bind(posting.subject.map(|s| s.0))
                .bind(posting.subject.map(|s| s.1))
                .bind(lines)
                .fetch_one(&mut *conn)
                .await?;
        id.ok_or(AppError::Internal)
    }

    /// An account's balance as the caller may see it (zero for an account
    /// with no entries, or one they may not read).
    pub async fn balance(conn: &mut PgConnection, account: Account) -> Result<Cents, AppError> {
        let cents: Option<i64> = sqlx::query_scalar(
            "SELECT balance_cents FROM ledger_balances
             WHERE kind = $1::ledger_account_kind
               AND owner_org IS NOT DISTINCT FROM $2 AND owner_user IS NOT DISTINCT FROM $3",
        )
        .bind(account.kind().as_str())
        .bind(account.owner_org().map(OrganizationId::uuid))
        .bind(account.owner_user().map(UserId::uuid))
        .fetch_optional(&mut *conn)
        .await?;
        Ok(Cents(cents.unwrap_or(0)))
    }
}

#[cfg(feature = "ssr")]
pub use store::{balance, post};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn payer() -> OrganizationId {
        uuid::Uuid::from_u128(1).into()
    }
    fn nurse() -> UserId {
        uuid::Uuid::from_u128(2).into()
    }

    #[test]
    fn the_payment_steps_balance_and_bad_postings_are_refused() {
        let a = Cents(12_500);
        for p in [
            Posting::authorize("k", payer(), nurse(), a),
            Posting::void("k", payer(), nurse(), a),
            Posting::capture("k", payer(), nurse(), a, a),
            Posting::capture("k", payer(), nurse(), a, Cents(5_000)),
            Posting::payout("k", nurse(), a),
        ] {
            let p = p.unwrap();
            assert_eq!(p.lines().iter().map(|l| l.cents.0).sum::<i64>(), 0);
        }
        let one = Line {
            account: Account::ProcessorCash,
            cents: Cents(5),
        };
        let back = Line {
            account: Account::PlatformFees,
            cents: Cents(-4),
        };
        assert_eq!(
            Posting::new(EntryKind::Fee, "k", "m", vec![one]),
            Err(PostingError::TooFewLines)
        );
        assert_eq!(
            Posting::new(EntryKind::Fee, "k", "m", vec![one, back]),
            Err(PostingError::Unbalanced(1))
        );
        assert_eq!(
            Posting::new(EntryKind::Fee, "", "m", vec![one, back]),
            Err(PostingError::BadText)
        );
        let zero = Line {
            account: Account::PlatformFees,
            cents: Cents(0),
        };
        assert_eq!(
            Posting::new(EntryKind::Fee, "k", "m", vec![one, zero]),
            Err(PostingError::ZeroLine)
        );
        assert_eq!(
            Posting::authorize("k", payer(), nurse(), Cents(-5)),
            Err(PostingError::BadAmount)
        );
        assert_eq!(
            Posting::capture("k", payer(), nurse(), Cents(5), Cents(6)),
            Err(PostingError::BadAmount)
        );
        let huge = Line {
            account: Account::ProcessorCash,
            cents: Cents(i64::MAX),
        };
        assert!(matches!(
            Posting::new(EntryKind::Fee, "k", "m", vec![huge, huge]),
            Err(PostingError::Unbalanced(_))
        ));
    }

    proptest! {
        /// Whatever the lines, a posting exists exactly when they balance.
        #[test]
        fn a_posting_is_built_only_when_it_sums_to_zero(
            amounts in proptest::collection::vec(-1_000_000i64..1_000_000, 0..8)
        ) {
            let lines: Vec<Line> = amounts
                .iter()
                .map(|c| Line { account: Account::ProcessorCash, cents: Cents(*c) })
                .collect();
            let built = Posting::new(EntryKind::Fee, "k", "m", lines);
            let balanced = amounts.len() >= 2
                && amounts.iter().all(|c| *c != 0)
                && amounts.iter().sum::<i64>() == 0;
            prop_assert_eq!(built.is_ok(), balanced);
        }
    }
}
