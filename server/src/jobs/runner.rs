//! The runner: claims due jobs, runs them with a renewed lease, records
//! the outcome, files scheduled work, and stops cleanly.

use super::{Job, JobContext, JobError, Retry};
use app::identity::JobId;
use serde_json::Value;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use uuid::Uuid;

type RunFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// A [`Job`] with its payload type erased, so one runner holds every kind.
trait Handler: Send + Sync {
    fn retry(&self) -> Retry;
    fn run<'a>(&'a self, ctx: &'a JobContext, payload: Value) -> RunFuture<'a>;
}

struct Typed<J>(J);

impl<J: Job> Handler for Typed<J> {
    fn retry(&self) -> Retry {
        self.0.retry()
    }

    fn run<'a>(&'a self, ctx: &'a JobContext, payload: Value) -> RunFuture<'a> {
        Box::pin(async move {
            let payload = serde_json::from_value(payload)
                .map_err(|e| JobError::Permanent(format!("payload does not parse: {e}")))?;
            self.0.run(ctx, payload).await
        })
    }
}

/// Work filed once per period.
struct Schedule {
    kind: &'static str,
    every: Duration,
    payload: Value,
}

/// Asks a running runner to stop.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// A handle to stop the runner with, and the signal it watches.
    pub fn channel() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Self(rx))
    }

    async fn requested(&mut self) {
        // A dropped sender means nobody can ask any more: run on.
        if self.0.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    fn is_requested(&self) -> bool {
        *self.0.borrow()
    }
}

/// What a round of [`Runner::run_once`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub done: usize,
    pub failed: usize,
}

/// Runs the registered kinds (only those: a process without an SMTP
/// server leaves mail queued for one that has).
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    worker_id: String,
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
    schedules: Vec<Schedule>,
    /// The period each schedule was last filed for by this process, so a
    /// pass of the loop files only at a period boundary.
    filed: std::sync::Mutex<HashMap<&'static str, OffsetDateTime>>,
    concurrency: usize,
    lease: Duration,
    poll: Duration,
    grace: Duration,
}

struct Claimed {
    id: JobId,
    kind: String,
    payload: Value,
    attempts: i32,
}

/// Jobs a runner works on at once unless told otherwise
/// ([`Runner::concurrency`]); the worker pool is sized from it.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Connections of the worker role's pool a runner at the default needs:
/// two for each job at once, and two for its listener and scheduler. A
/// settlement holds one for its transaction and takes another for each
/// card-processor call. With one each (eight), eight settlements each held
/// one and waited for a second that never came, until the pool's timeout
/// failed them (the payout drill in server/tests/drills.rs, run at the
/// default, shows it).
pub const WORKER_POOL_CONNECTIONS: u32 = 2 * DEFAULT_CONCURRENCY as u32 + 2;

