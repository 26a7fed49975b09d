//! The deletion and recovery forms as plain form posts answered with `303 See Other`
//! (post/redirect/get), calling the same functions as the JSON API ([`deletion::request`],
//! [`deletion::answer`]):
//!
//! - `POST /requests/{reference}/deletion` and `POST /requests/{reference}/recovery`: the
//!   organisation's Local Administrators ask, from the application's page, and
//!   `POST /requests/{reference}/withdrawal` withdraws what they asked before it is answered;
//! - `POST /review/{reference}/lifecycle-decisions`: a reviewer confirms or declines, from the
//!   review page.
//!
//! Back on the page: `?step_taken=<step>`, or `?step_error=<code>&step=<step>` with the reason
//! typed kept (`&reason=…`) unless the refusal was that there was none.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use registration::lifecycle::{Step, StepRefusal};
use time::OffsetDateTime;

use super::AppState;
use super::form_post::{DecisionForm, FormPost, plain};
use crate::deletion::{self, StepError};
use crate::identity::{LocalAdminOf, Reviewer};
use crate::store::registrations::is_reference;

/// `POST /requests/{reference}/deletion`.
pub async fn request_deletion(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<LocalAdminOf, DecisionForm>,
) -> Response {
    request(state, reference, post, Step::RequestDeletion).await
}

/// `POST /requests/{reference}/recovery`.
pub async fn request_recovery(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<LocalAdminOf, DecisionForm>,
) -> Response {
    request(state, reference, post, Step::RequestRecovery).await
}

async fn request(
    state: AppState,
    reference: String,
    post: FormPost<LocalAdminOf, DecisionForm>,
    step: Step,
) -> Response {
    if !is_reference(&reference) {
        return not_found();
    }
    let page = format!("/requests/{reference}");
    let reason = post.field("reason");
    let result = deletion::request(
        state.desk(),
        &post.capability,
        &reference,
        step,
        reason,
        OffsetDateTime::now_utc(),
    )
    .await;
    back(&page, step, reason, result)
}

/// `POST /requests/{reference}/withdrawal`: `step` is `withdraw_request` (the request itself,
/// before it is decided, with an optional `reason`), `withdraw_deletion` or `withdraw_recovery`
/// (the organisation's own waiting request).
pub async fn withdraw(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<LocalAdminOf, DecisionForm>,
) -> Response {
    let step = post.field("step").and_then(Step::parse).filter(|step| {
        matches!(
            step,
            Step::WithdrawRequest | Step::WithdrawDeletion | Step::WithdrawRecovery
        )
    });
    match step {
        Some(step) => request(state, reference, post, step).await,
        None => plain(
            StatusCode::BAD_REQUEST,
            "The form did not say which request to withdraw. Go back, reload the page and try again.",
        ),
    }
}

/// `POST /review/{reference}/lifecycle-decisions`: `step` (one of the four answers), `reason`,
/// and `answering` (the number of the request the page showed).
pub async fn answer(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<Reviewer, DecisionForm>,
) -> Response {
    if !is_reference(&reference) {
        return not_found();
    }
    let page = format!("/review/{reference}");
    let reason = post.field("reason");
    let Some(step) = post
        .field("step")
        .and_then(Step::parse)
        .filter(|step| Step::ANSWERS.contains(step))
    else {
        return refused(
            &page,
            StepRefusal::AnswerRequired,
            Step::ConfirmDeletion,
            reason,
        );
    };
    // A form without it (it always has one) answers nothing rather than whatever waits now.
    let answering = Some(
        post.field("answering")
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0),
    );
    let result = deletion::answer(
        state.desk(),
        &post.capability,
        &reference,
        step,
        answering,
        reason,
        OffsetDateTime::now_utc(),
    )
    .await;
    back(&page, step, reason, result)
}

fn back(
    page: &str,
    step: Step,
    reason: Option<&str>,
    result: Result<deletion::Taken, StepError>,
) -> Response {
    match result {
        Ok(taken) => {
            Redirect::to(&format!("{page}?step_taken={}", taken.step.as_str())).into_response()
        }
        Err(StepError::Refused(refusal, step)) => refused(page, refusal, step, reason),
        Err(StepError::NotFound) => not_found(),
        Err(StepError::Forbidden(_)) => plain(
            StatusCode::FORBIDDEN,
            "This is not yours to do: the organisation's Local Administrators ask for a deletion or recovery, and a reviewer confirms or declines it.",
        ),
        Err(StepError::Store(error)) => {
            tracing::error!(error = %format!("{error:#}"), step = step.as_str(), "an application step could not be recorded");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, this could not be recorded. Please go back and try again.",
            )
        }
    }
}

/// Back to the page, which explains the refusal and keeps the step chosen and the reason typed.
fn refused(page: &str, refusal: StepRefusal, step: Step, reason: Option<&str>) -> Response {
    let mut to = format!(
        "{page}?step_error={}&step={}",
        refusal.as_str(),
        step.as_str()
    );
    super::review_pages::keep_reason(&mut to, reason);
    Redirect::to(&to).into_response()
}

fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "There is no registration request or application with this reference that you can see.",
    )
}
