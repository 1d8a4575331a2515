//! Writing an export (the `export.build` job calls [`build`]) and reading
//! it back ([`download`], [`chunk`]).
//!
//! The job acts as the administrator who asked, in their tenant
//! transaction, so row-level security decides what the files hold exactly
//! as it decides what their pages show. Each dataset is read through a
//! server-side cursor a few hundred rows at a time and written as it is
//! read into quarter-megabyte chunks, so no table is ever held whole in
//! memory; the SHA-256 of each file is taken over the same bytes. The
//! files commit with the manifest and the `export.completed` event in one
//! transaction: an export is whole or absent. Sealed columns (a patient's
//! details, a signed visit log, a signed intake form) are opened with the
//! vault on the way out.
//!
//! CSV cells that a spreadsheet would evaluate are defused as in the audit
//! export ([`crate::audit::export::cell`]); numbers are written as numbers.

use super::model::*;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::RequestMeta;
use crate::db::TenantTx;
use crate::error::AppError;
use crate::identity::Role;
use crate::vault::{Keyring, Place, Sealed};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::future::Future;
use uuid::Uuid;

/// Rows read per `FETCH`.
const BATCH: i64 = 500;
/// A chunk is written once this many bytes are waiting.
const CHUNK: usize = 256 * 1024;
/// How long the files can be downloaded.
pub const KEEP_HOURS: i64 = 24;

/// Where the job reports how far it got (committed at once, so the page
/// can show it while the export's own transaction is still open).
pub trait Progress: Sync {
    fn report(&self, done: i64, total: i64) -> impl Future<Output = ()> + Send;
}

/// How a column is written: text is quoted (and defused in CSV), a number
/// is bare, JSON is embedded as JSON (and as its text in CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Json,
}

use Kind::{Json, Number, Text};

/// What the sealed column of a dataset holds, opened after the plain ones.
#[derive(Debug, Clone, Copy)]
enum Opened {
    None,
    /// `patients.sealed`: the details, one column each.
    PatientDetails,
    /// A canonical JSON document in one column.
    Document {
        table: &'static str,
        column: &'static str,
    },
}

/// The patient details' fields, in the file's order (a test checks they
/// are `PatientDetails`' own).
const PATIENT_FIELDS: [&str; 8] = [
    "full_name",
    "birth_date",
    "address",
    "phone",
    "payer",
    "member_id",
    "emergency_name",
    "emergency_phone",
];

struct Spec {
    columns: &'static [(&'static str, Kind)],
    opened: Opened,
    /// `SELECT ARRAY[..]::text[], row uuid, key_id, sealed FROM ..`: the
    /// plain columns as text in `columns`' order, then the sealed value
    /// and the row it is bound to (NULLs when there is none).
    sql: String,
}