impl Runner {
    /// A runner on the worker role's `pool` with no kinds yet.
    pub fn new(pool: PgPool) -> Self {
        let tag = Uuid::new_v4().simple().to_string();
        Self {
            inner: Arc::new(Inner {
                pool,
                worker_id: format!("pid {} · {}", std::process::id(), &tag[..8]),
                handlers: HashMap::new(),
                schedules: Vec::new(),
                filed: std::sync::Mutex::default(),
                concurrency: DEFAULT_CONCURRENCY,
                lease: Duration::from_secs(60),
                poll: Duration::from_secs(5),
                grace: Duration::from_secs(20),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        let inner = Arc::get_mut(&mut self.inner).expect("configure a runner before it runs");
        f(inner);
        self
    }

    /// Runs jobs of `J`'s kind.
    pub fn register<J: Job>(self, job: J) -> Self {
        self.edit(|i| {
            i.handlers.insert(J::KIND, Arc::new(Typed(job)));
        })
    }

    /// Runs jobs of `J`'s kind, and files one with `payload` every `every`
    /// (periods aligned to the Unix epoch, once per period across every
    /// process on the database).
    pub fn every<J: Job>(self, job: J, every: Duration, payload: J::Payload) -> Self {
        let payload = serde_json::to_value(&payload).expect("a payload serializes");
        let every = every.max(Duration::from_secs(1));
        self.register(job).edit(|i| {
            i.schedules.push(Schedule {
                kind: J::KIND,
                every,
                payload,
            });
        })
    }

    /// How many jobs run at once (default 8).
    pub fn concurrency(self, n: usize) -> Self {
        self.edit(|i| i.concurrency = n.max(1))
    }

    /// How long a claim holds without renewal (default 60 s; renewed every
    /// third of it while the job runs).
    pub fn lease(self, lease: Duration) -> Self {
        self.edit(|i| i.lease = lease.max(Duration::from_millis(300)))
    }

    /// The longest sleep between looks at the queue (default 5 s).
    pub fn poll(self, poll: Duration) -> Self {
        self.edit(|i| i.poll = poll)
    }

    /// How long running jobs may finish after shutdown is asked (20 s).
    pub fn grace(self, grace: Duration) -> Self {
        self.edit(|i| i.grace = grace)
    }

    /// Claims what is due now (up to the concurrency) and runs it to the
    /// end (tests and one-shot commands).
    pub async fn run_once(&self) -> Result<Round, sqlx::Error> {
        let claimed = self.inner.claim(self.inner.concurrency).await?;
        let mut running = JoinSet::new();
        for job in claimed {
            let inner = self.inner.clone();
            running.spawn(async move { inner.run(job).await });
        }
        let mut round = Round::default();
        while let Some(joined) = running.join_next().await {
            match joined {
                Ok(true) => round.done += 1,
                _ => round.failed += 1,
            }
        }
        Ok(round)
    }

    /// [`Self::run_once`] until nothing is due; the jobs it ran.
    pub async fn drain(&self) -> Result<Round, sqlx::Error> {
        let mut total = Round::default();
        loop {
            let round = self.run_once().await?;
            if round.done + round.failed == 0 {
                return Ok(total);
            }
            total.done += round.done;
            total.failed += round.failed;
        }
    }

    /// Runs until `shutdown`: woken by `NOTIFY jobs`, looking at least
    /// every poll and at each schedule's period boundary.
    pub fn spawn(self, mut shutdown: Shutdown) -> JoinHandle<()> {
        tokio::spawn(async move {
            let inner = self.inner;
            let mut listener = match PgListener::connect_with(&inner.pool).await {
                Ok(mut l) => l.listen("jobs").await.ok().map(|()| l),
                Err(_) => None,
            };
            if listener.is_none() {
                tracing::warn!("job runner cannot LISTEN; polling only");
            }
            let mut running: JoinSet<bool> = JoinSet::new();
            let mut by_task: HashMap<tokio::task::Id, JobId> = HashMap::new();
            while !shutdown.is_requested() {
                if let Err(error) = inner.file_scheduled().await {
                    tracing::warn!(%error, "could not file scheduled jobs");
                }
                let free = inner.concurrency.saturating_sub(running.len());
                if free > 0 {
                    match inner.claim(free).await {
                        Ok(claimed) => {
                            for job in claimed {
                                let id = job.id;
                                let task = inner.clone();
                                let handle = running.spawn(async move { task.run(job).await });
                                by_task.insert(handle.id(), id);
                            }
                        }
                        Err(error) => tracing::warn!(%error, "could not claim jobs"),
                    }
                }
                let wait = inner.next_wake();
                tokio::select! {
                    Some(joined) = running.join_next_with_id(), if !running.is_empty() => {
                        inner.reap(joined, &mut by_task).await;
                    }
                    () = wait_for_notice(listener.as_mut(), wait) => {}
                    () = shutdown.requested() => {}
                }
            }
            // Finish what is running, for a while; then put it back.
            let finished = tokio::time::timeout(inner.grace, async {
                while let Some(joined) = running.join_next_with_id().await {
                    inner.reap(joined, &mut by_task).await;
                }
            })
            .await;
            if finished.is_err() {
                running.abort_all();
                while running.join_next().await.is_some() {}
            }
            match inner.release().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "shutdown: unfinished jobs put back"),
                Err(error) => tracing::warn!(%error, "shutdown: could not put jobs back"),
            }
        })
    }
}

/// Returns on a notification on `jobs`, or after `wait`.
async fn wait_for_notice(listener: Option<&mut PgListener>, wait: Duration) {
    match listener {
        Some(l) => {
            if let Ok(Err(_)) = tokio::time::timeout(wait, l.recv()).await {
                // The listener reconnects on its next recv; do not spin.
                tokio::time::sleep(wait).await;
            }
        }
        None => tokio::time::sleep(wait).await,
    }
}

impl Inner {
    fn kinds(&self) -> Vec<String> {
        self.handlers.keys().map(|k| (*k).to_owned()).collect()
    }

