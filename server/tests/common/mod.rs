//! The integration-test harness: a real PostgreSQL (the embedded test
//! cluster under `target/pg-test`, started on first use), a fresh database
//! per test prepared by the same code as production start-up, and the real
//! router served on a random local port.
//!
//! The app under test connects as `carethread_app`, so row-level security
//! applies exactly as in production. `admin()` gives a superuser connection
//! for arranging fixtures and for inspecting what the app did.

#![allow(dead_code, clippy::unwrap_used)]

use app::state::{AppState, Settings};
use server::config::{EmbeddedOptions, Secret};
use server::embedded_pg::EmbeddedPg;
use sqlx::{Connection, PgConnection, PgPool};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Port of the test cluster; distinct from the development cluster (5433).
const TEST_PG_PORT: u16 = 5544;

struct Cluster {
    pg: EmbeddedPg,
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();

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
            Cluster { pg }
        })
        .await
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub database: String,
    pub admin_url: Secret,
    pub app_url: Secret,
    pub pool: PgPool,
    pub client: reqwest::Client,
}

#[derive(Clone)]
pub struct Options {
    pub public_url: Option<String>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options { public_url: None }).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        let cluster = cluster().await;
        let database = format!("ct_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(cluster.pg.admin_url("postgres").expose())
            .await
            .unwrap();
        // A generated identifier (letters, digits, underscores) for DDL,
        // which cannot take bind parameters.
        sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();

        let admin_url = cluster.pg.admin_url(&database);
        let app_url = cluster.pg.app_url(&database);
        server::db::prepare(&admin_url, &app_url)
            .await
            .expect("roles and migrations");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let pool = server::db::app_pool(&app_url, 5).await.unwrap();
        let state = AppState {
            leptos_options: leptos::config::LeptosOptions::builder()
                .output_name("carethread")
                .site_root(workspace_dir().join("target/site").display().to_string())
                .site_pkg_dir("pkg")
                .site_addr(addr)
                .build(),
            pool: pool.clone(),
            settings: Arc::new(Settings {
                public_url: options.public_url.unwrap_or_else(|| base.clone()),
                production: false,
            }),
        };
        let router = server::routes::router(state);
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            addr,
            base,
            database,
            admin_url,
            app_url,
            pool,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// A superuser connection to this test's database (bypasses RLS: for
    /// fixtures and inspection only, never for asserting isolation).
    pub async fn admin(&self) -> PgConnection {
        PgConnection::connect(self.admin_url.expose())
            .await
            .unwrap()
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
