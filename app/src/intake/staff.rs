//! Intake for clinic staff after a form is published: sending it (a
//! single-use, expiring link bound to one patient and the version, mailed
//! or copied), revoking, and reading what came back (submissions per form
//! and per patient, opened with an audit event, marked reviewed,
//! downloaded as PDF); and the reminder the job runner sends. Each staff
//! operation checks the role and runs in the tenant transaction; each that
//! changes something or opens a patient's answers writes its audit event
//! (lists show initials, form titles and hashes only, and are not).

use super::fill::{document_view, open_verified, Document};
use super::form::FormDefinition;
use super::model::{
    FormPageData, FormSummary, LinkView, PatientChoice, SentLink, SubmissionSummary, SubmissionView,
};
use super::service::staff;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::token::EmailToken;
use crate::auth::RequestMeta;
use crate::db::TenantTx;
use crate::error::{AppError, FieldError};
use crate::vault::{Keyring, Place, Sealed};
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

/// How long a link works.
pub const LINK_DAYS: i64 = 7;

fn email_place(link: uuid::Uuid) -> Place<'static> {
    Place {
        table: "intake_links",
        column: "email_sealed",
        row: link,
    }
}

/// The address a link's holder opens.
pub fn link_url(public_url: &str, token: &str) -> String {
    format!("{}/intake?token={token}", public_url.trim_end_matches('/'))
}

fn until(t: OffsetDateTime) -> String {
    crate::ui::format_datetime(t)
}

/// The clinic's forms, each with its newest published version and counts.
pub async fn forms(mut tx: TenantTx) -> Result<Vec<FormSummary>, AppError> {
    staff(&tx)?;
    let org = tx.principal().org_id;
    let rows: Vec<(uuid::Uuid, String, Option<i32>, bool, i64, i64)> = sqlx::query_as(
        "SELECT f.id, f.title,
                (SELECT max(version) FROM intake_form_versions v
                 WHERE v.organization_id = f.organization_id AND v.form_id = f.id
                   AND v.published_at IS NOT NULL),
                EXISTS (SELECT 1 FROM intake_form_versions v
                        WHERE v.organization_id = f.organization_id AND v.form_id = f.id
                          AND v.published_at IS NULL),
                (SELECT count(*) FROM intake_submissions s
                 WHERE s.organization_id = f.organization_id AND s.form_id = f.id),
                (SELECT count(*) FROM intake_submissions s
                 WHERE s.organization_id = f.organization_id AND s.form_id = f.id
                   AND s.reviewed_at IS NULL)
         FROM intake_forms f WHERE f.organization_id = $1 ORDER BY f.title, f.id",
    )
    .bind(org.uuid())
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, published_version, has_draft, submissions, unreviewed)| FormSummary {
                id,
                title,
                published_version,
                has_draft,
                submissions,
                unreviewed,
            },
        )
        .collect())
}

type SubmissionRow = (
    uuid::Uuid,
    uuid::Uuid,
    String,
    i32,
    uuid::Uuid,
    String,
    Vec<u8>,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

const SUBMISSION_COLUMNS: &str = "s.id, s.form_id, f.title, s.version, s.patient_id, p.initials, \
     s.sha256, s.submitted_at, s.reviewed_at \
     FROM intake_submissions s \
     JOIN intake_forms f ON f.organization_id = s.organization_id AND f.id = s.form_id \
     JOIN patients p ON p.organization_id = s.organization_id AND p.id = s.patient_id";

fn summary(r: SubmissionRow) -> SubmissionSummary {
    let (
        id,
        form_id,
        form_title,
        version,
        patient_id,
        patient_initials,
        sha,
        submitted_at,
        reviewed_at,
    ) = r;
    SubmissionSummary {
        id,
        form_id,
        form_title,
        version,
        patient_id,
        patient_initials,
        sha256: hex::encode(sha),
        submitted_at,
        reviewed_at,
    }
}

type LinkRow = (
    uuid::Uuid,
    String,
    i32,
    String,
    bool,
    String,
    i32,
    OffsetDateTime,
    OffsetDateTime,
);

/// A form's page: the form, its links, its submissions and the patients
/// it can be sent to.
pub async fn form_page(mut tx: TenantTx, form: uuid::Uuid) -> Result<FormPageData, AppError> {
    staff(&tx)?;
    let org = tx.principal().org_id.uuid();
    let view = super::service::read(&mut tx, form).await?;
    let links: Vec<LinkRow> = sqlx::query_as(
        "SELECT l.id, p.initials, l.version, l.recipient, l.emailed,
                intake_link_state(l.spent_at, l.revoked_at, l.expires_at),
                l.reminders, l.created_at, l.expires_at
             FROM intake_links l
             JOIN patients p ON p.organization_id = l.organization_id AND p.id = l.patient_id
             WHERE l.organization_id = $1 AND l.form_id = $2
             ORDER BY l.created_at DESC LIMIT 100",
    )
    .bind(org)
    .bind(form)
    .fetch_all(tx.conn())
    .await?;
    let submissions: Vec<SubmissionRow> = sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} WHERE s.organization_id = $1 AND s.form_id = $2
         ORDER BY s.submitted_at DESC LIMIT 200"
    ))
    .bind(org)
    .bind(form)
    .fetch_all(tx.conn())
    .await?;
    let patients: Vec<(uuid::Uuid, String, String)> = sqlx::query_as(
        "SELECT id, initials, zip FROM patients WHERE organization_id = $1
         ORDER BY initials, created_at LIMIT 500",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(FormPageData {
        form: view,
        links: links
            .into_iter()
            .map(
                |(
                    id,
                    patient_initials,
                    version,
                    recipient,
                    emailed,
                    state,
                    reminders,
                    created_at,
                    expires_at,
                )| LinkView {
                    id,
                    patient_initials,
                    version,
                    recipient,
                    emailed,
                    state,
                    reminders,
                    created_at,
                    expires_at,
                },
            )
            .collect(),
        submissions: submissions.into_iter().map(summary).collect(),
        patients: patients
            .into_iter()
            .map(|(id, initials, zip)| PatientChoice {
                id,
                label: format!("{initials} · {zip}"),
            })
            .collect(),
    })
}

