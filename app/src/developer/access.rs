//! API-key access: a presented key becomes a [`Principal`] acting for the
//! key's organization, with the request counted against the key's limits.

use super::{keys, ApiEnvironment};
use crate::db;
use crate::error::AppError;
use crate::identity::{
    Actor, ApiKeyId, ApiKeyRef, OrgKind, OrganizationId, Principal, Resolved, Role,
};

/// What authenticating an API key found.
#[derive(Debug, Clone)]
pub struct KeyCheck {
    pub principal: Principal,
    pub rate: super::Rate,
}

/// Authenticates a presented API key and counts the request against the
/// key's limits, in one short transaction of its own (so the count stands
/// whatever the request does next). `None` when the key is malformed,
/// unknown, revoked, or does not match.
pub async fn resolve_api_key(
    pool: &sqlx::PgPool,
    presented: &str,
) -> Result<Option<KeyCheck>, AppError> {
    let Some(parsed) = keys::parse(presented) else {
        return Ok(None);
    };
    let mut tx = crate::db::begin(pool).await?;
    // The transaction writes only the key's counters and last use, so its
    // commit need not wait for the disk: a crash loses at most the last
    // fraction of a second of counts. It writes no audit event.
    sqlx::query!(
        r#"SELECT set_config('app.api_key_id', $1, true) AS "set!",
                  set_config('synchronous_commit', 'off', true) AS "async!""#,
        parsed.key_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let Some(key) = sqlx::query!(
        r#"SELECT organization_id AS "organization_id: OrganizationId", id AS "id: ApiKeyId", secret_hash,
                  environment AS "environment: ApiEnvironment",
                  acts_as AS "acts_as: Role", revoked_at IS NOT NULL AS "revoked!",
                  last_used_at IS NULL OR last_used_at < now() - interval '1 minute' AS "stale!"
           FROM api_keys WHERE key_id = $1"#,
        parsed.key_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    if key.revoked || !keys::matches(&key.secret_hash, presented) {
        return Ok(None);
    }
    let sandbox_key = key.environment == ApiEnvironment::Sandbox;
    if sandbox_key != parsed.sandbox {
        return Ok(None);
    }
    db::set_key_identity(&mut tx, key.id, (key.organization_id, key.acts_as)).await?;
    // The organization and its configured limits (a sandbox key has the
    // published ones) in one query.
    let org = sqlx::query!(
        r#"SELECT o.name, o.kind AS "kind: OrgKind", o.sandbox,
                  l.per_minute AS "per_minute?", l.per_day AS "per_day?"
           FROM organizations o
           LEFT JOIN api_rate_limits l ON l.organization_id = o.id
           WHERE o.id = $1"#,
        key.organization_id as OrganizationId
    )
    .fetch_one(&mut *tx)
    .await?;
    let limits = match (sandbox_key, org.per_minute, org.per_day) {
        (true, _, _) => super::rate::SANDBOX,
        (false, Some(minute), Some(day)) => (i64::from(minute), i64::from(day)),
        (false, _, _) => super::rate::LIVE_DEFAULT,
    };
    if key.stale {
        sqlx::query!(
            "UPDATE api_keys SET last_used_at = now() WHERE key_id = $1",
            parsed.key_id
        )
        .execute(&mut *tx)
        .await?;
    }
    let rate = super::rate::count(&mut tx, key.organization_id, key.id, limits).await?;
    tx.commit().await?;
    Ok(Some(KeyCheck {
        principal: Principal {
            actor: Actor::ApiKey(ApiKeyRef {
                id: key.id,
                sandbox: sandbox_key,
            }),
            email: String::new(),
            display_name: "API key".to_owned(),
            org_id: key.organization_id,
            org_name: org.name,
            org_kind: org.kind,
            role: key.acts_as,
            can_switch: false,
            sandbox: org.sandbox,
            _resolved: Resolved::vouch(),
        },
        rate,
    }))
}
