//! How a FHIR answer is written: `application/fhir+json`, and every error
//! as an OperationOutcome with its status (and `Retry-After` when it has
//! one), including the refusals of the request extractors.

use crate::api::extract::ApiJson;
use app::error::AppError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};
const FHIR_JSON: &str = "application/fhir+json; fhirVersion=4.0";

/// A FHIR JSON answer.
pub(super) fn fhir(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    response
}

/// The OperationOutcome for an error, with its status.
pub fn outcome(error: &AppError) -> Response {
    outcome_with(error, None)
}

/// [`outcome`], answering with `status` instead of the error's own.
fn outcome_with(error: &AppError, status: Option<StatusCode>) -> Response {
    let (code, own_status) = match error {
        AppError::BadRequest { .. } => ("structure", StatusCode::BAD_REQUEST),
        AppError::Validation { .. } => ("invalid", StatusCode::UNPROCESSABLE_ENTITY),
        AppError::Unauthorized | AppError::InvalidCredentials => {
            ("login", StatusCode::UNAUTHORIZED)
        }
        AppError::Forbidden => ("forbidden", StatusCode::FORBIDDEN),
        AppError::NotFound => ("not-found", StatusCode::NOT_FOUND),
        AppError::Conflict { .. } => ("conflict", StatusCode::CONFLICT),
        AppError::RateLimited { .. } | AppError::AccountLocked { .. } => {
            ("throttled", StatusCode::TOO_MANY_REQUESTS)
        }
        AppError::Unavailable => ("transient", StatusCode::SERVICE_UNAVAILABLE),
        AppError::Internal => ("exception", StatusCode::INTERNAL_SERVER_ERROR),
    };
    let issues: Vec<Value> = match error {
        AppError::Validation { fields } => fields
            .iter()
            .map(|f| {
                json!({
                    "severity": "error",
                    "code": code,
                    "diagnostics": f.message,
                    "expression": [f.field],
                })
            })
            .collect(),
        other => vec![json!({
            "severity": "error",
            "code": code,
            "diagnostics": other.to_string(),
        })],
    };
    let mut response = fhir(
        status.unwrap_or(own_status),
        json!({ "resourceType": "OperationOutcome", "issue": issues }),
    );
    if let Some(secs) = error.retry_after_secs() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Errors of FHIR handlers answer as OperationOutcome, with the error's
/// own status unless one is given.
pub struct FhirError(pub(super) AppError, pub(super) Option<StatusCode>);

impl From<AppError> for FhirError {
    fn from(e: AppError) -> Self {
        Self(e, None)
    }
}

impl From<sqlx::Error> for FhirError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.into(), None)
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        outcome_with(&self.0, self.1)
    }
}

pub(super) type FhirResult = Result<Response, FhirError>;

/// A request-parts extractor (path, query, caller) whose refusal answers
/// as OperationOutcome.
pub struct FhirParts<E>(pub E);

impl<S: Send + Sync, E: FromRequestParts<S, Rejection = AppError>> FromRequestParts<S>
    for FhirParts<E>
{
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        E::from_request_parts(parts, state)
            .await
            .map(Self)
            .map_err(FhirError::from)
    }
}

/// A JSON body whose refusal answers as OperationOutcome.
pub struct FhirBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for FhirBody {
    type Rejection = FhirError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        ApiJson::<Value>::from_request(req, state)
            .await
            .map(|ApiJson(v)| Self(v))
            .map_err(|e| {
                // Well-formed JSON of the wrong shape is still "structure".
                match e {
                    AppError::Validation { fields } => AppError::BadRequest {
                        message: fields
                            .into_iter()
                            .map(|f| f.message)
                            .collect::<Vec<_>>()
                            .join(" "),
                    },
                    other => other,
                }
                .into()
            })
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_operation_outcomes_with_their_status() {
        for (error, status) in [
            (
                AppError::BadRequest {
                    message: "x".into(),
                },
                400,
            ),
            (AppError::Unauthorized, 401),
            (AppError::NotFound, 404),
            (AppError::invalid("zip", "bad"), 422),
            (
                AppError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
            ),
        ] {
            let r = outcome(&error);
            assert_eq!(r.status().as_u16(), status);
            assert!(r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/fhir+json"));
        }
    }
}
