//! The job runner under the conditions it exists for: real worker
//! processes (this test binary run again as a child, see [`child_worker`])
//! killed with SIGKILL mid-job, two processes sharing 1,000 jobs and a
//! schedule, and a job that never succeeds ending dead, shown to platform
//! administrators and retried from their page.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::TestApp;
use serde::{Deserialize, Serialize};
use server::config::Secret;
use server::jobs::{Job, JobContext, JobError, Retry, Runner, Shutdown};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Records that it ran (`n` tells jobs apart).
struct Record;
#[derive(Serialize, Deserialize)]
struct N {
    n: i64,
}
impl Job for Record {
    const KIND: &'static str = "test.record";
    type Payload = N;
    async fn run(&self, ctx: &JobContext, p: N) -> Result<(), JobError> {
        run_row(ctx, "done", p.n).await
    }
}

/// Notes its start, works for `ms`, then notes its end.
struct Slow;
#[derive(Serialize, Deserialize)]
struct Ms {
    ms: u64,
}
impl Job for Slow {
    const KIND: &'static str = "test.slow";
    type Payload = Ms;
    async fn run(&self, ctx: &JobContext, p: Ms) -> Result<(), JobError> {
        run_row(ctx, "started", 0).await?;
        tokio::time::sleep(Duration::from_millis(p.ms)).await;
        run_row(ctx, "done", 0).await
    }
}

/// The scheduled one.
struct Tick;
impl Job for Tick {
    const KIND: &'static str = "test.tick";
    type Payload = ();
    async fn run(&self, ctx: &JobContext, (): ()) -> Result<(), JobError> {
        run_row(ctx, "done", 0).await
    }
}

/// Never succeeds; three attempts, quickly.
struct AlwaysFails;
impl Job for AlwaysFails {
    const KIND: &'static str = "test.fail";
    type Payload = ();
    fn retry(&self) -> Retry {
        Retry {
            max_attempts: 3,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        }
    }
    async fn run(&self, _: &JobContext, (): ()) -> Result<(), JobError> {
        Err(JobError::Retry("the receiver always fails".into()))
    }
}

async fn run_row(ctx: &JobContext, what: &str, n: i64) -> Result<(), JobError> {
    sqlx::query("INSERT INTO test_job_runs (job_id, what, n, pid) VALUES ($1, $2, $3, $4)")
        .bind(ctx.id)
        .bind(what)
        .bind(n)
        .bind(i32::try_from(std::process::id()).unwrap())
        .execute(&ctx.pool)
        .await?;
    Ok(())
}

/// Not a test: the body of a child worker process, started by the tests
/// below as `<this binary> child_worker --exact --ignored`. It runs the
/// test kinds on the database named in the environment until killed.
#[tokio::test]
#[ignore = "run by the other tests as a child process"]
async fn child_worker() {
    let Ok(url) = std::env::var("JOBS_CHILD_WORKER_URL") else {
        return;
    };
    let lease: u64 = std::env::var("JOBS_CHILD_LEASE_MS")
        .unwrap()
        .parse()
        .unwrap();
    let pool = server::db::worker_pool(&Secret::new(url), server::jobs::WORKER_POOL_CONNECTIONS)
        .await
        .unwrap();
    let mut runner = Runner::new(pool)
        .register(Record)
        .register(Slow)
        .lease(Duration::from_millis(lease))
        .poll(Duration::from_millis(100));
    if let Ok(tick) = std::env::var("JOBS_CHILD_TICK_MS") {
        runner = runner.every(Tick, Duration::from_millis(tick.parse().unwrap()), ());
    }
    let (_stop, shutdown) = Shutdown::channel();
    runner.spawn(shutdown).await.unwrap();
}

/// A child worker process on `app`'s database.
struct Worker(Child);

impl Worker {
    fn start(app: &TestApp, lease_ms: u64, tick_ms: Option<u64>) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["child_worker", "--exact", "--ignored", "--nocapture"])
            .env("JOBS_CHILD_WORKER_URL", app.urls.worker.expose())
            .env("JOBS_CHILD_LEASE_MS", lease_ms.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(tick) = tick_ms {
            command.env("JOBS_CHILD_TICK_MS", tick.to_string());
        }
        Self(command.spawn().unwrap())
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.0.id()).unwrap()
    }

    /// SIGKILL: no shutdown, no chance to put anything back.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn with_runs_table(app: &TestApp) {
    let mut admin = app.admin().await;
    sqlx::raw_sql(
        "CREATE TABLE test_job_runs (
             job_id uuid NOT NULL, what text NOT NULL, n bigint NOT NULL, pid integer NOT NULL,
             at timestamptz NOT NULL DEFAULT now());
         GRANT SELECT, INSERT ON test_job_runs TO carethread_worker;",
    )
    .execute(&mut admin)
    .await
    .unwrap();
}

