//! Scoped transactions: the doors through which request code reaches data
//! that belongs to someone.
//!
//! Every transaction carries its identity in transaction-local settings
//! (`set_config(.., true)`, bind parameters only) that the row-level
//! security policies read (see `migrations/*_identity_rls.sql`).
//!
//! Every transaction starts through [`begin`], never sqlx's own begins on a
//! pool (clippy.toml forbids them). In sqlx 0.8.6, and 0.9.0, the guard
//! that rolls back a half-begun transaction acts only once `BEGIN` has been
//! answered (sqlx issue 4393): a request dropped while waiting for that
//! answer (the browser navigated away) handed its connection back to the
//! pool inside an open transaction. The next borrower's autocommit
//! statements (a session saved, a packet request stored) then ran inside
//! it: invisible to every other connection, holding their locks, and lost
//! if a later borrower's error rolled it back; and after an error inside
//! it, every statement on that connection failed until the connection
//! was closed. [`begin`] finishes the round trip in a task of its own, so
//! an abandoned transaction is a counted one, and dropping it rolls it
//! back. sqlx has merged a fix (its pull request 4394); once a release
//! with it is in Cargo.lock, [`begin`] and the clippy ban can go.
//!
//! The identity is not sent with `BEGIN` in one message (sqlx's
//! `begin_with`), though that would save a round trip: a plain `BEGIN`
//! leaves nothing for a later borrower to inherit should a future sqlx
//! open the same window again. The scope
//! is a type parameter, so a repository function states in its signature
//! what it may be called with:
//!
//! - [`Tx<Anonymous>`]: nothing set; public content and append-only logs.
//! - [`Tx<SignIn>`]: the address being signed in with; the policies show
//!   exactly that one account.
//! - [`Tx<Token>`]: the hash of an emailed token (reset, invitation, an
//!   intake link); the policies, or the intake link's own functions, show
//!   exactly that token's row.
//! - [`Tx<Acting>`]: a user proven by a password, a token or a session,
//!   possibly acting for an organization; built only by `crate::auth`.
//! - [`TenantTx`] (`Tx<Principal>`): an authenticated principal acting for
//!   one organization with one role. The only way to reach tenant data.
//!   A platform administrator under a break-glass grant is such a
//!   principal too (actor [`Actor::BreakGlass`], `app.break_glass` set),
//!   built only by `crate::auth::session::break_glass`; the policies give
//!   it reads of that organization's referrals and nothing to write.
//!
//! The caller owns the transaction: it commits, or dropping it rolls back.

use crate::identity::{Actor, ApiKeyId, GrantId, OrganizationId, Principal, Role, UserId};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// Begins a transaction on `pool`, completing the `BEGIN` round trip even
/// when the caller is dropped while it is under way.
///
/// The work runs in a task of its own: if the caller goes away, the task
/// still reads `BEGIN`'s answer, sqlx counts the transaction as open, and
/// dropping the unclaimed transaction there queues its `ROLLBACK` before
/// the connection goes back to the pool. One spawned task per transaction
/// costs microseconds; a poisoned connection cost a user their session.
///
/// A request dropped while still queued for a connection keeps its place
/// in the queue (up to the pool's acquire timeout) and, when its turn
/// comes, spends two round trips on `BEGIN` and `ROLLBACK`. Under overload
/// that is work for nobody; taking the connection in the caller first
/// would avoid it, but only through sqlx's hidden `Transaction::begin`.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    use tracing::Instrument;
    let pool = pool.clone();
    // `expect`, not `allow`: should the ban in clippy.toml stop naming this
    // method, the unmet expectation fails the lint run.
    #[expect(clippy::disallowed_methods)]
    let task = tokio::spawn(async move { pool.begin().await }.in_current_span());
    match task.await {
        Ok(begun) => begun,
        // A panic inside sqlx is the caller's panic, as it would have been.
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // The runtime is shutting down: the database is as good as gone.
        Err(_) => Err(sqlx::Error::PoolClosed),
    }
}

/// A transaction with an identity of kind `S`.
pub struct Tx<S> {
    tx: Transaction<'static, Postgres>,
    scope: S,
}

