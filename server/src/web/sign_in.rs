//! `POST /sign-in` and `POST /sign-out`: the sign-in page's plain HTML form posts (they work
//! without JavaScript). Sign-in shares the rate limit, credential check and session start of
//! `POST /api/v1/session` ([`sessions::sign_in_with_password`]); only the answers differ: a
//! redirect with the cookie, or the sign-in page again with an error summary.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use super::AppState;
use super::cookies::Cookie;
use super::form_post::{EXPIRED, plain, urlencoded_fields};
use super::pages::PagesBackend;
use super::session::{self, client_key, cookie_policy, sign_in_form_matches};
use crate::identity::passwords::Password;
use crate::identity::sessions::{self, PasswordSignIn, SignInFrom};
use crate::identity::{PasswordCredentials, Role, SignedIn, csrf};

/// The largest sign-in or sign-out form accepted (an email, a password and a path).
const SIGN_IN_BODY_LIMIT: usize = 16 * 1024;

/// `next` when it is a path on this site (`/…` but not `//…` or `/\…`, printable ASCII only),
/// so that sign-in never sends anyone to another site.
pub fn local_path(next: &str) -> Option<&str> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.bytes().all(|b| b.is_ascii_graphic());
    local.then_some(next)
}

/// Where someone goes after signing in when no page asked for it.
pub fn home(role: Role) -> &'static str {
    match role {
        Role::LocalAdmin => "/requests",
        Role::Reviewer => "/review",
        Role::DeskAdmin => "/accounts",
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or("")
}

/// `POST /sign-in` with `email`, `password`, `next` and the form's `csrf_token`.
pub async fn sign_in(State(state): State<AppState>, request: Request<Body>) -> Response {
    let cookies = cookie_policy(&state);
    let from = SignInFrom {
        client: client_key(request.extensions()),
        device_token: cookies.read(request.headers(), Cookie::Device),
    };
    let (parts, body) = request.into_parts();
    let fields = match urlencoded_fields(
        Request::from_parts(parts.clone(), body),
        SIGN_IN_BODY_LIMIT,
        "The form is too large.",
    )
    .await
    {
        Ok(fields) => fields,
        Err(refusal) => return refusal,
    };
    let email = field(&fields, "email").trim().to_string();
    let next = field(&fields, "next").to_string();
    let problem = |message: String, rate_limited: bool| app::backend::SignInProblem {
        email: email.clone(),
        message,
        rate_limited,
        next: local_path(&next).unwrap_or("").to_string(),
        nhsmail: false,
    };
    if !state.sign_in.local {
        let problem = problem(
            "Passwords are turned off on this desk: select \"Sign in with NHSmail\"".to_string(),
            false,
        );
        return page_again(&state, parts, problem, StatusCode::FORBIDDEN, None).await;
    }
    // Login CSRF: the form must come from this site's own sign-in page (its cookie-bound token).
    if !sign_in_form_matches(&fields, &parts.headers, cookies) {
        let problem = problem(
            "This sign-in page had expired. Enter your email address and password again"
                .to_string(),
            false,
        );
        return page_again(&state, parts, problem, StatusCode::FORBIDDEN, None).await;
    }
    let credentials = PasswordCredentials {
        email: email.clone(),
        password: Password::new(field(&fields, "password")),
    };
    drop(fields);
    let now = OffsetDateTime::now_utc();
    let outcome =
        match sessions::sign_in_with_password(&state.pool, &state.limits, credentials, &from, now)
            .await
        {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "sign-in could not be answered");
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service. Try again later.",
                );
            }
        };
    let (problem, status, retry_after) = match outcome {
        PasswordSignIn::SignedIn {
            identity,
            token,
            device,
            ..
        } => {
            let mut response =
                signed_in_response(&state, &parts.headers, &identity, &token, &next, now).await;
            response.headers_mut().append(
                header::SET_COOKIE,
                cookies.set(Cookie::Device, device.expose()),
            );
            return response;
        }
        PasswordSignIn::InvalidCredentials => (
            problem(
                "Enter a correct email address and password".to_string(),
                false,
            ),
            StatusCode::UNAUTHORIZED,
            None,
        ),
        PasswordSignIn::Limited(limited) => {
            let minutes = limited.retry_after_seconds.div_ceil(60).max(1);
            let retry_at = now
                + time::Duration::seconds(
                    i64::try_from(limited.retry_after_seconds).unwrap_or(i64::MAX / 2),
                );
            (
                problem(
                    format!(
                        "Too many failed attempts to sign in. Try again in {minutes} minute{} (after {:02}:{:02} UTC)",
                        if minutes == 1 { "" } else { "s" },
                        retry_at.hour(),
                        retry_at.minute(),
                    ),
                    true,
                ),
                StatusCode::TOO_MANY_REQUESTS,
                Some(limited.retry_after_seconds),
            )
        }
        PasswordSignIn::Busy => (
            problem(
                "The service is busy. Wait a few seconds, then sign in again".to_string(),
                false,
            ),
            StatusCode::SERVICE_UNAVAILABLE,
            Some(u64::from(session::BUSY_RETRY_AFTER_SECONDS)),
        ),
    };
    page_again(&state, parts, problem, status, retry_after).await
}

