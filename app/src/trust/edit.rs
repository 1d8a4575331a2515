//! Editing the trust portal (platform administrators only): certifications,
//! subprocessors and data principles are added, changed and removed here.
//!
//! Each save is one domain operation: the role check, the change in the
//! caller's transaction (row-level security admits only a platform
//! administrator), and a `trust.edited` audit event naming who did it. The
//! public change feed and the last-reviewed date are kept by the database
//! (`trust_record_change`), so no door can change the content without the
//! feed and the date following.
//!
//! A new subprocessor is announced ahead: its start date must be at least
//! [`NOTICE_DAYS`] away, the notice the portal promises customers.

// A subprocessor's form has nine fields, and its server function takes each.
#![allow(clippy::too_many_arguments)]

use super::model::{CertificationStatus, TrustPortal};
use crate::domain::{BoundedText, TextRules};
use crate::error::{AppError, FieldError};
use app_macros::rpc;
use time::Date;
#[cfg(feature = "ssr")]
use uuid::Uuid;

/// Days of notice before a new subprocessor may receive data.
pub const NOTICE_DAYS: i64 = 30;

const VENDOR: TextRules = TextRules::single_line("Vendor", 1, 120);
const PURPOSE: TextRules = TextRules::single_line("Purpose", 1, 300);
const REGION: TextRules = TextRules::single_line("Region", 1, 120);
const NOTE: TextRules = TextRules::single_line("Note", 0, 200);
const CERT_NAME: TextRules = TextRules::single_line("Name", 1, 120);
const SCOPE: TextRules = TextRules::multi_line("Scope", 0, 500);
const DETAIL: TextRules = TextRules::multi_line("Detail", 0, 1000);
const TITLE: TextRules = TextRules::single_line("Title", 1, 120);
const BODY: TextRules = TextRules::multi_line("Text", 1, 1000);

/// Which of the three lists an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Certification,
    Subprocessor,
    Principle,
}

impl ItemKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "certification" => Some(Self::Certification),
            "subprocessor" => Some(Self::Subprocessor),
            "principle" => Some(Self::Principle),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certification => "certification",
            Self::Subprocessor => "subprocessor",
            Self::Principle => "principle",
        }
    }
}

/// A subprocessor as submitted, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubprocessorInput {
    pub vendor: BoundedText,
    pub purpose: BoundedText,
    pub region: BoundedText,
    pub baa_signed: bool,
    pub baa_note: Option<BoundedText>,
    pub touches_phi: bool,
    pub phi_note: Option<BoundedText>,
    pub starts_on: Date,
}

/// A certification as submitted, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationInput {
    pub name: BoundedText,
    pub scope: String,
    pub status: CertificationStatus,
    pub status_date: Option<Date>,
    pub detail: String,
}

/// A data principle as submitted, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipleInput {
    pub title: BoundedText,
    pub body: BoundedText,
}

fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    rules: TextRules,
) -> Option<BoundedText> {
    BoundedText::parse(raw, rules)
        .map_err(|m| errors.push(FieldError::new(field, m)))
        .ok()
}

fn optional(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    rules: TextRules,
) -> Option<Option<BoundedText>> {
    BoundedText::parse_optional(raw, rules)
        .map_err(|m| errors.push(FieldError::new(field, m)))
        .ok()
}

fn date(raw: &str) -> Option<Date> {
    crate::domain::parse_date(raw)
}

impl SubprocessorInput {
    /// Checks every field at once. With `new` (a new vendor, or a change
    /// that is news again) it must start at least [`NOTICE_DAYS`] after
    /// `today`; a vendor that may receive PHI must have signed a BAA (the
    /// database insists too).
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        vendor: &str,
        purpose: &str,
        region: &str,
        baa_signed: bool,
        baa_note: &str,
        touches_phi: bool,
        phi_note: &str,
        starts_on: &str,
        new: bool,
        today: Date,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let vendor = text(&mut errors, "vendor", vendor, VENDOR);
        let purpose = text(&mut errors, "purpose", purpose, PURPOSE);
        let region = text(&mut errors, "region", region, REGION);
        let baa_note = optional(&mut errors, "baa_note", baa_note, NOTE);
        let phi_note = optional(&mut errors, "phi_note", phi_note, NOTE);
        if touches_phi && !baa_signed {
            errors.push(FieldError::new(
                "touches_phi",
                "A vendor that may receive PHI must have signed a BAA first.",
            ));
        }
        let earliest = today + time::Duration::days(NOTICE_DAYS);
        let starts_on = match date(starts_on) {
            None => {
                errors.push(FieldError::new(
                    "starts_on",
                    "Enter the day it starts receiving data, as YYYY-MM-DD.",
                ));
                None
            }
            Some(d) if new && d < earliest => {
                errors.push(FieldError::new(
                    "starts_on",
                    format!(
                        "Customers are told {NOTICE_DAYS} days ahead: choose {earliest} or later."
                    ),
                ));
                None
            }
            Some(d) => Some(d),
        };
        match (vendor, purpose, region, baa_note, phi_note, starts_on) {
            (
                Some(vendor),
                Some(purpose),
                Some(region),
                Some(baa_note),
                Some(phi_note),
                Some(starts_on),
            ) if errors.is_empty() => Ok(Self {
                vendor,
                purpose,
                region,
                baa_signed,
                baa_note,
                touches_phi,
                phi_note,
                starts_on,
            }),
            _ => Err(errors),
        }
    }
}

