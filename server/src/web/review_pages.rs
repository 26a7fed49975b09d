//! The reviewer's pages (docs/review.md): the server's side of the queue and detail pages
//! ([`ReviewPages`], asked by `app`'s server functions) and `POST /review/{reference}/decisions`,
//! the decision form as a plain form post answered with `303 See Other` (post/redirect/get).
//!
//! Everything goes through the same domain functions as the JSON API: [`registrations::list`]
//! and [`registrations::find_versions`] for reading, [`review::decide`] for deciding,
//! [`review::standing`] for whether the form is shown.

use std::sync::Arc;

use app::backend::BoxFuture;
use app::pages::review::backend::{
    ANY_STATUS, AWAITING, Access, DecisionRow, PermissionRow, QueuePage, QueueQuery, QueueRow,
    ReviewBackend, ReviewBackendHandle, ReviewDetail, Standing,
};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use registration::rules::permission::{self, Risk};
use time::OffsetDateTime;

use super::AppState;
use super::form::urlencoded_fields;
use super::pages::signed_in_from_context;
use crate::identity::{SignedIn, csrf, require_reviewer};
use crate::registrations::{self, Filter, Status};
use crate::review::{self, DecideError, Decision};
use crate::store::registrations::{is_reference, parse_risk, risk_text};

/// The largest decision post read: a reason of [`review::MAX_REASON_CHARS`] characters of up to
/// four UTF-8 bytes each, percent-encoded, and a little more.
const DECISION_BODY_LIMIT: usize = 64 * 1024;

/// Answers the reviewer's pages from the database.
pub struct ReviewPages {
    state: AppState,
}

impl ReviewPages {
    /// The handle the pages find in context.
    pub fn handle(state: AppState) -> ReviewBackendHandle {
        ReviewBackendHandle(Arc::new(ReviewPages { state }))
    }
}

/// Logs the detail and tells the page only that something went wrong.
fn internal(error: anyhow::Error) -> String {
    tracing::error!(error = %format!("{error:#}"), "a review page could not be answered");
    "the service could not answer".to_string()
}

/// The filter a queue query asks for.
fn filter_of(query: &QueueQuery) -> Filter {
    let status = query.status();
    Filter {
        status: match status {
            AWAITING | ANY_STATUS => None,
            other => Status::parse(other),
        },
        ods_code: query.ods_code(),
        risk: query.risk().and_then(parse_risk),
        awaiting_decision: status == AWAITING,
    }
}

impl ReviewBackend for ReviewPages {
    fn queue(&self, query: QueueQuery) -> BoxFuture<'_, Result<Access<QueuePage>, String>> {
        Box::pin(async move {
            let Some(signed_in) = signed_in_from_context(&self.state)
                .await
                .map_err(internal)?
            else {
                return Ok(Access::SignIn);
            };
            if require_reviewer(&signed_in.identity).is_err() {
                return Ok(Access::ReviewersOnly);
            }
            let page = registrations::list(
                &self.state.pool,
                &signed_in.identity,
                &filter_of(&query),
                query.page(),
            )
            .await
            .map_err(internal)?;
            Ok(Access::Page(QueuePage {
                rows: page
                    .items
                    .into_iter()
                    .map(|summary| QueueRow {
                        reference: summary.reference,
                        version: summary.version,
                        status: summary.status.as_str().to_string(),
                        ods_code: summary.ods_code,
                        organisation_name: summary.organisation_name,
                        application_name: summary.application_name,
                        submitted_at: summary.submitted_at,
                        risk: risk_text(summary.risk).to_string(),
                    })
                    .collect(),
                page: page.page,
                per_page: page.per_page,
                total: page.total,
            }))
        })
    }

    fn detail(&self, reference: String) -> BoxFuture<'_, Result<Access<ReviewDetail>, String>> {
        Box::pin(async move {
            let pool = &self.state.pool;
            let Some(signed_in) = signed_in_from_context(&self.state)
                .await
                .map_err(internal)?
            else {
                return Ok(Access::SignIn);
            };
            let Ok(reviewer) = require_reviewer(&signed_in.identity) else {
                return Ok(Access::ReviewersOnly);
            };
            let identity = &signed_in.identity;
            let mut versions = registrations::find_versions(pool, identity, &reference)
                .await
                .map_err(internal)?;
            let Some(latest) = versions.pop() else {
                return Ok(Access::NotFound);
            };
            let now = OffsetDateTime::now_utc();
            let changes = versions
                .last()
                .map(|previous| registration::diff::diff(&previous.request, &latest.request, now))
                .unwrap_or_default();
            let decisions = review::decisions(pool, identity, &reference)
                .await
                .map_err(internal)?;
            let standing = review::standing(pool, &reviewer, &reference)
                .await
                .map_err(internal)?;
            let standing = match standing {
                None => return Ok(Access::NotFound),
                Some(review::Standing::MayDecide) => Standing::MayDecide {
                    csrf_token: signed_in.session.csrf_token().to_string(),
                },
                Some(review::Standing::OwnSubmission) => Standing::OwnSubmission,
                Some(review::Standing::GaveFirstApproval) => Standing::GaveFirstApproval,
                Some(review::Standing::NotAwaitingDecision(status)) => {
                    Standing::NotAwaitingDecision(status.as_str().to_string())
                }
            };
            let permissions = latest
                .request
                .permissions
                .iter()
                .map(permission_row)
                .collect();
            let mut request = latest.request.clone();
            // The report describes each certificate; its bytes would only weigh the page down.
            for upload in &mut request.certificates {
                upload.content_base64.clear();
            }
            let mut report = latest.report.clone();
            for summary in &mut report.certificates {
                summary.der_base64.clear();
            }
            Ok(Access::Page(ReviewDetail {
                reference: latest.reference.clone(),
                version: latest.version,
                status: latest.status.as_str().to_string(),
                ods_code: latest.ods_code.clone(),
                organisation_name: latest.organisation_name.clone(),
                submitted_at: latest.submitted_at.clone(),
                submitted_by: latest.submitted_by_email.clone(),
                request,
                report,
                permissions,
                risk: risk_text(latest.risk).to_string(),
                needs_second_approval: permission::needs_second_approval(&latest.request),
                previous_version: versions.last().map(|previous| previous.version),
                changes,
                decisions: decisions
                    .into_iter()
                    .map(|d| DecisionRow {
                        version: d.version,
                        decision: d.decision.as_str().to_string(),
                        reason: d.reason,
                        reviewer_email: d.reviewer_email,
                        decided_at: d.decided_at,
                        status_after: d.status_after.as_str().to_string(),
                    })
                    .collect(),
                standing,
                max_reason_chars: review::MAX_REASON_CHARS,
            }))
        })
    }
}

