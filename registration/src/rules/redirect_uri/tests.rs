use super::*;
use crate::Severity;
use Platform::{PublicClient as P, Spa as S, Web as W};
use proptest::prelude::*;

fn entry(uri: &str, platform: Platform) -> RedirectUri {
    RedirectUri {
        uri: uri.to_string(),
        platform,
    }
}

/// What `validate` finds about a request's redirect URIs: their number, then each.
fn findings(uris: &[RedirectUri]) -> Vec<Finding> {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
            .unwrap();
    request.redirect_uris = uris.to_vec();
    let mut out = Vec::new();
    check_count(&request, &mut out);
    check(&request.redirect_uris, &mut out);
    out
}

fn codes(uris: &[RedirectUri]) -> Vec<(String, &'static str)> {
    findings(uris)
        .into_iter()
        .map(|f| (f.path, f.code.code()))
        .collect()
}

/// The codes raised for one URI, sorted, all asserted to sit at `redirect_uris[0].uri`.
fn single(uri: &str, platform: Platform) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = codes(&[entry(uri, platform)])
        .into_iter()
        .map(|(path, code)| {
            assert_eq!(path, "redirect_uris[0].uri", "{uri:?}: {code} at {path}");
            code
        })
        .collect();
    found.sort_unstable();
    found
}

const GUID: &str = "4a1aa1d5-c567-49d0-ad0b-cd957a47f842";

