//! Identity data access: accounts, credentials, memberships, sign-ins, the
//! login log and reset tokens. Each function names in its signature the
//! scope it runs in (see [`crate::db`]); the row-level security policies
//! hold it to that scope whatever the SQL says.

use super::session::RequestMeta;
use super::{OrgKind, Role};
use crate::db::{Acting, SignIn, TenantTx, Token, Tx};
use crate::identity::{LoginId, OrganizationId, UserId};
use sqlx::PgConnection;
use time::OffsetDateTime;

/// The account an address names, as the sign-in scope sees it.
pub struct SignInAccount {
    pub id: UserId,
    pub disabled: bool,
    pub password_hash: Option<String>,
}

pub async fn account_for_sign_in(
    tx: &mut Tx<SignIn>,
) -> Result<Option<SignInAccount>, sqlx::Error> {
    sqlx::query_as!(
        SignInAccount,
        r#"SELECT u.id AS "id: UserId", u.disabled_at IS NOT NULL AS "disabled!",
                  c.password_hash AS "password_hash?"
           FROM users u
           LEFT JOIN user_credentials c ON c.user_id = u.id
           WHERE lower(u.email) = app_login_email()"#
    )
    .fetch_optional(tx.conn())
    .await
}

/// Takes the scope's address's sign-in lock until the transaction ends, so
/// two sign-ins at one address count and take their places in turn.
pub async fn lock_address(tx: &mut Tx<SignIn>) -> Result<(), sqlx::Error> {
    let key = format!("sign_in:{}", tx.email());
    sqlx::query!(
        r#"SELECT pg_advisory_xact_lock(hashtextextended($1, 0)) IS NULL AS "locked!""#,
        key
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(())
}

/// Records a guess at the scope's address as `pending` (its place in the
/// lockout's count while the password is checked); its id, to settle it.
pub async fn record_pending(
    tx: &mut Tx<SignIn>,
    user_id: Option<UserId>,
    meta: &RequestMeta,
) -> Result<i64, sqlx::Error> {
    let email = tx.email().to_owned();
    sqlx::query_scalar!(
        "INSERT INTO login_attempts (email, user_id, outcome, ip, user_agent)
         VALUES ($1, $2, 'pending', $3::text::inet, $4)
         RETURNING id",
        email,
        user_id as Option<UserId>,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent.as_deref(),
    )
    .fetch_one(tx.conn())
    .await
}

/// Replaces a pending guess's outcome with what the check found.
pub async fn settle(
    tx: &mut Tx<SignIn>,
    attempt: i64,
    outcome: LoginOutcome,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE login_attempts SET outcome = $2 WHERE id = $1 AND outcome = 'pending'",
        attempt,
        outcome as LoginOutcome,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The times of failed sign-ins for the scope's address that still count:
/// within `window_secs`, after the last success or reset, and the guesses
/// still being checked (for a minute at most); newest first, at most
/// `limit`.
pub async fn counted_failures(
    tx: &mut Tx<SignIn>,
    window_secs: f64,
    limit: i64,
) -> Result<Vec<OffsetDateTime>, sqlx::Error> {
    let email = tx.email().to_owned();
    sqlx::query_scalar!(
        r#"SELECT attempted_at FROM login_attempts
           WHERE email = $1
             AND (outcome IN ('bad_password', 'unknown_account')
                  OR (outcome = 'pending' AND attempted_at > now() - interval '1 minute'))
             AND attempted_at > now() - make_interval(secs => $2)
             AND attempted_at > coalesce(
                 (SELECT max(attempted_at) FROM login_attempts
                  WHERE email = $1 AND outcome IN ('success', 'password_reset')),
                 '-infinity')
           ORDER BY attempted_at DESC
           LIMIT $3"#,
        email,
        window_secs,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "login_outcome", rename_all = "snake_case")]
pub enum LoginOutcome {
    Success,
    BadPassword,
    UnknownAccount,
    Locked,
    Disabled,
    PasswordReset,
    /// Recorded before the password is checked; settled right after.
    Pending,
}

/// Appends to the login log.
pub async fn record_attempt(
    conn: &mut PgConnection,
    email: &str,
    user_id: Option<UserId>,
    outcome: LoginOutcome,
    meta: &RequestMeta,
) -> Result<(), sqlx::Error> {
    let email: String = email.to_lowercase().chars().take(320).collect();
    sqlx::query!(
        "INSERT INTO login_attempts (email, user_id, outcome, ip, user_agent)
         VALUES ($1, $2, $3, $4::text::inet, $5)",
        email,
        user_id as Option<UserId>,
        outcome as LoginOutcome,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent.as_deref(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One of a person's memberships, with its organization.
#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub org_id: OrganizationId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub role: Role,
}

/// Every membership of the scope's user (user scope: no organization
/// chosen), oldest first.
pub async fn own_memberships(tx: &mut Tx<Acting>) -> Result<Vec<MembershipRow>, sqlx::Error> {
    let user_id = tx.scope().user_id;
    sqlx::query_as!(
        MembershipRow,
        r#"SELECT m.organization_id AS "org_id: OrganizationId", o.name AS org_name,
                  o.kind AS "org_kind: OrgKind", m.role AS "role: Role"
           FROM memberships m
           JOIN organizations o ON o.id = m.organization_id
           WHERE m.user_id = $1
           ORDER BY m.created_at, o.name"#,
        user_id as UserId
    )
    .fetch_all(tx.conn())
    .await
}

/// Records a new sign-in and returns its id.
pub async fn create_login(
    tx: &mut Tx<Acting>,
    expires_at: OffsetDateTime,
    meta: &RequestMeta,
) -> Result<LoginId, sqlx::Error> {
    let id = LoginId::new();
    let user_id = tx.scope().user_id;
    sqlx::query!(
        "INSERT INTO user_sessions (id, user_id, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4::text::inet, $5)",
        id as LoginId,
        user_id as UserId,
        expires_at,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent.as_deref(),
    )
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Why a sign-in ended; the values of `user_sessions.ended_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    SignedOut,
    Revoked,
    PasswordChanged,
    PasswordReset,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::SignedOut => "signed_out",
            EndReason::Revoked => "revoked",
            EndReason::PasswordChanged => "password_changed",
            EndReason::PasswordReset => "password_reset",
        }
    }
}

/// Ends one of the user's live sign-ins; whether it was live.
pub async fn end_login(
    conn: &mut PgConnection,
    login_id: LoginId,
    reason: EndReason,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE user_sessions SET ended_at = now(), ended_reason = $2
         WHERE id = $1 AND ended_at IS NULL",
        login_id as LoginId,
        reason.as_str()
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every live sign-in of the scope's user except `keep`; how many.
pub async fn end_other_logins(
    conn: &mut PgConnection,
    keep: Option<LoginId>,
    reason: EndReason,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE user_sessions SET ended_at = now(), ended_reason = $2
         WHERE user_id = app_user_id() AND ended_at IS NULL
           AND ($1::uuid IS NULL OR id <> $1)",
        keep as Option<LoginId>,
        reason.as_str()
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A live sign-in, as the account page lists it.
pub struct LoginRow {
    pub id: LoginId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn live_logins(tx: &mut TenantTx) -> Result<Vec<LoginRow>, sqlx::Error> {
    sqlx::query_as!(
        LoginRow,
        r#"SELECT id AS "id: LoginId", created_at, last_seen_at, host(ip) AS ip, user_agent
           FROM user_sessions
           WHERE user_id = app_user_id() AND ended_at IS NULL AND expires_at > now()
           ORDER BY last_seen_at DESC"#
    )
    .fetch_all(tx.conn())
    .await
}

/// A login-log entry, as the account page lists it.
pub struct AttemptRow {
    pub attempted_at: OffsetDateTime,
    pub outcome: LoginOutcome,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn own_attempts(tx: &mut TenantTx, limit: i64) -> Result<Vec<AttemptRow>, sqlx::Error> {
    sqlx::query_as!(
        AttemptRow,
        r#"SELECT attempted_at, outcome AS "outcome: LoginOutcome", host(ip) AS ip, user_agent
           FROM login_attempts
           WHERE user_id = app_user_id()
           ORDER BY attempted_at DESC
           LIMIT $1"#,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Creates an account with its password and its first membership.
pub async fn create_account(
    tx: &mut Tx<Acting>,
    email: &str,
    display_name: &str,
    password_hash: &str,
    membership: (OrganizationId, Role),
) -> Result<(), sqlx::Error> {
    insert_person(tx, email, display_name, password_hash).await?;
    add_membership(tx, membership).await
}

/// The scope's user and their password: the account itself, before any
/// membership.
async fn insert_person(
    tx: &mut Tx<Acting>,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    let user_id = tx.scope().user_id;
    sqlx::query!(
        "INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3)",
        user_id as UserId,
        email,
        display_name
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "INSERT INTO user_credentials (user_id, password_hash) VALUES ($1, $2)",
        user_id as UserId,
        password_hash
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Creates the scope's user as a family: the account, and a family
/// organization with them as its first member (`family_signup`).
pub async fn create_family_account(
    tx: &mut Tx<Acting>,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    insert_person(tx, email, display_name, password_hash).await?;
    // The family is named after the person who registers it.
    let name: String = format!("{display_name}'s family")
        .chars()
        .take(160)
        .collect();
    sqlx::query_scalar::<_, uuid::Uuid>("SELECT family_signup($1)")
        .bind(name)
        .fetch_one(tx.conn())
        .await?;
    Ok(())
}

/// Adds a membership of the scope's user (self-registration, or an
/// invitation the policies check).
pub async fn add_membership(
    tx: &mut Tx<Acting>,
    (org, role): (OrganizationId, Role),
) -> Result<(), sqlx::Error> {
    let user_id = tx.scope().user_id;
    sqlx::query!(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)",
        org as OrganizationId,
        user_id as UserId,
        role as Role
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The scope user's password hash and address.
pub async fn own_credentials(conn: &mut PgConnection) -> Result<(String, String), sqlx::Error> {
    let row = sqlx::query!(
        "SELECT c.password_hash, u.email FROM user_credentials c
         JOIN users u ON u.id = c.user_id
         WHERE c.user_id = app_user_id()"
    )
    .fetch_one(conn)
    .await?;
    Ok((row.password_hash, row.email))
}

pub async fn set_password(conn: &mut PgConnection, password_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE user_credentials SET password_hash = $1, password_changed_at = now()
         WHERE user_id = app_user_id()",
        password_hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Files a reset token for the sign-in scope's account.
pub async fn issue_reset_token(
    tx: &mut Tx<SignIn>,
    user_id: UserId,
    token_hash: &[u8; 32],
    expires_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, $3)",
        user_id as UserId,
        token_hash.as_slice(),
        expires_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The token the scope holds, if it is still usable, with its account.
pub struct ResetTokenRow {
    pub user_id: UserId,
    pub usable: bool,
}

pub async fn reset_token(
    tx: &mut Tx<Token>,
    lock: bool,
) -> Result<Option<ResetTokenRow>, sqlx::Error> {
    // Two statements rather than a format!: SQL stays compile-time checked.
    if lock {
        sqlx::query_as!(
            ResetTokenRow,
            r#"SELECT user_id AS "user_id: UserId", (used_at IS NULL AND expires_at > now()) AS "usable!"
               FROM password_reset_tokens WHERE token_hash = app_token_hash()
               FOR UPDATE"#
        )
        .fetch_optional(tx.conn())
        .await
    } else {
        sqlx::query_as!(
            ResetTokenRow,
            r#"SELECT user_id AS "user_id: UserId", (used_at IS NULL AND expires_at > now()) AS "usable!"
               FROM password_reset_tokens WHERE token_hash = app_token_hash()"#
        )
        .fetch_optional(tx.conn())
        .await
    }
}

/// Spends every outstanding reset token of the scope's user.
pub async fn spend_reset_tokens(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE password_reset_tokens SET used_at = now()
         WHERE user_id = app_user_id() AND used_at IS NULL"
    )
    .execute(conn)
    .await?;
    Ok(())
}
