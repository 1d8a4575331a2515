//! The holder of an intake link, who has no account: opening the form,
//! keeping answers section by section (a draft on the server, sealed, so
//! another device resumes it), signing, the receipt, and the public hash
//! check. Every database step goes through the token's own functions
//! (`migrations/*_intake_links.sql`), which see nothing but that token's
//! link.
//!
//! What is signed is a [`Document`]: the form version's hash, the answers
//! as checked against that version (hidden fields' answers dropped), the
//! signature (typed name, and strokes if drawn) and the consent statement
//! with its hash. Its canonical JSON (RFC 8785) is sealed and its SHA-256
//! is the receipt's, which `/verify` recomputes from the sealed bytes.

use super::form::{canonical, Answer, FieldKind, FormDefinition};
use super::model::{AnswerLine, AnswerSection, FillView, Receipt, VerifyAnswer, ESIGN_CONSENT};
use crate::auth::RequestMeta;
use crate::db::{Token, Tx};
use crate::error::{AppError, FieldError};
use crate::vault::{Keyring, Place, Sealed};
use crate::visits::Signature;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What a signature covers: hashed as canonical JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub form: FormRef,
    pub answers: BTreeMap<String, Answer>,
    pub signature: SignatureRecord,
    pub consent: Consent,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRef {
    pub id: uuid::Uuid,
    pub version: i32,
    /// Hex SHA-256 of the version's canonical definition.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureRecord {
    /// `typed` or `drawn`.
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strokes: Vec<Vec<[i16; 2]>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub text: String,
    /// Hex SHA-256 of `text` (UTF-8).
    pub sha256: String,
}

/// Where a link's draft is sealed.
fn draft_place(link: uuid::Uuid) -> Place<'static> {
    Place {
        table: "intake_links",
        column: "draft_sealed",
        row: link,
    }
}

/// Where a submission's document is sealed.
pub fn document_place(id: uuid::Uuid) -> Place<'static> {
    Place {
        table: "intake_submissions",
        column: "sealed",
        row: id,
    }
}

/// The address of `/verify` for `hash`.
pub fn verify_url(public_url: &str, hash: &str) -> String {
    format!("{}/verify?hash={hash}", public_url.trim_end_matches('/'))
}

/// The link as its token's holder sees it.
struct Link {
    id: uuid::Uuid,
    clinic: String,
    form_id: uuid::Uuid,
    form_title: String,
    version: i32,
    definition: FormDefinition,
    form_sha256: [u8; 32],
    state: String,
    expires_at: OffsetDateTime,
    draft: BTreeMap<String, Vec<String>>,
    receipt: Option<(Vec<u8>, OffsetDateTime)>,
}

type LinkRow = (
    uuid::Uuid,
    uuid::Uuid,
    uuid::Uuid,
    String,
    String,
    i32,
    Vec<u8>,
    Vec<u8>,
    String,
    OffsetDateTime,
    Option<String>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<OffsetDateTime>,
);

async fn begin(pool: &PgPool, token: &str) -> Result<Tx<Token>, AppError> {
    // A malformed token names no link: the same answer as an unknown one.
    let hash = crate::auth::token::parse(token).ok_or(AppError::NotFound)?;
    Ok(Tx::<Token>::begin(pool, &hash).await?)
}