/// The transaction of an authenticated member acting for their organization.
pub type TenantTx = Tx<Principal>;

/// No identity.
pub struct Anonymous;

/// An unauthenticated sign-in (or reset request) naming one address.
pub struct SignIn {
    email: String,
}

/// A request holding an emailed token, stored and matched only as a hash.
pub struct Token;

/// The operator's command line, acting on one organization over the
/// administrative connection (no web identity; its audit events' actor is
/// `operator`).
pub struct Operator {
    pub org: OrganizationId,
}

/// A proven user: by password, token or session. `org` is the organization
/// acted for, when there is one yet.
#[derive(Debug, Clone, Copy)]
pub struct Acting {
    pub user_id: UserId,
    pub org: Option<(OrganizationId, Role)>,
}

impl<S> Tx<S> {
    /// The connection, for repository functions.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub fn scope(&self) -> &S {
        &self.scope
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Tx<Anonymous> {
    pub async fn begin(pool: &PgPool) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tx: begin(pool).await?,
            scope: Anonymous,
        })
    }
}

impl Tx<SignIn> {
    /// Begins a sign-in scope for `email` (compared lower-cased).
    pub async fn begin(pool: &PgPool, email: &str) -> Result<Self, sqlx::Error> {
        let email = email.to_lowercase();
        let mut tx = begin(pool).await?;
        sqlx::query!(
            r#"SELECT set_config('app.login_email', $1, true) AS "set!""#,
            email
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(Self {
            tx,
            scope: SignIn { email },
        })
    }

    /// The lower-cased address.
    pub fn email(&self) -> &str {
        &self.scope.email
    }

    /// The password was verified: continue as that user, with the sign-in
    /// scope's wider view (the address's account) closed again.
    pub(crate) async fn into_user(mut self, user_id: UserId) -> Result<Tx<Acting>, sqlx::Error> {
        sqlx::query!(
            r#"SELECT set_config('app.login_email', '', true) AS "a!",
                      set_config('app.user_id', $1, true) AS "b!""#,
            user_id.to_string()
        )
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(Tx {
            tx: self.tx,
            scope: Acting { user_id, org: None },
        })
    }
}

impl Tx<Operator> {
    /// Begins on the administrative `pool` (the operator's own
    /// credentials), for `org`.
    pub async fn begin(pool: &PgPool, org: OrganizationId) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tx: begin(pool).await?,
            scope: Operator { org },
        })
    }
}

impl Tx<Token> {
    /// Begins a token scope for the SHA-256 of an emailed token.
    pub async fn begin(pool: &PgPool, token_hash: &[u8; 32]) -> Result<Self, sqlx::Error> {
        let mut tx = begin(pool).await?;
        sqlx::query!(
            r#"SELECT set_config('app.token_hash', $1, true) AS "set!""#,
            hex::encode(token_hash)
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(Self { tx, scope: Token })
    }

    /// The token was redeemed by (or on behalf of) `user_id`: continue as
    /// that user. The token stays set, since accepting an invitation is
    /// checked against it.
    pub(crate) async fn into_user(mut self, user_id: UserId) -> Result<Tx<Acting>, sqlx::Error> {
        set_user(&mut self.tx, user_id).await?;
        Ok(Tx {
            tx: self.tx,
            scope: Acting { user_id, org: None },
        })
    }
}

impl Tx<Acting> {
    /// A brand-new account registering itself with `role` on the platform.
    pub(crate) async fn registering(
        pool: &PgPool,
        user_id: UserId,
        role: Role,
    ) -> Result<Self, sqlx::Error> {
        let mut tx = begin(pool).await?;
        set_user(&mut tx, user_id).await?;
        let mut this = Self {
            tx,
            scope: Acting { user_id, org: None },
        };
        this.act_for(platform_org_id(), role).await?;
        Ok(this)
    }

    /// Acts for `org` with `role` from now on in this transaction.
    pub(crate) async fn act_for(
        &mut self,
        org: OrganizationId,
        role: Role,
    ) -> Result<(), sqlx::Error> {
        set_org(&mut self.tx, Some((org, role))).await?;
        self.scope.org = Some((org, role));
        Ok(())
    }
}

impl Tx<Principal> {
    /// Begins the transaction of an authenticated principal. The principal
    /// was resolved from a live session; see `crate::auth::session`.
    pub(crate) async fn for_principal(
        tx: Transaction<'static, Postgres>,
        principal: Principal,
    ) -> Self {
        Self {
            tx,
            scope: principal,
        }
    }

