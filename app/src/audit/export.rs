//! The customer's audit export: the rows the viewer's filter selects, as
//! CSV or JSON, read in the reader's own tenant transaction (row-level
//! security decides what is theirs) and itself audited (`audit.exported`,
//! with the filter, the row count and the file's SHA-256).
//!
//! CSV is written here rather than with a crate: seven columns, RFC 4180
//! quoting, and one rule a generic writer does not apply: a cell that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is
//! prefixed with `'` so opening the file cannot execute anything.

use super::filter::AuditFilter;
use super::repo::{recent, record, Entry};
use super::{AuditAction, AuditEventView, AUDIT_READERS};
use crate::auth::RequestMeta;
use crate::db::TenantTx;
use crate::error::AppError;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The most rows one export holds; a wider one is refused with a hint to
/// narrow the dates.
pub const MAX_ROWS: usize = 100_000;
const PAGE: i64 = 1_000;

/// CSV or JSON: the export centre's format (one type for every export).
pub use crate::exports::FileFormat as ExportFormat;

/// A finished export.
#[derive(Debug, Clone)]
pub struct Export {
    pub bytes: Vec<u8>,
    pub filename: String,
    pub format: ExportFormat,
    pub rows: usize,
    /// Hex SHA-256 of `bytes`, also in the audit event.
    pub sha256: String,
}

/// One CSV cell: quoted when needed, defused when a spreadsheet would
/// evaluate it.
pub(crate) fn cell(value: &str) -> String {
    let defused = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// The rows as CSV with a header line.
pub fn to_csv(events: &[AuditEventView]) -> String {
    let mut out = String::from("seq,occurred_at,actor,action,subject,ip,details\r\n");
    for e in events {
        let occurred = e
            .occurred_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let fields = [
            e.seq.to_string(),
            occurred,
            e.actor
                .clone()
                .unwrap_or_else(|| "Not signed in".to_owned()),
            e.action.clone(),
            e.subject.clone().unwrap_or_default(),
            e.ip.clone().unwrap_or_default(),
            e.details.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| cell(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Reads every event the filter selects (newest first) and makes the file.
pub async fn export(
    mut tx: TenantTx,
    filter: &AuditFilter,
    format: ExportFormat,
    meta: &RequestMeta,
) -> Result<Export, AppError> {
    if !tx.principal().has_role(&AUDIT_READERS) {
        return Err(AppError::Forbidden);
    }
    let query = filter.check()?;
    let organization = tx.principal().org_name.clone();
    let mut events: Vec<AuditEventView> = Vec::new();
    let mut before = None;
    loop {
        let page = recent(&mut tx, &query, before, PAGE).await?;
        let done = (page.len() as i64) < PAGE;
        before = page.last().map(|e| e.seq);
        events.extend(page);
        if events.len() > MAX_ROWS {
            return Err(AppError::invalid(
                "from",
                format!("More than {MAX_ROWS} events match; narrow the dates and export in parts."),
            ));
        }
        if done {
            break;
        }
    }
    let bytes = match format {
        ExportFormat::Csv => to_csv(&events).into_bytes(),
        ExportFormat::Json => serde_json::to_vec_pretty(&json!({
            "organization": organization,
            "filter": filter,
            "events": events,
        }))
        .map_err(|_| AppError::Internal)?,
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    record(
        &mut tx,
        Entry::new(AuditAction::AuditExported)
            .ip(meta.ip)
            .details(json!({
                "format": format.key(),
                "filter": filter.query_string(),
                "rows": events.len(),
                "sha256": sha256,
            })),
    )
    .await?;
    tx.commit().await?;
    let today = time::OffsetDateTime::now_utc().date();
    Ok(Export {
        filename: format!("audit-{today}.{}", format.key()),
        rows: events.len(),
        bytes,
        format,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn a_row_per_event_under_a_header() {
        let e = AuditEventView {
            seq: 3,
            occurred_at: datetime!(2026-11-30 09:05 UTC),
            actor: Some("Dana Reyes".into()),
            action: "patient.viewed".into(),
            subject: Some("patient 1234".into()),
            ip: None,
            details: "{\"a\":1}".into(),
        };
        let csv = to_csv(&[e]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "seq,occurred_at,actor,action,subject,ip,details");
        assert_eq!(
            lines[1],
            "3,2026-11-30T09:05:00Z,Dana Reyes,patient.viewed,patient 1234,,\"{\"\"a\"\":1}\""
        );
        assert_eq!(lines.len(), 3);
    }
}
