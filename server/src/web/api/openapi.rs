//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the types they send and receive, served at `GET /api/v1/openapi.json`.
//!
//! The session routes' handlers live in [`crate::identity::sessions`]; they are described here
//! by annotated stubs so that the identity layer stays free of documentation concerns.

use axum::response::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Every error: a stable code and a sentence for a person.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, snake_case (`unauthenticated`, `csrf`, `forbidden`, `not_found`, …).
    #[schema(example = "not_found")]
    pub error: String,
    /// What happened and what to do.
    pub message: String,
}

/// 422 from submit and resubmit: the request has errors, and the report says which.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InvalidRequestBody {
    /// Always `invalid_request`.
    #[schema(example = "invalid_request")]
    pub error: String,
    /// A sentence for a person.
    pub message: String,
    /// The report, with every finding.
    pub report: registration::ValidationReport,
}

/// `POST /api/v1/session` body.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignInRequest {
    /// The account's email (compared case-insensitively).
    pub email: String,
    /// The account's password.
    pub password: String,
}

/// `POST /api/v1/session` answer; the session itself is the `appreg_session` cookie.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignedInBody {
    /// Repeat it in the `X-CSRF-Token` header of every state-changing request.
    pub csrf_token: String,
    /// `local_admin`, `reviewer` or `desk_admin`.
    pub role: crate::identity::Role,
    /// A Local Administrator's organisation; `null` for a reviewer or a desk administrator.
    pub ods_code: Option<String>,
}

/// `GET /api/v1/session` answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CurrentSessionBody {
    /// The signed-in account's email.
    pub email: String,
    /// `local_admin`, `reviewer` or `desk_admin`.
    pub role: crate::identity::Role,
    /// A Local Administrator's organisation; `null` for a reviewer or a desk administrator.
    pub ods_code: Option<String>,
    /// The session's CSRF token.
    pub csrf_token: String,
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service", operation_id = "openapi",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API.", body = Object),
    ))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The session cookie and the CSRF header, as OpenAPI security schemes.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::web::session::COOKIE_NAME,
                "The session cookie set by POST /api/v1/session.",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The csrf_token given by POST /api/v1/session (and GET /api/v1/session); required on every state-changing request.",
            ))),
        );
    }
}

/// The document: every route of [`super::routes`] (a test holds the two together).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "appreg",
        description = "The registration desk for OAuth 2.0 applications that use NHSmail: the JSON API for scripts and tools. Every error is `{ \"error\", \"message\" }`. See docs/api.md.",
    ),
    paths(
        crate::web::session::sign_in,
        crate::web::session::current,
        crate::web::session::sign_out,
        super::registrations::validate,
        super::registrations::submit,
        super::registrations::list,
        super::registrations::detail,
        super::registrations::version,
        super::registrations::resubmit,
        super::registrations::renew,
        super::registrations::change,
        super::registrations::decide,
        super::registrations::decisions,
        super::registrations::record,
        super::registrations::bundle,
        super::registrations::entra_application_export,
        super::registrations::exchange_script_export,
        super::applications::implement,
        super::applications::secret,
        super::deletion::request_deletion,
        super::deletion::request_recovery,
        super::deletion::withdraw_request,
        super::deletion::withdraw_deletion,
        super::deletion::withdraw_recovery,
        super::deletion::answer,
        super::deletion::steps,
        super::inventory::list,
        super::inventory::expiring,
        super::inventory::calendar,
        super::inventory::application_calendar,
        document,
        super::jwks,
        super::jwks_revoked,
        crate::web::checkpoint::latest,
        super::healthz,
    ),
    components(schemas(ErrorBody, InvalidRequestBody)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "session", description = "Sign in and out (cookie + CSRF token)."),
        (name = "registrations", description = "Validate, submit, list, read and resubmit registration requests; renew or change a registered application."),
        (name = "review", description = "Reviewers' decisions, with four-eyes rules."),
        (name = "records", description = "Signed records, their keys, and the exports made from them."),
        (name = "applications", description = "After approval: the application as created in the tenant (live), and its client secret for 72 hours."),
        (name = "service", description = "Health and this document."),
    ),
)]
pub struct ApiDoc;