impl CertificationInput {
    /// Checks every field at once; a scheduled engagement needs its date.
    pub fn parse(
        name: &str,
        scope: &str,
        status: &str,
        status_date: &str,
        detail: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = text(&mut errors, "name", name, CERT_NAME);
        let scope = optional(&mut errors, "scope", scope, SCOPE);
        let detail = optional(&mut errors, "detail", detail, DETAIL);
        let status = CertificationStatus::parse(status.trim());
        if status.is_none() {
            errors.push(FieldError::new("status", "Choose where it stands."));
        }
        let status_date = if status_date.trim().is_empty() {
            Some(None)
        } else {
            match date(status_date) {
                Some(d) => Some(Some(d)),
                None => {
                    errors.push(FieldError::new(
                        "status_date",
                        "Enter the date as YYYY-MM-DD.",
                    ));
                    None
                }
            }
        };
        if status == Some(CertificationStatus::Scheduled) && status_date == Some(None) {
            errors.push(FieldError::new(
                "status_date",
                "A scheduled engagement needs its booked date.",
            ));
        }
        match (name, scope, status, status_date, detail) {
            (Some(name), Some(scope), Some(status), Some(status_date), Some(detail))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    scope: scope.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    status,
                    status_date,
                    detail: detail.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                })
            }
            _ => Err(errors),
        }
    }
}

impl PrincipleInput {
    pub fn parse(title: &str, body: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = text(&mut errors, "title", title, TITLE);
        let body = text(&mut errors, "body", body, BODY);
        match (title, body) {
            (Some(title), Some(body)) if errors.is_empty() => Ok(Self { title, body }),
            _ => Err(errors),
        }
    }
}

/// An item's id from a form: blank for a new one.
#[cfg(feature = "ssr")]
fn item_id(raw: &str) -> Result<Option<Uuid>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(raw)
        .map(Some)
        .map_err(|_| AppError::NotFound)
}

/// The portal as the editing page shows it.
#[rpc(prefix = "/rpc", endpoint = "trust/admin")]
pub async fn get_trust_admin() -> Result<TrustPortal, AppError> {
    let mut tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let portal = super::repo::load_portal(tx.conn()).await?;
    tx.commit().await?;
    Ok(portal)
}