/// The answer to someone who just signed in (with a password or with NHSmail): their session
/// cookie, and a redirect to `next` (a local path) or their home page, or, for a Local
/// Administrator whose browser kept a registration form posted after their last session ended,
/// to that form as a draft of their organisation.
pub(super) async fn signed_in_response(
    state: &AppState,
    request_headers: &http::HeaderMap,
    identity: &crate::identity::Identity,
    token: &sessions::SessionToken,
    next: &str,
    now: OffsetDateTime,
) -> Response {
    let cookies = cookie_policy(state);
    let mut to = local_path(next).unwrap_or(home(identity.role)).to_string();
    let parked = cookies.read(request_headers, Cookie::ParkedForm);
    let mut restored = false;
    if let (Some(parked), Ok(admin)) = (parked, crate::identity::require_any_local_admin(identity))
    {
        match super::form::restore_parked(state, &admin, &parked, now).await {
            Ok(Some(form)) => to = form,
            Ok(None) => {}
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "a kept form could not be restored");
            }
        }
        restored = true;
    }
    let mut response = Redirect::to(&to).into_response();
    let headers = response.headers_mut();
    if restored {
        headers.append(header::SET_COOKIE, cookies.clear(Cookie::ParkedForm));
    }
    headers.append(header::SET_COOKIE, session::session_cookie(token, cookies));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The sign-in page again, with `problem` in its error summary and the email kept.
pub(super) async fn page_again(
    state: &AppState,
    parts: http::request::Parts,
    problem: app::backend::SignInProblem,
    status: StatusCode,
    retry_after: Option<u64>,
) -> Response {
    // The page again, rendered as the sign-in page (its form keeps `next` from the problem).
    let mut page_parts = parts;
    page_parts.method = http::Method::GET;
    page_parts.uri = Uri::from_static("/sign-in");
    let mut response = render_with(
        state,
        problem,
        Request::from_parts(page_parts, Body::empty()),
    )
    .await;
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Renders the sign-in page with `problem` in context (the page reads it into its resource).
async fn render_with(
    state: &AppState,
    problem: app::backend::SignInProblem,
    request: Request<Body>,
) -> Response {
    let backend = PagesBackend::handle(state.clone());
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            leptos::context::provide_context(backend.clone());
            leptos::context::provide_context(problem.clone());
        },
        move || app::shell(options.clone()),
    );
    handler(request).await.into_response()
}