/// Every bullet of RULES.md §4 for one URI: (uri, platform, exact codes raised).
fn table() -> Vec<(String, Platform, Vec<&'static str>)> {
    let label64 = "a".repeat(64);
    let exactly_256 = format!("https://app.nhs.uk/{}", "a".repeat(256 - 19));
    let over_256 = format!("https://app.nhs.uk/#{}", "a".repeat(250));
    let rows: Vec<(&str, Platform, &[&str])> = vec![
        // Not an absolute URI; nothing after the scheme; no host.
        ("", W, &["redirect_uri.not_absolute"]),
        ("/callback", W, &["redirect_uri.not_absolute"]),
        ("app.nhs.uk/callback", W, &["redirect_uri.not_absolute"]),
        ("1https://app.nhs.uk/cb", W, &["redirect_uri.not_absolute"]),
        ("ht_tp://app.nhs.uk/cb", W, &["redirect_uri.not_absolute"]),
        ("localhost:3000/callback", W, &["redirect_uri.not_absolute"]),
        ("app.nhs.uk:443", W, &["redirect_uri.not_absolute"]),
        ("https:", W, &["redirect_uri.not_absolute"]),
        ("com.example.app:", P, &["redirect_uri.not_absolute"]),
        ("https:app.nhs.uk/cb", W, &["redirect_uri.missing_host"]),
        ("https:/app.nhs.uk/cb", W, &["redirect_uri.missing_host"]),
        ("https://", W, &["redirect_uri.missing_host"]),
        ("https:///cb", W, &["redirect_uri.missing_host"]),
        ("https://:8443/cb", W, &["redirect_uri.missing_host"]),
        ("http://", P, &["redirect_uri.missing_host"]),
        ("brk-multihub:app.nhs.uk", S, &["redirect_uri.missing_host"]),
        // Fragment, wildcard, userinfo.
        ("https://app.nhs.uk/cb#", W, &["redirect_uri.fragment"]),
        (
            "https://app.nhs.uk/cb#section",
            W,
            &["redirect_uri.fragment"],
        ),
        ("https://*.nhs.uk/cb", W, &["redirect_uri.wildcard"]),
        ("https://app.nhs.uk/*", W, &["redirect_uri.wildcard"]),
        ("https://user@app.nhs.uk/cb", W, &["redirect_uri.userinfo"]),
        (
            "https://user:pw@app.nhs.uk/cb",
            W,
            &["redirect_uri.userinfo"],
        ),
        ("https://:@app.nhs.uk/cb", W, &["redirect_uri.userinfo"]),
        ("https://@app.nhs.uk/cb", W, &["redirect_uri.userinfo"]),
        (
            "https://app.nhs.uk@evil.example/cb",
            W,
            &["redirect_uri.non_nhs_host", "redirect_uri.userinfo"],
        ),
        // [::1] in any form.
        ("http://[::1]/cb", P, &["redirect_uri.ipv6_loopback"]),
        ("https://[::1]/cb", P, &["redirect_uri.ipv6_loopback"]),
        (
            "http://[0:0:0:0:0:0:0:1]:8080/cb",
            P,
            &["redirect_uri.ipv6_loopback"],
        ),
        ("http://[::0001]/cb", P, &["redirect_uri.ipv6_loopback"]),
        (
            "http://[::ffff:127.0.0.1]/cb",
            P,
            &["redirect_uri.ipv6_loopback"],
        ),
        (
            "http://[::ffff:7f00:1]/cb",
            W,
            &["redirect_uri.ipv6_loopback"],
        ),
        // http except loopback, any letter case.
        ("http://app.nhs.uk/cb", W, &["redirect_uri.http"]),
        ("http://app.nhs.uk/cb", P, &["redirect_uri.http"]),
        (
            "HTTP://app.nhs.uk/cb",
            W,
            &["redirect_uri.http", "redirect_uri.uppercase_scheme"],
        ),
        (
            "hTTp://10.0.0.1/cb",
            S,
            &[
                "redirect_uri.http",
                "redirect_uri.non_nhs_host",
                "redirect_uri.uppercase_scheme",
            ],
        ),
        // Dangerous schemes in any case.
        (
            "javascript:alert(1)",
            W,
            &[
                "redirect_uri.dangerous_scheme",
                "redirect_uri.entra_character",
            ],
        ),
        (
            "JavaScript://app.nhs.uk/%0Aalert",
            P,
            &[
                "redirect_uri.dangerous_scheme",
                "redirect_uri.encoded_control",
                "redirect_uri.uppercase_scheme",
            ],
        ),
        (
            "data:text/html,hello",
            P,
            &[
                "redirect_uri.dangerous_scheme",
                "redirect_uri.entra_character",
            ],
        ),
        ("vbscript:msgbox", P, &["redirect_uri.dangerous_scheme"]),
        ("file:///etc/passwd", P, &["redirect_uri.dangerous_scheme"]),
        (
            "FILE://server/share",
            P,
            &[
                "redirect_uri.dangerous_scheme",
                "redirect_uri.uppercase_scheme",
            ],
        ),
        (
            "blob:https://app.nhs.uk/0b6c",
            S,
            &["redirect_uri.dangerous_scheme"],
        ),
        ("about:blank", W, &["redirect_uri.dangerous_scheme"]),
        // Per platform.
        ("com.example.app:/callback", W, &["redirect_uri.platform"]),
        ("com.example.app:/callback", S, &["redirect_uri.platform"]),
        ("com.example.app:/callback", P, &[]),
        ("com.example.app://callback", P, &[]),
        ("com.example.app:callback", P, &[]),
        ("brk-multihub://app.nhs.uk", S, &[]),
        ("brk-multihub://app.nhs.uk:8443", S, &[]),
        ("brk-multihub://app.nhs.uk", W, &["redirect_uri.platform"]),
        ("brk-multihub://app.nhs.uk", P, &["redirect_uri.platform"]),
        (
            "brk-multihub://app.nhs.uk/",
            S,
            &["redirect_uri.brk_multihub_path"],
        ),
        (
            "brk-multihub://app.nhs.uk/auth",
            S,
            &["redirect_uri.brk_multihub_path"],
        ),
        (
            "brk-multihub://app.nhs.uk?x=1",
            S,
            &["redirect_uri.brk_multihub_path"],
        ),
        (
            "brk-multihub://app.example.com",
            S,
            &["redirect_uri.non_nhs_host"],
        ),
        (
            "brk-multihub://localhost:3000",
            S,
            &["redirect_uri.loopback_web"],
        ),
        // Custom schemes: reverse-DNS, Entra's native forms, unfilled templates.
        ("myapp:/callback", P, &["redirect_uri.custom_scheme"]),
        ("myapp://callback", P, &["redirect_uri.custom_scheme"]),
        (
            "msauth://com.example.app",
            P,
            &["redirect_uri.custom_scheme"],
        ),
        (
            "ms-appx-web://microsoft.aad.brokerplugin",
            P,
            &["redirect_uri.custom_scheme"],
        ),
        ("msal4a1aa1d5-c567-49d0-ad0b-cd957a47f842://auth", P, &[]),
        ("msauth.com.example.app://auth", P, &[]),
        (
            "msauth://com.example.app/1wIqXSqBj7w%2Bh11ZifsnqwgyKrY%3D",
            P,
            &[],
        ),
        (
            "msauth://com.example.app/1wIqXSqBj7w+h11ZifsnqwgyKrY=",
            P,
            &[],
        ),
        (
            "https://login.microsoftonline.com/common/oauth2/nativeclient",
            P,
            &[],
        ),
        (
            "https://login.microsoftonline.com/common/oauth2/nativeclient",
            W,
            &[],
        ),
        (
            "ms-appx-web://microsoft.aad.brokerplugin/4a1aa1d5-c567-49d0-ad0b-cd957a47f842",
            P,
            &[],
        ),
        (
            "ms-appx-web://Microsoft.AAD.BrokerPlugin/4a1aa1d5-c567-49d0-ad0b-cd957a47f842",
            P,
            &[],
        ),
        (
            "msal4a1aa1d5-c567-49d0-ad0b-cd957a47f842://auth",
            W,
            &["redirect_uri.platform"],
        ),
        ("msal{CLIENT_ID}://auth", P, &["redirect_uri.template"]),
        ("msal<client-id>://auth", P, &["redirect_uri.template"]),
        ("msalclient-id://auth", P, &["redirect_uri.template"]),
        ("msal://auth", P, &["redirect_uri.template"]),
        (
            "ms-appx-web://microsoft.aad.brokerplugin/{client-id}",
            P,
            &["redirect_uri.template"],
        ),
        (
            "ms-appx-web://microsoft.aad.brokerplugin/client-id",
            P,
            &["redirect_uri.template"],
        ),
        (
            "msauth://com.example.app/<signature-hash>",
            P,
            &["redirect_uri.template"],
        ),
        (
            "https://app.nhs.uk/<client-id>/cb",
            W,
            &["redirect_uri.template"],
        ),
        (
            "https://app.nhs.uk/%7Btenant%7D/cb",
            W,
            &["redirect_uri.template"],
        ),
        // URNs.
        ("urn:ietf:wg:oauth:2.0:oob", P, &["redirect_uri.oob"]),
        ("urn:ietf:wg:oauth:2.0:oob", W, &["redirect_uri.platform"]),
        ("urn:ietf:wg:oauth:2.0:oob", S, &["redirect_uri.platform"]),
        ("urn:example:callback", P, &["redirect_uri.urn"]),
        ("urn:example:callback", W, &["redirect_uri.urn"]),
        // Entra's banned characters.
        (
            "https://app.nhs.uk/cb!",
            W,
            &["redirect_uri.entra_character"],
        ),
        (
            "https://app.nhs.uk/c$b",
            W,
            &["redirect_uri.entra_character"],
        ),
        (
            "https://app.nhs.uk/it's",
            W,
            &["redirect_uri.entra_character"],
        ),
        (
            "https://app.nhs.uk/cb(1)",
            W,
            &["redirect_uri.entra_character"],
        ),
        (
            "https://app.nhs.uk/a,b",
            W,
            &["redirect_uri.entra_character"],
        ),
        (
            "https://app.nhs.uk/a;jsessionid=1",
            W,
            &["redirect_uri.entra_character"],
        ),
        // Non-ASCII and punycode.
        ("https://app.nhs.uk/café", W, &["redirect_uri.non_ascii"]),
        (
            "https://\u{430}pp.nhs.uk/cb",
            W,
            &["redirect_uri.non_ascii"],
        ),
        (
            "https://xn--pp-8cd.nhs.uk/cb",
            W,
            &["redirect_uri.punycode"],
        ),
        (
            "https://app.XN--nhs-abc.uk/cb",
            W,
            &[
                "redirect_uri.non_nhs_host",
                "redirect_uri.punycode",
                "redirect_uri.uppercase_host",
            ],
        ),
        // Whitespace (never trimmed), controls, invisible marks, characters outside RFC 3986.
        (
            " https://app.nhs.uk/cb",
            W,
            &[
                "redirect_uri.invalid_character",
                "redirect_uri.not_absolute",
            ],
        ),
        (
            "https://app.nhs.uk/cb ",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/c b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/cb\t",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/cb\r\n",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/cb\u{0}",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/cb\u{7f}",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/cb\u{a0}",
            W,
            &["redirect_uri.non_ascii"],
        ),
        (
            "\u{feff}https://app.nhs.uk/cb",
            W,
            &["redirect_uri.non_ascii", "redirect_uri.not_absolute"],
        ),
        (
            "https://app.nhs.uk/c\u{200b}b",
            W,
            &["redirect_uri.non_ascii"],
        ),
        (
            "https://app.nhs.uk/\u{202e}bc",
            W,
            &["redirect_uri.non_ascii"],
        ),
        (
            "https://app.nhs.uk/\u{2066}cb\u{2069}",
            W,
            &["redirect_uri.non_ascii"],
        ),
        (
            "https://app.nhs.uk/a<b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a>b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a\"b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a{b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a}b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a|b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a^b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a\\b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a`b",
            W,
            &["redirect_uri.invalid_character"],
        ),
        (
            "https://app.nhs.uk/a[0]",
            W,
            &["redirect_uri.invalid_character"],
        ),
        // Percent-encoding.
        (
            "https://app.nhs.uk/cb%",
            W,
            &["redirect_uri.percent_encoding"],
        ),
        (
            "https://app.nhs.uk/cb%2",
            W,
            &["redirect_uri.percent_encoding"],
        ),
        (
            "https://app.nhs.uk/cb%zz",
            W,
            &["redirect_uri.percent_encoding"],
        ),
        (
            "https://app.nhs.uk/cb%00",
            W,
            &["redirect_uri.encoded_control"],
        ),
        (
            "https://app.nhs.uk/cb%0d%0aSet-Cookie:x",
            W,
            &["redirect_uri.encoded_control"],
        ),
        (
            "https://app.nhs.uk/cb?x=%0A",
            W,
            &["redirect_uri.encoded_control"],
        ),
        ("https://app.nhs.uk/c%20b", W, &[]),
        // Dot segments, also encoded.
        (
            "https://app.nhs.uk/a/../cb",
            W,
            &["redirect_uri.dot_segment"],
        ),
        (
            "https://app.nhs.uk/a/./cb",
            W,
            &["redirect_uri.dot_segment"],
        ),
        (
            "https://app.nhs.uk/a/%2e%2e/cb",
            W,
            &["redirect_uri.dot_segment"],
        ),
        (
            "https://app.nhs.uk/a/%2E/cb",
            W,
            &["redirect_uri.dot_segment"],
        ),
        (
            "https://app.nhs.uk/a/.%2e/cb",
            W,
            &["redirect_uri.dot_segment"],
        ),
        ("https://app.nhs.uk/cb/..", W, &["redirect_uri.dot_segment"]),
        ("com.example.app:/a/../cb", P, &["redirect_uri.dot_segment"]),
        ("https://app.nhs.uk/.well-known/cb", W, &[]),
        ("https://app.nhs.uk/a..b/...", W, &[]),
        // Host syntax.
        ("https://app..nhs.uk/cb", W, &["redirect_uri.host"]),
        ("https://.app.nhs.uk/cb", W, &["redirect_uri.host"]),
        ("https://-app.nhs.uk/cb", W, &["redirect_uri.host"]),
        ("https://app-.nhs.uk/cb", W, &["redirect_uri.host"]),
        ("https://app.nhs.uk./cb", W, &["redirect_uri.host"]),
        ("https://app%2Enhs.uk/cb", W, &["redirect_uri.host"]),
        ("https://app~x.nhs.uk/cb", W, &["redirect_uri.host"]),
        ("https://[fe80::1%25eth0]/cb", W, &["redirect_uri.host"]),
        (
            "https://[fe80::1%eth0]/cb",
            W,
            &["redirect_uri.host", "redirect_uri.percent_encoding"],
        ),
        ("https://[not-an-address]/cb", W, &["redirect_uri.host"]),
        (
            "https://[fe80::1/cb",
            W,
            &["redirect_uri.host", "redirect_uri.invalid_character"],
        ),
        ("https://10.1/cb", W, &["redirect_uri.host"]),
        ("https://0x0a.0.0.1/cb", W, &["redirect_uri.host"]),
        ("https://1.2.3.4.5/cb", W, &["redirect_uri.host"]),
        ("https://256.1.1.1/cb", W, &["redirect_uri.host"]),
        ("https://app.nhs.123/cb", W, &["redirect_uri.host"]),
        // Ports: non-empty and not 1-65535 digits is an error.
        ("https://app.nhs.uk:0/cb", W, &["redirect_uri.port"]),
        ("https://app.nhs.uk:65536/cb", W, &["redirect_uri.port"]),
        ("https://app.nhs.uk:8x/cb", W, &["redirect_uri.port"]),
        ("https://app.nhs.uk:-1/cb", W, &["redirect_uri.port"]),
        ("https://app.nhs.uk:1:2/cb", W, &["redirect_uri.port"]),
        ("https://app.nhs.uk:8443/cb", W, &[]),
        ("https://app.nhs.uk:65535/cb", W, &[]),
        // Loopback look-alikes.
        (
            "http://127.0.0.2/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        ("http://127.1/cb", P, &["redirect_uri.loopback_lookalike"]),
        (
            "http://2130706433/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        (
            "http://0177.0.0.1/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        (
            "http://0x7f.0.0.1/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        (
            "http://0x7f000001/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        (
            "http://127.000.000.001/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        (
            "http://0.0.0.0:8080/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        ("http://0/cb", P, &["redirect_uri.loopback_lookalike"]),
        ("http://[::]/cb", P, &["redirect_uri.loopback_lookalike"]),
        (
            "http://app.localhost/cb",
            P,
            &["redirect_uri.loopback_lookalike"],
        ),
        (
            "https://app.LOCALHOST/cb",
            W,
            &[
                "redirect_uri.loopback_lookalike",
                "redirect_uri.uppercase_host",
            ],
        ),
        (
            "http://*.localhost/cb",
            P,
            &["redirect_uri.loopback_lookalike", "redirect_uri.wildcard"],
        ),
        (
            "http://127.0.0.1./cb",
            P,
            &["redirect_uri.host", "redirect_uri.loopback_lookalike"],
        ),
        // Reserved OAuth response parameters in the query.
        (
            "https://app.nhs.uk/cb?code=1",
            W,
            &["redirect_uri.reserved_query_parameter"],
        ),
        (
            "https://app.nhs.uk/cb?state",
            W,
            &["redirect_uri.reserved_query_parameter"],
        ),
        (
            "https://app.nhs.uk/cb?a=1&error=x",
            W,
            &["redirect_uri.reserved_query_parameter"],
        ),
        (
            "https://app.nhs.uk/cb?c%6Fde=1&state=2",
            W,
            &["redirect_uri.reserved_query_parameter"],
        ),
        (
            "com.example.app:/cb?code=1",
            P,
            &["redirect_uri.reserved_query_parameter"],
        ),
        ("https://app.nhs.uk/cb?codes=1&error_uri=x", W, &[]),
        // Warnings: loopback on web/spa, whatever the scheme.
        ("http://localhost/cb", W, &["redirect_uri.loopback_web"]),
        ("https://localhost/cb", S, &["redirect_uri.loopback_web"]),
        (
            "http://127.0.0.1:5000/cb",
            W,
            &["redirect_uri.loopback_port", "redirect_uri.loopback_web"],
        ),
        // Warnings: loopback on public_client.
        ("http://localhost/cb", P, &["redirect_uri.localhost"]),
        (
            "http://localhost:8400/cb",
            P,
            &["redirect_uri.localhost", "redirect_uri.loopback_port"],
        ),
        (
            "http://127.0.0.1:8400/cb",
            P,
            &["redirect_uri.loopback_port"],
        ),
        ("https://127.0.0.1/cb", P, &["redirect_uri.loopback_https"]),
        ("https://localhost/cb", P, &["redirect_uri.loopback_https"]),
        (
            "http://LocalHost/cb",
            P,
            &["redirect_uri.localhost", "redirect_uri.uppercase_host"],
        ),
        // Warnings: hosts that are not NHS domains (look-alikes included).
        (
            "https://app.example.com/cb",
            W,
            &["redirect_uri.non_nhs_host"],
        ),
        (
            "https://app.example.com/cb",
            P,
            &["redirect_uri.non_nhs_host"],
        ),
        ("https://evilnhs.uk/cb", W, &["redirect_uri.non_nhs_host"]),
        (
            "https://nhs.uk.evil.example/cb",
            W,
            &["redirect_uri.non_nhs_host"],
        ),
        (
            "https://app.nhs.uk-evil.example/cb",
            W,
            &["redirect_uri.non_nhs_host"],
        ),
        ("https://nhs.uk/cb", W, &[]),
        ("https://nhs.net/cb", W, &[]),
        ("https://a.b.nhs.net/cb", S, &[]),
        ("com.example.app://evil.example/cb", P, &[]),
        // Warnings: IP literal, single label, underscore.
        (
            "https://10.0.0.1/cb",
            W,
            &["redirect_uri.ip_host", "redirect_uri.non_nhs_host"],
        ),
        (
            "https://[2001:db8::1]/cb",
            W,
            &["redirect_uri.ip_host", "redirect_uri.non_nhs_host"],
        ),
        (
            "https://intranet/cb",
            W,
            &[
                "redirect_uri.non_nhs_host",
                "redirect_uri.single_label_host",
            ],
        ),
        (
            "https://my_app.nhs.uk/cb",
            W,
            &["redirect_uri.underscore_host"],
        ),
        // Warnings: not in normal form.
        (
            "HTTPS://app.nhs.uk/cb",
            W,
            &["redirect_uri.uppercase_scheme"],
        ),
        ("https://App.nhs.uk/cb", W, &["redirect_uri.uppercase_host"]),
        ("https://NHS.UK/cb", W, &["redirect_uri.uppercase_host"]),
        ("Com.Example.App:/cb", P, &["redirect_uri.uppercase_scheme"]),
        (
            "https://app.nhs.uk:443/cb",
            W,
            &["redirect_uri.default_port"],
        ),
        (
            "http://127.0.0.1:80/cb",
            P,
            &["redirect_uri.default_port", "redirect_uri.loopback_port"],
        ),
        ("https://app.nhs.uk:/cb", W, &["redirect_uri.empty_port"]),
        ("https://app.nhs.uk/cb?", W, &["redirect_uri.empty_query"]),
        (
            "https://app.nhs.uk/a%2Fb",
            W,
            &["redirect_uri.encoded_slash"],
        ),
        (
            "https://app.nhs.uk/a%2fb",
            W,
            &["redirect_uri.encoded_slash"],
        ),
        (
            "https://app.nhs.uk/cb?next=https%3A%2F%2Fevil.example",
            W,
            &["redirect_uri.open_redirect"],
        ),
        (
            "https://app.nhs.uk/cb?next=https://evil.example/",
            W,
            &["redirect_uri.open_redirect"],
        ),
        (
            "https://app.nhs.uk/cb?next=%2F%2Fevil.example",
            W,
            &["redirect_uri.open_redirect"],
        ),
        (
            "https://app.nhs.uk/cb?to=javascript:alert",
            W,
            &["redirect_uri.open_redirect"],
        ),
        ("https://app.nhs.uk/cb?next=/home&at=12:30", W, &[]),
        // Accepted.
        ("http://127.0.0.1", P, &[]),
        ("http://127.0.0.1/callback", P, &[]),
        ("https://app.nhs.uk/callback", P, &[]),
        ("https://app.nhs.uk/cb?tenant=rx1&mode=full", W, &[]),
        ("https://app.nhs.uk", W, &[]),
        ("https://app.nhs.uk/", S, &[]),
        ("https://app.nhs.uk/Auth/CallBack", W, &[]),
        ("https://app.nhs.uk/signin-oidc~x_y-z.1+2=3&4@5", W, &[]),
    ];
    let mut table: Vec<(String, Platform, Vec<&'static str>)> = rows
        .into_iter()
        .map(|(uri, platform, expected)| (uri.to_string(), platform, expected.to_vec()))
        .collect();
    table.push((
        format!("https://{label64}.nhs.uk/cb"),
        W,
        vec!["redirect_uri.host"],
    ));
    table.push((exactly_256, W, vec![]));
    table.push((over_256, W, vec!["redirect_uri.too_long"]));
    table.push((
        format!("msal{}://auth", GUID.to_uppercase()),
        P,
        vec!["redirect_uri.uppercase_scheme"],
    ));
    table
}

#[test]
fn every_rule_of_section_4_raises_exactly_its_codes() {
    let mut failures = Vec::new();
    for (uri, platform, mut expected) in table() {
        expected.sort_unstable();
        let found = single(&uri, platform);
        if found != expected {
            failures.push(format!(
                "{uri:?} on {platform:?}: expected {expected:?}, found {found:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_is_exercised_by_the_tables() {
    let mut seen: Vec<&str> = table()
        .into_iter()
        .flat_map(|(_, _, codes)| codes)
        .collect();
    seen.extend([
        "redirect_uri.too_many",
        "redirect_uri.duplicate",
        "redirect_uri.duplicate_case",
        "redirect_uri.path_case",
        "redirect_uri.loopback_port_variants",
        "redirect_uri.trailing_slash_variants",
    ]);
    for code in RedirectUriCode::ALL {
        assert!(
            seen.contains(&code.code()),
            "{} is not in the table",
            code.code()
        );
    }
}

#[test]
fn severities_match_the_rules() {
    let warnings = [
        RedirectUriCode::LoopbackOnWeb,
        RedirectUriCode::Localhost,
        RedirectUriCode::LoopbackPort,
        RedirectUriCode::LoopbackHttps,
        RedirectUriCode::Oob,
        RedirectUriCode::NonNhsHost,
        RedirectUriCode::IpHost,
        RedirectUriCode::SingleLabelHost,
        RedirectUriCode::UnderscoreHost,
        RedirectUriCode::UppercaseScheme,
        RedirectUriCode::UppercaseHost,
        RedirectUriCode::DefaultPort,
        RedirectUriCode::EmptyPort,
        RedirectUriCode::EmptyQuery,
        RedirectUriCode::EncodedSlash,
        RedirectUriCode::OpenRedirect,
        RedirectUriCode::PathCase,
        RedirectUriCode::LoopbackPortVariants,
        RedirectUriCode::TrailingSlashVariants,
    ];
    for code in RedirectUriCode::ALL {
        let expected = if warnings.contains(code) {
            Severity::Warning
        } else {
            Severity::Error
        };
        assert_eq!(code.default_severity(), expected, "{}", code.code());
    }
}

#[test]
fn rejects_fragment_in_redirect_uri() {
    let found = findings(&[entry("https://app.nhs.uk/cb#x", W)]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code.code(), "redirect_uri.fragment");
    assert_eq!(found[0].path, "redirect_uris[0].uri");
    assert_eq!(found[0].severity, Severity::Error);
}

#[test]
fn names_the_offending_character_and_its_code_point() {
    let found = findings(&[entry("https://app.nhs.uk/c\u{200b}b\u{a0}", W)]);
    let message = &found[0].message;
    assert!(message.contains("U+200B ZERO WIDTH SPACE"), "{message}");
    assert!(message.contains("U+00A0 NO-BREAK SPACE"), "{message}");
    assert!(
        !message.contains('\u{200b}'),
        "invisible characters are not echoed: {message}"
    );
    let found = findings(&[entry("https://\u{430}pp.nhs.uk/cb", W)]);
    assert!(
        found[0]
            .message
            .contains("'\u{430}' (U+0430 CYRILLIC SMALL LETTER A, looks like 'a')"),
        "{}",
        found[0].message
    );
    let found = findings(&[entry("https://app.nhs.uk/cb ", W)]);
    assert!(
        found[0]
            .message
            .contains("' ' (U+0020 SPACE) at position 22"),
        "{}",
        found[0].message
    );
}

#[test]
fn never_echoes_userinfo() {
    let found = findings(&[entry("https://admin:s3cret@app.nhs.uk/cb", W)]);
    assert_eq!(found.len(), 1);
    assert!(!found[0].message.contains("s3cret") && !found[0].hint.contains("s3cret"));
}

#[test]
fn rejects_an_over_long_uri_once_and_examines_it_no_further() {
    let long = format!("http://evil example/{}#*", "x".repeat(300));
    let found = codes(&[entry(&long, W), entry(&long, W)]);
    assert_eq!(
        found,
        vec![
            ("redirect_uris[0].uri".to_string(), "redirect_uri.too_long"),
            ("redirect_uris[1].uri".to_string(), "redirect_uri.too_long"),
        ]
    );
}

#[test]
fn counts_length_in_characters_not_bytes() {
    let uri = format!("https://app.nhs.uk/{}", "é".repeat(200));
    assert_eq!(single(&uri, W), vec!["redirect_uri.non_ascii"]);
}

#[test]
fn rejects_more_than_256_uris_and_examines_only_the_first_256() {
    let mut uris: Vec<RedirectUri> = (0..MAX_REDIRECT_URIS)
        .map(|i| entry(&format!("https://app.nhs.uk/cb{i}"), W))
        .collect();
    uris.push(entry("https://app.nhs.uk/cb0#not-examined", W));
    uris.push(entry("https://app.nhs.uk/cb0", W));
    assert_eq!(
        codes(&uris),
        vec![("redirect_uris".to_string(), "redirect_uri.too_many")]
    );
    uris.truncate(MAX_REDIRECT_URIS);
    assert_eq!(codes(&uris), vec![]);
}

#[test]
fn list_rules_raise_their_codes_at_the_list() {
    type ListCase = (Vec<RedirectUri>, Vec<(&'static str, &'static str)>);
    let cases: Vec<ListCase> = vec![
        (
            vec![
                entry("https://app.nhs.uk/cb", W),
                entry("https://app.nhs.uk/cb", W),
            ],
            vec![("redirect_uris", "redirect_uri.duplicate")],
        ),
        (
            // The same URI on two platforms is still the same URI.
            vec![
                entry("https://app.nhs.uk/cb", W),
                entry("https://app.nhs.uk/cb", S),
            ],
            vec![("redirect_uris", "redirect_uri.duplicate")],
        ),
        (
            vec![
                entry("https://app.nhs.uk/cb", W),
                entry("HTTPS://App.NHS.uk/cb", W),
            ],
            vec![
                ("redirect_uris[1].uri", "redirect_uri.uppercase_scheme"),
                ("redirect_uris[1].uri", "redirect_uri.uppercase_host"),
                ("redirect_uris", "redirect_uri.duplicate_case"),
            ],
        ),
        (
            vec![
                entry("https://app.nhs.uk/callback", W),
                entry("https://app.nhs.uk/CallBack", W),
            ],
            vec![("redirect_uris", "redirect_uri.path_case")],
        ),
        (
            vec![
                entry("https://app.nhs.uk/cb", W),
                entry("https://APP.nhs.uk/CB", W),
            ],
            vec![
                ("redirect_uris[1].uri", "redirect_uri.uppercase_host"),
                ("redirect_uris", "redirect_uri.path_case"),
            ],
        ),
        (
            vec![
                entry("http://127.0.0.1:3000/cb", P),
                entry("http://127.0.0.1:3001/cb", P),
            ],
            vec![
                ("redirect_uris[0].uri", "redirect_uri.loopback_port"),
                ("redirect_uris[1].uri", "redirect_uri.loopback_port"),
                ("redirect_uris", "redirect_uri.loopback_port_variants"),
            ],
        ),
        (
            vec![
                entry("http://127.0.0.1/cb", P),
                entry("http://127.0.0.1:3001/cb", P),
            ],
            vec![
                ("redirect_uris[1].uri", "redirect_uri.loopback_port"),
                ("redirect_uris", "redirect_uri.loopback_port_variants"),
            ],
        ),
        (
            vec![
                entry("https://app.nhs.uk", W),
                entry("https://app.nhs.uk/", W),
            ],
            vec![("redirect_uris", "redirect_uri.trailing_slash_variants")],
        ),
        (
            vec![
                entry("https://app.nhs.uk/?x=1", S),
                entry("https://app.nhs.uk?x=1", S),
            ],
            vec![("redirect_uris", "redirect_uri.trailing_slash_variants")],
        ),
        (
            // Different hosts, ports off loopback, or paths are different URIs.
            vec![
                entry("https://app.nhs.uk/cb", W),
                entry("https://app.nhs.uk:8443/cb", W),
                entry("https://app2.nhs.uk/cb", W),
                entry("https://app.nhs.uk/cb2", W),
                entry("https://app.nhs.uk/cb/", W),
            ],
            vec![],
        ),
        (
            // Three copies: each later one is reported once.
            vec![
                entry("https://app.nhs.uk/cb", W),
                entry("https://app.nhs.uk/cb", W),
                entry("https://app.nhs.uk/cb", W),
            ],
            vec![
                ("redirect_uris", "redirect_uri.duplicate"),
                ("redirect_uris", "redirect_uri.duplicate"),
            ],
        ),
        (
            // Unparseable entries are still compared as typed.
            vec![entry("not a uri", W), entry("not a uri", W)],
            vec![
                ("redirect_uris[0].uri", "redirect_uri.not_absolute"),
                ("redirect_uris[0].uri", "redirect_uri.invalid_character"),
                ("redirect_uris[1].uri", "redirect_uri.not_absolute"),
                ("redirect_uris[1].uri", "redirect_uri.invalid_character"),
                ("redirect_uris", "redirect_uri.duplicate"),
            ],
        ),
    ];
    for (uris, expected) in cases {
        let found = codes(&uris);
        let expected: Vec<(String, &str)> = expected
            .into_iter()
            .map(|(p, c)| (p.to_string(), c))
            .collect();
        assert_eq!(found, expected, "{uris:?}");
    }
}

#[test]
fn duplicate_message_names_both_entries() {
    let found = findings(&[
        entry("https://app.nhs.uk/a", W),
        entry("https://app.nhs.uk/cb", W),
        entry("https://app.nhs.uk/cb", W),
    ]);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("Redirect URIs 2 and 3"),
        "{}",
        found[0].message
    );
}

#[test]
fn one_erroneous_entry_makes_the_request_invalid() {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
            .unwrap();
    let directory = crate::Directory::new(crate::EmbeddedDirectory::get());
    let now = time::macros::datetime!(2026-06-01 00:00 UTC);
    let before = crate::validate(&request, directory, now);
    assert!(
        !before
            .findings
            .iter()
            .any(|f| f.path.starts_with("redirect_uris")),
        "{:?}",
        before.findings
    );
    request
        .redirect_uris
        .push(entry("https://app.nhs.uk/cb#x", W));
    let after = crate::validate(&request, directory, now);
    assert!(!after.valid);
    assert!(
        after
            .findings
            .iter()
            .any(|f| f.path == "redirect_uris[1].uri" && f.code.code() == "redirect_uri.fragment")
    );
}

fn platform() -> impl Strategy<Value = Platform> {
    prop_oneof![Just(W), Just(S), Just(P)]
}

/// Mostly well-formed redirect URIs, so that many are accepted.
fn uri_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("https".to_string()),
        Just("http".to_string()),
        Just("brk-multihub".to_string()),
        Just("com.example.app".to_string()),
        "[a-zA-Z][a-zA-Z0-9+.-]{0,8}",
    ];
    let host = prop_oneof![
        Just("app.nhs.uk".to_string()),
        Just("127.0.0.1".to_string()),
        Just("localhost".to_string()),
        Just("[::1]".to_string()),
        "[a-z0-9-]{1,8}(\\.[a-z0-9-]{1,8}){0,3}",
        "[0-9x.]{1,12}",
    ];
    let port = prop_oneof![Just(String::new()), "(:[0-9]{0,6})"];
    let path = "(/[a-zA-Z0-9._~%-]{0,8}){0,3}";
    let query = prop_oneof![Just(String::new()), "\\?[a-z]{1,5}=[a-zA-Z0-9%:/.]{0,16}"];
    (scheme, prop::bool::ANY, host, port, path, query).prop_map(
        |(scheme, slashes, host, port, path, query)| {
            let sep = if slashes { "://" } else { ":" };
            format!("{scheme}{sep}{host}{port}{path}{query}")
        },
    )
}

/// URIs built to be accepted most of the time, with occasional rough edges.
fn mostly_accepted() -> impl Strategy<Value = (String, Platform)> {
    let segment = "[a-zA-Z0-9_~.-]{1,8}";
    let path = prop::collection::vec(segment, 0..4)
        .prop_map(|s| s.iter().map(|p| format!("/{p}")).collect::<String>());
    let query = prop_oneof![Just(String::new()), "\\?[a-z]{1,5}=[a-zA-Z0-9%.]{0,10}"];
    let web = (
        "[a-z][a-z0-9-]{0,6}(\\.[a-z][a-z0-9-]{0,6}){0,2}",
        path.clone(),
        query.clone(),
        prop_oneof![Just(W), Just(S), Just(P)],
    )
        .prop_map(|(host, path, query, platform)| {
            (format!("https://{host}.nhs.uk{path}{query}"), platform)
        });
    let loopback = (
        prop_oneof![Just("127.0.0.1"), Just("localhost")],
        "(:[1-9][0-9]{0,3})?",
        path.clone(),
    )
        .prop_map(|(host, port, path)| (format!("http://{host}{port}{path}"), P));
    let native =
        ("[a-z]{1,6}\\.[a-z]{1,6}", prop::bool::ANY, path).prop_map(|(scheme, slashes, path)| {
            (
                format!("com.{scheme}:{}{path}", if slashes { "//cb" } else { "" }),
                P,
            )
        });
    prop_oneof![3 => web, 1 => loopback, 1 => native, 1 => (uri_like(), platform())]
}

fn has_error(found: &[Finding]) -> bool {
    found.iter().any(|f| f.severity == Severity::Error)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(uri in any::<String>(), platform in platform()) {
        let _ = findings(&[entry(&uri, platform), entry(&uri, platform)]);
    }

    #[test]
    fn uri_like_strings_never_panic(uri in uri_like(), noise in "[\\PC\\s]{0,4}", at in 0usize..40, platform in platform()) {
        let mut noisy = uri.clone();
        let at = (0..=at.min(noisy.len())).rev().find(|&i| noisy.is_char_boundary(i)).unwrap_or(0);
        noisy.insert_str(at, &noise);
        let _ = findings(&[entry(&uri, platform), entry(&noisy, platform)]);
    }

    #[test]
    fn an_accepted_uri_stays_accepted((uri, platform) in mostly_accepted()) {
        let alone = findings(&[entry(&uri, platform)]);
        prop_assume!(!has_error(&alone));
        // Validated again: the same findings.
        prop_assert_eq!(&findings(&[entry(&uri, platform)]), &alone);
        // In a list of other, distinct accepted URIs: the same findings at its own path.
        let list = [
            entry("https://other-1.nhs.uk/cb", W),
            entry("https://other-2.nhs.uk/cb", S),
            entry(&uri, platform),
        ];
        let in_list: Vec<Finding> = findings(&list)
            .into_iter()
            .filter(|f| f.path == "redirect_uris[2].uri")
            .map(|mut f| { f.path = "redirect_uris[0].uri".into(); f })
            .collect();
        prop_assert_eq!(&in_list, &alone);
        prop_assert!(!has_error(&findings(&list)));
    }
}