/// RFC 3339 in UTC.
fn ts(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

fn spec(dataset: Dataset) -> Spec {
    const NOTHING_SEALED: &str = "NULL::uuid, NULL::text, NULL::bytea";
    match dataset {
        Dataset::Patients => Spec {
            columns: &[
                ("id", Text),
                ("initials", Text),
                ("zip", Text),
                ("created_at", Text),
            ],
            opened: Opened::PatientDetails,
            sql: format!(
                "SELECT ARRAY[id::text, initials, zip::text, {}]::text[], id, key_id, sealed
                 FROM patients WHERE organization_id = app_org_id() ORDER BY created_at, id",
                ts("created_at")
            ),
        },
        Dataset::Referrals => Spec {
            columns: &[
                ("reference", Text),
                ("patient_initials", Text),
                ("patient_birth_year", Number),
                ("zip", Text),
                ("diagnosis_code", Text),
                ("care_type", Text),
                ("priority", Text),
                ("requested_start", Text),
                ("status", Text),
                ("decline_reason", Text),
                ("received_at", Text),
                ("updated_at", Text),
            ],
            opened: Opened::None,
            sql: format!(
                "SELECT ARRAY[reference, patient_initials, patient_birth_year::text, zip::text,
                              diagnosis_code, care_type::text, priority::text,
                              requested_start::text, status::text, decline_reason::text,
                              {}, {}]::text[], {NOTHING_SEALED}
                 FROM referrals
                 WHERE clinic_id = app_org_id() OR organization_id = app_org_id()
                 ORDER BY received_at, id",
                ts("received_at"),
                ts("updated_at")
            ),
        },
        Dataset::Visits => Spec {
            columns: &[
                ("id", Text),
                ("patient_id", Text),
                ("referral_id", Text),
                ("clinician_id", Text),
                ("service", Text),
                ("starts_at", Text),
                ("ends_at", Text),
                ("status", Text),
                ("checked_in_at", Text),
                ("check_in_distance_m", Number),
                ("check_in_exception", Text),
                ("checked_out_at", Text),
                ("check_out_distance_m", Number),
                ("check_out_exception", Text),
            ],
            opened: Opened::None,
            sql: format!(
                "SELECT ARRAY[id::text, patient_id::text, referral_id::text, clinician_id::text,
                              service::text, {}, {}, status::text, {},
                              check_in_distance_m::text, check_in_exception::text, {},
                              check_out_distance_m::text, check_out_exception::text]::text[],
                        {NOTHING_SEALED}
                 FROM visits WHERE organization_id = app_org_id() ORDER BY starts_at, id",
                ts("starts_at"),
                ts("ends_at"),
                ts("checked_in_at"),
                ts("checked_out_at")
            ),
        },
        Dataset::VisitLogs => Spec {
            columns: &[
                ("visit_id", Text),
                ("sha256", Text),
                ("signed_at", Text),
                ("countersigned_at", Text),
            ],
            opened: Opened::Document {
                table: "visit_logs",
                column: "log",
            },
            sql: format!(
                "SELECT ARRAY[visit_id::text, encode(sha256, 'hex'), {}, {}]::text[],
                        visit_id, key_id, sealed
                 FROM visit_logs WHERE organization_id = app_org_id()
                 ORDER BY signed_at, visit_id",
                ts("signed_at"),
                ts("countersigned_at")
            ),
        },
        Dataset::IntakeSubmissions => Spec {
            columns: &[
                ("id", Text),
                ("form_id", Text),
                ("version", Number),
                ("patient_id", Text),
                ("sha256", Text),
                ("signature_kind", Text),
                ("submitted_at", Text),
                ("reviewed_at", Text),
            ],
            opened: Opened::Document {
                table: "intake_submissions",
                column: "document",
            },
            sql: format!(
                "SELECT ARRAY[id::text, form_id::text, version::text, patient_id::text,
                              encode(sha256, 'hex'), signature_kind, {}, {}]::text[],
                        id, key_id, sealed
                 FROM intake_submissions WHERE organization_id = app_org_id()
                 ORDER BY submitted_at, id",
                ts("submitted_at"),
                ts("reviewed_at")
            ),
        },
        Dataset::Invoices => Spec {
            columns: &[
                ("visit_id", Text),
                ("amount_cents", Number),
                ("state", Text),
                ("capture_cents", Number),
                ("reason", Text),
                ("release_at", Text),
                ("confirmed_at", Text),
                ("disputed_at", Text),
                ("paid_at", Text),
                ("created_at", Text),
                ("visit_log_sha256", Text),
            ],
            opened: Opened::None,
            sql: format!(
                "SELECT ARRAY[p.visit_id::text, p.amount_cents::text, p.state::text,
                              p.capture_cents::text, p.reason, {}, {}, {}, {}, {},
                              encode(l.sha256, 'hex')]::text[], {NOTHING_SEALED}
                 FROM visit_payments p
                 LEFT JOIN visit_logs l
                   ON l.organization_id = p.organization_id AND l.visit_id = p.visit_id
                 WHERE p.organization_id = app_org_id() OR p.payer_org_id = app_org_id()
                 ORDER BY p.created_at, p.visit_id",
                ts("p.release_at"),
                ts("p.confirmed_at"),
                ts("p.disputed_at"),
                ts("p.paid_at"),
                ts("p.created_at")
            ),
        },
        Dataset::Ledger => Spec {
            columns: &[
                ("entry_id", Number),
                ("transaction_id", Text),
                ("posted_at", Text),
                ("kind", Text),
                ("memo", Text),
                ("account", Text),
                ("amount_cents", Number),
            ],
            opened: Opened::None,
            sql: format!(
                "SELECT ARRAY[e.id::text, t.id::text, {}, t.kind::text, t.memo, a.kind::text,
                              e.amount_cents::text]::text[], {NOTHING_SEALED}
                 FROM ledger_entries e
                 JOIN ledger_transactions t ON t.id = e.transaction_id
                 JOIN ledger_accounts a ON a.id = e.account_id
                 WHERE a.owner_org = app_org_id()
                 ORDER BY e.id",
                ts("t.posted_at")
            ),
        },
        Dataset::Audit => Spec {
            columns: &[
                ("seq", Number),
                ("occurred_at", Text),
                ("actor_type", Text),
                ("actor_user_id", Text),
                ("action", Text),
                ("subject_type", Text),
                ("subject_id", Text),
                ("ip", Text),
                ("details", Json),
                ("hash", Text),
            ],
            opened: Opened::None,
            sql: format!(
                "SELECT ARRAY[seq::text, {}, actor_type, actor_user_id::text, action,
                              subject_type, subject_id, host(ip), details::text,
                              encode(hash, 'hex')]::text[], {NOTHING_SEALED}
                 FROM audit_events WHERE organization_id = app_org_id() ORDER BY seq",
                ts("occurred_at")
            ),
        },
    }
}