async fn link(tx: &mut Tx<Token>, vault: &Keyring) -> Result<Link, AppError> {
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT organization_id, id, form_id, clinic, form_title, version, canonical, form_sha256, state,
                expires_at, draft_key_id, draft_sealed, submission_sha256, submitted_at
         FROM intake_link_for_token()",
    )
    .fetch_optional(tx.conn())
    .await?;
    let (
        _org,
        id,
        form_id,
        clinic,
        form_title,
        version,
        canonical_bytes,
        form_sha256,
        state,
        expires_at,
        draft_key,
        draft_sealed,
        submission_sha256,
        submitted_at,
    ) = row.ok_or(AppError::NotFound)?;
    let definition: FormDefinition = serde_json::from_slice(&canonical_bytes).map_err(|_| {
        tracing::error!(link = %id, "an intake form version does not read as a form");
        AppError::Internal
    })?;
    let draft = match (draft_key, draft_sealed) {
        (Some(key_id), Some(bytes)) => {
            let plain = vault
                .open(&Sealed { key_id, bytes }, draft_place(id))
                .map_err(|_| AppError::Internal)?;
            serde_json::from_slice(&plain).unwrap_or_default()
        }
        _ => BTreeMap::new(),
    };
    Ok(Link {
        id,
        clinic,
        form_id,
        form_title,
        version,
        definition,
        form_sha256: form_sha256.try_into().map_err(|_| AppError::Internal)?,
        state,
        expires_at,
        draft,
        receipt: submission_sha256.zip(submitted_at),
    })
}

/// The fields that are part of a section's step: every kind but the
/// signature, which the signing step fills.
fn on_step(kind: FieldKind) -> bool {
    kind != FieldKind::Signature
}

