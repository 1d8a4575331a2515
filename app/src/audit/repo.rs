//! Writing and reading the audit log. Writers never pick the actor or the
//! chain: both come from the transaction's scope (see [`Chain`]), matching
//! what the row-level security policy on `audit_events` insists on.

use super::filter::AuditQuery;
use super::{AuditAction, AuditEventView, ChainStatus};
use crate::auth::session::Actor;
use crate::auth::Principal;
use crate::db::{platform_org_id, Acting, Anonymous, Operator, SignIn, TenantTx, Token, Tx};
use crate::identity::{ApiKeyId, GrantId, OrganizationId, UserId};
use std::net::IpAddr;

/// Who is acting in a scope, and which organization's chain their events
/// belong to.
pub trait Chain {
    fn actor(&self) -> AuditActor;
    fn chain_org(&self) -> OrganizationId;
}

/// Who an event says acted (the `actor_type` column and its id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditActor {
    /// Nobody proven yet: a failed sign-in, a public form.
    Anonymous,
    /// The operator's command line, over the administrative connection.
    Operator,
    User(UserId),
    ApiKey(ApiKeyId),
    /// A platform administrator under a break-glass grant.
    BreakGlass {
        user_id: UserId,
        grant_id: GrantId,
    },
}

/// The actor columns of an event.
struct ActorColumns {
    kind: &'static str,
    user_id: Option<UserId>,
    api_key_id: Option<ApiKeyId>,
    grant_id: Option<GrantId>,
}

impl AuditActor {
    fn columns(self) -> ActorColumns {
        let (kind, user_id, api_key_id, grant_id) = match self {
            AuditActor::Anonymous => ("anonymous", None, None, None),
            AuditActor::Operator => ("operator", None, None, None),
            AuditActor::User(id) => ("user", Some(id), None, None),
            AuditActor::ApiKey(id) => ("api_key", None, Some(id), None),
            AuditActor::BreakGlass { user_id, grant_id } => {
                ("break_glass", Some(user_id), None, Some(grant_id))
            }
        };
        ActorColumns {
            kind,
            user_id,
            api_key_id,
            grant_id,
        }
    }
}

impl Chain for Anonymous {
    fn actor(&self) -> AuditActor {
        AuditActor::Anonymous
    }
    fn chain_org(&self) -> OrganizationId {
        platform_org_id()
    }
}

impl Chain for SignIn {
    fn actor(&self) -> AuditActor {
        AuditActor::Anonymous
    }
    fn chain_org(&self) -> OrganizationId {
        platform_org_id()
    }
}

impl Chain for Token {
    fn actor(&self) -> AuditActor {
        AuditActor::Anonymous
    }
    fn chain_org(&self) -> OrganizationId {
        platform_org_id()
    }
}

/// The operator's command line: nobody signed in; the events say
/// `operator`.
impl Chain for Operator {
    fn actor(&self) -> AuditActor {
        AuditActor::Operator
    }

    fn chain_org(&self) -> OrganizationId {
        self.org
    }
}

impl Chain for Acting {
    fn actor(&self) -> AuditActor {
        AuditActor::User(self.user_id)
    }
    fn chain_org(&self) -> OrganizationId {
        self.org.map_or_else(platform_org_id, |(org, _)| org)
    }
}

impl Chain for Principal {
    fn actor(&self) -> AuditActor {
        match self.actor {
            Actor::User { user_id, .. } => AuditActor::User(user_id),
            Actor::ApiKey(key) => AuditActor::ApiKey(key.id),
            Actor::BreakGlass(grant) => AuditActor::BreakGlass {
                user_id: grant.user_id,
                grant_id: grant.grant_id,
            },
        }
    }
    fn chain_org(&self) -> OrganizationId {
        self.org_id
    }
}

/// What an event is about: `("user", id)`, `("invitation", id)`, …
pub struct Subject {
    pub kind: &'static str,
    pub id: String,
}

impl Subject {
    pub fn user(id: UserId) -> Self {
        Self {
            kind: "user",
            id: id.to_string(),
        }
    }

    pub fn new(kind: &'static str, id: impl ToString) -> Self {
        Self {
            kind,
            id: id.to_string(),
        }
    }
}

/// One event to append.
pub struct Entry {
    pub action: AuditAction,
    pub subject: Option<Subject>,
    pub ip: Option<IpAddr>,
    /// Identifiers and codes only, never PHI.
    pub details: serde_json::Value,
}

