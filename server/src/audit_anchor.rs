//! Anchoring the audit chains outside the database: signed checkpoints.
//!
//! The hash chains in `audit_events` prove only that the database agrees
//! with itself. Whoever owns the tables (a superuser, the table owner) can
//! disable the triggers, rewrite an event, recompute every later hash with
//! the database's own `audit_event_hash` and move `audit_chain_heads`, and
//! the SQL walk then passes. This module owns the check that does not
//! depend on the database's honesty:
//!
//! - **Checkpoints.** A checkpoint is every organization's chain head
//!   `(organization_id, seq, hash)` at one moment, signed with an Ed25519
//!   private key that the database never holds (a file named by
//!   `AUDIT_SIGNING_KEY_PATH`, PKCS#8 PEM, mode 0600; a key file readable by
//!   group or others is refused). They are stored in `audit_checkpoints`,
//!   append-only like the events. `server audit checkpoint` writes one; the
//!   running server writes one every `AUDIT_CHECKPOINT_INTERVAL_SECS` (the
//!   `audit.checkpoint` job, [`Checkpointer`], scheduled by the job runner).
//! - **Verification.** `server audit verify` checks each checkpoint's
//!   signature with the public key (derived from the key file, or given as
//!   `AUDIT_CHECKPOINT_PUBLIC_KEY`, so a verifier need not hold the private
//!   key) and compares every signed head with the hash now stored at that
//!   sequence number. A rewrite of history before the newest checkpoint is
//!   reported with the organization, the first event that no longer
//!   matches its signed checkpoint and the last checkpoint that still
//!   matches (the rewritten range lies between the two). A checkpoint whose
//!   signature fails is reported as forged; one signed by a key that is
//!   not configured, as unverifiable; a gap in the checkpoint numbers, as
//!   removed checkpoints.
//!
//! - **No trust in the database's functions.** The verifier recomputes
//!   every event's hash in Rust from the stored columns ([`walk_chains`]),
//!   the same encoding as the migrations' `audit_event_hash`, and compares
//!   signed heads with the *recomputed* hashes. A table owner can replace
//!   `audit_verify` or `audit_event_hash` (they own them), but not this
//!   binary: an event changed without recomputing its hash is named
//!   exactly; one changed with every later hash recomputed no longer
//!   matches its signed checkpoint.
//! - **No checkpoint is a problem.** With a key configured, a database with
//!   events but no checkpoint fails verification (they were deleted, or the
//!   periodic checkpoint never ran).
//!
//! What this cannot catch: events written after the newest checkpoint, and
//! checkpoints removed from the end (keep the summaries `server audit
//! checkpoint` prints, or compare the newest checkpoint's time with the
//! interval).
//!
//! ## The signed bytes (format v1)
//!
//! ASCII, each line ending in a single `\n`, no other whitespace:
//!
//! ```text
//! carethread-audit-checkpoint-v1
//! key <key id>
//! number <checkpoint number, decimal>
//! at <creation time, microseconds since the Unix epoch, decimal>
//! chains <number of chain lines that follow, decimal>
//! <organization id> <seq> <hash>
//! …
//! ```
//!
//! The key id is the first 8 bytes of SHA-256 of the 32-byte public key,
//! in lower-case hex (16 characters), so keys can rotate: a verifier is
//! given every public key still in use. Organization ids are lower-case
//! hyphenated UUIDs, chain lines are sorted by them, `seq` is decimal with
//! no leading zeros, and `hash` is the 32-byte chain hash in lower-case hex.
//! The signature is plain Ed25519 (RFC 8032, not pre-hashed) over exactly
//! these bytes, which are stored as they were signed (`payload`); the
//! verifier parses them, re-encodes the result and insists on the same
//! bytes, so there is only one encoding of a checkpoint.
//!
//! ## Why `ed25519-dalek`
//!
//! The maintained pure-Rust Ed25519 (dalek-cryptography, 2.x), with strict
//! verification (`verify_strict` refuses weak keys and malleable
//! signatures) and PKCS#8 PEM key files through RustCrypto's `pkcs8`, so a
//! key made by `openssl genpkey -algorithm ed25519` works as well as one
//! made by `server audit keygen`. It is a dependency of the server crate
//! only: nothing of it enters the wasm build.

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// The first line of every signed checkpoint: the format and its version.
pub const FORMAT: &str = "carethread-audit-checkpoint-v1";

