//! Token endpoint URI rules (RULES.md §4, last paragraph): the redirect URIs' syntax rules,
//! https only, and a warning for any host other than Microsoft Entra's.

#[cfg(test)]
mod tests;

use crate::Finding;
use crate::limits::{MAX_TOKEN_ENDPOINT_URIS, MAX_URI_CHARS};
use crate::rules::redirect_uri::syntax::{self, Issue, IssueKind, shown};

crate::finding_codes! {
    /// Codes raised by the token endpoint rules.
    pub enum TokenEndpointCode {
        TooMany => ("token_endpoint.too_many", Error, "An application calls one token endpoint (perhaps a few); a long list is a mistake and bounds the work done.", "Desk rule (limits.rs MAX_TOKEN_ENDPOINT_URIS)"),
        TooLong => ("token_endpoint.too_long", Error, "URIs are bounded at 256 characters, as Entra bounds redirect URIs.", "Desk rule; Microsoft Entra \"Redirect URI restrictions\": maximum URI length"),
        NotAbsolute => ("token_endpoint.not_absolute", Error, "The client must be configured with an absolute token endpoint URI.", "RFC 6749 §3.2; RFC 3986 §4.3"),
        MissingHost => ("token_endpoint.missing_host", Error, "An https address without '//' and a host names no server.", "RFC 3986 §3.2.2; RFC 9110 §4.2.2"),
        Fragment => ("token_endpoint.fragment", Error, "The token endpoint URI must not include a fragment.", "RFC 6749 §3.2"),
        Wildcard => ("token_endpoint.wildcard", Error, "A token endpoint is one exact address; '*' is not part of one.", "RFC 6749 §3.2; desk rule"),
        Userinfo => ("token_endpoint.userinfo", Error, "Userinfo ('user@') disguises the real host and may carry a password; client credentials go in the request, not the URI.", "RFC 3986 §3.2.1, §7.6; RFC 6749 §2.3"),
        InvalidCharacter => ("token_endpoint.invalid_character", Error, "Spaces, control characters and characters outside RFC 3986 are not part of a URI.", "RFC 3986 §2, Appendix C"),
        EntraCharacter => ("token_endpoint.entra_character", Error, "The redirect URI character restrictions (! $ ' ( ) , ;) apply to token endpoint URIs too; Entra's endpoints contain none.", "Microsoft Entra \"Redirect URI restrictions\": special characters; desk rule"),
        NonAscii => ("token_endpoint.non_ascii", Error, "Non-ASCII characters can make an address look like another (look-alike letters, invisible marks).", "Unicode TR #36 §2; RFC 3986 §2"),
        Punycode => ("token_endpoint.punycode", Error, "An xn-- label is an international domain name that can imitate Microsoft's.", "RFC 5890 §2.3.2.1; Unicode TR #36 §2"),
        PercentEncoding => ("token_endpoint.percent_encoding", Error, "A '%' must start a two-digit hexadecimal escape.", "RFC 3986 §2.1"),
        EncodedControl => ("token_endpoint.encoded_control", Error, "Encoded NUL, CR and LF are used to truncate URIs and split HTTP requests.", "RFC 3986 §7.3; CWE-113"),
        DotSegment => ("token_endpoint.dot_segment", Error, "'.' and '..' segments change the path after it is checked.", "RFC 3986 §3.3, §5.2.4"),
        Host => ("token_endpoint.host", Error, "A host with empty, hyphen-edged or over-long labels, a trailing dot, '%', a zone id or an ambiguous numeric form is not one clear server.", "RFC 1034 §3.5; RFC 1123 §2.1; RFC 3986 §3.2.2; WHATWG URL host parsing"),
        Port => ("token_endpoint.port", Error, "A port must be a number from 1 to 65535.", "RFC 3986 §3.2.3"),
        Template => ("token_endpoint.template", Error, "Placeholder text copied from an example ('<tenant-id>', '{tenant}') is not a real endpoint.", "Microsoft identity platform endpoint documentation; desk rule"),
        NotHttps => ("token_endpoint.not_https", Error, "Client credentials and codes travel to the token endpoint; it must be TLS-protected.", "RFC 6749 §3.2"),
        NotMicrosoft => ("token_endpoint.not_microsoft", Warning, "NHSmail tokens are issued by Microsoft Entra ID at login.microsoftonline.com; another host would receive the application's credentials.", "RFC 6749 §3.2; Microsoft identity platform endpoints; RFC 9700 §4.9"),
    }
}

