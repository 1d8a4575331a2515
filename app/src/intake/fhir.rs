//! The FHIR R4 face of intake: each published form version is a
//! `Questionnaire` (id `{form}-{version}`, its definition's SHA-256 as an
//! identifier) and each signed submission a `QuestionnaireResponse` (its
//! document's SHA-256 as the identifier, the Questionnaire it answered as
//! a canonical URL), read and searched with a clinic's API key; every
//! response read is audited. The HTTP side stays in `server`.
//!
//! Built as JSON values rather than the hand-written datatypes of
//! `referrals::fhir`: a Questionnaire is a tree whose shape follows the
//! clinic's form (groups of items with typed `enableWhen` answers), and a
//! typed model of it would be as large as the rest of our FHIR types for
//! two read-only resources. The tests validate both against HL7's R4 JSON
//! Schema.

use super::fill::{display, Document};
use super::form::{Answer, EnableBehavior, Field, FieldKind, FormDefinition, Operator};
use super::service::read;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::vault::Keyring;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

/// The identifier systems of the hashes.
pub const FORM_HASH_SYSTEM: &str = "urn:carethread:intake-form-sha256";
pub const DOCUMENT_HASH_SYSTEM: &str = "urn:carethread:intake-document-sha256";

/// A clinic's API keys (the FHIR routes take keys only) read intake over
/// FHIR; referring organizations' keys do not.
fn reader(tx: &TenantTx) -> Result<(), AppError> {
    if tx
        .principal()
        .has_role(&[Role::ClinicAdmin, Role::ClinicStaff])
    {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// `{form}-{version}`.
pub fn questionnaire_id(form: uuid::Uuid, version: i32) -> String {
    format!("{form}-{version}")
}

/// The form and version a Questionnaire id names.
pub fn parse_questionnaire_id(raw: &str) -> Option<(uuid::Uuid, i32)> {
    let raw = raw.trim().trim_start_matches("Questionnaire/");
    let raw = raw.rsplit('/').next().unwrap_or(raw);
    if raw.len() < 38 || !raw.is_char_boundary(36) {
        return None;
    }
    let (form, version) = raw.split_at(36);
    let form = form.parse().ok()?;
    let version = version
        .strip_prefix('-')?
        .parse()
        .ok()
        .filter(|v| *v >= 1)?;
    Some((form, version))
}

fn item_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::LongText => "text",
        FieldKind::Number => "decimal",
        FieldKind::Date => "date",
        FieldKind::SingleChoice | FieldKind::MultipleChoice => "choice",
        FieldKind::YesNo | FieldKind::Consent => "boolean",
        FieldKind::Text
        | FieldKind::Phone
        | FieldKind::Email
        | FieldKind::Address
        | FieldKind::Signature => "string",
    }
}

/// An `enableWhen` answer, typed as the question it names.
fn condition_answer(
    question: Option<&Field>,
    operator: Operator,
    answer: &str,
) -> (&'static str, Value) {
    if operator == Operator::Exists {
        return ("answerBoolean", json!(answer == "true"));
    }
    match question.map(|q| q.kind) {
        Some(FieldKind::YesNo | FieldKind::Consent) => ("answerBoolean", json!(answer == "true")),
        Some(FieldKind::Number) => match answer.trim().parse::<f64>() {
            Ok(n) => ("answerDecimal", json!(n)),
            Err(_) => ("answerString", json!(answer)),
        },
        Some(FieldKind::Date) => ("answerDate", json!(answer)),
        _ => ("answerString", json!(answer)),
    }
}

fn question(d: &FormDefinition, f: &Field) -> Value {
    let mut item = json!({
        "linkId": f.key,
        "text": f.label,
        "type": item_type(f.kind),
        "required": f.required,
    });
    if f.kind == FieldKind::MultipleChoice {
        item["repeats"] = json!(true);
    }
    if !f.options.is_empty() {
        item["answerOption"] = f
            .options
            .iter()
            .map(|o| json!({ "valueString": o }))
            .collect();
    }
    if !f.enable_when.is_empty() {
        item["enableWhen"] = f
            .enable_when
            .iter()
            .map(|w| {
                let target = d.fields().find(|t| t.key == w.question);
                let (name, value) = condition_answer(target, w.operator, &w.answer);
                let operator = match w.operator {
                    Operator::Exists => "exists",
                    Operator::Equals => "=",
                    Operator::NotEquals => "!=",
                };
                let mut c = json!({ "question": w.question, "operator": operator });
                c[name] = value;
                c
            })
            .collect();
        // FHIR asks for enableBehavior exactly when there are several.
        if f.enable_when.len() > 1 {
            item["enableBehavior"] = json!(match f.enable_behavior {
                EnableBehavior::All => "all",
                EnableBehavior::Any => "any",
            });
        }
    }
    if let Some(help) = &f.help {
        item["item"] =
            json!([{ "linkId": format!("{}.help", f.key), "type": "display", "text": help }]);
    }
    item
}

