//! Trust-portal data access. Every function takes a connection the caller
//! owns; the SQL is checked at compile time against the migrations.
//!
//! The trust tables are platform content, not tenant data: the application
//! role may read them (and insert packet requests and probes) under the
//! narrow policies of `migrations/*_trust_rls.sql`.

use super::model::{
    BaaChainCounts, Certification, CertificationStatus, DataPrinciple, Subprocessor, TrustPortal,
    Uptime, UPTIME_WINDOW_DAYS,
};
use super::packet::{PacketKind, PacketReceipt, VendorPacketRequest};
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
        r#"SELECT id, vendor, purpose, region, baa_signed, baa_note, touches_phi, phi_note
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

    Ok(TrustPortal {
        last_reviewed: settings.last_reviewed,
        counts,
        uptime,
        certifications,
        subprocessors,
        principles,
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
