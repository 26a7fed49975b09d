//! The JSON API (CONTRACTS.md §4). Every error is `{ "error", "message" }` with the contract's status.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use registration::{Directory, RegistrationRequest, ValidationReport};
use serde_json::json;
use time::OffsetDateTime;

use super::AppState;
use crate::identity::sessions;

/// The most a JSON API body may be.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The `/api` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/session",
            post(sessions::sign_in)
                .get(sessions::current)
                .delete(sessions::sign_out),
        )
        .route("/v1/registrations/validate", post(validate))
        .route("/v1/registrations/{reference}/record", get(record))
        .route(
            "/v1/registrations/{reference}/exports/entra-application.json",
            get(entra_application_export),
        )
        .route(
            "/v1/registrations/{reference}/exports/exchange-access.ps1",
            get(exchange_script_export),
        )
        .fallback(not_found)
}

/// An API error: the status and the JSON body `{ "error", "message" }`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    message: String,
}

impl ApiError {
    /// An error answer with this status, code and message.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.error, "message": self.message })),
        )
            .into_response()
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no API route at this address.",
    )
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
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The body is larger than {} KiB.", JSON_BODY_LIMIT / 1024),
            )
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

/// `POST /api/v1/registrations/validate`: the report, with no side effects.
async fn validate(
    State(state): State<AppState>,
    request: Request<Body>,
) -> Result<Json<ValidationReport>, ApiError> {
    let body = json_body(request).await?;
    let registration_request = parse_request(&body)?;
    let report = registration::validate(
        &registration_request,
        Directory::new(state.directory.as_ref()),
        OffsetDateTime::now_utc(),
    );
    Ok(Json(report))
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

/// `GET /api/v1/registrations/{reference}/record`: the signed record of the latest version
/// (`application/jose`). Access rules (owner organisation's admins and reviewers, 404 for
/// others) come with the sign-in issue; until then anyone who knows the reference may read it.
async fn record(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let jws = stored_record(&state, &reference).await?;
    Ok(([(header::CONTENT_TYPE, "application/jose")], jws).into_response())
}

/// The latest signed record of `reference`, or a 404.
async fn stored_record(state: &AppState, reference: &str) -> Result<String, ApiError> {
    let jws = if crate::store::registrations::is_reference(reference) {
        crate::store::log::latest_record(&state.pool, reference).await?
    } else {
        None
    };
    jws.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("There is no registration request with the reference {reference}."),
        )
    })
}

/// The claims of the latest record, taken only from a record that verifies: exports are made
/// from what was signed, never from anything that could have been changed since.
async fn verified_claims(state: &AppState, reference: &str) -> Result<serde_json::Value, ApiError> {
    let jws = stored_record(state, reference).await?;
    let keys = crate::store::log::key_set(&state.pool).await?;
    let verified = crate::signing::verify(&jws, &keys).map_err(|error| {
        tracing::error!(reference, error = %error, "a stored record does not verify");
        ApiError::new(
            StatusCode::CONFLICT,
            "record_not_verifiable",
            "The signed record of this request does not verify (its signing key may have been revoked), so no export is made from it.",
        )
    })?;
    Ok(verified.claims)
}

/// `GET …/exports/entra-application.json`: the Microsoft Graph `POST /applications` body.
async fn entra_application_export(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let claims = verified_claims(&state, &reference).await?;
    let body = registration::record::exports::entra_application(&claims);
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            attachment(&reference, "entra-application.json"),
        )],
        Json(body),
    )
        .into_response())
}

/// `GET …/exports/exchange-access.ps1`: the Exchange Online PowerShell that scopes app-only mail.
async fn exchange_script_export(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let claims = verified_claims(&state, &reference).await?;
    let script = registration::record::exports::exchange_script(&claims);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                attachment(&reference, "exchange-access.ps1"),
            ),
        ],
        script,
    )
        .into_response())
}

/// `attachment; filename="AR-XXXX-XXXX-<name>"` (a reference has only safe characters).
fn attachment(reference: &str, name: &str) -> String {
    format!("attachment; filename=\"{reference}-{name}\"")
}

/// `GET /.well-known/jwks.json`: the current and retired record-signing public keys.
pub async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let jwks = crate::store::keys::jwks(&state.pool).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(jwks)).into_response())
}

/// `GET /.well-known/jwks-revoked.json`: the revoked keys, each with `revoked_at`.
pub async fn jwks_revoked(State(state): State<AppState>) -> Result<Response, ApiError> {
    let jwks = crate::store::keys::revoked_jwks(&state.pool).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(jwks)).into_response())
}
