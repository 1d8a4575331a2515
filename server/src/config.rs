//! Typed configuration, read once at start-up from environment variables
//! (and a `.env` file in development). Every variable is documented in the
//! README and `.env.example`.
//!
//! Policy: secrets (database URLs with passwords) are wrapped in [`Secret`],
//! whose `Debug` and `Display` never show the value, so a logged config
//! cannot leak them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where the database comes from.
#[derive(Debug, Clone)]
pub enum DatabaseSource {
    /// A private PostgreSQL cluster under `target/`, started and stopped by
    /// the server (development only).
    Embedded(EmbeddedOptions),
    /// An existing server: `admin_url` runs role set-up and migrations,
    /// `app_url` is the application role's connection and `worker_url` the
    /// background worker role's.
    External {
        admin_url: Secret,
        app_url: Secret,
        worker_url: Secret,
    },
}

#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Holds `data/` (the cluster) and `credentials.env`.
    pub root: PathBuf,
    pub port: u16,
    /// PostgreSQL's `bin` directory; found automatically when unset.
    pub bin_dir: Option<PathBuf>,
    /// The unprivileged user that runs PostgreSQL when the server runs as root.
    pub os_user: String,
    pub database: String,
    /// A throw-away cluster (tests): durability settings are turned off.
    pub ephemeral: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub production: bool,
    pub bind_addr: SocketAddr,
    pub public_url: String,
    pub database: DatabaseSource,
    /// The application pool's size and statement timeout.
    pub db_pool: crate::db::PoolSettings,
    /// Where cargo-leptos put the site (`pkg/`, static assets).
    pub site_root: String,
    pub probe_interval: Duration,
    pub log_format: LogFormat,
    pub auth: app::state::AuthPolicy,
    pub mail: MailConfig,
    /// Where webhooks may go: public addresses only, HTTPS in production;
    /// `WEBHOOKS_ALLOW_LOOPBACK=true` adds loopback (development only).
    pub webhooks: app::developer::destination::Policy,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`:
    /// addresses or CIDR ranges, comma-separated). Empty by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Keys the sandbox's clinician pseudonyms (`SANDBOX_PSEUDONYM_KEY`,
    /// 64 hex digits; required in production, random per process in
    /// development).
    pub pseudonym_key: Secret32,
    /// The keys that seal PHI fields (`PHI_ENCRYPTION_KEYS`, the first
    /// current) and key their blind indexes (`PHI_INDEX_KEY`); required in
    /// production, the published development keys otherwise.
    pub vault: app::vault::Keyring,
    pub audit: AuditAnchorConfig,
    pub payments: PaymentsConfig,
    pub backup: BackupConfig,
}

/// Encrypted backups (`crate::backup`).
#[derive(Debug, Clone)]
pub struct BackupConfig {
    /// `BACKUP_DIR` (default `target/backups`): where archives and their
    /// manifests are written, and rotated.
    pub dir: PathBuf,
    /// `BACKUP_AGE_RECIPIENT`: the age public key (`age1…`) backups are
    /// encrypted to. Unset: no scheduled backups (and `backup create`
    /// needs `--recipient`).
    pub recipient: Option<String>,
    /// `BACKUP_INTERVAL_HOURS` (default 24): how often the running server
    /// writes one.
    pub interval: Duration,
}

/// The card processor and the booking policy (`payment_policy`, written at
/// start).
#[derive(Clone)]
pub struct PaymentsConfig {
    /// `PAYMENTS_PROCESSOR`: `local` (the test processor; development, the
    /// demo and the tests) or `stripe`.
    pub processor: ProcessorChoice,
    /// `BOOKING_HOLD_SECS` (600): how long a chosen slot is held.
    pub hold_secs: i32,
    /// `BOOKING_ANSWER_SECS` (86400): how long the clinician has to answer.
    pub answer_secs: i32,
    /// `PAYMENT_REVIEW_SECS` (172800, 48 h): the family's review window.
    pub review_secs: i32,
    /// `LATE_CANCEL_SECS` (86400): cancelling closer than this costs the fee.
    pub late_cancel_secs: i32,
    /// `LATE_CANCEL_FEE_CENTS` (2500).
    pub late_cancel_fee_cents: i64,
}

/// Which processor, and for Stripe where and with which key.
#[derive(Clone)]
pub enum ProcessorChoice {
    Local,
    /// `STRIPE_API_BASE` (default `https://api.stripe.com`) and
    /// `STRIPE_SECRET_KEY` (required).
    Stripe {
        base: String,
        secret: String,
    },
}

