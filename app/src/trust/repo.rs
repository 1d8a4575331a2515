//! Trust-portal data access. Every function takes a connection the caller
//! owns; the SQL is checked at compile time against the migrations.
//!
//! The trust tables are platform content, not tenant data: the application
//! role may read them (and insert packet requests and probes) under the
//! narrow policies of `migrations/*_trust_rls.sql`.

use super::edit::{CertificationInput, ItemKind, PrincipleInput, SubprocessorInput};
use super::model::{
    BaaChainCounts, Certification, CertificationStatus, DataPrinciple, Subprocessor, TrustChange,
    TrustPortal, Uptime, UPTIME_WINDOW_DAYS,
};
use super::packet::{PacketKind, PacketReceipt, VendorPacketRequest};
use crate::audit::repo::{Entry, Subject};
use crate::audit::AuditAction;
use crate::db::TenantTx;
use crate::error::AppError;
use sqlx::PgConnection;
use uuid::Uuid;

/// Loads everything the portal shows, with the counts and uptime computed
/// by SQL from the underlying rows.
#[tracing::instrument(skip_all, err)]
pub async fn load_portal(conn: &mut PgConnection) -> Result<TrustPortal, sqlx::Error> {
    let settings = sqlx::query!(
        r#"SELECT last_reviewed, uptime_target_percent::float8 AS "uptime_target!"
           FROM trust_settings"#
    )
    .fetch_one(&mut *conn)
    .await?;

    let counts = baa_chain_counts(conn).await?;

    let certifications = sqlx::query_as!(
        Certification,
        r#"SELECT id, name, scope, status AS "status: CertificationStatus", status_date, detail
           FROM certifications
           ORDER BY sort_order, name"#
    )
    .fetch_all(&mut *conn)
    .await?;

    let subprocessors = sqlx::query_as!(
        Subprocessor,
        r#"SELECT id, vendor, purpose, region, baa_signed, baa_note, touches_phi, phi_note,
                  starts_on
           FROM subprocessors
           ORDER BY sort_order, vendor"#
    )
    .fetch_all(&mut *conn)
    .await?;

    let principles = sqlx::query_as!(
        DataPrinciple,
        "SELECT id, title, body FROM data_principles ORDER BY sort_order, title"
    )
    .fetch_all(&mut *conn)
    .await?;

    let uptime = uptime(conn, settings.uptime_target).await?;
    let changes = recent_changes(conn, PORTAL_CHANGES).await?;
    let retention = crate::data_rights::repo::categories(conn, false).await?;

    Ok(TrustPortal {
        last_reviewed: settings.last_reviewed,
        counts,
        uptime,
        certifications,
        subprocessors,
        principles,
        changes,
        retention,
    })
}

/// How many changes the page and `/trust.json` carry; the Atom feed more.
pub const PORTAL_CHANGES: i64 = 10;

/// The newest `limit` entries of the change feed.
pub async fn recent_changes(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<TrustChange>, sqlx::Error> {
    sqlx::query_as::<
        _,
        (
            i64,
            time::OffsetDateTime,
            String,
            String,
            String,
            String,
            Option<time::Date>,
        ),
    >(
        "SELECT id, occurred_at, item_kind, change, title, summary, effective_on
         FROM trust_changes ORDER BY occurred_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(
                |(id, occurred_at, item_kind, change, title, summary, effective_on)| TrustChange {
                    id,
                    occurred_at,
                    item_kind,
                    change,
                    title,
                    summary,
                    effective_on,
                },
            )
            .collect()
    })
}

/// The BAA-chain counts, computed from the subprocessor table (never stored).
pub async fn baa_chain_counts(conn: &mut PgConnection) -> Result<BaaChainCounts, sqlx::Error> {
    sqlx::query_as!(
        BaaChainCounts,
        r#"SELECT count(*) AS "subprocessors!",
                  count(*) FILTER (WHERE baa_signed) AS "baas_signed!",
                  count(*) FILTER (WHERE touches_phi) AS "phi_touching!"
           FROM subprocessors"#
    )
    .fetch_one(conn)
    .await
}

