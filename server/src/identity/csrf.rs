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