/// Waits (up to `secs`) until `sql` (a count) reaches `want`.
async fn wait_until(app: &TestApp, sql: &str, want: i64, secs: u64) {
    let mut admin = app.admin().await;
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got: i64 = sqlx::query_scalar(sql).fetch_one(&mut admin).await.unwrap();
        if got >= want {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: {got} of {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_job_leaves_it_to_another_that_completes_it_once() {
    let app = TestApp::spawn().await;
    with_runs_table(&app).await;
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload) VALUES ('test.slow', '{\"ms\": 2500}') RETURNING id",
    )
    .fetch_one(&mut app.admin().await)
    .await
    .unwrap();

    let first = Worker::start(&app, 1500, None);
    let first_pid = first.pid();
    wait_until(
        &app,
        "SELECT count(*) FROM test_job_runs WHERE what = 'started'",
        1,
        20,
    )
    .await;
    first.kill();

    let second = Worker::start(&app, 1500, None);
    wait_until(
        &app,
        "SELECT count(*) FROM jobs WHERE state = 'done'",
        1,
        30,
    )
    .await;
    drop(second);

    let mut admin = app.admin().await;
    let runs: Vec<(String, i32)> =
        sqlx::query_as("SELECT what, pid FROM test_job_runs WHERE job_id = $1 ORDER BY at")
            .bind(id)
            .fetch_all(&mut admin)
            .await
            .unwrap();
    let done: Vec<_> = runs.iter().filter(|(w, _)| w == "done").collect();
    assert_eq!(done.len(), 1, "completed once: {runs:?}");
    assert_ne!(done[0].1, first_pid, "by the second worker");
    assert_eq!(runs.len(), 3, "started twice, finished once: {runs:?}");
    let (state, attempts): (String, i32) =
        sqlx::query_as("SELECT state::text, attempts FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("done", 2));
}

#[tokio::test]
async fn two_processes_run_each_of_a_thousand_jobs_exactly_once() {
    let app = TestApp::spawn().await;
    with_runs_table(&app).await;
    let a = Worker::start(&app, 10_000, None);
    let b = Worker::start(&app, 10_000, None);
    // Both listening before the work arrives, so both share it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    sqlx::query(
        "INSERT INTO jobs (kind, payload)
         SELECT 'test.record', jsonb_build_object('n', g) FROM generate_series(1, 1000) g",
    )
    .execute(&mut app.admin().await)
    .await
    .unwrap();
    wait_until(
        &app,
        "SELECT count(*) FROM jobs WHERE kind = 'test.record' AND state = 'done'",
        1000,
        120,
    )
    .await;
    let (pids, a_pid, b_pid) = (vec![a.pid(), b.pid()], a.pid(), b.pid());
    drop((a, b));

    let mut admin = app.admin().await;
    let (runs, distinct, workers): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT n), count(DISTINCT pid) FROM test_job_runs",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!((runs, distinct), (1000, 1000), "each job ran exactly once");
    assert_eq!(workers, 2, "both processes took a share");
    let by: Vec<i32> = sqlx::query_scalar("SELECT DISTINCT pid FROM test_job_runs")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    assert!(
        by.iter().all(|p| pids.contains(p)),
        "{by:?} vs {a_pid}, {b_pid}"
    );
}

#[tokio::test]
async fn a_schedule_fires_once_per_period_across_two_processes() {
    let app = TestApp::spawn().await;
    with_runs_table(&app).await;
    let a = Worker::start(&app, 5000, Some(1000));
    let b = Worker::start(&app, 5000, Some(1000));
    wait_until(&app, "SELECT count(*) FROM test_job_runs", 4, 30).await;
    drop((a, b));

    let mut admin = app.admin().await;
    // Every run belongs to a distinct one-second period, and no period
    // ran twice.
    let periods: Vec<(time::OffsetDateTime, i64)> = sqlx::query_as(
        "SELECT j.run_at, count(*) FROM test_job_runs r JOIN jobs j ON j.id = r.job_id
         GROUP BY j.run_at ORDER BY j.run_at",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(periods.len() >= 4, "{periods:?}");
    assert!(periods.iter().all(|(_, n)| *n == 1), "{periods:?}");
    assert!(
        periods.iter().all(|(at, _)| at.nanosecond() == 0),
        "periods start on the second: {periods:?}"
    );
    let filed: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'test.tick'")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(
        filed <= i64::try_from(periods.len()).unwrap() + 1,
        "one job per period: {filed}"
    );
}

