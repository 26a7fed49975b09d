//! Redirect URI rules (RULES.md §4), on the raw string as typed.
//!
//! Nothing is trimmed or normalised before deciding: the URI Entra stores is the string the
//! Local Administrator typed, so that string is what must be right.

mod host;
mod native;
pub(crate) mod syntax;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::limits::{MAX_REDIRECT_URIS, MAX_URI_CHARS};
use crate::{Finding, Platform, RedirectUri, RegistrationRequest};
use host::{HostInfo, HostKind};
use native::{NativeForm, Recognised};
use syntax::{Issue, IssueKind, Uri, shown};

crate::finding_codes! {
    /// Codes raised by the redirect URI rules.
    pub enum RedirectUriCode {
        TooMany => ("redirect_uri.too_many", Error, "Entra accepts at most 256 redirect URIs for a single-tenant application; a longer list cannot be registered.", "Microsoft Entra \"Redirect URI (reply URL) restrictions\": maximum number of redirect URIs"),
        TooLong => ("redirect_uri.too_long", Error, "Entra rejects redirect URIs longer than 256 characters.", "Microsoft Entra \"Redirect URI (reply URL) restrictions\": maximum URI length"),
        NotAbsolute => ("redirect_uri.not_absolute", Error, "The authorization server redirects only to an absolute URI (a scheme followed by the rest of the address).", "RFC 6749 §3.1.2; RFC 3986 §3.1, §4.3"),
        MissingHost => ("redirect_uri.missing_host", Error, "An http, https or brk-multihub address without '//' and a host has no server to receive the response.", "RFC 3986 §3.2.2; RFC 9110 §4.2 (http(s) URIs need a non-empty host)"),
        Fragment => ("redirect_uri.fragment", Error, "The authorization server must not redirect to a URI with a fragment.", "RFC 6749 §3.1.2; Entra reply URL restrictions"),
        Wildcard => ("redirect_uri.wildcard", Error, "Wildcard redirect URIs let any matching address receive authorization codes; exact matching is required.", "RFC 9700 §2.1, §4.1.1; Microsoft Entra \"Redirect URI restrictions\": wildcards"),
        Userinfo => ("redirect_uri.userinfo", Error, "Userinfo ('user@') in a redirect URI disguises the real host and may carry a password.", "RFC 3986 §3.2.1, §7.6; RFC 9700 §4.1"),
        InvalidCharacter => ("redirect_uri.invalid_character", Error, "Spaces, control characters and characters outside RFC 3986 (< > \" { } | ^ \\ ` [ ]) are not part of a URI; browsers and Entra treat them differently.", "RFC 3986 §2, Appendix C"),
        EntraCharacter => ("redirect_uri.entra_character", Error, "Entra does not support the characters ! $ ' ( ) , ; in redirect URIs.", "Microsoft Entra \"Redirect URI (reply URL) restrictions\": special characters"),
        NonAscii => ("redirect_uri.non_ascii", Error, "Non-ASCII characters (look-alike letters, no-break spaces, zero-width and bidirectional marks) can make an address look like another.", "Unicode TR #36 §2 (visual spoofing); Trojan Source (CVE-2021-42574); RFC 3986 §2"),
        Punycode => ("redirect_uri.punycode", Error, "An xn-- label is an international domain name that can imitate an NHS domain.", "RFC 5890 §2.3.2.1; Unicode TR #36 §2"),
        PercentEncoding => ("redirect_uri.percent_encoding", Error, "A '%' must start a two-digit hexadecimal escape; anything else is decoded differently by different software.", "RFC 3986 §2.1, §2.4"),
        EncodedControl => ("redirect_uri.encoded_control", Error, "Encoded NUL, CR and LF (%00, %0D, %0A) are used to truncate URIs and split HTTP responses.", "RFC 3986 §7.3; CWE-113"),
        DotSegment => ("redirect_uri.dot_segment", Error, "'.' and '..' segments (also as %2e) change the path after matching, a known way to escape an allowed path.", "RFC 3986 §3.3, §5.2.4; RFC 9700 §4.1.3"),
        Host => ("redirect_uri.host", Error, "A host with empty, hyphen-edged or over-long labels, a trailing dot, '%', a zone id or an ambiguous numeric form is not one clear server.", "RFC 1034 §3.5; RFC 1123 §2.1; RFC 3986 §3.2.2; RFC 6874; WHATWG URL host parsing"),
        Port => ("redirect_uri.port", Error, "A port must be a number from 1 to 65535.", "RFC 3986 §3.2.3; RFC 6335 §6"),
        Template => ("redirect_uri.template", Error, "Placeholder text copied from an example ('{CLIENT_ID}', '<client-id>', 'msalclient-id://auth') will never match the running application.", "Microsoft MSAL redirect URI documentation; desk rule"),
        Ipv6Loopback => ("redirect_uri.ipv6_loopback", Error, "Entra does not accept the IPv6 loopback address in redirect URIs; native apps use 127.0.0.1.", "Microsoft Entra \"Redirect URI restrictions\": localhost exceptions; RFC 8252 §7.3"),
        LoopbackLookalike => ("redirect_uri.loopback_lookalike", Error, "Other spellings of a loopback or 'any' address (127.0.0.2, 127.1, 2130706433, 0177.0.0.1, 0.0.0.0, *.localhost) are not the loopback redirect Entra special-cases and can reach other listeners.", "RFC 8252 §7.3, §8.3; WHATWG URL IPv4 parser; desk rule"),
        InsecureHttp => ("redirect_uri.http", Error, "Authorization codes must not travel unencrypted; plain http is allowed only to the loopback interface.", "RFC 6749 §3.1.2.1; RFC 9700 §2.6, §4.1; RFC 8252 §7.3; Microsoft Entra \"Redirect URI restrictions\""),
        DangerousScheme => ("redirect_uri.dangerous_scheme", Error, "javascript, data, vbscript, file, blob and about URIs run or read content in the browser instead of reaching an application.", "RFC 6749 §10.15; RFC 9700 §4.11; OWASP XSS prevention"),
        Platform => ("redirect_uri.platform", Error, "Entra's web and spa platforms take https (and http loopback) only, spa also brk-multihub; custom schemes and URNs belong to mobile and desktop (public client) registrations.", "Microsoft Entra \"Redirect URI restrictions\"; Microsoft nested app authentication (brk-multihub)"),
        BrkMultihubPath => ("redirect_uri.brk_multihub_path", Error, "A nested app authentication redirect is brk-multihub:// followed by the app's origin only.", "Microsoft nested app authentication: register brk-multihub://<origin> as an SPA redirect URI"),
        CustomScheme => ("redirect_uri.custom_scheme", Error, "A private-use scheme must be a reverse domain name the publisher controls, so that another app cannot claim it.", "RFC 8252 §7.1, §8.4"),
        Urn => ("redirect_uri.urn", Error, "A URN cannot receive a redirect; the only URN Entra knows is the out-of-band urn:ietf:wg:oauth:2.0:oob.", "RFC 6749 §3.1.2; Microsoft Entra \"Redirect URI restrictions\""),
        ReservedQueryParameter => ("redirect_uri.reserved_query_parameter", Error, "The response adds code, state and error to the redirect URI; a registered parameter of the same name collides with them.", "RFC 6749 §3.1.2, §4.1.2; RFC 9700 §4.1"),
        Duplicate => ("redirect_uri.duplicate", Error, "The same redirect URI twice is rejected by Entra and adds nothing.", "Microsoft Entra application manifest (redirectUris are unique)"),
        DuplicateIgnoringCase => ("redirect_uri.duplicate_case", Error, "Scheme and host are case-insensitive, so URIs that differ only in their case are the same redirect target.", "RFC 3986 §3.1, §3.2.2, §6.2.2.1"),
        LoopbackOnWeb => ("redirect_uri.loopback_web", Warning, "A loopback redirect on a web or spa registration is for development; production registrations should not carry it.", "Microsoft Entra \"Redirect URI restrictions\": localhost exceptions; desk rule: use a separate development registration"),
        Localhost => ("redirect_uri.localhost", Warning, "The name localhost may resolve elsewhere or be firewalled; native apps should use the loopback IP literal.", "RFC 8252 §8.3"),
        LoopbackPort => ("redirect_uri.loopback_port", Warning, "Entra ignores the port of a loopback redirect (the app may listen on any port at run time), so a registered port is misleading.", "RFC 8252 §7.3; Microsoft Entra \"Redirect URI restrictions\": localhost exceptions"),
        LoopbackHttps => ("redirect_uri.loopback_https", Warning, "Loopback redirects for native apps use http: a local listener has no certificate browsers trust.", "RFC 8252 §7.3"),
        Oob => ("redirect_uri.oob", Warning, "The out-of-band redirect makes the user copy the code by hand; Microsoft and RFC 8252 recommend a loopback or claimed-https redirect.", "RFC 8252 §7; Microsoft Entra \"Redirect URI restrictions\""),
        NonNhsHost => ("redirect_uri.non_nhs_host", Warning, "An application receiving NHSmail sign-ins normally runs on an NHS domain; another host (or a look-alike such as evilnhs.uk) needs a reviewer's eye.", "NHSmail OAuth onboarding guidance; desk rule"),
        IpHost => ("redirect_uri.ip_host", Warning, "A certificate for an IP address is unusual; an IP-address host cannot be tied to an organisation's domain.", "RFC 9700 §4.1; CA/Browser Forum Baseline Requirements §7.1.2.7.12"),
        SingleLabelHost => ("redirect_uri.single_label_host", Warning, "A single-label host (https://intranet) only resolves inside one network and cannot be tied to an organisation's domain.", "ICANN SSAC SAC064; RFC 8252 §8.3"),
        UnderscoreHost => ("redirect_uri.underscore_host", Warning, "'_' is not allowed in host names; some browsers and certificates refuse it.", "RFC 952; RFC 1123 §2.1; CA/Browser Forum ballot SC12"),
        UppercaseScheme => ("redirect_uri.uppercase_scheme", Warning, "Schemes are compared case-insensitively and are normally lower case; an upper-case one may not match what the application sends.", "RFC 3986 §3.1, §6.2.2.1"),
        UppercaseHost => ("redirect_uri.uppercase_host", Warning, "Hosts are case-insensitive and normally lower case; an upper-case host may not match what the application sends.", "RFC 3986 §3.2.2, §6.2.2.1"),
        DefaultPort => ("redirect_uri.default_port", Warning, "The default port written out (:443 for https) makes a URI that a browser normalises away, so string matching can fail.", "RFC 3986 §6.2.3"),
        EmptyPort => ("redirect_uri.empty_port", Warning, "A ':' with no port is normalised away by browsers, so string matching can fail.", "RFC 3986 §3.2.3, §6.2.3"),
        EmptyQuery => ("redirect_uri.empty_query", Warning, "A bare '?' is not in normal form and may not match what the application sends.", "RFC 3986 §6.2.3"),
        EncodedSlash => ("redirect_uri.encoded_slash", Warning, "%2F in a path is decoded to '/' by some servers and not by others, so the path that matches is not the path served.", "RFC 3986 §2.2, §6.2.2.2"),
        OpenRedirect => ("redirect_uri.open_redirect", Warning, "A query value holding a full URL suggests the page forwards the browser onward, which can leak authorization codes (open redirector).", "RFC 6749 §10.15; RFC 9700 §4.11"),
        PathCase => ("redirect_uri.path_case", Warning, "Paths are case-sensitive; two URIs differing only in path case usually mean one is wrong, and Entra matches the path exactly.", "Microsoft Entra \"Redirect URI restrictions\": case sensitivity; RFC 3986 §6.2.2.1"),
        LoopbackPortVariants => ("redirect_uri.loopback_port_variants", Warning, "Entra ignores the port of loopback redirects, so URIs differing only by port are the same registration.", "RFC 8252 §7.3; Microsoft Entra \"Redirect URI restrictions\": localhost exceptions"),
        TrailingSlashVariants => ("redirect_uri.trailing_slash_variants", Warning, "Entra returns https://host as https://host/, so the two forms are one redirect target.", "Microsoft Entra \"Redirect URI restrictions\": trailing slash"),
    }
}

