//! Token endpoint URI rules (RULES.md §4, last paragraph): the redirect URIs' syntax rules,
//! https only, a warning for any host other than Microsoft Entra's, and — for a syntactically
//! sound address on Entra's host — that it is the v2.0 token endpoint of the desk's tenant
//! (NHSmail's is fixed: its GUID, or `nhs.net`), in its normal form.

#[cfg(test)]
mod tests;

use crate::limits::{MAX_TOKEN_ENDPOINT_URIS, MAX_URI_CHARS};
use crate::rules::redirect_uri::syntax::{self, Issue, IssueKind, shown};
use crate::{AccessType, Finding, RegistrationRequest};

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
        SovereignCloud => ("token_endpoint.sovereign_cloud", Error, "NHSmail is in Microsoft's global cloud; a national cloud's sign-in host (US Government, China, Germany) has no NHSmail tenant.", "Microsoft identity platform: national clouds"),
        LegacyHost => ("token_endpoint.legacy_host", Warning, "login.windows.net and sts.windows.net are legacy aliases of Entra's sign-in host; use login.microsoftonline.com.", "Microsoft identity platform endpoints"),
        NotTokenEndpoint => ("token_endpoint.not_token_endpoint", Error, "An authorize or device-code endpoint, or another Entra address, is not where an application gets tokens; the client-credentials and code flows post to …/oauth2/v2.0/token.", "RFC 6749 §3.1, §3.2; Microsoft identity platform OAuth 2.0 endpoints"),
        V1Endpoint => ("token_endpoint.v1_endpoint", Warning, "The v1 endpoint (…/oauth2/token) takes a 'resource', not scopes; Microsoft Graph and Exchange Online permissions are requested from the v2.0 endpoint.", "Microsoft identity platform: v1.0 and v2.0 comparison"),
        NotNormalForm => ("token_endpoint.not_normal_form", Warning, "A trailing '/', an upper-case host, ':443' or an encoded '/' still reaches Entra, but is not the address as Microsoft publishes it; some clients compare it as text.", "RFC 3986 §6.2.2–6.2.3; desk rule"),
        MultiTenant => ("token_endpoint.multi_tenant", Warning, "'common' and 'organizations' are the multi-tenant endpoints; an application registered in NHSmail's tenant signs its users in at NHSmail's own.", "Microsoft identity platform: tenant values in endpoints"),
        MultiTenantAppOnly => ("token_endpoint.multi_tenant_app_only", Error, "The client-credentials grant (application access) needs the tenant named in the endpoint; 'common', 'organizations' and 'consumers' do not issue app-only tokens.", "Microsoft identity platform: OAuth 2.0 client credentials flow"),
        OtherTenant => ("token_endpoint.other_tenant", Error, "The application is registered in NHSmail's tenant; another tenant's endpoint issues no tokens for it.", "NHSmail onboarding guide (fixed tenant); Microsoft identity platform endpoints"),
    }
}

const NOUN: &str = "token endpoint URI";
const OPTIONS: syntax::Options = syntax::Options {
    noun: NOUN,
    reports_loopback_lookalikes: false,
};
const ENTRA_HOST: &str = "login.microsoftonline.com";
/// National clouds' sign-in hosts (NHSmail is in the global cloud).
const SOVEREIGN_HOSTS: [&str; 4] = [
    "login.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn",
    "login.microsoftonline.de",
];
/// Legacy aliases of Entra's global sign-in host.
const LEGACY_HOSTS: [&str; 2] = ["login.windows.net", "sts.windows.net"];
/// The tenant values that name no one tenant.
const MULTI_TENANT: [&str; 3] = ["common", "organizations", "consumers"];
/// NHSmail's tenant by its domain.
const NHSMAIL_DOMAIN: &str = "nhs.net";

