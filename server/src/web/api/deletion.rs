//! Deletion and recovery of registered applications (CONTRACTS.md §6, docs/lifecycle.md): the
//! organisation's Local Administrators ask, a reviewer confirms or declines, and every step is
//! signed. The rules are `crate::deletion`'s.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use registration::lifecycle::{Step, StepRefusal};
use time::OffsetDateTime;

use super::{ApiError, ApiPath, json_body};
use crate::deletion::{self, StepError, Taken};
use crate::identity::{SignedIn, require_any_local_admin, require_reviewer};
use crate::registrations;
use crate::web::AppState;
use crate::web::session::CsrfChecked;

/// The body of `POST …/deletion` and `POST …/recovery`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequestBody {
    /// Why: required for a deletion (the reviewer reads it), optional for a recovery.
    pub reason: Option<String>,
}

/// The body of `POST …/lifecycle-decisions`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepAnswerBody {
    /// `confirm_deletion`, `decline_deletion`, `confirm_recovery` or `decline_recovery`.
    pub step: String,
    /// Why: required to decline (the organisation reads it).
    pub reason: Option<String>,
    /// The number of the request step answered (`n` of the waiting step in `GET …/steps`): when
    /// given, an answer to a request that was answered meanwhile, or asked again, records
    /// nothing (409 `stale_request`). The pages always send it.
    pub answering: Option<i64>,
}

/// A registered application's deletion and recovery history.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StepHistory {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The status now.
    pub status: registration::lifecycle::Status,
    /// Every step, oldest first.
    pub steps: Vec<Taken>,
    /// The request waiting for a reviewer (its `n` is what an answer quotes as `answering`).
    pub waiting: Option<Taken>,
    /// When the current deletion was confirmed (RFC 3339).
    pub deleted_at: Option<String>,
    /// While deleted: until when it can be recovered (RFC 3339); then it is purged.
    pub recoverable_until: Option<String>,
}

impl From<StepError> for ApiError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "There is no registration request or application with this reference that you can see.",
            ),
            StepError::Forbidden(step) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                match step.actor() {
                    registration::lifecycle::Actor::LocalAdmin => {
                        "Only the organisation's Local Administrators can ask for this."
                    }
                    _ => "Only a reviewer can confirm or decline what an organisation asked.",
                },
            ),
            StepError::Refused(refusal, step) => {
                let status = match refusal {
                    StepRefusal::AnswerRequired
                    | StepRefusal::ReasonRequired
                    | StepRefusal::ReasonTooLong => StatusCode::UNPROCESSABLE_ENTITY,
                    StepRefusal::NotAllowedNow
                    | StepRefusal::StaleRequest
                    | StepRefusal::RecoveryWindowOver
                    | StepRefusal::ChangeOpen => StatusCode::CONFLICT,
                };
                ApiError::new(
                    status,
                    refusal.as_str(),
                    format!("{}.", refusal.message(step)),
                )
            }
            StepError::Store(error) => error.into(),
        }
    }
}

fn created(reference: &str, taken: Taken) -> Response {
    (
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/registrations/{reference}/steps"),
        )],
        Json(taken),
    )
        .into_response()
}

async fn step_request_body(request: Request<Body>) -> Result<StepRequestBody, ApiError> {
    let body = json_body(request).await?;
    if body.trim().is_empty() {
        return Ok(StepRequestBody::default());
    }
    serde_json::from_str(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_a_step",
            "Send { \"reason\": \"…\" } with no other fields.",
        )
    })
}

async fn request_step(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    step: Step,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let admin =
        require_any_local_admin(&signed_in.identity).map_err(|_| StepError::Forbidden(step))?;
    let body = step_request_body(request).await?;
    let taken = deletion::request(
        state.desk(),
        &admin,
        reference,
        step,
        body.reason.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(reference, taken))
}

/// `POST /api/v1/registrations/{reference}/deletion`: the organisation asks for its live
/// application to be deleted.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/deletion", tag = "applications",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = StepRequestBody, content_type = "application/json",
        description = "`{ \"reason\": \"…\" }`: why the application is no longer needed (required)."),
    responses(
        (status = 201, description = "Asked and signed (`appreg-application-step+jwt`); the application is `deletion_requested` until a reviewer answers.", body = Taken),
        (status = 400, description = "Not `{ \"reason\" }`.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, or not a Local Administrator.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The application is not live (`not_allowed_now`).", body = super::openapi::ErrorBody),
        (status = 422, description = "No reason (`reason_required`), or one over 4,000 characters (`reason_too_long`).", body = super::openapi::ErrorBody),
    ))]
pub async fn request_deletion(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    request_step(
        &state,
        &signed_in,
        &reference,
        Step::RequestDeletion,
        request,
    )
    .await
}

/// `POST /api/v1/registrations/{reference}/withdrawal`: the organisation withdraws its request
/// (its latest version) before a reviewer decides it, or while it waits for the organisation's
/// changes.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/withdrawal", tag = "registrations",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = StepRequestBody, content_type = "application/json",
        description = "`{ \"reason\": \"…\" }` (optional; the reviewers read it), or `{}`."),
    responses(
        (status = 201, description = "Withdrawn and signed (`withdraw_request`, `appreg-application-step+jwt`); the request is `withdrawn` and has left the review queue; the reviewers are told. A withdrawn renewal or change leaves the live application as it was.", body = Taken),
        (status = 400, description = "Not `{ \"reason\" }`.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, or not a Local Administrator.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The request is not waiting for a decision or for changes (`not_allowed_now`: decided, or withdrawn, meanwhile).", body = super::openapi::ErrorBody),
        (status = 422, description = "A reason over 4,000 characters (`reason_too_long`).", body = super::openapi::ErrorBody),
    ))]