/// A patient's signed forms (for the patient's page).
pub async fn for_patient(
    tx: &mut TenantTx,
    patient: uuid::Uuid,
) -> Result<Vec<SubmissionSummary>, AppError> {
    staff(tx)?;
    let org = tx.principal().org_id.uuid();
    let rows: Vec<SubmissionRow> = sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} WHERE s.organization_id = $1 AND s.patient_id = $2
         ORDER BY s.submitted_at DESC LIMIT 200"
    ))
    .bind(org)
    .bind(patient)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(summary).collect())
}

/// Sends the form's newest published version to a patient (or their family
/// contact): mailed when an address is given, otherwise a link to copy.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    mut tx: TenantTx,
    vault: &Keyring,
    public_url: &str,
    form: uuid::Uuid,
    patient: &str,
    recipient: &str,
    email: &str,
    meta: &RequestMeta,
) -> Result<SentLink, AppError> {
    staff(&tx)?;
    let org = tx.principal().org_id.uuid();
    let mut errors = Vec::new();
    let patient_id = patient.trim().parse::<uuid::Uuid>().ok();
    if patient_id.is_none() {
        errors.push(FieldError::new("patient", "Choose the patient."));
    }
    if !matches!(recipient, "patient" | "family") {
        errors.push(FieldError::new("recipient", "Choose who fills it in."));
    }
    let email = email.trim();
    let address = if email.is_empty() {
        None
    } else {
        match crate::domain::EmailAddress::parse(email) {
            Ok(a) => Some(a.as_str().to_owned()),
            Err(m) => {
                errors.push(FieldError::new("email", m));
                None
            }
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let patient_id = patient_id.ok_or(AppError::NotFound)?;
    let form_known: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM intake_forms WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(form)
            .fetch_optional(tx.conn())
            .await?;
    form_known.ok_or(AppError::NotFound)?;
    let version: Option<i32> = sqlx::query_scalar(
        "SELECT max(version) FROM intake_form_versions
         WHERE organization_id = $1 AND form_id = $2 AND published_at IS NOT NULL",
    )
    .bind(org)
    .bind(form)
    .fetch_one(tx.conn())
    .await?;
    let version = version.ok_or_else(|| AppError::Conflict {
        message: "Publish the form before sending it.".to_owned(),
    })?;
    let known: Option<String> =
        sqlx::query_scalar("SELECT initials FROM patients WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(patient_id)
            .fetch_optional(tx.conn())
            .await?;
    if known.is_none() {
        return Err(FieldError::new("patient", "Choose the patient.").into());
    }
    let id = uuid::Uuid::new_v4();
    let token = EmailToken::generate();
    let sealed = address
        .as_deref()
        .map(|a| vault.seal(a.as_bytes(), email_place(id)));
    let expires_at: OffsetDateTime = sqlx::query_scalar(
        "INSERT INTO intake_links (organization_id, id, form_id, version, patient_id, recipient,
                                   emailed, email_key_id, email_sealed, token_hash, expires_at,
                                   created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $8 IS NOT NULL, $7, $8, $9,
                 now() + make_interval(days => $10), $11)
         RETURNING expires_at",
    )
    .bind(org)
    .bind(id)
    .bind(form)
    .bind(version)
    .bind(patient_id)
    .bind(recipient)
    .bind(sealed.as_ref().map(|s| s.key_id.as_str()))
    .bind(sealed.as_ref().map(|s| s.bytes.as_slice()))
    .bind(&token.hash()[..])
    .bind(LINK_DAYS as i32)
    .bind(tx.principal().person().map(|u| u.uuid()))
    .fetch_one(tx.conn())
    .await?;
    let url = link_url(public_url, token.text());
    if let Some(to) = &address {
        let clinic: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
            .bind(org)
            .fetch_one(tx.conn())
            .await?;
        let mail = crate::mail::intake_request(to, &clinic, &url, &until(expires_at), false);
        crate::mail::enqueue(tx.conn(), &mail).await?;
    }
    record(
        &mut tx,
        Entry::new(AuditAction::IntakeLinkSent)
            .subject(Subject::new("intake_link", id))
            .ip(meta.ip)
            .details(json!({
                "form_id": form, "version": version, "patient_id": patient_id,
                "recipient": recipient, "emailed": address.is_some(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(SentLink {
        url: address.is_none().then_some(url),
        emailed: address.is_some(),
    })
}

/// Withdraws an open link: it opens nothing afterwards.
pub async fn revoke(
    mut tx: TenantTx,
    link: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    staff(&tx)?;
    let org = tx.principal().org_id.uuid();
    let done = sqlx::query(
        "UPDATE intake_links SET revoked_at = now()
         WHERE organization_id = $1 AND id = $2 AND spent_at IS NULL AND revoked_at IS NULL",
    )
    .bind(org)
    .bind(link)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        let known: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT id FROM intake_links WHERE organization_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(link)
        .fetch_optional(tx.conn())
        .await?;
        return Err(match known {
            Some(_) => AppError::Conflict {
                message: "This link was signed or withdrawn already.".to_owned(),
            },
            None => AppError::NotFound,
        });
    }
    record(
        &mut tx,
        Entry::new(AuditAction::IntakeLinkRevoked)
            .subject(Subject::new("intake_link", link))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The reminder (the job runner's `intake.remind`, on the worker's
/// connection): a second token for the link is mailed (the first keeps
/// working). Whether a reminder went out (not for a link signed,
/// withdrawn, expired, begun, copied rather than mailed, or reminded
/// already).
pub async fn remind(
    conn: &mut PgConnection,
    vault: &Keyring,
    public_url: &str,
    org: uuid::Uuid,
    link: uuid::Uuid,
) -> Result<bool, AppError> {
    let token = EmailToken::generate();
    let row: Option<(String, String, Vec<u8>, OffsetDateTime)> =
        sqlx::query_as("SELECT * FROM intake_link_remind($1, $2, $3)")
            .bind(org)
            .bind(link)
            .bind(&token.hash()[..])
            .fetch_optional(&mut *conn)
            .await?;
    let Some((clinic, key_id, bytes, expires_at)) = row else {
        return Ok(false);
    };
    let to = vault
        .open(&Sealed { key_id, bytes }, email_place(link))
        .map_err(|_| AppError::Internal)?;
    let to = String::from_utf8(to).map_err(|_| AppError::Internal)?;
    let url = link_url(public_url, token.text());
    let mail = crate::mail::intake_request(&to, &clinic, &url, &until(expires_at), true);
    crate::mail::enqueue(conn, &mail).await?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct SubmissionRecord {
    id: uuid::Uuid,
    form_id: uuid::Uuid,
    title: String,
    version: i32,
    patient_id: uuid::Uuid,
    initials: String,
    sha256: Vec<u8>,
    submitted_at: OffsetDateTime,
    reviewed_at: Option<OffsetDateTime>,
    key_id: String,
    sealed: Vec<u8>,
    ip: Option<String>,
    user_agent: Option<String>,
    canonical: Option<Vec<u8>>,
}

/// A submission, its document opened and its form version read.
struct Opened {
    summary: SubmissionSummary,
    document: Document,
    definition: FormDefinition,
    /// Whether the document still hashes to the recorded hash.
    intact: bool,
    ip: Option<String>,
    user_agent: Option<String>,
}

async fn open_submission(
    tx: &mut TenantTx,
    vault: &Keyring,
    id: uuid::Uuid,
) -> Result<Opened, AppError> {
    let org = tx.principal().org_id.uuid();
    let r: Option<SubmissionRecord> = sqlx::query_as(
        "SELECT s.id, s.form_id, f.title, s.version, s.patient_id, p.initials, s.sha256,
                s.submitted_at, s.reviewed_at, s.key_id, s.sealed, host(s.ip) AS ip,
                s.user_agent, v.canonical
         FROM intake_submissions s
         JOIN intake_forms f ON f.organization_id = s.organization_id AND f.id = s.form_id
         JOIN patients p ON p.organization_id = s.organization_id AND p.id = s.patient_id
         JOIN intake_form_versions v ON v.organization_id = s.organization_id
                                    AND v.form_id = s.form_id AND v.version = s.version
         WHERE s.organization_id = $1 AND s.id = $2",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    let r = r.ok_or(AppError::NotFound)?;
    let sealed = Sealed {
        key_id: r.key_id.clone(),
        bytes: r.sealed.clone(),
    };
    let (document, intact) = open_verified(vault, r.id, &sealed, &r.sha256).ok_or_else(|| {
        tracing::error!(submission = %r.id, "an intake submission does not open");
        AppError::Internal
    })?;
    // Intact: the bytes hash as recorded, and they say whose they are.
    let intact = intact
        && document.organization_id == org
        && document.patient_id == r.patient_id
        && document.form.id == r.form_id
        && document.form.version == r.version;
    if !intact {
        tracing::error!(submission = %r.id, "a signed intake document no longer matches its hash");
    }
    let definition: FormDefinition = r
        .canonical
        .as_deref()
        .and_then(|c| serde_json::from_slice(c).ok())
        .ok_or(AppError::Internal)?;
    Ok(Opened {
        summary: summary((
            r.id,
            r.form_id,
            r.title,
            r.version,
            r.patient_id,
            r.initials,
            r.sha256,
            r.submitted_at,
            r.reviewed_at,
        )),
        document,
        definition,
        intact,
        ip: r.ip,
        user_agent: r.user_agent,
    })
}

/// A submission's form version and opened document, and its hex hash, for
/// FHIR (whose reads audit themselves). One that no longer matches its hash
/// is not served as the record.
pub(super) async fn opened_document(
    tx: &mut TenantTx,
    vault: &Keyring,
    id: uuid::Uuid,
) -> Result<(FormDefinition, Document, String), AppError> {
    let o = open_submission(tx, vault, id).await?;
    if !o.intact {
        return Err(AppError::Conflict {
            message: "This signed document no longer matches its hash; it is not served."
                .to_owned(),
        });
    }
    Ok((o.definition, o.document, o.summary.sha256))
}

fn view_of(o: Opened, public_url: &str) -> SubmissionView {
    document_view(
        &o.document,
        &o.definition,
        o.summary,
        public_url,
        o.intact,
        o.ip,
        o.user_agent,
    )
}

/// Opens a submission for staff: a read of the patient's answers, audited.
pub async fn submission(
    mut tx: TenantTx,
    vault: &Keyring,
    public_url: &str,
    id: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<SubmissionView, AppError> {
    staff(&tx)?;
    let opened = open_submission(&mut tx, vault, id).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::IntakeSubmissionViewed)
            .subject(Subject::new("intake_submission", id))
            .ip(meta.ip)
            .details(json!({ "patient_id": opened.summary.patient_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(view_of(opened, public_url))
}

/// Marks a submission reviewed (once).
pub async fn mark_reviewed(
    mut tx: TenantTx,
    id: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    staff(&tx)?;
    let org = tx.principal().org_id.uuid();
    let done = sqlx::query(
        "UPDATE intake_submissions SET reviewed_by = $3, reviewed_at = now()
         WHERE organization_id = $1 AND id = $2 AND reviewed_at IS NULL",
    )
    .bind(org)
    .bind(id)
    .bind(tx.principal().person().map(|u| u.uuid()))
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        let exists: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT id FROM intake_submissions WHERE organization_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
        return match exists {
            Some(_) => Ok(()),
            None => Err(AppError::NotFound),
        };
    }
    record(
        &mut tx,
        Entry::new(AuditAction::IntakeSubmissionReviewed)
            .subject(Subject::new("intake_submission", id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The submission as a PDF (and its file name), audited as a download.
pub async fn pdf(
    mut tx: TenantTx,
    vault: &Keyring,
    public_url: &str,
    id: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<(Vec<u8>, String), AppError> {
    staff(&tx)?;
    let opened = open_submission(&mut tx, vault, id).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::IntakeSubmissionExported)
            .subject(Subject::new("intake_submission", id))
            .ip(meta.ip)
            .details(json!({ "patient_id": opened.summary.patient_id })),
    )
    .await?;
    tx.commit().await?;
    let strokes = opened.document.signature.strokes.clone();
    let view = view_of(opened, public_url);
    let name = format!("intake-{}.pdf", &view.summary.sha256[..12]);
    Ok((super::pdf::render(&view, &strokes), name))
}
