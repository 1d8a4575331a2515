//! Rate limits per API key: a minute window and a UTC-day window, counted
//! in PostgreSQL so that every server process sharing the database sees the
//! same counts (SPEC §3: consistent across processes).
//!
//! Why no crate: the maintained limiter crates (governor's GCRA,
//! tower_governor) keep their state in process memory; with the state in
//! Postgres the algorithm is one atomic upsert per window — a fixed-window
//! counter, exact and the same for every process — and that is all of it.
//! Every request counts, including refused ones, so hammering a key does
//! not buy extra tries.

use super::{Rate, RateWindow};
use crate::identity::{ApiKeyId, OrganizationId};
use sqlx::PgConnection;

/// Sandbox keys: 60 a minute, 5,000 a day (the published sandbox limits).
pub const SANDBOX: (i64, i64) = (60, 5_000);
/// Live keys without an organization setting.
pub const LIVE_DEFAULT: (i64, i64) = (600, 100_000);

/// Counts one request for `key` against `(per_minute, per_day)` and
/// reports the tighter window. The connection acts for the key's
/// organization.
pub async fn count(
    conn: &mut PgConnection,
    org: OrganizationId,
    key: ApiKeyId,
    (per_minute, per_day): (i64, i64),
) -> Result<Rate, sqlx::Error> {
    let row = sqlx::query!(
        r#"WITH m AS (
               INSERT INTO api_rate_counters (organization_id, api_key_id, window_kind, window_start, hits)
               VALUES ($1, $2, 'minute', date_trunc('minute', now()), 1)
               ON CONFLICT (organization_id, api_key_id, window_kind, window_start)
               DO UPDATE SET hits = api_rate_counters.hits + 1
               RETURNING hits, window_start
           ),
           d AS (
               INSERT INTO api_rate_counters (organization_id, api_key_id, window_kind, window_start, hits)
               VALUES ($1, $2, 'day', date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1)
               ON CONFLICT (organization_id, api_key_id, window_kind, window_start)
               DO UPDATE SET hits = api_rate_counters.hits + 1
               RETURNING hits, window_start
           )
           SELECT m.hits AS "minute_hits!", d.hits AS "day_hits!",
                  ceil(extract(epoch FROM m.window_start + interval '1 minute' - now()))::bigint
                      AS "minute_reset!",
                  ceil(extract(epoch FROM d.window_start + interval '1 day' - now()))::bigint
                      AS "day_reset!"
           FROM m, d"#,
        org as OrganizationId,
        key as ApiKeyId
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(tighter(
        (per_minute, i64::from(row.minute_hits), row.minute_reset),
        (per_day, i64::from(row.day_hits), row.day_reset),
    ))
}

/// The window with fewer requests left (the exhausted one, if any).
pub fn tighter(minute: (i64, i64, i64), day: (i64, i64, i64)) -> Rate {
    let make = |(limit, hits, reset): (i64, i64, i64), window| Rate {
        limit,
        remaining: (limit - hits).max(0),
        reset: reset.max(1),
        window,
        exceeded: hits > limit,
    };
    let m = make(minute, RateWindow::Minute);
    let d = make(day, RateWindow::Day);
    match (m.exceeded, d.exceeded) {
        (_, true) => d,
        (true, false) => m,
        _ if d.remaining < m.remaining => d,
        _ => m,
    }
}

#[cfg(test)]
mod tests {
    use super::{tighter, RateWindow};

    #[test]
    fn the_tighter_window_is_reported() {
        let r = tighter((60, 10, 30), (5000, 100, 3600));
        assert_eq!(
            (r.window, r.remaining, r.exceeded),
            (RateWindow::Minute, 50, false)
        );
        let r = tighter((60, 61, 30), (5000, 100, 3600));
        assert_eq!(
            (r.window, r.remaining, r.exceeded),
            (RateWindow::Minute, 0, true)
        );
        let r = tighter((60, 5, 30), (5000, 4998, 3600));
        assert_eq!((r.window, r.remaining), (RateWindow::Day, 2));
        let r = tighter((60, 5, 30), (5000, 5001, 3600));
        assert!(r.exceeded && r.window == RateWindow::Day);
    }
}
