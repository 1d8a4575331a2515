//! Encrypted backups (issue 16, item 8): `server backup create`, `verify`,
//! `restore` and `keygen`, and the scheduled `backup.create` job.
//!
//! A backup is `pg_dump`'s custom-format archive, streamed through `age`
//! encryption to a recipient's public key straight into the backup
//! directory: the plaintext never touches the disk, and the private key
//! (the identity) is never on the server; the operator brings it to
//! `verify` and `restore`. Beside each archive, a manifest (JSON) records
//! the archive's SHA-256 and size, and every table's row count and every
//! audit chain's head, read in the very snapshot `pg_dump` dumped
//! (`pg_export_snapshot`), so a restore can be checked row for row.
//!
//! Restoring decrypts into `pg_restore`'s standard input (again, no
//! plaintext file), into a database created afresh, in one transaction;
//! then the row counts are compared with the manifest and every audit
//! chain is walked. Rotation keeps the newest backup of each of the last 7
//! days, 4 ISO weeks and 12 months.
//!
//! The recipient key is public, so an archive alone proves nothing about
//! who made it: with the audit checkpoint key configured
//! (`AUDIT_SIGNING_KEY_PATH`), each manifest is signed with it, and
//! `verify` and `restore` refuse a manifest that is unsigned or signed by
//! a key they were not given (`AUDIT_CHECKPOINT_PUBLIC_KEY`).
//!
//! The `age` crate (rage, by one of age's designers; the format is the
//! same as the `age` command's, so `age -d -i key file | pg_restore` works
//! too) rather than a binary, which this machine cannot download.

use crate::jobs::{Job, JobContext, JobError};
use crate::secret::Secret;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use time::OffsetDateTime;

/// What `verify` and `restore` check a backup against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The archive's file name (beside the manifest).
    pub file: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// SHA-256 of the encrypted archive, hex.
    pub sha256: String,
    pub bytes: u64,
    pub database: String,
    /// The age recipient (public key) it was encrypted to.
    pub recipient: String,
    /// Rows per table in the dumped snapshot.
    pub row_counts: BTreeMap<String, i64>,
    /// The last sequence number of each organization's audit chain.
    pub audit_heads: BTreeMap<String, i64>,
    /// The audit checkpoint key's signature over the rest (when the server
    /// has one): the recipient key is public, so without it anyone could
    /// write an archive and a manifest that match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<ManifestSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSignature {
    pub key_id: String,
    /// Ed25519, hex.
    pub signature: String,
}

impl Manifest {
    /// The bytes signed: a label, then the manifest without its signature.
    fn signed_bytes(&self) -> Result<Vec<u8>> {
        let mut unsigned = self.clone();
        unsigned.signature = None;
        let mut bytes = b"carethread backup manifest v1\n".to_vec();
        bytes.extend(serde_json::to_vec(&unsigned)?);
        Ok(bytes)
    }

    /// Checks the signature against `keys`. With no keys configured, any
    /// manifest is accepted (and `Ok(false)` says it was not checked);
    /// with keys, only one signed by one of them.
    pub fn check_signature(&self, keys: &crate::audit_anchor::Keyring) -> Result<bool> {
        match &self.signature {
            // Nothing to check against: accepted, and the caller says so.
            _ if keys.is_empty() => Ok(false),
            None => bail!(
                "the manifest is not signed, but checkpoint keys are configured: refusing a backup \
                 anyone with the public recipient could have made"
            ),
            Some(s) => {
                let signature = hex::decode(&s.signature).unwrap_or_default();
                if keys.verifies(&s.key_id, &self.signed_bytes()?, &signature) {
                    Ok(true)
                } else {
                    bail!("the manifest's signature does not verify with the configured keys (key {})", s.key_id)
                }
            }
        }
    }
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// libpq's environment for `url` (so no password is on a command line).
fn pg_env(url: &Secret) -> Result<Vec<(&'static str, String)>> {
    let u = url::Url::parse(url.expose()).context("database URL")?;
    let decode = crate::db::percent_decode;
    Ok(vec![
        ("PGHOST", u.host_str().unwrap_or("127.0.0.1").to_owned()),
        ("PGPORT", u.port().unwrap_or(5432).to_string()),
        ("PGUSER", decode(u.username())),
        ("PGPASSWORD", decode(u.password().unwrap_or(""))),
        ("PGDATABASE", u.path().trim_start_matches('/').to_owned()),
    ])
}

fn bin_dir() -> Result<PathBuf> {
    crate::embedded_pg::find_bin_dir(std::env::var_os("PG_BIN_DIR").map(PathBuf::from).as_deref())
}

/// Parses an age recipient (`age1…`).
pub fn recipient(s: &str) -> Result<age::x25519::Recipient> {
    s.trim()
        .parse()
        .map_err(|e| anyhow!("not an age recipient (age1…): {e}"))
}

/// Reads an age identity file (`AGE-SECRET-KEY-1…`; comments allowed),
/// refusing one that group or others may read.
pub fn identity(path: &Path) -> Result<age::x25519::Identity> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "{} has mode {:04o}, so others may read the backup identity; refusing it (chmod 600)",
            path.display(),
            mode & 0o777
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or_else(|| anyhow!("{} holds no AGE-SECRET-KEY line", path.display()))?
        .parse()
        .map_err(|e| anyhow!("not an age identity: {e}"))
}

