//! "Sign in with NHSmail": the two routes of sign-in with the desk's OpenID provider
//! ([`crate::identity::oidc`], which decides; this module reads the request and answers).
//!
//! - `GET /sign-in/nhsmail?next=…` (the sign-in page's "Sign in with NHSmail"): begins a
//!   sign-in, sets the cookie that ties it to this browser, and sends the browser to the
//!   provider.
//! - `GET /sign-in/nhsmail/callback` (where the provider sends the browser back): finishes it,
//!   starts a session as the password sign-in does, and goes on to `next` or the person's home
//!   page. Anything that goes wrong is the sign-in page again, with what happened and what to do
//!   (never a 500 for the provider's failings).

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use super::AppState;
use super::cookies::Cookie;
use super::form_post::plain;
use super::session::{client_key, cookie_policy};
use super::sign_in::{local_path, page_again, signed_in_response};
use crate::identity::oidc::{Callback, OidcError};
use crate::identity::sessions;

/// The query of `GET /sign-in/nhsmail`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Start {
    /// Where to go after signing in (a local path; anything else is ignored).
    #[serde(default)]
    next: String,
}

/// `GET /sign-in/nhsmail?next=…`: the sign-in page's "Sign in with NHSmail" link. A link, not a
/// form: the page's CSP (`form-action 'self'`) would stop a form's redirect to the provider, and
/// beginning a sign-in needs no CSRF token, because it only sends this browser to the provider
/// to sign in as whoever is at it; the answer is tied to this browser by the cookie set here.
pub async fn begin(
    State(state): State<AppState>,
    Query(start): Query<Start>,
    request: Request<Body>,
) -> Response {
    let Some(nhsmail) = state.sign_in.nhsmail.clone() else {
        return not_set_up();
    };
    let cookies = cookie_policy(&state);
    let (parts, _) = request.into_parts();
    let next = local_path(&start.next).unwrap_or("").to_string();
    let browser = cookies.read(&parts.headers, Cookie::NhsmailSignIn);
    let address = client_key(&parts.extensions);
    match nhsmail
        .begin(
            &state.pool,
            &next,
            browser.as_deref(),
            &address,
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(begun) => {
            let mut response = Redirect::to(&begun.authorize_url).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                cookies.set(Cookie::NhsmailSignIn, begun.browser_token.expose()),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => refused(&state, parts, error, &next).await,
    }
}

/// `GET /sign-in/nhsmail/callback?code=…&state=…` (or `?error=…`), from the provider.
pub async fn callback(
    State(state): State<AppState>,
    Query(answer): Query<Callback>,
    request: Request<Body>,
) -> Response {
    let Some(nhsmail) = state.sign_in.nhsmail.clone() else {
        return not_set_up();
    };
    let cookies = cookie_policy(&state);
    let (parts, _) = request.into_parts();
    let browser = cookies.read(&parts.headers, Cookie::NhsmailSignIn);
    let now = OffsetDateTime::now_utc();
    let finished = match nhsmail
        .finish(state.change_log(), answer, browser.as_deref(), now)
        .await
    {
        Ok(finished) => finished,
        // The browser's cookie stays (ten minutes at most): a sign-in begun in another tab may
        // still come back.
        Err(error) => return refused(&state, parts, error, "").await,
    };
    let (token, _session) = match sessions::start(&state.pool, &finished.identity, now).await {
        Ok(started) => started,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "a session could not be started after signing in with NHSmail");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service. Try again later.",
            );
        }
    };
    tracing::info!(user_id = %finished.identity.user_id, linked = finished.linked, "signed in with NHSmail");
    let next = finished.next.unwrap_or_default();
    signed_in_response(
        &state,
        &parts.headers,
        &finished.identity,
        &token,
        &next,
        now,
    )
    .await
}

/// The answer (404) on a desk without an OpenID provider.
fn not_set_up() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "Sign-in with NHSmail is not set up on this desk.",
    )
}

fn problem(message: String, next: &str) -> app::backend::SignInProblem {
    app::backend::SignInProblem {
        email: String::new(),
        message,
        rate_limited: false,
        next: next.to_string(),
        nhsmail: true,
    }
}

/// The sign-in page again, saying why signing in with NHSmail did not work and what to do.
async fn refused(
    state: &AppState,
    parts: http::request::Parts,
    error: OidcError,
    next: &str,
) -> Response {
    let or_password = if state.sign_in.local {
        ", or sign in with your email address and password"
    } else {
        ""
    };
    let (status, message) = match &error {
        OidcError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "NHSmail sign-in: the provider is unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("Sign-in with NHSmail is not working at the moment. Try again in a few minutes{or_password}"),
            )
        }
        OidcError::BusyFromHere => {
            tracing::warn!("NHSmail sign-in: too many sign-ins waiting from one address");
            (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-ins were begun from your network in the last few minutes. Wait ten minutes, then select \"Sign in with NHSmail\" again".to_string(),
            )
        }
        OidcError::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many people are signing in at once. Wait a minute, then select \"Sign in with NHSmail\" again".to_string(),
        ),
        OidcError::UnknownState | OidcError::Expired | OidcError::OtherBrowser => {
            tracing::info!(error = %error, "NHSmail sign-in: an answer was refused");
            (
                StatusCode::BAD_REQUEST,
                "That sign-in had expired or was already used. Select \"Sign in with NHSmail\" again".to_string(),
            )
        }
        OidcError::Refused(detail) => {
            tracing::info!(error = %detail, "NHSmail sign-in: the provider did not sign the person in");
            (
                StatusCode::FORBIDDEN,
                "NHSmail did not sign you in. Select \"Sign in with NHSmail\" to try again".to_string(),
            )
        }
        OidcError::InvalidToken(detail) => {
            tracing::warn!(error = %detail, "NHSmail sign-in: the provider's answer failed a check");
            (
                StatusCode::UNAUTHORIZED,
                "Your NHSmail sign-in could not be checked, so you have not been signed in. Try again; if it happens again, tell the desk's administrators".to_string(),
            )
        }
        OidcError::NoAccount { email } => {
            tracing::info!("NHSmail sign-in: no account for this person");
            let who = email
                .as_deref()
                .map(|email| format!(" for {email}"))
                .unwrap_or_default();
            (
                StatusCode::FORBIDDEN,
                format!("There is no account{who} on this desk. Ask the desk's administrators (the Application registration team) to add one with your NHSmail address: they set your organisation and what you may do"),
            )
        }
        OidcError::Disabled => (
            StatusCode::FORBIDDEN,
            "Your account on this desk is disabled. Ask the desk's administrators to enable it".to_string(),
        ),
        OidcError::Store(error) => {
            tracing::error!(error = %format!("{error:#}"), "NHSmail sign-in could not be answered");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service. Try again later.",
            );
        }
    };
    page_again(state, parts, problem(message, next), status, None).await
}
