//! The OpenAPI 3 description, generated from the handlers' annotations
//! (utoipa), served at `/api/v1/openapi.json`, and Swagger UI at
//! `/api/v1/docs`, whose files are compiled into the binary (no CDN).

use super::{fhir, native, webhooks};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Carethread API",
        version = "1",
        description = "Search verified clinicians, send discharge referrals and follow them, resolve ZIP codes, \
and receive signed webhooks; FHIR R4 under /fhir. Authenticate with `Authorization: Bearer <key>` or \
`X-API-Key: <key>`. Sandbox keys (`ct_sandbox_…`, self-serve from the developer page) see de-identified \
data, keep their referrals in a sandbox, and allow 60 requests a minute and 5,000 a day. Every JSON \
response carries a `rate` object (limit, remaining, reset in seconds) mirrored in RateLimit-* headers; \
an exhausted window answers 429 with Retry-After. Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`. \
Webhooks carry the Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) and \
`X-Carethread-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the whsec_ secret's text>`."
    ),
    servers((url = "/api/v1")),
    paths(
        super::health::health,
        native::search_clinicians,
        native::create_referral,
        native::get_referral,
        native::zip,
        webhooks::register,
        webhooks::list,
        webhooks::get,
        webhooks::disable,
        webhooks::ping,
        webhooks::deliveries,
        webhooks::resend,
        fhir::metadata,
        fhir::read_patient,
        fhir::read_encounter,
        fhir::search_encounters,
        fhir::read_service_request,
        fhir::search_service_requests,
        fhir::create_service_request,
    ),
    modifiers(&Security),
    tags(
        (name = "Clinicians", description = "The verified clinical workforce"),
        (name = "Referrals", description = "Discharge referrals"),
        (name = "Geo", description = "ZIP codes"),
        (name = "Webhooks", description = "Signed event callbacks (Standard Webhooks)"),
        (name = "FHIR R4", description = "FHIR R4 (4.0.1) resources: application/fhir+json, errors as OperationOutcome"),
        (name = "System", description = "Health"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// Swagger UI at `/api/v1/docs` and the document at `/api/v1/openapi.json`.
pub fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    utoipa_swagger_ui::SwaggerUi::new("/api/v1/docs")
        .url("/api/v1/openapi.json", ApiDoc::openapi())
        .into()
}