/// Uptime over the window from the recorded health probes.
pub async fn uptime(conn: &mut PgConnection, target_percent: f64) -> Result<Uptime, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT min(probed_at) AS first_probe,
                  max(probed_at) AS last_probe,
                  count(DISTINCT date_trunc('minute', probed_at)) FILTER (WHERE ok) AS "up_minutes!",
                  now() AS "now!"
           FROM health_probes
           WHERE probed_at >= now() - make_interval(days => $1)"#,
        UPTIME_WINDOW_DAYS
    )
    .fetch_one(conn)
    .await?;
    Ok(Uptime::compute(
        row.first_probe,
        row.last_probe,
        row.up_minutes,
        row.now,
        target_percent,
    ))
}

/// Stores a validated vendor-packet request and returns the receipt.
///
/// The id is made here, not by the database, because the application role
/// may insert packet requests but never read them back.
#[tracing::instrument(skip_all, err)]
pub async fn insert_packet_request(
    conn: &mut PgConnection,
    request: &VendorPacketRequest,
) -> Result<PacketReceipt, sqlx::Error> {
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO vendor_packet_requests
             (id, requester_name, email, organization, packet, message)
         VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        request.name.as_str(),
        request.email.as_str(),
        request.organization.as_str(),
        request.packet as PacketKind,
        request.message.as_ref().map(|m| m.as_str()),
    )
    .execute(&mut *conn)
    .await?;
    let response_days = sqlx::query_scalar!("SELECT packet_response_days FROM trust_settings")
        .fetch_one(&mut *conn)
        .await?;
    Ok(PacketReceipt {
        reference: reference_for(id),
        email: request.email.to_string(),
        response_days,
    })
}

