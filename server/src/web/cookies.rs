//! The desk's cookies: their names, attributes and reading, in one place.
//!
//! Every cookie is `HttpOnly` and `Path=/`. When the desk is reached over https (its public URL),
//! each is also `Secure` and its name carries the `__Host-` prefix (RFC 6265bis §4.1.3.2): a
//! browser then accepts it only from this exact host over https, without a `Domain`, so neither
//! a sibling subdomain nor a network attacker on plain http can plant or overwrite it. Over plain
//! http (a desk on localhost) browsers refuse `__Host-` cookies, so the bare name is used.

use axum::http::{HeaderMap, HeaderValue, header};

/// How the desk's cookies are written: over https (`Secure`, `__Host-` names) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    secure: bool,
}

/// One of the desk's cookies, by its bare name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cookie {
    /// The sign-in session (`appreg_session`): until the browser closes.
    Session,
    /// A browser that signed in before (`appreg_device`, OWASP device cookie): lasts a year.
    Device,
    /// The sign-in form's CSRF token before there is a session (`appreg_sign_in`).
    SignInForm,
    /// A registration form posted after its session ended, kept until this browser signs in
    /// again (`appreg_parked`; `store::parked_forms`): a day.
    ParkedForm,
    /// Ties a sign-in begun at the OpenID provider to this browser (`appreg_nhsmail`;
    /// `identity::oidc`): ten minutes. `Lax`, because the provider sends the browser back with
    /// a cross-site top-level navigation.
    NhsmailSignIn,
}

impl Cookie {
    /// The name without the `__Host-` prefix.
    pub const fn bare_name(self) -> &'static str {
        match self {
            Cookie::Session => "appreg_session",
            Cookie::Device => "appreg_device",
            Cookie::SignInForm => "appreg_sign_in",
            Cookie::ParkedForm => "appreg_parked",
            Cookie::NhsmailSignIn => "appreg_nhsmail",
        }
    }

    const fn host_name(self) -> &'static str {
        match self {
            Cookie::Session => "__Host-appreg_session",
            Cookie::Device => "__Host-appreg_device",
            Cookie::SignInForm => "__Host-appreg_sign_in",
            Cookie::ParkedForm => "__Host-appreg_parked",
            Cookie::NhsmailSignIn => "__Host-appreg_nhsmail",
        }
    }

    /// How long the browser keeps it, in seconds (`None`: until the browser closes).
    const fn max_age(self) -> Option<u32> {
        match self {
            Cookie::Session => None,
            Cookie::Device => Some(365 * 24 * 60 * 60),
            Cookie::SignInForm => Some(2 * 60 * 60),
            Cookie::ParkedForm => Some(24 * 60 * 60),
            Cookie::NhsmailSignIn => Some(10 * 60),
        }
    }

    /// Which cross-site requests carry it. The device, sign-in form and parked form cookies are
    /// only ever needed by the sign-in form's own same-origin post, so they are `Strict`; the
    /// session is `Lax`, so that a link to a request page from an email opens it signed in.
    const fn same_site(self) -> &'static str {
        match self {
            Cookie::Session | Cookie::NhsmailSignIn => "Lax",
            Cookie::Device | Cookie::SignInForm | Cookie::ParkedForm => "Strict",
        }
    }
}

impl CookiePolicy {
    /// The policy for a desk whose public URL is `public_url`.
    pub fn for_public_url(public_url: &str) -> CookiePolicy {
        CookiePolicy {
            secure: public_url.starts_with("https://"),
        }
    }

    /// Whether cookies are `Secure` with `__Host-` names.
    pub const fn is_secure(self) -> bool {
        self.secure
    }

    /// The cookie's name under this policy.
    pub const fn name(self, cookie: Cookie) -> &'static str {
        if self.secure {
            cookie.host_name()
        } else {
            cookie.bare_name()
        }
    }

    /// The `Set-Cookie` value that stores `value` (base64url or hex: always a valid header).
    pub fn set(self, cookie: Cookie, value: &str) -> HeaderValue {
        let max_age = cookie
            .max_age()
            .map(|seconds| format!("; Max-Age={seconds}"))
            .unwrap_or_default();
        self.header(cookie, value, &max_age)
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn clear(self, cookie: Cookie) -> HeaderValue {
        self.header(
            cookie,
            "",
            "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        )
    }

    fn header(self, cookie: Cookie, value: &str, extra: &str) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; HttpOnly; SameSite={}; Path=/{secure}{extra}",
            self.name(cookie),
            cookie.same_site(),
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("appreg_invalid=; Path=/; Max-Age=0"))
    }

    /// The cookie's value in the request's `Cookie` headers, if present and not empty. Under the
    /// https policy only the `__Host-` name counts: a bare-named cookie could have been planted.
    pub fn read(self, headers: &HeaderMap, cookie: Cookie) -> Option<String> {
        let wanted = self.name(cookie);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == wanted)
            .map(|(_, value)| value.trim_matches('"').to_string())
            .filter(|value| !value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_https_cookies_are_secure_host_cookies_and_over_http_plain() {
        let https = CookiePolicy::for_public_url("https://appreg.example.nhs.uk");
        assert_eq!(
            https.set(Cookie::Session, "abc"),
            "__Host-appreg_session=abc; HttpOnly; SameSite=Lax; Path=/; Secure"
        );
        assert_eq!(
            https.set(Cookie::Device, "d"),
            "__Host-appreg_device=d; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=31536000"
        );
        let http = CookiePolicy::for_public_url("http://127.0.0.1:3000");
        assert_eq!(
            http.set(Cookie::Session, "abc"),
            "appreg_session=abc; HttpOnly; SameSite=Lax; Path=/"
        );
        assert!(
            http.clear(Cookie::Session)
                .to_str()
                .unwrap()
                .starts_with("appreg_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0")
        );
    }

    #[test]
    fn reads_only_the_policys_name_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; appreg_session=planted; __Host-appreg_session=real"),
        );
        let https = CookiePolicy::for_public_url("https://desk");
        let http = CookiePolicy::for_public_url("http://desk");
        assert_eq!(
            https.read(&headers, Cookie::Session).as_deref(),
            Some("real")
        );
        assert_eq!(
            http.read(&headers, Cookie::Session).as_deref(),
            Some("planted")
        );
        assert_eq!(http.read(&headers, Cookie::Device), None);
        let mut empty = HeaderMap::new();
        empty.append(header::COOKIE, HeaderValue::from_static("appreg_session="));
        assert_eq!(http.read(&empty, Cookie::Session), None);
    }
}
