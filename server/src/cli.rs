//! The command line: `server` (serve), `server migrate`, and
//! `server db start|stop` for the embedded development cluster.

use crate::config::{Config, DatabaseSource, Secret};
use crate::embedded_pg::EmbeddedPg;
use crate::{db, probe, routes, telemetry};
use anyhow::{Context, Result};
use app::state::{AppState, Settings};
use clap::{Parser, Subcommand};
use leptos::config::{Env, LeptosOptions};
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
    Serve,
    /// Create the roles and apply pending migrations, then exit.
    Migrate,
    /// The embedded development PostgreSQL cluster.
    #[command(subcommand)]
    Db(DbCommand),
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
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate_only(config).await,
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
    admin_url: Secret,
    app_url: Secret,
    embedded: Option<EmbeddedPg>,
}

async fn open_database(config: &Config) -> Result<Database> {
    match &config.database {
        DatabaseSource::External { admin_url, app_url } => Ok(Database {
            admin_url: admin_url.clone(),
            app_url: app_url.clone(),
            embedded: None,
        }),
        DatabaseSource::Embedded(options) => {
            let pg = EmbeddedPg::start(options).await?;
            ensure_database(&pg, &options.database).await?;
            Ok(Database {
                admin_url: pg.admin_url(&options.database),
                app_url: pg.app_url(&options.database),
                embedded: Some(pg),
            })
        }
    }
}

/// Creates `name` in the embedded cluster if it does not exist.
async fn ensure_database(pg: &EmbeddedPg, name: &str) -> Result<()> {
    use sqlx::Connection;
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
    let database = open_database(&config).await?;
    db::prepare(&database.admin_url, &database.app_url).await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn db_start(config: Config) -> Result<()> {
    anyhow::ensure!(
        matches!(config.database, DatabaseSource::Embedded(_)),
        "`server db start` manages the embedded cluster; unset DATABASE_URL to use it"
    );
    let database = open_database(&config).await?;
    db::prepare(&database.admin_url, &database.app_url).await?;
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
pub async fn app_state(config: &Config, app_url: &Secret) -> Result<AppState> {
    Ok(AppState {
        leptos_options: leptos_options(config),
        pool: db::app_pool(app_url, config.db_max_connections).await?,
        settings: Arc::new(Settings {
            public_url: config.public_url.clone(),
            production: config.production,
        }),
    })
}

async fn serve(config: Config) -> Result<()> {
    let database = open_database(&config).await?;
    let served = async {
        db::prepare(&database.admin_url, &database.app_url).await?;
        let state = app_state(&config, &database.app_url).await?;
        let probe = probe::spawn(state.pool.clone(), config.probe_interval);
        let router = routes::router(state);
        let listener = tokio::net::TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        tracing::info!("Carethread is listening on {}", config.public_url);
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        probe.abort();
        anyhow::Ok(())
    }
    .await;
    if let Some(pg) = &database.embedded {
        if let Err(error) = pg.stop().await {
            tracing::warn!("could not stop embedded PostgreSQL: {error:#}");
        }
    }
    served
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
