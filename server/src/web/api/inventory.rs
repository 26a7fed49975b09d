//! The credential inventory (CONTRACTS.md §6, docs/lifecycle.md "Credential inventory"): the
//! registered applications the caller may see with their credentials, what expires soon, and
//! the expiry dates as iCalendar files. The rules are `crate::inventory`'s.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use time::OffsetDateTime;

use super::{ApiError, ApiPath};
use crate::identity::{Role, SignedIn};
use crate::inventory::{self, ExpiringCredential, RegisteredApplication};
use crate::registrations;
use crate::web::AppState;

/// `GET /api/v1/applications`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ApplicationList {
    /// The registered applications (live, or deleted and still recoverable), by name: this page.
    pub applications: Vec<RegisteredApplication>,
    /// This page's number, from 1.
    pub page: u32,
    /// Applications a page (50).
    pub per_page: u32,
    /// Applications on all pages.
    pub total: u64,
}

/// The query of `GET /api/v1/applications`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ApplicationsQuery {
    /// Reviewers: one organisation's only (a Local Administrator always sees their own).
    pub ods_code: Option<String>,
    /// The page, from 1 (50 a page).
    pub page: Option<u32>,
}

/// `GET /api/v1/credentials/expiring`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ExpiringList {
    /// The window asked for, in days.
    pub within_days: i64,
    /// The credentials of live applications that expire within it (or have expired), soonest
    /// first.
    pub credentials: Vec<ExpiringCredential>,
}

/// The query of `GET /api/v1/credentials/expiring`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ExpiringQuery {
    /// Days from now (1 to 3650; 60 when left out).
    pub within_days: Option<i64>,
}

/// `GET /api/v1/applications`: the registered applications the caller may see.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    security(("session" = [])),
    params(ApplicationsQuery),
    responses(
        (status = 200, description = "A Local Administrator's organisation's registered applications, or every organisation's (or `ods_code`'s) for a reviewer, 50 a page by name, each with its Application ID and credentials (soonest expiry first).", body = ApplicationList),
        (status = 400, description = "`page` is not a number (`invalid_query`).", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ApplicationsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ApplicationList>, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "page must be a whole number from 1, for example ?page=2; ods_code an ODS code.",
        )
    })?;
    let ods_code = query
        .ods_code
        .as_deref()
        .map(str::trim)
        .filter(|code| !code.is_empty());
    let page = inventory::registered_page(
        &state.pool,
        &signed_in.identity,
        ods_code,
        Some(query.page.unwrap_or(1).max(1)),
    )
    .await?;
    Ok(Json(ApplicationList {
        applications: page.items,
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}

/// `GET /api/v1/credentials/expiring?within_days=N`.
#[utoipa::path(get, path = "/api/v1/credentials/expiring", tag = "applications",
    security(("session" = [])),
    params(ExpiringQuery),
    responses(
        (status = 200, description = "The credentials of the live applications the caller may see that expire within `within_days` days (60 by default) or have expired, soonest first, with the whole days left.", body = ExpiringList),
        (status = 400, description = "`within_days` is not a number from 1 to 3650 (`invalid_query`).", body = super::openapi::ErrorBody),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
    ))]
pub async fn expiring(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ExpiringQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ExpiringList>, ApiError> {
    let invalid = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "within_days must be a whole number of days from 1 to 3650, for example ?within_days=60.",
        )
    };
    let Query(query) = query.map_err(|_| invalid())?;
    let within_days = query.within_days.unwrap_or(60);
    if !(1..=3650).contains(&within_days) {
        return Err(invalid());
    }
    let applications = inventory::registered(&state.pool, &signed_in.identity).await?;
    Ok(Json(ExpiringList {
        within_days,
        credentials: inventory::expiring(&applications, OffsetDateTime::now_utc(), within_days),
    }))
}

fn calendar_file(file_name: &str, body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/v1/applications/expiry.ics`: every expiry date the caller may see.
#[utoipa::path(get, path = "/api/v1/applications/expiry.ics", tag = "applications",
    security(("session" = [])),
    responses(
        (status = 200, description = "`text/calendar` (RFC 5545): an all-day event on each credential's expiry date, with alarms 30 and 7 days before, for the live applications the caller may see. Each event's UID stays the same, so importing the file again updates the events.", content_type = "text/calendar", body = String),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
    ))]
pub async fn calendar(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, ApiError> {
    let identity = &signed_in.identity;
    let applications = inventory::registered(&state.pool, identity).await?;
    let name = match (identity.role, identity.ods_code.as_deref()) {
        (Role::LocalAdmin, Some(ods_code)) => format!("{ods_code} application credentials"),
        _ => "NHSmail application credentials".to_string(),
    };
    Ok(calendar_file(
        "appreg-expiry-dates.ics",
        inventory::calendar(
            &name,
            &applications,
            state.keys.issuer(),
            OffsetDateTime::now_utc(),
        ),
    ))
}

/// `GET /api/v1/registrations/{reference}/expiry.ics`: one application's expiry dates.
#[utoipa::path(get, path = "/api/v1/registrations/{reference}/expiry.ics", tag = "applications",
    security(("session" = [])),
    params(("reference" = String, Path, description = "`AR-XXXX-XXXX`")),
    responses(
        (status = 200, description = "`text/calendar` (RFC 5545): the application's credentials' expiry dates (none unless it is live).", content_type = "text/calendar", body = String),
        (status = 401, description = "Not signed in.", body = super::openapi::ErrorBody),
        (status = 404, description = "No such reference, or another organisation's.", body = super::openapi::ErrorBody),
    ))]
pub async fn application_calendar(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(reference): ApiPath<String>,
) -> Result<Response, ApiError> {
    let stored = registrations::find(&state.pool, &signed_in.identity, &reference)
        .await?
        .ok_or_else(ApiError::registration_not_found)?;
    let applications: Vec<RegisteredApplication> =
        inventory::registered(&state.pool, &signed_in.identity)
            .await?
            .into_iter()
            .filter(|application| application.reference == stored.reference)
            .collect();
    Ok(calendar_file(
        &format!("{}-expiry-dates.ics", stored.reference),
        inventory::calendar(
            &format!("{} credentials", stored.application_name),
            &applications,
            state.keys.issuer(),
            OffsetDateTime::now_utc(),
        ),
    ))
}