const NOUN: &str = "token endpoint URI";
const OPTIONS: syntax::Options = syntax::Options {
    noun: NOUN,
    reports_loopback_lookalikes: false,
};
const ENTRA_HOST: &str = "login.microsoftonline.com";

/// Checks `token_endpoint_uris[i]`.
pub fn check(uris: &[String], out: &mut Vec<Finding>) {
    if uris.len() > MAX_TOKEN_ENDPOINT_URIS {
        out.push(Finding::new(
            TokenEndpointCode::TooMany,
            "token_endpoint_uris",
            format!(
                "There are {} token endpoint URIs; the most is {MAX_TOKEN_ENDPOINT_URIS}.",
                uris.len()
            ),
            format!("List only the token endpoints the application calls. Only the first {MAX_TOKEN_ENDPOINT_URIS} were checked."),
        ));
    }
    for (index, raw) in uris.iter().take(MAX_TOKEN_ENDPOINT_URIS).enumerate() {
        check_one(&format!("token_endpoint_uris[{index}]"), raw, out);
    }
}

/// The shared syntax rules' issues under this area's codes.
fn syntax_code(kind: IssueKind) -> TokenEndpointCode {
    match kind {
        IssueKind::TooLong => TokenEndpointCode::TooLong,
        IssueKind::NotAbsolute => TokenEndpointCode::NotAbsolute,
        IssueKind::MissingHost => TokenEndpointCode::MissingHost,
        IssueKind::Fragment => TokenEndpointCode::Fragment,
        IssueKind::Wildcard => TokenEndpointCode::Wildcard,
        IssueKind::Userinfo => TokenEndpointCode::Userinfo,
        IssueKind::InvalidCharacter => TokenEndpointCode::InvalidCharacter,
        IssueKind::EntraCharacter => TokenEndpointCode::EntraCharacter,
        IssueKind::NonAscii => TokenEndpointCode::NonAscii,
        IssueKind::Punycode => TokenEndpointCode::Punycode,
        IssueKind::PercentEncoding => TokenEndpointCode::PercentEncoding,
        IssueKind::EncodedControl => TokenEndpointCode::EncodedControl,
        IssueKind::DotSegment => TokenEndpointCode::DotSegment,
        IssueKind::Host => TokenEndpointCode::Host,
        IssueKind::Port => TokenEndpointCode::Port,
        IssueKind::Template => TokenEndpointCode::Template,
    }
}

fn push_issue(path: &str, issue: Issue, out: &mut Vec<Finding>) {
    out.push(Finding::new(
        syntax_code(issue.kind),
        path,
        issue.message,
        issue.hint,
    ));
}

fn check_one(path: &str, raw: &str, out: &mut Vec<Finding>) {
    if let Some(issue) = syntax::too_long(raw, MAX_URI_CHARS, NOUN) {
        push_issue(path, issue, out);
        return;
    }
    let checked = syntax::check(raw, &OPTIONS, &mut |issue| push_issue(path, issue, out));
    let Some(uri) = checked.uri else {
        return;
    };
    if !uri.scheme_is("https") {
        out.push(Finding::new(
            TokenEndpointCode::NotHttps,
            path,
            format!(
                "This token endpoint URI uses '{}:'; a token endpoint must use https (no exception for local addresses).",
                shown(uri.scheme)
            ),
            "Use Microsoft Entra ID's token endpoint: https://login.microsoftonline.com/<your tenant ID>/oauth2/v2.0/token.",
        ));
    }
    if let Some(host) = checked.host
        && host.problems.is_empty()
        && !host.raw.eq_ignore_ascii_case(ENTRA_HOST)
    {
        out.push(Finding::new(
                TokenEndpointCode::NotMicrosoft,
                path,
                format!(
                    "The host '{}' is not Microsoft Entra ID's sign-in host ({ENTRA_HOST}); the application would send its credentials there.",
                    shown(host.raw)
                ),
                "NHSmail tokens come from https://login.microsoftonline.com/<tenant ID>/oauth2/v2.0/token; the reviewer will ask why another host is needed.",
            ));
    }
}
