//! The bounds on every string and list, checked before any expensive rule.
//!
//! Over a bound is one error finding on that field, and the excess is not examined.

/// Entra's limit on redirect URIs per application.
pub const MAX_REDIRECT_URIS: usize = 256;
/// Entra's limit on one redirect URI's length.
pub const MAX_URI_CHARS: usize = 256;
/// Token endpoint URIs per request.
pub const MAX_TOKEN_ENDPOINT_URIS: usize = 16;
/// Permissions per request (Entra allows 400 resource accesses across resources; 200 is ample for mail).
pub const MAX_PERMISSIONS: usize = 200;
/// Characters in one permission value, before any "did you mean" search.
pub const MAX_PERMISSION_VALUE_CHARS: usize = 128;
/// Mailboxes per request.
pub const MAX_MAILBOXES: usize = 500;
/// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including angle brackets, so an address 254.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Certificates per request.
pub const MAX_CERTIFICATES: usize = 10;
/// Decoded certificate file size.
pub const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;
/// The largest RSA key (modulus bits) the desk accepts, and so the most RSA work one certificate
/// can cost: a 16384-bit key takes about eight times as long to check as an 8192-bit one.
pub const MAX_RSA_BITS: usize = 8192;
/// The shortest and longest client secret lifetime, in months (NHSmail issues 1 to 24).
pub const MIN_SECRET_MONTHS: i64 = 1;
/// See [`MIN_SECRET_MONTHS`].
pub const MAX_SECRET_MONTHS: i64 = 24;
/// Contacts per request.
pub const MAX_CONTACTS: usize = 20;
/// Application name, supplier, contact name, file name.
pub const MAX_NAME_CHARS: usize = 256;
/// Application description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// ODS code as typed (the longest real code is 9 characters).
pub const MAX_ODS_CODE_CHARS: usize = 32;