/// Writes a new identity file (mode 0600; never over an existing file) and
/// answers its recipient. Run it where the key will live, not on the
/// server.
pub fn keygen(out: &Path) -> Result<String> {
    use age::secrecy::ExposeSecret;
    use std::os::unix::fs::OpenOptionsExt;
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .with_context(|| format!("{} (an existing file is never overwritten)", out.display()))?;
    writeln!(
        file,
        "# Carethread backup identity. Keep it off the server.\n# public key: {public}\n{}",
        key.to_string().expose_secret()
    )?;
    Ok(public)
}

fn name_for(at: OffsetDateTime) -> String {
    format!(
        "carethread-{:04}{:02}{:02}T{:02}{:02}{:02}Z.dump.age",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn manifest_path(archive: &Path) -> PathBuf {
    let mut name = archive.file_name().unwrap_or_default().to_os_string();
    name.push(".json");
    archive.with_file_name(name)
}

/// Dumps the database at `admin_url` (a role that bypasses row-level
/// security: a superuser) encrypted to `to` into `dir`, writes its
/// manifest, and rotates `dir`. Answers the manifest.
pub async fn create(
    admin_url: &Secret,
    dir: &Path,
    to: &str,
    signer: Option<&crate::audit_anchor::Signer>,
    now: OffsetDateTime,
) -> Result<Manifest> {
    let to_key = recipient(to)?;
    let recipient_text = to_key.to_string();
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    let mut conn = sqlx::PgConnection::connect(admin_url.expose()).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await?;
    let (row_counts, audit_heads) = census(&mut tx).await?;
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut *tx)
        .await?;

    let file = name_for(now);
    let path = dir.join(&file);
    let partial = dir.join(format!(".{file}.partial"));
    let env = pg_env(admin_url)?;
    let pg_dump = bin_dir()?.join("pg_dump");
    let written = {
        let partial = partial.clone();
        tokio::task::spawn_blocking(move || -> Result<(String, u64)> {
            let mut child = Command::new(pg_dump)
                .args(["--format=custom", "--no-password", "--snapshot"])
                .arg(&snapshot)
                .envs(env)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("pg_dump")?;
            let out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&partial)?;
            let mut sink = Hashing {
                inner: std::io::BufWriter::new(out),
                hash: Sha256::new(),
                bytes: 0,
            };
            let encryptor =
                age::Encryptor::with_recipients(std::iter::once(&to_key as &dyn age::Recipient))
                    .map_err(|e| anyhow!("age: {e}"))?;
            let mut writer = encryptor.wrap_output(&mut sink)?;
            let mut stdout = child
                .stdout
                .take()
                .ok_or_else(|| anyhow!("no pg_dump output"))?;
            let stderr = child.stderr.take().map(|mut e| {
                std::thread::spawn(move || {
                    let mut text = String::new();
                    let _ = e.read_to_string(&mut text);
                    text
                })
            });
            let copied = std::io::copy(&mut stdout, &mut writer)
                .and_then(|_| writer.finish())
                .and_then(|inner| inner.flush());
            let status = child.wait()?;
            let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
            copied?;
            if !status.success() {
                bail!("pg_dump failed ({status}): {}", stderr.trim());
            }
            Ok((hex::encode(sink.hash.finalize()), sink.bytes))
        })
        .await?
    };
    // The snapshot must outlive pg_dump; only now may it go.
    tx.commit().await?;
    conn.close().await?;
    let (sha256, bytes) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &path)?;
    let manifest = Manifest {
        file,
        created_at: now,
        sha256,
        bytes,
        database,
        recipient: recipient_text,
        row_counts,
        audit_heads,
        signature: None,
    };
    let mut manifest = manifest;
    if let Some(signer) = signer {
        manifest.signature = Some(ManifestSignature {
            key_id: signer.key_id().to_owned(),
            signature: hex::encode(signer.sign(&manifest.signed_bytes()?)),
        });
    }
    std::fs::write(manifest_path(&path), serde_json::to_vec_pretty(&manifest)?)?;
    for old in rotate(&list(dir)?, now) {
        let old = dir.join(old);
        std::fs::remove_file(manifest_path(&old)).ok();
        std::fs::remove_file(&old)?;
        tracing::info!(file = %old.display(), "old backup rotated out");
    }
    Ok(manifest)
}

