//! Redirect URI rules (RULES.md §4), on the raw string as typed.

use crate::{Finding, RedirectUri};

crate::finding_codes! {
    /// Codes raised by the redirect URI rules.
    pub enum RedirectUriCode {
        Fragment => ("redirect_uri.fragment", Error, "The authorization server must not redirect to a URI with a fragment.", "RFC 6749 §3.1.2; Entra reply URL restrictions"),
    }
}

/// Checks `redirect_uris[i].uri` and the list as a whole.
pub fn check(uris: &[RedirectUri], out: &mut Vec<Finding>) {
    let _ = (uris, out);
}