pub async fn withdraw_request(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    request_step(
        &state,
        &signed_in,
        &reference,
        Step::WithdrawRequest,
        request,
    )
    .await
}

/// `POST /api/v1/registrations/{reference}/recovery`: the organisation asks for its deleted
/// application back, within 30 days of the deletion.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/recovery", tag = "applications",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = StepRequestBody, content_type = "application/json",
        description = "`{ \"reason\": \"…\" }` (optional), or `{}`."),
    responses(
        (status = 201, description = "Asked and signed; the application is `recovery_requested` until a reviewer answers.", body = Taken),
        (status = 400, description = "Not `{ \"reason\" }`.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, or not a Local Administrator.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The application is not deleted (`not_allowed_now`), or was deleted 30 days ago or more (`recovery_window_over`).", body = super::openapi::ErrorBody),
        (status = 422, description = "A reason over 4,000 characters (`reason_too_long`).", body = super::openapi::ErrorBody),
    ))]
pub async fn request_recovery(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    request_step(
        &state,
        &signed_in,
        &reference,
        Step::RequestRecovery,
        request,
    )
    .await
}

async fn withdraw_step(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    step: Step,
) -> Result<Response, ApiError> {
    let admin =
        require_any_local_admin(&signed_in.identity).map_err(|_| StepError::Forbidden(step))?;
    let taken = deletion::request(
        state.desk(),
        &admin,
        reference,
        step,
        None,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((StatusCode::OK, Json(taken)).into_response())
}

/// `DELETE /api/v1/registrations/{reference}/deletion`: the organisation withdraws its deletion
/// request before a reviewer answers it.
#[utoipa::path(delete, path = "/api/v1/registrations/{reference}/deletion", tag = "applications",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "Withdrawn and signed (`withdraw_deletion`); the application is `live` again.", body = Taken),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, or not a Local Administrator.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "No deletion request is waiting (`not_allowed_now`: answered meanwhile, or never asked).", body = super::openapi::ErrorBody),
    ))]
pub async fn withdraw_deletion(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    withdraw_step(&state, &signed_in, &reference, Step::WithdrawDeletion).await
}

/// `DELETE /api/v1/registrations/{reference}/recovery`: the organisation withdraws its recovery
/// request before a reviewer answers it.
#[utoipa::path(delete, path = "/api/v1/registrations/{reference}/recovery", tag = "applications",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "Withdrawn and signed (`withdraw_recovery`); the application stays `deleted`.", body = Taken),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, or not a Local Administrator.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "No recovery request is waiting (`not_allowed_now`).", body = super::openapi::ErrorBody),
    ))]
pub async fn withdraw_recovery(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    withdraw_step(&state, &signed_in, &reference, Step::WithdrawRecovery).await
}

/// `POST /api/v1/registrations/{reference}/lifecycle-decisions`: a reviewer confirms or declines
/// the deletion or recovery the organisation asked for.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/lifecycle-decisions", tag = "applications",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = StepAnswerBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded and signed: `confirm_deletion` → `deleted` (recoverable until `recoverable_until`), `decline_deletion` → `live`, `confirm_recovery` → `live`, `decline_recovery` → `deleted`.", body = Taken),
        (status = 400, description = "Not `{ \"step\", \"reason\", \"answering\" }`, or `step` is not one of the four answers.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, or not a reviewer.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference.", body = super::openapi::ErrorBody),
        (status = 409, description = "Nothing of that kind is waiting (`not_allowed_now`), `answering` is not the waiting request (`stale_request`), or a recovery after the 30 days (`recovery_window_over`).", body = super::openapi::ErrorBody),
        (status = 422, description = "Declining without a reason (`reason_required`), or one over 4,000 characters (`reason_too_long`).", body = super::openapi::ErrorBody),
    ))]
pub async fn answer(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let reviewer = require_reviewer(&signed_in.identity)
        .map_err(|_| StepError::Forbidden(Step::ConfirmDeletion))?;
    let body = json_body(request).await?;
    let not_an_answer = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_an_answer",
            "Send { \"step\": \"confirm_deletion\" | \"decline_deletion\" | \"confirm_recovery\" | \"decline_recovery\", \"reason\": \"…\", \"answering\": n } with no other fields.",
        )
    };
    let body: StepAnswerBody = serde_json::from_str(&body).map_err(|_| not_an_answer())?;
    let step = Step::parse(&body.step)
        .filter(|step| Step::ANSWERS.contains(step))
        .ok_or_else(not_an_answer)?;
    let taken = deletion::answer(
        state.desk(),
        &reviewer,
        &reference,
        step,
        body.answering,
        body.reason.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(&reference, taken))
}

/// `GET /api/v1/registrations/{reference}/steps`: a registered application's deletion and
/// recovery history.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/steps", tag = "applications",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "Every step, the request waiting for a reviewer, and while deleted until when it can be recovered.", body = StepHistory),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
    ))]
pub async fn steps(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<StepHistory>, ApiError> {
    let stored = registrations::find(&state.pool, &signed_in.identity, &reference)
        .await?
        .ok_or_else(ApiError::registration_not_found)?;
    let history = deletion::history(&state.pool, &stored.reference, stored.status).await?;
    Ok(Json(StepHistory {
        reference: stored.reference,
        status: stored.status,
        steps: history.steps,
        waiting: history.waiting,
        deleted_at: history.deleted_at,
        recoverable_until: history.recoverable_until,
    }))
}