const NOUN: &str = "redirect URI";
const OPTIONS: syntax::Options = syntax::Options {
    noun: NOUN,
    reports_loopback_lookalikes: true,
};

/// Checks the request's number of redirect URIs against the bound its type declares.
pub fn check_count(request: &RegistrationRequest, out: &mut Vec<Finding>) {
    if crate::bounds::over(request, "redirect_uris") {
        out.push(Finding::new(
            RedirectUriCode::TooMany,
            "redirect_uris",
            format!(
                "There are {} redirect URIs; Microsoft Entra ID accepts at most {MAX_REDIRECT_URIS} for one application.",
                request.redirect_uris.len()
            ),
            format!("Remove the ones the application does not use. Only the first {MAX_REDIRECT_URIS} were checked."),
        ));
    }
}

/// Checks `redirect_uris[i].uri` (the first [`MAX_REDIRECT_URIS`]) and the list as a whole.
pub fn check(uris: &[RedirectUri], out: &mut Vec<Finding>) {
    let examined: Vec<Examined<'_>> = uris
        .iter()
        .take(MAX_REDIRECT_URIS)
        .enumerate()
        .filter_map(|(index, entry)| check_entry(index, entry, out))
        .collect();
    check_list(&examined, out);
}

/// The shared syntax rules' issues under this area's codes.
fn syntax_code(kind: IssueKind) -> RedirectUriCode {
    match kind {
        IssueKind::TooLong => RedirectUriCode::TooLong,
        IssueKind::NotAbsolute => RedirectUriCode::NotAbsolute,
        IssueKind::MissingHost => RedirectUriCode::MissingHost,
        IssueKind::Fragment => RedirectUriCode::Fragment,
        IssueKind::Wildcard => RedirectUriCode::Wildcard,
        IssueKind::Userinfo => RedirectUriCode::Userinfo,
        IssueKind::InvalidCharacter => RedirectUriCode::InvalidCharacter,
        IssueKind::EntraCharacter => RedirectUriCode::EntraCharacter,
        IssueKind::NonAscii => RedirectUriCode::NonAscii,
        IssueKind::Punycode => RedirectUriCode::Punycode,
        IssueKind::PercentEncoding => RedirectUriCode::PercentEncoding,
        IssueKind::EncodedControl => RedirectUriCode::EncodedControl,
        IssueKind::DotSegment => RedirectUriCode::DotSegment,
        IssueKind::Host => RedirectUriCode::Host,
        IssueKind::Port => RedirectUriCode::Port,
        IssueKind::Template => RedirectUriCode::Template,
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

/// What the list rules need from one examined entry.
struct Examined<'a> {
    index: usize,
    raw: &'a str,
    keys: Option<ListKeys>,
}

/// Comparison keys: scheme and host lower-cased, the rest as typed.
struct ListKeys {
    case: String,
    path_case: String,
    /// Loopback entries only: the key without the port.
    without_port: Option<String>,
    /// Entries with an empty path or `/`: the key with the path set to `/`.
    slash: Option<String>,
}

fn check_entry<'a>(
    index: usize,
    entry: &'a RedirectUri,
    out: &mut Vec<Finding>,
) -> Option<Examined<'a>> {
    let raw = entry.uri.as_str();
    let path = format!("redirect_uris[{index}].uri");
    if let Some(issue) = syntax::too_long(raw, MAX_URI_CHARS, NOUN) {
        push_issue(&path, issue, out);
        return None;
    }
    let mut template_reported = false;
    let checked = syntax::check(raw, &OPTIONS, &mut |issue| {
        template_reported |= issue.kind == IssueKind::Template;
        push_issue(&path, issue, out);
    });
    let keys = match checked.uri {
        Some(uri) => {
            let rules = Rules {
                path: &path,
                raw,
                platform: entry.platform,
                native: native::recognise(&uri),
                host: checked.host,
                uri,
                template_reported,
            };
            rules.run(out);
            Some(rules.list_keys())
        }
        None => None,
    };
    Some(Examined { index, raw, keys })
}

