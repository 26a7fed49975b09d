//! Token endpoint URI rules (RULES.md §4, last paragraph).

use crate::Finding;

crate::finding_codes! {
    /// Codes raised by the token endpoint rules.
    pub enum TokenEndpointCode {
        NotHttps => ("token_endpoint.not_https", Error, "Client credentials and codes travel to the token endpoint; it must be TLS-protected.", "RFC 6749 §3.2"),
    }
}

/// Checks `token_endpoint_uris[i]`.
pub fn check(uris: &[String], out: &mut Vec<Finding>) {
    let _ = (uris, out);
}
