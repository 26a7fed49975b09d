//! The registration request as a Local Administrator submits it (CONTRACTS.md §1).
//!
//! Unknown fields are rejected at every depth so that a typo never passes silently.
//! Required fields and JSON types are enforced by serde; everything else (empty
//! strings, empty lists, bad values) is a request, and the report says what is wrong.

use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::limits::{MAX_SECRET_MONTHS, MIN_SECRET_MONTHS};

/// The bounds of `limits.rs` as `validator`'s length check takes them (`u64`).
mod bound {
    use crate::limits;
    pub const MAX_CERTIFICATES: u64 = limits::MAX_CERTIFICATES as u64;
    pub const MAX_CONTACTS: u64 = limits::MAX_CONTACTS as u64;
    pub const MAX_DESCRIPTION_CHARS: u64 = limits::MAX_DESCRIPTION_CHARS as u64;
    pub const MAX_MAILBOXES: u64 = limits::MAX_MAILBOXES as u64;
    pub const MAX_NAME_CHARS: u64 = limits::MAX_NAME_CHARS as u64;
    pub const MAX_PERMISSIONS: u64 = limits::MAX_PERMISSIONS as u64;
    pub const MAX_PERMISSION_VALUE_CHARS: u64 = limits::MAX_PERMISSION_VALUE_CHARS as u64;
    pub const MAX_REDIRECT_URIS: u64 = limits::MAX_REDIRECT_URIS as u64;
    pub const MAX_TOKEN_ENDPOINT_URIS: u64 = limits::MAX_TOKEN_ENDPOINT_URIS as u64;
}

/// One request to register an application in the NHSmail tenant. Its field-level bounds are
/// declared here (`#[validate]`) and read by the rules through [`crate::bounds`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// The requesting organisation's ODS code, as typed.
    pub ods_code: String,
    /// What the application is and who supplies it.
    pub application: Application,
    /// Delegated (a user signs in) or application (app-only) access.
    pub access_type: AccessType,
    /// The Entra permissions the application asks for.
    #[validate(length(max = bound::MAX_PERMISSIONS))]
    pub permissions: Vec<PermissionRequest>,
    /// Mailboxes the application will use; they must belong to the organisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[validate(length(max = bound::MAX_MAILBOXES))]
    pub mailboxes: Vec<String>,
    /// Redirect (reply) URIs with their Entra platform.
    #[validate(length(max = bound::MAX_REDIRECT_URIS))]
    pub redirect_uris: Vec<RedirectUri>,
    /// Token endpoint URIs the application will call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[validate(length(max = bound::MAX_TOKEN_ENDPOINT_URIS))]
    pub token_endpoint_uris: Vec<String>,
    /// Uploaded public certificates for certificate-based client authentication.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[validate(length(max = bound::MAX_CERTIFICATES))]
    pub certificates: Vec<CertificateUpload>,
    /// Present when the application asks for a client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<ClientSecret>,
    /// Mail-enabled security group that scopes app-only mailbox access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_policy_group: Option<String>,
    /// People to contact about this registration.
    #[validate(length(max = bound::MAX_CONTACTS))]
    pub contacts: Vec<Contact>,
}

/// The application's name, description and supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Display name in Entra.
    #[validate(length(max = bound::MAX_NAME_CHARS))]
    pub name: String,
    /// What the application does with NHSmail.
    #[validate(length(max = bound::MAX_DESCRIPTION_CHARS))]
    pub description: String,
    /// Who builds or sells the application.
    #[validate(length(max = bound::MAX_NAME_CHARS))]
    pub supplier: String,
}

/// How the application reaches NHSmail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessType {
    /// A user signs in (authorization code flow).
    Delegated,
    /// App-only (client credentials flow).
    Application,
}

/// The two kinds of Entra permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PermissionType {
    /// An OAuth2 scope (`"Scope"` in the manifest).
    Delegated,
    /// An app role (`"Role"` in the manifest).
    Application,
}

/// One requested permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PermissionRequest {
    /// `graph`, `exchange` or a resource appId GUID; left out, the catalogue decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The permission's value, e.g. `Mail.Send`.
    #[validate(length(max = bound::MAX_PERMISSION_VALUE_CHARS))]
    pub value: String,
    /// Delegated scope or application role.
    #[serde(rename = "type")]
    pub permission_type: PermissionType,
}

/// Entra's redirect URI platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Server-side web application.
    Web,
    /// Single-page application (PKCE in the browser).
    Spa,
    /// Mobile and desktop applications.
    PublicClient,
}

/// One redirect URI and its platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RedirectUri {
    /// The URI exactly as typed (never trimmed or normalised before validation).
    pub uri: String,
    /// The Entra platform it is registered under.
    pub platform: Platform,
}

/// An uploaded certificate file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CertificateUpload {
    /// The file name as uploaded (informational only: the bytes decide what it is).
    #[validate(length(max = bound::MAX_NAME_CHARS))]
    pub file_name: String,
    /// The file's raw bytes, base64 (standard alphabet, padded).
    pub content_base64: String,
}

