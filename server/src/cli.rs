//! The command line: `server` (serve), `server migrate`, `server db
//! start|stop|destroy|dir` for the embedded development cluster, and the
//! operator's `server admin create` and `server audit verify|checkpoint|keygen`.

use crate::config::{Config, DatabaseSource, Secret};
use crate::db::DatabaseUrls;
use crate::embedded_pg::EmbeddedPg;
use crate::mail::sink::Mailbox;
use crate::mail::worker::Mailer;
use crate::{
    audit_anchor, background, db, demo, jobs, mail, operator, routes, telemetry, webhooks,
};
use anyhow::{Context, Result};
use app::auth::hashing::PasswordHasher;
use app::state::{AppState, Settings};
use clap::{Parser, Subcommand};
use leptos::config::{Env, LeptosOptions};
use sqlx::Connection as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Carethread: care coordination for home health"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and API (the default).
    Serve {
        /// Create the demo organizations and accounts first (development
        /// only; see the README for the accounts).
        #[arg(long)]
        demo: bool,
    },
    /// Create the roles and apply pending migrations, then exit.
    Migrate,
    /// The embedded development PostgreSQL cluster.
    #[command(subcommand)]
    Db(DbCommand),
    /// Accounts, for the operator.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The audit log, for the operator.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// API keys, for the operator (printed once; stored only as a hash).
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Encrypted backups: create, verify, restore (see the README).
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Time referral matching over many generated clinicians (see
    /// scripts/bench-matching.sh; fills the database it runs on).
    #[command(hide = true)]
    BenchMatching {
        #[arg(long, default_value_t = 100_000)]
        clinicians: u64,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Answer "hello" with axum alone on the server's runtime: the
    /// ceiling any endpoint can reach here (scripts/bench/ceiling.sh).
    #[command(hide = true)]
    BenchHello {
        #[arg(long, default_value = "127.0.0.1:3310")]
        bind: SocketAddr,
    },
    /// Serve the clinic inbox's first page written by hand (askama): the
    /// baseline of scripts/bench/inbox-vs-askama.sh, beside a `serve` on
    /// the same database (development only).
    #[command(hide = true)]
    BenchInbox {
        #[arg(long, default_value = "127.0.0.1:3311")]
        bind: SocketAddr,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform administrator. The password is read from
    /// CARETHREAD_ADMIN_PASSWORD, or asked for on standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// A live key for a clinic or referring organization.
    Create {
        /// The organization's id (see /admin/organizations).
        #[arg(long)]
        org: uuid::Uuid,
        #[arg(long)]
        name: String,
    },
    /// A sandbox key, in a sandbox organization of its own.
    Sandbox {
        #[arg(long)]
        email: String,
    },
    /// Sets an organization's rate limits (per key; live keys default to
    /// 600 a minute and 100,000 a day).
    Limits {
        #[arg(long)]
        org: uuid::Uuid,
        #[arg(long)]
        per_minute: i32,
        #[arg(long)]
        per_day: i32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk every organization's audit chain and report the first broken
    /// link of each, then check the signed checkpoints (with
    /// AUDIT_CHECKPOINT_PUBLIC_KEY or the key file's public key); exits
    /// with 1 when any chain is broken or no longer matches a checkpoint.
    Verify,
    /// Write one signed checkpoint of every chain head (needs
    /// AUDIT_SIGNING_KEY_PATH).
    Checkpoint,
    /// Write a new Ed25519 private key file (mode 0600) for
    /// AUDIT_SIGNING_KEY_PATH and print its public key.
    Keygen {
        /// Where to write the key; an existing file is never overwritten.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Dump the database, encrypted to an age recipient, into BACKUP_DIR
    /// with its manifest; then rotate (7 daily, 4 weekly, 12 monthly).
    Create {
        /// The age public key (default: BACKUP_AGE_RECIPIENT).
        #[arg(long)]
        recipient: Option<String>,
    },
    /// Check a backup without restoring it: its SHA-256, that the
    /// identity opens it, and that the whole archive reads.
    Verify {
        #[arg(long)]
        file: std::path::PathBuf,
        /// The age identity file (kept off the server).
        #[arg(long)]
        identity: std::path::PathBuf,
    },
    /// Restore a backup into the configured database (created afresh),
    /// then check every table's rows and every audit chain.
    Restore {
        #[arg(long)]
        file: std::path::PathBuf,
        #[arg(long)]
        identity: std::path::PathBuf,
        /// Drop the existing database first (without it, an existing
        /// database is refused).
        #[arg(long)]
        replace: bool,
    },
    /// Write a new age identity file (mode 0600) and print its public key
    /// for BACKUP_AGE_RECIPIENT. Run it where the key will live.
    Keygen {
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Initialise (once) and start the cluster, create the database and
    /// apply migrations; it keeps running after this command exits.
    Start,
    /// Stop the cluster.
    Stop,
    /// Stop the cluster and delete it with all its data.
    Destroy,
    /// Print the cluster's directory (it holds `credentials.env`); it is
    /// not always `EMBEDDED_PG_DIR`, see the embedded_pg module.
    Dir,
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(config, demo).await,
        Command::Migrate => migrate_only(config).await,
        Command::Admin(AdminCommand::Create { email, name }) => {
            admin_create(config, &email, &name).await
        }
        Command::ApiKey(ApiKeyCommand::Create { org, name }) => {
            with_database(&config, async |urls| {
                let key = operator::create_api_key(&urls.admin, org, &name).await?;
                println!("{key}");
                Ok(())
            })
            .await
        }
        Command::ApiKey(ApiKeyCommand::Sandbox { email }) => {
            with_database(&config, async |urls| {
                let (org, key) = operator::create_sandbox_key(&urls.admin, &email).await?;
                eprintln!("sandbox organization {org}");
                println!("{key}");
                Ok(())
            })
            .await
        }
        Command::ApiKey(ApiKeyCommand::Limits {
            org,
            per_minute,
            per_day,
        }) => {
            with_database(&config, async |urls| {
                operator::set_rate_limits(&urls.admin, org, per_minute, per_day).await?;
                println!("{org}: {per_minute} a minute, {per_day} a day per key");
                Ok(())
            })
            .await
        }
        Command::BenchHello { bind } => crate::bench::hello(bind).await,
        Command::BenchInbox { bind } => {
            with_database(&config, async |urls| {
                anyhow::ensure!(
                    !config.production,
                    "bench-inbox is a benchmark's baseline: never in production"
                );
                let state = app_state(&config, &urls.app, false).await?;
                crate::bench::inbox::serve(state, bind).await
            })
            .await
        }
        Command::BenchMatching { clinicians, runs } => {
            with_database(&config, async |urls| {
                crate::bench::matching(urls, clinicians, runs).await
            })
            .await
        }
        Command::Audit(AuditCommand::Verify) => match audit_verify(config).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(error) => Err(error),
        },
        Command::Audit(AuditCommand::Checkpoint) => audit_checkpoint(config).await,
        Command::Audit(AuditCommand::Keygen { out }) => audit_keygen(&out),
        Command::Backup(command) => backup_command(config, command).await,
        Command::Db(DbCommand::Start) => db_start(config).await,
        Command::Db(DbCommand::Stop) => db_stop(config).await,
        Command::Db(DbCommand::Destroy) => db_destroy(config).await,
        Command::Db(DbCommand::Dir) => db_dir(config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The database this run uses, and the embedded cluster if it started one.
struct Database {
    urls: DatabaseUrls,
    embedded: Option<EmbeddedPg>,
}

async fn open_database(config: &Config) -> Result<Database> {
    match &config.database {
        DatabaseSource::External {
            admin_url,
            app_url,
            worker_url,
        } => Ok(Database {
            urls: DatabaseUrls {
                admin: admin_url.clone(),
                app: app_url.clone(),
                worker: worker_url.clone(),
            },
            embedded: None,
        }),
        DatabaseSource::Embedded(options) => {
            let pg = EmbeddedPg::start(options).await?;
            ensure_database(&pg, &options.database).await?;
            Ok(Database {
                urls: DatabaseUrls {
                    admin: pg.admin_url(&options.database),
                    app: pg.app_url(&options.database),
                    worker: pg.worker_url(&options.database),
                },
                embedded: Some(pg),
            })
        }
    }
}

/// Runs `work` with the database open and prepared, then stops an embedded
/// cluster this process started.
async fn with_database<T>(
    config: &Config,
    work: impl AsyncFnOnce(&DatabaseUrls) -> Result<T>,
) -> Result<T> {
    let database = open_database(config).await?;
    let result = async {
        db::prepare(&database.urls).await?;
        work(&database.urls).await
    }
    .await;
    if let Some(pg) = &database.embedded {
        if let Err(error) = pg.stop().await {
            tracing::warn!("could not stop embedded PostgreSQL: {error:#}");
        }
    }
    result
}

/// Creates `name` in the embedded cluster if it does not exist.
async fn ensure_database(pg: &EmbeddedPg, name: &str) -> Result<()> {
    anyhow::ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "EMBEDDED_PG_DATABASE may hold only lower-case letters, digits and underscores"
    );
    let mut conn = sqlx::PgConnection::connect(pg.admin_url("postgres").expose()).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // An identifier cannot be a bind parameter; `name` was checked above.
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

async fn migrate_only(config: Config) -> Result<()> {
    with_database(&config, async |_| Ok(())).await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn admin_create(config: Config, email: &str, name: &str) -> Result<()> {
    let password = match std::env::var("CARETHREAD_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            eprint!("Password for {email} (at least 12 characters): ");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let hasher = PasswordHasher::new(1);
    let id = with_database(&config, async |urls| {
        operator::create_platform_admin(&urls.admin, &hasher, email, name, &password).await
    })
    .await?;
    println!("created platform administrator {email} ({id})");
    Ok(())
}

/// Prints each chain's verdict, then the checkpoints'; whether every chain
/// is intact and matches every signed checkpoint.
async fn audit_verify(config: Config) -> Result<bool> {
    // The key file is only read for its public key; a verifier may hold
    // the public key alone (AUDIT_CHECKPOINT_PUBLIC_KEY).
    let mut keys = config.audit.public_keys.clone();
    if let Some(path) = &config.audit.signing_key_path {
        keys.push(audit_anchor::Signer::load(path)?.verifying_key());
    }
    let keyring = audit_anchor::Keyring::new(keys);
    let (reports, anchor) = with_database(&config, async |urls| {
        let reports = operator::verify_all(&urls.admin).await?;
        let anchor = if keyring.is_empty() {
            None
        } else {
            let mut conn = sqlx::PgConnection::connect(urls.admin.expose())
                .await
                .context("cannot connect with DATABASE_URL")?;
            Some(audit_anchor::verify(&mut conn, &keyring).await?)
        };
        Ok((reports, anchor))
    })
    .await?;
    let mut intact = true;
    for r in &reports {
        match (&r.status.first_broken_seq, &r.status.problem) {
            (None, _) => println!("ok      {} ({} events)", r.organization, r.status.events),
            (Some(seq), problem) => {
                intact = false;
                println!(
                    "BROKEN  {} at event {seq}: {}",
                    r.organization,
                    problem.as_deref().unwrap_or("unknown problem")
                );
            }
        }
    }
    let Some(anchor) = anchor else {
        println!(
            "checkpoints not checked: set AUDIT_CHECKPOINT_PUBLIC_KEY (or AUDIT_SIGNING_KEY_PATH)"
        );
        return Ok(intact);
    };
    for problem in &anchor.problems {
        println!("{problem}");
    }
    let keys = keyring.ids().join(", ");
    match anchor.newest {
        None if anchor.checkpoints == 0 => {
            println!("no checkpoints yet: run `server audit checkpoint`");
        }
        None => println!(
            "none of {} checkpoints verifies with key {keys}",
            anchor.checkpoints
        ),
        Some((number, at)) => println!(
            "{} of {} checkpoints verified with key {keys}; the newest is #{number} ({at}){}",
            anchor.verified,
            anchor.checkpoints,
            if anchor.intact() {
                "; every signed chain head matches"
            } else {
                ""
            }
        ),
    }
    Ok(intact && anchor.intact())
}

/// Writes one checkpoint with the configured key and prints a summary.
async fn audit_checkpoint(config: Config) -> Result<()> {
    let Some(path) = &config.audit.signing_key_path else {
        anyhow::bail!(
            "`server audit checkpoint` needs AUDIT_SIGNING_KEY_PATH (see `server audit keygen`)"
        );
    };
    let signer = audit_anchor::Signer::load(path)?;
    let written = with_database(&config, async |urls| {
        let mut conn = sqlx::PgConnection::connect(urls.admin.expose())
            .await
            .context("cannot connect with DATABASE_URL")?;
        audit_anchor::checkpoint(&mut conn, &signer).await
    })
    .await?;
    println!(
        "checkpoint #{} at {}: {} chains, signed with key {}; payload sha256 {}",
        written.number, written.created_at, written.chains, written.key_id, written.payload_sha256
    );
    Ok(())
}

/// Writes a new key file and prints its public key (standard output) and
/// what to do with both (standard error).
fn audit_keygen(out: &std::path::Path) -> Result<()> {
    let public = audit_anchor::keygen(out)?;
    eprintln!(
        "wrote {} (mode 0600), key id {}: set AUDIT_SIGNING_KEY_PATH to it, keep it off the \
         database server, and give verifiers the public key as AUDIT_CHECKPOINT_PUBLIC_KEY:",
        out.display(),
        audit_anchor::key_id(&public)
    );
    println!("{}", audit_anchor::encode_public_key(&public));
    Ok(())
}

async fn backup_command(config: Config, command: BackupCommand) -> Result<()> {
    // The audit checkpoint key signs manifests; its public keys check them.
    let signer = match &config.audit.signing_key_path {
        Some(path) => Some(audit_anchor::Signer::load(path)?),
        None => None,
    };
    let mut keys = config.audit.public_keys.clone();
    if let Some(signer) = &signer {
        keys.push(signer.verifying_key());
    }
    let keys = audit_anchor::Keyring::new(keys);
    let unsigned_note = |signed: bool| {
        if !signed {
            eprintln!(
                "warning: the manifest is not signed and no checkpoint keys are configured: \
                 nothing proves who made this backup (see the README, Backups)"
            );
        }
    };
    match command {
        BackupCommand::Keygen { out } => {
            let public = crate::backup::keygen(&out)?;
            eprintln!(
                "wrote {} (mode 0600): keep it off the server; set BACKUP_AGE_RECIPIENT to:",
                out.display()
            );
            println!("{public}");
            Ok(())
        }
        BackupCommand::Create { recipient } => {
            let recipient = recipient
                .or(config.backup.recipient.clone())
                .context("set BACKUP_AGE_RECIPIENT or pass --recipient")?;
            let dir = config.backup.dir.clone();
            let made = with_database(&config, async |urls| {
                crate::backup::create(
                    &urls.admin,
                    &dir,
                    &recipient,
                    signer.as_ref(),
                    time::OffsetDateTime::now_utc(),
                )
                .await
            })
            .await?;
            println!(
                "{} ({} bytes, SHA-256 {}, {} tables)",
                dir.join(&made.file).display(),
                made.bytes,
                made.sha256,
                made.row_counts.len()
            );
            Ok(())
        }
        BackupCommand::Verify { file, identity } => {
            let (manifest, bytes) = crate::backup::verify(&file, &identity, &keys).await?;
            unsigned_note(manifest.signature.is_some());
            println!(
                "{}: intact, opens with this identity, the whole archive reads ({bytes} bytes); made {} of {}",
                file.display(),
                manifest.created_at,
                manifest.database
            );
            Ok(())
        }
        BackupCommand::Restore {
            file,
            identity,
            replace,
        } => {
            let database = open_database(&config).await?;
            let mut maintenance = url::Url::parse(database.urls.admin.expose())?;
            let name = maintenance.path().trim_start_matches('/').to_owned();
            maintenance.set_path("/postgres");
            let started = std::time::Instant::now();
            let restored = crate::backup::restore(
                &crate::secret::Secret::new(maintenance.to_string()),
                &name,
                &file,
                &identity,
                &keys,
                replace,
            )
            .await;
            if let Some(pg) = &database.embedded {
                pg.stop().await.ok();
            }
            let restored = restored?;
            unsigned_note(restored.manifest.signature.is_some());
            anyhow::ensure!(
                restored.mismatched.is_empty(),
                "restored, but these tables' rows differ from the manifest: {:?}",
                restored.mismatched
            );
            anyhow::ensure!(
                restored.broken_chains.is_empty(),
                "restored, but these audit chains do not verify: {:?}",
                restored.broken_chains
            );
            println!(
                "restored {} into {name} in {:.1} s: {} tables' rows match the manifest; every audit chain verifies",
                file.display(),
                started.elapsed().as_secs_f64(),
                restored.manifest.row_counts.len()
            );
            Ok(())
        }
    }
}

async fn db_start(config: Config) -> Result<()> {
    anyhow::ensure!(
        matches!(config.database, DatabaseSource::Embedded(_)),
        "`server db start` manages the embedded cluster; unset DATABASE_URL to use it"
    );
    let database = open_database(&config).await?;
    db::prepare(&database.urls).await?;
    if let Some(pg) = &database.embedded {
        println!(
            "embedded PostgreSQL is running on 127.0.0.1:{}; credentials are in {}",
            pg.port(),
            pg.root().join("credentials.env").display()
        );
    }
    Ok(())
}

async fn db_stop(config: Config) -> Result<()> {
    let DatabaseSource::Embedded(options) = &config.database else {
        anyhow::bail!("`server db stop` manages the embedded cluster; DATABASE_URL is set");
    };
    EmbeddedPg::locate(options).await?.stop_now().await
}

async fn db_dir(config: Config) -> Result<()> {
    let DatabaseSource::Embedded(options) = &config.database else {
        anyhow::bail!("`server db dir` is about the embedded cluster; DATABASE_URL is set");
    };
    println!("{}", EmbeddedPg::locate(options).await?.root().display());
    Ok(())
}

async fn db_destroy(config: Config) -> Result<()> {
    let DatabaseSource::Embedded(options) = &config.database else {
        anyhow::bail!("`server db destroy` manages the embedded cluster; DATABASE_URL is set");
    };
    EmbeddedPg::destroy(options).await
}

/// The Leptos options for serving: the file names cargo-leptos produced.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("carethread")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(config.bind_addr)
        .env(if config.production {
            Env::PROD
        } else {
            Env::DEV
        })
        .build()
}

/// The application state for `config`, over an application-role pool.
pub async fn app_state(config: &Config, app_url: &Secret, dev_mailbox: bool) -> Result<AppState> {
    let pool = db::app_pool(app_url, config.db_pool).await?;
    Ok(AppState {
        leptos_options: leptos_options(config),
        processor: crate::payments::request_processor(
            &config.payments.processor,
            app_url,
            config.db_pool,
        )?,
        pool,
        settings: Arc::new(Settings {
            public_url: config.public_url.clone(),
            production: config.production,
            auth: config.auth.clone(),
            dev_mailbox,
            webhooks: config.webhooks,
            trusted_proxies: config.trusted_proxies.clone(),
            pseudonym_key: config.pseudonym_key.0,
            vault: config.vault.clone(),
        }),
        hasher: PasswordHasher::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        ),
    })
}

/// In development with no SMTP server configured: the local sink, and
/// where it listens.
async fn start_dev_sink(config: &Config) -> Option<(Mailbox, SocketAddr)> {
    if config.production || config.mail.smtp_url.is_some() {
        return None;
    }
    let mailbox = Mailbox::default();
    match mail::sink::start(config.mail.sink_addr, mailbox.clone()).await {
        Ok(addr) => {
            tracing::info!(
                "development SMTP sink on {addr}: read mail at {}/dev/mail",
                config.public_url
            );
            Some((mailbox, addr))
        }
        Err(error) => {
            tracing::warn!(
                %error,
                "could not start the development SMTP sink on {}; mail stays queued",
                config.mail.sink_addr
            );
            None
        }
    }
}

async fn serve(config: Config, demo: bool) -> Result<()> {
    anyhow::ensure!(
        !(demo && config.production),
        "--demo creates accounts with a published password: never in production"
    );
    with_database(&config, async |urls| {
        let sink = start_dev_sink(&config).await;
        let state = app_state(&config, &urls.app, sink.is_some()).await?;
        if demo {
            demo::seed(&urls.admin, &state.hasher, &state.settings.vault).await?;
        }
        let checkpoints = match &config.audit.signing_key_path {
            Some(path) => Some(audit_anchor::Checkpointer {
                signer: Arc::new(audit_anchor::Signer::load(path)?),
                every: config.audit.checkpoint_interval,
            }),
            None => {
                if config.production {
                    tracing::warn!(
                        "AUDIT_SIGNING_KEY_PATH is unset: the audit log is not anchored by \
                         signed checkpoints"
                    );
                }
                None
            }
        };
        let backup_signer = checkpoints.as_ref().map(|c| c.signer.clone());
        let mailer = match Mailer::from_config(&config.mail, sink.as_ref().map(|s| s.1)) {
            Ok(mailer) => Some(mailer),
            Err(error) => {
                tracing::warn!("mail will stay queued: {error:#}");
                None
            }
        };
        crate::payments::apply_policy(urls.admin.expose(), &config.payments).await?;
        let (stop_jobs, jobs_shutdown) = jobs::Shutdown::channel();
        let worker_pool = db::worker_pool(&urls.worker, jobs::WORKER_POOL_CONNECTIONS).await?;
        let runner =
            background::runner(
                worker_pool.clone(),
                background::Work {
                    processor: crate::payments::processor(&config.payments, worker_pool)?,
                    vault: state.settings.vault.clone(),
                    app_pool: state.pool.clone(),
                    public_url: config.public_url.clone(),
                    mailer,
                    webhooks: webhooks::Sender::new(config.webhooks)?,
                    probe_every: config.probe_interval,
                    checkpoints,
                    backup: config.backup.recipient.clone().map(|recipient| {
                        crate::backup::Scheduled {
                            admin_url: urls.admin.clone(),
                            signer: backup_signer.clone(),
                            dir: config.backup.dir.clone(),
                            recipient,
                            every: config.backup.interval,
                        }
                    }),
                },
            )
            .spawn(jobs_shutdown);
        let router = routes::router(state, sink.map(|s| s.0));
        let listener = tokio::net::TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        tracing::info!("Carethread is listening on {}", config.public_url);
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // The runner stops claiming while requests drain; running jobs
            // finish (or are put back) before the process ends.
            let _ = stop_jobs.send(true);
        })
        .await?;
        if let Err(error) = runner.await {
            tracing::warn!(%error, "the job runner ended badly");
        }
        anyhow::Ok(())
    })
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
