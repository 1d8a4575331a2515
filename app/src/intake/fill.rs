//! The holder of an intake link, who has no account: opening the form,
//! keeping answers section by section (a draft on the server, sealed, so
//! another device resumes it), the review, signing, the receipt and the
//! signer's own copy, and the public hash check. Every database step goes
//! through the token's own functions (`migrations/*_intake_links.sql`),
//! which see nothing but that token's link.
//!
//! What is signed is a [`Document`]: whose it is (the clinic, the link,
//! the patient, the submission's id), the form version's hash, the answers
//! as checked against that version (hidden fields' answers dropped), the
//! signature (typed name, and strokes if drawn), the consent statement with
//! its hash, and the time. Its canonical JSON (RFC 8785) is sealed and its
//! SHA-256 is the receipt's; `/verify` opens the sealed bytes, hashes them
//! again and answers from what they say.

use super::form::{canonical, parse, Answer, Field, FieldKind, FormDefinition};
use super::model::{
    AnswerLine, AnswerSection, FillView, Receipt, SubmissionSummary, SubmissionView, VerifyAnswer,
    ESIGN_CONSENT,
};
use crate::auth::RequestMeta;
use crate::db::{Anonymous, Token, Tx};
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
    /// The submission's own id (the sealed row's).
    pub id: uuid::Uuid,
    pub organization_id: uuid::Uuid,
    pub link_id: uuid::Uuid,
    pub patient_id: uuid::Uuid,
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

/// The answers as a draft keeps them: each field's values as typed.
type Draft = BTreeMap<String, Vec<String>>;

/// A signed submission as its signer reaches it: its receipt.
struct Signed {
    sha256: Vec<u8>,
    submitted_at: OffsetDateTime,
}

/// The link as its token's holder sees it.
struct Link {
    id: uuid::Uuid,
    organization_id: uuid::Uuid,
    patient_id: uuid::Uuid,
    clinic: String,
    form_id: uuid::Uuid,
    form_title: String,
    version: i32,
    definition: FormDefinition,
    form_sha256: Vec<u8>,
    state: String,
    expires_at: OffsetDateTime,
    draft: Draft,
    /// When the draft was last kept (the compare-and-swap's witness).
    draft_read: Option<OffsetDateTime>,
    signed: Option<Signed>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    organization_id: uuid::Uuid,
    id: uuid::Uuid,
    form_id: uuid::Uuid,
    patient_id: uuid::Uuid,
    clinic: String,
    form_title: String,
    version: i32,
    canonical: Vec<u8>,
    form_sha256: Vec<u8>,
    state: String,
    expires_at: OffsetDateTime,
    draft_key_id: Option<String>,
    draft_sealed: Option<Vec<u8>>,
    draft_updated_at: Option<OffsetDateTime>,
    submission_sha256: Option<Vec<u8>>,
    submitted_at: Option<OffsetDateTime>,
}

/// The token as it goes back into a link (tokens are URL-safe base64).
fn clean(token: &str) -> &str {
    token.trim()
}

async fn begin(pool: &PgPool, token: &str) -> Result<Tx<Token>, AppError> {
    // A malformed token names no link: the same answer as an unknown one.
    let hash = crate::auth::token::parse(token).ok_or(AppError::NotFound)?;
    Ok(Tx::<Token>::begin(pool, &hash).await?)
}

async fn link(tx: &mut Tx<Token>, vault: &Keyring) -> Result<Link, AppError> {
    let r: Option<LinkRow> = sqlx::query_as(
        "SELECT organization_id, id, form_id, patient_id, clinic, form_title, version, canonical,
                form_sha256, state, expires_at, draft_key_id, draft_sealed, draft_updated_at,
                submission_sha256, submitted_at
         FROM intake_link_for_token()",
    )
    .fetch_optional(tx.conn())
    .await?;
    let r = r.ok_or(AppError::NotFound)?;
    let definition: FormDefinition = serde_json::from_slice(&r.canonical).map_err(|_| {
        tracing::error!(link = %r.id, "an intake form version does not read as a form");
        AppError::Internal
    })?;
    let draft = match (r.draft_key_id, r.draft_sealed) {
        (Some(key_id), Some(bytes)) => vault
            .open(&Sealed { key_id, bytes }, draft_place(r.id))
            .ok()
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .unwrap_or_else(|| {
                tracing::error!(link = %r.id, "an intake draft does not open; starting afresh");
                Draft::new()
            }),
        _ => Draft::new(),
    };
    let signed = r
        .submission_sha256
        .zip(r.submitted_at)
        .map(|(sha256, submitted_at)| Signed {
            sha256,
            submitted_at,
        });
    Ok(Link {
        id: r.id,
        organization_id: r.organization_id,
        patient_id: r.patient_id,
        clinic: r.clinic,
        form_id: r.form_id,
        form_title: r.form_title,
        version: r.version,
        definition,
        form_sha256: r.form_sha256,
        state: r.state,
        expires_at: r.expires_at,
        draft,
        draft_read: r.draft_updated_at,
        signed,
    })
}