impl std::fmt::Debug for PaymentsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let processor = match &self.processor {
            ProcessorChoice::Local => "local".to_owned(),
            ProcessorChoice::Stripe { base, .. } => format!("stripe at {base}"),
        };
        f.debug_struct("PaymentsConfig")
            .field("processor", &processor)
            .field("hold_secs", &self.hold_secs)
            .field("answer_secs", &self.answer_secs)
            .field("review_secs", &self.review_secs)
            .field("late_cancel_secs", &self.late_cancel_secs)
            .field("late_cancel_fee_cents", &self.late_cancel_fee_cents)
            .finish()
    }
}

/// 32 secret bytes that never print.
#[derive(Clone)]
pub struct Secret32(pub [u8; 32]);

impl std::fmt::Debug for Secret32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret32(…)")
    }
}

/// Signed audit checkpoints (see `audit_anchor`).
#[derive(Debug, Clone)]
pub struct AuditAnchorConfig {
    /// `AUDIT_SIGNING_KEY_PATH`: the Ed25519 private key file (PKCS#8 PEM,
    /// mode 0600). Only its path is configuration; the key itself is read
    /// by `audit_anchor::Signer::load` and never printed. Unset: no
    /// checkpoints are written.
    pub signing_key_path: Option<PathBuf>,
    /// `AUDIT_CHECKPOINT_PUBLIC_KEY`: public keys (base64, comma-separated
    /// while keys rotate) that `server audit verify` accepts, besides the
    /// one derived from the key file.
    pub public_keys: Vec<ed25519_dalek::VerifyingKey>,
    /// `AUDIT_CHECKPOINT_INTERVAL_SECS`: how often the running server
    /// writes a checkpoint when a key is configured.
    pub checkpoint_interval: Duration,
}

/// Where outgoing mail goes.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, development), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (implicit TLS). Unset in
    /// development: mail goes to the in-process sink at `sink_addr`.
    pub smtp_url: Option<Secret>,
    /// The From header, e.g. `Carethread <no-reply@care.example.org>`.
    pub from: String,
    /// Development only: the local SMTP sink's address.
    pub sink_addr: SocketAddr,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

