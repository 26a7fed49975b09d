//! Microsoft Entra's own redirect URI forms for mobile and desktop clients. MSAL and the
//! Entra portal generate these; they are accepted as they are although most of their schemes
//! are not reverse-DNS.

use super::syntax::Uri;

/// One of Entra's native-client forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NativeForm {
    /// `msal<client-id>://auth` (MSAL.NET, MSAL Android/iOS older templates).
    MsalClientId,
    /// `msauth.<bundle-id>://auth` (MSAL for iOS and macOS).
    MsauthBundle,
    /// `msauth://<package>/<signature-hash>` (MSAL for Android, broker).
    MsauthAndroid,
    /// `https://login.microsoftonline.com/common/oauth2/nativeclient`.
    NativeClient,
    /// `ms-appx-web://microsoft.aad.brokerplugin/<client-id>` (Windows WAM broker).
    BrokerPlugin,
}

/// What a URI is with respect to the native forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recognised<'a> {
    Form(NativeForm),
    /// The shape of a native form with a placeholder where the client ID belongs.
    Placeholder(&'a str),
    Other,
}

/// Recognises Entra's native forms on the parsed raw URI.
pub(crate) fn recognise<'a>(uri: &Uri<'a>) -> Recognised<'a> {
    let Some(authority) = uri
        .authority
        .as_ref()
        .filter(|a| a.userinfo.is_none() && a.port.is_none())
    else {
        return Recognised::Other;
    };
    let host = authority.host;
    let scheme = uri.scheme;
    let bare = uri.path.is_empty() && uri.query.is_none();

    if uri.scheme_is("msauth") {
        let is_android = uri.query.is_none()
            && is_android_package(host)
            && uri.path.strip_prefix('/').is_some_and(is_signature_hash);
        return if is_android {
            Recognised::Form(NativeForm::MsauthAndroid)
        } else {
            Recognised::Other
        };
    }
    if starts_with_ignore_case(scheme, "msauth.") {
        return if bare && host.eq_ignore_ascii_case("auth") && scheme.len() > "msauth.".len() {
            Recognised::Form(NativeForm::MsauthBundle)
        } else {
            Recognised::Other
        };
    }
    if starts_with_ignore_case(scheme, "msal") && bare && host.eq_ignore_ascii_case("auth") {
        let client_id = scheme.get(4..).unwrap_or("");
        return if is_guid(client_id) {
            Recognised::Form(NativeForm::MsalClientId)
        } else if client_id.contains('.') {
            Recognised::Other
        } else if client_id.is_empty() {
            Recognised::Placeholder(scheme)
        } else {
            Recognised::Placeholder(client_id)
        };
    }
    if uri.scheme_is("ms-appx-web")
        && host.eq_ignore_ascii_case("microsoft.aad.brokerplugin")
        && uri.query.is_none()
    {
        return match uri.path.strip_prefix('/') {
            Some(id) if is_guid(id) => Recognised::Form(NativeForm::BrokerPlugin),
            Some(id) if !id.is_empty() && !id.contains('/') => Recognised::Placeholder(id),
            _ => Recognised::Other,
        };
    }
    if uri.scheme_is("https")
        && host.eq_ignore_ascii_case("login.microsoftonline.com")
        && uri.path == "/common/oauth2/nativeclient"
        && uri.query.is_none()
    {
        return Recognised::Form(NativeForm::NativeClient);
    }
    Recognised::Other
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal.
pub(crate) fn is_guid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// An Android application ID: two or more dot-separated parts, each a letter then letters,
/// digits or underscores.
fn is_android_package(host: &str) -> bool {
    host.contains('.')
        && host.split('.').all(|part| {
            let mut bytes = part.bytes();
            bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// The base64 SHA-1 of the signing certificate, as the Entra portal writes it (URL-encoded
/// `+`, `/` and `=`, or raw `+` and `=`).
fn is_signature_hash(text: &str) -> bool {
    let mut rest = text;
    let mut count = 0;
    while !rest.is_empty() {
        let step = match rest.as_bytes().first() {
            Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'=' | b'_' | b'-') => 1,
            Some(b'%')
                if rest.get(1..3).is_some_and(|hex| {
                    ["2B", "2F", "3D"]
                        .iter()
                        .any(|code| hex.eq_ignore_ascii_case(code))
                }) =>
            {
                3
            }
            _ => return false,
        };
        rest = rest.get(step..).unwrap_or("");
        count += 1;
    }
    (20..=64).contains(&count)
}