/// Each section's answers, as typed, and what still needs attention:
/// (the section's index, a sentence).
fn review(
    definition: &FormDefinition,
    draft: &BTreeMap<String, Vec<String>>,
) -> (Vec<AnswerSection>, Vec<(usize, String)>) {
    let shown = definition.shown(draft);
    let errors = definition
        .check(&with_placeholder_signatures(definition, draft))
        .err()
        .unwrap_or_default();
    let mut sections = Vec::new();
    let mut problems = Vec::new();
    for (i, s) in definition.sections.iter().enumerate() {
        if !s.fields.iter().any(|f| on_step(f.kind)) {
            continue;
        }
        let mut answers = Vec::new();
        for f in s
            .fields
            .iter()
            .filter(|f| on_step(f.kind) && shown.contains(&f.key))
        {
            let values: Vec<&str> = draft
                .get(&f.key)
                .map(|v| {
                    v.iter()
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if !values.is_empty() {
                answers.push(AnswerLine {
                    label: f.label.clone(),
                    value: shown_value(f.kind, &values),
                });
            }
            for e in errors.iter().filter(|e| e.field == f.key) {
                problems.push((i, format!("{}: {}", s.title, e.message)));
            }
        }
        sections.push(AnswerSection {
            title: s.title.clone(),
            answers,
        });
    }
    (sections, problems)
}

/// An answer as typed, as the review screen reads it.
fn shown_value(kind: FieldKind, values: &[&str]) -> String {
    match (kind, values.first().copied()) {
        (FieldKind::YesNo, Some("yes" | "true")) => "Yes".to_owned(),
        (FieldKind::YesNo, Some("no" | "false")) => "No".to_owned(),
        (FieldKind::Consent, Some(_)) => "Agreed".to_owned(),
        _ => values.join(", "),
    }
}

/// The draft with every signature field answered by a placeholder, so a
/// check before signing judges everything else.
fn with_placeholder_signatures(
    definition: &FormDefinition,
    draft: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<String>> {
    let mut all = draft.clone();
    for f in definition
        .fields()
        .filter(|f| f.kind == FieldKind::Signature)
    {
        all.insert(f.key.clone(), vec!["(signature)".to_owned()]);
    }
    all
}

/// Opens the link for its holder: the form and the answers so far, or the
/// receipt once signed. A link that is revoked or expired says only so.
pub async fn open(
    pool: &PgPool,
    vault: &Keyring,
    public_url: &str,
    token: &str,
) -> Result<FillView, AppError> {
    let mut tx = begin(pool, token).await?;
    let l = link(&mut tx, vault).await?;
    tx.commit().await?;
    let receipt = l.receipt.as_ref().map(|(hash, at)| {
        let hex = hex::encode(hash);
        let url = verify_url(public_url, &hex);
        Receipt {
            qr_svg: qr_svg(&url),
            sha256: hex,
            signed_at: *at,
            verify_url: url,
        }
    });
    let open = l.state == "open";
    let (review, problems) = if open {
        review(&l.definition, &l.draft)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(FillView {
        shown: if open {
            l.definition.shown(&l.draft)
        } else {
            Vec::new()
        },
        state: l.state,
        clinic: l.clinic,
        form_title: l.form_title,
        definition: open.then_some(l.definition),
        draft: if open { l.draft } else { BTreeMap::new() },
        review,
        problems,
        expires_at: l.expires_at,
        receipt,
        consent_text: ESIGN_CONSENT.to_owned(),
    })
}

/// A QR code of `url`, as an SVG document.
fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The largest draft kept (bytes of JSON).
const MAX_DRAFT: usize = 100_000;

/// Keeps the answers of section `step` (replacing what that section had),
/// then checks them: the next step, or an error beside each field that
/// needs changing (the answers are kept either way).
pub async fn save_step(
    pool: &PgPool,
    vault: &Keyring,
    token: &str,
    step: usize,
    submitted: &BTreeMap<String, Vec<String>>,
) -> Result<usize, AppError> {
    let mut tx = begin(pool, token).await?;
    let l = link(&mut tx, vault).await?;
    if l.state != "open" {
        return Err(closed(&l.state));
    }
    let section = l.definition.sections.get(step).ok_or(AppError::NotFound)?;
    let keys: Vec<&str> = section
        .fields
        .iter()
        .filter(|f| on_step(f.kind))
        .map(|f| f.key.as_str())
        .collect();
    let mut draft = l.draft.clone();
    for key in &keys {
        match submitted.get(*key) {
            Some(values) if values.iter().any(|v| !v.trim().is_empty()) => {
                let values: Vec<String> = values
                    .iter()
                    .take(50)
                    .map(|v| v.chars().take(5000).collect())
                    .collect();
                draft.insert((*key).to_owned(), values);
            }
            _ => {
                draft.remove(*key);
            }
        }
    }
    let json = serde_json::to_vec(&draft).map_err(|_| AppError::Internal)?;
    if json.len() > MAX_DRAFT {
        return Err(FieldError::new(
            keys.first().copied().unwrap_or("answers"),
            "These answers are too long to keep; shorten them.",
        )
        .into());
    }
    let sealed = vault.seal(&json, draft_place(l.id));
    let kept: bool = sqlx::query_scalar("SELECT intake_link_save_draft($1, $2)")
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .fetch_one(tx.conn())
        .await?;
    tx.commit().await?;
    if !kept {
        return Err(closed("expired"));
    }
    // Only this section's shown fields are judged now.
    let shown = l.definition.shown(&draft);
    let errors: Vec<FieldError> = match l
        .definition
        .check(&with_placeholder_signatures(&l.definition, &draft))
    {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .filter(|e| keys.contains(&e.field.as_str()) && shown.contains(&e.field))
            .collect(),
    };
    if errors.is_empty() {
        Ok(step + 1)
    } else {
        Err(AppError::Validation { fields: errors })
    }
}

fn closed(state: &str) -> AppError {
    AppError::Conflict {
        message: match state {
            "spent" => "This form has been signed already; the link cannot be used again.",
            "revoked" => "The clinic withdrew this link. Ask them for a new one.",
            _ => "This link has expired. Ask the clinic for a new one.",
        }
        .to_owned(),
    }
}

/// Signs: checks every answer against the pinned version, builds the
/// document, seals it and stores it with its hash, spending the token. The
/// hex hash for the receipt.
#[allow(clippy::too_many_arguments)]
pub async fn sign(
    pool: &PgPool,
    vault: &Keyring,
    token: &str,
    name: &str,
    strokes: &str,
    consent: bool,
    meta: &RequestMeta,
    now: OffsetDateTime,
) -> Result<String, AppError> {
    let mut errors = Vec::new();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() < 2 || name.chars().count() > 120 {
        errors.push(FieldError::new("name", "Type your full name to sign."));
    }
    let strokes = match Signature::strokes_from_json(strokes) {
        Ok(s) => s,
        Err(m) => {
            errors.push(FieldError::new("name", m));
            Vec::new()
        }
    };
    if !consent {
        errors.push(FieldError::new(
            "consent",
            "Tick the box to agree to sign electronically.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let mut tx = begin(pool, token).await?;
    let l = link(&mut tx, vault).await?;
    if l.state != "open" {
        return Err(closed(&l.state));
    }
    // Every signature field carries the typed name.
    let mut draft = l.draft.clone();
    for f in l
        .definition
        .fields()
        .filter(|f| f.kind == FieldKind::Signature)
    {
        draft.insert(f.key.clone(), vec![name.clone()]);
    }
    let answers = match l.definition.check(&draft) {
        Ok(a) => a,
        Err(_) => {
            let (_, problems) = review(&l.definition, &l.draft);
            let detail = problems.first().map(|(_, m)| m.clone()).unwrap_or_default();
            return Err(AppError::Conflict {
                message: format!("Some answers need attention before you sign. {detail}"),
            });
        }
    };
    let document = Document {
        form: FormRef {
            id: l.form_id,
            version: l.version,
            sha256: hex::encode(l.form_sha256),
        },
        answers,
        signature: SignatureRecord {
            kind: if strokes.is_empty() { "typed" } else { "drawn" }.to_owned(),
            name,
            strokes,
        },
        consent: Consent {
            text: ESIGN_CONSENT.to_owned(),
            sha256: hex::encode(Sha256::digest(ESIGN_CONSENT.as_bytes())),
        },
        signed_at: now.replace_nanosecond(0).unwrap_or(now),
    };
    let (bytes, hash) = canonical(&document).map_err(|_| AppError::Internal)?;
    let id = uuid::Uuid::new_v4();
    let sealed = vault.seal(&bytes, document_place(id));
    let consent_hash: [u8; 32] = Sha256::digest(ESIGN_CONSENT.as_bytes()).into();
    sqlx::query_scalar::<_, OffsetDateTime>(
        "SELECT intake_link_submit($1, $2, $3, $4, $5, $6, $7::text::inet, $8)",
    )
    .bind(id)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(&hash[..])
    .bind(&document.signature.kind)
    .bind(&consent_hash[..])
    .bind(meta.ip.map(|ip| ip.to_string()))
    .bind(meta.user_agent.as_deref())
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => closed("spent"),
        other => other,
    })?;
    tx.commit().await?;
    Ok(hex::encode(hash))
}

/// `/verify`: whether a document with this hash was signed, and if so only
/// when and for which clinic. The sealed document is opened and hashed
/// again: one changed in the database (or a hash column edited) answers no
/// match.
pub async fn verify(pool: &PgPool, vault: &Keyring, raw: &str) -> Result<VerifyAnswer, AppError> {
    let raw = raw.trim().to_ascii_lowercase();
    let Some(hash) = hex::decode(&raw).ok().filter(|h| h.len() == 32) else {
        return Err(
            FieldError::new("hash", "Enter the 64-character hash from the receipt.").into(),
        );
    };
    let mut tx = Tx::<crate::db::Anonymous>::begin(pool).await?;
    let row: Option<(uuid::Uuid, String, OffsetDateTime, String, Vec<u8>)> =
        sqlx::query_as("SELECT id, clinic, submitted_at, key_id, sealed FROM intake_verify($1)")
            .bind(&hash)
            .fetch_optional(tx.conn())
            .await?;
    tx.commit().await?;
    let Some((id, clinic, signed_at, key_id, bytes)) = row else {
        return Ok(VerifyAnswer::NoMatch);
    };
    let intact = vault
        .open(&Sealed { key_id, bytes }, document_place(id))
        .is_ok_and(|plain| Sha256::digest(&plain).as_slice() == hash.as_slice());
    if !intact {
        tracing::error!(submission = %id, "a signed intake document no longer matches its hash");
        return Ok(VerifyAnswer::NoMatch);
    }
    Ok(VerifyAnswer::Match { signed_at, clinic })
}
