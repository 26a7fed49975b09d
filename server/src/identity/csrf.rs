//! CSRF tokens: the synchronizer token pattern (OWASP CSRF Prevention Cheat Sheet).
//!
//! Each session has its own random token, given at sign-in. A state-changing request must repeat
//! it (the web layer reads it from `X-CSRF-Token` or a form's [`FIELD`]); another site can make a
//! browser send the cookie but cannot read the token. The comparison is constant-time.
//!
//! Pages are compressed, and a page that holds a secret next to text an attacker can choose is
//! open to BREACH: the compressed size tells, a guess at a time, whether the guess repeats the
//! secret. So a page never carries the token as it is: each response carries it [`masked`] with
//! fresh random bytes, and what it holds changes every time while its meaning does not. API
//! clients get the token as it is (in JSON that repeats nothing they did not send); both forms are
//! accepted.

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

/// `token` as a page carries it: random bytes as long as the token, then the token's bytes
/// XORed with them, in base64url. Different in every response; [`same_token`] takes it back.
pub fn masked(token: &str) -> String {
    use base64::Engine as _;
    let mask = crate::random::random_bytes(token.len());
    let mut bytes = mask.clone();
    bytes.extend(token.bytes().zip(&mask).map(|(byte, key)| byte ^ key));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The token a [`masked`] value stands for, or `None` when it is not one.
fn unmasked(presented: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(presented)
        .ok()?;
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let (mask, hidden) = bytes.split_at(bytes.len() / 2);
    Some(
        hidden
            .iter()
            .zip(mask)
            .map(|(byte, key)| byte ^ key)
            .collect(),
    )
}

/// Whether `presented` is `expected`, as it is or [`masked`], compared in constant time.
pub fn same_token(presented: &[u8], expected: &[u8]) -> bool {
    if expected.is_empty() {
        return false;
    }
    if presented.len() == expected.len() {
        return bool::from(presented.ct_eq(expected));
    }
    unmasked(presented).is_some_and(|token| bool::from(token.as_slice().ct_eq(expected)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_differs_every_time_and_still_matches() {
        let token = new_token();
        let (first, second) = (masked(&token), masked(&token));
        assert_ne!(first, second);
        assert!(!first.contains(&token));
        for presented in [&token, &first, &second] {
            assert!(
                same_token(presented.as_bytes(), token.as_bytes()),
                "{presented}"
            );
        }
    }

    #[test]
    fn a_masked_token_of_another_token_or_altered_does_not_match() {
        let token = new_token();
        assert!(!same_token(
            masked(&new_token()).as_bytes(),
            token.as_bytes()
        ));
        let mut altered = masked(&token).into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(!same_token(&altered, token.as_bytes()));
        assert!(!same_token(b"", token.as_bytes()));
        assert!(!same_token(b"not base64!", token.as_bytes()));
        assert!(!same_token(token.as_bytes(), b""));
    }
}