/// Every table's row count and every audit chain's head, in `conn`'s
/// snapshot (as a superuser: all rows).
async fn census(
    conn: &mut sqlx::PgConnection,
) -> Result<(BTreeMap<String, i64>, BTreeMap<String, i64>)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = BTreeMap::new();
    for t in tables {
        // Names from the catalogue, quoted.
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM public.\"{}\"",
            t.replace('"', "\"\"")
        ))
        .fetch_one(&mut *conn)
        .await?;
        counts.insert(t, n);
    }
    let heads: Vec<(uuid::Uuid, i64)> =
        sqlx::query_as("SELECT organization_id, max(seq) FROM audit_events GROUP BY 1 ORDER BY 1")
            .fetch_all(&mut *conn)
            .await?;
    Ok((
        counts,
        heads.into_iter().map(|(o, s)| (o.to_string(), s)).collect(),
    ))
}

/// The backups in `dir` with their times (from their names).
fn list(dir: &Path) -> Result<Vec<(String, OffsetDateTime)>> {
    let format = time::macros::format_description!(
        "carethread-[year][month][day]T[hour][minute][second]Z.dump.age"
    );
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Ok(at) = time::PrimitiveDateTime::parse(&name, &format) {
            found.push((name, at.assume_utc()));
        }
    }
    Ok(found)
}

/// Which backups rotation removes: all but the newest of each of the last
/// 7 days, the last 4 ISO weeks and the last 12 months (a backup kept for
/// any one of these stays), never one from the future.
pub fn rotate(backups: &[(String, OffsetDateTime)], now: OffsetDateTime) -> Vec<String> {
    let mut sorted: Vec<&(String, OffsetDateTime)> = backups.iter().collect();
    sorted.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
    let mut keep = BTreeSet::new();
    let (mut days, mut weeks, mut months) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (name, at) in &sorted {
        if *at > now {
            keep.insert(name.clone());
            continue;
        }
        let age = now - *at;
        let day = at.date();
        let (year, week, _) = day.to_iso_week_date();
        let month = (day.year(), u8::from(day.month()));
        if age < time::Duration::days(7) && days.insert(day) {
            keep.insert(name.clone());
        }
        if age < time::Duration::weeks(4) && weeks.insert((year, week)) {
            keep.insert(name.clone());
        }
        if age < time::Duration::days(366) && months.insert(month) && months.len() <= 12 {
            keep.insert(name.clone());
        }
    }
    sorted
        .into_iter()
        .filter(|(name, _)| !keep.contains(name))
        .map(|(name, _)| name.clone())
        .collect()
}

fn read_manifest(archive: &Path) -> Result<Manifest> {
    let text = std::fs::read(manifest_path(archive))
        .with_context(|| format!("the manifest beside {}", archive.display()))?;
    Ok(serde_json::from_slice(&text)?)
}

/// Checks the archive's SHA-256 against its manifest.
fn check_digest(archive: &Path, manifest: &Manifest) -> Result<()> {
    let mut file = std::fs::File::open(archive)?;
    let mut hash = Sha256::new();
    std::io::copy(&mut file, &mut hash)?;
    let digest = hex::encode(hash.finalize());
    if digest != manifest.sha256 {
        bail!(
            "{} does not match its manifest's SHA-256: the file was altered or truncated",
            archive.display()
        );
    }
    Ok(())
}

