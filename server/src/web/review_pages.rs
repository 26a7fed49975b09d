//! The reviewer's pages (docs/review.md): the server's side of the queue and detail pages
//! ([`queue`] and [`detail`], which `PagesBackend` answers `app`'s server functions with) and
//! `POST /review/{reference}/decisions`, the decision form as a plain form post answered with
//! `303 See Other` (post/redirect/get), and `POST /review/{reference}/implementation`, the form
//! that records an approved request as created in the tenant, the same way.
//!
//! Everything goes through the same domain functions as the JSON API: [`registrations::list`]
//! and [`registrations::find_versions`] for reading, [`review::decide`] for deciding,
//! [`review::standing`] for whether the form is shown, [`applications::implement`] for the
//! implementation.

use app::backend::review::{ClaimState, SiblingRow};
use app::backend::review::{
    DecisionRow, ImplementationForm, PermissionRow, QueueRow, Standing, StatusFilter,
};
use app::backend::{Access, PageError, QueuePage, QueueQuery, ReviewDetail, StepForm};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use registration::rules::permission::{self, Risk};
use time::OffsetDateTime;

use super::AppState;
use super::form_post::{DecisionForm, FormPost, ImplementationPost, plain};
use super::pages::{internal, signed_in_from_context};
use crate::applications::{self, ImplementError, Posted};
use crate::identity::{Reviewer, Role, require_reviewer};
use crate::registrations::{self, Filter};
use crate::review::{self, DecideError, Decision, DecisionRefusal};
use crate::store::claims;
use crate::store::registrations::{is_reference, parse_risk, risk_text};

/// The filter a queue query asks for.
fn filter_of(query: &QueueQuery) -> Filter {
    let status = query.status_filter();
    Filter {
        status: match status {
            StatusFilter::Only(status) => Some(status),
            StatusFilter::AwaitingDecision | StatusFilter::Any => None,
        },
        ods_code: query.ods_code(),
        risk: query.risk().and_then(parse_risk),
        text: query.text(),
        awaiting_decision: status == StatusFilter::AwaitingDecision,
    }
}