/// The key id of `key`: the first 8 bytes of SHA-256 of the public key, hex.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// A public key as printed by `server audit keygen` and read from
/// `AUDIT_CHECKPOINT_PUBLIC_KEY`: standard base64 of the 32 bytes.
pub fn encode_public_key(key: &VerifyingKey) -> String {
    BASE64.encode(key.as_bytes())
}

/// Reads a public key written by [`encode_public_key`] (or as 64 hex digits).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).map_err(|e| e.to_string())?
    } else {
        BASE64
            .decode(text)
            .map_err(|_| "not base64 (or hex)".to_owned())?
    };
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "an Ed25519 public key is 32 bytes".to_owned())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid Ed25519 public key".to_owned())
}

/// The private signing key, loaded from its file. Never printed: `Debug`
/// shows the key id only.
pub struct Signer {
    key: SigningKey,
    id: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer(key {})", self.id)
    }
}

impl Signer {
    /// Loads the PKCS#8 PEM key at `path`, refusing a file that group or
    /// others may read or write (as ssh does with private keys).
    pub fn load(path: &Path) -> Result<Self> {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = std::fs::metadata(path)
            .with_context(|| format!("AUDIT_SIGNING_KEY_PATH: cannot read {}", path.display()))?;
        if !meta.is_file() {
            bail!(
                "AUDIT_SIGNING_KEY_PATH: {} is not a regular file",
                path.display()
            );
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "AUDIT_SIGNING_KEY_PATH: {} has mode {mode:04o}, so others may read the audit \
                 signing key; refusing it (chmod 600 it, and consider a new key)",
                path.display()
            );
        }
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("AUDIT_SIGNING_KEY_PATH: cannot read {}", path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| {
            anyhow!(
                "AUDIT_SIGNING_KEY_PATH: {} is not an Ed25519 private key in PKCS#8 PEM \
                 (make one with `server audit keygen --out PATH`)",
                path.display()
            )
        })?;
        Ok(Self::from_key(key))
    }

    fn from_key(key: SigningKey) -> Self {
        let id = key_id(&key.verifying_key());
        Self { key, id }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// Signs `message` (a backup manifest, `crate::backup`): the same key
    /// vouches for the chains and for the backups of them.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

/// Makes a new key and writes it to `out` (PKCS#8 PEM, mode 0600; an
/// existing file is never overwritten). Returns its public key.
pub fn keygen(out: &Path) -> Result<VerifyingKey> {
    use rand::RngCore as _;
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow!("cannot encode the key: {e}"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .with_context(|| format!("cannot create {} (it must not exist yet)", out.display()))?;
    // The umask can only take permissions away; make sure of 0600 anyway.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(pem.as_bytes())?;
    file.sync_all()?;
    Ok(key.verifying_key())
}

/// The public keys a verifier accepts, by key id.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<String, VerifyingKey>,
}

impl Keyring {
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        Self {
            keys: keys.into_iter().map(|k| (key_id(&k), k)).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key ids, for the report.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.keys().map(String::as_str).collect()
    }

    /// Whether the key `key_id` of this ring signed `message`.
    pub fn verifies(&self, key_id: &str, message: &[u8], signature: &[u8]) -> bool {
        let (Some(key), Ok(signature)) = (self.keys.get(key_id), <[u8; 64]>::try_from(signature))
        else {
            return false;
        };
        key.verify_strict(message, &Signature::from_bytes(&signature))
            .is_ok()
    }
}

/// One chain head as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub organization_id: Uuid,
    pub seq: i64,
    pub hash: [u8; 32],
}

/// The content of one checkpoint (what is signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub key_id: String,
    pub number: i64,
    /// Microseconds since the Unix epoch.
    pub at_micros: i64,
    /// Sorted by organization id.
    pub heads: Vec<Head>,
}

