//! The embedded development database: a private PostgreSQL cluster under
//! the project's `target/` directory, built from the machine's PostgreSQL
//! binaries, so a first run needs no database set-up.
//!
//! Policy:
//! - Initialised once (`initdb`), then reused; the server stops it on
//!   shutdown only if this process started it.
//! - Listens on 127.0.0.1 only, no Unix socket, with SCRAM passwords that
//!   are generated at initialisation and kept in `credentials.env` (mode
//!   0600) beside the data directory, never printed.
//! - PostgreSQL refuses to run as root; when the server runs as root the
//!   cluster runs as an unprivileged user (`postgres` by default) through
//!   `runuser`. If that user cannot reach `target/` (a checkout under
//!   `/root`, say), the cluster lives in a per-checkout directory under the
//!   system temp directory instead, and the log says where.
//! - Development and tests only: production configuration refuses it.

use crate::config::{EmbeddedOptions, Secret};
use anyhow::{bail, Context, Result};
use rand::distr::{Alphanumeric, SampleString};
use std::ffi::OsString;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;

/// The bootstrap superuser of the embedded cluster.
pub const ADMIN_USER: &str = "postgres";

pub struct EmbeddedPg {
    root: PathBuf,
    data_dir: PathBuf,
    port: u16,
    bin_dir: PathBuf,
    os_user: Option<String>,
    credentials: Credentials,
    started_here: bool,
}

/// The generated passwords of the cluster's roles, kept in `credentials.env`.
#[derive(Clone)]
struct Credentials {
    admin: Secret,
    app: Secret,
    worker: Secret,
}

impl Credentials {
    fn generate() -> Self {
        Self {
            admin: Secret::new(random_password()),
            app: Secret::new(random_password()),
            worker: Secret::new(random_password()),
        }
    }
}

impl EmbeddedPg {
    /// Finds the cluster's directory and credentials without starting it.
    pub async fn locate(options: &EmbeddedOptions) -> Result<Self> {
        let bin_dir = find_bin_dir(options.bin_dir.as_deref())?;
        let os_user = running_as_root().then(|| options.os_user.clone());
        let root = resolve_root(&options.root, os_user.as_deref()).await?;
        let data_dir = root.join("data");
        let mut pg = Self {
            root,
            data_dir,
            port: options.port,
            bin_dir,
            os_user,
            credentials: Credentials::generate(),
            started_here: false,
        };
        if pg.initialised() {
            pg.credentials = read_credentials(&pg.credentials_path()).with_context(|| {
                format!(
                    "the embedded cluster in {} has no readable credentials.env; \
                     delete that directory (`server db destroy`) to re-initialise it",
                    pg.root.display()
                )
            })?;
        }
        Ok(pg)
    }

    /// Initialises the cluster if needed and starts it unless it is running.
    pub async fn start(options: &EmbeddedOptions) -> Result<Self> {
        let mut pg = Self::locate(options).await?;
        if !pg.initialised() {
            pg.credentials = Credentials::generate();
            pg.initdb().await?;
            write_credentials(&pg.credentials_path(), &pg.credentials)?;
        }
        if pg.is_running().await {
            tracing::info!(
                port = pg.port,
                "embedded PostgreSQL already running; reusing it"
            );
        } else {
            pg.pg_start(options.ephemeral).await?;
            pg.started_here = true;
            tracing::info!(port = pg.port, dir = %pg.root.display(), "embedded PostgreSQL started");
        }
        Ok(pg)
    }

    /// Stops the cluster if it runs and deletes it with all its data.
    pub async fn destroy(options: &EmbeddedOptions) -> Result<()> {
        let pg = Self::locate(options).await?;
        if pg.initialised() && pg.is_running().await {
            pg.stop_now().await?;
        }
        std::fs::remove_dir_all(&pg.root)
            .with_context(|| format!("cannot remove {}", pg.root.display()))?;
        tracing::info!(dir = %pg.root.display(), "embedded PostgreSQL removed");
        Ok(())
    }

    fn initialised(&self) -> bool {
        self.data_dir.join("PG_VERSION").exists()
    }

