//! Notification fan-out: turns domain events into mail for the people
//! concerned, in the worker role (which may read who belongs where; the web
//! role may not read another organization's members).
//!
//! - `referral.created` routed to a clinic: its administrators and staff;
//! - `referral.cancelled`: the clinic's administrators and staff;
//! - any other status change: whoever sent the referral.
//!
//! Messages carry the patient's initials, the reference and a link, never
//! clinical detail. Run by the `events.fan_out` job, in the transaction
//! that finishes the job: each event's mail is filed once.

use super::Event;
use app::domain::EventType;
use app::identity::{OrganizationId, ReferralId, UserId};
use app::referrals::ReferralStatus;
use sqlx::PgConnection;

/// Files the mail `event` calls for.
pub async fn file(
    tx: &mut PgConnection,
    event: &Event,
    public_url: &str,
) -> Result<(), sqlx::Error> {
    if event.event_type.area() != "referral" {
        return Ok(());
    }
    let referral = sqlx::query!(
        r#"SELECT reference, patient_initials, status AS "status: ReferralStatus",
                  created_by AS "created_by: UserId"
           FROM referrals WHERE organization_id = $1 AND id = $2"#,
        event.organization_id as OrganizationId,
        event.subject_id as ReferralId
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = referral else {
        return Ok(());
    };
    match event.event_type {
        EventType::ReferralCreated | EventType::ReferralCancelled => {
            let Some(clinic) = event.clinic_id else {
                return Ok(());
            };
            let clinic_name = org_name(tx, clinic).await?;
            let link = format!("{public_url}/clinic/inbox/{}", event.subject_id);
            for to in clinic_staff(tx, clinic, event.organization_id, event.subject_id).await? {
                let mail = if event.event_type == EventType::ReferralCreated {
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
                app::mail::enqueue(&mut *tx, &mail).await?;
            }
        }
        other => {
            let Some(status) = ReferralStatus::moved_by(other) else {
                return Ok(());
            };
            if let Some(to) = sender(tx, r.created_by).await? {
                let link = format!("{public_url}/referrer/referrals/{}", event.subject_id);
                let mail = app::mail::referral_status(
                    &to,
                    &r.reference,
                    &r.patient_initials,
                    status.label(),
                    &link,
                );
                app::mail::enqueue(&mut *tx, &mail).await?;
            }
        }
    }
    Ok(())
}

async fn org_name(
    conn: &mut sqlx::PgConnection,
    id: OrganizationId,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT name FROM organizations WHERE id = $1",
        id as OrganizationId
    )
    .fetch_one(conn)
    .await
}

/// The clinic's people told of a referral: its administrators, head-office
/// staff, and the staff of the branch the referral is for (a branch's
/// staff hear nothing of another branch's referrals).
async fn clinic_staff(
    conn: &mut sqlx::PgConnection,
    clinic: OrganizationId,
    referrer: OrganizationId,
    referral: ReferralId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organization_id = $1 AND m.role IN ('clinic_admin', 'clinic_staff')
           AND u.disabled_at IS NULL
           AND (m.role = 'clinic_admin' OR m.branch_id IS NULL
                OR m.branch_id = (SELECT r.clinic_branch_id FROM referrals r
                                  WHERE r.organization_id = $2 AND r.id = $3))
         ORDER BY u.email",
        clinic as OrganizationId,
        referrer as OrganizationId,
        referral as ReferralId
    )
    .fetch_all(conn)
    .await
}

async fn sender(
    conn: &mut sqlx::PgConnection,
    user: Option<UserId>,
) -> Result<Option<String>, sqlx::Error> {
    let Some(user) = user else {
        return Ok(None);
    };
    sqlx::query_scalar!(
        "SELECT email FROM users WHERE id = $1 AND disabled_at IS NULL",
        user as UserId
    )
    .fetch_optional(conn)
    .await
}