/// How the scheme decides what else applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SchemeClass {
    Http,
    Https,
    BrkMultihub,
    Urn,
    Dangerous,
    Custom,
}

const DANGEROUS_SCHEMES: [&str; 6] = ["javascript", "data", "vbscript", "file", "blob", "about"];
const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// The rules beyond shared syntax, for one parsed redirect URI.
struct Rules<'a, 'p> {
    path: &'p str,
    raw: &'a str,
    platform: Platform,
    uri: Uri<'a>,
    host: Option<HostInfo<'a>>,
    native: Recognised<'a>,
    template_reported: bool,
}

impl Rules<'_, '_> {
    fn push(&self, out: &mut Vec<Finding>, code: RedirectUriCode, message: String, hint: &str) {
        out.push(Finding::new(code, self.path, message, hint));
    }

    fn class(&self) -> SchemeClass {
        let uri = &self.uri;
        if uri.scheme_is("http") {
            SchemeClass::Http
        } else if uri.scheme_is("https") {
            SchemeClass::Https
        } else if uri.scheme_is("brk-multihub") {
            SchemeClass::BrkMultihub
        } else if uri.scheme_is("urn") {
            SchemeClass::Urn
        } else if DANGEROUS_SCHEMES.iter().any(|s| uri.scheme_is(s)) {
            SchemeClass::Dangerous
        } else {
            SchemeClass::Custom
        }
    }

