//! The registration routes: validate, submit, list, read, resubmit, decide, record and exports.
//! Each handler checks who is asking, then reads the body, then calls the domain.

use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use registration::record::exports::{self, Approval};
use registration::rules::permission::Risk;
use registration::{RegistrationRequest, ValidationReport};
use time::OffsetDateTime;

use super::{ApiError, ApiPath, json_body, parse_request};
use crate::identity::{Identity, SignedIn, require_any_local_admin, require_reviewer};
use crate::registrations::{
    self, Filter, Page, Purpose, Status, StoredRegistration, Submitted, Summary,
};
use crate::review::{self, Decided, Decision, StoredDecision};
use crate::store::registrations::parse_risk;
use crate::validation::{self, Audience};
use crate::web::AppState;
use crate::web::session::CsrfChecked;
use app::backend::review::SEARCH_MAX_CHARS;

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

/// What the list route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListFormat {
    /// One page as JSON (the default).
    Json,
    /// Every matching request as CSV (`format=csv`, or `Accept: text/csv`).
    Csv,
}

/// The query of the list route: every name optional, an empty value is no filter.
fn list_query(query: Option<&str>) -> Result<(Filter, u32, Option<ListFormat>), ApiError> {
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message);
    let mut filter = Filter::default();
    let mut page = 1;
    let mut format = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            // The review queue's own two (its link to the CSV passes its filters on).
            "status" if value == "awaiting" => filter.awaiting_decision = true,
            "status" if value == "all" => {}
            "status" => {
                filter.status = Some(Status::parse(value).ok_or_else(|| {
                    bad(format!(
                        "status={value} is not a status: use submitted, changes_requested, awaiting_second_approval, approved, live, rejected, awaiting (anything awaiting a reviewer) or all."
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
            "q" => {
                if value.chars().count() > SEARCH_MAX_CHARS {
                    return Err(bad(format!(
                        "q is {} characters long; search for at most {}.",
                        value.chars().count(),
                        SEARCH_MAX_CHARS
                    )));
                }
                filter.text = Some(value.to_string());
            }
            "format" => {
                format = Some(match value {
                    "json" => ListFormat::Json,
                    "csv" => ListFormat::Csv,
                    _ => {
                        return Err(bad(format!(
                            "format={value} is not a format: use json or csv."
                        )));
                    }
                });
            }
            other => {
                return Err(bad(format!(
                    "{other} is not a filter: use status, ods_code, risk, q, page or format."
                )));
            }
        }
    }
    Ok((filter, page, format))
}

/// `GET /api/v1/registrations`: one page of the requests the caller may see, oldest first.
#[utoipa::path(get, path = "/api/v1/registrations", tag = "registrations",
    security(("session" = [])),
    params(
        ("status" = Option<Status>, Query, description = "Only requests whose latest version has this status."),
        ("ods_code" = Option<String>, Query, description = "Only this organisation's (a Local Administrator sees only their own anyway)."),
        ("risk" = Option<String>, Query, description = "`low` or `high`."),
        ("page" = Option<u32>, Query, description = "From 1; 50 requests a page."),
        ("q" = Option<String>, Query, description = "Text to find (any letter case, at most 100 characters) in the reference, the application's name or supplier, a mailbox, or the organisation's ODS code or name."),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`: every matching request (not one page) as CSV, as `Accept: text/csv` asks too. `status` also takes `awaiting` (what awaits a reviewer) and `all`."),
    ),
    responses(
        (status = 200, description = "Reviewers: every organisation's requests; Local Administrators: their own organisation's. As CSV (`text/csv`, a download): a header row, then one row a request, oldest first: reference, version, status, ods_code, organisation_name, application_name, risk, submitted_at, waiting_days.", body = Page<Summary>),
        (status = 400, description = "An unknown filter or a value it cannot take; for CSV, more than 100,000 requests match (`too_many`: narrow the filters).", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (filter, page, format) = list_query(query.as_deref())?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if format.unwrap_or(if wants_csv {
        ListFormat::Csv
    } else {
        ListFormat::Json
    }) == ListFormat::Json
    {
        let page = registrations::list(&state.pool, &signed_in.identity, &filter, page).await?;
        return Ok(Json(page).into_response());
    }
    let now = OffsetDateTime::now_utc();
    let rows = match registrations::export(&state.pool, &signed_in.identity, &filter).await? {
        Ok(rows) => rows,
        Err(total) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "too_many",
                format!(
                    "{total} requests match; an export holds at most {}. Narrow the filters (status, organisation or risk).",
                    crate::store::registrations::EXPORT_MAX
                ),
            ));
        }
    };
    let file_name = format!("registration-requests-{}.csv", now.date());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        summaries_csv(&rows, now),
    )
        .into_response())
}

/// The CSV of an export (RFC 4180, CRLF line ends): a header row, then one row a request.
fn summaries_csv(rows: &[Summary], now: OffsetDateTime) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 128);
    out.push_str("reference,version,status,ods_code,organisation_name,application_name,risk,submitted_at,waiting_days\r\n");
    for row in rows {
        let waiting = OffsetDateTime::parse(
            &row.submitted_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map(|submitted| (now - submitted).whole_days().max(0).to_string())
        .unwrap_or_default();
        let fields = [
            row.reference.clone(),
            row.version.to_string(),
            row.status.as_str().to_string(),
            row.ods_code.clone(),
            row.organisation_name.clone().unwrap_or_default(),
            row.application_name.clone(),
            crate::store::registrations::risk_text(row.risk).to_string(),
            row.submitted_at.clone(),
            waiting,
        ];
        let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field: quoted when it holds a comma, quote or line break (quotes doubled); text a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) is kept
/// as text by a leading `'` (OWASP, "CSV injection"): application names are typed by others.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// One version of a request with the request's version numbers and decisions.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegistrationDetail {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// This version's number (the latest, unless a version was asked for).
    pub version: i64,
    /// The SHA-256 (lower-case hex) of this version's signed record (`GET …/record` for the
    /// latest): a decision names it with `version`, so it is recorded only on what was read.
    pub record_sha256: String,
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
    /// A live application's Application (client) ID (absent before it is live).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// A live application's tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// A live application's credentials: its certificates (id = SHA-1 thumbprint, expiry =
    /// notAfter) and client secrets (id = secret id), each with its expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<crate::applications::Credential>>,
    /// For a renewal or change of a registered application: `renewal` or `change` (absent for a
    /// new request and its resubmissions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// A registered application's live version (the one made in the tenant; the status of the
    /// application is that version's): earlier than `version` while a renewal or change of it
    /// is reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_version: Option<i64>,
    /// A registered application's status (its live version's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_status: Option<Status>,
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
    let record = registrations::signed_record(&state.pool, &stored).await?;
    let live = crate::applications::live_facts(&state.pool, &stored).await?;
    let (live_version, application_status) = live
        .as_ref()
        .map(|live| (live.version, live.status))
        .unzip();
    let (application_id, tenant_id, credentials) = match live {
        Some(live) => (
            Some(live.application_id),
            Some(live.tenant_id),
            Some(live.credentials),
        ),
        None => (None, None, None),
    };
    Ok(RegistrationDetail {
        purpose: stored.purpose,
        live_version,
        application_status,
        application_id,
        tenant_id,
        credentials,
        risk: stored.risk,
        record_sha256: crate::store::log::sha256_hex(record.as_bytes()),
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
    next_version(state, signed_in, reference, None, request).await
}

/// `POST /api/v1/registrations/{reference}/renewals`: a renewal of a live registered application
/// (a new certificate, or a new client secret), as its next version.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/renewals", tag = "registrations",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = RegistrationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored as the next version, `submitted`, with `purpose: renewal`; the application stays live on its current version until the renewal is made.", body = Submitted,
            headers(("Location" = String, description = "`/api/v1/registrations/{reference}`"))),
        (status = 400, description = "Not a request.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, not a Local Administrator, or an `ods_code` that is not theirs.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The application is not live (`not_live`), or a renewal or change of it is already open (`change_in_review`).", body = super::openapi::ErrorBody),
        (status = 413, description = "The body is over 1 MiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = super::openapi::ErrorBody),
        (status = 422, description = "The report has errors (`invalid_request`), the request changes more than the credentials (`not_a_renewal`, the message names the fields) or renews nothing (`nothing_to_renew`); nothing was stored.", body = super::openapi::InvalidRequestBody),
    ))]
pub async fn renew(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    next_version(state, signed_in, reference, Some(Purpose::Renewal), request).await
}

/// `POST /api/v1/registrations/{reference}/changes`: a change of a live registered application
/// (permissions, URIs, mailboxes, details), as its next version.
#[utoipa::path(post, path = "/api/v1/registrations/{reference}/changes", tag = "registrations",
    security(("session" = [], "csrf" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    request_body(content = RegistrationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored as the next version, `submitted`, with `purpose: change`; the application stays live on its current version until the change is made.", body = Submitted,
            headers(("Location" = String, description = "`/api/v1/registrations/{reference}`"))),
        (status = 400, description = "Not a request.", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`, not a Local Administrator, or an `ods_code` that is not theirs.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The application is not live (`not_live`), or a renewal or change of it is already open (`change_in_review`).", body = super::openapi::ErrorBody),
        (status = 413, description = "The body is over 1 MiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = super::openapi::ErrorBody),
        (status = 422, description = "The report has errors (`invalid_request`), or nothing differs from the live version (`no_change`); nothing was stored.", body = super::openapi::InvalidRequestBody),
    ))]
pub async fn change(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
    ApiPath(reference): ApiPath<String>,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    next_version(state, signed_in, reference, Some(Purpose::Change), request).await
}

/// The next version of `reference` from the posted request: answering "changes requested"
/// (`purpose` `None`), or a renewal or change of the live application.
async fn next_version(
    state: AppState,
    signed_in: SignedIn,
    reference: String,
    purpose: Option<Purpose>,
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
    let now = OffsetDateTime::now_utc();
    let submitted = match purpose {
        None => {
            registrations::resubmit(state.desk(), &admin, &reference, &registration_request, now)
                .await
        }
        Some(purpose) => {
            registrations::request_change(
                state.desk(),
                &admin,
                &reference,
                purpose,
                &registration_request,
                now,
            )
            .await
        }
    }?;
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
    /// The version decided on: the latest, as `GET /api/v1/registrations/{reference}` gave it.
    pub version: i64,
    /// The SHA-256 (hex) of that version's signed record, as `GET
    /// /api/v1/registrations/{reference}` gave it (`record_sha256`): the exact record decided on.
    /// Optional: without it the version alone binds the decision.
    #[serde(default)]
    pub record_sha256: Option<String>,
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
        (status = 409, description = "The request is not awaiting a decision (`not_awaiting_decision`), or `version` and `record_sha256` are not the latest version's (`stale_version`: a newer version was submitted since it was read, or `record_sha256`, when given, is not its record's; nothing was recorded, and the message names the latest version), or an approval of a version that no longer passes the checks today (`now_invalid`, with the `report` as of now: a certificate expired, an organisation closed, a permission retired since submission).", body = super::openapi::ErrorBody),
        (status = 503, description = "Every validation slot stayed busy while the approval was checked again (`busy`, with `Retry-After`); nothing was recorded.", body = super::openapi::ErrorBody),
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
                "Send {{ \"decision\": \"approve\" | \"reject\" | \"request_changes\", \"reason\": \"…\", \"version\": <the version read>, \"record_sha256\": \"<its record_sha256>\" }}: {error}"
            ),
        )
    })?;
    let decided: Decided = review::decide(
        state.desk(),
        &reviewer,
        &reference,
        review::Seen {
            version: posted.version,
            record_sha256: posted.record_sha256,
        },
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

/// `GET /api/v1/registrations/{reference}/decisions`: every signed decision on the request.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/decisions", tag = "records",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "Every decision on every version, in order, each with its signed form (`jws`: ES256, `typ` `appreg-decision+jwt`, verifiable with /.well-known/jwks.json; its claims bind it to the version and, by `record_sha256`, to the exact record decided on).", body = SignedDecisions),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
    ))]