/// One page of the review queue for the signed-in account.
pub async fn queue(state: &AppState, query: QueueQuery) -> Result<Access<QueuePage>, PageError> {
    let Some(signed_in) = signed_in_from_context(state).await.map_err(internal)? else {
        return Ok(Access::SignIn);
    };
    if require_reviewer(&signed_in.identity).is_err() {
        return Ok(super::pages::wrong_role(
            &signed_in.identity,
            Role::Reviewer,
        ));
    }
    let page = registrations::list(
        &state.pool,
        &signed_in.identity,
        &filter_of(&query),
        query.page(),
    )
    .await
    .map_err(internal)?;
    let references: Vec<String> = page.items.iter().map(|s| s.reference.clone()).collect();
    let claims = claims::for_references(&state.pool, &references)
        .await
        .map_err(internal)?;
    Ok(Access::Page(QueuePage {
        rows: page
            .items
            .into_iter()
            .map(|summary| QueueRow {
                claimed_by: claims
                    .iter()
                    .find(|claim| claim.reference == summary.reference)
                    .map(|claim| claim.reviewer_email.clone()),
                reference: summary.reference,
                version: summary.version,
                status: summary.status,
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
        now: OffsetDateTime::now_utc().unix_timestamp(),
    }))
}

/// The latest version of `reference`, for a signed-in reviewer only (`None` otherwise).
pub async fn latest_version(state: &AppState, reference: String) -> Result<Option<i64>, PageError> {
    let Some(signed_in) = signed_in_from_context(state).await.map_err(internal)? else {
        return Ok(None);
    };
    if require_reviewer(&signed_in.identity).is_err() {
        return Ok(None);
    }
    Ok(
        registrations::find(&state.pool, &signed_in.identity, &reference)
            .await
            .map_err(internal)?
            .map(|latest| latest.version),
    )
}

/// One request's review page for the signed-in account.
pub async fn detail(
    state: &AppState,
    reference: String,
    since: Option<i64>,
) -> Result<Access<ReviewDetail>, PageError> {
    let pool = &state.pool;
    let Some(signed_in) = signed_in_from_context(state).await.map_err(internal)? else {
        return Ok(Access::SignIn);
    };
    let Ok(reviewer) = require_reviewer(&signed_in.identity) else {
        return Ok(super::pages::wrong_role(
            &signed_in.identity,
            Role::Reviewer,
        ));
    };
    let identity = &signed_in.identity;
    let mut versions = registrations::find_versions(pool, identity, &reference)
        .await
        .map_err(internal)?;
    let Some(latest) = versions.pop() else {
        return Ok(Access::NotFound);
    };
    let now = OffsetDateTime::now_utc();
    // The application's live version, once it was made in the tenant.
    let application = crate::store::registrations::application(pool, &reference)
        .await
        .map_err(internal)?;
    // The changes since the version the reviewer read (back from a stale decision); for a
    // renewal or change, against the live version (what would change in the tenant); else since
    // the previous one.
    let live_version = application
        .as_ref()
        .filter(|_| latest.purpose.is_some())
        .map(|application| application.version);
    let base = since
        .and_then(|read| versions.iter().find(|version| version.version == read))
        .or_else(|| {
            live_version.and_then(|live| versions.iter().find(|version| version.version == live))
        })
        .or(versions.last());
    let changes = base
        .map(|base| registration::diff::diff(&base.request, &latest.request, now))
        .unwrap_or_default();
    let record = registrations::signed_record(pool, &latest)
        .await
        .map_err(internal)?;
    let decisions = review::decisions(pool, identity, &reference)
        .await
        .map_err(internal)?;
    let standing = review::standing(pool, &reviewer, &reference)
        .await
        .map_err(internal)?;
    let standing = match standing {
        None => return Ok(Access::NotFound),
        Some(review::Standing::MayDecide) => Standing::MayDecide {
            csrf_token: signed_in.session.csrf_token_for_page(),
        },
        Some(review::Standing::OwnSubmission) => Standing::OwnSubmission,
        Some(review::Standing::GaveFirstApproval) => Standing::GaveFirstApproval,
        Some(review::Standing::NotAwaitingDecision(status)) => {
            Standing::NotAwaitingDecision(status)
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
    // While approved, the form that records the application as created; once live, what was.
    // For a renewal or change: its purpose, and whether a new client secret is needed.
    let change = application
        .as_ref()
        .filter(|application| application.version != latest.version)
        .and_then(|application| {
            latest.purpose.map(|purpose| {
                (
                    purpose,
                    registration::change::needs_new_secret(
                        purpose,
                        &application.request,
                        &latest.request,
                    ),
                )
            })
        });
    let implementation_form =
        (latest.status == registrations::Status::Approved).then(|| ImplementationForm {
            csrf_token: signed_in.session.csrf_token_for_page(),
            secret_lifetime_months: latest
                .request
                .client_secret
                .map(|secret| secret.lifetime_months),
            purpose: change.map(|(purpose, _)| purpose),
            secret_optional: change.is_some_and(|(_, needed)| !needed),
        });
    let live = applications::live_facts(pool, &latest)
        .await
        .map_err(internal)?
        .map(applications::LiveFacts::into_page);
    let life = match live.as_ref().map(|live| live.status) {
        Some(application_status) => {
            let history = crate::deletion::history(pool, &reference, application_status)
                .await
                .map_err(internal)?;
            let form = history.waiting.is_some().then(|| StepForm::Answer {
                csrf_token: signed_in.session.csrf_token_for_page(),
            });
            Some(super::pages::application_life(history, form))
        }
        None => None,
    };
    // While a decision is awaited, the same version checked again today (an approval is refused
    // when it no longer passes: `review::decide`).
    let findings_now = if latest.status.is_awaiting_decision() {
        review::revalidate(state.desk(), &latest.request, now)
            .await
            .ok()
            .map(|report| report.findings)
    } else {
        None
    };
    // The organisation's other requests, each checked for looking like the same application.
    let (siblings, siblings_total) = crate::store::registrations::siblings(
        pool,
        &latest.ods_code,
        &latest.reference,
        app::backend::review::SIBLINGS_SHOWN,
    )
    .await
    .map_err(internal)?;
    let siblings = siblings
        .into_iter()
        .map(|sibling| SiblingRow {
            likeness: registration::duplicate::likeness(&latest.request, &sibling.request)
                .iter()
                .map(registration::duplicate::Likeness::text)
                .collect(),
            reference: sibling.summary.reference,
            version: sibling.summary.version,
            status: sibling.summary.status,
            application_name: sibling.summary.application_name,
            submitted_at: sibling.summary.submitted_at,
        })
        .collect();
    let held = claims::find(pool, &latest.reference)
        .await
        .map_err(internal)?;
    let claim = ClaimState {
        mine: held
            .as_ref()
            .is_some_and(|held| held.reviewer_id == reviewer.user_id()),
        holder: held.map(|held| (held.reviewer_email, held.claimed_at)),
        csrf_token: signed_in.session.csrf_token_for_page(),
    };
    let mut report = latest.report.clone();
    for summary in &mut report.certificates {
        summary.der_base64.clear();
    }
    Ok(Access::Page(ReviewDetail {
        reference: latest.reference.clone(),
        version: latest.version,
        record_sha256: crate::store::log::sha256_hex(record.as_bytes()),
        status: latest.status,
        ods_code: latest.ods_code.clone(),
        organisation_name: latest.organisation_name.clone(),
        submitted_at: latest.submitted_at.clone(),
        submitted_by: latest.submitted_by_email.clone(),
        request,
        report,
        permissions,
        risk: risk_text(latest.risk).to_string(),
        needs_second_approval: permission::needs_second_approval(&latest.request),
        previous_version: base.map(|base| base.version),
        findings_now,
        purpose: latest.purpose,
        changes,
        decisions: decisions
            .into_iter()
            .map(|d| DecisionRow {
                version: d.version,
                decision: d.decision,
                reason: d.reason,
                reviewer_email: d.reviewer_email,
                decided_at: d.decided_at,
                status_after: d.status_after,
            })
            .collect(),
        standing,
        max_reason_chars: review::MAX_REASON_CHARS,
        implementation_form,
        live,
        life,
        siblings,
        siblings_total,
        claim,
    }))
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
    post: FormPost<Reviewer, DecisionForm>,
) -> Response {
    let page = format!("/review/{reference}");
    if !is_reference(&reference) {
        return not_found();
    }
    let Some(decision) = post.field("decision").and_then(Decision::parse) else {
        return Redirect::to(&format!(
            "{page}?error={}",
            DecisionRefusal::DecisionRequired.as_str()
        ))
        .into_response();
    };
    let reason = post.field("reason");
    // A form without them (a tab opened before decisions named their version) decides nothing.
    let seen = review::Seen {
        version: post
            .field("version")
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0),
        record_sha256: post
            .field("record_sha256")
            .map(|hash| hash.trim().to_string()),
    };
    let seen_version = seen.version;
    match review::decide(
        state.desk(),
        &post.capability,
        &reference,
        seen,
        decision,
        reason,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(decided) => {
            Redirect::to(&format!("{page}?decided={}", decided.status.as_str())).into_response()
        }
        Err(error) => match error.refusal() {
            // A refusal about the reason: it was empty or cut by the browser's maxlength, so
            // nothing typed is lost. Any other: the reason typed goes back into the form, and a
            // stale decision's page shows what changed since the version that was read.
            Some(refusal @ (DecisionRefusal::ReasonRequired | DecisionRefusal::ReasonTooLong)) => {
                refused(&page, refusal, decision, None, None)
            }
            Some(refusal) => {
                let since = matches!(error, DecideError::StaleVersion { .. })
                    .then_some(seen_version)
                    .filter(|version| *version > 0);
                refused(&page, refusal, decision, reason, since)
            }
            None if matches!(error, DecideError::NotFound) => not_found(),
            None if matches!(error, DecideError::Busy) => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service was too busy to check the request again before recording the approval. Nothing was recorded: go back and press the button again in a few seconds.",
            ),
            None => {
                tracing::error!(error = %format!("{error:#}"), "a decision could not be recorded");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, the decision could not be recorded. Please go back and try again.",
                )
            }
        },
    }
}

/// The longest percent-encoded reason carried back in the page's address.
const MAX_REASON_IN_ADDRESS: usize = 6 * 1024;

/// Back to the request's page, which explains the refusal and keeps the chosen decision (and
/// the reason typed, and the version read, when given).
fn refused(
    page: &str,
    refusal: DecisionRefusal,
    decision: Decision,
    reason: Option<&str>,
    since: Option<i64>,
) -> Response {
    let mut to = format!(
        "{page}?error={}&decision={}",
        refusal.as_str(),
        decision.as_str()
    );
    if let Some(since) = since {
        to.push_str(&format!("&since={since}"));
    }
    keep_reason(&mut to, reason);
    Redirect::to(&to).into_response()
}

/// Adds `&reason=…` (what was typed, so it is not lost) to `to`, unless it is blank or too long
/// for an address: kept within what proxies in front of the desk take (8 KiB lines are common),
/// a longer reason is left out rather than have the page refused.
pub(super) fn keep_reason(to: &mut String, reason: Option<&str>) {
    if let Some(reason) = reason.filter(|text| !text.trim().is_empty()) {
        let encoded = app::backend::encode_query_value(reason);
        if encoded.len() <= MAX_REASON_IN_ADDRESS {
            to.push_str("&reason=");
            to.push_str(&encoded);
        }
    }
}

fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "There is no registration request with this reference.",
    )
}