impl Entry {
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            subject: None,
            ip: None,
            details: serde_json::json!({}),
        }
    }

    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    pub fn ip(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Appends `entry` to the chain of the transaction's organization, as its
/// actor. Sequence, time and hashes are assigned by the database.
pub async fn record<S: Chain>(tx: &mut Tx<S>, entry: Entry) -> Result<(), sqlx::Error> {
    let org = tx.scope().chain_org();
    let actor = tx.scope().actor().columns();
    let (subject_type, subject_id) = match entry.subject {
        Some(s) => (Some(s.kind), Some(s.id)),
        None => (None, None),
    };
    sqlx::query!(
        "INSERT INTO audit_events
             (organization_id, actor_type, actor_user_id, actor_api_key_id, actor_grant_id,
              action, subject_type, subject_id, ip, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::inet, $10)",
        org as OrganizationId,
        actor.kind,
        actor.user_id as Option<UserId>,
        actor.api_key_id as Option<ApiKeyId>,
        actor.grant_id as Option<GrantId>,
        entry.action.as_str(),
        subject_type,
        subject_id,
        entry.ip.map(|ip| ip.to_string()),
        entry.details,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The newest events of the principal's organization that match `filter`,
/// `limit` at a time, older than `before` when given.
pub async fn recent(
    tx: &mut TenantTx,
    filter: &AuditQuery,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEventView>, sqlx::Error> {
    type Row = (
        i64,
        time::OffsetDateTime,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
    );
    let org = tx.principal().org_id;
    // The actor's name as the page shows it; the filter also matches the
    // account's address.
    let rows: Vec<Row> = sqlx::query_as(
        r#"SELECT e.seq, e.occurred_at, e.action, e.subject_type, e.subject_id, e.ip,
                  e.details, e.actor
           FROM (SELECT a.seq, a.occurred_at, a.action, a.subject_type, a.subject_id,
                        host(a.ip) AS ip, a.details::text AS details, u.email,
                        CASE WHEN a.actor_type = 'break_glass'
                             THEN 'Platform administrator (break-glass) · ' || g.admin_name
                             WHEN a.actor_type = 'operator' THEN 'Operator (command line)'
                             ELSE coalesce(u.display_name, 'API key · ' || k.name)
                        END AS actor
                 FROM audit_events a
                 LEFT JOIN users u ON u.id = a.actor_user_id
                 LEFT JOIN api_keys k ON k.id = a.actor_api_key_id
                                     AND k.organization_id = a.organization_id
                 LEFT JOIN break_glass_grants g ON g.id = a.actor_grant_id
                                               AND g.organization_id = a.organization_id
                 WHERE a.organization_id = $1
                   AND ($2::bigint IS NULL OR a.seq < $2)
                   AND ($4::text IS NULL OR a.action = $4)
                   AND ($5::text IS NULL OR a.subject_id = $5
                        OR a.subject_type || ' ' || a.subject_id = $5)
                   AND ($6::date IS NULL OR a.occurred_at >= $6::date)
                   AND ($7::date IS NULL OR a.occurred_at < $7::date + 1)
                   AND ($9::uuid IS NULL
                        OR (a.subject_type = 'patient' AND a.subject_id = $9::text)
                        OR (a.details ? 'patient_id' AND a.details->>'patient_id' = $9::text)
                        OR (a.subject_type = 'referral' AND a.subject_id IN (
                                SELECT r.id::text FROM referrals r
                                WHERE r.clinic_id = $1 AND r.patient_id = $9))
                        OR (a.subject_type = 'visit' AND a.subject_id IN (
                                SELECT v.id::text FROM visits v
                                WHERE v.organization_id = $1 AND v.patient_id = $9)))) e
           WHERE $8::text IS NULL
              OR strpos(lower(coalesce(e.actor, 'Not signed in')), lower($8)) > 0
              OR strpos(lower(coalesce(e.email, '')), lower($8)) > 0
           ORDER BY e.seq DESC
           LIMIT $3"#,
    )
    .bind(org.uuid())
    .bind(before)
    .bind(limit)
    .bind(filter.action.map(AuditAction::as_str))
    .bind(filter.subject.as_deref())
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.actor.as_deref())
    .bind(filter.patient)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(seq, occurred_at, action, subject_type, subject_id, ip, details, actor)| {
                AuditEventView {
                    seq,
                    occurred_at,
                    actor,
                    action,
                    subject: match (subject_type, subject_id) {
                        (Some(t), Some(id)) => Some(format!("{t} {id}")),
                        _ => None,
                    },
                    ip,
                    details,
                }
            },
        )
        .collect())
}

/// Walks the principal's organization's chain (as far as they may see it).
pub async fn verify(tx: &mut TenantTx) -> Result<ChainStatus, sqlx::Error> {
    let org = tx.principal().org_id;
    verify_chain(tx.conn(), org.uuid()).await
}

/// Walks `org`'s chain on any connection: the operator's command uses an
/// administrative one and sees every chain.
// A bare uuid: the operator's command passes the row id it listed.
pub async fn verify_chain(
    conn: &mut sqlx::PgConnection,
    org: uuid::Uuid,
) -> Result<ChainStatus, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT events AS "events!", first_broken_seq, problem FROM audit_verify($1)"#,
        org
    )
    .fetch_one(conn)
    .await?;
    Ok(ChainStatus {
        events: row.events,
        first_broken_seq: row.first_broken_seq,
        problem: row.problem,
    })
}