/// The file's header: the plain columns, then the opened ones.
fn header(spec: &Spec) -> Vec<(&'static str, Kind)> {
    let mut columns = spec.columns.to_vec();
    match spec.opened {
        Opened::None => {}
        Opened::PatientDetails => columns.extend(PATIENT_FIELDS.iter().map(|f| (*f, Text))),
        Opened::Document { column, .. } => columns.push((column, Json)),
    }
    columns
}

/// One file being written: its bytes go out a chunk at a time.
struct FileWriter {
    name: String,
    dataset: Dataset,
    format: FileFormat,
    columns: Vec<(&'static str, Kind)>,
    pending: Vec<u8>,
    hasher: Sha256,
    bytes: i64,
    rows: i64,
    seq: i32,
}

impl FileWriter {
    fn new(dataset: Dataset, format: FileFormat, columns: Vec<(&'static str, Kind)>) -> Self {
        let mut writer = Self {
            name: format!("{}.{}", dataset.key(), format.key()),
            dataset,
            format,
            columns,
            pending: Vec::with_capacity(CHUNK * 2),
            hasher: Sha256::new(),
            bytes: 0,
            rows: 0,
            seq: 0,
        };
        match format {
            FileFormat::Csv => {
                let line: Vec<&str> = writer.columns.iter().map(|(name, _)| *name).collect();
                writer.push(format!("{}\r\n", line.join(",")).as_bytes());
            }
            FileFormat::Json => writer.push(b"["),
        }
        writer
    }

    fn push(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.bytes += bytes.len() as i64;
        self.pending.extend_from_slice(bytes);
    }

    fn row(&mut self, values: &[Option<String>]) {
        let line = match self.format {
            FileFormat::Csv => csv_line(&self.columns, values),
            FileFormat::Json => {
                let separator = if self.rows == 0 { "\n" } else { ",\n" };
                format!("{separator}{}", json_object(&self.columns, values))
            }
        };
        self.rows += 1;
        self.push(line.as_bytes());
    }

    /// Writes what is waiting as chunks of at most [`CHUNK`] bytes (one
    /// row can be larger than a chunk: a drawn signature, a long log).
    async fn flush(&mut self, tx: &mut TenantTx, org: Uuid, export: Uuid) -> Result<(), AppError> {
        for slice in self.pending.chunks(CHUNK) {
            sqlx::query(
                "INSERT INTO data_export_chunks (organization_id, export_id, file, seq, bytes)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(org)
            .bind(export)
            .bind(&self.name)
            .bind(self.seq)
            .bind(slice)
            .execute(tx.conn())
            .await?;
            self.seq += 1;
        }
        self.pending.clear();
        Ok(())
    }

    async fn finish(
        mut self,
        tx: &mut TenantTx,
        org: Uuid,
        export: Uuid,
    ) -> Result<ManifestFile, AppError> {
        if self.format == FileFormat::Json {
            let end: &[u8] = if self.rows == 0 { b"]\n" } else { b"\n]\n" };
            self.push(end);
        }
        self.flush(tx, org, export).await?;
        Ok(ManifestFile {
            name: self.name,
            dataset: self.dataset.key().to_owned(),
            rows: self.rows,
            bytes: self.bytes,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }
}

fn csv_line(columns: &[(&'static str, Kind)], values: &[Option<String>]) -> String {
    let cells: Vec<String> = columns
        .iter()
        .zip(values)
        .map(|((_, kind), value)| match (kind, value) {
            (_, None) => String::new(),
            (Number, Some(v)) if v.parse::<f64>().is_ok() => v.clone(),
            (_, Some(v)) => crate::audit::export::cell(v),
        })
        .collect();
    format!("{}\r\n", cells.join(","))
}

fn json_object(columns: &[(&'static str, Kind)], values: &[Option<String>]) -> String {
    let fields: Vec<String> = columns
        .iter()
        .zip(values)
        .map(|((name, kind), value)| {
            let value = match (kind, value) {
                (_, None) => Value::Null,
                (Number, Some(v)) => v
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(v.clone())),
                (Json, Some(v)) => {
                    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.clone()))
                }
                (Text, Some(v)) => Value::String(v.clone()),
            };
            format!("{}:{}", Value::String((*name).to_owned()), value)
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// The sealed value's columns, opened.
fn open_sealed(
    vault: &Keyring,
    opened: Opened,
    row: Option<Uuid>,
    key_id: Option<String>,
    sealed: Option<Vec<u8>>,
) -> Result<Vec<Option<String>>, AppError> {
    let (Some(row), Some(key_id), Some(bytes)) = (row, key_id, sealed) else {
        return Ok(match opened {
            Opened::None => vec![],
            Opened::PatientDetails => vec![None; PATIENT_FIELDS.len()],
            Opened::Document { .. } => vec![None],
        });
    };
    let sealed = Sealed { key_id, bytes };
    let (table, column) = match opened {
        Opened::None => return Ok(vec![]),
        Opened::PatientDetails => ("patients", "sealed"),
        Opened::Document { table, .. } => (table, "sealed"),
    };
    let plain = vault
        .open(&sealed, Place { table, column, row })
        .map_err(|error| {
            tracing::error!(%error, table, "a sealed value does not open for an export");
            AppError::Internal
        })?;
    // Parse errors are not logged: they can quote the opened value.
    let value: Value = serde_json::from_slice(&plain).map_err(|_| AppError::Internal)?;
    Ok(match opened {
        Opened::PatientDetails => PATIENT_FIELDS
            .iter()
            .map(|field| match value.get(field) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            })
            .collect(),
        _ => vec![Some(value.to_string())],
    })
}

/// Writes export `id`: every dataset it asked for, as the administrator
/// who asked. `None` when it was already written (a job run again).
pub async fn build<P: Progress>(
    mut tx: TenantTx,
    vault: &Keyring,
    id: Uuid,
    progress: &P,
) -> Result<Option<Manifest>, AppError> {
    if tx.principal().role != Role::ClinicAdmin {
        return Err(AppError::Forbidden);
    }
    let org = tx.principal().org_id.uuid();
    let organization = tx.principal().org_name.clone();
    // One transaction for the whole export (whole or absent): its reads
    // of a large clinic take longer than a page's statement may.
    sqlx::query("SET LOCAL statement_timeout = '10min'")
        .execute(tx.conn())
        .await?;
    let row: Option<(Vec<String>, String, String)> =
        sqlx::query_as("SELECT datasets, format, state FROM data_exports WHERE id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    let Some((datasets, format, state)) = row else {
        return Err(AppError::NotFound);
    };
    if !matches!(state.as_str(), "queued" | "running") {
        return Ok(None);
    }
    let format = FileFormat::parse(&format).ok_or(AppError::Internal)?;
    let datasets: Vec<Dataset> = datasets.iter().filter_map(|d| Dataset::parse(d)).collect();

    let mut total = 0i64;
    for dataset in &datasets {
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM ({}) AS rows",
            spec(*dataset).sql
        ))
        .fetch_one(tx.conn())
        .await?;
        total += count;
    }
    progress.report(0, total).await;

    let mut files = Vec::with_capacity(datasets.len());
    let mut done = 0i64;
    for dataset in datasets {
        let spec = spec(dataset);
        let mut file = FileWriter::new(dataset, format, header(&spec));
        sqlx::query(&format!(
            "DECLARE export_rows NO SCROLL CURSOR FOR {}",
            spec.sql
        ))
        .execute(tx.conn())
        .await?;
        loop {
            type Row = (
                Vec<Option<String>>,
                Option<Uuid>,
                Option<String>,
                Option<Vec<u8>>,
            );
            let rows: Vec<Row> = sqlx::query_as(&format!("FETCH {BATCH} FROM export_rows"))
                .fetch_all(tx.conn())
                .await?;
            if rows.is_empty() {
                break;
            }
            done += rows.len() as i64;
            for (mut values, row, key_id, sealed) in rows {
                values.extend(open_sealed(vault, spec.opened, row, key_id, sealed)?);
                file.row(&values);
                if file.pending.len() >= CHUNK {
                    file.flush(&mut tx, org, id).await?;
                }
            }
            progress.report(done.min(total), total).await;
        }
        sqlx::query("CLOSE export_rows").execute(tx.conn()).await?;
        files.push(file.finish(&mut tx, org, id).await?);
    }

    let written_at: String = sqlx::query_scalar(&format!("SELECT {}", ts("now()")))
        .fetch_one(tx.conn())
        .await?;
    let manifest = Manifest {
        export_id: id,
        organization,
        format,
        written_at,
        files,
    };
    let manifest_bytes = manifest_bytes(&manifest);
    let digest = Sha256::digest(&manifest_bytes).to_vec();
    let finished = sqlx::query(
        "UPDATE data_exports
         SET state = 'ready', rows_total = $2, rows_done = $2, manifest = $3,
             manifest_sha256 = $4, finished_at = now(),
             expires_at = now() + make_interval(hours => $5)
         WHERE id = $1 AND state IN ('queued', 'running')",
    )
    .bind(id)
    .bind(done)
    .bind(serde_json::to_value(&manifest).map_err(|_| AppError::Internal)?)
    .bind(&digest)
    .bind(KEEP_HOURS as i32)
    .execute(tx.conn())
    .await?;
    if finished.rows_affected() != 1 {
        return Ok(None);
    }
    record(
        &mut tx,
        Entry::new(AuditAction::ExportCompleted)
            .subject(Subject::new("data_export", id))
            .details(json!({
                "datasets": manifest.files.iter().map(|f| f.dataset.clone()).collect::<Vec<_>>(),
                "format": format.key(),
                "rows": done,
                "manifest_sha256": hex::encode(&digest),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(manifest))
}

/// The manifest as served: the same bytes every time for the same
/// manifest (the struct's field order), so its digest can be checked.
pub fn manifest_bytes(manifest: &Manifest) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// A file of a ready export, about to be streamed.
#[derive(Debug, Clone)]
pub struct Download {
    pub filename: String,
    pub content_type: &'static str,
    pub sha256: String,
    /// The file's length, from the manifest: a stream that ends short of
    /// it failed.
    pub bytes: i64,
    /// The manifest itself, when that is the file asked for; otherwise the
    /// chunks are read with [`chunk`].
    pub manifest: Option<Vec<u8>>,
}

/// Opens `file` of export `id` (`manifest.json` or one of its files) for
/// download: an administrator's, before it expires; audited before a
/// byte is sent. The caller streams the chunks in a transaction of its
/// own ([`chunk`]).
pub async fn download(
    mut tx: TenantTx,
    id: Uuid,
    file: &str,
    meta: &RequestMeta,
) -> Result<(Download, crate::identity::Principal), AppError> {
    if tx.principal().role != Role::ClinicAdmin {
        return Err(AppError::Forbidden);
    }
    let row: Option<(String, Option<Value>, bool)> = sqlx::query_as(
        "SELECT state, manifest, coalesce(expires_at > now(), false)
         FROM data_exports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    let Some((state, manifest, live)) = row else {
        return Err(AppError::NotFound);
    };
    if state == "expired" || (state == "ready" && !live) {
        return Err(AppError::Conflict {
            message: "This export has expired and its files were removed. Run it again.".into(),
        });
    }
    let manifest: Manifest = match (state.as_str(), manifest) {
        ("ready", Some(m)) => serde_json::from_value(m).map_err(|_| AppError::Internal)?,
        _ => return Err(AppError::NotFound),
    };
    let download = if file == "manifest.json" {
        let bytes = manifest_bytes(&manifest);
        Download {
            filename: format!("export-{id}-manifest.json"),
            content_type: "application/json",
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes: bytes.len() as i64,
            manifest: Some(bytes),
        }
    } else {
        let listed = manifest
            .files
            .iter()
            .find(|f| f.name == file)
            .ok_or(AppError::NotFound)?;
        Download {
            filename: format!("export-{id}-{}", listed.name),
            content_type: manifest.format.content_type(),
            sha256: listed.sha256.clone(),
            bytes: listed.bytes,
            manifest: None,
        }
    };
    record(
        &mut tx,
        Entry::new(AuditAction::ExportDownloaded)
            .subject(Subject::new("data_export", id))
            .ip(meta.ip)
            .details(json!({ "file": file, "sha256": download.sha256 })),
    )
    .await?;
    let principal = tx.principal().clone();
    tx.commit().await?;
    Ok((download, principal))
}

/// Chunk `seq` of `file` (`None` past the last, or once the files
/// expired), for a download opened with [`download`]; each in a short
/// transaction of its own, so a slow reader holds no connection.
pub async fn chunk(
    tx: &mut TenantTx,
    id: Uuid,
    file: &str,
    seq: i32,
) -> Result<Option<Vec<u8>>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT bytes FROM data_export_chunks WHERE export_id = $1 AND file = $2 AND seq = $3",
    )
    .bind(id)
    .bind(file)
    .bind(seq)
    .fetch_optional(tx.conn())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_fields_are_the_details_own() {
        let details = crate::patients::PatientDetails {
            full_name: "Ada Example".into(),
            birth_date: time::macros::date!(1950 - 01 - 02),
            address: "1 Main St".into(),
            phone: "5555550100".into(),
            payer: crate::patients::PayerKind::PrivatePay,
            member_id: String::new(),
            emergency_name: String::new(),
            emergency_phone: String::new(),
        };
        let value = serde_json::to_value(&details).unwrap();
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(|k| &**k).collect();
        let mut ours = PATIENT_FIELDS.to_vec();
        keys.sort_unstable();
        ours.sort_unstable();
        assert_eq!(keys, ours);
    }

    #[test]
    fn csv_defuses_text_but_not_numbers_and_json_keeps_types() {
        let columns = [("memo", Text), ("amount_cents", Number), ("details", Json)];
        let values = [
            Some("=HYPERLINK(\"x\")".to_owned()),
            Some("-500".to_owned()),
            Some("{\"a\":1}".to_owned()),
        ];
        assert_eq!(
            csv_line(&columns, &values),
            "\"'=HYPERLINK(\"\"x\"\")\",-500,\"{\"\"a\"\":1}\"\r\n"
        );
        let object: Value = serde_json::from_str(&json_object(&columns, &values)).unwrap();
        assert_eq!(
            object,
            json!({ "memo": "=HYPERLINK(\"x\")", "amount_cents": -500, "details": { "a": 1 } })
        );
        let nulls = [None, None, None];
        assert_eq!(csv_line(&columns, &nulls), ",,\r\n");
    }

    #[test]
    fn every_dataset_has_a_header_per_value() {
        for dataset in Dataset::ALL {
            let spec = spec(dataset);
            let arrays = spec.sql.matches("::text[]").count();
            assert_eq!(arrays, 1, "{dataset:?}");
            assert!(!header(&spec).is_empty());
        }
    }
}
