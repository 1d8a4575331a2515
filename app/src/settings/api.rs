//! The clinic profile's doors: read it (any member of the clinic), save
//! it (its administrator; audited as `clinic.settings_changed` with the
//! names of the fields that changed, never their values).

use super::model::*;
use crate::error::AppError;
use app_macros::rpc;

#[cfg(feature = "ssr")]
use crate::audit::repo::{record, Entry, Subject};
#[cfg(feature = "ssr")]
use crate::audit::AuditAction;
#[cfg(feature = "ssr")]
use crate::auth::Role;

/// The clinic's profile and service area.
#[rpc(prefix = "/rpc", endpoint = "clinic/settings")]
pub async fn get_clinic_profile() -> Result<ClinicProfile, AppError> {
    let mut tx = crate::auth::require(&[Role::ClinicAdmin, Role::ClinicStaff]).await?;
    let profile = repo::profile(&mut tx).await?;
    tx.commit().await?;
    Ok(profile)
}

/// Saves the profile and the service area. Every field is checked and
/// each refusal named beside its field; nothing is saved until all pass.
#[rpc(prefix = "/rpc", endpoint = "clinic/settings/save")]
pub async fn save_clinic_profile(
    #[server(default)] phone: String,
    #[server(default)] street_address: String,
    #[server(default)] zip: String,
    #[server(default)] website: String,
    #[server(default)] service_zips: String,
) -> Result<(), AppError> {
    use crate::error::FieldError;
    let mut fields = Vec::new();
    let phone = match phone.trim() {
        "" => None,
        typed => match phone_digits(typed) {
            Some(d) => Some(d),
            None => {
                fields.push(FieldError::new(
                    "phone",
                    "Enter a ten-digit US phone number, like (555) 555-0100.",
                ));
                None
            }
        },
    };
    let street_address = street_address.trim();
    if street_address.chars().count() > 200 || street_address.contains(['\n', '\r']) {
        fields.push(FieldError::new(
            "street_address",
            "Keep the address to one line of 200 characters.",
        ));
    }
    let zip = zip.trim();
    if !zip.is_empty() {
        if let Err(why) = crate::domain::ZipCode::parse(zip) {
            fields.push(FieldError::new("zip", why));
        }
    }
    let website = website.trim();
    if !website.is_empty()
        && (!website.starts_with("https://")
            || website.len() <= "https://".len()
            || website.len() > 200
            || website.contains(char::is_whitespace))
    {
        fields.push(FieldError::new(
            "website",
            "Enter the full address of the clinic's website, starting with https://.",
        ));
    }
    let service = match parse_zip_list(&service_zips) {
        Ok(list) if list.len() > 500 => {
            fields.push(FieldError::new(
                "service_zips",
                "List at most 500 ZIP codes.",
            ));
            Vec::new()
        }
        Ok(list) => list,
        Err(why) => {
            fields.push(FieldError::new("service_zips", why));
            Vec::new()
        }
    };
    let mut tx = crate::auth::require(&[Role::ClinicAdmin]).await?;
    let user = tx.principal().require_person()?;
    // Every ZIP must be one we know (the same table referrals use).
    let mut known_check: Vec<String> = service.clone();
    if !zip.is_empty() && fields.iter().all(|f| f.field != "zip") {
        known_check.push(zip.to_owned());
    }
    let unknown = repo::unknown_zips(&mut tx, &known_check).await?;
    if unknown.iter().any(|u| u == zip) {
        fields.push(FieldError::new(
            "zip",
            format!("{zip} is not a US ZIP code we know."),
        ));
    }
    if let Some(u) = unknown.iter().find(|u| service.contains(u)) {
        fields.push(FieldError::new(
            "service_zips",
            format!("{u} is not a US ZIP code we know."),
        ));
    }
    if !fields.is_empty() {
        return Err(fields.into());
    }
    let before = repo::profile(&mut tx).await?;
    let after = ClinicProfile {
        name: before.name.clone(),
        phone: phone.unwrap_or_default(),
        street_address: street_address.to_owned(),
        zip: zip.to_owned(),
        website: website.to_owned(),
        service_zips: service,
    };
    repo::save(&mut tx, user, &after).await?;
    let changed: Vec<&str> = [
        ("phone", before.phone != after.phone),
        (
            "street_address",
            before.street_address != after.street_address,
        ),
        ("zip", before.zip != after.zip),
        ("website", before.website != after.website),
        ("service_zips", before.service_zips != after.service_zips),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect();
    let org = tx.principal().org_id;
    record(
        &mut tx,
        Entry::new(AuditAction::ClinicSettingsChanged)
            .subject(Subject::new("organization", org))
            .ip(crate::auth::RequestMeta::current().ip)
            .details(serde_json::json!({
                "changed": changed,
                "service_zips": after.service_zips.len(),
            })),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/clinic/settings?saved=profile");
    Ok(())
}

#[cfg(feature = "ssr")]
pub(super) mod repo {
    use super::ClinicProfile;
    use crate::db::TenantTx;
    use crate::identity::UserId;

    pub async fn profile(tx: &mut TenantTx) -> Result<ClinicProfile, sqlx::Error> {
        let org = tx.principal().org_id;
        type Row = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Vec<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT phone, street_address, zip::text, website, service_zips::text[]
             FROM clinic_profiles WHERE organization_id = $1",
        )
        .bind(org)
        .fetch_optional(tx.conn())
        .await?;
        let (phone, street_address, zip, website, service_zips) =
            row.unwrap_or((None, None, None, None, Vec::new()));
        Ok(ClinicProfile {
            name: tx.principal().org_name.clone(),
            phone: phone.unwrap_or_default(),
            street_address: street_address.unwrap_or_default(),
            zip: zip.unwrap_or_default(),
            website: website.unwrap_or_default(),
            service_zips,
        })
    }

    /// Those of `zips` that are not in the ZIP table.
    pub async fn unknown_zips(
        tx: &mut TenantTx,
        zips: &[String],
    ) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT z FROM unnest($1::text[]) AS z
             WHERE NOT EXISTS (SELECT 1 FROM zip_codes c WHERE c.zip = z)",
        )
        .bind(zips)
        .fetch_all(tx.conn())
        .await
    }

    pub async fn save(
        tx: &mut TenantTx,
        user: UserId,
        p: &ClinicProfile,
    ) -> Result<(), sqlx::Error> {
        let org = tx.principal().org_id;
        let blank = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        sqlx::query(
            "INSERT INTO clinic_profiles
                 (organization_id, phone, street_address, zip, website, service_zips, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6::char(5)[], $7)
             ON CONFLICT (organization_id) DO UPDATE
             SET phone = EXCLUDED.phone, street_address = EXCLUDED.street_address,
                 zip = EXCLUDED.zip, website = EXCLUDED.website,
                 service_zips = EXCLUDED.service_zips, updated_by = EXCLUDED.updated_by,
                 updated_at = now()",
        )
        .bind(org)
        .bind(blank(&p.phone))
        .bind(blank(&p.street_address))
        .bind(blank(&p.zip))
        .bind(blank(&p.website))
        .bind(&p.service_zips)
        .bind(user)
        .execute(tx.conn())
        .await?;
        Ok(())
    }
}