/// `POST /sign-out` with the session's `csrf_token`: ends the session, clears the cookie and
/// goes to the sign-in page, which says so.
pub async fn sign_out(
    State(state): State<AppState>,
    signed_in: Option<SignedIn>,
    request: Request<Body>,
) -> Response {
    let clearing = session::clearing_cookie(cookie_policy(&state));
    let Some(signed_in) = signed_in else {
        // No session (it expired, or this is a second click): already signed out.
        let mut response = Redirect::to("/sign-in?signed_out=1").into_response();
        response.headers_mut().insert(header::SET_COOKIE, clearing);
        return response;
    };
    let fields =
        match urlencoded_fields(request, SIGN_IN_BODY_LIMIT, "The form is too large.").await {
            Ok(fields) => fields,
            Err(refusal) => return refusal,
        };
    if !csrf::field_matches(&fields, &signed_in.session) {
        return plain(StatusCode::FORBIDDEN, EXPIRED);
    }
    if let Err(error) = sessions::end(&state.pool, &signed_in.session).await {
        tracing::error!(error = %format!("{error:#}"), "sign-out could not be stored");
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, you could not be signed out. Try again.",
        );
    }
    tracing::info!(user_id = %signed_in.identity.user_id, "signed out");
    let mut response = Redirect::to("/sign-in?signed_out=1").into_response();
    response.headers_mut().insert(header::SET_COOKIE, clearing);
    response
}

/// What someone is told who posts a password form when local sign-in is off.
const LOCAL_OFF: &str = "Passwords are turned off on this desk: you sign in with NHSmail, and change your password there.";

/// What someone is told when the desk failed to store their new password (the cause is logged).
const NOT_CHANGED: &str = "Sorry, the password could not be changed. Please go back and try again.";
/// As [`NOT_CHANGED`], through a one-time link.
const NOT_SET: &str = "Sorry, the password could not be set. Please go back and try again.";

/// What a new password is refused for, as the pages' `?error=` code: `too_short`, `too_long` or
/// `mismatch` (the two entries differ).
fn new_password_refusal(password: &Password, confirm: &str) -> Option<&'static str> {
    match password.check_strength() {
        Err(message) if message.contains("too long") => Some("too_long"),
        Err(_) => Some("too_short"),
        Ok(()) if password.expose() != confirm => Some("mismatch"),
        Ok(()) => None,
    }
}

/// `POST /account/password` with `current`, `password`, `confirm` and the session's
/// `csrf_token`: the signed-in account sets a new local password, knowing its current one
/// ([`crate::identity::accounts::change_password`]: its other sessions end, this one stays, the
/// change is signed). Back to the page with `?changed=1`, or `?error=wrong_current|too_short|
/// too_long|mismatch`.
pub async fn change_password(
    State(state): State<AppState>,
    post: super::form_post::FormPost<crate::identity::Identity>,
) -> Response {
    if !state.sign_in.local {
        return plain(StatusCode::FORBIDDEN, LOCAL_OFF);
    }
    let page = "/account/password";
    let failed = || plain(StatusCode::INTERNAL_SERVER_ERROR, NOT_CHANGED);
    let current = Password::new(post.field("current").unwrap_or(""));
    let password = Password::new(post.field("password").unwrap_or(""));
    if let Some(code) = new_password_refusal(&password, post.field("confirm").unwrap_or("")) {
        return Redirect::to(&format!("{page}?error={code}")).into_response();
    }
    // Guessing the current password from a session someone left open counts as guessing at
    // sign-in does (the same per-account limits and history).
    let now = OffsetDateTime::now_utc();
    let client = format!("session:{}", post.signed_in.session.id());
    let attempt = crate::identity::rate_limit::Attempt {
        account: &post.capability.email,
        client: &client,
        trusted_device: None,
    };
    let reserved = match crate::identity::rate_limit::reserve(&state.pool, &attempt, now).await {
        Ok(Ok(reserved)) => reserved,
        Ok(Err(_limited)) => {
            return Redirect::to(&format!("{page}?error=too_many")).into_response();
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "a password could not be changed");
            return failed();
        }
    };
    let stored = match crate::store::users::password_hash(&state.pool, &post.capability.email).await
    {
        Ok(stored) => stored.unwrap_or_default(),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "a password could not be changed");
            return failed();
        }
    };
    // Checking the current password and hashing the new one are slow on purpose: off the
    // async threads.
    let hashed = tokio::task::spawn_blocking(move || {
        crate::identity::passwords::verify(&current, &stored)
            .then(|| crate::identity::passwords::hash(&password))
    })
    .await;
    let hash = match hashed {
        Ok(None) => return Redirect::to(&format!("{page}?error=wrong_current")).into_response(),
        Ok(Some(Ok(hash))) => {
            if let Err(error) = crate::identity::rate_limit::succeeded(&state.pool, reserved).await
            {
                tracing::warn!(error = %format!("{error:#}"), "a right current password's attempt was not forgotten");
            }
            hash
        }
        _ => {
            tracing::error!("a new password could not be hashed");
            return failed();
        }
    };
    let changed = crate::identity::accounts::change_password(
        state.change_log(),
        &post.capability.user_id,
        post.signed_in.session.id(),
        hash,
        now,
    )
    .await;
    match changed {
        Ok(_) => Redirect::to(&format!("{page}?changed=1")).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "a password could not be changed");
            failed()
        }
    }
}