    /// The web-origin host (http, https, brk-multihub), when there is one.
    fn web_host(&self) -> Option<&HostInfo<'_>> {
        self.host.as_ref().filter(|_| self.uri.is_web_origin())
    }

    fn is_loopback(&self) -> bool {
        self.web_host().is_some_and(HostInfo::is_loopback)
    }

    fn is_native(&self, form: NativeForm) -> bool {
        self.native == Recognised::Form(form)
    }

    fn run(&self, out: &mut Vec<Finding>) {
        self.scheme_rules(out);
        self.loopback_rules(out);
        self.host_rules(out);
        self.query_rules(out);
        self.normal_form_rules(out);
    }

    fn platform_label(&self) -> &'static str {
        match self.platform {
            Platform::Web => "web",
            Platform::Spa => "single-page application (spa)",
            Platform::PublicClient => "mobile and desktop (public_client)",
        }
    }

    fn scheme_rules(&self, out: &mut Vec<Finding>) {
        let scheme = shown(self.uri.scheme);
        match self.class() {
            SchemeClass::Dangerous => self.push(
                out,
                RedirectUriCode::DangerousScheme,
                format!("'{scheme}:' addresses run or open content in the browser; they cannot be a redirect URI."),
                "Use the https address of the page that completes sign-in.",
            ),
            SchemeClass::Http => {
                // A mis-spelt loopback address has its own, more precise, error.
                let misspelt_loopback = self
                    .web_host()
                    .is_none_or(|h| h.is_loopback_lookalike() || h.is_ipv6_loopback());
                if !self.is_loopback() && !misspelt_loopback {
                    self.push(
                        out,
                        RedirectUriCode::InsecureHttp,
                        "This redirect URI uses plain http, which would send sign-in codes unencrypted.".into(),
                        "Use https. Plain http is allowed only for http://127.0.0.1 or http://localhost on the developer's own machine.",
                    );
                }
            }
            SchemeClass::Https => {}
            SchemeClass::BrkMultihub => {
                if self.platform != Platform::Spa {
                    self.platform_error(out, "brk-multihub (nested app authentication) redirect URIs");
                } else if self.uri.authority.is_some() && (!self.uri.path.is_empty() || self.uri.query.is_some()) {
                    self.push(
                        out,
                        RedirectUriCode::BrkMultihubPath,
                        format!(
                            "A brk-multihub redirect URI is the app's origin only, but this one continues with '{}'.",
                            shown(self.raw.get(syntax::offset_of(self.raw, self.uri.path)..).unwrap_or(""))
                        ),
                        "Register brk-multihub://<your app's host>[:port] with nothing after it, for example brk-multihub://app.example.nhs.uk.",
                    );
                }
            }
            SchemeClass::Urn => {
                if !self.raw.eq_ignore_ascii_case(OOB) {
                    self.push(
                        out,
                        RedirectUriCode::Urn,
                        format!("'{}' is a URN; a URN cannot receive a sign-in response.", shown(self.raw)),
                        "Use an https address, or for a mobile or desktop app http://127.0.0.1 or its own reverse-DNS scheme.",
                    );
                } else if self.platform == Platform::PublicClient {
                    self.push(
                        out,
                        RedirectUriCode::Oob,
                        "The out-of-band redirect (urn:ietf:wg:oauth:2.0:oob) makes users copy the sign-in code by hand and is not recommended.".into(),
                        "Prefer http://127.0.0.1 (a loopback listener) or the app's own reverse-DNS scheme.",
                    );
                } else {
                    self.platform_error(out, "the out-of-band URN urn:ietf:wg:oauth:2.0:oob");
                }
            }
            SchemeClass::Custom => self.custom_scheme_rules(out),
        }
    }

    fn platform_error(&self, out: &mut Vec<Finding>, what: &str) {
        let allowed = match self.platform {
            Platform::Spa => "https (and http on a loopback address) or brk-multihub://<origin>",
            Platform::Web | Platform::PublicClient => "https (and http on a loopback address)",
        };
        let hint = match self.platform {
            Platform::PublicClient => {
                "brk-multihub belongs to a single-page application (spa); register it there."
            }
            Platform::Web | Platform::Spa => {
                "Register it under the mobile and desktop (public_client) platform if it belongs to a native app, or use the app's https address."
            }
        };
        self.push(
            out,
            RedirectUriCode::Platform,
            format!(
                "The {} platform does not accept {what}; it takes {allowed}.",
                self.platform_label()
            ),
            hint,
        );
    }

    fn custom_scheme_rules(&self, out: &mut Vec<Finding>) {
        if self.platform != Platform::PublicClient {
            self.platform_error(
                out,
                &format!("the app-specific scheme '{}:'", shown(self.uri.scheme)),
            );
            return;
        }
        match self.native {
            Recognised::Form(_) => {}
            Recognised::Placeholder(text) => {
                if !self.template_reported {
                    let issue = syntax::placeholder(text, NOUN);
                    push_issue(self.path, issue, out);
                }
            }
            Recognised::Other => {
                // A placeholder is why the URI is not one of Entra's forms; that finding says so.
                if !self.uri.scheme.contains('.') && !self.template_reported {
                    self.push(
                        out,
                        RedirectUriCode::CustomScheme,
                        format!(
                            "The app-specific scheme '{}:' is not a reverse domain name, so another app could claim it.",
                            shown(self.uri.scheme)
                        ),
                        "Use a scheme built from a domain you control, reversed (com.example.app:/callback), or one of Entra's own forms: msal<client-id>://auth, msauth.<bundle-id>://auth, msauth://<package>/<signature-hash>.",
                    );
                }
            }
        }
    }

    fn loopback_rules(&self, out: &mut Vec<Finding>) {
        let Some(host) = self.web_host() else {
            return;
        };
        if host.is_ipv6_loopback() {
            self.push(
                out,
                RedirectUriCode::Ipv6Loopback,
                format!("'{}' is the IPv6 loopback address, which Microsoft Entra ID does not accept in redirect URIs.", shown(host.raw)),
                "Use http://127.0.0.1 instead.",
            );
        }
        if host.is_loopback_lookalike() {
            self.push(
                out,
                RedirectUriCode::LoopbackLookalike,
                format!("'{}' is another spelling of a loopback or 'any' address, not the loopback address Entra allows.", shown(host.raw)),
                "Write the loopback address exactly as 127.0.0.1 (or localhost).",
            );
        }
        if !host.is_loopback() {
            return;
        }
        let class = self.class();
        let http_like = matches!(class, SchemeClass::Http | SchemeClass::Https);
        match self.platform {
            Platform::Web | Platform::Spa => self.push(
                out,
                RedirectUriCode::LoopbackOnWeb,
                format!("'{}' is a loopback address on a {} registration: it only works on a developer's machine.", shown(host.raw), self.platform_label()),
                "Keep loopback addresses for development, in a separate registration, and remove them from the production one.",
            ),
            Platform::PublicClient => {
                if class == SchemeClass::Http && host.raw.eq_ignore_ascii_case("localhost") {
                    self.push(
                        out,
                        RedirectUriCode::Localhost,
                        "This redirect URI uses the name localhost; native apps should use the loopback address 127.0.0.1.".into(),
                        "Use http://127.0.0.1/… : the name localhost can resolve elsewhere or be blocked by a firewall.",
                    );
                }
                if class == SchemeClass::Https {
                    self.push(
                        out,
                        RedirectUriCode::LoopbackHttps,
                        "This loopback redirect URI uses https; a desktop app's local listener has no certificate browsers trust.".into(),
                        "Use http://127.0.0.1/… for a loopback redirect.",
                    );
                }
            }
        }
        if let Some(port) = self
            .uri
            .authority
            .as_ref()
            .and_then(|a| a.port)
            .filter(|p| !p.is_empty() && http_like)
        {
            self.push(
                out,
                RedirectUriCode::LoopbackPort,
                format!("This loopback redirect URI names port {}, but Entra accepts any port on a loopback address at sign-in.", shown(port)),
                "Leave the port out (http://127.0.0.1/callback); the app may listen on whichever port is free.",
            );
        }
    }

    fn host_rules(&self, out: &mut Vec<Finding>) {
        let Some(host) = self.web_host() else {
            return;
        };
        if host.is_loopback()
            || host.is_loopback_lookalike()
            || host.is_ipv6_loopback()
            || host.kind == HostKind::Invalid
            || !host.problems.is_empty()
        {
            return;
        }
        if !host.is_nhs_domain() && !self.is_native(NativeForm::NativeClient) {
            let lower = host.raw.to_ascii_lowercase();
            let lookalike = if lower.contains("nhs") {
                " It contains 'nhs' but is not an NHS domain: check it is not a look-alike."
            } else {
                ""
            };
            self.push(
                out,
                RedirectUriCode::NonNhsHost,
                format!("'{}' is not an NHS domain (nhs.uk or nhs.net).{lookalike}", shown(host.raw)),
                "If the application is hosted by a supplier, this is expected: the reviewer will confirm the supplier and domain.",
            );
        }
        let over_tls = matches!(self.class(), SchemeClass::Https | SchemeClass::BrkMultihub);
        if over_tls && host.is_ip() {
            self.push(
                out,
                RedirectUriCode::IpHost,
                format!("The host '{}' is an IP address rather than a domain name.", shown(host.raw)),
                "Use the application's domain name, which its certificate and organisation can be checked against.",
            );
        }
        if over_tls && host.kind == HostKind::Name && !host.raw.trim_end_matches('.').contains('.')
        {
            self.push(
                out,
                RedirectUriCode::SingleLabelHost,
                format!("The host '{}' is a single name without a domain; it only resolves inside one network.", shown(host.raw)),
                "Use the fully qualified name, for example app.trust.nhs.uk.",
            );
        }
        if host.raw.contains('_') {
            self.push(
                out,
                RedirectUriCode::UnderscoreHost,
                format!(
                    "The host '{}' contains '_', which host names may not contain.",
                    shown(host.raw)
                ),
                "Use a host name with hyphens instead of underscores.",
            );
        }
    }

    fn query_rules(&self, out: &mut Vec<Finding>) {
        let Some(query) = self.uri.query.filter(|q| !q.is_empty()) else {
            return;
        };
        let mut reserved: Vec<&str> = Vec::new();
        let mut redirect_target: Option<&str> = None;
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = syntax::percent_decode(name);
            if let Some(&known) = ["code", "state", "error"]
                .iter()
                .find(|r| r.as_bytes() == decoded.as_slice())
                && !reserved.contains(&known)
            {
                reserved.push(known);
            }
            if redirect_target.is_none() && is_url_value(&syntax::percent_decode(value)) {
                redirect_target = Some(name);
            }
        }
        if !reserved.is_empty() {
            self.push(
                out,
                RedirectUriCode::ReservedQueryParameter,
                format!(
                    "This redirect URI has a query parameter named {}, which the sign-in response itself adds.",
                    reserved.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(" and ")
                ),
                "Rename or remove the parameter: code, state and error are reserved for the authorization response.",
            );
        }
        if let Some(name) = redirect_target {
            self.push(
                out,
                RedirectUriCode::OpenRedirect,
                format!("The query parameter '{}' holds a full web address, which suggests this page forwards the browser onward.", shown(name)),
                "Register the page that finishes sign-in itself; if it forwards users, make sure it only forwards to fixed addresses.",
            );
        }
    }

    fn normal_form_rules(&self, out: &mut Vec<Finding>) {
        let uri = &self.uri;
        if uri.scheme.bytes().any(|b| b.is_ascii_uppercase()) {
            self.push(
                out,
                RedirectUriCode::UppercaseScheme,
                format!("The scheme '{}' is not in lower case.", shown(uri.scheme)),
                "Write the scheme in lower case, exactly as the application sends it (for example https).",
            );
        }
        if let Some(host) = self
            .web_host()
            .filter(|h| h.problems.is_empty() && h.raw.bytes().any(|b| b.is_ascii_uppercase()))
        {
            self.push(
                out,
                RedirectUriCode::UppercaseHost,
                format!("The host '{}' is not in lower case.", shown(host.raw)),
                "Write the host in lower case; keep the path's case exactly as the application uses it.",
            );
        }
        let port = uri.authority.as_ref().and_then(|a| a.port);
        let default = match self.class() {
            SchemeClass::Https => Some(443),
            SchemeClass::Http => Some(80),
            _ => None,
        };
        if let (Some(port), Some(default)) = (port, default)
            && port.len() <= 5
            && port.parse::<u32>().is_ok_and(|p| p == default)
        {
            self.push(
                out,
                RedirectUriCode::DefaultPort,
                format!(
                    "The port :{} is the default for {}, and browsers leave it out.",
                    shown(port),
                    shown(uri.scheme)
                ),
                "Remove the port from the address.",
            );
        }
        if port == Some("") {
            self.push(
                out,
                RedirectUriCode::EmptyPort,
                "This redirect URI has a ':' after the host with no port number.".into(),
                "Remove the ':' (or add the port number).",
            );
        }
        if uri.query == Some("") {
            self.push(
                out,
                RedirectUriCode::EmptyQuery,
                "This redirect URI ends its path with a '?' and no query.".into(),
                "Remove the '?'.",
            );
        }
        let native_android = self.is_native(NativeForm::MsauthAndroid);
        if !native_android && contains_ignore_case(uri.path, "%2f") {
            self.push(
                out,
                RedirectUriCode::EncodedSlash,
                "The path contains %2F, an encoded '/', which servers decode inconsistently."
                    .into(),
                "Write '/' in the path, or rename the path segment so it needs no slash.",
            );
        }
    }

    fn list_keys(&self) -> ListKeys {
        let raw = self.raw;
        let scheme_end = self.uri.scheme.len();
        let (host_start, host_end) = self
            .uri
            .authority
            .as_ref()
            .map_or((scheme_end, scheme_end), |a| {
                (a.host_start, a.host_start + a.host.len())
            });
        let path = self.uri.path;
        let path_start = syntax::offset_of(raw, path).max(host_end);
        let head = format!(
            "{}{}{}",
            raw.get(..scheme_end).unwrap_or("").to_ascii_lowercase(),
            raw.get(scheme_end..host_start).unwrap_or(""),
            raw.get(host_start..host_end)
                .unwrap_or("")
                .to_ascii_lowercase()
        );
        let port_part = raw.get(host_end..path_start).unwrap_or("");
        let after_path = raw.get(path_start + path.len()..).unwrap_or("");
        let case = format!("{head}{port_part}{path}{after_path}");
        let path_case = format!("{head}{port_part}{}{after_path}", path.to_ascii_lowercase());
        let without_port = self
            .is_loopback()
            .then(|| format!("{head}{path}{after_path}"));
        let slash =
            (path.is_empty() || path == "/").then(|| format!("{head}{port_part}/{after_path}"));
        ListKeys {
            case,
            path_case,
            without_port,
            slash,
        }
    }
}