/// A published version as a Questionnaire.
pub fn questionnaire(
    form: uuid::Uuid,
    version: i32,
    d: &FormDefinition,
    sha256: &str,
    published_at: time::OffsetDateTime,
    clinic: &str,
    base: &str,
) -> Value {
    let id = questionnaire_id(form, version);
    json!({
        "resourceType": "Questionnaire",
        "id": id,
        "url": format!("{base}/Questionnaire/{id}"),
        "identifier": [{ "system": FORM_HASH_SYSTEM, "value": sha256 }],
        "version": version.to_string(),
        "title": d.title,
        "status": "active",
        "subjectType": ["Patient"],
        "date": published_at.format(&Rfc3339).unwrap_or_default(),
        "publisher": clinic,
        "item": d.sections.iter().enumerate().map(|(i, s)| json!({
            "linkId": format!("section-{}", i + 1),
            "text": s.title,
            "type": "group",
            "item": s.fields.iter().map(|f| question(d, f)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn answers(f: &Field, a: &Answer) -> Vec<Value> {
    match a {
        Answer::Bool(b) => vec![json!({ "valueBoolean": b })],
        Answer::Number(n) => vec![json!({ "valueDecimal": n })],
        Answer::Many(v) => v.iter().map(|s| json!({ "valueString": s })).collect(),
        Answer::Text(t) if f.kind == FieldKind::Date => vec![json!({ "valueDate": t })],
        Answer::Text(_) => vec![json!({ "valueString": display(f, a) })],
    }
}

/// A signed submission as a QuestionnaireResponse.
pub fn questionnaire_response(
    d: &FormDefinition,
    doc: &Document,
    sha256: &str,
    base: &str,
) -> Value {
    let items: Vec<Value> = d
        .sections
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let answered: Vec<Value> = s
                .fields
                .iter()
                .filter_map(|f| {
                    doc.answers.get(&f.key).map(
                        |a| json!({ "linkId": f.key, "text": f.label, "answer": answers(f, a) }),
                    )
                })
                .collect();
            (!answered.is_empty()).then(|| {
                json!({ "linkId": format!("section-{}", i + 1), "text": s.title, "item": answered })
            })
        })
        .collect();
    json!({
        "resourceType": "QuestionnaireResponse",
        "id": doc.id.to_string(),
        "identifier": { "system": DOCUMENT_HASH_SYSTEM, "value": sha256 },
        "questionnaire": format!("{base}/Questionnaire/{}", questionnaire_id(doc.form.id, doc.form.version)),
        "status": "completed",
        "subject": { "reference": format!("Patient/{}", doc.patient_id) },
        "authored": doc.signed_at.format(&Rfc3339).unwrap_or_default(),
        "item": items,
    })
}

/// A published version's Questionnaire (a form definition holds no PHI:
/// not audited).
pub async fn read_questionnaire(
    mut tx: TenantTx,
    form: uuid::Uuid,
    version: i32,
    base: &str,
) -> Result<Value, AppError> {
    reader(&tx)?;
    let view = read(&mut tx, form).await?;
    let clinic: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(tx.principal().org_id.uuid())
        .fetch_one(tx.conn())
        .await?;
    tx.commit().await?;
    let v = view
        .versions
        .iter()
        .find(|v| v.version == version)
        .ok_or(AppError::NotFound)?;
    let (Some(sha256), Some(published_at)) = (&v.sha256, v.published_at) else {
        return Err(AppError::NotFound);
    };
    Ok(questionnaire(
        form,
        version,
        &v.definition,
        sha256,
        published_at,
        &clinic,
        base,
    ))
}

/// A QuestionnaireResponse search: by id, patient, questionnaire, paged.
#[derive(Debug, Clone, Default)]
pub struct ResponseQuery {
    pub id: Option<uuid::Uuid>,
    pub patient: Option<uuid::Uuid>,
    pub questionnaire: Option<(uuid::Uuid, i32)>,
    pub count: i64,
    pub offset: i64,
}

/// The matching QuestionnaireResponses (total, and this page's, each with
/// its id); each one returned is an audited read of the patient's answers.
pub async fn search_responses(
    mut tx: TenantTx,
    vault: &Keyring,
    base: &str,
    q: &ResponseQuery,
    meta: &RequestMeta,
) -> Result<(i64, Vec<(String, Value)>), AppError> {
    reader(&tx)?;
    let org = tx.principal().org_id.uuid();
    let (form, version) = q.questionnaire.unzip();
    let filter = "organization_id = $1 AND ($2::uuid IS NULL OR id = $2)
                  AND ($3::uuid IS NULL OR patient_id = $3)
                  AND ($4::uuid IS NULL OR (form_id = $4 AND version = $5))";
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM intake_submissions WHERE {filter}"
    ))
    .bind(org)
    .bind(q.id)
    .bind(q.patient)
    .bind(form)
    .bind(version)
    .fetch_one(tx.conn())
    .await?;
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(&format!(
        "SELECT id FROM intake_submissions WHERE {filter}
         ORDER BY submitted_at DESC, id LIMIT $6 OFFSET $7"
    ))
    .bind(org)
    .bind(q.id)
    .bind(q.patient)
    .bind(form)
    .bind(version)
    .bind(q.count)
    .bind(q.offset)
    .fetch_all(tx.conn())
    .await?;
    let mut found = Vec::new();
    for id in ids {
        let (definition, document, sha256) =
            super::staff::opened_document(&mut tx, vault, id).await?;
        record(
            &mut tx,
            Entry::new(AuditAction::IntakeSubmissionViewed)
                .subject(Subject::new("intake_submission", id))
                .ip(meta.ip)
                .details(json!({ "patient_id": document.patient_id, "via": "fhir" })),
        )
        .await?;
        found.push((
            id.to_string(),
            questionnaire_response(&definition, &document, &sha256, base),
        ));
    }
    tx.commit().await?;
    Ok((total, found))
}