    async fn claim(&self, limit: usize) -> Result<Vec<Claimed>, sqlx::Error> {
        // Due queued jobs, and running ones whose worker stopped renewing
        // its lease (it died): both are claimed the same way.
        let rows = sqlx::query!(
            "UPDATE jobs
             SET state = 'running', attempts = attempts + 1, locked_by = $1,
                 locked_until = now() + make_interval(secs => $2)
             WHERE id IN (
                 SELECT id FROM jobs
                 WHERE kind = ANY($3)
                   AND ((state = 'queued' AND run_at <= now())
                        OR (state = 'running' AND locked_until < now()))
                 ORDER BY run_at
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             RETURNING id AS \"id: JobId\", kind, payload, attempts",
            self.worker_id,
            self.lease.as_secs_f64(),
            &self.kinds(),
            i64::try_from(limit).unwrap_or(i64::MAX),
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Claimed {
                id: r.id,
                kind: r.kind,
                payload: r.payload,
                attempts: r.attempts,
            })
            .collect())
    }

    /// Runs one claimed job, renewing its lease, and records the outcome;
    /// whether it succeeded.
    async fn run(self: Arc<Self>, job: Claimed) -> bool {
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            return false;
        };
        let retry = handler.retry();
        if job.attempts > retry.max_attempts {
            // Every attempt so far ended with its worker gone (a crash, a
            // kill) before it could record anything: the budget is spent.
            let why = "no attempt finished: the workers running it stopped";
            tracing::warn!(id = %job.id, kind = job.kind, attempts = job.attempts, why);
            let _ = self.fail(job.id, why, true, Duration::ZERO).await;
            return false;
        }
        let last = job.attempts >= retry.max_attempts;
        let delay = retry.delay(job.attempts, rand::random::<f64>());
        let ctx = JobContext {
            pool: self.pool.clone(),
            id: job.id,
            attempt: job.attempts,
            retry_at: (!last).then(|| OffsetDateTime::now_utc() + delay),
            worker_id: self.worker_id.clone(),
            finished: Arc::default(),
        };
        // The lease is renewed by a task of its own, so a renewal never
        // waits on the job (whose transaction may hold the row) and the
        // job is dropped the moment the lease is found lost.
        let (lost, mut lease_lost) = tokio::sync::oneshot::channel::<()>();
        let heartbeat = tokio::spawn({
            let inner = self.clone();
            let id = job.id;
            async move {
                let mut beat = tokio::time::interval(inner.lease / 3);
                beat.tick().await;
                loop {
                    beat.tick().await;
                    match inner.renew(id).await {
                        Ok(true) => {}
                        Ok(false) => {
                            let _ = lost.send(());
                            return;
                        }
                        Err(error) => tracing::warn!(%id, %error, "could not renew a job's lease"),
                    }
                }
            }
        });
        let outcome = tokio::select! {
            // The job first: one that just committed is done, whatever a
            // renewal saw after the commit.
            biased;
            outcome = handler.run(&ctx, job.payload) => Some(outcome),
            _ = &mut lease_lost => None,
        };
        heartbeat.abort();
        let Some(outcome) = outcome else {
            tracing::warn!(
                id = %job.id, kind = job.kind,
                "job stopped: its lease passed to another worker"
            );
            return false;
        };
        let recorded = match &outcome {
            Ok(()) if ctx.finished() => Ok(true),
            Ok(()) => self.complete(job.id).await,
            Err(error) => {
                let dead = last || matches!(error, JobError::Permanent(_));
                tracing::warn!(
                    id = %job.id, kind = job.kind, attempt = job.attempts, dead,
                    %error, "job failed"
                );
                self.fail(job.id, &error.to_string(), dead, delay).await
            }
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                id = %job.id, kind = job.kind,
                "job finished after its lease passed to another worker"
            ),
            Err(error) => tracing::warn!(id = %job.id, %error, "could not record a job's outcome"),
        }
        outcome.is_ok()
    }

    /// Handles a finished task: a panic counts as a failed attempt.
    async fn reap(
        &self,
        joined: Result<(tokio::task::Id, bool), tokio::task::JoinError>,
        by_task: &mut HashMap<tokio::task::Id, JobId>,
    ) {
        match joined {
            Ok((task, _)) => {
                by_task.remove(&task);
            }
            Err(error) => {
                if let Some(id) = by_task.remove(&error.id()) {
                    let why = if error.is_panic() {
                        "the job panicked"
                    } else {
                        "the job was cancelled"
                    };
                    let _ = self.fail(id, why, false, Duration::from_secs(30)).await;
                }
            }
        }
    }

    /// Extends the lease; false when the job is no longer this worker's.
    async fn renew(&self, id: JobId) -> Result<bool, sqlx::Error> {
        let renewed = sqlx::query!(
            "UPDATE jobs SET locked_until = now() + make_interval(secs => $3)
             WHERE id = $1 AND locked_by = $2 AND state = 'running'",
            id as JobId,
            self.worker_id,
            self.lease.as_secs_f64(),
        )
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    async fn complete(&self, id: JobId) -> Result<bool, sqlx::Error> {
        super::mark_done(&self.pool, id, &self.worker_id).await
    }

    async fn fail(
        &self,
        id: JobId,
        error: &str,
        dead: bool,
        delay: Duration,
    ) -> Result<bool, sqlx::Error> {
        let error: String = error.chars().take(2000).collect();
        let failed = sqlx::query!(
            "UPDATE jobs
             SET state = CASE WHEN $3 THEN 'dead'::job_state ELSE 'queued'::job_state END,
                 finished_at = CASE WHEN $3 THEN now() END,
                 run_at = now() + make_interval(secs => $4),
                 locked_by = NULL, locked_until = NULL, last_error = $5
             WHERE id = $1 AND locked_by = $2 AND state = 'running'",
            id as JobId,
            self.worker_id,
            dead,
            delay.as_secs_f64(),
            error,
        )
        .execute(&self.pool)
        .await?;
        Ok(failed.rows_affected() == 1)
    }

    /// Puts back what this runner still holds (the attempt did not happen).
    async fn release(&self) -> Result<u64, sqlx::Error> {
        let released = sqlx::query!(
            "UPDATE jobs
             SET state = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(),
                 locked_by = NULL, locked_until = NULL
             WHERE locked_by = $1 AND state = 'running'",
            self.worker_id,
        )
        .execute(&self.pool)
        .await?;
        Ok(released.rows_affected())
    }

    /// Files each schedule's current period, keyed by the period's start.
    async fn file_scheduled(&self) -> Result<(), sqlx::Error> {
        let now = OffsetDateTime::now_utc();
        for schedule in &self.schedules {
            let start = period_start(now, schedule.every);
            let already = self
                .filed
                .lock()
                .map(|f| f.get(schedule.kind) == Some(&start))
                .unwrap_or(false);
            if already {
                continue;
            }
            let key = format!(
                "every {}s from {}",
                schedule.every.as_secs(),
                start.unix_timestamp()
            );
            super::file(
                &self.pool,
                schedule.kind,
                &schedule.payload,
                Some(&key),
                Some(start),
            )
            .await?;
            if let Ok(mut filed) = self.filed.lock() {
                filed.insert(schedule.kind, start);
            }
        }
        Ok(())
    }

    /// How long to sleep: the poll, or less to catch a period boundary.
    fn next_wake(&self) -> Duration {
        let now = OffsetDateTime::now_utc();
        self.schedules
            .iter()
            .map(|s| {
                let next = period_start(now, s.every) + s.every;
                Duration::try_from(next - now).unwrap_or_default() + Duration::from_millis(5)
            })
            .fold(self.poll, Duration::min)
    }
}