fn err(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

impl Config {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    }

    /// Builds the config from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let production = match get("CARETHREAD_ENV").as_deref() {
            None | Some("development") => false,
            Some("production") => true,
            Some(other) => {
                return Err(err(format!(
                    "CARETHREAD_ENV must be `development` or `production`, not `{other}`"
                )))
            }
        };
        let bind_addr: SocketAddr = get("BIND_ADDR")
            .or_else(|| get("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
            .parse()
            .map_err(|_| err("BIND_ADDR must be an address like 127.0.0.1:3000"))?;
        let public_url = get("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind_addr}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(err("PUBLIC_URL must start with http:// or https://"));
        }
        if production && !public_url.starts_with("https://") {
            return Err(err("PUBLIC_URL must use https:// in production"));
        }

        let database = match (
            get("DATABASE_URL"),
            get("APP_DATABASE_URL"),
            get("WORKER_DATABASE_URL"),
        ) {
            (Some(admin), Some(app), Some(worker)) => {
                check_role_url("APP_DATABASE_URL", &app, crate::db::APP_ROLE)?;
                check_role_url("WORKER_DATABASE_URL", &worker, crate::db::WORKER_ROLE)?;
                DatabaseSource::External {
                    admin_url: Secret::new(admin),
                    app_url: Secret::new(app),
                    worker_url: Secret::new(worker),
                }
            }
            (Some(_), None, _) => {
                return Err(err(
                    "APP_DATABASE_URL is required with DATABASE_URL: the app connects as the \
                     `carethread_app` role, which owns nothing and cannot bypass row-level security",
                ))
            }
            (Some(_), Some(_), None) => {
                return Err(err(
                    "WORKER_DATABASE_URL is required with DATABASE_URL: background jobs connect \
                     as the `carethread_worker` role",
                ))
            }
            (None, _, _) if production => {
                return Err(err("DATABASE_URL, APP_DATABASE_URL and WORKER_DATABASE_URL are required in production"))
            }
            (None, _, _) => DatabaseSource::Embedded(EmbeddedOptions {
                root: PathBuf::from(get("EMBEDDED_PG_DIR").unwrap_or_else(|| "target/pg".into())),
                port: parse_or(&get, "EMBEDDED_PG_PORT", 5433)?,
                bin_dir: get("PG_BIN_DIR").map(PathBuf::from),
                os_user: get("EMBEDDED_PG_USER").unwrap_or_else(|| "postgres".into()),
                database: get("EMBEDDED_PG_DATABASE").unwrap_or_else(|| "carethread".into()),
                ephemeral: parse_or(&get, "EMBEDDED_PG_EPHEMERAL", false)?,
            }),
        };

        let log_format = match get("LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            None if production => LogFormat::Json,
            None => LogFormat::Pretty,
            Some(other) => {
                return Err(err(format!(
                    "LOG_FORMAT must be `pretty` or `json`, not `{other}`"
                )))
            }
        };
        let probe_secs: u64 = parse_or(&get, "HEALTH_PROBE_INTERVAL_SECS", 60)?;
        if probe_secs == 0 {
            return Err(err("HEALTH_PROBE_INTERVAL_SECS must be at least 1"));
        }

        let defaults = app::state::AuthPolicy::default();
        let minutes = |key: &str, default: Duration| -> Result<Duration, ConfigError> {
            let value: u64 = parse_or(&get, key, default.as_secs() / 60)?;
            if value == 0 {
                return Err(err(format!("{key} must be at least 1")));
            }
            Ok(Duration::from_secs(value * 60))
        };
        let auth = app::state::AuthPolicy {
            session_idle: minutes("SESSION_IDLE_MINUTES", defaults.session_idle)?,
            session_absolute: minutes("SESSION_ABSOLUTE_MINUTES", defaults.session_absolute)?,
            lockout_threshold: parse_or(&get, "LOCKOUT_THRESHOLD", defaults.lockout_threshold)?
                .max(1),
            lockout_window: minutes("LOCKOUT_MINUTES", defaults.lockout_window)?,
            ..defaults
        };

        let smtp_url = get("SMTP_URL").map(Secret::new);
        if production && smtp_url.is_none() {
            return Err(err("SMTP_URL is required in production"));
        }
        let sink_addr: SocketAddr = get("DEV_MAIL_SINK_ADDR")
            .unwrap_or_else(|| "127.0.0.1:2525".to_owned())
            .parse()
            .map_err(|_| err("DEV_MAIL_SINK_ADDR must be an address like 127.0.0.1:2525"))?;
        let host = public_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .unwrap_or("localhost");
        let mail = MailConfig {
            smtp_url,
            from: get("MAIL_FROM").unwrap_or_else(|| format!("Carethread <no-reply@{host}>")),
            sink_addr,
        };

        let allow_loopback: bool = parse_or(&get, "WEBHOOKS_ALLOW_LOOPBACK", false)?;
        if production && allow_loopback {
            return Err(err(
                "WEBHOOKS_ALLOW_LOOPBACK is for development: never in production",
            ));
        }
        let extra_ports = match get("WEBHOOKS_ALLOWED_PORTS") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|p| p.trim().parse::<u16>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    err("WEBHOOKS_ALLOWED_PORTS must be port numbers separated by commas")
                })?,
        };
        // Production sends to 443 and the configured ports only: a key
        // holder may not aim the server at a public host's other services.
        let ports: Option<&'static [u16]> = production.then(|| {
            let mut ports = vec![443];
            ports.extend(extra_ports.iter().copied().filter(|p| *p != 443));
            &*Box::leak(ports.into_boxed_slice())
        });
        let webhooks = app::developer::destination::Policy {
            https_only: production,
            allow_loopback,
            ports,
        };

        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<ipnet::IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            err(format!(
                                "TRUSTED_PROXIES: `{s}` is not an address or a CIDR range"
                            ))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let pseudonym_key = match get("SANDBOX_PSEUDONYM_KEY") {
            Some(hex_key) => {
                let bytes = hex::decode(hex_key.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| err("SANDBOX_PSEUDONYM_KEY must be 64 hex digits"))?;
                Secret32(bytes)
            }
            None if production => {
                return Err(err("SANDBOX_PSEUDONYM_KEY is required in production"))
            }
            None => Secret32(rand::random()),
        };

        let vault =
            match (get("PHI_ENCRYPTION_KEYS"), get("PHI_INDEX_KEY")) {
                (Some(keys), Some(index)) => app::vault::Keyring::parse(&keys, &index)
                    .map_err(|e| err(format!("PHI_ENCRYPTION_KEYS / PHI_INDEX_KEY: {e}")))?,
                _ if production => {
                    return Err(err(
                        "PHI_ENCRYPTION_KEYS and PHI_INDEX_KEY are required in production",
                    ))
                }
                (None, None) => app::vault::Keyring::development(),
                _ => return Err(err(
                    "set both PHI_ENCRYPTION_KEYS and PHI_INDEX_KEY, or neither (development keys)",
                )),
            };

        let checkpoint_secs: u64 = parse_or(&get, "AUDIT_CHECKPOINT_INTERVAL_SECS", 3600)?;
        if checkpoint_secs < 60 {
            return Err(err("AUDIT_CHECKPOINT_INTERVAL_SECS must be at least 60"));
        }
        let public_keys = get("AUDIT_CHECKPOINT_PUBLIC_KEY")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| {
                crate::audit_anchor::parse_public_key(k)
                    .map_err(|m| err(format!("AUDIT_CHECKPOINT_PUBLIC_KEY: {m}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let recipient = get("BACKUP_AGE_RECIPIENT").filter(|r| !r.trim().is_empty());
        if let Some(r) = &recipient {
            crate::backup::recipient(r).map_err(|e| err(format!("BACKUP_AGE_RECIPIENT: {e}")))?;
        }
        let backup_hours: u64 = parse_or(&get, "BACKUP_INTERVAL_HOURS", 24)?;
        if backup_hours == 0 {
            return Err(err("BACKUP_INTERVAL_HOURS must be at least 1"));
        }
        let backup = BackupConfig {
            dir: get("BACKUP_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target/backups")),
            recipient,
            interval: Duration::from_secs(backup_hours * 3600),
        };
        let audit = AuditAnchorConfig {
            signing_key_path: get("AUDIT_SIGNING_KEY_PATH").map(PathBuf::from),
            public_keys,
            checkpoint_interval: Duration::from_secs(checkpoint_secs),
        };

        let processor = match get("PAYMENTS_PROCESSOR").as_deref() {
            None | Some("local") if production => {
                return Err(err(
                    "in production PAYMENTS_PROCESSOR must be `stripe`: the local test processor charges no card",
                ))
            }
            None | Some("local") => ProcessorChoice::Local,
            Some("stripe") => ProcessorChoice::Stripe {
                base: get("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".to_owned()),
                secret: get("STRIPE_SECRET_KEY")
                    .ok_or_else(|| err("PAYMENTS_PROCESSOR=stripe needs STRIPE_SECRET_KEY"))?,
            },
            Some(other) => {
                return Err(err(format!(
                    "PAYMENTS_PROCESSOR must be `local` or `stripe`, not `{other}`"
                )))
            }
        };
        let payments = PaymentsConfig {
            processor,
            hold_secs: parse_or(&get, "BOOKING_HOLD_SECS", 600)?,
            answer_secs: parse_or(&get, "BOOKING_ANSWER_SECS", 86_400)?,
            review_secs: parse_or(&get, "PAYMENT_REVIEW_SECS", 172_800)?,
            late_cancel_secs: parse_or(&get, "LATE_CANCEL_SECS", 86_400)?,
            late_cancel_fee_cents: parse_or(&get, "LATE_CANCEL_FEE_CENTS", 2_500)?,
        };

        Ok(Self {
            production,
            bind_addr,
            public_url,
            database,
            db_pool: crate::db::PoolSettings {
                max_connections: parse_or(&get, "DATABASE_MAX_CONNECTIONS", 10)?,
                statement_timeout: statement_timeout(&get)?,
            },
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            probe_interval: Duration::from_secs(probe_secs),
            log_format,
            auth,
            mail,
            webhooks,
            trusted_proxies,
            pseudonym_key,
            vault,
            audit,
            payments,
            backup,
        })
    }
}

/// `DATABASE_STATEMENT_TIMEOUT_MS`: 0 would switch the timeout off (so a
/// statement stuck on a lock would hang its request), and is refused.
fn statement_timeout(get: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    match parse_or(get, "DATABASE_STATEMENT_TIMEOUT_MS", 15_000u64)? {
        0 => Err(err(
            "DATABASE_STATEMENT_TIMEOUT_MS must be at least 1 (0 would wait forever)",
        )),
        ms => Ok(Duration::from_millis(ms)),
    }
}

fn parse_or<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
) -> Result<T, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| err(format!("{key} has an invalid value `{v}`"))),
    }
}

