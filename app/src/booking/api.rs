//! Server functions for the clinician's availability page; each parses its
//! form and calls one operation in `service`.

use super::*;
#[cfg(feature = "ssr")]
use crate::auth::Role;
use crate::error::AppError;
use app_macros::rpc;

#[cfg(feature = "ssr")]
fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[rpc(prefix = "/rpc", endpoint = "clinician/availability")]
pub async fn get_availability() -> Result<Availability, AppError> {
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::availability(tx, now()).await
}

#[rpc(prefix = "/rpc", endpoint = "clinician/availability/hours/add")]
pub async fn add_hours(
    #[server(default)] weekday: String,
    #[server(default)] start: String,
    #[server(default)] end: String,
) -> Result<(), AppError> {
    let hours = parse_hours(&weekday, &start, &end)?;
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::add_hours(tx, hours, &crate::auth::RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "clinician/availability/hours/remove")]
pub async fn remove_hours(id: uuid::Uuid) -> Result<(), AppError> {
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::remove_hours(tx, id, &crate::auth::RequestMeta::current()).await
}

#[cfg(feature = "ssr")]
fn day_of(raw: &str) -> Result<time::Date, AppError> {
    time::Date::parse(
        raw.trim(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .map_err(|_| crate::error::FieldError::new("day", "Enter the day (YYYY-MM-DD).").into())
}

#[rpc(prefix = "/rpc", endpoint = "clinician/availability/days-off/add")]
pub async fn add_day_off(#[server(default)] day: String) -> Result<(), AppError> {
    let day = day_of(&day)?;
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::add_day_off(tx, day, now().date(), &crate::auth::RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "clinician/availability/days-off/remove")]
pub async fn remove_day_off(#[server(default)] day: String) -> Result<(), AppError> {
    let day = day_of(&day)?;
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::remove_day_off(tx, day, &crate::auth::RequestMeta::current()).await
}

/// Every rate at once: `rates[<care type>]` in dollars, empty for none.
#[rpc(prefix = "/rpc", endpoint = "clinician/availability/rates")]
pub async fn set_rates(
    #[server(default)] rates: std::collections::BTreeMap<String, String>,
) -> Result<(), AppError> {
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for (service, raw) in &rates {
        let field = format!("rate_{service}");
        let Some(care) = crate::referrals::CareType::parse(service) else {
            errors.push(crate::error::FieldError::new(field, "Not a service."));
            continue;
        };
        match parse_rate(&field, raw) {
            Ok(cents) => parsed.push((care, cents)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::set_rates(tx, parsed, &crate::auth::RequestMeta::current()).await
}

/// A family's search for clinicians (`GET /family/find`): what the form
/// leaves empty is filled in from the person chosen in `for_id`.
#[rpc(prefix = "/rpc", endpoint = "family/clinicians/find")]
pub async fn find_clinicians(
    #[server(default)] for_id: String,
    #[server(default)] zip: String,
    #[server(default)] care_type: String,
    #[server(default)] diagnosis: String,
    #[server(default)] language: String,
    #[server(default)] date: String,
) -> Result<SearchResults, AppError> {
    let state = crate::state::app_state()?;
    let meta = crate::auth::RequestMeta::current();
    let mut form = SearchForm {
        for_id,
        zip,
        care_type,
        diagnosis,
        language,
        date,
    };
    let tx = crate::auth::require(&[Role::Family]).await?;
    let home = crate::families::service::home(tx, &state.settings.vault, &meta).await?;
    let recipients = home
        .recipients
        .iter()
        .map(|r| (r.id, r.full_name.clone()))
        .collect();
    let chosen = form
        .for_id
        .trim()
        .parse::<crate::identity::RecipientId>()
        .ok()
        .filter(|id| home.recipients.iter().any(|r| r.id == *id));
    if let Some(id) = chosen {
        let tx = crate::auth::require(&[Role::Family]).await?;
        let person = crate::families::service::get(tx, &state.settings.vault, id, &meta).await?;
        // The person's details, whatever the address carries (the page
        // does not put them in the address).
        let fill = |field: &mut String, value: String| *field = value;
        fill(&mut form.zip, person.zip.clone());
        fill(
            &mut form.care_type,
            person
                .care_types
                .first()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        );
        fill(
            &mut form.diagnosis,
            person
                .diagnoses
                .first()
                .map(|d| d.0.clone())
                .unwrap_or_default(),
        );
        fill(
            &mut form.language,
            search::language_code(&person.language)
                .map(str::to_owned)
                .unwrap_or_default(),
        );
    }
    let asked = [
        &form.zip,
        &form.care_type,
        &form.diagnosis,
        &form.language,
        &form.date,
    ]
    .iter()
    .any(|f| !f.trim().is_empty());
    let now = now();
    let (problems, results) = if !asked {
        (Vec::new(), Vec::new())
    } else {
        match Search::parse(&form, now.date()) {
            Ok(search) => {
                let tx = crate::auth::require(&[Role::Family]).await?;
                match service::search(tx, &search, now).await {
                    Ok(found) => (Vec::new(), found),
                    Err(AppError::Validation { fields }) => (fields, Vec::new()),
                    Err(other) => return Err(other),
                }
            }
            Err(problems) => (problems, Vec::new()),
        }
    };
    Ok(SearchResults {
        form,
        recipients,
        searched: asked,
        problems,
        results,
    })
}

/// A verified clinician's page for a family.
#[rpc(prefix = "/rpc", endpoint = "family/clinicians/get")]
pub async fn get_clinician_for_family(
    id: crate::identity::ClinicianId,
) -> Result<ClinicianCard, AppError> {
    let tx = crate::auth::require(&[Role::Family]).await?;
    service::clinician_page(tx, id, now()).await
}
