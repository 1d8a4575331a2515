//! `server bench-hello`: axum answering "hello" and nothing else, on the
//! runtime `serve` uses: the ceiling for any endpoint's throughput on the
//! machine, measured by `scripts/bench/ceiling.sh`.
//!
//! `server bench-matching`: the referral-matching benchmark behind
//! `scripts/bench-matching.sh`. Fills the database with generated
//! clinicians (100,000 by default, spread over the country in proportion
//! to its ZIP codes), then times the real
//! matching query, run as a referrer through the principal transaction the
//! application uses, for referrals at random real ZIP codes. Prints figures;
//! it asserts nothing.
//!
//! `server bench-inbox`: see [`inbox`].

pub mod inbox;

use crate::db::DatabaseUrls;
use crate::demo::clinicians;
use anyhow::Result;
use app::auth::session::{resolve, SessionClaim};
use app::auth::Role;
use app::referrals::matching::{self, MatchQuery};
use app::referrals::CareType;
use app::state::AuthPolicy;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Serves `GET /` → "hello" on `bind` until the process is stopped.
pub async fn hello(bind: std::net::SocketAddr) -> Result<()> {
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, router).await?;
    Ok(())
}

/// Generated benchmark clinicians start at this id offset (after the demo's).
const FIRST: u64 = 1 << 32;

pub async fn matching(urls: &DatabaseUrls, clinicians: u64, runs: usize) -> Result<()> {
    let mut admin = PgConnection::connect(urls.admin.expose()).await?;
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM clinicians WHERE id >= $1")
        .bind(clinicians::id_of(FIRST))
        .fetch_one(&mut admin)
        .await?;
    if u64::try_from(have).unwrap_or(0) < clinicians * 9 / 10 {
        let started = Instant::now();
        let made = clinicians::generate(
            &mut admin,
            7,
            FIRST,
            clinicians,
            &clinicians::NATIONWIDE,
            &[],
        )
        .await?;
        sqlx::raw_sql("ANALYZE clinicians; ANALYZE clinician_licenses;")
            .execute(&mut admin)
            .await?;
        println!(
            "generated {made} clinicians in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM clinicians")
        .fetch_one(&mut admin)
        .await?;

    let claim = referrer(&mut admin).await?;
    // Patients where people live: ZIP codes at random, nationwide.
    let zips: Vec<String> = sqlx::query_scalar(
        "SELECT zip::text FROM zip_codes WHERE kind = 'STANDARD' AND active
         ORDER BY md5(zip) LIMIT 2000",
    )
    .fetch_all(&mut admin)
    .await?;
    admin.close().await?;

    let pool = crate::db::app_pool(
        &urls.app,
        crate::db::PoolSettings {
            max_connections: 2,
            ..Default::default()
        },
    )
    .await?;
    let policy = AuthPolicy::default();
    let categories = clinicians::CATEGORIES;
    let mut rng = StdRng::seed_from_u64(11);
    let start = time::OffsetDateTime::now_utc().date() + time::Duration::days(2);
    let mut times = Vec::with_capacity(runs);
    let mut found = 0usize;
    for i in 0..runs + 10 {
        let zip = app::domain::ZipCode::parse(&zips[rng.random_range(0..zips.len())])
            .map_err(anyhow::Error::msg)?;
        let code = app::domain::Icd10Code::parse(&format!(
            "{}9",
            categories[rng.random_range(0..categories.len())]
        ))
        .map_err(anyhow::Error::msg)?;
        let care = CareType::ALL[rng.random_range(0..CareType::ALL.len())];
        let mut tx = resolve(&pool, &policy, &claim)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .ok_or_else(|| anyhow::anyhow!("the benchmark's session did not resolve"))?;
        let began = Instant::now();
        let matches = matching::find(
            &mut tx,
            &MatchQuery {
                zip: &zip,
                diagnosis_code: &code,
                care_type: care,
                start,
                limit: 10,
            },
        )
        .await?;
        let took = began.elapsed();
        tx.commit().await?;
        // The first few warm the caches.
        if i >= 10 {
            times.push(took);
            found += matches.len();
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len().max(1) as f64;
    let pct = |p: f64| ms(times[((times.len() - 1) as f64 * p) as usize]);
    println!("clinicians in the directory: {total}");
    println!("matches run: {}", times.len());
    println!(
        "mean matches returned: {:.1}",
        found as f64 / times.len().max(1) as f64
    );
    println!(
        "time per match: mean {mean:.2} ms, p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    println!("target: <= 20 ms per match");
    Ok(())
}

/// A referrer with a live sign-in, made directly (a benchmark fixture).
async fn referrer(admin: &mut PgConnection) -> Result<SessionClaim> {
    let org: Uuid = sqlx::query_scalar(
        "INSERT INTO organizations (kind, name) VALUES ('referrer', 'Benchmark referrer') RETURNING id",
    )
    .fetch_one(&mut *admin)
    .await?;
    let user = Uuid::new_v4();
    let login = Uuid::new_v4();
    sqlx::query("INSERT INTO users (id, email, display_name) VALUES ($1, $2, 'Bench')")
        .bind(user)
        .bind(format!("bench-{}@example.org", user.simple()))
        .execute(&mut *admin)
        .await?;
    sqlx::query(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'referrer')",
    )
    .bind(org)
    .bind(user)
    .execute(&mut *admin)
    .await?;
    sqlx::query("INSERT INTO user_sessions (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')")
        .bind(login)
        .bind(user)
        .execute(&mut *admin)
        .await?;
    Ok(SessionClaim {
        user_id: user.into(),
        login_id: login.into(),
        org_id: org.into(),
        role: Role::Referrer,
        can_switch: false,
    })
}
