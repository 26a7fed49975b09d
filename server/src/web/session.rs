//! The session over HTTP: the session cookie, the extractors every handler uses to know who is
//! asking ([`SignedIn`], [`CsrfChecked`]), and `POST`/`GET`/`DELETE /api/v1/session`.
//!
//! - The cookie is `HttpOnly; SameSite=Lax; Path=/`, and `Secure` with the name
//!   `__Host-appreg_session` when the desk's public URL is https ([`super::cookies`]). It has no
//!   `Max-Age`: it goes when the browser closes (the session itself ends as
//!   `identity::sessions` says). Sign-out clears it.
//! - CSRF, the synchronizer token pattern (OWASP CSRF Prevention Cheat Sheet): a state-changing
//!   request repeats the session's token in `X-CSRF-Token` ([`CsrfChecked`]; 401 without a
//!   session, then 403 `{ "error": "csrf" }`), a page's form post in its `csrf_token` field
//!   ([`super::form_post::FormPost`]). `SameSite=Lax` is a second layer, not the defence.
//!
//! The domain of sessions, passwords and throttling is `crate::identity`; this module only
//! translates between it and HTTP.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;
use time::OffsetDateTime;

use super::AppState;
use super::api::openapi::{CurrentSessionBody, ErrorBody, SignInRequest, SignedInBody};
use super::api::{ApiError, json_body};
use super::cookies::{Cookie, CookiePolicy};
use crate::identity::sessions::{
    self, PasswordSignIn, SessionToken, SignInFrom, SignedIn, sign_in_with_password,
};
use crate::identity::{PasswordCredentials, csrf, rate_limit};

/// The session cookie's name over plain http (`__Host-appreg_session` over https).
pub const COOKIE_NAME: &str = Cookie::Session.bare_name();

/// Seconds a sign-in turned away because every password check is busy is asked to wait.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 2;

/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session token in the request's `Cookie` headers, if any.
pub fn token_from_headers(headers: &HeaderMap, cookies: CookiePolicy) -> Option<SessionToken> {
    cookies
        .read(headers, Cookie::Session)
        .map(SessionToken::new)
}

/// How the desk writes its cookies: `Secure` with `__Host-` names when its public URL is https
/// (`config.public_url`, which the server gives the key ring as the records' issuer — one
/// setting for "where people reach the desk").
pub fn cookie_policy(state: &AppState) -> CookiePolicy {
    CookiePolicy::for_public_url(state.keys.issuer())
}

/// The `Set-Cookie` value that carries `token`.
pub fn session_cookie(token: &SessionToken, cookies: CookiePolicy) -> HeaderValue {
    cookies.set(Cookie::Session, token.expose())
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(cookies: CookiePolicy) -> HeaderValue {
    cookies.clear(Cookie::Session)
}

/// The client's key for the sign-in limits: its IP address, or
/// [`rate_limit::UNKNOWN_CLIENT`] when the peer is not known (tests calling the router).
pub fn client_key(extensions: &Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
        .unwrap_or_else(|| rate_limit::UNKNOWN_CLIENT.to_string())
}

/// The signed-in account of a request's session cookie, if any.
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, ApiError> {
    let Some(token) = token_from_headers(headers, cookie_policy(state)) else {
        return Ok(None);
    };
    Ok(sessions::resume(&state.pool, &token, OffsetDateTime::now_utc()).await?)
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Sign in first: there is no valid session (it may have expired).",
    )
}

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<SignedIn>, ApiError> {
        signed_in(state, &parts.headers).await
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, ApiError> {
        <SignedIn as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
            .ok_or_else(unauthenticated)
    }
}

/// Checks that `headers` carry the session's CSRF token: 403 `{ "error": "csrf" }` otherwise.
pub fn check_csrf_header(headers: &HeaderMap, signed_in: &SignedIn) -> Result<(), ApiError> {
    let presented = headers
        .get(CSRF_HEADER)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    if csrf::matches(presented, &signed_in.session) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "This request needs the X-CSRF-Token header with the token given at sign-in (GET /api/v1/session shows it).",
        ))
    }
}

/// A signed-in request that also carried the session's CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct CsrfChecked(pub SignedIn);

impl FromRequestParts<AppState> for CsrfChecked {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let signed_in =
            <SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        check_csrf_header(&parts.headers, &signed_in)?;
        Ok(CsrfChecked(signed_in))
    }
}

/// Whether the sign-in form's post carried, in its `csrf_token` field, the token of the
/// browser's sign-in cookie. Before sign-in there is no session to hold a synchronizer token, so
/// the token is bound to a `__Host-`/`SameSite=Strict` cookie instead (double submit): another
/// site can make a browser post the form, but can neither read nor set that cookie.
pub fn sign_in_form_matches(
    fields: &[(String, String)],
    headers: &HeaderMap,
    cookies: CookiePolicy,
) -> bool {
    let Some(expected) = cookies.read(headers, Cookie::SignInForm) else {
        return false;
    };
    csrf::is_token_shaped(&expected)
        && fields
            .iter()
            .find(|(name, _)| name == csrf::FIELD)
            .is_some_and(|(_, value)| csrf::same_token(value.as_bytes(), expected.as_bytes()))
}

