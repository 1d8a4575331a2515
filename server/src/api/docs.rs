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
        fhir::care::read_patient,
        fhir::care::read_encounter,
        fhir::care::search_encounters,
        fhir::care::read_observation,
        fhir::care::search_observations,
        fhir::intake::read_questionnaire_resource,
        fhir::intake::read_questionnaire_response,
        fhir::intake::search_questionnaire_responses,
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

/// The document as served: utoipa's, with response links spelled as
/// OpenAPI spells them.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    // utoipa 5.5 serializes a Link's fields in snake case (`operation_id`),
    // which OpenAPI tools reject; rename them until utoipa does.
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        let links = paths
            .values_mut()
            .filter_map(|item| item.as_object_mut())
            .flat_map(|item| item.values_mut())
            .filter_map(|op| op.get_mut("responses").and_then(|r| r.as_object_mut()))
            .flat_map(|responses| responses.values_mut())
            .filter_map(|response| response.get_mut("links").and_then(|l| l.as_object_mut()))
            .flat_map(|links| links.values_mut())
            .filter_map(|link| link.as_object_mut());
        for link in links {
            for (snake, camel) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
    doc
}

/// Swagger UI at `/api/v1/docs` and the document at `/api/v1/openapi.json`.
pub fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    utoipa_swagger_ui::SwaggerUi::new("/api/v1/docs")
        .external_url_unchecked("/api/v1/openapi.json", document())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every response link names its target the OpenAPI way, and the target
    /// exists: a fuzzer or SDK generator follows them.
    #[test]
    fn links_point_at_operations_that_exist() {
        let doc = document();
        let ops: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let mut seen = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for response in op["responses"].as_object().unwrap().values() {
                    for link in response["links"]
                        .as_object()
                        .into_iter()
                        .flat_map(|l| l.values())
                    {
                        let target = link["operationId"].as_str().expect("operationId");
                        assert!(ops.contains(&target), "{target} is not an operation");
                        assert!(link.get("operation_id").is_none());
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 7, "expected the documented links, saw {seen}");
        let mut unique = ops.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ops.len(), "operation ids are unique");
    }

    /// `(name, in)` of each parameter of one operation, as documented.
    fn parameters<'a>(
        doc: &'a serde_json::Value,
        path: &str,
        method: &str,
    ) -> Vec<(&'a str, &'a str)> {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
            .collect()
    }

    /// The search's filters are read from the query string, so a generated
    /// client must send them there (utoipa declares an `IntoParams` struct's
    /// fields as path parameters unless told otherwise).
    #[test]
    fn clinician_search_filters_are_query_parameters() {
        let doc = document();
        assert_eq!(
            parameters(&doc, "/clinicians/search", "get"),
            [
                ("state", "query"),
                ("city", "query"),
                ("zip", "query"),
                ("diagnosis", "query"),
                ("care_type", "query"),
                ("limit", "query"),
            ]
        );
    }

    /// Every path parameter names a `{segment}` of its path, is required,
    /// and every segment has one; anything else is a query parameter. An
    /// OpenAPI validator rejects a document that breaks this.
    #[test]
    fn path_parameters_are_exactly_the_path_segments() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let mut segments: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            segments.sort_unstable();
            for method in item.as_object().unwrap().keys() {
                let declared = parameters(&doc, path, method);
                let mut in_path: Vec<&str> = declared
                    .iter()
                    .filter(|(_, location)| *location == "path")
                    .map(|(name, _)| *name)
                    .collect();
                in_path.sort_unstable();
                assert_eq!(in_path, segments, "{method} {path}: path parameters");
                for (name, location) in declared {
                    assert!(
                        ["path", "query"].contains(&location),
                        "{method} {path}: {name} in {location}"
                    );
                }
                for p in doc["paths"][path][method]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                {
                    assert_eq!(
                        p["required"], true,
                        "{method} {path}: {} required",
                        p["name"]
                    );
                }
            }
        }
    }
}