pub async fn decisions(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<SignedDecisions>, ApiError> {
    registrations::find(&state.pool, &signed_in.identity, &reference)
        .await?
        .ok_or_else(ApiError::registration_not_found)?;
    let items = crate::store::decisions::list_signed(&state.pool, &reference).await?;
    Ok(Json(SignedDecisions { items }))
}

/// The signed decisions of a request.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignedDecisions {
    /// Every decision on every version, in order.
    pub items: Vec<review::SignedDecision>,
}

/// `GET /api/v1/registrations/{reference}/bundle`: the record with its decisions.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/bundle", tag = "records",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "The latest version's signed record with the signed decisions on it and the desk's public keys: everything needed to check, with any JOSE library, what was requested and who decided what (docs/api.md).", body = RecordBundle),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
    ))]
pub async fn bundle(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    let stored = registrations::find(&state.pool, &signed_in.identity, &reference)
        .await?
        .ok_or_else(ApiError::registration_not_found)?;
    let record = registrations::signed_record(&state.pool, &stored).await?;
    let decisions = crate::store::decisions::list_signed(&state.pool, &reference)
        .await?
        .into_iter()
        .filter(|signed| signed.version == stored.version)
        .map(|signed| signed.jws)
        .collect();
    let jwks = crate::store::keys::jwks(&state.pool).await?;
    let bundle = RecordBundle {
        reference: stored.reference.clone(),
        version: stored.version,
        status: stored.status,
        record_sha256: crate::store::log::sha256_hex(record.as_bytes()),
        record,
        decisions,
        jwks,
    };
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            attachment(&reference, "record-bundle.json"),
        )],
        Json(bundle),
    )
        .into_response())
}

