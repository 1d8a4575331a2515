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

/// The clinic dashboard's figures over `from`..=`to`, all from rows the
/// clinic's own transaction may read.
pub async fn clinic_charts(
    tx: &mut TenantTx,
    from: time::Date,
    to: time::Date,
) -> Result<super::charts::ClinicCharts, sqlx::Error> {
    use super::charts::{Bar, ClinicCharts, Placement};
    use crate::referrals::DeclineReason;
    use crate::visits::{EvvException, VisitStatus};
    let clinic = tx.principal().org_id.uuid();
    let weekly: Vec<(time::Date, i64)> = sqlx::query_as(
        "SELECT w::date, count(r.id)
         FROM generate_series(date_trunc('week', $1::date), $2::date, interval '1 week') w
         LEFT JOIN referrals r ON r.clinic_id = $3
                              AND r.received_at >= greatest(w, $1::date)
                              AND r.received_at < least(w + interval '1 week', $2::date + 1)
         GROUP BY w ORDER BY w",
    )
    .bind(from)
    .bind(to)
    .bind(clinic)
    .fetch_all(tx.conn())
    .await?;
    let placement: (i64, Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT count(*),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY hours),
                percentile_cont(0.9) WITHIN GROUP (ORDER BY hours)
         FROM (SELECT extract(epoch FROM (a.at - r.received_at))::float8 / 3600 AS hours
               FROM referrals r
               JOIN LATERAL (SELECT min(h.occurred_at) AS at FROM referral_history h
                             WHERE h.organization_id = r.organization_id
                               AND h.referral_id = r.id AND h.to_status = 'accepted'
                               AND h.clinic_id = $3) a ON a.at IS NOT NULL
               WHERE r.clinic_id = $3 AND r.received_at >= $1::date
                 AND r.received_at < $2::date + 1) t",
    )
    .bind(from)
    .bind(to)
    .bind(clinic)
    .fetch_one(tx.conn())
    .await?;
    let declines = labelled(
        tx,
        "SELECT decline_reason::text, count(*) FROM referrals
         WHERE clinic_id = $3 AND status = 'declined'
           AND received_at >= $1::date AND received_at < $2::date + 1
         GROUP BY 1 ORDER BY 2 DESC, 1",
        (from, to, clinic),
        |raw| DeclineReason::parse(raw).map(DeclineReason::label),
    )
    .await?;
    let visits = labelled(
        tx,
        "SELECT status::text, count(*) FROM visits
         WHERE organization_id = $3 AND starts_at >= $1::date AND starts_at < $2::date + 1
         GROUP BY 1 ORDER BY 2 DESC, 1",
        (from, to, clinic),
        |raw| VisitStatus::parse(raw).map(VisitStatus::label),
    )
    .await?;
    let evv_exceptions = labelled(
        tx,
        "SELECT e::text, count(*)
         FROM visits v, unnest(ARRAY[v.check_in_exception, v.check_out_exception]) e
         WHERE v.organization_id = $3 AND e IS NOT NULL
           AND v.starts_at >= $1::date AND v.starts_at < $2::date + 1
         GROUP BY 1 ORDER BY 2 DESC, 1",
        (from, to, clinic),
        |raw| EvvException::parse(raw).map(EvvException::label),
    )
    .await?;
    let evv_incomplete: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM visits
         WHERE organization_id = $3 AND status = 'completed' AND NOT evv_complete
           AND starts_at >= $1::date AND starts_at < $2::date + 1",
    )
    .bind(from)
    .bind(to)
    .bind(clinic)
    .fetch_one(tx.conn())
    .await?;
    Ok(ClinicCharts {
        from,
        to,
        weekly: weekly
            .into_iter()
            .map(|(week, value)| Bar {
                label: format!("Week of {}", week),
                value,
            })
            .collect(),
        placement: Placement {
            placed: placement.0,
            median_hours: placement.1,
            p90_hours: placement.2,
        },
        declines,
        visits,
        evv_exceptions,
        evv_incomplete,
    })
}

/// Counts per stored value (`sql` answers `(value, count)` over `$1`..`$2`
/// for the clinic `$3`), labelled as the page names them; a value this
/// build does not know keeps its stored name.
async fn labelled(
    tx: &mut TenantTx,
    sql: &'static str,
    (from, to, clinic): (time::Date, time::Date, uuid::Uuid),
    label: fn(&str) -> Option<&'static str>,
) -> Result<Vec<super::charts::Bar>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .bind(clinic)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(raw, value)| super::charts::Bar {
            label: label(&raw).map(str::to_owned).unwrap_or(raw),
            value,
        })
        .collect())
}