    pub fn principal(&self) -> &Principal {
        &self.scope
    }

    /// Begins another transaction for a principal already resolved in
    /// this request (an API key's: authenticated and counted in a
    /// transaction of its own).
    pub async fn begin_for(pool: &PgPool, principal: Principal) -> Result<Self, sqlx::Error> {
        let mut tx = begin(pool).await?;
        let org = (principal.org_id, principal.role);
        match principal.actor {
            Actor::User { user_id, .. } => set_identity(&mut tx, user_id, Some(org)).await?,
            Actor::ApiKey(key) => set_key_identity(&mut tx, key.id, org).await?,
            Actor::BreakGlass(grant) => {
                set_identity(&mut tx, grant.user_id, Some(org)).await?;
                set_break_glass(&mut tx, grant.grant_id).await?;
            }
        }
        Ok(Self {
            tx,
            scope: principal,
        })
    }

    /// Steps back from the organization to the person alone: their own
    /// memberships in every organization become visible (the context
    /// picker), no organization's data does.
    pub async fn into_user_scope(mut self) -> Result<Tx<Acting>, crate::error::AppError> {
        let user_id = self.scope.require_person()?;
        set_org(&mut self.tx, None).await?;
        Ok(Tx {
            scope: Acting { user_id, org: None },
            tx: self.tx,
        })
    }
}

/// The operator's organization (a constant shared with the migrations).
pub fn platform_org_id() -> OrganizationId {
    OrganizationId::from(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001))
}

/// Sets the identity of a fresh transaction in one round trip.
pub(crate) async fn set_identity(
    conn: &mut PgConnection,
    user_id: UserId,
    org: Option<(OrganizationId, Role)>,
) -> Result<(), sqlx::Error> {
    let (org_id, role) = match org {
        Some((org, role)) => (org.to_string(), role.as_str()),
        None => (String::new(), ""),
    };
    sqlx::query!(
        r#"SELECT set_config('app.user_id', $1, true) AS "u!",
                  set_config('app.org_id', $2, true) AS "o!",
                  set_config('app.role', $3, true) AS "r!""#,
        user_id.to_string(),
        org_id,
        role
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Sets the identity of an API key's fresh transaction: the key (its id in
/// `app.actor_api_key`), its organization and role, and no user: a key is
/// nobody, and the audit policy holds it to writing events as itself.
pub(crate) async fn set_key_identity(
    conn: &mut PgConnection,
    key_id: ApiKeyId,
    (org, role): (OrganizationId, Role),
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"SELECT set_config('app.user_id', '', true) AS "u!",
                  set_config('app.actor_api_key', $1, true) AS "k!",
                  set_config('app.org_id', $2, true) AS "o!",
                  set_config('app.role', $3, true) AS "r!""#,
        key_id.to_string(),
        org.to_string(),
        role.as_str()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Marks the transaction as acting under the break-glass grant `grant_id`
/// (read by `app_break_glass()`; the policies check it is live).
pub(crate) async fn set_break_glass(
    conn: &mut PgConnection,
    grant_id: GrantId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"SELECT set_config('app.break_glass', $1, true) AS "g!""#,
        grant_id.to_string()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

async fn set_user(conn: &mut PgConnection, user_id: UserId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"SELECT set_config('app.user_id', $1, true) AS "set!""#,
        user_id.to_string()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

async fn set_org(
    conn: &mut PgConnection,
    org: Option<(OrganizationId, Role)>,
) -> Result<(), sqlx::Error> {
    let (org_id, role) = match org {
        Some((org, role)) => (org.to_string(), role.as_str()),
        None => (String::new(), ""),
    };
    sqlx::query!(
        r#"SELECT set_config('app.org_id', $1, true) AS "o!",
                  set_config('app.role', $2, true) AS "r!""#,
        org_id,
        role
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}