impl Checkpoint {
    /// The canonical bytes (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(120 + 120 * self.heads.len());
        let _ = write!(
            text,
            "{FORMAT}\nkey {}\nnumber {}\nat {}\nchains {}\n",
            self.key_id,
            self.number,
            self.at_micros,
            self.heads.len()
        );
        for h in &self.heads {
            let _ = writeln!(
                text,
                "{} {} {}",
                h.organization_id.hyphenated(),
                h.seq,
                hex::encode(h.hash)
            );
        }
        text.into_bytes()
    }

    /// Reads canonical bytes; anything else (another encoding of the same
    /// content included) is refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, &'static str> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not text")?;
        let body = text.strip_suffix('\n').ok_or("no final newline")?;
        let mut lines = body.split('\n');
        if lines.next() != Some(FORMAT) {
            return Err("not a v1 checkpoint");
        }
        let mut field = |name: &str| -> Result<String, &'static str> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .map(str::to_owned)
                .ok_or("a header line is missing")
        };
        let key_id = field("key")?;
        let number = field("number")?.parse().map_err(|_| "a bad number")?;
        let at_micros = field("at")?.parse().map_err(|_| "a bad time")?;
        let count: usize = field("chains")?.parse().map_err(|_| "a bad count")?;
        let mut heads = Vec::with_capacity(count.min(100_000));
        for line in lines {
            let mut parts = line.split(' ');
            let (Some(org), Some(seq), Some(hash), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err("a chain line is malformed");
            };
            let hash: [u8; 32] = hex::decode(hash)
                .ok()
                .and_then(|h| h.try_into().ok())
                .ok_or("a chain hash is malformed")?;
            heads.push(Head {
                organization_id: org.parse().map_err(|_| "an organization id is malformed")?,
                seq: seq.parse().map_err(|_| "a sequence number is malformed")?,
                hash,
            });
        }
        if heads.len() != count {
            return Err("the chain count does not match");
        }
        let checkpoint = Self {
            key_id,
            number,
            at_micros,
            heads,
        };
        if checkpoint.to_bytes() != bytes {
            return Err("not in canonical form");
        }
        Ok(checkpoint)
    }

    pub fn created_at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.at_micros) * 1000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// What `server audit checkpoint` prints.
#[derive(Debug, Clone)]
pub struct Written {
    pub number: i64,
    pub created_at: OffsetDateTime,
    pub key_id: String,
    pub chains: usize,
    /// SHA-256 of the signed bytes, hex: worth keeping outside the database.
    pub payload_sha256: String,
}

// One writer at a time, across processes: the number is max + 1.
const CHECKPOINT_LOCK: &str = "carethread.audit_checkpoints";

/// Writes one checkpoint of every chain head, signed by `signer`, on the
/// operator's administrative connection or the worker role's.
pub async fn checkpoint(conn: &mut PgConnection, signer: &Signer) -> Result<Written> {
    let mut tx = conn.begin().await?;
    let written = write_locked(&mut tx, signer, None).await?;
    tx.commit().await?;
    written.ok_or_else(|| anyhow!("no checkpoint was written"))
}

/// Writes a checkpoint unless another was written less than `every` ago
/// (by this process or another server sharing the database).
pub async fn checkpoint_if_due(
    pool: &PgPool,
    signer: &Signer,
    every: Duration,
) -> Result<Option<Written>> {
    let mut tx = app::db::begin(pool).await?;
    let written = write_locked(&mut tx, signer, Some(every)).await?;
    tx.commit().await?;
    Ok(written)
}

