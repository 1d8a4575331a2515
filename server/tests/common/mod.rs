//! The integration-test harness: a real PostgreSQL (the embedded test
//! cluster under `target/pg-test`, started on first use), a fresh database
//! per test prepared by the same code as production start-up, the real
//! router served on a random local port, a real SMTP sink receiving what
//! the real mail worker sends.
//!
//! The app under test connects as `carethread_app` and the worker as
//! `carethread_worker`, so row-level security applies exactly as in
//! production. `admin()` gives a superuser connection for arranging
//! fixtures and for inspecting what the app did.
//!
//! The test client has a deadline, so a request that never finishes fails
//! its test (with the URL) instead of stalling the suite.

#![allow(dead_code, clippy::unwrap_used)]

use app::auth::hashing::PasswordHasher;
use app::auth::{NewPassword, Role};
use app::developer::destination::Policy;
use app::state::{AppState, AuthPolicy, Settings};
use server::config::{EmbeddedOptions, Secret};
use server::db::DatabaseUrls;
use server::embedded_pg::EmbeddedPg;
use server::mail::mailbox::MailView;
use server::mail::sink::Mailbox;
use server::mail::worker::Mailer;
use sqlx::{Connection, PgConnection, PgPool};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Port of the test cluster; distinct from the development cluster (5433).
const TEST_PG_PORT: u16 = 5544;

/// The password of every account the tests create with [`TestApp::user`].
pub const PASSWORD: &str = "correct horse battery staple";

