//! Riverbend's intake demo: the admission consent and medical history
//! forms, published, and one admission consent signed through the same operations a patient's requests
//! call (answers kept section by section, the review's digest, then the
//! typed signature), so the receipt's hash verifies on `/verify` and staff
//! can open, review and download it. Written over the administrative
//! connection like the rest of the demo. Idempotent: the form's id is
//! fixed.

use super::{RIVERBEND, USERS};
use anyhow::{Context, Result};
use app::auth::token::EmailToken;
use app::intake::form::canonical;
use app::vault::{Keyring, Place, Sealed};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The demo's published forms: the admission consent (signed once) and the
/// medical history (choices, numbers and conditional questions).
pub const CONSENT_FORM: Uuid = Uuid::from_u128(0xde04_0000_0000_4000_8000_0000_0000_0001);
pub const HISTORY_FORM: Uuid = Uuid::from_u128(0xde04_0000_0000_4000_8000_0000_0000_0002);

/// Publishes version 1 of the starter template `key` as the form `id`.
async fn publish(conn: &mut PgConnection, id: Uuid, key: &str, by: Uuid) -> Result<()> {
    let definition =
        app::intake::templates::template(key).context("a starter template of the demo")?;
    let stored = serde_json::to_value(&definition)?;
    let (bytes, hash) = canonical(&stored)?;
    sqlx::query(
        "INSERT INTO intake_forms (organization_id, id, title, created_by) VALUES ($1, $2, $3, $4)",
    )
    .bind(RIVERBEND)
    .bind(id)
    .bind(&definition.title)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO intake_form_versions (organization_id, form_id, version, definition, canonical,
                                           sha256, published_at, published_by)
         VALUES ($1, $2, 1, $3, $4, $5, now(), $6)",
    )
    .bind(RIVERBEND)
    .bind(id)
    .bind(&stored)
    .bind(&bytes)
    .bind(&hash[..])
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn seed(conn: &mut PgConnection, admin_url: &str, vault: &Keyring) -> Result<()> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM intake_forms WHERE id = $1)")
            .bind(CONSENT_FORM)
            .fetch_one(&mut *conn)
            .await?;
    let patient: Option<(Uuid, String, Vec<u8>)> = sqlx::query_as(
        "SELECT id, key_id, sealed FROM patients WHERE organization_id = $1
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(RIVERBEND)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((patient, key_id, bytes)) = patient.filter(|_| !exists) else {
        return Ok(());
    };
    let intake_user = USERS[2].id;
    publish(conn, CONSENT_FORM, "admission_consent", intake_user).await?;
    publish(conn, HISTORY_FORM, "medical_history", intake_user).await?;

    // The patient's own details, for their answers.
    let details: Option<app::patients::PatientDetails> = vault
        .open(
            &Sealed { key_id, bytes },
            Place {
                table: "patients",
                column: "sealed",
                row: patient,
            },
        )
        .ok()
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .flatten();
    let (name, birth, phone) = details
        .map(|d| (d.full_name, d.birth_date.to_string(), d.phone))
        .unwrap_or_else(|| ("Demo Patient".into(), "1950-01-01".into(), String::new()));

    let token = EmailToken::generate();
    sqlx::query(
        "INSERT INTO intake_links (organization_id, form_id, version, patient_id, recipient,
                                   token_hash, expires_at, created_by)
         VALUES ($1, $2, 1, $3, 'patient', $4, now() + interval '7 days', $5)",
    )
    .bind(RIVERBEND)
    .bind(CONSENT_FORM)
    .bind(patient)
    .bind(&token.hash()[..])
    .bind(intake_user)
    .execute(&mut *conn)
    .await?;

    // The patient's steps, through the token's own doors.
    let pool = PgPool::connect(admin_url).await?;
    let mut about = BTreeMap::new();
    about.insert("full_name".to_owned(), vec![name.clone()]);
    about.insert("birth_date".to_owned(), vec![birth]);
    about.insert("phone".to_owned(), vec![phone]);
    app::intake::fill::save_step(&pool, vault, token.text(), 0, &about, false).await?;
    let mut agree = BTreeMap::new();
    agree.insert("agree".to_owned(), vec!["on".to_owned()]);
    app::intake::fill::save_step(&pool, vault, token.text(), 1, &agree, false).await?;
    let reviewed = app::intake::fill::open(&pool, vault, "", token.text())
        .await?
        .digest;
    let meta = app::auth::RequestMeta {
        ip: Some(std::net::IpAddr::from([192, 0, 2, 10])),
        user_agent: Some("Demo phone browser".to_owned()),
    };
    let signing = app::intake::fill::Signing {
        name: &name,
        strokes: "",
        consent: true,
        reviewed: &reviewed,
    };
    app::intake::fill::sign(&pool, vault, token.text(), &signing, &meta).await?;
    pool.close().await;
    tracing::info!("demo intake form published and signed once");
    Ok(())
}
