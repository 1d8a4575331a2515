//! One error type for everything a caller can be told: server functions, the
//! REST API and page loaders all return [`AppError`].
//!
//! Policy: client errors are typed and specific (a validation error names the
//! field and says what is wrong); internal failures are logged on the server
//! with their cause and reach the caller only as a generic [`AppError::Internal`]
//! so database messages, SQL or stack details never cross the wire.

use serde::{Deserialize, Serialize};

/// A problem with one named input field, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The input's `name`, as submitted.
    pub field: String,
    /// A sentence telling the person what to change.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// One or more inputs were rejected; nothing was changed.
    #[error("Some fields need attention.")]
    #[serde(rename = "validation_failed")]
    Validation { fields: Vec<FieldError> },
    #[error("Not found.")]
    NotFound,
    #[error("Please sign in.")]
    Unauthorized,
    /// Sign-in failed. Deliberately the same whether the address has an
    /// account or not.
    #[error("The email address or password is incorrect.")]
    InvalidCredentials,
    /// Too many recent failed sign-ins for this address. Also the same for
    /// addresses with no account.
    #[error("Too many failed sign-in attempts. For your security, signing in to this account is locked for {minutes} more minutes. You can reset your password to unlock it now.")]
    AccountLocked { minutes: u64 },
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("{message}")]
    Conflict { message: String },
    #[error("Too many requests; try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (the database) is down; the request can be retried.
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    /// Something failed on our side; the cause is in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request itself could not be read (malformed body, missing argument)
    /// or the response could not be read by the client.
    #[error("The request could not be processed: {message}")]
    BadRequest { message: String },
}

impl AppError {
    /// A validation error for a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            fields: vec![FieldError::new(field, message)],
        }
    }

    /// The stable machine-readable code, also used as the JSON `code`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "validation_failed",
            AppError::NotFound => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::AccountLocked { .. } => "account_locked",
            AppError::Forbidden => "forbidden",
            AppError::Conflict { .. } => "conflict",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::Internal => "internal",
            AppError::BadRequest { .. } => "bad_request",
        }
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::Validation { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::NotFound => S::NOT_FOUND,
            AppError::Unauthorized | AppError::InvalidCredentials => S::UNAUTHORIZED,
            AppError::AccountLocked { .. } => S::TOO_MANY_REQUESTS,
            AppError::Forbidden => S::FORBIDDEN,
            AppError::Conflict { .. } => S::CONFLICT,
            AppError::RateLimited { .. } => S::TOO_MANY_REQUESTS,
            AppError::Unavailable => S::SERVICE_UNAVAILABLE,
            AppError::Internal => S::INTERNAL_SERVER_ERROR,
            AppError::BadRequest { .. } => S::BAD_REQUEST,
        }
    }

    /// For errors that end by waiting: how long, for `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            AppError::AccountLocked { minutes } => Some(minutes * 60),
            // Long enough for a restarted database or a released lock.
            AppError::Unavailable => Some(5),
            _ => None,
        }
    }

    /// The message for `field`, when this is a validation error naming it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            AppError::Validation { fields } => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.as_str()),
            _ => None,
        }
    }
}

/// The database constraints the domain answers in its own words, named
/// once: the only place a constraint's name is spelled in Rust
/// (`server/tests/schema.rs` checks each still exists).
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// An account already has this address (`users_email_key`).
    EmailTaken,
    /// An invitation to this address is still open
    /// (`invitations_one_open_per_email`).
    InvitationOpen,
    /// The person already has a role here (`memberships_one_role_per_org`).
    AlreadyMember,
    /// Another clinician profile has this NPI (`clinicians_npi_key`).
    NpiTaken,
    /// The clinician already has a visit at that time, in any clinic
    /// (`visits_no_double_booking`, an exclusion constraint).
    DoubleBooked,
    /// Weekly hours that overlap hours already set for that day
    /// (`clinician_hours_no_overlap`, an exclusion constraint).
    HoursOverlap,
}

#[cfg(feature = "ssr")]
impl Violation {
    pub const ALL: [Violation; 6] = [
        Violation::EmailTaken,
        Violation::InvitationOpen,
        Violation::AlreadyMember,
        Violation::NpiTaken,
        Violation::DoubleBooked,
        Violation::HoursOverlap,
    ];