/// Checks the request's number of token endpoint URIs against the bound its type declares.
pub fn check_count(request: &RegistrationRequest, out: &mut Vec<Finding>) {
    if crate::bounds::over(request, "token_endpoint_uris") {
        out.push(Finding::new(
            TokenEndpointCode::TooMany,
            "token_endpoint_uris",
            format!(
                "There are {} token endpoint URIs; the most is {MAX_TOKEN_ENDPOINT_URIS}.",
                request.token_endpoint_uris.len()
            ),
            format!("List only the token endpoints the application calls. Only the first {MAX_TOKEN_ENDPOINT_URIS} were checked."),
        ));
    }
}

/// Checks `token_endpoint_uris[i]` (the first [`MAX_TOKEN_ENDPOINT_URIS`]) of a request for
/// `access` against the desk's tenant (`tenant_id`, a lower-case GUID).
pub fn check(uris: &[String], access: AccessType, tenant_id: &str, out: &mut Vec<Finding>) {
    for (index, raw) in uris.iter().take(MAX_TOKEN_ENDPOINT_URIS).enumerate() {
        check_one(
            &format!("token_endpoint_uris[{index}]"),
            raw,
            access,
            tenant_id,
            out,
        );
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

fn check_one(path: &str, raw: &str, access: AccessType, tenant_id: &str, out: &mut Vec<Finding>) {
    if let Some(issue) = syntax::too_long(raw, MAX_URI_CHARS, NOUN) {
        push_issue(path, issue, out);
        return;
    }
    let before = out.len();
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
            format!("Use NHSmail's token endpoint: {}.", token_endpoint(tenant_id)),
        ));
    }
    let Some(host) = checked.host.filter(|host| host.problems.is_empty()) else {
        return;
    };
    let lower_host = host.raw.to_ascii_lowercase();
    if SOVEREIGN_HOSTS.contains(&lower_host.as_str()) {
        out.push(Finding::new(
            TokenEndpointCode::SovereignCloud,
            path,
            format!(
                "'{}' is a national cloud's sign-in host; NHSmail is in Microsoft's global cloud.",
                shown(host.raw)
            ),
            format!(
                "Use NHSmail's token endpoint: {}.",
                token_endpoint(tenant_id)
            ),
        ));
        return;
    }
    let legacy = LEGACY_HOSTS.contains(&lower_host.as_str());
    if legacy {
        out.push(Finding::new(
            TokenEndpointCode::LegacyHost,
            path,
            format!(
                "'{}' is a legacy alias of Entra's sign-in host.",
                shown(host.raw)
            ),
            format!("Use {ENTRA_HOST}: {}.", token_endpoint(tenant_id)),
        ));
    } else if lower_host != ENTRA_HOST {
        out.push(Finding::new(
                TokenEndpointCode::NotMicrosoft,
                path,
                format!(
                    "The host '{}' is not Microsoft Entra ID's sign-in host ({ENTRA_HOST}); the application would send its credentials there.",
                    shown(host.raw)
                ),
                format!("NHSmail tokens come from {}; the reviewer will ask why another host is needed.", token_endpoint(tenant_id)),
            ));
        return;
    }
    // Entra's host. What the address says is judged only once its syntax is sound: an error
    // above already says what to fix first.
    let has_error = out[before..]
        .iter()
        .any(|finding| finding.severity == crate::Severity::Error);
    if !has_error && uri.query.is_none() {
        check_entra_path(path, raw, &uri, access, tenant_id, out);
    }
}

/// `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`.
pub fn token_endpoint(tenant_id: &str) -> String {
    format!("https://{ENTRA_HOST}/{tenant_id}/oauth2/v2.0/token")
}