/// The longest value typed into the implementation form that is carried back in the address
/// (a GUID is 36 characters; anything much longer is not one, and is not worth keeping).
const MAX_KEPT_VALUE: usize = 200;

/// `POST /review/{reference}/implementation`: records an approved request as created in the
/// tenant ([`applications::implement`], as the JSON API does) and sends the reviewer back to the
/// request's page: `?implemented=live`, or `?implementation_error=<code>,…` with the typed IDs,
/// secret ID and expiry kept (`&application_id=…`), never the secret's value nor the pasted
/// Graph JSON (which holds it): `&pasted=true` says it must be pasted again.
pub async fn implement(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<Reviewer, ImplementationPost>,
) -> Response {
    let page = format!("/review/{reference}");
    if !is_reference(&reference) {
        return not_found();
    }
    let text = |name: &str| post.field(name).unwrap_or("").trim().to_string();
    let graph = text("graph_response");
    let pasted = !graph.is_empty();
    let posted = if pasted {
        // JSON that does not parse is as unreadable as JSON without appId and id: the rules
        // refuse both (`graph_response_unreadable`).
        Posted::GraphResponse(serde_json::from_str(&graph).unwrap_or(serde_json::Value::Null))
    } else {
        let secret = [
            text("secret_value"),
            text("secret_id"),
            text("secret_expires_at"),
        ];
        let client_secret = secret.iter().any(|field| !field.is_empty()).then(|| {
            let [value, secret_id, expires_at] = secret;
            registration::implementation::IssuedSecret {
                value,
                secret_id,
                expires_at,
            }
        });
        Posted::Fields(registration::implementation::ImplementationInput {
            application_id: text("application_id"),
            object_id: text("object_id"),
            client_secret,
        })
    };
    let result = applications::implement(
        state.desk(),
        &state.applications,
        &post.capability,
        &reference,
        posted,
        OffsetDateTime::now_utc(),
    )
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("{page}?implemented=live")).into_response(),
        Err(ImplementError::Invalid(refusals)) => {
            let codes: Vec<&str> = refusals.iter().map(|refusal| refusal.as_str()).collect();
            let mut to = format!("{page}?implementation_error={}", codes.join(","));
            if pasted {
                to.push_str("&pasted=true");
            } else {
                // What was typed comes back, except the secret's value.
                for name in [
                    "application_id",
                    "object_id",
                    "secret_id",
                    "secret_expires_at",
                ] {
                    let value = text(name);
                    if !value.is_empty() && value.chars().count() <= MAX_KEPT_VALUE {
                        to.push_str(&format!(
                            "&{name}={}",
                            app::backend::encode_query_value(&value)
                        ));
                    }
                }
            }
            Redirect::to(&to).into_response()
        }
        Err(ImplementError::NotApproved(_)) => {
            Redirect::to(&format!("{page}?implementation_refused=not_approved")).into_response()
        }
        Err(ImplementError::NotLive(_)) => {
            Redirect::to(&format!("{page}?implementation_refused=not_live")).into_response()
        }
        Err(ImplementError::AlreadyImplemented) => Redirect::to(&format!(
            "{page}?implementation_refused=already_implemented"
        ))
        .into_response(),
        Err(ImplementError::NotFound) => not_found(),
        Err(ImplementError::Store(error)) => {
            tracing::error!(error = %format!("{error:#}"), "an implementation could not be recorded");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, the application could not be recorded as created. Please go back and try again.",
            )
        }
    }
}