/// `POST /reset-password/{token}` with `password` and `confirm`: sets the account's new local
/// password through its one-time link ([`crate::identity::accounts::reset_password`]) and sends
/// the browser to sign in with it (`/sign-in?password_set=1`); back to the link's page with
/// `?error=too_short|too_long|mismatch` when the password will not do (nothing is used up), or
/// to the page saying the link does not work. No session is involved: the link's token is the
/// authority, and the cross-site check (`web::origin`) applies as to every post.
pub async fn reset_password(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    request: Request<Body>,
) -> Response {
    if !state.sign_in.local {
        return plain(StatusCode::FORBIDDEN, LOCAL_OFF);
    }
    let fields =
        match urlencoded_fields(request, SIGN_IN_BODY_LIMIT, "The form is too large.").await {
            Ok(fields) => fields,
            Err(refusal) => return refusal,
        };
    // The token is base64url (SessionToken); anything else cannot be one.
    if token.is_empty()
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Redirect::to("/sign-in").into_response();
    }
    let page = format!("/reset-password/{token}");
    let password = Password::new(field(&fields, "password"));
    let error = new_password_refusal(&password, field(&fields, "confirm"));
    drop(fields);
    if let Some(code) = error {
        return Redirect::to(&format!("{page}?error={code}")).into_response();
    }
    let hashed =
        tokio::task::spawn_blocking(move || crate::identity::passwords::hash(&password)).await;
    let Ok(Ok(hash)) = hashed else {
        tracing::error!("a new password could not be hashed");
        return plain(StatusCode::INTERNAL_SERVER_ERROR, NOT_SET);
    };
    let changed = crate::identity::accounts::reset_password(
        state.change_log(),
        &token,
        hash,
        OffsetDateTime::now_utc(),
    )
    .await;
    match changed {
        Ok(changed) => {
            tracing::info!(account = %changed.user.id, seq = changed.log_seq, "a password was set through its one-time link");
            let mut response = Redirect::to("/sign-in?password_set=1").into_response();
            // Whatever session this browser had is over (all the account's ended).
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie_policy(&state).clear(Cookie::Session),
            );
            response
        }
        Err(crate::identity::accounts::ResetError::LinkNotValid) => {
            Redirect::to(&page).into_response()
        }
        Err(error) => {
            tracing::error!(error = %error, "a password could not be set");
            plain(StatusCode::INTERNAL_SERVER_ERROR, NOT_SET)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        assert_eq!(local_path("/register/abc?x=1"), Some("/register/abc?x=1"));
        for outside in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "requests",
            "/a b",
            "/a\r\nSet-Cookie: x=1",
        ] {
            assert_eq!(local_path(outside), None, "{outside:?}");
        }
    }
}
