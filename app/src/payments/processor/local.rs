//! The local test processor: a card network of our own for development, the
//! demo and the tests, so that every payment path runs for real (holds,
//! captures, voids, refunds, transfers, declines) without an account
//! anywhere. Its book is two tables (`local_processor_payments`,
//! `local_processor_transfers`), so a hold survives a restart and several
//! server processes share it, and each call is one SQL statement whose
//! `WHERE` is the state machine: capturing a voided payment, or more than
//! was held, changes nothing and is refused.
//!
//! Declines follow Stripe's test cards, so the same numbers behave alike
//! on both processors; any other card number is approved, and a processor
//! built [`LocalProcessor::declining_all`] refuses every card (to try the
//! paths a decline takes).

use super::{Authorization, AuthorizeRequest, CardProcessor, ProcessorError, TransferId};
use crate::payments::Cents;
use sqlx::PgPool;

/// Stripe's test card numbers that decline, and the reason shown.
pub const DECLINING_CARDS: &[(&str, &str)] = &[
    ("4000000000000002", "The card was declined."),
    ("4000000000009995", "The card has insufficient funds."),
    ("4000000000000069", "The card has expired."),
    ("4000000000000127", "The card's security code is incorrect."),
    ("4000000000000341", "The card was declined."),
];

#[derive(Clone)]
pub struct LocalProcessor {
    pool: PgPool,
    decline_all: bool,
}

impl LocalProcessor {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            decline_all: false,
        }
    }

    /// A processor that declines every card.
    pub fn declining_all(pool: PgPool) -> Self {
        Self {
            pool,
            decline_all: true,
        }
    }
}

fn unavailable(error: sqlx::Error) -> ProcessorError {
    ProcessorError::Unavailable {
        message: error.to_string(),
    }
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// The digits of a card number as typed ("4242 4242 4242 4242").
fn card_digits(number: &str) -> Option<String> {
    let digits: String = number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    ((12..=19).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(digits)
}

impl CardProcessor for LocalProcessor {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<Authorization, ProcessorError> {
        if !request.amount.is_positive() {
            return Err(ProcessorError::Invalid {
                message: "the amount must be positive".to_owned(),
            });
        }
        let Some(card) = card_digits(&request.payment_method) else {
            return Err(ProcessorError::Declined {
                reason: "The card number is not valid.".to_owned(),
            });
        };
        if self.decline_all {
            return Err(ProcessorError::Declined {
                reason: "The card was declined.".to_owned(),
            });
        }
        if let Some((_, reason)) = DECLINING_CARDS.iter().find(|(n, _)| *n == card) {
            return Err(ProcessorError::Declined {
                reason: (*reason).to_owned(),
            });
        }
        // The same key answers the hold it made before.
        let (id, amount): (String, i64) = sqlx::query_as(
            "INSERT INTO local_processor_payments (id, amount_cents, card_last4, idempotency_key)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
             RETURNING id, amount_cents",
        )
        .bind(new_id("lp"))
        .bind(request.amount.0)
        .bind(&card[card.len() - 4..])
        .bind(&request.idempotency_key)
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        if amount != request.amount.0 {
            return Err(ProcessorError::Invalid {
                message: "that idempotency key was used for another amount".to_owned(),
            });
        }
        Ok(Authorization {
            id,
            amount: Cents(amount),
        })
    }

    async fn capture(&self, authorization: &str, amount: Cents) -> Result<(), ProcessorError> {
        let done = sqlx::query(
            "UPDATE local_processor_payments SET state = 'captured', captured_cents = $2
             WHERE id = $1 AND $2 > 0 AND $2 <= amount_cents
               AND (state = 'authorized' OR (state = 'captured' AND captured_cents = $2))",
        )
        .bind(authorization)
        .bind(amount.0)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(ProcessorError::Invalid {
                message: "only an open hold can be captured, for at most what was held".to_owned(),
            })
        }
    }

    async fn void(&self, authorization: &str) -> Result<(), ProcessorError> {
        let done = sqlx::query(
            "UPDATE local_processor_payments SET state = 'voided'
             WHERE id = $1 AND state IN ('authorized', 'voided')",
        )
        .bind(authorization)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(ProcessorError::Invalid {
                message: "only an open hold can be voided".to_owned(),
            })
        }
    }

    async fn refund(
        &self,
        authorization: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> Result<(), ProcessorError> {
        // One transaction, the payment locked: a retry with the same key
        // finds its refund and changes nothing.
        let mut tx = crate::db::begin(&self.pool).await.map_err(unavailable)?;
        let payment: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT captured_cents, refunded_cents, state::text FROM local_processor_payments
             WHERE id = $1 FOR UPDATE",
        )
        .bind(authorization)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let earlier: Option<(String, i64)> = sqlx::query_as(
            "SELECT payment_id, amount_cents FROM local_processor_refunds WHERE idempotency_key = $1",
        )
        .bind(idempotency_key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let refused = |message: &str| ProcessorError::Invalid {
            message: message.to_owned(),
        };
        if let Some((payment_id, cents)) = earlier {
            return if payment_id == authorization && cents == amount.0 {
                Ok(())
            } else {
                Err(refused("that idempotency key was used for another refund"))
            };
        }
        match payment {
            Some((captured, refunded, state))
                if state == "captured"
                    && amount.is_positive()
                    && refunded + amount.0 <= captured => {}
            _ => {
                return Err(refused(
                    "only captured money can be refunded, never more than was captured",
                ))
            }
        }
        sqlx::query(
            "INSERT INTO local_processor_refunds (idempotency_key, payment_id, amount_cents)
             VALUES ($1, $2, $3)",
        )
        .bind(idempotency_key)
        .bind(authorization)
        .bind(amount.0)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        sqlx::query(
            "UPDATE local_processor_payments SET refunded_cents = refunded_cents + $2 WHERE id = $1",
        )
        .bind(authorization)
        .bind(amount.0)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(())
    }

    async fn transfer(
        &self,
        destination: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> Result<TransferId, ProcessorError> {
        if !amount.is_positive() {
            return Err(ProcessorError::Invalid {
                message: "the amount must be positive".to_owned(),
            });
        }
        let (id, same): (String, bool) = sqlx::query_as(
            "INSERT INTO local_processor_transfers (id, destination, amount_cents, idempotency_key)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
             RETURNING id, (destination, amount_cents) = ($2, $3)",
        )
        .bind(new_id("lt"))
        .bind(destination)
        .bind(amount.0)
        .bind(idempotency_key)
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        if !same {
            return Err(ProcessorError::Invalid {
                message: "that idempotency key was used for another transfer".to_owned(),
            });
        }
        Ok(TransferId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::card_digits;

    #[test]
    fn card_numbers_are_read_as_typed() {
        assert_eq!(
            card_digits("4242 4242 4242 4242").as_deref(),
            Some("4242424242424242")
        );
        assert_eq!(
            card_digits("4000-0000-0000-0002").as_deref(),
            Some("4000000000000002")
        );
        assert_eq!(card_digits("4242"), None);
        assert_eq!(card_digits("4242 4242 4242 424x"), None);
    }
}