/// A request's signed record with the signed decisions on it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RecordBundle {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The latest version.
    pub version: i64,
    /// Its status when the bundle was made (the signed decisions are what prove it).
    pub status: Status,
    /// The signed record (JWS compact, `typ` `appreg-request+jwt`).
    pub record: String,
    /// The hex SHA-256 of `record`: each decision's `record_sha256` claim must equal it.
    pub record_sha256: String,
    /// The signed decisions on this version, in order (JWS compact, `typ`
    /// `appreg-decision+jwt`); the last one's `status` claim is the version's status.
    pub decisions: Vec<String>,
    /// The desk's public keys when the bundle was made (a JWK Set); check them against the
    /// desk's published `/.well-known/jwks.json` (or a copy kept earlier) before trusting them.
    #[schema(value_type = Object)]
    pub jwks: serde_json::Value,
}

/// What an export is made from: the latest record's claims, taken only from a record that
/// verifies (never from anything that could have been changed since), and its approval by
/// signed decisions. A request that is not approved gets 409 `not_approved`, unless a reviewer
/// asks for a preview (`?preview=true`), which says "NOT APPROVED" in the export itself.
async fn export_source(
    state: &AppState,
    identity: &Identity,
    reference: &str,
    query: Option<&str>,
) -> Result<(serde_json::Value, Approval), ApiError> {
    let stored = registrations::find(&state.pool, identity, reference)
        .await?
        .ok_or_else(ApiError::registration_not_found)?;
    let jws = registrations::signed_record(&state.pool, &stored).await?;
    let keys = crate::store::log::key_set(&state.pool).await?;
    let verified = crate::signing::verify(&jws, &keys).map_err(|error| {
        tracing::error!(reference, error = %error, "a stored record does not verify");
        ApiError::new(
            StatusCode::CONFLICT,
            "record_not_verifiable",
            "The signed record of this request does not verify (its signing key may have been revoked), so no export is made from it.",
        )
    })?;
    if let Some(decisions) = review::approving_decisions(&state.pool, &keys, &stored, &jws).await? {
        return Ok((verified.claims, Approval::Approved { decisions }));
    }
    let preview = query
        .unwrap_or("")
        .split('&')
        .any(|pair| pair == "preview=true" || pair == "preview=1");
    if preview && require_reviewer(identity).is_ok() {
        return Ok((
            verified.claims,
            Approval::Preview {
                status: stored.status.text().to_string(),
            },
        ));
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "not_approved",
        format!(
            "{reference} version {} is not approved (it is {}): the Entra application and the Exchange script are made only for an approved request. Reviewers can preview them with ?preview=true.",
            stored.version,
            stored.status.text().to_lowercase()
        ),
    ))
}