    fn credentials_path(&self) -> PathBuf {
        self.root.join("credentials.env")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where the cluster lives (normally `target/pg`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A superuser connection to `database`.
    pub fn admin_url(&self, database: &str) -> Secret {
        Secret::new(format!(
            "postgres://{ADMIN_USER}:{}@127.0.0.1:{}/{database}",
            self.credentials.admin.expose(),
            self.port
        ))
    }

    /// The application role's connection to `database`.
    pub fn app_url(&self, database: &str) -> Secret {
        Secret::new(format!(
            "postgres://{}:{}@127.0.0.1:{}/{database}",
            crate::db::APP_ROLE,
            self.credentials.app.expose(),
            self.port
        ))
    }

    /// The background worker role's connection to `database`.
    pub fn worker_url(&self, database: &str) -> Secret {
        Secret::new(format!(
            "postgres://{}:{}@127.0.0.1:{}/{database}",
            crate::db::WORKER_ROLE,
            self.credentials.worker.expose(),
            self.port
        ))
    }

    /// Stops the cluster if this process started it.
    pub async fn stop(&self) -> Result<()> {
        if !self.started_here {
            return Ok(());
        }
        self.stop_now().await
    }

    /// Stops the cluster whoever started it (`server db stop`); a cluster
    /// that is not running is left as it is.
    pub async fn stop_now(&self) -> Result<()> {
        if !self.initialised() || !self.is_running().await {
            return Ok(());
        }
        let data = self.data_dir.as_os_str().to_owned();
        self.run(
            "pg_ctl",
            &[
                "-D".into(),
                data,
                "-m".into(),
                "fast".into(),
                "-w".into(),
                "stop".into(),
            ],
        )
        .await?;
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }

    async fn is_running(&self) -> bool {
        // The postmaster's pid file, read directly when we can: asking
        // `pg_ctl status` through `runuser` can fail on a loaded machine,
        // and a cluster wrongly thought stopped is started twice.
        if let Ok(pid_file) = std::fs::read_to_string(self.data_dir.join("postmaster.pid")) {
            if let Some(pid) = pid_file
                .lines()
                .next()
                .and_then(|l| l.trim().parse::<u32>().ok())
            {
                return std::path::Path::new(&format!("/proc/{pid}")).exists();
            }
        }
        let data = self.data_dir.as_os_str().to_owned();
        self.run("pg_ctl", &["-D".into(), data, "status".into()])
            .await
            .is_ok()
    }

    async fn initdb(&self) -> Result<()> {
        std::fs::create_dir_all(&self.data_dir)?;
        std::fs::set_permissions(&self.data_dir, std::fs::Permissions::from_mode(0o700))?;
        let pwfile = self.root.join(".initdb-password");
        {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&pwfile)?;
            writeln!(f, "{}", self.credentials.admin.expose())?;
        }
        if let Some(user) = &self.os_user {
            chown(user, &self.data_dir).await?;
            chown(user, &pwfile).await?;
        }
        let mut pwarg = OsString::from("--pwfile=");
        pwarg.push(&pwfile);
        let result = self
            .run(
                "initdb",
                &[
                    "-D".into(),
                    self.data_dir.as_os_str().to_owned(),
                    "-U".into(),
                    ADMIN_USER.into(),
                    pwarg,
                    "--auth=scram-sha-256".into(),
                    "--encoding=UTF8".into(),
                    "--no-locale".into(),
                    "--no-instructions".into(),
                ],
            )
            .await;
        let _ = std::fs::remove_file(&pwfile);
        result.context("initdb failed")?;
        tracing::info!(dir = %self.data_dir.display(), "embedded PostgreSQL initialised");
        Ok(())
    }

    async fn pg_start(&self, ephemeral: bool) -> Result<()> {
        // Loopback only, no Unix socket (path-length limits and socket
        // directory permissions are not worth the trouble here).
        let mut server_options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
             -c max_connections=200 -c synchronous_commit=off",
            self.port
        );
        if ephemeral {
            // Test clusters are thrown away: durability buys nothing.
            server_options.push_str(" -c fsync=off -c full_page_writes=off");
        }
        let log = self.data_dir.join("server.log");
        let result = self
            .run(
                "pg_ctl",
                &[
                    "-D".into(),
                    self.data_dir.as_os_str().to_owned(),
                    "-l".into(),
                    log.as_os_str().to_owned(),
                    "-w".into(),
                    "-t".into(),
                    "60".into(),
                    "-o".into(),
                    server_options.into(),
                    "start".into(),
                ],
            )
            .await;
        if let Err(error) = result {
            let tail = std::fs::read_to_string(&log)
                .map(|s| {
                    s.lines()
                        .rev()
                        .take(8)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            bail!(
                "could not start embedded PostgreSQL on port {}: {error}\n{tail}",
                self.port
            );
        }
        Ok(())
    }

    /// Runs a PostgreSQL tool, as the unprivileged user when we are root.
    async fn run(&self, tool: &str, args: &[OsString]) -> Result<()> {
        let program = self.bin_dir.join(tool);
        let mut command = match &self.os_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(&program);
                c
            }
            None => Command::new(&program),
        };
        // The unprivileged user may not be able to read our working directory.
        command
            .args(args)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = command
            .output()
            .await
            .with_context(|| format!("could not run {}", program.display()))?;
        if !output.status.success() {
            bail!(
                "{tool} exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }
}

/// PostgreSQL's `bin` directory: the configured one, or the newest under
/// `/usr/lib/postgresql/*/bin` (Debian's layout), or the one `pg_config`
/// reports.
pub fn find_bin_dir(configured: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = configured {
        if dir.join("initdb").exists() {
            return Ok(dir.to_owned());
        }
        bail!("PG_BIN_DIR {} has no initdb", dir.display());
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    if let Some((_, bin)) = candidates.pop() {
        return Ok(bin);
    }
    if let Ok(output) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    bail!(
        "no PostgreSQL server binaries found: install them (`apt-get install postgresql`) \
         or set PG_BIN_DIR, or set DATABASE_URL to use an existing server"
    )
}

/// Whether this process runs as root (PostgreSQL will not).
fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    let euid = unsafe { libc::geteuid() };
    euid == 0
}

/// The absolute directory for the cluster, created if missing and reachable
/// by `os_user` when there is one.
async fn resolve_root(configured: &Path, os_user: Option<&str>) -> Result<PathBuf> {
    std::fs::create_dir_all(configured)
        .with_context(|| format!("cannot create {}", configured.display()))?;
    let root = configured.canonicalize()?;
    let Some(user) = os_user else {
        return Ok(root);
    };
    // A cluster already lives here: the user reached it before. (Asking
    // again through `runuser` can fail on a loaded machine, and a wrong
    // "no" would start a second cluster elsewhere on the same port.)
    if root.join("data").join("PG_VERSION").exists() || user_can_reach(user, &root).await {
        return Ok(root);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    root.hash(&mut hasher);
    let fallback = std::env::temp_dir().join(format!("carethread-pg-{:016x}", hasher.finish()));
    std::fs::create_dir_all(&fallback)?;
    std::fs::set_permissions(&fallback, std::fs::Permissions::from_mode(0o755))?;
    tracing::warn!(
        wanted = %root.display(),
        using = %fallback.display(),
        "the PostgreSQL user cannot reach the project directory; using a directory under the system temp dir"
    );
    Ok(fallback)
}

async fn user_can_reach(user: &str, dir: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", user, "--", "test", "-x"])
        .arg(dir)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .map(|s| s.success())
        .unwrap_or(false)
}

async fn chown(user: &str, path: &Path) -> Result<()> {
    let status = Command::new("chown")
        .arg(format!("{user}:"))
        .arg(path)
        .status()
        .await?;
    if !status.success() {
        bail!("could not give {} to {user}", path.display());
    }
    Ok(())
}

fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

fn write_credentials(path: &Path, credentials: &Credentials) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(
        f,
        "# Generated for the embedded development cluster beside this file. Local only.\n\
         EMBEDDED_PG_ADMIN_PASSWORD={}\nEMBEDDED_PG_APP_PASSWORD={}\nEMBEDDED_PG_WORKER_PASSWORD={}",
        credentials.admin.expose(),
        credentials.app.expose(),
        credentials.worker.expose()
    )?;
    Ok(())
}

/// Reads `credentials.env`. A cluster made before the worker role existed
/// gets a worker password now (written back), since roles' passwords are
/// set on every start.
fn read_credentials(path: &Path) -> Result<Credentials> {
    let text = std::fs::read_to_string(path)?;
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(|v| Secret::new(v.trim()))
    };
    let missing = |key: &str| format!("{key} missing from {}", path.display());
    let mut credentials = Credentials {
        admin: value("EMBEDDED_PG_ADMIN_PASSWORD")
            .with_context(|| missing("EMBEDDED_PG_ADMIN_PASSWORD"))?,
        app: value("EMBEDDED_PG_APP_PASSWORD")
            .with_context(|| missing("EMBEDDED_PG_APP_PASSWORD"))?,
        worker: Secret::new(""),
    };
    match value("EMBEDDED_PG_WORKER_PASSWORD") {
        Some(worker) => credentials.worker = worker,
        None => {
            credentials.worker = Secret::new(random_password());
            write_credentials(path, &credentials)?;
        }
    }
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_with_private_permissions() {
        let dir = std::env::temp_dir().join(format!("ct-cred-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials.env");
        let credentials = Credentials {
            admin: Secret::new("adminpw"),
            app: Secret::new("apppw"),
            worker: Secret::new("workerpw"),
        };
        write_credentials(&path, &credentials).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let read = read_credentials(&path).unwrap();
        assert_eq!(read.admin.expose(), "adminpw");
        assert_eq!(read.app.expose(), "apppw");
        assert_eq!(read.worker.expose(), "workerpw");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_older_file_without_a_worker_password_gets_one() {
        let dir = std::env::temp_dir().join(format!("ct-cred-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials.env");
        std::fs::write(
            &path,
            "EMBEDDED_PG_ADMIN_PASSWORD=a\nEMBEDDED_PG_APP_PASSWORD=b\n",
        )
        .unwrap();
        let first = read_credentials(&path).unwrap();
        assert_eq!(first.worker.expose().len(), 32);
        let again = read_credentials(&path).unwrap();
        assert_eq!(again.worker.expose(), first.worker.expose());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn passwords_are_long_and_url_safe() {
        let p = random_password();
        assert_eq!(p.len(), 32);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(p, random_password());
    }
}
