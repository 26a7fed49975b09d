//! The registration routes: validate, submit, list, read, resubmit, decide, record and exports.
//! Each handler checks who is asking, then reads the body, then calls the domain.

use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use registration::rules::permission::Risk;
use registration::{RegistrationRequest, ValidationReport};
use time::OffsetDateTime;

use super::{ApiError, ApiPath, json_body, parse_request};
use crate::identity::{Identity, SignedIn, require_any_local_admin, require_reviewer};
use crate::registrations::{self, Filter, Page, Status, StoredRegistration, Submitted, Summary};
use crate::review::{self, Decided, Decision, StoredDecision};
use crate::store::registrations::parse_risk;
use crate::validation::{self, Audience};
use crate::web::AppState;
use crate::web::session::CsrfChecked;

/// `POST /api/v1/registrations/validate`: the report, with no side effects.
///
/// Anyone may call it; an anonymous caller is rate-limited per address and gets the rules, not
/// the mailbox directory (`mailbox.directory_not_consulted` says so in the report).
#[utoipa::path(post, path = "/api/v1/registrations/validate", tag = "registrations",
    request_body(content = RegistrationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The report, also when the request has errors (`valid` says which). Without a session, mailboxes are not looked up in the directory.", body = ValidationReport),
        (status = 400, description = "Not a request: malformed JSON, a wrong type, a missing required or an unknown field.", body = super::openapi::ErrorBody),
        (status = 413, description = "The body is over 1 MiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = super::openapi::ErrorBody),
        (status = 429, description = "Without a session: too many validations from this address (`rate_limited`); `Retry-After` says when to try again.", body = super::openapi::ErrorBody),
        (status = 503, description = "Every validation slot is busy (`busy`); `Retry-After` says when to try again.", body = super::openapi::ErrorBody),
    ))]
pub async fn validate(
    State(state): State<AppState>,
    signed_in: Option<SignedIn>,
    request: Request<Body>,
) -> Result<Json<ValidationReport>, ApiError> {
    let audience = if signed_in.is_some() {
        Audience::SignedIn
    } else {
        let client = super::super::serve::client_ip(request.extensions());
        if let Err(wait) = state
            .limits
            .anonymous_validation
            .take(client, std::time::Instant::now())
        {
            return Err(ApiError::rate_limited(
                wait.seconds(),
                "Too many checks from your address without signing in. Wait a little, or sign in to check without this limit.",
            ));
        }
        Audience::Anonymous
    };
    let body = json_body(request).await?;
    let registration_request = parse_request(&body)?;
    let report = validation::validate(
        &state.limits,
        &state.directory,
        registration_request,
        audience,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(report))
}

/// 201 with `Location` and the stored submission.
fn created(submitted: Submitted) -> Response {
    (
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/registrations/{}", submitted.reference),
        )],
        Json(submitted),
    )
        .into_response()
}