#[tokio::test]
async fn a_job_that_always_fails_ends_dead_and_platform_administrators_retry_it() {
    let app = TestApp::spawn().await;
    let ops = app
        .user("ops@carethread.example", None, Role::PlatformAdmin)
        .await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.user(
        "director@riverbend.example",
        Some(clinic),
        Role::ClinicAdmin,
    )
    .await;
    let id: Uuid = sqlx::query_scalar("INSERT INTO jobs (kind) VALUES ('test.fail') RETURNING id")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();

    let runner = Runner::new(app.worker_pool.clone()).register(AlwaysFails);
    let mut admin = app.admin().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let (state, attempts, error) = loop {
        runner.run_once().await.unwrap();
        let row: (String, i32, Option<String>) =
            sqlx::query_as("SELECT state::text, attempts, last_error FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        if row.0 != "queued" || Instant::now() > deadline {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(state, "dead");
    assert_eq!(attempts, 3, "its retry budget, then no more");
    assert!(error.unwrap().contains("always fails"));
    assert_eq!(
        runner.run_once().await.unwrap().failed,
        0,
        "a dead job is not run"
    );

    // The administrators' page shows it, with its error.
    let browser = app.signed_in(&ops.email).await;
    let page = browser
        .get(app.url("/admin/jobs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("test.fail"), "{page}");
    assert!(page.contains("the receiver always fails"));
    assert!(page.contains(&id.to_string()));

    // Nobody else sees or retries it.
    let director = app.signed_in("director@riverbend.example").await;
    assert_eq!(app.rpc(&director, "admin/jobs", &[]).await.status(), 403);
    let refused = app
        .rpc(&director, "admin/jobs/retry", &[("id", &id.to_string())])
        .await;
    assert_eq!(refused.status(), 403);

    // Retried: queued again with a fresh budget, and recorded.
    let retried = app
        .rpc(&browser, "admin/jobs/retry", &[("id", &id.to_string())])
        .await;
    assert_eq!(retried.status(), 200, "{}", retried.text().await.unwrap());
    let (state, attempts): (String, i32) =
        sqlx::query_as("SELECT state::text, attempts FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("queued", 0));
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events
         WHERE action = 'job.retried' AND subject_id = $1 AND actor_user_id = $2",
    )
    .bind(id.to_string())
    .bind(ops.id)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(recorded, 1);
    // A second retry of a job no longer dead finds nothing to retry.
    let again = app
        .rpc(&browser, "admin/jobs/retry", &[("id", &id.to_string())])
        .await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn shutdown_puts_back_what_is_still_running_after_the_grace_period() {
    let app = TestApp::spawn().await;
    with_runs_table(&app).await;
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload) VALUES ('test.slow', '{\"ms\": 60000}') RETURNING id",
    )
    .fetch_one(&mut app.admin().await)
    .await
    .unwrap();
    let (stop, shutdown) = Shutdown::channel();
    let runner = Runner::new(app.worker_pool.clone())
        .register(Slow)
        .poll(Duration::from_millis(50))
        .grace(Duration::from_millis(300))
        .spawn(shutdown);
    wait_until(
        &app,
        "SELECT count(*) FROM test_job_runs WHERE what = 'started'",
        1,
        20,
    )
    .await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("the runner stops within its grace period")
        .unwrap();
    let (state, attempts, locked): (String, i32, Option<String>) =
        sqlx::query_as("SELECT state::text, attempts, locked_by FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut app.admin().await)
            .await
            .unwrap();
    assert_eq!(state, "queued", "put back for another process");
    assert_eq!(attempts, 0, "the interrupted attempt does not count");
    assert_eq!(locked, None);
}

#[tokio::test]
async fn an_idempotency_key_files_the_work_once() {
    let app = TestApp::spawn().await;
    let first = server::jobs::enqueue::<Record>(&app.worker_pool, &N { n: 1 }, Some("k-1"), None)
        .await
        .unwrap();
    let again = server::jobs::enqueue::<Record>(&app.worker_pool, &N { n: 2 }, Some("k-1"), None)
        .await
        .unwrap();
    let other = server::jobs::enqueue::<Record>(&app.worker_pool, &N { n: 3 }, Some("k-2"), None)
        .await
        .unwrap();
    assert!(first && !again && other);
    let payloads: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE kind = 'test.record' ORDER BY created_at",
    )
    .fetch_all(&mut app.admin().await)
    .await
    .unwrap();
    assert_eq!(payloads.len(), 2);
    assert_eq!(payloads[0]["n"], 1);
}