/// `POST /review/{reference}/claim`: the reviewer claims the request (taking it over from
/// whoever had it), then sees its page.
pub async fn claim(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<Reviewer, DecisionForm>,
) -> Response {
    change_claim(&state, &reference, &post.capability, true).await
}

/// `POST /review/{reference}/release`: the reviewer gives their claim up.
pub async fn release(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<Reviewer, DecisionForm>,
) -> Response {
    change_claim(&state, &reference, &post.capability, false).await
}

/// Claims (`claim`) or releases the request for `reviewer`; answers with its page.
async fn change_claim(
    state: &AppState,
    reference: &str,
    reviewer: &Reviewer,
    claim: bool,
) -> Response {
    if !is_reference(reference) {
        return not_found();
    }
    let changed = async {
        if crate::store::registrations::latest(&state.pool, reference)
            .await?
            .is_none()
        {
            return anyhow::Ok(false);
        }
        if claim {
            let now =
                OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
            claims::claim(
                &state.pool,
                reference,
                reviewer.user_id(),
                reviewer.email(),
                &now,
            )
            .await?;
        } else {
            claims::release(&state.pool, reference, reviewer.user_id()).await?;
        }
        Ok(true)
    }
    .await;
    match changed {
        Ok(true) => Redirect::to(&format!("/review/{reference}#claim")).into_response(),
        Ok(false) => not_found(),
        Err(error) => {
            tracing::error!(%reference, claim, "a claim could not be changed: {error:#}");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The claim could not be changed. Nothing changed: go back and try again.",
            )
        }
    }
}