/// `POST /api/v1/registrations`: a Local Administrator submits a request for their organisation.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "registrations",
    security(("session" = [], "csrf" = [])),
    request_body(content = RegistrationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored (the answer comes after the commit).", body = Submitted,
            headers(("Location" = String, description = "`/api/v1/registrations/{reference}`"))),
        (status = 400, description = "Not a request (malformed JSON, wrong type, missing or unknown field).", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token` (`csrf`), not a Local Administrator (`forbidden`), or an `ods_code` that is not the administrator's organisation (`wrong_organisation`).", body = super::openapi::ErrorBody),
        (status = 413, description = "The body is over 1 MiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = super::openapi::ErrorBody),
        (status = 422, description = "The report has errors; nothing was stored.", body = super::openapi::InvalidRequestBody),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let admin = require_any_local_admin(&signed_in.identity)?;
    let registration_request = parse_request(&json_body(request).await?)?;
    let submitted = registrations::submit(
        state.desk(),
        &admin,
        &registration_request,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(submitted))
}

/// The query of the list route: every name optional, an empty value is no filter.
fn list_query(query: Option<&str>) -> Result<(Filter, u32), ApiError> {
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message);
    let mut filter = Filter::default();
    let mut page = 1;
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "status" => {
                filter.status = Some(Status::parse(value).ok_or_else(|| {
                    bad(format!(
                        "status={value} is not a status: use submitted, changes_requested, awaiting_second_approval, approved or rejected."
                    ))
                })?);
            }
            "ods_code" => filter.ods_code = Some(value.to_ascii_uppercase()),
            "risk" => {
                filter.risk =
                    Some(parse_risk(value).ok_or_else(|| {
                        bad(format!("risk={value} is not a risk: use low or high."))
                    })?);
            }
            "page" => {
                page = value
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| {
                        bad(format!("page={value} is not a page number: use 1, 2, …"))
                    })?;
            }
            other => {
                return Err(bad(format!(
                    "{other} is not a filter: use status, ods_code, risk or page."
                )));
            }
        }
    }
    Ok((filter, page))
}

/// `GET /api/v1/registrations`: one page of the requests the caller may see, oldest first.
#[utoipa::path(get, path = "/api/v1/registrations", tag = "registrations",
    security(("session" = [])),
    params(
        ("status" = Option<Status>, Query, description = "Only requests whose latest version has this status."),
        ("ods_code" = Option<String>, Query, description = "Only this organisation's (a Local Administrator sees only their own anyway)."),
        ("risk" = Option<String>, Query, description = "`low` or `high`."),
        ("page" = Option<u32>, Query, description = "From 1; 50 requests a page."),
    ),
    responses(
        (status = 200, description = "Reviewers: every organisation's requests; Local Administrators: their own organisation's.", body = Page<Summary>),
        (status = 400, description = "An unknown filter or a value it cannot take.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Summary>>, ApiError> {
    let (filter, page) = list_query(query.as_deref())?;
    let page = registrations::list(&state.pool, &signed_in.identity, &filter, page).await?;
    Ok(Json(page))
}

/// One version of a request with the request's version numbers and decisions.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegistrationDetail {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// This version's number (the latest, unless a version was asked for).
    pub version: i64,
    /// This version's status.
    pub status: Status,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The organisation's name when the directory knew it.
    pub organisation_name: Option<String>,
    /// The application's display name.
    pub application_name: String,
    /// When this version was submitted (RFC 3339).
    pub submitted_at: String,
    /// `low` or `high`: how much attention the reviewer must give it.
    pub risk: Risk,
    /// The request exactly as submitted.
    pub request: RegistrationRequest,
    /// The validator's report at submission.
    pub report: ValidationReport,
    /// Every version's number, oldest first.
    pub versions: Vec<i64>,
    /// Every decision on every version, in order.
    pub decisions: Vec<StoredDecision>,
}

async fn detail_of(
    state: &AppState,
    identity: &Identity,
    stored: StoredRegistration,
) -> Result<RegistrationDetail, ApiError> {
    let versions = registrations::find_versions(&state.pool, identity, &stored.reference)
        .await?
        .iter()
        .map(|version| version.version)
        .collect();
    let decisions = review::decisions(&state.pool, identity, &stored.reference).await?;
    Ok(RegistrationDetail {
        risk: stored.risk,
        reference: stored.reference,
        version: stored.version,
        status: stored.status,
        ods_code: stored.ods_code,
        organisation_name: stored.organisation_name,
        application_name: stored.application_name,
        submitted_at: stored.submitted_at,
        request: stored.request,
        report: stored.report,
        versions,
        decisions,
    })
}

/// `GET /api/v1/registrations/{reference}`: the latest version.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}", tag = "registrations",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "The latest version, with every version's number and every decision.", body = RegistrationDetail),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's (the same answer).", body = super::openapi::ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<RegistrationDetail>, ApiError> {
    let stored = registrations::find(&state.pool, &signed_in.identity, &reference)
        .await?
        .ok_or_else(ApiError::registration_not_found)?;
    Ok(Json(detail_of(&state, &signed_in.identity, stored).await?))
}

/// `GET /api/v1/registrations/{reference}/versions/{version}`: an earlier (or the latest) version.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/versions/{version}", tag = "registrations",
    security(("session" = [])),
    params(
        ("reference" = String, Path, description = "`AR-XXXX-XXXX`"),
        ("version" = i64, Path, description = "The version's number, from 1."),
    ),
    responses(
        (status = 200, description = "That version, with every version's number and every decision.", body = RegistrationDetail),
        (status = 400, description = "The version is not a number.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference or version, or another organisation's.", body = super::openapi::ErrorBody),
    ))]
pub async fn version(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath((reference, version)): ApiPath<(String, i64)>,
) -> Result<Json<RegistrationDetail>, ApiError> {
    let stored = registrations::find_version(&state.pool, &signed_in.identity, &reference, version)
        .await?
        .ok_or_else(ApiError::registration_not_found)?;
    Ok(Json(detail_of(&state, &signed_in.identity, stored).await?))
}

/// `POST /api/v1/registrations/{reference}/versions`: a changed request after a reviewer asked
/// for changes.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/versions", tag = "registrations",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = RegistrationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored as the next version; earlier versions stay readable.", body = Submitted,
            headers(("Location" = String, description = "`/api/v1/registrations/{reference}`"))),
        (status = 400, description = "Not a request.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, not a Local Administrator, or an `ods_code` that is not theirs.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The request is not waiting for changes (`not_awaiting_changes`).", body = super::openapi::ErrorBody),
        (status = 413, description = "The body is over 1 MiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = super::openapi::ErrorBody),
        (status = 422, description = "The report has errors; nothing was stored.", body = super::openapi::InvalidRequestBody),
    ))]
pub async fn resubmit(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let admin = require_any_local_admin(&signed_in.identity)?;
    // Whether the caller may see the reference is settled before the body is read.
    if registrations::find(&state.pool, &signed_in.identity, &reference)
        .await?
        .is_none()
    {
        return Err(ApiError::registration_not_found());
    }
    let registration_request = parse_request(&json_body(request).await?)?;
    let submitted = registrations::resubmit(
        state.desk(),
        &admin,
        &reference,
        &registration_request,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(submitted))
}

/// A reviewer's decision as posted.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `approve`, `reject` or `request_changes`.
    pub decision: Decision,
    /// Why: required for `reject` and `request_changes` (at most 4000 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/registrations/{reference}/decisions`: a reviewer decides on the latest version.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/decisions", tag = "review",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded and signed; `status` is the request's new status (`awaiting_second_approval` after the first of two approvals).", body = Decided),
        (status = 400, description = "Not a decision (malformed JSON, unknown decision or field).", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token` (`csrf`), not a reviewer (`forbidden`), a reviewer who submitted the request (`own_submission`), or the same reviewer's second approval (`second_approval_by_same_reviewer`).", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference.", body = super::openapi::ErrorBody),
        (status = 409, description = "The request is not awaiting a decision (`not_awaiting_decision`).", body = super::openapi::ErrorBody),
        (status = 413, description = "The body is over 1 MiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = super::openapi::ErrorBody),
        (status = 422, description = "A reason is missing (`reason_required`) or too long (`reason_too_long`).", body = super::openapi::ErrorBody),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let reviewer = require_reviewer(&signed_in.identity)?;
    // Whether the request exists and is not the reviewer's own is settled before the body is
    // read: `decide` checks it again under the writer lock, with the decision in hand.
    match review::standing(&state.pool, &reviewer, &reference).await? {
        None => return Err(ApiError::registration_not_found()),
        Some(review::Standing::OwnSubmission) => {
            return Err(review::DecideError::OwnSubmission.into());
        }
        Some(_) => {}
    }
    let body = json_body(request).await?;
    let posted: DecisionRequest = serde_json::from_str(&body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_a_decision",
            format!(
                "Send {{ \"decision\": \"approve\" | \"reject\" | \"request_changes\", \"reason\": \"…\" }}: {error}"
            ),
        )
    })?;
    let decided: Decided = review::decide(
        state.desk(),
        &reviewer,
        &reference,
        posted.decision,
        posted.reason.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(decided)).into_response())
}

/// The latest signed record of `reference` when the caller may read it, or a 404.
async fn readable_record(
    state: &AppState,
    identity: &Identity,
    reference: &str,
) -> Result<String, ApiError> {
    registrations::find_record(&state.pool, identity, reference)
        .await?
        .ok_or_else(ApiError::registration_not_found)
}

/// `GET /api/v1/registrations/{reference}/record`: the signed record of the latest version.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/record", tag = "records",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "The record: an ES256 JWS (compact serialization, `typ` `appreg-request+jwt`), verifiable with /.well-known/jwks.json.", content_type = "application/jose", body = String),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
    ))]
pub async fn record(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    let jws = readable_record(&state, &signed_in.identity, &reference).await?;
    Ok(([(header::CONTENT_TYPE, "application/jose")], jws).into_response())
}

/// The claims of the latest record, taken only from a record that verifies: exports are made
/// from what was signed, never from anything that could have been changed since.
async fn verified_claims(
    state: &AppState,
    identity: &Identity,
    reference: &str,
) -> Result<serde_json::Value, ApiError> {
    let jws = readable_record(state, identity, reference).await?;
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
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/exports/entra-application.json", tag = "records",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "The Microsoft Graph `POST /applications` body, made from the verified record.", body = Object),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The record no longer verifies (`record_not_verifiable`).", body = super::openapi::ErrorBody),
    ))]
pub async fn entra_application_export(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    let claims = verified_claims(&state, &signed_in.identity, &reference).await?;
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
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/exports/exchange-access.ps1", tag = "records",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "Exchange Online PowerShell, made from the verified record.", content_type = "text/plain", body = String),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The record no longer verifies (`record_not_verifiable`).", body = super::openapi::ErrorBody),
    ))]
pub async fn exchange_script_export(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    let claims = verified_claims(&state, &signed_in.identity, &reference).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_query_reads_filters_and_ignores_empty_values() {
        let (filter, page) =
            list_query(Some("status=approved&ods_code=rx1&risk=high&page=3")).unwrap();
        assert_eq!(filter.status, Some(Status::Approved));
        assert_eq!(filter.ods_code.as_deref(), Some("RX1"));
        assert_eq!(filter.risk, Some(Risk::High));
        assert_eq!(page, 3);
        assert_eq!(
            list_query(Some("status=&ods_code=&page=")).unwrap(),
            (Filter::default(), 1)
        );
    }

    #[test]
    fn the_list_query_refuses_unknown_filters_and_values() {
        for query in [
            "state=approved",
            "status=done",
            "risk=medium",
            "page=0",
            "page=x",
        ] {
            let error = list_query(Some(query)).unwrap_err();
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{query}");
        }
    }
}
