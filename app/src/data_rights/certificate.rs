//! The certificate of destruction as a file: the JSON exactly as the
//! database wrote it (its SHA-256 is the one recorded with the request and
//! in the audit tombstone), or a PDF of the same facts whose every page
//! names that SHA-256. Each download is audited.

use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::AppError;
use serde_json::Value;
use uuid::Uuid;

/// A certificate file.
pub struct CertificateFile {
    pub bytes: Vec<u8>,
    pub filename: String,
    pub content_type: &'static str,
    /// The SHA-256 of the certificate's JSON (for the PDF too: the PDF is
    /// a rendering of it).
    pub sha256: String,
}

/// The PDF of a certificate's JSON.
pub fn render_pdf(json: &str, sha256: &str) -> Vec<u8> {
    let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    let mut w =
        crate::pdf::Writer::new(format!("Certificate SHA-256 (of its JSON form): {sha256}"));
    w.text("Certificate of destruction", 18.0, true);
    w.text(
        &format!("Clinic: {}", text(&v["clinic"]["name"])),
        11.0,
        false,
    );
    w.text(
        &format!("Request: {}", text(&v["request"]["id"])),
        10.0,
        false,
    );
    w.text(
        &format!(
            "Scope: {}{}",
            text(&v["request"]["scope"]),
            match &v["patient_id"] {
                Value::String(p) => format!(" (patient {p})"),
                _ => String::new(),
            }
        ),
        10.0,
        false,
    );
    w.text(
        &format!("Reason: {}", text(&v["request"]["reason"])),
        10.0,
        false,
    );
    w.text(
        &format!(
            "Requested {} · due {} · completed {}",
            text(&v["request"]["requested_at"]),
            text(&v["request"]["due_at"]),
            text(&v["completed_at"])
        ),
        10.0,
        false,
    );
    if let Value::String(record) = &v["patient_record"] {
        w.text(&format!("Patient record: {record}"), 10.0, true);
    }
    w.gap(8.0);
    w.text("By category", 13.0, true);
    for c in v["categories"].as_array().into_iter().flatten() {
        w.gap(4.0);
        w.text(&text(&c["label"]), 11.0, true);
        w.text(
            &format!(
                "Removed: {} · kept: {}",
                text(&c["removed"]),
                text(&c["kept"])
            ),
            10.0,
            false,
        );
        if c["kept"].as_i64().unwrap_or(0) > 0 {
            w.text(
                &format!(
                    "Kept until {}: {}",
                    text(&c["kept_until"]),
                    text(&c["why_kept"])
                ),
                9.0,
                false,
            );
        }
    }
    w.gap(8.0);
    w.text(&text(&v["audit_events"]), 9.0, false);
    w.gap(8.0);
    w.text(&format!("Certificate SHA-256: {sha256}"), 8.0, false);
    w.finish()
}

/// The certificate of a completed request, as `json` or `pdf`.
pub async fn download(
    mut tx: TenantTx,
    id: Uuid,
    pdf: bool,
    meta: &RequestMeta,
) -> Result<CertificateFile, AppError> {
    if tx.principal().role != Role::ClinicAdmin {
        return Err(AppError::Forbidden);
    }
    let found = super::repo::certificate(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (Some(json), Some(sha256)) = (found.certificate, found.request.certificate_sha256) else {
        return Err(AppError::NotFound);
    };
    record(
        &mut tx,
        Entry::new(AuditAction::CertificateDownloaded)
            .subject(Subject::new("deletion_request", id))
            .ip(meta.ip)
            .details(serde_json::json!({ "format": if pdf { "pdf" } else { "json" } })),
    )
    .await?;
    tx.commit().await?;
    let short = &sha256[..12];
    Ok(if pdf {
        CertificateFile {
            bytes: render_pdf(&json, &sha256),
            filename: format!("certificate-of-destruction-{short}.pdf"),
            content_type: "application/pdf",
            sha256,
        }
    } else {
        CertificateFile {
            bytes: json.into_bytes(),
            filename: format!("certificate-of-destruction-{short}.json"),
            content_type: "application/json",
            sha256,
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pdf_names_the_categories_and_the_digest() {
        let json = r#"{"clinic":{"name":"Riverbend"},"request":{"id":"r1","scope":"patient"},
            "patient_record":"removed","categories":[{"label":"Visit notes","removed":2,"kept":0}],
            "audit_events":"Kept."}"#;
        let pdf = super::render_pdf(json, "ab12");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("Visit notes"));
        assert!(text.contains("Certificate SHA-256: ab12"));
        assert!(text.contains("Patient record: removed"));
    }
}