struct Cluster {
    pg: EmbeddedPg,
    /// A database with every migration and the reference data applied;
    /// each test's database is a copy of it (much faster than migrating
    /// and loading 140,000 reference rows per test).
    template: String,
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();
static PASSWORD_HASH: OnceCell<String> = OnceCell::const_new();

fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn cluster() -> &'static Cluster {
    CLUSTER
        .get_or_init(|| async {
            let port = std::env::var("TEST_PG_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(TEST_PG_PORT);
            let options = EmbeddedOptions {
                root: workspace_dir().join("target/pg-test"),
                port,
                bin_dir: std::env::var("PG_BIN_DIR").ok().map(PathBuf::from),
                os_user: "postgres".into(),
                database: "postgres".into(),
                ephemeral: true,
            };
            let pg = EmbeddedPg::start(&options)
                .await
                .expect("start the embedded test PostgreSQL");
            let template = build_template(&pg).await;
            Cluster { pg, template }
        })
        .await
}

/// The template's name says what it was built from: the migrations and
/// the reference files. A change to either makes a new one.
async fn build_template(pg: &EmbeddedPg) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for dir in ["migrations", "reference"] {
        let mut files: Vec<_> = std::fs::read_dir(workspace_dir().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            hasher.update(file.file_name().unwrap().as_encoded_bytes());
            hasher.update(std::fs::read(&file).unwrap());
        }
    }
    let name = format!("ct_template_{}", &hex::encode(hasher.finalize())[..16]);
    let mut conn = PgConnection::connect(pg.admin_url("postgres").expose())
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    // Templates of earlier migrations are never used again.
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'ct\\_template\\_%' AND datname <> $1",
    )
    .bind(&name)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for db in stale {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
    if !exists {
        let building = format!("ct_building_{}", Uuid::new_v4().simple());
        sqlx::raw_sql(&format!("CREATE DATABASE {building}"))
            .execute(&mut conn)
            .await
            .unwrap();
        server::db::prepare(&DatabaseUrls {
            admin: pg.admin_url(&building),
            app: pg.app_url(&building),
            worker: pg.worker_url(&building),
        })
        .await
        .expect("roles, migrations and reference data");
        // Another test binary may have finished first: then keep theirs.
        let renamed = sqlx::raw_sql(&format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut conn)
            .await;
        if renamed.is_err() {
            sqlx::raw_sql(&format!("DROP DATABASE {building}"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
    drop_orphans(&mut conn).await;
    conn.close().await.unwrap();
    name
}

/// The argon2 hash of [`PASSWORD`], made once per test binary.
pub async fn password_hash() -> &'static str {
    PASSWORD_HASH
        .get_or_init(|| async {
            PasswordHasher::new(1)
                .hash(&NewPassword::parse(PASSWORD).unwrap())
                .await
                .unwrap()
        })
        .await
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub database: String,
    pub urls: DatabaseUrls,
    pub pool: PgPool,
    pub worker_pool: PgPool,
    pub mailer: Mailer,
    pub mailbox: Mailbox,
    pub client: reqwest::Client,
    pub policy: AuthPolicy,
    pub webhooks: Policy,
    pub tuning: Tuning,
    /// Superuser URL of the cluster's maintenance database, for dropping
    /// this test's database when the test ends.
    maintenance: Secret,
}

impl Drop for TestApp {
    /// Each test database is a full copy of the template (reference data
    /// included, tens of megabytes): keeping them would fill the disk over
    /// a run. The drop runs on a detached thread because this runtime may
    /// hold a half-open connection that PostgreSQL waits for, and blocking
    /// here would stall both; what a process leaves behind when it exits
    /// first is removed by the next test process (`drop_orphans`).
    fn drop(&mut self) {
        let url = self.maintenance.clone();
        let database = self.database.clone();
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(url.expose()).await {
                    let _ =
                        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        });
    }
}

/// Drops the test databases of test processes that have exited. Names
/// carry the owning process id (`ct_test_p<pid>_…`), so a test binary
/// running at the same time keeps its own.
async fn drop_orphans(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'ct\\_test\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    for name in names {
        let owner_alive = name
            .strip_prefix("ct_test_p")
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !owner_alive {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

#[derive(Clone, Default)]
pub struct Options {
    pub public_url: Option<String>,
    pub policy: Option<AuthPolicy>,
    /// No background mail worker: the test sends with `deliver_mail`.
    pub without_worker: bool,
    /// Where webhooks may go; by default loopback is allowed (the tests'
    /// receivers listen there) and plain HTTP too.
    pub webhooks: Option<Policy>,
    pub tuning: Tuning,
}

/// Server settings a few tests change.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    /// Proxies whose `X-Forwarded-For` is believed (none by default).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Concurrent password hashes (2 by default).
    pub hasher_permits: Option<usize>,
    /// The app pool's statement timeout (the server's default unless set).
    pub statement_timeout: Option<Duration>,
}

/// A test user: their id, address and password.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        let cluster = cluster().await;
        let database = format!(
            "ct_test_p{}_{}",
            std::process::id(),
            Uuid::new_v4().simple()
        );
        let mut conn = PgConnection::connect(cluster.pg.admin_url("postgres").expose())
            .await
            .unwrap();
        // Generated identifiers (letters, digits, underscores) for DDL,
        // which cannot take bind parameters.
        sqlx::raw_sql(&format!(
            "CREATE DATABASE {database} TEMPLATE {}",
            cluster.template
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();

        let urls = DatabaseUrls {
            admin: cluster.pg.admin_url(&database),
            app: cluster.pg.app_url(&database),
            worker: cluster.pg.worker_url(&database),
        };
        server::db::prepare(&urls)
            .await
            .expect("roles and migrations");

        let mailbox = Mailbox::default();
        let sink = server::mail::sink::start("127.0.0.1:0".parse().unwrap(), mailbox.clone())
            .await
            .unwrap();
        let mailer = Mailer::new(
            &Secret::new(format!("smtp://{sink}")),
            "Carethread <no-reply@carethread.test>",
            Duration::from_secs(1),
        )
        .unwrap();
        let worker_pool =
            server::db::worker_pool(&urls.worker, server::jobs::WORKER_POOL_CONNECTIONS)
                .await
                .unwrap();

        let policy = options.policy.clone().unwrap_or_else(|| AuthPolicy {
            // Keep reset requests quick in tests; the floor itself is tested.
            reset_request_floor: Duration::from_millis(150),
            ..AuthPolicy::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let public_url = options.public_url.clone().unwrap_or_else(|| base.clone());
        let webhooks = options.webhooks.unwrap_or(Policy {
            https_only: false,
            allow_loopback: true,
            ports: None,
        });
        if !options.without_worker {
            // The mail side of the runner, as a process with an SMTP server
            // runs it (webhooks: `webhook_worker`, per test).
            server::jobs::Runner::new(worker_pool.clone())
                .register(server::events::FanOut {
                    public_url: base.clone(),
                })
                .register(server::mail::worker::Deliver::new(mailer.clone()))
                .poll(Duration::from_millis(500))
                .spawn(server::jobs::Shutdown::channel().1);
        }
        let pool = serve(
            listener,
            &urls,
            public_url,
            policy.clone(),
            mailbox.clone(),
            webhooks,
            options.tuning.clone(),
        )
        .await;
        Self {
            addr,
            base,
            database,
            urls,
            pool,
            worker_pool,
            mailer,
            mailbox,
            client: Self::browser(),
            policy,
            webhooks,
            tuning: options.tuning.clone(),
            maintenance: cluster.pg.admin_url("postgres"),
        }
    }

    /// Another server process on the same database (a restart, or a second
    /// instance behind a load balancer): its base URL.
    pub async fn spawn_sibling(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        serve(
            listener,
            &self.urls,
            base.clone(),
            self.policy.clone(),
            self.mailbox.clone(),
            self.webhooks,
            self.tuning.clone(),
        )
        .await;
        base
    }

    /// A fresh "browser": its own cookie jar, redirects not followed, and
    /// a deadline, so a request that never finishes fails its test (with
    /// the URL) instead of stalling the suite.
    pub fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .cookie_store(true)
            .user_agent("carethread-tests/1.0")
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Calls a server function (form-encoded, as the browser does).
    pub async fn rpc(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/rpc/{endpoint}")))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs `client` in; the response of the login server function.
    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.rpc(
            client,
            "auth/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A fresh browser signed in as `email` (with [`PASSWORD`]).
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let browser = Self::browser();
        assert_eq!(
            self.login(&browser, email, PASSWORD).await.status(),
            200,
            "{email}"
        );
        browser
    }

    /// Who `client` is signed in as (the `auth/me` server function).
    pub async fn me(&self, client: &reqwest::Client) -> serde_json::Value {
        let res = self.rpc(client, "auth/me", &[]).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// A superuser connection to this test's database (bypasses RLS: for
    /// fixtures and inspection only, never for asserting isolation).
    pub async fn admin(&self) -> PgConnection {
        PgConnection::connect(self.urls.admin.expose())
            .await
            .unwrap()
    }

    /// Creates an organization (as a fixture).
    pub async fn org(&self, kind: &str, name: &str) -> Uuid {
        let mut admin = self.admin().await;
        sqlx::query_scalar(
            "INSERT INTO organizations (kind, name) VALUES ($1::text::organization_kind, $2) RETURNING id",
        )
        .bind(kind)
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap()
    }

    /// Creates an account with [`PASSWORD`] and one membership (as a
    /// fixture; `org` None means the platform).
    pub async fn user(&self, email: &str, org: Option<Uuid>, role: Role) -> TestUser {
        let mut admin = self.admin().await;
        let id = Uuid::new_v4();
        sqlx::query("INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(email)
            .bind(format!("Test {}", email.split('@').next().unwrap()))
            .execute(&mut admin)
            .await
            .unwrap();
        sqlx::query("INSERT INTO user_credentials (user_id, password_hash) VALUES ($1, $2)")
            .bind(id)
            .bind(password_hash().await)
            .execute(&mut admin)
            .await
            .unwrap();
        self.add_membership(id, org, role).await;
        TestUser {
            id,
            email: email.to_owned(),
        }
    }

    pub async fn add_membership(&self, user: Uuid, org: Option<Uuid>, role: Role) {
        let mut admin = self.admin().await;
        sqlx::query(
            "INSERT INTO memberships (organization_id, user_id, role)
             VALUES (coalesce($1, platform_org_id()), $2, $3)",
        )
        .bind(org)
        .bind(user)
        .bind(role)
        .execute(&mut admin)
        .await
        .unwrap();
    }

    /// A verified registered nurse at `zip` (skilled nursing, heart failure
    /// and diabetes experience, with a verified license in its state), in
    /// `clinic` if given.
    pub async fn verified_clinician(&self, name: &str, zip: &str, clinic: Option<Uuid>) -> Uuid {
        let mut admin = self.admin().await;
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO clinicians (id, display_name, discipline, npi, home_zip, lat, lon,
                 service_radius_miles, care_types, diagnosis_categories, available_days, open_slots,
                 verification_status, verified_at)
             SELECT $1, $2, 'rn', '1' || lpad((abs(hashtext($2)) % 1000000000)::text, 9, '0'), zip, lat, lon,
                    30, '{skilled_nursing}', '{I50,E11}', 127, 3, 'verified', now()
             FROM zip_codes WHERE zip = $3",
        )
        .bind(id)
        .bind(name)
        .bind(zip)
        .execute(&mut admin)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO clinician_licenses (clinician_id, state, number, expires_on,
                 verification_status, verified_at)
             SELECT $1, state, 'LIC-1', current_date + 400, 'verified', now()
             FROM zip_codes WHERE zip = $2",
        )
        .bind(id)
        .bind(zip)
        .execute(&mut admin)
        .await
        .unwrap();
        if let Some(clinic) = clinic {
            self.affiliate(clinic, id).await;
        }
        id
    }

    /// Affiliates the directory's `clinician` with `clinic` (its staff may
    /// then schedule them).
    pub async fn affiliate(&self, clinic: Uuid, clinician: Uuid) {
        let mut admin = self.admin().await;
        sqlx::query("INSERT INTO clinic_affiliations (clinic_id, clinician_id) VALUES ($1, $2)")
            .bind(clinic)
            .bind(clinician)
            .execute(&mut admin)
            .await
            .unwrap();
    }

    /// Files mail for new events and sends whatever is due now (the worker
    /// also does, on its own).
    pub async fn deliver_mail(&self) {
        server::jobs::Runner::new(self.worker_pool.clone())
            .register(server::events::FanOut {
                public_url: self.base.clone(),
            })
            .drain()
            .await
            .unwrap();
        server::mail::worker::deliver_due(&self.worker_pool, &self.mailer)
            .await
            .unwrap();
    }

    /// Runs the bookings' and payments' jobs that are due now (holds
    /// expiring, requests lapsing, mail, settlements), with the local
    /// processor, until none is left.
    pub async fn run_booking_jobs(&self) {
        server::jobs::Runner::new(self.worker_pool.clone())
            .register(server::payments::ExpireHold)
            .register(server::payments::Lapse)
            .register(server::payments::NoShow)
            .register(server::payments::Notify {
                public_url: self.base.clone(),
            })
            .register(server::payments::Settle {
                processor: app::payments::processor::Processor::Local(
                    app::payments::processor::local::LocalProcessor::new(self.worker_pool.clone()),
                ),
            })
            .drain()
            .await
            .unwrap();
    }

    /// The messages received for `to`, newest first.
    pub fn mail_to(&self, to: &str) -> Vec<MailView> {
        self.mailbox
            .all()
            .iter()
            .rev()
            .map(MailView::decode)
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits (up to 10 s) for a message to `to` whose subject contains
    /// `subject`.
    pub async fn wait_for_mail(&self, to: &str, subject: &str) -> MailView {
        for _ in 0..100 {
            if let Some(m) = self
                .mail_to(to)
                .into_iter()
                .find(|m| m.subject.contains(subject))
            {
                return m;
            }
            self.deliver_mail().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no mail to {to} about {subject:?}; got {:?}",
            self.mail_to(to)
        );
    }

    /// A webhook worker for this app (another "process" each call), with
    /// quick retries: 200 ms, doubling; a 2 s lease.
    pub fn webhook_worker(&self) -> tokio::task::JoinHandle<()> {
        server::jobs::Runner::new(self.worker_pool.clone())
            .register(server::events::FanOut {
                public_url: self.base.clone(),
            })
            .register(server::webhooks::Deliver::new(self.webhook_sender()))
            .lease(Duration::from_secs(2))
            .poll(Duration::from_millis(100))
            .spawn(server::jobs::Shutdown::channel().1)
    }

    pub fn webhook_sender(&self) -> server::webhooks::Sender {
        server::webhooks::Sender::new(self.webhooks)
            .unwrap()
            .with_retry_base(Duration::from_millis(200))
    }

    /// Drops this test's database while the app is connected, terminating
    /// its sessions: the database is gone for the app.
    pub async fn drop_database(&self) {
        let cluster = cluster().await;
        let mut conn = PgConnection::connect(cluster.pg.admin_url("postgres").expose())
            .await
            .unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE {} WITH (FORCE)", self.database))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

/// Serves the real router on `listener`; returns its pool.
async fn serve(
    listener: tokio::net::TcpListener,
    urls: &DatabaseUrls,
    public_url: String,
    policy: AuthPolicy,
    mailbox: Mailbox,
    webhooks: Policy,
    tuning: Tuning,
) -> PgPool {
    let addr = listener.local_addr().unwrap();
    let defaults = server::db::PoolSettings::default();
    let settings = server::db::PoolSettings {
        max_connections: 5,
        statement_timeout: tuning
            .statement_timeout
            .unwrap_or(defaults.statement_timeout),
    };
    let pool = server::db::app_pool(&urls.app, settings).await.unwrap();
    let state = AppState {
        leptos_options: leptos::config::LeptosOptions::builder()
            .output_name("carethread")
            .site_root(workspace_dir().join("target/site").display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build(),
        pool: pool.clone(),
        settings: Arc::new(Settings {
            public_url,
            production: false,
            auth: policy,
            dev_mailbox: true,
            webhooks,
            // Tests reach the server directly: no proxy is trusted unless
            // a test says so.
            trusted_proxies: tuning.trusted_proxies,
            pseudonym_key: [7; 32],
            vault: app::vault::Keyring::development(),
        }),
        hasher: PasswordHasher::new(tuning.hasher_permits.unwrap_or(2)),
        processor: server::payments::request_processor(
            &server::config::ProcessorChoice::Local,
            &urls.app,
            settings,
        )
        .unwrap(),
    };
    let router = server::routes::router(state, Some(mailbox));
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    pool
}

/// The path and query of the first link in `text` that contains `needle`.
/// `key` of each object in the JSON array `list`: the field names or
/// messages of a validation error, in order.
pub fn each(list: &serde_json::Value, key: &str) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|item| item[key].as_str().expect("a string").to_owned())
        .collect()
}

/// The current UTC minute since the epoch (the rate limiter's minute window).
pub fn utc_minute() -> i64 {
    time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .div_euclid(60)
}

/// A minute window with time to spare: when under 15 s of the current one
/// remain, waits for the next, so a handful of requests all count against
/// one window. Returns that minute.
pub async fn minute_window() -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let left = 60 - now.rem_euclid(60);
    if left < 15 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(left).unwrap() + 1)).await;
    }
    utc_minute()
}

pub fn link_in(text: &str, needle: &str) -> String {
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle:?} in {text}"));
    let path_start = url.find("://").map(|i| i + 3).unwrap();
    let path = &url[path_start..];
    path[path.find('/').unwrap()..].to_owned()
}

/// The value of the `token` query parameter in a path.
pub fn token_of(path: &str) -> String {
    path.split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

/// A family with one person to book for (Walter Booker, ZIP 43215, skilled
/// nursing), and an independent nurse acting for the platform, bookable
/// every hour of every day at `dollars` a skilled-nursing visit: all made
/// through the same server functions a family and a nurse use. For the
/// booking tests and the payout drill.
pub struct BookingWorld {
    pub family: reqwest::Client,
    /// The person's id (a care recipient of the family).
    pub recipient: String,
    pub nurse: reqwest::Client,
    pub nurse_user: Uuid,
    pub clinician: Uuid,
}

impl TestApp {
    /// Calls a server function that must answer 200; its body.
    pub async fn call(
        &self,
        who: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> String {
        let res = self.rpc(who, endpoint, form).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, 200, "{endpoint}: {body}");
        body
    }

    /// Makes `user` the account of the directory's `clinician` (the
    /// clinician signs in as them).
    pub async fn link_clinician(&self, user: Uuid, clinician: Uuid) {
        let mut admin = self.admin().await;
        sqlx::query("UPDATE clinicians SET user_id = $1 WHERE id = $2")
            .bind(user)
            .bind(clinician)
            .execute(&mut admin)
            .await
            .unwrap();
    }

    /// A [`BookingWorld`] whose accounts are named after `tag`.
    pub async fn booking_world(&self, tag: &str, dollars: i64) -> BookingWorld {
        let nurse = self
            .user(
                &format!("nurse@{tag}.test"),
                None,
                app::identity::Role::Clinician,
            )
            .await;
        let clinician = self
            .verified_clinician(&format!("Nia {tag}"), "43215", None)
            .await;
        self.link_clinician(nurse.id, clinician).await;
        let nurse_client = self.signed_in(&format!("nurse@{tag}.test")).await;
        for day in 0..7 {
            let day = day.to_string();
            let hours = [
                ("weekday", day.as_str()),
                ("start", "00:00"),
                ("end", "00:00"),
            ];
            self.call(&nurse_client, "clinician/availability/hours/add", &hours)
                .await;
        }
        let rate = dollars.to_string();
        let rates = [("rates[skilled_nursing]", rate.as_str())];
        self.call(&nurse_client, "clinician/availability/rates", &rates)
            .await;

        let family = TestApp::browser();
        let email = format!("family@{tag}.test");
        let account = [
            ("name", "Grace Booker"),
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("role", "family"),
        ];
        self.call(&family, "auth/register", &account).await;
        let signed_in = self.login(&family, &email, PASSWORD).await;
        assert_eq!(signed_in.status(), 200);
        let person = [
            ("full_name", "Walter Booker"),
            ("birth_date", "1941-02-03"),
            ("address", "9 Elm Street"),
            ("zip", "43215"),
            ("care_types[0]", "skilled_nursing"),
            ("diagnoses", "I50.9"),
            ("language", "English"),
        ];
        let recipient = self.call(&family, "family/recipients/add", &person).await;
        BookingWorld {
            family,
            recipient: serde_json::from_str(&recipient).unwrap(),
            nurse: nurse_client,
            nurse_user: nurse.id,
            clinician,
        }
    }
}
