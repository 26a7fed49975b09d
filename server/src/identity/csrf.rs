//! CSRF tokens: the synchronizer token pattern (OWASP CSRF Prevention Cheat Sheet).
//!
//! Each session has its own random token, given at sign-in. A state-changing request must repeat
//! it (the web layer reads it from `X-CSRF-Token` or a form's [`FIELD`]); another site can make a
//! browser send the cookie but cannot read the token. The comparison is constant-time.

use subtle::ConstantTimeEq;

use super::sessions::Session;

/// The hidden field that carries the session's CSRF token in every form post of the pages.
pub const FIELD: &str = registration::draft::fields::names::CSRF_TOKEN;

/// A new random token (256 bits, base64url): a session's, or the sign-in form's.
pub fn new_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random::random_bytes(32))
}

/// Whether `token` has the shape [`new_token`] gives (checked before it is echoed into a page).
pub fn is_token_shaped(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether two tokens are the same, compared in constant time.
pub fn same_token(presented: &[u8], expected: &[u8]) -> bool {
    !expected.is_empty() && bool::from(presented.ct_eq(expected))
}

/// Whether `presented` is the session's token.
pub fn matches(presented: &[u8], session: &Session) -> bool {
    same_token(presented, session.csrf_token().as_bytes())
}

/// Whether a page's form post carried the session's token in its [`FIELD`].
pub fn field_matches(fields: &[(String, String)], session: &Session) -> bool {
    fields
        .iter()
        .find(|(name, _)| name == FIELD)
        .is_some_and(|(_, value)| matches(value.as_bytes(), session))
}
