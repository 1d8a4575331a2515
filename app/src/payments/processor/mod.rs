//! The card processor, behind one trait ([`CardProcessor`]) with two
//! implementations: [`local::LocalProcessor`], a processor of our own that
//! keeps its book in PostgreSQL (development, the demo and the tests, with
//! Stripe's test card numbers for declines), and [`stripe::StripeProcessor`]
//! (PaymentIntents with manual capture, Connect transfers), tested against
//! `localstripe`. [`Processor`] is the one the server was configured with.
//!
//! Every call that creates something carries an idempotency key, so a call
//! retried after a timeout creates it once.

#[cfg(feature = "ssr")]
pub mod local;
#[cfg(feature = "ssr")]
pub mod stripe;

use super::Cents;
use serde::{Deserialize, Serialize};

/// A hold on a card: the processor's id for it, and the amount held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    pub id: String,
    pub amount: Cents,
}

/// The processor's id for a transfer to a clinician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferId(pub String);

/// What a processor call can answer instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessorError {
    /// The card was refused; the reason is safe to show the payer.
    Declined { reason: String },
    /// The request does not fit the payment (capturing more than was held,
    /// voiding a captured payment, an unknown id).
    Invalid { message: String },
    /// The processor could not be reached or failed; try again later.
    Unavailable { message: String },
}

impl std::fmt::Display for ProcessorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessorError::Declined { reason } => write!(f, "the card was declined: {reason}"),
            ProcessorError::Invalid { message } => write!(f, "refused by the processor: {message}"),
            ProcessorError::Unavailable { message } => {
                write!(f, "the processor is unavailable: {message}")
            }
        }
    }
}

/// What the payer's card is charged with. Its `Debug` leaves the card out.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub amount: Cents,
    /// The processor's name for the card: a test card number for the local
    /// processor, a PaymentMethod id (`pm_…`) for Stripe.
    pub payment_method: String,
    /// What the payer's statement shows; never PHI.
    pub description: String,
    pub idempotency_key: String,
}

impl std::fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("amount", &self.amount)
            .field("payment_method", &"…")
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// A card processor. Each call is one request to it; none is retried here
/// (the caller's job is retried by the job runner with the same key).
pub trait CardProcessor: Send + Sync {
    /// Places a hold of the amount on the card.
    fn authorize(
        &self,
        request: &AuthorizeRequest,
    ) -> impl std::future::Future<Output = Result<Authorization, ProcessorError>> + Send;

    /// Takes `amount` (at most what was held) of a hold; the rest is let go.
    fn capture(
        &self,
        authorization: &str,
        amount: Cents,
    ) -> impl std::future::Future<Output = Result<(), ProcessorError>> + Send;

    /// Lets a hold go, nothing taken.
    fn void(
        &self,
        authorization: &str,
    ) -> impl std::future::Future<Output = Result<(), ProcessorError>> + Send;

    /// Returns `amount` of a captured payment to the card.
    fn refund(
        &self,
        authorization: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> impl std::future::Future<Output = Result<(), ProcessorError>> + Send;

    /// Sends `amount` to a clinician's payout account.
    fn transfer(
        &self,
        destination: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> impl std::future::Future<Output = Result<TransferId, ProcessorError>> + Send;
}

/// The processor a server uses (chosen by configuration when booking
/// lands; the tests build each directly).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub enum Processor {
    Local(local::LocalProcessor),
    Stripe(stripe::StripeProcessor),
}

#[cfg(feature = "ssr")]
impl CardProcessor for Processor {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<Authorization, ProcessorError> {
        match self {
            Processor::Local(p) => p.authorize(request).await,
            Processor::Stripe(p) => p.authorize(request).await,
        }
    }

    async fn capture(&self, authorization: &str, amount: Cents) -> Result<(), ProcessorError> {
        match self {
            Processor::Local(p) => p.capture(authorization, amount).await,
            Processor::Stripe(p) => p.capture(authorization, amount).await,
        }
    }

    async fn void(&self, authorization: &str) -> Result<(), ProcessorError> {
        match self {
            Processor::Local(p) => p.void(authorization).await,
            Processor::Stripe(p) => p.void(authorization).await,
        }
    }

    async fn refund(
        &self,
        authorization: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> Result<(), ProcessorError> {
        match self {
            Processor::Local(p) => p.refund(authorization, amount, idempotency_key).await,
            Processor::Stripe(p) => p.refund(authorization, amount, idempotency_key).await,
        }
    }

    async fn transfer(
        &self,
        destination: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> Result<TransferId, ProcessorError> {
        match self {
            Processor::Local(p) => p.transfer(destination, amount, idempotency_key).await,
            Processor::Stripe(p) => p.transfer(destination, amount, idempotency_key).await,
        }
    }
}