async fn write_locked(
    tx: &mut PgConnection,
    signer: &Signer,
    skip_if_newer_than: Option<Duration>,
) -> Result<Option<Written>> {
    sqlx::query!(
        r#"SELECT true AS "locked!" FROM pg_advisory_xact_lock(hashtextextended($1, 0))"#,
        CHECKPOINT_LOCK
    )
    .fetch_one(&mut *tx)
    .await?;
    let last = sqlx::query!(
        "SELECT number, created_at FROM audit_checkpoints ORDER BY number DESC LIMIT 1"
    )
    .fetch_optional(&mut *tx)
    .await?;
    let now = OffsetDateTime::now_utc();
    if let (Some(every), Some(last)) = (skip_if_newer_than, &last) {
        // A row from the future (forged by whoever can write the table)
        // must not silence checkpoints forever: it does not count as
        // recent, and is said.
        if last.created_at > now + Duration::from_secs(300) {
            tracing::warn!(
                number = last.number,
                "the newest audit checkpoint is dated in the future; checkpointing anyway"
            );
        } else if now - last.created_at < every {
            return Ok(None);
        }
    }
    let heads = sqlx::query!(
        "SELECT organization_id, seq, hash FROM audit_chain_heads
         WHERE seq > 0 ORDER BY organization_id"
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| {
        let hash: [u8; 32] = r
            .hash
            .try_into()
            .map_err(|_| anyhow!("a chain head's hash is not 32 bytes"))?;
        Ok(Head {
            organization_id: r.organization_id,
            seq: r.seq,
            hash,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let at_micros = i64::try_from(now.unix_timestamp_nanos() / 1000)?;
    let content = Checkpoint {
        key_id: signer.id.clone(),
        number: last
            .map_or(Some(1), |l| l.number.checked_add(1))
            .ok_or_else(|| anyhow!("the newest checkpoint number cannot be followed"))?,
        at_micros,
        heads,
    };
    let payload = content.to_bytes();
    let signature = signer.key.sign(&payload);
    let created_at = content.created_at();
    sqlx::query!(
        "INSERT INTO audit_checkpoints (number, created_at, key_id, payload, signature)
         VALUES ($1, $2, $3, $4, $5)",
        content.number,
        created_at,
        &content.key_id,
        &payload,
        &signature.to_bytes()[..]
    )
    .execute(&mut *tx)
    .await?;
    Ok(Some(Written {
        number: content.number,
        created_at,
        key_id: content.key_id,
        chains: content.heads.len(),
        payload_sha256: hex::encode(Sha256::digest(&payload)),
    }))
}

/// The server's periodic checkpoint: the `audit.checkpoint` job, scheduled
/// every `every` with the worker role's pool and the key. A run writes one
/// only when none was written in the last `every` (so a manual
/// `server audit checkpoint` is not doubled).
#[derive(Debug, Clone)]
pub struct Checkpointer {
    pub signer: std::sync::Arc<Signer>,
    pub every: Duration,
}

impl crate::jobs::Job for Checkpointer {
    const KIND: &'static str = "audit.checkpoint";
    type Payload = ();

    async fn run(
        &self,
        ctx: &crate::jobs::JobContext,
        (): (),
    ) -> Result<(), crate::jobs::JobError> {
        match checkpoint_if_due(&ctx.pool, &self.signer, self.every).await {
            Ok(Some(w)) => {
                tracing::info!(
                    number = w.number,
                    key = %w.key_id,
                    chains = w.chains,
                    // Kept outside the database by whoever keeps the logs:
                    // the newest checkpoint's fingerprint (module doc).
                    payload_sha256 = %w.payload_sha256,
                    "wrote an audit checkpoint"
                );
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(error) => Err(crate::jobs::JobError::Retry(format!(
                "could not write an audit checkpoint: {error:#}"
            ))),
        }
    }
}

/// One thing wrong found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The checkpoint's signature does not verify (or its stored bytes are
    /// not a checkpoint, or its row disagrees with what was signed).
    Forged {
        number: i64,
        key_id: String,
        reason: &'static str,
    },
    /// Signed with a key that is not among the configured public keys.
    UnknownKey { number: i64, key_id: String },
    /// Checkpoint numbers `from..=to` are absent: removed.
    Removed { from: i64, to: i64 },
    /// An event's stored hash is not the hash of its stored fields, or it
    /// does not link to the event before it, or events are missing: found
    /// by recomputing the chain outside the database.
    Altered {
        organization_id: Uuid,
        organization: String,
        seq: i64,
        reason: &'static str,
    },
    /// Events exist but no checkpoint does, though a key is configured.
    NoCheckpoints,
    /// An organization's history no longer matches a signed checkpoint.
    Rewritten {
        organization_id: Uuid,
        organization: String,
        /// The first event whose stored hash differs from a signed head (or
        /// that is gone).
        first_event: i64,
        /// The checkpoint that signed it.
        checkpoint: i64,
        checkpoint_at: OffsetDateTime,
        /// The event is gone altogether, not changed.
        event_missing: bool,
        /// The last checkpoint that still matches, and its event: events
        /// after it up to `first_event` were rewritten.
        last_matching: Option<(i64, i64)>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Forged {
                number,
                key_id,
                reason,
            } => write!(f, "FORGED  checkpoint #{number} (key {key_id}): {reason}"),
            Self::UnknownKey { number, key_id } => write!(
                f,
                "UNVERIFIED checkpoint #{number}: signed with key {key_id}, which is not \
                 configured (AUDIT_CHECKPOINT_PUBLIC_KEY)"
            ),
            Self::Altered {
                organization_id,
                organization,
                seq,
                reason,
            } => write!(
                f,
                "ALTERED {organization} ({organization_id}): event {seq}: {reason}"
            ),
            Self::NoCheckpoints => write!(
                f,
                "MISSING no checkpoint exists, though events do and a key is configured \
                 (run `server audit checkpoint`; if there were checkpoints, they were removed)"
            ),
            Self::Removed { from, to } if from == to => {
                write!(f, "REMOVED checkpoint #{from} is missing")
            }
            Self::Removed { from, to } => {
                write!(f, "REMOVED checkpoints #{from} to #{to} are missing")
            }
            Self::Rewritten {
                organization_id,
                organization,
                first_event,
                checkpoint,
                checkpoint_at,
                event_missing,
                last_matching,
            } => {
                write!(
                    f,
                    "REWRITTEN {organization} ({organization_id}): event {first_event} {} \
                     signed checkpoint #{checkpoint} ({checkpoint_at}); ",
                    if *event_missing {
                        "is gone, though it is in"
                    } else {
                        "no longer matches"
                    },
                )?;
                match last_matching {
                    Some((number, seq)) => write!(
                        f,
                        "the last checkpoint that still matches is #{number} (through event \
                         {seq}), so events {} to {first_event} were rewritten",
                        seq + 1
                    ),
                    None => write!(
                        f,
                        "no earlier checkpoint matches, so events 1 to {first_event} were rewritten"
                    ),
                }
            }
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Checkpoints read.
    pub checkpoints: usize,
    /// Checkpoints whose signature verified.
    pub verified: usize,
    /// The newest verified checkpoint: number and time.
    pub newest: Option<(i64, OffsetDateTime)>,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every checkpoint's signature against `keys`, and every signed
/// chain head against the hash stored now at that sequence number. Runs
/// on the operator's administrative connection (it reads every chain).
pub async fn verify(conn: &mut PgConnection, keys: &Keyring) -> Result<Report> {
    let rows = sqlx::query!(
        "SELECT number, key_id, payload, signature FROM audit_checkpoints ORDER BY number"
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut report = Report {
        checkpoints: rows.len(),
        ..Report::default()
    };
    let chains = walk_chains(&mut *conn).await?;
    report.problems.extend(chains.problems.iter().cloned());
    if rows.is_empty() && chains.events > 0 {
        report.problems.push(Problem::NoCheckpoints);
    }
    let mut expected_number = 1;
    // Per organization: the first mismatch (by sequence number) and every
    // match (checkpoint number, seq).
    let mut mismatches: HashMap<Uuid, (i64, i64, OffsetDateTime, bool)> = HashMap::new();
    let mut matches: HashMap<Uuid, Vec<(i64, i64)>> = HashMap::new();
    for row in rows {
        if row.number > expected_number {
            report.problems.push(Problem::Removed {
                from: expected_number,
                to: row.number - 1,
            });
        }
        expected_number = row.number + 1;
        let forged = |reason| Problem::Forged {
            number: row.number,
            key_id: row.key_id.clone(),
            reason,
        };
        let content = match Checkpoint::parse(&row.payload) {
            Ok(c) => c,
            Err(reason) => {
                report.problems.push(forged(reason));
                continue;
            }
        };
        let Some(key) = keys.keys.get(&content.key_id) else {
            report.problems.push(Problem::UnknownKey {
                number: row.number,
                key_id: content.key_id,
            });
            continue;
        };
        let signature = <[u8; 64]>::try_from(row.signature.as_slice())
            .map(|s| Signature::from_bytes(&s))
            .ok();
        if signature.is_none_or(|s| key.verify_strict(&row.payload, &s).is_err()) {
            report
                .problems
                .push(forged("its signature does not verify"));
            continue;
        }
        if content.number != row.number || content.key_id != row.key_id {
            report
                .problems
                .push(forged("its row does not match what was signed"));
            continue;
        }
        report.verified += 1;
        let at = content.created_at();
        if report.newest.is_none_or(|(n, _)| n < content.number) {
            report.newest = Some((content.number, at));
        }
        for head in &content.heads {
            // The hash recomputed from the stored fields, never the stored
            // hash column alone (see the module doc).
            let recomputed = chains.hashes.get(&(head.organization_id, head.seq));
            match recomputed.map(|h| Some(h.to_vec())) {
                Some(Some(hash)) if hash.as_slice() == head.hash => {
                    matches
                        .entry(head.organization_id)
                        .or_default()
                        .push((content.number, head.seq));
                }
                found => {
                    let missing = !matches!(found, Some(Some(_)));
                    let entry = mismatches.entry(head.organization_id).or_insert((
                        head.seq,
                        content.number,
                        at,
                        missing,
                    ));
                    if head.seq < entry.0 {
                        *entry = (head.seq, content.number, at, missing);
                    }
                }
            }
        }
    }
    let mut rewritten: Vec<_> = mismatches.into_iter().collect();
    rewritten.sort_by_key(|(org, _)| *org);
    for (org, (first_event, checkpoint, checkpoint_at, event_missing)) in rewritten {
        let last_matching = matches
            .get(&org)
            .into_iter()
            .flatten()
            .filter(|(_, seq)| *seq < first_event)
            .max_by_key(|(number, seq)| (*seq, *number))
            .copied();
        let organization = sqlx::query_scalar!("SELECT name FROM organizations WHERE id = $1", org)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or_else(|| "(an organization no longer present)".to_owned());
        report.problems.push(Problem::Rewritten {
            organization_id: org,
            organization,
            first_event,
            checkpoint,
            checkpoint_at,
            event_missing,
            last_matching,
        });
    }
    Ok(report)
}

/// Every chain recomputed outside the database: the hash of each event
/// (by organization and sequence number), and what does not hold.
pub struct Chains {
    pub hashes: HashMap<(Uuid, i64), [u8; 32]>,
    pub events: u64,
    pub problems: Vec<Problem>,
}

/// The fields of one stored event, as the chain hash covers them.
struct StoredEvent {
    organization_id: Uuid,
    seq: i64,
    occurred_at: OffsetDateTime,
    actor_user_id: Option<Uuid>,
    action: String,
    subject_type: Option<String>,
    subject_id: Option<String>,
    /// `host(ip)`: the address without its mask.
    ip: Option<String>,
    /// `details::text`: jsonb's own canonical text.
    details: String,
    actor_type: String,
    actor_api_key_id: Option<Uuid>,
    actor_grant_id: Option<Uuid>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

/// The chain hash of `e` after `prev`, exactly as the migrations'
/// `audit_event_hash` (all three forms) computes it: SHA-256 over the
/// previous hash and the fields, each as `<characters>:<text>`, joined by
/// `;`; the actor's kind and key only when they say more than a person's
/// id, the break-glass grant only when there is one.
fn event_hash(prev: &[u8], e: &StoredEvent) -> [u8; 32] {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    let micros = e.occurred_at.unix_timestamp_nanos() / 1000;
    let mut fields = vec![
        e.organization_id.to_string(),
        e.seq.to_string(),
        micros.to_string(),
        dash(e.actor_user_id.map(|u| u.to_string())),
        e.action.clone(),
        dash(e.subject_type.clone()),
        dash(e.subject_id.clone()),
        dash(e.ip.clone()),
        e.details.clone(),
    ];
    if e.actor_grant_id.is_some() || e.actor_type != "user" || e.actor_api_key_id.is_some() {
        fields.push(e.actor_type.clone());
        fields.push(dash(e.actor_api_key_id.map(|k| k.to_string())));
    }
    if let Some(grant) = e.actor_grant_id {
        fields.push(grant.to_string());
    }
    let text = fields
        .iter()
        .map(|f| format!("{}:{f}", f.chars().count()))
        .collect::<Vec<_>>()
        .join(";");
    Sha256::new()
        .chain_update(prev)
        .chain_update(text.as_bytes())
        .finalize()
        .into()
}

/// Walks every organization's chain in pages, recomputing each hash from
/// the stored fields and checking each link, as the operator's connection
/// sees it (it reads every chain). Reports the first problem of each
/// chain; keeps the recomputed hash of every event, for the checkpoints.
pub async fn walk_chains(conn: &mut PgConnection) -> Result<Chains> {
    const PAGE: i64 = 5000;
    let mut chains = Chains {
        hashes: HashMap::new(),
        events: 0,
        problems: Vec::new(),
    };
    let orgs = sqlx::query!(
        r#"SELECT h.organization_id, coalesce(o.name, '(an organization no longer present)') AS "name!"
           FROM audit_chain_heads h LEFT JOIN organizations o ON o.id = h.organization_id
           ORDER BY h.organization_id"#
    )
    .fetch_all(&mut *conn)
    .await?;
    for org in orgs {
        let mut expected_seq = 1_i64;
        let mut prev = [0u8; 32].to_vec();
        let mut broken = false;
        'pages: loop {
            let page = sqlx::query_as!(
                StoredEvent,
                r#"SELECT organization_id, seq, occurred_at, actor_user_id, action, subject_type,
                          subject_id, pg_catalog.host(ip) AS ip, details::text AS "details!",
                          actor_type, actor_api_key_id, actor_grant_id, prev_hash, hash
                   FROM audit_events
                   WHERE organization_id = $1 AND seq >= $2
                   ORDER BY seq
                   LIMIT $3"#,
                org.organization_id,
                expected_seq,
                PAGE
            )
            .fetch_all(&mut *conn)
            .await?;
            let last_page = (page.len() as i64) < PAGE;
            for e in page {
                chains.events += 1;
                let recomputed = event_hash(&prev, &e);
                chains.hashes.insert((e.organization_id, e.seq), recomputed);
                let problem = if e.seq != expected_seq {
                    Some((expected_seq, "events before it are missing"))
                } else if e.prev_hash != prev {
                    Some((e.seq, "its link to the event before it does not match"))
                } else if e.hash != recomputed {
                    Some((
                        e.seq,
                        "its stored hash is not the hash of its fields: it was altered",
                    ))
                } else {
                    None
                };
                if let Some((seq, reason)) = problem {
                    if !broken {
                        chains.problems.push(Problem::Altered {
                            organization_id: org.organization_id,
                            organization: org.name.clone(),
                            seq,
                            reason,
                        });
                        broken = true;
                    }
                }
                // Follow the stored hashes onward, so each later event is
                // judged on its own link.
                prev = e.hash;
                expected_seq = e.seq + 1;
            }
            if last_page {
                break 'pages;
            }
        }
    }
    Ok(chains)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            key_id: "0123456789abcdef".into(),
            number: 7,
            at_micros: 1_764_412_345_123_456,
            heads: vec![Head {
                organization_id: Uuid::from_u128(1),
                seq: 42,
                hash: [0xab; 32],
            }],
        }
    }

    #[test]
    fn the_signed_bytes_are_the_documented_format() {
        let text = String::from_utf8(sample().to_bytes()).unwrap_or_default();
        assert_eq!(
            text,
            format!(
                "carethread-audit-checkpoint-v1\nkey 0123456789abcdef\nnumber 7\n\
                 at 1764412345123456\nchains 1\n\
                 00000000-0000-0000-0000-000000000001 42 {}\n",
                "ab".repeat(32)
            )
        );
        assert_eq!(Checkpoint::parse(text.as_bytes()), Ok(sample()));
    }

    #[test]
    fn only_the_canonical_encoding_parses() {
        let text = String::from_utf8(sample().to_bytes()).unwrap_or_default();
        for other in [
            text.replace(" 42 ", " 042 "),
            text.replace("chains 1", "chains 2"),
            text.replace("ab", "AB"),
            text.trim_end().to_owned(),
            text.replace('\n', "\r\n"),
            format!("{text}\n"),
        ] {
            assert!(Checkpoint::parse(other.as_bytes()).is_err(), "{other:?}");
        }
    }

    #[test]
    fn public_keys_round_trip_and_key_ids_are_16_hex_digits() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        assert_eq!(parse_public_key(&encode_public_key(&key)), Ok(key));
        assert_eq!(parse_public_key(&hex::encode(key.as_bytes())), Ok(key));
        assert!(parse_public_key("AAAA").is_err());
        let id = key_id(&key);
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