fn contains_ignore_case(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A decoded query value that is a full URL (`scheme://…`, a web or script scheme, or a
/// scheme-relative `//host`): the page may forward the browser there.
fn is_url_value(value: &[u8]) -> bool {
    let starts = |prefix: &[u8]| {
        value
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if starts(b"//") || starts(b"\\\\") || starts(b"/\\") || starts(b"\\/") {
        return true;
    }
    let Some(colon) = value.iter().position(|&b| b == b':') else {
        return false;
    };
    let scheme = value.get(..colon).unwrap_or_default();
    let valid_scheme = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let after = value.get(colon + 1..).unwrap_or_default();
    valid_scheme
        && !after.is_empty()
        && (after.starts_with(b"//")
            || ["http", "https", "javascript", "data", "vbscript", "file"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s.as_bytes())))
}

/// Duplicates and near-duplicates across the examined entries. Each later entry is reported
/// once per earlier entry, under the strongest rule that pairs them.
fn check_list(entries: &[Examined<'_>], out: &mut Vec<Finding>) {
    let mut exact: HashMap<&str, usize> = HashMap::new();
    let mut case: HashMap<&str, usize> = HashMap::new();
    let mut path_case: HashMap<&str, usize> = HashMap::new();
    let mut without_port: HashMap<&str, usize> = HashMap::new();
    let mut slash: HashMap<&str, usize> = HashMap::new();
    for entry in entries {
        let mut paired: Vec<usize> = Vec::new();
        let mut report =
            |earlier: Option<&usize>, code: RedirectUriCode, out: &mut Vec<Finding>| {
                if let Some(&earlier) = earlier
                    && !paired.contains(&earlier)
                {
                    paired.push(earlier);
                    out.push(list_finding(code, earlier, entry.index, entry.raw));
                }
            };
        report(exact.get(entry.raw), RedirectUriCode::Duplicate, out);
        exact.entry(entry.raw).or_insert(entry.index);
        let Some(keys) = &entry.keys else {
            continue;
        };
        report(
            case.get(keys.case.as_str()),
            RedirectUriCode::DuplicateIgnoringCase,
            out,
        );
        report(
            path_case.get(keys.path_case.as_str()),
            RedirectUriCode::PathCase,
            out,
        );
        if let Some(key) = &keys.without_port {
            report(
                without_port.get(key.as_str()),
                RedirectUriCode::LoopbackPortVariants,
                out,
            );
        }
        if let Some(key) = &keys.slash {
            report(
                slash.get(key.as_str()),
                RedirectUriCode::TrailingSlashVariants,
                out,
            );
        }
        case.entry(&keys.case).or_insert(entry.index);
        path_case.entry(&keys.path_case).or_insert(entry.index);
        if let Some(key) = &keys.without_port {
            without_port.entry(key).or_insert(entry.index);
        }
        if let Some(key) = &keys.slash {
            slash.entry(key).or_insert(entry.index);
        }
    }
}

fn list_finding(code: RedirectUriCode, earlier: usize, later: usize, raw: &str) -> Finding {
    let (first, second) = (earlier + 1, later + 1);
    let quoted = shown(raw);
    let (message, hint) = match code {
        RedirectUriCode::Duplicate => (
            format!("Redirect URIs {first} and {second} are the same ('{quoted}')."),
            "Remove one of them.",
        ),
        RedirectUriCode::DuplicateIgnoringCase => (
            format!(
                "Redirect URIs {first} and {second} differ only in the case of the scheme or host, so they are the same address ('{quoted}')."
            ),
            "Keep one of them, written in lower case.",
        ),
        RedirectUriCode::PathCase => (
            format!(
                "Redirect URIs {first} and {second} differ only in the case of the path ('{quoted}')."
            ),
            "Paths are case-sensitive: keep only the one whose case matches what the application sends.",
        ),
        RedirectUriCode::LoopbackPortVariants => (
            format!(
                "Redirect URIs {first} and {second} are loopback addresses that differ only by port ('{quoted}')."
            ),
            "Keep one of them without a port: Entra accepts any port on a loopback redirect.",
        ),
        _ => (
            format!(
                "Redirect URIs {first} and {second} differ only by a '/' after the host ('{quoted}')."
            ),
            "Keep one of them: Entra treats https://host and https://host/ as the same redirect.",
        ),
    };
    Finding::new(code, "redirect_uris", message, hint)
}