/// `GET …/exports/entra-application.json`: the Microsoft Graph `POST /applications` body.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/exports/entra-application.json", tag = "records",
    security(("session" = [])),
    params(
        ("reference" = String, Path, description = "`AR-XXXX-XXXX`"),
        ("preview" = Option<bool>, Query, description = "Reviewers only: `true` for a preview of a request not approved yet, its `notes` saying NOT APPROVED."),
    ),
    responses(
        (status = 200, description = "The Microsoft Graph `POST /applications` body, made from the verified record of an approved request; `notes` names the reference, the version and the approving decisions.", body = Object),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The request is not approved (`not_approved`), or its record no longer verifies (`record_not_verifiable`).", body = super::openapi::ErrorBody),
    ))]
pub async fn entra_application_export(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (claims, approval) =
        export_source(&state, &signed_in.identity, &reference, query.as_deref()).await?;
    let body = exports::entra_application_with(&claims, &approval);
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            attachment(&reference, export_name(&approval, "entra-application.json")),
        )],
        Json(body),
    )
        .into_response())
}

/// `GET …/exports/exchange-access.ps1`: the Exchange Online PowerShell that scopes app-only mail.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/exports/exchange-access.ps1", tag = "records",
    security(("session" = [])),
    params(
        ("reference" = String, Path, description = "`AR-XXXX-XXXX`"),
        ("preview" = Option<bool>, Query, description = "Reviewers only: `true` for a preview of a request not approved yet, which says NOT APPROVED and stops at its first line when run."),
    ),
    responses(
        (status = 200, description = "Exchange Online PowerShell, made from the verified record of an approved request; its header names the reference, the version and the approving decisions.", content_type = "text/plain", body = String),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
        (status = 409, description = "The request is not approved (`not_approved`), or its record no longer verifies (`record_not_verifiable`).", body = super::openapi::ErrorBody),
    ))]