/// A client secret request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientSecret {
    /// How long the secret lives, 1–24 months.
    #[validate(range(min = MIN_SECRET_MONTHS, max = MAX_SECRET_MONTHS))]
    pub lifetime_months: i64,
}

/// A person to contact about the registration. The email address is checked by the mailbox
/// syntax rules (RULES.md), which say what is wrong, not by a generic email check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Full name.
    #[validate(length(max = bound::MAX_NAME_CHARS))]
    pub name: String,
    /// Email address.
    pub email: String,
}

/// Why some input is not a registration request at all (exit 2 / HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotARequest {
    /// The field path where parsing failed (`redirect_uris[0].platform`), empty at the top.
    pub path: String,
    /// What is wrong, in plain English.
    pub message: String,
}

impl std::fmt::Display for NotARequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for NotARequest {}

impl RegistrationRequest {
    /// Parses a request from JSON, naming the failing field's path on error.
    pub fn from_json(json: &str) -> Result<Self, NotARequest> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|error| NotARequest {
            path: String::new(),
            message: plain_serde_message(&error),
        })?;
        require_objects(&value)?;
        serde_path_to_error::deserialize(&value).map_err(|error| NotARequest {
            path: error.path().to_string(),
            message: plain_serde_message(error.inner()),
        })
    }
}

/// Serde's derived structs also accept JSON arrays (fields by position); a request must use
/// objects everywhere a struct is expected, so that every value is named.
fn require_objects(value: &serde_json::Value) -> Result<(), NotARequest> {
    fn object(value: &serde_json::Value, path: &str) -> Result<(), NotARequest> {
        if value.is_object() {
            Ok(())
        } else {
            Err(NotARequest {
                path: path.to_string(),
                message: format!("expected a JSON object, found {}", json_kind(value)),
            })
        }
    }
    object(value, "")?;
    if let Some(application) = value.get("application") {
        object(application, "application")?;
    }
    if let Some(secret) = value.get("client_secret").filter(|v| !v.is_null()) {
        object(secret, "client_secret")?;
    }
    for list in ["permissions", "redirect_uris", "certificates", "contacts"] {
        if let Some(items) = value.get(list).and_then(serde_json::Value::as_array) {
            for (index, item) in items.iter().enumerate() {
                object(item, &format!("{list}[{index}]"))?;
            }
        }
    }
    Ok(())
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Turns serde_json's wording into something a person reads, without the line/column noise.
fn plain_serde_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text,
    };
    match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => format!(
            "the body is not valid JSON ({text}, line {} column {})",
            error.line(),
            error.column()
        ),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = include_str!("../tests/data/delegated_request.json");

    fn error(json: &str) -> NotARequest {
        RegistrationRequest::from_json(json).unwrap_err()
    }

    #[test]
    fn parses_the_contract_example_shape() {
        let request = RegistrationRequest::from_json(VALID).unwrap();
        assert_eq!(request.ods_code, "RX1");
        assert_eq!(request.access_type, AccessType::Delegated);
        assert_eq!(request.redirect_uris[0].platform, Platform::Web);
    }

    #[test]
    fn rejects_arrays_where_objects_belong_naming_the_path() {
        assert_eq!(
            error("[]").message,
            "expected a JSON object, found an array"
        );
        let json = VALID.replace(
            "{ \"name\": \"Jo Bloggs\", \"email\": \"jo.bloggs@nhs.net\" }",
            "[\"Jo Bloggs\", \"jo.bloggs@nhs.net\"]",
        );
        assert_eq!(error(&json).path, "contacts[0]");
    }

    #[test]
    fn names_the_path_of_unknown_missing_and_mistyped_fields() {
        let unknown = VALID.replace("\"supplier\"", "\"suplier\"");
        let e = error(&unknown);
        assert_eq!(e.path, "application.suplier");
        assert!(e.message.contains("unknown field `suplier`"), "{e}");
        let mistyped = VALID.replace("\"platform\": \"web\"", "\"platform\": 3");
        assert_eq!(error(&mistyped).path, "redirect_uris[0].platform");
        let missing = VALID.replace("\"access_type\": \"delegated\",", "");
        assert!(
            error(&missing)
                .message
                .contains("missing field `access_type`")
        );
    }

    #[test]
    fn reports_syntax_errors_with_their_position() {
        let e = error("{\n  \"ods_code\": \"RX1\",,\n}");
        assert!(e.message.starts_with("the body is not valid JSON"), "{e}");
        assert!(e.message.contains("line 2"), "{e}");
    }

    #[test]
    fn empty_strings_and_lists_are_still_a_request() {
        let json = r#"{"ods_code":"","application":{"name":"","description":"","supplier":""},
            "access_type":"delegated","permissions":[],"redirect_uris":[],"contacts":[]}"#;
        assert!(RegistrationRequest::from_json(json).is_ok());
    }
}