/// Decrypts `archive` with `key` into `command`'s standard input and runs
/// it to the end (its output is drained meanwhile, so neither side waits
/// on the other); answers its standard output and the plaintext's size.
fn decrypt_into(
    archive: &Path,
    key: &age::x25519::Identity,
    mut command: Command,
) -> Result<(String, u64)> {
    let file = std::io::BufReader::new(std::fs::File::open(archive)?);
    let decryptor = age::Decryptor::new(file).map_err(|e| anyhow!("not an age file: {e}"))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(key as &dyn age::Identity))
        .map_err(|e| anyhow!("cannot decrypt with this identity: {e}"))?;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let copied = std::io::copy(&mut reader, &mut stdin);
    drop(stdin);
    let status = child.wait()?;
    let (out, err) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    if !status.success() {
        bail!("{} failed: {}", command_name(&command), err.trim());
    }
    let bytes = copied.context("decrypting")?;
    Ok((out, bytes))
}

fn command_name(c: &Command) -> String {
    c.get_program().to_string_lossy().into_owned()
}

/// Checks a backup without restoring it: the digest, that the identity
/// opens it, and that `pg_restore` reads the whole archive (every age
/// chunk is authenticated on the way). Answers the manifest and the
/// archive's plaintext size.
pub async fn verify(
    archive: &Path,
    identity_file: &Path,
    keys: &crate::audit_anchor::Keyring,
) -> Result<(Manifest, u64)> {
    let archive = archive.to_owned();
    let keys = keys.clone();
    let key = identity(identity_file)?;
    let bin = bin_dir()?;
    tokio::task::spawn_blocking(move || {
        let manifest = read_manifest(&archive)?;
        check_digest(&archive, &manifest)?;
        manifest.check_signature(&keys)?;
        let mut read_all = Command::new(bin.join("pg_restore"));
        read_all.arg("--file=/dev/null");
        let (_, bytes) = decrypt_into(&archive, &key, read_all)?;
        Ok((manifest, bytes))
    })
    .await?
}

/// What a restore found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub manifest: Manifest,
    /// Tables whose row count differs from the manifest (none on success).
    pub mismatched: Vec<String>,
    /// Organizations whose audit chain does not verify (none on success).
    pub broken_chains: Vec<String>,
}

