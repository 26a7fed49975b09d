//! After approval (CONTRACTS.md §6): a reviewer records the application as created in the
//! tenant; the requesting organisation's Local Administrators read the client secret for 72
//! hours. The rules are `crate::applications`'s.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use registration::implementation::{ImplementationInput, ImplementationRefusal};
use serde_json::json;
use time::OffsetDateTime;

use super::{ApiError, ApiPath, json_body};
use crate::applications::{
    self, HandedBackSecret, ImplementError, Implemented, Posted, SecretError,
};
use crate::identity::{SignedIn, require_reviewer};
use crate::web::AppState;
use crate::web::session::CsrfChecked;

/// The body of `POST …/implementation`: the fields, or `{ "graph_response": {…} }`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ImplementationBody {
    /// The JSON Graph's `POST /applications` answered (with `passwordCredentials` holding the
    /// secret `addPassword` answered, when one was issued).
    GraphResponse {
        /// Graph's answer: `appId`, `id`, `passwordCredentials[0]` (`secretText`, `keyId`,
        /// `endDateTime`).
        #[schema(value_type = Object)]
        graph_response: serde_json::Value,
    },
    /// The fields as Entra shows them.
    Fields(ImplementationInput),
}

/// One reason an implementation was refused.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field (`application_id`, `object_id`, `client_secret.value`, …).
    pub field: &'static str,
    /// The code.
    pub error: &'static str,
    /// What to do.
    pub message: &'static str,
}

/// 422: every field that is wrong.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InvalidImplementation {
    /// `invalid_implementation`.
    pub error: &'static str,
    /// A summary.
    pub message: String,
    /// Each field that is wrong, in order.
    pub errors: Vec<FieldError>,
}

fn invalid(refusals: &[ImplementationRefusal]) -> Response {
    let errors: Vec<FieldError> = refusals
        .iter()
        .map(|refusal| FieldError {
            field: refusal.field(),
            error: refusal.as_str(),
            message: refusal.message(),
        })
        .collect();
    let message = format!(
        "Nothing was recorded: {}.",
        errors
            .iter()
            .map(|error| format!("{}: {}", error.field, error.message))
            .collect::<Vec<_>>()
            .join("; ")
    );
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(InvalidImplementation {
            error: "invalid_implementation",
            message,
            errors,
        }),
    )
        .into_response()
}

impl From<ImplementError> for ApiError {
    fn from(error: ImplementError) -> Self {
        match error {
            ImplementError::NotFound => ApiError::registration_not_found(),
            ImplementError::NotApproved(status) => ApiError::new(
                StatusCode::CONFLICT,
                "not_approved",
                format!(
                    "The request is {} and not approved by signed decisions: only an approved request is created in the tenant.",
                    status.text().to_lowercase()
                ),
            ),
            ImplementError::AlreadyImplemented => ApiError::new(
                StatusCode::CONFLICT,
                "already_implemented",
                "The application was recorded as created already: it is live.",
            ),
            ImplementError::NotLive(status) => ApiError::new(
                StatusCode::CONFLICT,
                "not_live",
                format!(
                    "The application is {}: a renewal or change is made only to a live application.",
                    status.text().to_lowercase()
                ),
            ),
            ImplementError::Invalid(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_implementation",
                "The implementation has errors.",
            ),
            ImplementError::Store(error) => error.into(),
        }
    }
}

/// `POST /api/v1/registrations/{reference}/implementation`: a reviewer records the application
/// as created in the tenant (the request becomes `live`), or an approved renewal or change of it
/// as made (that version becomes `live`, the one before `superseded`).
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/implementation", tag = "applications",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = ImplementationBody, content_type = "application/json",
        description = "`{ application_id, object_id, client_secret: { value, secret_id, expires_at } | null }` or `{ graph_response: {…} }`. A client secret exactly when the request asked for one; its expiry in the future and within the lifetime asked for plus a day. For an approved renewal or change of a live application: the IDs are its own (or empty); a secret is needed for a renewal that asks for one and for a change that asks for a new or different one, may be given for a change that keeps the secret settings."),
    responses(
        (status = 201, description = "Recorded and signed (`appreg-implementation+jwt` in the log, without the secret's value; for a renewal or change with `purpose` and `supersedes_version`); the version is `live`.", body = Implemented),
        (status = 400, description = "Not an implementation (malformed JSON, a missing or unknown field).", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, or not a reviewer.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference.", body = super::openapi::ErrorBody),
        (status = 409, description = "Not approved by signed decisions (`not_approved`), or already live (`already_implemented`), or for a renewal or change: the application is no longer live (`not_live`).", body = super::openapi::ErrorBody),
        (status = 422, description = "A field is wrong; each is named (the secret's value is never echoed).", body = InvalidImplementation),
    ))]
pub async fn implement(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let reviewer = require_reviewer(&signed_in.identity)?;
    let body = json_body(request).await?;
    // The error names the field, never the body (which may hold the secret).
    let posted: ImplementationBody = serde_json::from_str(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_an_implementation",
            "Send { \"application_id\": GUID, \"object_id\": GUID, \"client_secret\": { \"value\", \"secret_id\", \"expires_at\" } | null } or { \"graph_response\": { … } }, with no other fields.",
        )
    })?;
    let posted = match posted {
        ImplementationBody::GraphResponse { graph_response } => {
            Posted::GraphResponse(graph_response)
        }
        ImplementationBody::Fields(input) => Posted::Fields(input),
    };
    match applications::implement(
        state.desk(),
        &state.applications,
        &reviewer,
        &reference,
        posted,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(implemented) => Ok((
            StatusCode::CREATED,
            [(
                header::LOCATION,
                format!("/api/v1/registrations/{reference}"),
            )],
            Json(implemented),
        )
            .into_response()),
        Err(ImplementError::Invalid(refusals)) => Ok(invalid(&refusals)),
        Err(error) => Err(error.into()),
    }
}

/// `GET /api/v1/registrations/{reference}/secret`: the client secret, for 72 hours.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/secret", tag = "applications",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "The requesting organisation's Local Administrators, within 72 hours of the implementation (`Cache-Control: no-store`).", body = HandedBackSecret),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "A reviewer: the secret is the requesting organisation's only.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, another organisation's, not live, or no secret was issued.", body = super::openapi::ErrorBody),
        (status = 410, description = "The 72 hours are over: the value was destroyed (`secret_gone`).", body = super::openapi::ErrorBody),
    ))]
pub async fn secret(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    match applications::secret(
        &state.pool,
        &state.applications,
        &signed_in.identity,
        &reference,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(secret) => Ok((no_store, Json(secret)).into_response()),
        Err(SecretError::Gone { visible_until }) => Ok((
            StatusCode::GONE,
            no_store,
            Json(json!({
                "error": "secret_gone",
                "message": format!("The client secret was shown until {visible_until} and has been destroyed. If it was not copied, ask for a new secret."),
            })),
        )
            .into_response()),
        Err(SecretError::Forbidden) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only the requesting organisation's Local Administrators can see its client secret.",
        )),
        Err(SecretError::NotFound) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is no client secret to show for this reference.",
        )),
        Err(SecretError::Store(error)) => Err(error.into()),
    }
}