/// Responses about the session are never cached.
const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

/// Signs in with an email and password.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", operation_id = "sign_in",
    request_body(content = SignInRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in: the `appreg_session` cookie (HttpOnly, SameSite=Lax; over https Secure and named `__Host-appreg_session`), the `appreg_device` cookie (this client signed in to this account before: guessing from elsewhere never locks it out), and the CSRF token.", body = SignedInBody,
            headers(("Set-Cookie" = String, description = "`appreg_session=…; HttpOnly; SameSite=Lax; Path=/` and `appreg_device=…; HttpOnly; SameSite=Strict; Path=/; Max-Age=31536000`"))),
        (status = 400, description = "Not `{ email, password }`.", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: the same answer, in the same time, whether or not the email has an account.", body = ErrorBody),
        (status = 403, description = "`cross_site`: sent by a browser from another site; `local_sign_in_off`: passwords are turned off on this desk (people sign in with NHSmail in a browser).", body = ErrorBody),
        (status = 413, description = "The body is over 1 MiB.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many failed sign-ins for this account (from clients without its device cookie), from this address, or with this device cookie; `Retry-After` says when to try again.", body = ErrorBody),
        (status = 503, description = "`busy`: every password check is in use; `Retry-After` says when to try again. Nothing was counted.", body = ErrorBody),
    ))]
pub async fn sign_in(State(state): State<AppState>, request: Request<Body>) -> Response {
    match sign_in_inner(&state, request).await {
        Ok(response) => response,
        Err(response) => response,
    }
}

async fn sign_in_inner(state: &AppState, request: Request<Body>) -> Result<Response, Response> {
    if !state.sign_in.local {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "local_sign_in_off",
            "Passwords do not sign anyone in on this desk: sign in with NHSmail in a browser.",
        )
        .into_response());
    }
    let cookies = cookie_policy(state);
    let from = SignInFrom {
        client: client_key(request.extensions()),
        device_token: cookies.read(request.headers(), Cookie::Device),
    };
    let body = json_body(request)
        .await
        .map_err(IntoResponse::into_response)?;
    let credentials: PasswordCredentials = serde_json::from_str(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "Send { \"email\": \"…\", \"password\": \"…\" } as JSON.",
        )
        .into_response()
    })?;
    let outcome = sign_in_with_password(
        &state.pool,
        &state.limits,
        credentials,
        &from,
        OffsetDateTime::now_utc(),
    )
    .await
    .map_err(|error| ApiError::from(error).into_response())?;
    let (identity, token, session, device) = match outcome {
        PasswordSignIn::SignedIn {
            identity,
            token,
            session,
            device,
        } => (identity, token, session, device),
        PasswordSignIn::InvalidCredentials => return Err(invalid_credentials()),
        PasswordSignIn::Limited(limited) => {
            return Err(
                ApiError::rate_limited(limited.retry_after_seconds, limited.message())
                    .into_response(),
            );
        }
        PasswordSignIn::Busy => {
            return Err(ApiError::busy(
                "The service is busy checking other sign-ins. Try again in a few seconds.",
                BUSY_RETRY_AFTER_SECONDS,
            )
            .into_response());
        }
    };
    let mut response = Json(json!({
        "csrf_token": session.csrf_token(),
        "role": identity.role,
        "ods_code": identity.ods_code,
    }))
    .into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session_cookie(&token, cookies));
    headers.append(
        header::SET_COOKIE,
        cookies.set(Cookie::Device, device.expose()),
    );
    headers.insert(NO_STORE.0, HeaderValue::from_static(NO_STORE.1));
    Ok(response)
}

/// The one answer to a failed sign-in, whatever the reason.
fn invalid_credentials() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "The email or password is not right.",
    )
    .into_response()
}

/// Who is signed in, and the CSRF token.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", operation_id = "current_session",
    security(("session" = [])),
    responses(
        (status = 200, description = "The signed-in account and its session's CSRF token.", body = CurrentSessionBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
    ))]
pub async fn current(signed_in: SignedIn) -> Response {
    (
        [NO_STORE],
        Json(json!({
            "email": signed_in.identity.email,
            "role": signed_in.identity.role,
            "ods_code": signed_in.identity.ods_code,
            "csrf_token": signed_in.session.csrf_token(),
        })),
    )
        .into_response()
}

/// Signs out.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", operation_id = "sign_out",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared."),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "No or wrong `X-CSRF-Token`.", body = ErrorBody),
    ))]
pub async fn sign_out(
    State(state): State<AppState>,
    CsrfChecked(signed_in): CsrfChecked,
) -> Result<Response, ApiError> {
    sessions::end(&state.pool, &signed_in.session).await?;
    tracing::info!(user_id = %signed_in.identity.user_id, "signed out");
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clearing_cookie(cookie_policy(&state)))],
    )
        .into_response())
}