/// A subprocessor's vendor, whether it may receive PHI, and its start day
/// (what decides whether a change needs new notice).
pub async fn subprocessor_basis(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<(String, bool, time::Date)>, sqlx::Error> {
    sqlx::query_as("SELECT vendor, touches_phi, starts_on FROM subprocessors WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// Inserts (no `id`) or updates a subprocessor; answers its id and whether
/// it was `added` or `changed`. A vendor listed twice is a field error.
pub async fn save_subprocessor(
    tx: &mut TenantTx,
    id: Option<Uuid>,
    s: &SubprocessorInput,
) -> Result<(Uuid, &'static str), AppError> {
    let note = |n: &Option<crate::domain::BoundedText>| n.as_ref().map(|n| n.as_str().to_owned());
    let result = sqlx::query_scalar::<_, Uuid>(
        "WITH added AS (
             INSERT INTO subprocessors (vendor, purpose, region, baa_signed, baa_note,
                                        touches_phi, phi_note, starts_on, sort_order)
             SELECT $2, $3, $4, $5, $6, $7, $8, $9,
                    (SELECT coalesce(max(sort_order), 0) + 1 FROM subprocessors)
             WHERE $1::uuid IS NULL
             RETURNING id),
         changed AS (
             UPDATE subprocessors SET vendor = $2, purpose = $3, region = $4, baa_signed = $5,
                    baa_note = $6, touches_phi = $7, phi_note = $8, starts_on = $9
             WHERE id = $1
             RETURNING id)
         SELECT id FROM added UNION ALL SELECT id FROM changed",
    )
    .bind(id)
    .bind(s.vendor.as_str())
    .bind(s.purpose.as_str())
    .bind(s.region.as_str())
    .bind(s.baa_signed)
    .bind(note(&s.baa_note))
    .bind(s.touches_phi)
    .bind(note(&s.phi_note))
    .bind(s.starts_on)
    .fetch_optional(tx.conn())
    .await;
    match result {
        Ok(Some(saved)) => Ok((saved, if id.is_some() { "changed" } else { "added" })),
        Ok(None) => Err(AppError::NotFound),
        Err(e) if crate::error::violates(&e, "subprocessors_vendor_key") => Err(AppError::invalid(
            "vendor",
            "This vendor is already listed; change its row instead.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Inserts (no `id`) or updates a certification.
pub async fn save_certification(
    tx: &mut TenantTx,
    id: Option<Uuid>,
    c: &CertificationInput,
) -> Result<(Uuid, &'static str), AppError> {
    let result = sqlx::query_scalar::<_, Uuid>(
        "WITH added AS (
             INSERT INTO certifications (name, scope, status, status_date, detail, sort_order)
             SELECT $2, $3, $4, $5, $6,
                    (SELECT coalesce(max(sort_order), 0) + 1 FROM certifications)
             WHERE $1::uuid IS NULL
             RETURNING id),
         changed AS (
             UPDATE certifications SET name = $2, scope = $3, status = $4, status_date = $5,
                    detail = $6
             WHERE id = $1
             RETURNING id)
         SELECT id FROM added UNION ALL SELECT id FROM changed",
    )
    .bind(id)
    .bind(c.name.as_str())
    .bind(&c.scope)
    .bind(c.status)
    .bind(c.status_date)
    .bind(&c.detail)
    .fetch_optional(tx.conn())
    .await;
    match result {
        Ok(Some(saved)) => Ok((saved, if id.is_some() { "changed" } else { "added" })),
        Ok(None) => Err(AppError::NotFound),
        Err(e) if crate::error::violates(&e, "certifications_name_key") => Err(AppError::invalid(
            "name",
            "A certification with this name is already listed.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Inserts (no `id`) or rewords a data principle.
pub async fn save_principle(
    tx: &mut TenantTx,
    id: Option<Uuid>,
    p: &PrincipleInput,
) -> Result<(Uuid, &'static str), AppError> {
    let saved = sqlx::query_scalar::<_, Uuid>(
        "WITH added AS (
             INSERT INTO data_principles (title, body, sort_order)
             SELECT $2, $3, (SELECT coalesce(max(sort_order), 0) + 1 FROM data_principles)
             WHERE $1::uuid IS NULL
             RETURNING id),
         changed AS (
             UPDATE data_principles SET title = $2, body = $3 WHERE id = $1 RETURNING id)
         SELECT id FROM added UNION ALL SELECT id FROM changed",
    )
    .bind(id)
    .bind(p.title.as_str())
    .bind(p.body.as_str())
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    Ok((saved, if id.is_some() { "changed" } else { "added" }))
}

/// Removes an item; answers the name it had, or `None` if there was none.
pub async fn remove_item(
    tx: &mut TenantTx,
    kind: ItemKind,
    id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let sql = match kind {
        ItemKind::Certification => "DELETE FROM certifications WHERE id = $1 RETURNING name",
        ItemKind::Subprocessor => "DELETE FROM subprocessors WHERE id = $1 RETURNING vendor",
        ItemKind::Principle => "DELETE FROM data_principles WHERE id = $1 RETURNING title",
    };
    sqlx::query_scalar::<_, String>(sql)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// The `trust.edited` event for a change, in the editor's chain.
pub async fn audit_edit(
    tx: &mut TenantTx,
    kind: ItemKind,
    id: Uuid,
    change: &str,
    title: &str,
) -> Result<(), sqlx::Error> {
    crate::audit::repo::record(
        tx,
        Entry::new(AuditAction::TrustEdited)
            .subject(Subject::new(kind.as_str(), id))
            .details(serde_json::json!({ "change": change, "title": title })),
    )
    .await
}

/// A short reference a person can read out on the phone: `VP-` and the
/// first eight hex digits of the id.
pub fn reference_for(id: Uuid) -> String {
    let hex = id.simple().to_string().to_uppercase();
    format!("VP-{}", &hex[..8])
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_short_and_stable() {
        let id = uuid::Uuid::parse_str("3f9a12c4-0000-4000-8000-000000000000").unwrap();
        assert_eq!(super::reference_for(id), "VP-3F9A12C4");
    }
}
