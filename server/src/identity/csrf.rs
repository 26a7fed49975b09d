//! CSRF protection: the synchronizer token pattern (OWASP CSRF Prevention Cheat Sheet).
//!
//! Each session has its own random token, given at sign-in and by `GET /api/v1/session`. A
//! state-changing request must repeat it in the `X-CSRF-Token` header; another site can make a
//! browser send the cookie but cannot read the token. `SameSite=Lax` is a second layer, not the
//! defence. The comparison is constant-time. Handlers that change state take [`CsrfChecked`]
//! (401 without a session, then 403 `{ "error": "csrf" }` without the right token), or call
//! [`check`] themselves.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

use super::SignedIn;
use crate::web::AppState;
use crate::web::api::ApiError;

/// The header that carries the token.
pub const HEADER: &str = "x-csrf-token";

/// The hidden field that carries the session's CSRF token in every form post of the pages.
pub const FIELD: &str = "csrf_token";

/// Whether `presented` is the session's token (compared in constant time).
fn matches(presented: &[u8], signed_in: &SignedIn) -> bool {
    let expected = signed_in.session.csrf_token().as_bytes();
    !expected.is_empty() && bool::from(presented.ct_eq(expected))
}

/// Whether a page's form post carried the session's token in its [`FIELD`].
pub fn field_matches(fields: &[(String, String)], signed_in: &SignedIn) -> bool {
    fields
        .iter()
        .find(|(name, _)| name == FIELD)
        .is_some_and(|(_, value)| matches(value.as_bytes(), signed_in))
}

/// A new random token (256 bits, base64url): a session's, or the sign-in form's.
pub fn new_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(super::random_bytes(32))
}

/// Whether `token` has the shape [`new_token`] gives (checked before it is echoed into a page).
pub fn is_token_shaped(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether the sign-in form's post carried, in its [`FIELD`], the token of the browser's
/// sign-in cookie. Before sign-in there is no session to hold a synchronizer token, so the
/// token is bound to a `__Host-`/`SameSite=Strict` cookie instead (double submit): another site
/// can make a browser post the form, but can neither read nor set that cookie.
pub fn sign_in_form_matches(
    fields: &[(String, String)],
    headers: &HeaderMap,
    cookies: super::cookies::CookiePolicy,
) -> bool {
    let Some(expected) = cookies.read(headers, super::cookies::Cookie::SignInForm) else {
        return false;
    };
    fields
        .iter()
        .find(|(name, _)| name == FIELD)
        .is_some_and(|(_, value)| {
            is_token_shaped(&expected) && bool::from(value.as_bytes().ct_eq(expected.as_bytes()))
        })
}

/// Checks that `headers` carry the session's CSRF token: 403 `{ "error": "csrf" }` otherwise.
pub fn check(headers: &HeaderMap, signed_in: &SignedIn) -> Result<(), ApiError> {
    let presented = headers
        .get(HEADER)
        .map(|value| value.as_bytes())
        .unwrap_or_default();
    if matches(presented, signed_in) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "This request needs the X-CSRF-Token header with the token given at sign-in (GET /api/v1/session shows it).",
        ))
    }
}

/// A signed-in request that also carried the session's CSRF token.
#[derive(Debug, Clone)]
pub struct CsrfChecked(pub SignedIn);

impl FromRequestParts<AppState> for CsrfChecked {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let signed_in =
            <SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        check(&parts.headers, &signed_in)?;
        Ok(CsrfChecked(signed_in))
    }
}