/// A role's URL must name that role: the migrations grant to it and to no
/// other.
fn check_role_url(key: &str, value: &str, role: &str) -> Result<(), ConfigError> {
    let url = url::Url::parse(value).map_err(|_| err(format!("{key} is not a valid URL")))?;
    if url.username() != role {
        return Err(err(format!("{key} must connect as `{role}`")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_an_embedded_database_in_development() {
        let c = config(&[]).unwrap();
        assert!(!c.production);
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert!(matches!(c.database, DatabaseSource::Embedded(ref e) if e.port == 5433));
        assert_eq!(c.log_format, LogFormat::Pretty);
    }

    #[test]
    fn an_external_database_needs_the_app_role_url() {
        let e = config(&[("DATABASE_URL", "postgres://admin:pw@db/ct")]).unwrap_err();
        assert!(e.to_string().contains("APP_DATABASE_URL"));
        let e = config(&[
            ("DATABASE_URL", "postgres://admin:pw@db/ct"),
            ("APP_DATABASE_URL", "postgres://admin:pw@db/ct"),
            (
                "WORKER_DATABASE_URL",
                "postgres://carethread_worker:pw@db/ct",
            ),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("carethread_app"));
        let e = config(&[
            ("DATABASE_URL", "postgres://admin:pw@db/ct"),
            ("APP_DATABASE_URL", "postgres://carethread_app:pw@db/ct"),
            ("WORKER_DATABASE_URL", "postgres://carethread_app:pw@db/ct"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("carethread_worker"));
        let e = config(&[
            ("DATABASE_URL", "postgres://admin:pw@db/ct"),
            ("APP_DATABASE_URL", "postgres://carethread_app:pw@db/ct"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("WORKER_DATABASE_URL"));
        let c = config(&[
            ("DATABASE_URL", "postgres://admin:pw@db/ct"),
            ("APP_DATABASE_URL", "postgres://carethread_app:pw@db/ct"),
            (
                "WORKER_DATABASE_URL",
                "postgres://carethread_worker:pw@db/ct",
            ),
        ])
        .unwrap();
        assert!(matches!(c.database, DatabaseSource::External { .. }));
    }

    #[test]
    fn production_requires_https_and_a_real_database() {
        let e = config(&[("CARETHREAD_ENV", "production")]).unwrap_err();
        assert!(e.to_string().contains("https"));
        let e = config(&[
            ("CARETHREAD_ENV", "production"),
            ("PUBLIC_URL", "https://care.example.org"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("DATABASE_URL"));
    }

    #[test]
    fn phi_keys_are_configured_together_and_required_in_production() {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        let c = config(&[
            ("PHI_ENCRYPTION_KEYS", &format!("2026-11:{key}")),
            ("PHI_INDEX_KEY", &"cd".repeat(32)),
        ])
        .unwrap();
        assert_eq!(c.vault.current_key_id(), "2026-11");
        // Development without keys: the published development keys.
        assert_eq!(config(&[]).unwrap().vault.current_key_id(), "dev-1");
        let e = config(&[("PHI_ENCRYPTION_KEYS", &format!("k:{key}"))]).unwrap_err();
        assert!(e.to_string().contains("or neither"), "{e}");
        let e = config(&[
            ("PHI_ENCRYPTION_KEYS", "k:short"),
            ("PHI_INDEX_KEY", &"cd".repeat(32)),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("32 bytes"), "{e}");
        let e = config(&[
            ("CARETHREAD_ENV", "production"),
            ("PUBLIC_URL", "https://care.example.org"),
            ("DATABASE_URL", "postgres://admin:pw@db/ct"),
            ("APP_DATABASE_URL", "postgres://carethread_app:pw@db/ct"),
            (
                "WORKER_DATABASE_URL",
                "postgres://carethread_worker:pw@db/ct",
            ),
            ("SMTP_URL", "smtp://mail.example.org:587"),
            ("SANDBOX_PSEUDONYM_KEY", &"ef".repeat(32)),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("PHI_ENCRYPTION_KEYS"), "{e}");
    }

    #[test]
    fn secrets_never_print() {
        let c = config(&[
            ("DATABASE_URL", "postgres://admin:hunter2@db/ct"),
            (
                "APP_DATABASE_URL",
                "postgres://carethread_app:hunter3@db/ct",
            ),
            (
                "WORKER_DATABASE_URL",
                "postgres://carethread_worker:hunter4@db/ct",
            ),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("hunter"), "{printed}");
    }

    #[test]
    fn session_and_lockout_limits_are_configurable_in_minutes() {
        let c = config(&[("SESSION_IDLE_MINUTES", "5"), ("LOCKOUT_THRESHOLD", "3")]).unwrap();
        assert_eq!(c.auth.session_idle, Duration::from_secs(300));
        assert_eq!(c.auth.lockout_threshold, 3);
        assert_eq!(c.auth.session_absolute, Duration::from_secs(12 * 3600));
        let e = config(&[("SESSION_IDLE_MINUTES", "0")]).unwrap_err();
        assert!(e.to_string().contains("SESSION_IDLE_MINUTES"));
    }

    #[test]
    fn mail_defaults_to_the_local_sink_in_development_only() {
        let c = config(&[]).unwrap();
        assert!(c.mail.smtp_url.is_none());
        assert_eq!(c.mail.from, "Carethread <no-reply@127.0.0.1>");
        let e = config(&[
            ("CARETHREAD_ENV", "production"),
            ("PUBLIC_URL", "https://care.example.org"),
            ("DATABASE_URL", "postgres://a:b@db/ct"),
            ("APP_DATABASE_URL", "postgres://carethread_app:b@db/ct"),
            (
                "WORKER_DATABASE_URL",
                "postgres://carethread_worker:b@db/ct",
            ),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("SMTP_URL"));
    }

    #[test]
    fn production_pays_through_stripe_and_the_booking_policy_is_configurable() {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        let phi = format!("2026-11:{key}");
        let index = "cd".repeat(32);
        let pseudonym = "ef".repeat(32);
        let mut production = vec![
            ("CARETHREAD_ENV", "production"),
            ("PUBLIC_URL", "https://care.example.org"),
            ("DATABASE_URL", "postgres://a:b@db/ct"),
            ("APP_DATABASE_URL", "postgres://carethread_app:b@db/ct"),
            (
                "WORKER_DATABASE_URL",
                "postgres://carethread_worker:b@db/ct",
            ),
            ("SMTP_URL", "smtp://mail.example.org:587"),
            ("SANDBOX_PSEUDONYM_KEY", &pseudonym),
            ("PHI_ENCRYPTION_KEYS", &phi),
            ("PHI_INDEX_KEY", &index),
        ];
        let e = config(&production).unwrap_err();
        assert!(e.to_string().contains("PAYMENTS_PROCESSOR"), "{e}");
        production.push(("PAYMENTS_PROCESSOR", "stripe"));
        let e = config(&production).unwrap_err();
        assert!(e.to_string().contains("STRIPE_SECRET_KEY"), "{e}");
        production.push(("STRIPE_SECRET_KEY", "sk_live_secret"));
        let c = config(&production).unwrap();
        assert!(matches!(
            c.payments.processor,
            ProcessorChoice::Stripe { .. }
        ));
        assert!(!format!("{c:?}").contains("sk_live_secret"));
        let c = config(&[
            ("PAYMENT_REVIEW_SECS", "3600"),
            ("LATE_CANCEL_FEE_CENTS", "0"),
        ])
        .unwrap();
        assert_eq!(
            (c.payments.review_secs, c.payments.late_cancel_fee_cents),
            (3600, 0)
        );
        assert_eq!(c.payments.hold_secs, 600);
        let e = config(&[("PAYMENT_REVIEW_SECS", "two days")]).unwrap_err();
        assert!(e.to_string().contains("PAYMENT_REVIEW_SECS"));
    }

    #[test]
    fn bad_values_are_named() {
        let e = config(&[("EMBEDDED_PG_PORT", "lots")]).unwrap_err();
        assert!(e.to_string().contains("EMBEDDED_PG_PORT"));
        let e = config(&[("HEALTH_PROBE_INTERVAL_SECS", "0")]).unwrap_err();
        assert!(e.to_string().contains("HEALTH_PROBE_INTERVAL_SECS"));
        let e = config(&[("AUDIT_CHECKPOINT_INTERVAL_SECS", "5")]).unwrap_err();
        assert!(e.to_string().contains("AUDIT_CHECKPOINT_INTERVAL_SECS"));
        let e = config(&[("AUDIT_CHECKPOINT_PUBLIC_KEY", "not-a-key")]).unwrap_err();
        assert!(e.to_string().contains("AUDIT_CHECKPOINT_PUBLIC_KEY"));
        let e = config(&[("DATABASE_STATEMENT_TIMEOUT_MS", "0")]).unwrap_err();
        assert!(e.to_string().contains("DATABASE_STATEMENT_TIMEOUT_MS"));
        let c = config(&[("DATABASE_STATEMENT_TIMEOUT_MS", "2500")]).unwrap();
        assert_eq!(c.db_pool.statement_timeout, Duration::from_millis(2500));
    }

    #[test]
    fn audit_checkpoints_are_off_until_a_key_is_configured() {
        let c = config(&[]).unwrap();
        assert!(c.audit.signing_key_path.is_none());
        assert!(c.audit.public_keys.is_empty());
        assert_eq!(c.audit.checkpoint_interval, Duration::from_secs(3600));
        // RFC 8032, test 1.
        let one = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
        let c = config(&[
            ("AUDIT_SIGNING_KEY_PATH", "/etc/carethread/audit.pem"),
            ("AUDIT_CHECKPOINT_PUBLIC_KEY", &format!("{one}, {one}")),
            ("AUDIT_CHECKPOINT_INTERVAL_SECS", "600"),
        ])
        .unwrap();
        assert_eq!(
            c.audit.signing_key_path.as_deref(),
            Some(std::path::Path::new("/etc/carethread/audit.pem"))
        );
        assert_eq!(c.audit.public_keys.len(), 2);
        assert_eq!(c.audit.checkpoint_interval, Duration::from_secs(600));
    }

    #[test]
    fn backups_need_a_real_recipient_and_default_to_daily() {
        let e = config(&[("BACKUP_AGE_RECIPIENT", "not-a-key")]).unwrap_err();
        assert!(e.to_string().contains("BACKUP_AGE_RECIPIENT"), "{e}");
        let c = config(&[]).unwrap();
        assert_eq!(c.backup.recipient, None);
        assert_eq!(c.backup.interval, Duration::from_secs(24 * 3600));
        assert!(config(&[("BACKUP_INTERVAL_HOURS", "0")]).is_err());
    }
}