/// Restores `archive` as the database `database` of the cluster behind
/// `maintenance_url` (a superuser's URL to another database, `postgres`):
/// into a scratch database in one transaction, then compares row counts
/// and walks every audit chain; only when all agree does it replace
/// `database` (which must not exist unless `replace`). On a mismatch the
/// scratch database (`…_restoring`) is left for inspection and `database`
/// is untouched.
pub async fn restore(
    maintenance_url: &Secret,
    database: &str,
    archive: &Path,
    identity_file: &Path,
    keys: &crate::audit_anchor::Keyring,
    replace: bool,
) -> Result<Restored> {
    anyhow::ensure!(
        !database.is_empty()
            && database
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "a database name of lower-case letters, digits and underscores"
    );
    let key = identity(identity_file)?;
    let manifest = read_manifest(archive)?;
    check_digest(archive, &manifest)?;
    manifest.check_signature(keys)?;
    let mut admin = sqlx::PgConnection::connect(maintenance_url.expose()).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut admin)
            .await?;
    if exists && !replace {
        bail!("database {database} exists; pass --replace to drop it and restore over it");
    }
    // Into a scratch database first: the one in use is dropped only once
    // the archive has been restored and checked. Identifiers cannot be
    // bind parameters; the name was checked above.
    let scratch = format!("{database}_restoring");
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    sqlx::raw_sql(&format!("CREATE DATABASE {scratch}"))
        .execute(&mut admin)
        .await?;

    let mut target = url::Url::parse(maintenance_url.expose())?;
    target.set_path(&format!("/{scratch}"));
    let target = Secret::new(target.to_string());
    let env = pg_env(&target)?;
    let bin = bin_dir()?;
    let archive_path = archive.to_owned();
    let dbname = scratch.clone();
    let restored = tokio::task::spawn_blocking(move || {
        let mut restore = Command::new(bin.join("pg_restore"));
        restore
            // Without --dbname pg_restore would print SQL instead.
            .args([
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                "--dbname",
            ])
            .arg(dbname)
            .envs(env);
        decrypt_into(&archive_path, &key, restore)
    })
    .await?;
    if let Err(e) = restored {
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .ok();
        return Err(e);
    }

    let mut conn = sqlx::PgConnection::connect(target.expose()).await?;
    let (counts, _) = census(&mut conn).await?;
    let mismatched: Vec<String> = manifest
        .row_counts
        .iter()
        .filter(|(t, n)| counts.get(*t) != Some(n))
        .map(|(t, _)| t.clone())
        .collect();
    let orgs: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT DISTINCT organization_id FROM audit_events")
            .fetch_all(&mut conn)
            .await?;
    let mut broken_chains = Vec::new();
    for org in orgs {
        let status = app::audit::repo::verify_chain(&mut conn, org).await?;
        if !status.intact() {
            broken_chains.push(org.to_string());
        }
    }
    conn.close().await?;
    if !mismatched.is_empty() || !broken_chains.is_empty() {
        // Left in place for inspection; the database in use is untouched.
        return Ok(Restored {
            manifest,
            mismatched,
            broken_chains,
        });
    }
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    sqlx::raw_sql(&format!("ALTER DATABASE {scratch} RENAME TO {database}"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    Ok(Restored {
        manifest,
        mismatched,
        broken_chains,
    })
}

/// The scheduled backup (`BACKUP_AGE_RECIPIENT` and `BACKUP_DIR` set).
pub struct Scheduled {
    pub admin_url: Secret,
    /// Signs each manifest (the audit checkpoint key, when configured).
    pub signer: Option<std::sync::Arc<crate::audit_anchor::Signer>>,
    pub dir: PathBuf,
    pub recipient: String,
    pub every: std::time::Duration,
}

impl Job for Scheduled {
    const KIND: &'static str = "backup.create";
    type Payload = ();

    async fn run(&self, _ctx: &JobContext, (): ()) -> Result<(), JobError> {
        let made = create(
            &self.admin_url,
            &self.dir,
            &self.recipient,
            self.signer.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(|e| JobError::Retry(format!("backup: {e:#}")))?;
        tracing::info!(file = %made.file, bytes = made.bytes, "backup written");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn rotation_keeps_seven_days_four_weeks_and_twelve_months() {
        let now = datetime!(2026-11-30 03:00 UTC);
        // One backup a day for 400 days, two on the newest day.
        let mut all: Vec<(String, OffsetDateTime)> = (0..400)
            .map(|d| {
                let at = now - time::Duration::days(d);
                (name_for(at), at)
            })
            .collect();
        let extra = now - time::Duration::hours(2);
        all.push((name_for(extra), extra));
        let gone: BTreeSet<String> = rotate(&all, now).into_iter().collect();
        let kept: Vec<&(String, OffsetDateTime)> =
            all.iter().filter(|(n, _)| !gone.contains(n)).collect();
        // 7 daily; weekly and monthly add the newest of older weeks and
        // months: at most 7 + 4 + 12 files, at least the 7 daily ones.
        assert!(kept.len() <= 23, "{}", kept.len());
        for d in 0..7 {
            let day = (now - time::Duration::days(d)).date();
            assert_eq!(
                kept.iter().filter(|(_, at)| at.date() == day).count(),
                1,
                "day {d}"
            );
        }
        assert!(
            gone.contains(&name_for(extra)),
            "the older of one day's two goes"
        );
        let months: BTreeSet<_> = kept.iter().map(|(_, at)| (at.year(), at.month())).collect();
        assert_eq!(months.len(), 12);
        assert!(kept
            .iter()
            .all(|(_, at)| now - *at < time::Duration::days(366)));
    }

    #[test]
    fn names_and_manifests_pair_up() {
        let at = datetime!(2026-11-30 03:04:05 UTC);
        let name = name_for(at);
        assert_eq!(name, "carethread-20261130T030405Z.dump.age");
        assert_eq!(
            manifest_path(Path::new("/b").join(&name).as_path()),
            Path::new("/b/carethread-20261130T030405Z.dump.age.json")
        );
    }

    #[test]
    fn urls_become_libpq_variables() {
        let env = pg_env(&Secret::new("postgres://ct:p%40ss@db.example:5433/care")).unwrap();
        let get = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("PGPASSWORD"), "p@ss");
        assert_eq!(get("PGPORT"), "5433");
        assert_eq!(get("PGDATABASE"), "care");
    }
}