    /// The constraint's (or unique index's) name in the migrations.
    pub fn constraint(self) -> &'static str {
        match self {
            Violation::EmailTaken => "users_email_key",
            Violation::InvitationOpen => "invitations_one_open_per_email",
            Violation::AlreadyMember => "memberships_one_role_per_org",
            Violation::NpiTaken => "clinicians_npi_key",
            Violation::DoubleBooked => "visits_no_double_booking",
            Violation::HoursOverlap => "clinician_hours_no_overlap",
        }
    }

    /// Which of these `error` is, if it is one.
    pub fn of(error: &sqlx::Error) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| violates(error, v.constraint()))
    }
}

/// Whether `error` is the constraint (or unique index) `name` refusing a
/// row: for the refusals one repository turns into one field's message.
#[cfg(feature = "ssr")]
pub fn violates(error: &sqlx::Error, name: &str) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.constraint() == Some(name))
}

impl From<FieldError> for AppError {
    fn from(field: FieldError) -> Self {
        AppError::Validation {
            fields: vec![field],
        }
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(fields: Vec<FieldError>) -> Self {
        AppError::Validation { fields }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let error = match value {
            // The request could not be read, or (in the browser) the form
            // could not be turned into one.
            E::Args(m) | E::MissingArg(m) | E::Deserialization(m) | E::Serialization(m) => {
                AppError::BadRequest { message: m }
            }
            E::Request(m) | E::Response(m) => AppError::BadRequest {
                message: format!("network error: {m}"),
            },
            E::UnsupportedRequestMethod(m) => AppError::BadRequest { message: m },
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failure");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Internal
            }
        };
        // Inside a server-function request, answer with the matching status
        // (400 for an unreadable body) rather than server_fn's blanket 500.
        #[cfg(feature = "ssr")]
        set_response_status(&error);
        error
    }
}

/// Sets the HTTP status of the current server-function or page response to
/// the one `error` stands for. Does nothing outside a request.
#[cfg(feature = "ssr")]
pub fn set_response_status(error: &AppError) {
    if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(error.status());
        if let Some(secs) = error.retry_after_secs() {
            options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(error = %error, "database unavailable");
                AppError::Unavailable
            }
            sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_transient) => {
                // At error level: a statement timeout or a deadlock can be a
                // bad plan or a bug, not only an outage.
                tracing::error!(error = %error, "database gave up on the statement; retryable");
                AppError::Unavailable
            }
            _ => {
                tracing::error!(error = %error, "database error");
                AppError::Internal
            }
        }
    }
}

/// SQLSTATEs that say "not now" rather than "never": the request may be
/// retried as it was, so they answer 503 with `Retry-After`, not 500.
#[cfg(feature = "ssr")]
fn is_transient(code: &str) -> bool {
    matches!(
        code,
        // statement_timeout (a statement stuck on a lock, or slow), and
        // lock_timeout.
        "57014" | "55P03"
        // The server is shutting down, crashed, or still starting.
        | "57P01" | "57P02" | "57P03"
        // Too many connections; serialization failure and deadlock, which
        // the database resolved by cancelling this transaction.
        | "53300" | "40001" | "40P01"
    ) || (code.starts_with("08") && code != "08P01") // connection lost, not a protocol bug
}

/// The JSON body of every native API error:
/// `{"error": {"code": "...", "message": "...", "fields": [...]}}`.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let fields = match &self {
            AppError::Validation { fields } => Some(fields.clone()),
            _ => None,
        };
        let body = serde_json::json!({
            "error": {
                "code": self.code(),
                "message": self.to_string(),
                "fields": fields,
            }
        });
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        response
    }
}

