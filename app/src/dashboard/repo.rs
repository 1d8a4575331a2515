//! The dashboards' figures. The platform counts are for platform
//! administrators only (the policies give them to nobody else).

use super::PacketRequestView;
use crate::auth::OrgKind;
use crate::db::TenantTx;
use crate::identity::OrganizationId;

pub async fn organizations_by_kind(tx: &mut TenantTx) -> Result<Vec<(OrgKind, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT kind AS "kind: OrgKind", count(*) AS "count!"
           FROM organizations GROUP BY kind ORDER BY kind"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.kind, r.count)).collect())
}

pub async fn account_count(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM users"#)
        .fetch_one(tx.conn())
        .await
}

pub async fn open_packet_requests(
    tx: &mut TenantTx,
) -> Result<Vec<PacketRequestView>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, organization, packet::text AS "packet!", created_at
           FROM vendor_packet_requests
           WHERE handled_at IS NULL
           ORDER BY created_at DESC
           LIMIT 20"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PacketRequestView {
            reference: crate::trust::repo::reference_for(r.id),
            organization: r.organization,
            packet: crate::trust::PacketKind::parse(&r.packet)
                .map_or(r.packet.clone(), |k| k.label().to_owned()),
            created_at: r.created_at,
        })
        .collect())
}

/// Referrals in the principal's clinic inbox waiting for a decision.
pub async fn awaiting_triage(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    let clinic = tx.principal().org_id;
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM referrals
           WHERE clinic_id = $1 AND status IN ('received', 'matched')"#,
        clinic as OrganizationId
    )
    .fetch_one(tx.conn())
    .await
}