/// The path of an address on Entra's host: the v2.0 token endpoint of the desk's tenant, in its
/// normal form.
fn check_entra_path(
    path: &str,
    raw: &str,
    uri: &syntax::Uri<'_>,
    access: AccessType,
    tenant_id: &str,
    out: &mut Vec<Finding>,
) {
    let expected = token_endpoint(tenant_id);
    let mut not_normal = Vec::new();
    if uri
        .authority
        .as_ref()
        .is_some_and(|authority| authority.host != authority.host.to_ascii_lowercase())
    {
        not_normal.push("the host is not in lower case");
    }
    if uri
        .authority
        .as_ref()
        .is_some_and(|authority| authority.port.is_some())
    {
        not_normal.push("it names the port (https is 443 anyway)");
    }
    let encoded_slash = uri.path.to_ascii_lowercase().contains("%2f");
    if encoded_slash {
        not_normal.push("it has an encoded '/' (%2F)");
    }
    let decoded = uri.path.replace("%2F", "/").replace("%2f", "/");
    let trimmed = decoded.strip_suffix('/');
    if trimmed.is_some() && decoded.len() > 1 {
        not_normal.push("it ends in '/'");
    }
    let segments: Vec<&str> = trimmed
        .unwrap_or(&decoded)
        .trim_start_matches('/')
        .split('/')
        .collect();
    let (tenant, endpoint) = match segments.as_slice() {
        [tenant, oauth2, version, endpoint]
            if oauth2.eq_ignore_ascii_case("oauth2") && version.eq_ignore_ascii_case("v2.0") =>
        {
            (*tenant, Some((*endpoint, true)))
        }
        [tenant, oauth2, endpoint] if oauth2.eq_ignore_ascii_case("oauth2") => {
            (*tenant, Some((*endpoint, false)))
        }
        _ => ("", None),
    };
    match endpoint {
        Some((endpoint, v2)) if endpoint.eq_ignore_ascii_case("token") => {
            if !v2 {
                out.push(Finding::new(
                    TokenEndpointCode::V1Endpoint,
                    path,
                    "This is Entra's v1 token endpoint (…/oauth2/token), which takes a 'resource' instead of scopes.",
                    format!("Use the v2.0 endpoint: {expected}."),
                ));
            }
        }
        Some((endpoint, _)) => {
            out.push(Finding::new(
                TokenEndpointCode::NotTokenEndpoint,
                path,
                format!(
                    "This is Entra's '{}' endpoint, not its token endpoint.",
                    shown(endpoint)
                ),
                format!("Give the token endpoint: {expected}."),
            ));
            return;
        }
        None => {
            out.push(Finding::new(
                TokenEndpointCode::NotTokenEndpoint,
                path,
                format!(
                    "'{}' is an address on Entra's sign-in host, but not a token endpoint.",
                    shown(raw)
                ),
                format!("Give the token endpoint: {expected}."),
            ));
            return;
        }
    }
    let lower_tenant = tenant.to_ascii_lowercase();
    if MULTI_TENANT.contains(&lower_tenant.as_str()) {
        let (code, why) = match access {
            AccessType::Application => (
                TokenEndpointCode::MultiTenantAppOnly,
                "an application with application (app-only) access must name NHSmail's tenant",
            ),
            AccessType::Delegated => (
                TokenEndpointCode::MultiTenant,
                "an application registered in NHSmail's tenant signs its users in at NHSmail's own",
            ),
        };
        out.push(Finding::new(
            code,
            path,
            format!("'{}' is a multi-tenant endpoint: {why}.", shown(tenant)),
            format!("Use {expected}."),
        ));
    } else if lower_tenant != tenant_id.to_ascii_lowercase() && lower_tenant != NHSMAIL_DOMAIN {
        out.push(Finding::new(
            TokenEndpointCode::OtherTenant,
            path,
            format!(
                "'{}' is not NHSmail's tenant ({tenant_id}, or {NHSMAIL_DOMAIN}).",
                shown(tenant)
            ),
            format!("Use {expected}."),
        ));
    }
    if !not_normal.is_empty() {
        out.push(Finding::new(
            TokenEndpointCode::NotNormalForm,
            path,
            format!(
                "This reaches Entra, but is not the address as Microsoft publishes it: {}.",
                not_normal.join("; ")
            ),
            format!("Write it as {expected}."),
        ));
    }
}