pub async fn exchange_script_export(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (claims, approval) =
        export_source(&state, &signed_in.identity, &reference, query.as_deref()).await?;
    let script = exports::exchange_script_with(&claims, &approval);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                attachment(&reference, export_name(&approval, "exchange-access.ps1")),
            ),
        ],
        script,
    )
        .into_response())
}

/// A preview's file name says so.
fn export_name(approval: &Approval, name: &'static str) -> String {
    match approval {
        Approval::Approved { .. } => name.to_string(),
        Approval::Preview { .. } => format!("NOT-APPROVED-{name}"),
    }
}

/// `attachment; filename="AR-XXXX-XXXX-<name>"` (a reference has only safe characters).
fn attachment(reference: &str, name: impl std::fmt::Display) -> String {
    format!("attachment; filename=\"{reference}-{name}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_query_reads_filters_and_ignores_empty_values() {
        let (filter, page, format) = list_query(Some(
            "status=approved&ods_code=rx1&risk=high&page=3&q=Ward%207",
        ))
        .unwrap();
        assert_eq!(filter.status, Some(Status::Approved));
        assert_eq!(filter.ods_code.as_deref(), Some("RX1"));
        assert_eq!(filter.risk, Some(Risk::High));
        assert_eq!(filter.text.as_deref(), Some("Ward 7"));
        assert_eq!(page, 3);
        assert_eq!(format, None);
        assert_eq!(
            list_query(Some("status=&ods_code=&page=&q=&format=")).unwrap(),
            (Filter::default(), 1, None)
        );
        let (filter, _, format) = list_query(Some("status=awaiting&format=csv")).unwrap();
        assert!(filter.awaiting_decision && filter.status.is_none());
        assert_eq!(format, Some(ListFormat::Csv));
        let (filter, _, format) = list_query(Some("status=all&format=json")).unwrap();
        assert_eq!(filter, Filter::default());
        assert_eq!(format, Some(ListFormat::Json));
    }

    #[test]
    fn the_list_query_refuses_unknown_filters_and_values() {
        for query in [
            "state=approved",
            "status=done",
            "risk=medium",
            "page=0",
            "page=x",
            "format=xlsx",
        ] {
            let error = list_query(Some(query)).unwrap_err();
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{query}");
        }
    }
}
