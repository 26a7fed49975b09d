//! The JSON API (CONTRACTS.md §4–5): the same operations as the pages, for scripts and tools.
//!
//! - Every route is in one list, [`routes`]: the router is built from it, and a test checks it
//!   against the OpenAPI document ([`openapi`]), so no route goes undocumented.
//! - Every handler calls the domain functions the pages call ([`crate::registrations`],
//!   [`crate::review`]) with capability values from [`crate::identity`]; the domain's error enums
//!   become statuses in one place (the `From` impls below).
//! - Every error is `{ "error", "message" }` with the contract's status, the framework's own
//!   rejections included: unknown route (404), wrong method (405), bad path parameter (400),
//!   wrong content type (415), body over 1 MiB (413), malformed JSON (400).
//! - Authorisation is decided before the body is read: extractors for the session and CSRF token
//!   come first, then the capability check, then the body.

mod applications;
mod deletion;
mod inventory;
pub mod openapi;
mod registrations;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use registration::{RegistrationRequest, ValidationReport};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::AppState;
use super::body::BodyError;
use super::session;
use crate::identity::{Forbidden, IdentityError};
use crate::registrations::SubmitError;
use crate::review::{DecideError, DecisionRefusal};

/// The most a JSON API body may be.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// One route of the API: its method, its path (as axum and the OpenAPI document both write it,
/// `{name}` for a parameter) and its handler.
pub struct ApiRoute {
    /// The HTTP method.
    pub method: Method,
    /// The full path, from the site's root.
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn route<H, T>(method: Method, path: &'static str, handler: H) -> ApiRoute
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone())
        .unwrap_or_else(|_| panic!("{method} is not a method axum routes"));
    ApiRoute {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every route of the JSON API, the JWKS and the health check: the one list the router and the
/// OpenAPI document's test both read.
pub fn routes() -> Vec<ApiRoute> {
    use registrations as r;
    vec![
        route(Method::POST, "/api/v1/session", session::sign_in),
        route(Method::GET, "/api/v1/session", session::current),
        route(Method::DELETE, "/api/v1/session", session::sign_out),
        route(Method::POST, "/api/v1/registrations/validate", r::validate),
        route(Method::POST, "/api/v1/registrations", r::submit),
        route(Method::GET, "/api/v1/registrations", r::list),
        route(Method::GET, "/api/v1/registrations/{reference}", r::detail),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/versions/{version}",
            r::version,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/versions",
            r::resubmit,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/renewals",
            r::renew,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/changes",
            r::change,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/decisions",
            r::decide,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/decisions",
            r::decisions,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/record",
            r::record,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/bundle",
            r::bundle,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/exports/entra-application.json",
            r::entra_application_export,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/exports/exchange-access.ps1",
            r::exchange_script_export,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/implementation",
            applications::implement,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/secret",
            applications::secret,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/withdrawal",
            deletion::withdraw_request,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/deletion",
            deletion::request_deletion,
        ),
        route(
            Method::DELETE,
            "/api/v1/registrations/{reference}/deletion",
            deletion::withdraw_deletion,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/recovery",
            deletion::request_recovery,
        ),
        route(
            Method::DELETE,
            "/api/v1/registrations/{reference}/recovery",
            deletion::withdraw_recovery,
        ),
        route(
            Method::POST,
            "/api/v1/registrations/{reference}/lifecycle-decisions",
            deletion::answer,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/steps",
            deletion::steps,
        ),
        route(
            Method::GET,
            "/api/v1/registrations/{reference}/expiry.ics",
            inventory::application_calendar,
        ),
        route(Method::GET, "/api/v1/applications", inventory::list),
        route(
            Method::GET,
            "/api/v1/applications/expiry.ics",
            inventory::calendar,
        ),
        route(
            Method::GET,
            "/api/v1/credentials/expiring",
            inventory::expiring,
        ),
        route(Method::GET, "/api/v1/openapi.json", openapi::document),
        route(Method::GET, "/.well-known/jwks.json", jwks),
        route(Method::GET, "/.well-known/jwks-revoked.json", jwks_revoked),
        route(
            Method::GET,
            "/.well-known/appreg-checkpoint",
            super::checkpoint::latest,
        ),
        route(Method::GET, "/healthz", healthz),
    ]
}

/// The routes of [`routes`], with JSON 404 under `/api` and JSON 405 on every listed path.
pub fn router() -> Router<AppState> {
    let mut paths: BTreeMap<&'static str, (Vec<Method>, MethodRouter<AppState>)> = BTreeMap::new();
    for ApiRoute {
        method,
        path,
        handler,
    } in routes()
    {
        let entry = paths
            .entry(path)
            .or_insert_with(|| (Vec::new(), MethodRouter::new()));
        entry.0.push(method);
        entry.1 = std::mem::take(&mut entry.1).merge(handler);
    }
    let mut api = Router::new();
    let mut root = Router::new();
    for (path, (methods, handler)) in paths {
        let allow = allow_header(&methods);
        let handler = handler.fallback(move || method_not_allowed(allow.clone()));
        match path.strip_prefix("/api") {
            Some(rest) => api = api.route(rest, handler),
            None => root = root.route(path, handler),
        }
    }
    root.nest("/api", api.fallback(not_found_route))
}

fn allow_header(methods: &[Method]) -> String {
    let mut names: Vec<&str> = methods.iter().map(Method::as_str).collect();
    if methods.contains(&Method::GET) {
        names.push("HEAD");
    }
    names.join(", ")
}

async fn method_not_allowed(allow: String) -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("This route answers {allow} only."),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

async fn not_found_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no API route at this address (GET /api/v1/openapi.json lists them).",
    )
}

