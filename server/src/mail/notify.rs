//! Notification fan-out: turns domain events into mail for the people
//! concerned, in the worker role (which may read who belongs where; the web
//! role may not read another organization's members).
//!
//! - `referral.created` routed to a clinic: its administrators and staff;
//! - `referral.cancelled`: the clinic's administrators and staff;
//! - any other status change: whoever sent the referral.
//!
//! Messages carry the patient's initials, the reference and a link, never
//! clinical detail. Each event is claimed with `FOR UPDATE SKIP LOCKED` and
//! stamped in the same transaction as the mail it files, so a crash files
//! it again rather than losing it, and two workers never both file it.

use app::referrals::ReferralStatus;
use sqlx::PgPool;
use uuid::Uuid;

/// Files the mail for pending events; how many events it handled.
pub async fn fan_out(pool: &PgPool, public_url: &str) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let events = sqlx::query!(
        "SELECT organization_id, id, clinic_id, event_type, subject_id FROM domain_events
         WHERE notified_at IS NULL
         ORDER BY occurred_at
         LIMIT 50
         FOR UPDATE SKIP LOCKED"
    )
    .fetch_all(&mut *tx)
    .await?;
    for event in &events {
        if let Some(kind) = event.event_type.strip_prefix("referral.") {
            let referral = sqlx::query!(
                r#"SELECT reference, patient_initials, status AS "status: ReferralStatus", created_by
                   FROM referrals WHERE organization_id = $1 AND id = $2"#,
                event.organization_id,
                event.subject_id
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = referral {
                let to_clinic = matches!(kind, "created" | "cancelled");
                if to_clinic {
                    if let Some(clinic) = event.clinic_id {
                        let clinic_name = org_name(&mut tx, clinic).await?;
                        let link = format!("{public_url}/clinic/inbox/{}", event.subject_id);
                        for to in clinic_staff(&mut tx, clinic).await? {
                            let mail = if kind == "created" {
                                app::mail::referral_new(
                                    &to,
                                    &clinic_name,
                                    &r.patient_initials,
                                    &r.reference,
                                    &link,
                                )
                            } else {
                                app::mail::referral_status(
                                    &to,
                                    &r.reference,
                                    &r.patient_initials,
                                    "Cancelled",
                                    &link,
                                )
                            };
                            app::mail::enqueue(&mut tx, &mail).await?;
                        }
                    }
                } else if let Some(status) = ReferralStatus::parse(kind) {
                    if let Some(to) = sender(&mut tx, r.created_by).await? {
                        let link = format!("{public_url}/referrer/referrals/{}", event.subject_id);
                        let mail = app::mail::referral_status(
                            &to,
                            &r.reference,
                            &r.patient_initials,
                            status.label(),
                            &link,
                        );
                        app::mail::enqueue(&mut tx, &mail).await?;
                    }
                }
            }
        }
        sqlx::query!(
            "UPDATE domain_events SET notified_at = now() WHERE organization_id = $1 AND id = $2",
            event.organization_id,
            event.id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(events.len())
}

async fn org_name(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!("SELECT name FROM organizations WHERE id = $1", id)
        .fetch_one(conn)
        .await
}

async fn clinic_staff(
    conn: &mut sqlx::PgConnection,
    clinic: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organization_id = $1 AND m.role IN ('clinic_admin', 'clinic_staff')
           AND u.disabled_at IS NULL
         ORDER BY u.email",
        clinic
    )
    .fetch_all(conn)
    .await
}

async fn sender(
    conn: &mut sqlx::PgConnection,
    user: Option<Uuid>,
) -> Result<Option<String>, sqlx::Error> {
    let Some(user) = user else {
        return Ok(None);
    };
    sqlx::query_scalar!(
        "SELECT email FROM users WHERE id = $1 AND disabled_at IS NULL",
        user
    )
    .fetch_optional(conn)
    .await
}