/// Adds (blank `id`) or changes a subprocessor.
#[rpc(prefix = "/rpc", endpoint = "trust/subprocessors/save")]
pub async fn save_subprocessor(
    #[server(default)] id: String,
    vendor: String,
    purpose: String,
    region: String,
    #[server(default)] baa_signed: Option<String>,
    #[server(default)] baa_note: String,
    #[server(default)] touches_phi: Option<String>,
    #[server(default)] phi_note: String,
    starts_on: String,
) -> Result<(), AppError> {
    let id = item_id(&id)?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    // A change that makes it news again (another vendor under this row,
    // PHI newly received, a new start day) needs the same notice as a new
    // vendor.
    let needs_notice = match id {
        None => true,
        Some(id) => {
            let (old_vendor, old_phi, old_start) = super::repo::subprocessor_basis(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let start = crate::domain::parse_date(&starts_on);
            !old_vendor.eq_ignore_ascii_case(vendor.trim())
                || (touches_phi.is_some() && !old_phi)
                || start != Some(old_start)
        }
    };
    let input = SubprocessorInput::parse(
        &vendor,
        &purpose,
        &region,
        baa_signed.is_some(),
        &baa_note,
        touches_phi.is_some(),
        &phi_note,
        &starts_on,
        needs_notice,
        today,
    )?;
    let (id, change) = super::repo::save_subprocessor(&mut tx, id, &input).await?;
    super::repo::audit_edit(
        &mut tx,
        ItemKind::Subprocessor,
        id,
        change,
        input.vendor.as_str(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/admin/trust?saved=subprocessor");
    Ok(())
}

/// Adds (blank `id`) or changes a certification.
#[rpc(prefix = "/rpc", endpoint = "trust/certifications/save")]
pub async fn save_certification(
    #[server(default)] id: String,
    name: String,
    #[server(default)] scope: String,
    status: String,
    #[server(default)] status_date: String,
    #[server(default)] detail: String,
) -> Result<(), AppError> {
    let id = item_id(&id)?;
    let input = CertificationInput::parse(&name, &scope, &status, &status_date, &detail)?;
    let mut tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let (id, change) = super::repo::save_certification(&mut tx, id, &input).await?;
    super::repo::audit_edit(
        &mut tx,
        ItemKind::Certification,
        id,
        change,
        input.name.as_str(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/admin/trust?saved=certification");
    Ok(())
}

/// Adds (blank `id`) or rewords a data principle.
#[rpc(prefix = "/rpc", endpoint = "trust/principles/save")]
pub async fn save_principle(
    #[server(default)] id: String,
    title: String,
    body: String,
) -> Result<(), AppError> {
    let id = item_id(&id)?;
    let input = PrincipleInput::parse(&title, &body)?;
    let mut tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let (id, change) = super::repo::save_principle(&mut tx, id, &input).await?;
    super::repo::audit_edit(
        &mut tx,
        ItemKind::Principle,
        id,
        change,
        input.title.as_str(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/admin/trust?saved=principle");
    Ok(())
}

/// Removes an item from one of the three lists.
#[rpc(prefix = "/rpc", endpoint = "trust/remove")]
pub async fn remove_trust_item(kind: String, id: String) -> Result<(), AppError> {
    let kind = ItemKind::parse(&kind).ok_or(AppError::NotFound)?;
    let id = item_id(&id)?.ok_or(AppError::NotFound)?;
    let mut tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let title = super::repo::remove_item(&mut tx, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::repo::audit_edit(&mut tx, kind, id, "removed", &title).await?;
    tx.commit().await?;
    leptos_axum::redirect("/admin/trust?saved=removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        date(s).unwrap()
    }

    #[test]
    fn a_new_subprocessor_is_announced_thirty_days_ahead() {
        let today = day("2026-11-30");
        let parse = |starts: &str, new: bool| {
            SubprocessorInput::parse(
                "Acme SMS", "Texts", "US", false, "", false, "", starts, new, today,
            )
        };
        let early = parse("2026-12-29", true).unwrap_err();
        assert_eq!(early[0].field, "starts_on");
        assert!(early[0].message.contains("2026-12-30"), "{:?}", early);
        assert!(parse("2026-12-30", true).is_ok());
        // An existing vendor's row may be corrected without new notice.
        assert!(parse("2026-12-01", false).is_ok());
        assert_eq!(parse("soon", false).unwrap_err()[0].field, "starts_on");
    }

    #[test]
    fn phi_needs_a_baa_and_every_problem_is_named_at_once() {
        let errors = SubprocessorInput::parse(
            "",
            "",
            "US",
            false,
            "",
            true,
            "",
            "2027-06-01",
            true,
            day("2026-11-30"),
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["vendor", "purpose", "touches_phi"]);
    }

    #[test]
    fn a_scheduled_certification_carries_its_date() {
        let e = CertificationInput::parse("SOC 2", "", "scheduled", "", "").unwrap_err();
        assert_eq!(e[0].field, "status_date");
        let ok = CertificationInput::parse("SOC 2", "", "scheduled", "2027-03-01", "").unwrap();
        assert_eq!(ok.status_date, Some(day("2027-03-01")));
        assert_eq!(
            CertificationInput::parse("SOC 2", "", "certified!", "", "").unwrap_err()[0].field,
            "status"
        );
    }

    #[test]
    fn principles_need_a_title_and_text() {
        assert_eq!(
            PrincipleInput::parse(" ", "x").unwrap_err()[0].field,
            "title"
        );
        assert!(PrincipleInput::parse("Minimum necessary", "Only what the visit needs.").is_ok());
    }
}