/// One permission with its risk as the rules rate it (a stored request's permissions all
/// resolve: it was valid when submitted).
fn permission_row(requested: &registration::PermissionRequest) -> PermissionRow {
    let permission_type = match requested.permission_type {
        registration::PermissionType::Delegated => "delegated",
        registration::PermissionType::Application => "application",
    };
    match permission::resolve(requested) {
        Some(entry) => PermissionRow {
            value: entry.value().to_string(),
            permission_type: permission_type.to_string(),
            resource: entry.resource().display_name().to_string(),
            risk: risk_text(permission::permission_risk(entry)).to_string(),
            why: permission::risk_reason(entry).to_string(),
        },
        None => PermissionRow {
            value: requested.value.clone(),
            permission_type: permission_type.to_string(),
            resource: requested.resource.clone().unwrap_or_default(),
            risk: risk_text(Risk::High).to_string(),
            why: "Not in the desk's permission catalogue: check it by hand.".to_string(),
        },
    }
}

/// `POST /review/{reference}/decisions`: records a reviewer's decision and sends them back to
/// the request's page with the outcome (`?decided=<status>` or `?error=<code>`).
pub async fn decide(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    signed_in: Option<SignedIn>,
    request: Request<Body>,
) -> Response {
    let page = format!("/review/{reference}");
    // Authorisation before reading the body.
    let Some(signed_in) = signed_in else {
        return Redirect::to(&format!("/sign-in?next={page}")).into_response();
    };
    let Ok(reviewer) = require_reviewer(&signed_in.identity) else {
        return plain(
            StatusCode::FORBIDDEN,
            "Only a reviewer can decide on registration requests.",
        );
    };
    if !is_reference(&reference) {
        return not_found();
    }
    let fields = match urlencoded_fields(
        request,
        DECISION_BODY_LIMIT,
        "The decision form is too large. Go back, shorten the reason and try again.",
    )
    .await
    {
        Ok(fields) => fields,
        Err(refusal) => return refusal,
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if !csrf::field_matches(&fields, &signed_in) {
        return plain(
            StatusCode::FORBIDDEN,
            "This form has expired (your session changed since the page was loaded). Go back, reload the page and try again.",
        );
    }
    let Some(decision) = field("decision").and_then(Decision::parse) else {
        return Redirect::to(&format!("{page}?error=decision_required")).into_response();
    };
    let reason = field("reason");
    match review::decide(
        state.desk(),
        &reviewer,
        &reference,
        decision,
        reason,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(decided) => {
            Redirect::to(&format!("{page}?decided={}", decided.status.as_str())).into_response()
        }
        Err(DecideError::NotFound) => not_found(),
        Err(error @ DecideError::Store(_)) => {
            tracing::error!(error = %format!("{error:#}"), "a decision could not be recorded");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, the decision could not be recorded. Please go back and try again.",
            )
        }
        // The reason was empty or cut by the browser's maxlength, so nothing typed is lost.
        Err(DecideError::ReasonRequired) => refused(&page, "reason_required", decision),
        Err(DecideError::ReasonTooLong) => refused(&page, "reason_too_long", decision),
        Err(DecideError::OwnSubmission) => refused(&page, "own_submission", decision),
        Err(DecideError::SecondApprovalBySameReviewer) => {
            refused(&page, "second_approval_by_same_reviewer", decision)
        }
        Err(DecideError::NotAwaitingDecision(_)) => {
            refused(&page, "not_awaiting_decision", decision)
        }
    }
}

/// Back to the request's page, which explains `code` and keeps the chosen decision.
fn refused(page: &str, code: &str, decision: Decision) -> Response {
    Redirect::to(&format!(
        "{page}?error={code}&decision={}",
        decision.as_str()
    ))
    .into_response()
}

fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "There is no registration request with this reference.",
    )
}

fn plain(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}
