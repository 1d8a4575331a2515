//! SQL for care recipients, run in the caller's tenant transaction (row-
//! level security keeps each family to its own).

use crate::db::TenantTx;
use crate::identity::{OrganizationId, RecipientId};
use crate::referrals::CareType;
use crate::vault::Sealed;

/// A stored recipient, still sealed.
pub struct Row {
    pub id: RecipientId,
    pub initials: String,
    pub zip: String,
    pub place: String,
    pub care_types: Vec<CareType>,
    pub diagnoses: Vec<(String, String)>,
    pub language: String,
    pub sealed: Sealed,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut TenantTx,
    id: RecipientId,
    initials: &str,
    zip: &str,
    care_types: &[CareType],
    diagnoses: &[String],
    language: &str,
    sealed: &Sealed,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    let user = tx.principal().person();
    sqlx::query(
        "INSERT INTO care_recipients
            (organization_id, id, initials, zip, care_types, diagnoses, language, key_id, sealed, created_by)
         VALUES ($1, $2, $3, $4, $5::text[]::care_type[], $6, $7, $8, $9, $10)",
    )
    .bind(org.uuid())
    .bind(id.uuid())
    .bind(initials)
    .bind(zip)
    .bind(care_types.iter().map(|c| c.as_str()).collect::<Vec<_>>())
    .bind(diagnoses)
    .bind(language)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(user.map(|u| u.uuid()))
    .execute(tx.conn())
    .await?;
    Ok(())
}

type RawRow = (
    uuid::Uuid,
    String,
    String,
    Option<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    String,
    String,
    Vec<u8>,
);

fn row(r: RawRow) -> Row {
    let (id, initials, zip, place, care, codes, displays, language, key_id, bytes) = r;
    Row {
        id: id.into(),
        initials,
        zip,
        place: place.unwrap_or_default(),
        care_types: care.iter().filter_map(|c| CareType::parse(c)).collect(),
        diagnoses: codes.into_iter().zip(displays).collect(),
        language,
        sealed: Sealed { key_id, bytes },
    }
}

const SELECT: &str = "SELECT r.id, r.initials, r.zip::text, z.city || ', ' || z.state,
        r.care_types::text[],
        coalesce((SELECT array_agg(coalesce(i.display, d) ORDER BY o)
                  FROM unnest(r.diagnoses) WITH ORDINALITY AS u (d, o)
                  LEFT JOIN icd10cm_codes i ON i.code = u.d), '{}'),
        coalesce((SELECT array_agg(coalesce(i.description, d) ORDER BY o)
                  FROM unnest(r.diagnoses) WITH ORDINALITY AS u (d, o)
                  LEFT JOIN icd10cm_codes i ON i.code = u.d), '{}'),
        r.language, r.key_id, r.sealed
     FROM care_recipients r LEFT JOIN zip_codes z ON z.zip = r.zip";

/// The family's people, oldest entry first.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Row>, sqlx::Error> {
    let org = tx.principal().org_id;
    let rows: Vec<RawRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE r.organization_id = $1 ORDER BY r.created_at, r.id"
    ))
    .bind(org.uuid())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(row).collect())
}

pub async fn one(tx: &mut TenantTx, id: RecipientId) -> Result<Option<Row>, sqlx::Error> {
    let org = tx.principal().org_id;
    let found: Option<RawRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE r.organization_id = $1 AND r.id = $2"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.map(row))
}

/// The family organization's name.
pub async fn family_name(tx: &mut TenantTx, org: OrganizationId) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(org.uuid())
        .fetch_one(tx.conn())
        .await
}