/// An API error: the status and the JSON body `{ "error", "message" }` (with `report` for a
/// request that has errors).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    message: String,
    report: Option<Box<ValidationReport>>,
    /// Seconds for a `Retry-After` header (429 and 503).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error answer with this status, code and message.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            message: message.into(),
            report: None,
            retry_after: None,
        }
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 429 with `Retry-After`: this caller is over a rate.
    pub fn rate_limited(retry_after_seconds: u64, message: impl Into<String>) -> Self {
        ApiError {
            retry_after: Some(retry_after_seconds),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    /// 503 with `Retry-After`: the desk is too busy for this now.
    pub fn busy(message: impl Into<String>, retry_after_seconds: u32) -> Self {
        ApiError {
            retry_after: Some(u64::from(retry_after_seconds)),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message)
        }
    }

    /// 404 for a reference that does not exist **or** that the caller may not read: one body
    /// for both, so no one learns that another organisation's reference exists.
    pub fn registration_not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is no registration request with this reference.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.error, "message": self.message });
        if let Some(report) = self.report {
            body["report"] = json!(report);
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        tracing::error!(error = %format!("{error:#}"), "the API could not answer");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on the server. Try again; if it keeps happening, tell the service desk.",
        )
    }
}

impl From<crate::validation::Busy> for ApiError {
    fn from(_: crate::validation::Busy) -> Self {
        ApiError::busy(
            "The service is busy checking other requests. Try again in a few seconds.",
            2,
        )
    }
}

impl From<IdentityError> for ApiError {
    fn from(error: IdentityError) -> Self {
        match error {
            IdentityError::Store(error) => error.into(),
        }
    }
}

impl From<Forbidden> for ApiError {
    fn from(_: Forbidden) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Your account is not allowed to do this.",
        )
    }
}

/// The statuses of the contract for everything submitting or resubmitting can answer.
impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::WrongOrganisation => ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_organisation",
                "The request's ods_code is not your organisation's: you can submit requests only for your own organisation.",
            ),
            SubmitError::NotFound => ApiError::registration_not_found(),
            SubmitError::NotAwaitingChanges(status) => ApiError::new(
                StatusCode::CONFLICT,
                "not_awaiting_changes",
                format!(
                    "The request is {}: only a request a reviewer asked changes for can be resubmitted.",
                    status.as_str()
                ),
            ),
            SubmitError::NotRejected(status) => ApiError::new(
                StatusCode::CONFLICT,
                "not_rejected",
                format!(
                    "The request is {}: a new request is started from a rejected or withdrawn one only.",
                    status.as_str()
                ),
            ),
            SubmitError::NotLive(status) => ApiError::new(
                StatusCode::CONFLICT,
                "not_live",
                format!(
                    "The application is {}: only a live registered application can be renewed or changed.",
                    status.as_str()
                ),
            ),
            SubmitError::ChangeOpen => ApiError::new(
                StatusCode::CONFLICT,
                "change_in_review",
                "A renewal or change of this application is already being reviewed or made: wait for it to be decided, or answer what the reviewer asked.",
            ),
            SubmitError::NotAChange(refusal) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                refusal.as_str(),
                refusal.message(),
            ),
            SubmitError::Invalid(report) => ApiError {
                report: Some(report),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    "The request has errors; the report says what they are and how to fix them. Nothing was stored.",
                )
            },
            SubmitError::Busy => crate::validation::Busy.into(),
            SubmitError::DraftRefused(refused) => ApiError::new(
                StatusCode::CONFLICT,
                "draft_refused",
                format!(
                    "The draft could not be kept: {refused}. Delete drafts you no longer need first."
                ),
            ),
            SubmitError::Store(error) => error.into(),
        }
    }
}