/// The fields that are part of a section's step: every kind but the
/// signature, which the signing step fills.
fn on_step(kind: FieldKind) -> bool {
    kind != FieldKind::Signature
}

/// The sections that are steps (those with a field on a step), in order.
pub fn steps(definition: &FormDefinition) -> Vec<usize> {
    definition
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.fields.iter().any(|f| on_step(f.kind)))
        .map(|(i, _)| i)
        .collect()
}

fn values(draft: &Draft, key: &str) -> Vec<String> {
    draft
        .get(key)
        .map(|v| {
            v.iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The draft with every signature field answered by a placeholder, so a
/// check before signing judges everything else.
fn with_placeholder_signatures(definition: &FormDefinition, draft: &Draft) -> Draft {
    let mut all = draft.clone();
    for f in definition
        .fields()
        .filter(|f| f.kind == FieldKind::Signature)
    {
        all.insert(f.key.clone(), vec!["(signature)".to_owned()]);
    }
    all
}

/// The answers as they will be signed (signature fields aside), or each
/// problem.
fn checked(
    definition: &FormDefinition,
    draft: &Draft,
) -> Result<BTreeMap<String, Answer>, Vec<FieldError>> {
    let mut answers = definition.check(&with_placeholder_signatures(definition, draft))?;
    for f in definition
        .fields()
        .filter(|f| f.kind == FieldKind::Signature)
    {
        answers.remove(&f.key);
    }
    Ok(answers)
}

/// The digest of the answers as reviewed: signing is refused if they
/// changed since (another device saved meanwhile).
fn digest(answers: &BTreeMap<String, Answer>) -> String {
    canonical(answers)
        .map(|(_, hash)| hex::encode(hash))
        .unwrap_or_default()
}

/// Each section's answers as they will be signed (a value that does not
/// parse yet shows as typed), and what still needs attention: (the
/// section's index, a sentence).
fn review(
    definition: &FormDefinition,
    draft: &Draft,
) -> (Vec<AnswerSection>, Vec<(usize, String)>) {
    let shown = definition.shown(draft);
    let errors = checked(definition, draft).err().unwrap_or_default();
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
            let typed = values(draft, &f.key);
            if !typed.is_empty() {
                let refs: Vec<&str> = typed.iter().map(String::as_str).collect();
                answers.push(AnswerLine {
                    label: f.label.clone(),
                    value: parse(f, &refs).map_or_else(|_| typed.join(", "), |a| display(f, &a)),
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

/// An answer as a person reads it ("Agreed" for a consent).
pub fn display(f: &Field, a: &Answer) -> String {
    match (f.kind, a) {
        (FieldKind::Consent, Answer::Bool(true)) => "Agreed".to_owned(),
        _ => a.display(),
    }
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
    let receipt = l.signed.as_ref().map(|s| {
        let hex = hex::encode(&s.sha256);
        let url = verify_url(public_url, &hex);
        Receipt {
            qr_svg: qr_svg(&url),
            sha256: hex,
            signed_at: s.submitted_at,
            verify_url: url,
        }
    });
    let open = l.state == "open";
    let (review, problems) = if open {
        review(&l.definition, &l.draft)
    } else {
        (Vec::new(), Vec::new())
    };
    let digest = if open {
        checked(&l.definition, &l.draft)
            .map(|a| digest(&a))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(FillView {
        shown: if open {
            l.definition.shown(&l.draft)
        } else {
            Vec::new()
        },
        steps: if open {
            steps(&l.definition)
        } else {
            Vec::new()
        },
        state: l.state,
        clinic: l.clinic,
        form_title: l.form_title,
        definition: open.then_some(l.definition),
        draft: if open { l.draft } else { Draft::new() },
        review,
        problems,
        digest,
        expires_at: l.expires_at,
        receipt,
        consent_text: ESIGN_CONSENT.to_owned(),
    })
}

/// Opens a sealed document and checks it: its bytes hash to `sha256` and
/// it names itself (`id`). The document, and whether it is intact; `None`
/// when it does not open or read at all.
pub(crate) fn open_verified(
    vault: &Keyring,
    id: uuid::Uuid,
    sealed: &Sealed,
    sha256: &[u8],
) -> Option<(Document, bool)> {
    let plain = vault.open(sealed, document_place(id)).ok()?;
    let document: Document = serde_json::from_slice(&plain).ok()?;
    let intact = Sha256::digest(&plain).as_slice() == sha256 && document.id == id;
    Some((document, intact))
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

/// The largest draft kept (bytes of JSON), answer (characters) and number
/// of values for one field.
const MAX_DRAFT: usize = 100_000;
const MAX_ANSWER: usize = 5_000;
const MAX_VALUES: usize = 50;

/// Where the patient goes after a step: a section's index, or `review`.
fn after(definition: &FormDefinition, step: usize, back: bool) -> String {
    let steps = steps(definition);
    let next = if back {
        steps.iter().rev().find(|s| **s < step).copied()
    } else {
        steps.iter().find(|s| **s > step).copied()
    };
    match (next, back) {
        (Some(s), _) => s.to_string(),
        (None, true) => steps.first().copied().unwrap_or(0).to_string(),
        (None, false) => "review".to_owned(),
    }
}

/// Keeps the answers of section `step` (replacing what that section had;
/// what was typed is kept whatever its state), then checks them: where the
/// patient goes next (`back`: the previous section, unchecked), or an
/// error beside each field that needs changing.
pub async fn save_step(
    pool: &PgPool,
    vault: &Keyring,
    token: &str,
    step: usize,
    submitted: &Draft,
    back: bool,
) -> Result<String, AppError> {
    // Two devices saving at once: the second re-reads and merges.
    for _ in 0..3 {
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
        let mut too_long = Vec::new();
        let mut draft = l.draft.clone();
        for key in &keys {
            let given = values(submitted, key);
            if given.len() > MAX_VALUES || given.iter().any(|v| v.chars().count() > MAX_ANSWER) {
                too_long.push(FieldError::new(
                    *key,
                    "This answer is too long to keep (5,000 characters at most).",
                ));
            } else if given.is_empty() {
                draft.remove(*key);
            } else {
                draft.insert((*key).to_owned(), given);
            }
        }
        if !too_long.is_empty() {
            return Err(AppError::Validation { fields: too_long });
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
        let kept: bool = sqlx::query_scalar("SELECT intake_link_save_draft($1, $2, $3)")
            .bind(&sealed.key_id)
            .bind(&sealed.bytes)
            .bind(l.draft_read)
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        if !kept {
            continue;
        }
        if back {
            return Ok(after(&l.definition, step, true));
        }
        // Only this section's shown fields are judged now.
        let shown = l.definition.shown(&draft);
        let errors: Vec<FieldError> = match checked(&l.definition, &draft) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .filter(|e| keys.contains(&e.field.as_str()) && shown.contains(&e.field))
                .collect(),
        };
        return if errors.is_empty() {
            Ok(after(&l.definition, step, false))
        } else {
            Err(AppError::Validation { fields: errors })
        };
    }
    // Still racing after three tries: someone else keeps saving.
    Err(AppError::Conflict {
        message: "Your answers were being changed on another device; check them and save again."
            .to_owned(),
    })
}

fn closed(state: &str) -> AppError {
    AppError::Conflict {
        message: match state {
            "spent" => "This form has been signed already; the link cannot be used again.",
            "revoked" => "The clinic withdrew this link. Ask them for a new one.",
            "missing" => "This link does not open a form. Check it was copied whole.",
            _ => "This link has expired. Ask the clinic for a new one.",
        }
        .to_owned(),
    }
}

/// The most points a drawn signature keeps, over all its strokes.
const MAX_POINTS: usize = 5_000;

/// What the signer posts.
pub struct Signing<'a> {
    pub name: &'a str,
    /// Drawn strokes as the pad posts them (JSON), or empty.
    pub strokes: &'a str,
    pub consent: bool,
    /// The digest of the answers the review screen showed.
    pub reviewed: &'a str,
}

/// Signs: checks every answer against the pinned version and that they are
/// the ones reviewed, builds the document, seals it and stores it with its
/// hash, spending the token. The hex hash for the receipt.
pub async fn sign(
    pool: &PgPool,
    vault: &Keyring,
    token: &str,
    signing: &Signing<'_>,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let mut errors = Vec::new();
    let name = signing
        .name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.chars().count() < 2 || name.chars().count() > 120 {
        errors.push(FieldError::new("name", "Type your full name to sign."));
    }
    let strokes = match Signature::strokes_from_json(signing.strokes) {
        Ok(s) if s.iter().map(Vec::len).sum::<usize>() > MAX_POINTS => {
            errors.push(FieldError::new(
                "name",
                "The drawn signature is too long; clear it and sign again.",
            ));
            Vec::new()
        }
        Ok(s) => s,
        Err(m) => {
            errors.push(FieldError::new("name", m));
            Vec::new()
        }
    };
    if !signing.consent {
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
    let mut answers = match checked(&l.definition, &l.draft) {
        Ok(a) => a,
        Err(_) => {
            let (_, problems) = review(&l.definition, &l.draft);
            let detail = problems.first().map(|(_, m)| m.clone()).unwrap_or_default();
            return Err(AppError::Conflict {
                message: format!("Some answers need attention before you sign. {detail}"),
            });
        }
    };
    if digest(&answers) != signing.reviewed.trim() {
        return Err(AppError::Conflict {
            message: "Your answers changed since you reviewed them (on another device?). \
                      Review them again, then sign."
                .to_owned(),
        });
    }
    // Every signature field carries the typed name.
    for f in l
        .definition
        .fields()
        .filter(|f| f.kind == FieldKind::Signature)
    {
        answers.insert(f.key.clone(), Answer::Text(name.clone()));
    }
    let consent_hash: [u8; 32] = Sha256::digest(ESIGN_CONSENT.as_bytes()).into();
    let id = uuid::Uuid::new_v4();
    // The database's clock, to the second: the time in the document is the
    // one the database records.
    let signed_at: OffsetDateTime =
        sqlx::query_scalar("SELECT date_trunc('second', clock_timestamp())")
            .fetch_one(tx.conn())
            .await?;
    let document = Document {
        id,
        organization_id: l.organization_id,
        link_id: l.id,
        patient_id: l.patient_id,
        form: FormRef {
            id: l.form_id,
            version: l.version,
            sha256: hex::encode(&l.form_sha256),
        },
        answers,
        signature: SignatureRecord {
            kind: if strokes.is_empty() { "typed" } else { "drawn" }.to_owned(),
            name,
            strokes,
        },
        consent: Consent {
            text: ESIGN_CONSENT.to_owned(),
            sha256: hex::encode(consent_hash),
        },
        signed_at,
    };
    let (bytes, hash) = canonical(&document).map_err(|_| AppError::Internal)?;
    let sealed = vault.seal(&bytes, document_place(id));
    let outcome: String = sqlx::query_scalar(
        "SELECT intake_link_submit($1, $2, $3, $4, $5, $6, $7::text::inet, $8, $9)",
    )
    .bind(id)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(&hash[..])
    .bind(&document.signature.kind)
    .bind(&consent_hash[..])
    .bind(meta.ip.map(|ip| ip.to_string()))
    .bind(meta.user_agent.as_deref())
    .bind(signed_at)
    .fetch_one(tx.conn())
    .await?;
    match outcome.as_str() {
        "signed" => {}
        "clock" => {
            return Err(AppError::Conflict {
                message: "Signing took too long; please sign again.".to_owned(),
            })
        }
        // Withdrawn, expired or signed elsewhere since the link was read.
        state => return Err(closed(state)),
    }
    tx.commit().await?;
    Ok(hex::encode(hash))
}

/// The signer's own copy of what they signed, as a PDF (and its file
/// name): for an hour after signing, each download audited.
pub async fn signed_copy(
    pool: &PgPool,
    vault: &Keyring,
    public_url: &str,
    token: &str,
    meta: &RequestMeta,
) -> Result<(Vec<u8>, String), AppError> {
    let mut tx = begin(pool, token).await?;
    let l = link(&mut tx, vault).await?;
    let s = l.signed.as_ref().ok_or(AppError::NotFound)?;
    let copy: Option<(uuid::Uuid, String, Vec<u8>)> =
        sqlx::query_as("SELECT id, key_id, sealed FROM intake_link_copy($1::text::inet)")
            .bind(meta.ip.map(|ip| ip.to_string()))
            .fetch_optional(tx.conn())
            .await?;
    tx.commit().await?;
    let (id, key_id, bytes) = copy.ok_or_else(|| AppError::Conflict {
        message: "Your copy could be downloaded for an hour after signing. Ask the clinic for one."
            .to_owned(),
    })?;
    let (document, intact) =
        open_verified(vault, id, &Sealed { key_id, bytes }, &s.sha256).ok_or(AppError::Internal)?;
    let summary = SubmissionSummary {
        id,
        form_id: l.form_id,
        form_title: l.form_title.clone(),
        version: l.version,
        patient_id: l.patient_id,
        patient_initials: String::new(),
        sha256: hex::encode(&s.sha256),
        submitted_at: s.submitted_at,
        reviewed_at: None,
    };
    let view = document_view(
        &document,
        &l.definition,
        summary,
        public_url,
        intact,
        None,
        None,
    );
    let name = format!("signed-{}.pdf", &view.summary.sha256[..12]);
    Ok((super::pdf::render(&view, &document.signature.strokes), name))
}

/// A signed document as read, labelled from the version it answered.
pub fn document_view(
    document: &Document,
    definition: &FormDefinition,
    summary: SubmissionSummary,
    public_url: &str,
    intact: bool,
    ip: Option<String>,
    user_agent: Option<String>,
) -> SubmissionView {
    let sections = definition
        .sections
        .iter()
        .map(|s| AnswerSection {
            title: s.title.clone(),
            answers: s
                .fields
                .iter()
                .filter_map(|f| {
                    document.answers.get(&f.key).map(|a| AnswerLine {
                        label: f.label.clone(),
                        value: display(f, a),
                    })
                })
                .collect(),
        })
        .filter(|s| !s.answers.is_empty())
        .collect();
    let signature = Signature {
        name: document.signature.name.clone(),
        strokes: document.signature.strokes.clone(),
    };
    SubmissionView {
        verify_url: verify_url(public_url, &summary.sha256),
        sections,
        signature_name: document.signature.name.clone(),
        signature_path: (!signature.strokes.is_empty()).then(|| signature.path()),
        consent_text: document.consent.text.clone(),
        consent_sha256: document.consent.sha256.clone(),
        form_sha256: document.form.sha256.clone(),
        intact,
        ip,
        user_agent,
        summary,
    }
}

/// `/verify`: whether a document with this hash was signed, and if so only
/// the day and the clinic, both read from the document itself. The sealed
/// document is opened and hashed again: one changed in the database (or a
/// hash column edited) answers no match.
pub async fn verify(pool: &PgPool, vault: &Keyring, raw: &str) -> Result<VerifyAnswer, AppError> {
    let raw = raw.trim().to_ascii_lowercase();
    let Some(hash) = hex::decode(&raw).ok().filter(|h| h.len() == 32) else {
        return Err(
            FieldError::new("hash", "Enter the 64-character hash from the receipt.").into(),
        );
    };
    let mut tx = Tx::<Anonymous>::begin(pool).await?;
    let rows: Vec<(uuid::Uuid, uuid::Uuid, String, String, Vec<u8>)> =
        sqlx::query_as("SELECT organization_id, id, clinic, key_id, sealed FROM intake_verify($1)")
            .bind(&hash)
            .fetch_all(tx.conn())
            .await?;
    tx.commit().await?;
    for (org, id, clinic, key_id, bytes) in rows {
        match open_verified(vault, id, &Sealed { key_id, bytes }, &hash) {
            Some((d, true)) if d.organization_id == org => {
                return Ok(VerifyAnswer::Match {
                    signed_on: d.signed_at.date().to_string(),
                    clinic,
                })
            }
            _ => {
                tracing::error!(submission = %id, "a signed intake document no longer matches its hash");
            }
        }
    }
    Ok(VerifyAnswer::NoMatch)
}

/// The token, trimmed, for the next page's address.
pub fn token_for_link(token: &str) -> &str {
    clean(token)
}