/// Passes `result` through, first setting the response status to the
/// error's when it is one, so a validation failure answers 422, not
/// server_fn's default 500. Called only by the code `#[app_macros::rpc]`
/// wraps every server function's body in (its module doc says why there).
#[cfg(feature = "ssr")]
#[doc(hidden)]
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        set_response_status(error);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_are_stable() {
        assert_eq!(AppError::NotFound.code(), "not_found");
        assert_eq!(AppError::NotFound.status(), http::StatusCode::NOT_FOUND);
        let v = AppError::invalid("email", "Enter an email address.");
        assert_eq!(v.code(), "validation_failed");
        assert_eq!(v.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v.field_message("email"), Some("Enter an email address."));
        assert_eq!(v.field_message("name"), None);
    }

    #[test]
    fn serialises_with_a_code_tag() {
        let json = serde_json::to_value(AppError::invalid("name", "Required.")).unwrap();
        assert_eq!(json["code"], "validation_failed");
        assert_eq!(json["fields"][0]["field"], "name");
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back, AppError::invalid("name", "Required."));
    }

    /// A server function declared with `#[rpc]` that always refuses.
    #[cfg(feature = "ssr")]
    #[app_macros::rpc(prefix = "/rpc", endpoint = "test/refuse")]
    async fn refuse(retry_after_secs: Option<u64>) -> Result<(), AppError> {
        Err(match retry_after_secs {
            Some(retry_after_secs) => AppError::RateLimited { retry_after_secs },
            None => AppError::Forbidden,
        })
    }

    /// Calls `refuse` as a page render does (directly, with the response's
    /// options in context) and returns the status and headers it set.
    #[cfg(feature = "ssr")]
    fn refused_response(retry_after_secs: Option<u64>) -> leptos_axum::ResponseParts {
        use leptos::prelude::{provide_context, Owner};
        let options = leptos_axum::ResponseOptions::default();
        let owner = Owner::new();
        owner.with(|| {
            provide_context(options.clone());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            assert!(runtime.block_on(refuse(retry_after_secs)).is_err());
        });
        let parts = options.0.read().unwrap().clone();
        parts
    }

    /// Without the `#[rpc]` wrapper a refusal would answer 200 on a page
    /// and 500 over `/rpc`.
    #[cfg(feature = "ssr")]
    #[test]
    fn an_rpc_error_sets_the_response_status() {
        let forbidden = refused_response(None);
        assert_eq!(forbidden.status, Some(http::StatusCode::FORBIDDEN));
        assert!(forbidden.headers.get(http::header::RETRY_AFTER).is_none());
        let limited = refused_response(Some(30));
        assert_eq!(limited.status, Some(http::StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(limited.headers[http::header::RETRY_AFTER], "30");
    }

    /// A bare `#[server]` would skip the status: every server function in
    /// this crate is declared with `#[rpc]`.
    #[test]
    fn every_server_function_is_declared_with_rpc() {
        fn visit(dir: &std::path::Path, bare: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    visit(&path, bare);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        let line = line.trim_start();
                        if (line.starts_with("#[server(") && !line.starts_with("#[server(default"))
                            || line.starts_with("#[server]")
                            || line.starts_with("#[leptos::server")
                        {
                            bare.push(format!("{}:{}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
        let mut bare = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut bare,
        );
        assert!(bare.is_empty(), "use #[rpc] instead of #[server]: {bare:?}");
    }

    /// Through the real conversion; `server/tests/schema.rs` does the same
    /// with an error the database itself raised.
    #[cfg(feature = "ssr")]
    #[test]
    fn internal_errors_say_nothing_specific() {
        let raw = sqlx::Error::Protocol("column user_credentials.password_hash: bad".into());
        let error = AppError::from(raw);
        assert_eq!(error, AppError::Internal);
        assert_eq!(error.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        let said = format!("{error} {}", serde_json::to_string(&error).unwrap());
        assert!(
            !said.contains("password_hash") && !said.contains("column"),
            "{said}"
        );
        let unavailable = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(unavailable, AppError::Unavailable);
        assert_eq!(unavailable.retry_after_secs(), Some(5));
    }

    /// The codes a statement timeout, a restart and a lost connection
    /// raise are retryable; a constraint or a bug is not.
    #[cfg(feature = "ssr")]
    #[test]
    fn only_transient_sqlstates_are_unavailable() {
        for code in ["57014", "55P03", "57P01", "57P03", "08006", "40P01"] {
            assert!(super::is_transient(code), "{code}");
        }
        for code in ["23505", "42501", "42P01", "22P02", "P0001", "08P01"] {
            assert!(!super::is_transient(code), "{code}");
        }
    }
}