/// The start of the period of length `every` that contains `now`.
fn period_start(now: OffsetDateTime, every: Duration) -> OffsetDateTime {
    let every_ms = i128::try_from(every.as_millis())
        .unwrap_or(i128::MAX)
        .max(1);
    let now_ms = now.unix_timestamp_nanos() / 1_000_000;
    let start_ms = now_ms - now_ms.rem_euclid(every_ms);
    OffsetDateTime::from_unix_timestamp_nanos(start_ms * 1_000_000).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_up_to_a_quarter_of_jitter_and_is_capped() {
        let r = Retry {
            max_attempts: 5,
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
        };
        assert_eq!(r.ceiling(1), Duration::from_secs(30));
        assert_eq!(r.ceiling(3), Duration::from_secs(120));
        assert_eq!(r.ceiling(30), Duration::from_secs(3600));
        assert_eq!(r.delay(3, 0.0), Duration::from_secs(120));
        assert_eq!(r.delay(3, 1.0), Duration::from_secs(150));
        let mid = r.delay(3, 0.5);
        assert!(mid > Duration::from_secs(120) && mid < Duration::from_secs(150));
    }

    #[test]
    fn periods_align_to_the_epoch() {
        let t = OffsetDateTime::from_unix_timestamp(1_000_007).unwrap();
        assert_eq!(
            period_start(t, Duration::from_secs(10)).unix_timestamp(),
            1_000_000
        );
        assert_eq!(period_start(t, Duration::from_secs(1)), t);
    }
}