/// The statuses of the contract for everything a decision can answer; the words are the
/// refusal's own ([`registration::lifecycle::DecisionRefusal::message`]), as on the pages.
impl From<DecideError> for ApiError {
    fn from(error: DecideError) -> Self {
        let Some(refusal) = error.refusal() else {
            return match error {
                DecideError::Store(error) => error.into(),
                DecideError::Busy => crate::validation::Busy.into(),
                _ => ApiError::registration_not_found(),
            };
        };
        let status = match refusal {
            DecisionRefusal::OwnSubmission | DecisionRefusal::SecondApprovalBySameReviewer => {
                StatusCode::FORBIDDEN
            }
            DecisionRefusal::DecisionRequired
            | DecisionRefusal::ReasonRequired
            | DecisionRefusal::ReasonTooLong => StatusCode::UNPROCESSABLE_ENTITY,
            DecisionRefusal::NotAwaitingDecision
            | DecisionRefusal::StaleVersion
            | DecisionRefusal::NowInvalid => StatusCode::CONFLICT,
        };
        // A stale decision is told which version it named and which is the latest; an approval
        // of a request that no longer passes the checks gets the report as of now.
        let message = match error {
            DecideError::StaleVersion { .. } => error.to_string(),
            _ => refusal.message(),
        };
        let report = match error {
            DecideError::NowInvalid(report) => Some(report),
            _ => None,
        };
        ApiError {
            report,
            ..ApiError::new(status, refusal.as_str(), message)
        }
    }
}

/// A path parameter, with a JSON 400 when it does not parse (e.g. a version that is not a number).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    format!("The address is not right: {}", rejection.body_text()),
                )
            })
    }
}

/// Reads a JSON body: 415 for another content type, 413 over the limit, 400 when not UTF-8.
pub async fn json_body(request: Request<Body>) -> Result<String, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with the header Content-Type: application/json.",
        ));
    }
    let bytes = axum::body::to_bytes(request.into_body(), JSON_BODY_LIMIT)
        .await
        .map_err(|error| match BodyError::of(&error) {
            BodyError::TooLarge => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The body is larger than {} KiB.", JSON_BODY_LIMIT / 1024),
            ),
            BodyError::TooSlow => ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                BodyError::TooSlow.message(""),
            ),
            BodyError::Unreadable => ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                BodyError::Unreadable.message(""),
            ),
        })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_a_request",
            "The body is not UTF-8 text.",
        )
    })
}

/// Parses a registration request, naming the failing field in a 400.
pub fn parse_request(body: &str) -> Result<RegistrationRequest, ApiError> {
    RegistrationRequest::from_json(body)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "not_a_request", error.to_string()))
}

/// What `GET /healthz` answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// `ok` or `not answering`.
    pub database: &'static str,
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses(
        (status = 200, description = "The database answers.", body = Health),
        (status = 503, description = "The database does not answer.", body = Health),
    ))]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if crate::store::is_healthy(&state.pool).await {
        (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: "ok",
            }),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                database: "not answering",
            }),
        )
    }
}

/// `GET /.well-known/jwks.json`: the current and retired record-signing public keys.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "records",
    responses(
        (status = 200, description = "A JWK Set (RFC 7517) of P-256 keys, each with its `kid`.", body = Object),
    ))]
pub async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let jwks = crate::store::keys::jwks(&state.pool).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(jwks)).into_response())
}

/// `GET /.well-known/jwks-revoked.json`: the revoked keys, each with `revoked_at`.
#[utoipa::path(get, path = "/.well-known/jwks-revoked.json", tag = "records",
    responses(
        (status = 200, description = "A JWK Set of revoked keys, each with `revoked_at`: records they signed no longer verify.", body = Object),
    ))]
pub async fn jwks_revoked(State(state): State<AppState>) -> Result<Response, ApiError> {
    let jwks = crate::store::keys::revoked_jwks(&state.pool).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(jwks)).into_response())
}
