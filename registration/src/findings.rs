//! Findings: what the validator says about a request, each with a stable code.
//!
//! Every code is declared once, beside its variant, with its default severity, the reason
//! the rule exists and its source (the findings catalogue, `docs/findings.md`, is generated
//! from these declarations). Each area of rules owns its own code enum in its own module;
//! [`FindingCode`] gathers them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Submittable; the reviewer sees it.
    Warning,
    /// Blocks submission.
    Error,
}

impl Severity {
    /// The word used in JSON and in the catalogue.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Declares one area's finding codes: `Variant => ("area.rule", Severity, "why", "source")`.
#[macro_export]
macro_rules! finding_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => ($code:literal, $severity:ident, $why:literal, $source:literal) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),*
        }

        impl $name {
            /// Every code of this area, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),* ];

            /// The stable dotted code, e.g. `redirect_uri.fragment`.
            pub const fn code(self) -> &'static str {
                match self { $( $name::$variant => $code ),* }
            }

            /// The severity this code has unless the rule says otherwise.
            pub const fn default_severity(self) -> $crate::Severity {
                match self { $( $name::$variant => $crate::Severity::$severity ),* }
            }

            /// One line: why the rule exists.
            pub const fn why(self) -> &'static str {
                match self { $( $name::$variant => $why ),* }
            }

            /// Where the rule comes from.
            pub const fn source(self) -> &'static str {
                match self { $( $name::$variant => $source ),* }
            }
        }
    };
}

use crate::draft::DraftCode;
use crate::rules::{
    certificate::CertificateCode, cross_field::RequestCode, mailbox::MailboxCode, ods::OdsCode,
    permission::PermissionCode, redirect_uri::RedirectUriCode, token_endpoint::TokenEndpointCode,
};

/// Any finding code, from any area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingCode {
    /// ODS code rules.
    Ods(OdsCode),
    /// Mailbox rules.
    Mailbox(MailboxCode),
    /// Permission rules.
    Permission(PermissionCode),
    /// Redirect URI rules.
    RedirectUri(RedirectUriCode),
    /// Token endpoint URI rules.
    TokenEndpoint(TokenEndpointCode),
    /// Certificate rules.
    Certificate(CertificateCode),
    /// Cross-field and whole-request rules.
    Request(RequestCode),
    /// Form values that cannot become part of a request.
    Draft(DraftCode),
}

macro_rules! delegate {
    ($self:ident, $method:ident) => {
        match $self {
            FindingCode::Ods(c) => c.$method(),
            FindingCode::Mailbox(c) => c.$method(),
            FindingCode::Permission(c) => c.$method(),
            FindingCode::RedirectUri(c) => c.$method(),
            FindingCode::TokenEndpoint(c) => c.$method(),
            FindingCode::Certificate(c) => c.$method(),
            FindingCode::Request(c) => c.$method(),
            FindingCode::Draft(c) => c.$method(),
        }
    };
}

impl FindingCode {
    /// The stable dotted code.
    pub const fn code(self) -> &'static str {
        delegate!(self, code)
    }
    /// The severity unless the rule says otherwise.
    pub const fn default_severity(self) -> Severity {
        delegate!(self, default_severity)
    }
    /// Why the rule exists.
    pub const fn why(self) -> &'static str {
        delegate!(self, why)
    }
    /// Where the rule comes from.
    pub const fn source(self) -> &'static str {
        delegate!(self, source)
    }

    /// Every code the validator can raise, area by area.
    pub fn all() -> impl Iterator<Item = FindingCode> {
        OdsCode::ALL
            .iter()
            .map(|&c| FindingCode::Ods(c))
            .chain(MailboxCode::ALL.iter().map(|&c| FindingCode::Mailbox(c)))
            .chain(
                PermissionCode::ALL
                    .iter()
                    .map(|&c| FindingCode::Permission(c)),
            )
            .chain(
                RedirectUriCode::ALL
                    .iter()
                    .map(|&c| FindingCode::RedirectUri(c)),
            )
            .chain(
                TokenEndpointCode::ALL
                    .iter()
                    .map(|&c| FindingCode::TokenEndpoint(c)),
            )
            .chain(
                CertificateCode::ALL
                    .iter()
                    .map(|&c| FindingCode::Certificate(c)),
            )
            .chain(RequestCode::ALL.iter().map(|&c| FindingCode::Request(c)))
            .chain(DraftCode::ALL.iter().map(|&c| FindingCode::Draft(c)))
    }

    /// Looks a code up by its dotted name.
    pub fn from_code(code: &str) -> Option<FindingCode> {
        FindingCode::all().find(|c| c.code() == code)
    }
}

macro_rules! from_area {
    ($($area:ident => $variant:ident),*) => {
        $(impl From<$area> for FindingCode {
            fn from(code: $area) -> Self { FindingCode::$variant(code) }
        })*
    };
}
from_area!(OdsCode => Ods, MailboxCode => Mailbox, PermissionCode => Permission,
    RedirectUriCode => RedirectUri, TokenEndpointCode => TokenEndpoint,
    CertificateCode => Certificate, RequestCode => Request, DraftCode => Draft);

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for FindingCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for FindingCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        FindingCode::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code '{code}'")))
    }
}

/// One thing the validator says about one place in the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// Where it belongs, in the request's own field names (`redirect_uris[3].uri`).
    pub path: String,
    /// The stable code.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "redirect_uri.fragment"))]
    pub code: FindingCode,
    /// Error blocks submission; warning does not.
    pub severity: Severity,
    /// What is wrong, for a Local Administrator.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Finding {
    /// A finding with the code's default severity.
    pub fn new(
        code: impl Into<FindingCode>,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let code = code.into();
        Finding {
            path: path.into(),
            code,
            severity: code.default_severity(),
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The same finding with another severity (for rules whose severity depends on time).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// Renders the findings catalogue (docs/findings.md) from the code declarations.
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "# Findings catalogue\n\n\
         Generated from the code declarations in `registration/src/rules/` \
         (`cargo run -p server -- findings > docs/findings.md`; a test fails when this file is stale).\n\
         Every finding the validator raises has one of these codes. The severity is the default; a rule \
         may say otherwise (noted in the reason).\n\n\
         | code | severity | why the rule exists | source |\n|---|---|---|---|\n",
    );
    for code in FindingCode::all() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            code.code(),
            code.default_severity().as_str(),
            code.why().replace('|', "\\|"),
            code.source().replace('|', "\\|"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_unique_dotted_and_under_its_area() {
        let mut seen = HashSet::new();
        for code in FindingCode::all() {
            let text = code.code();
            assert!(seen.insert(text), "duplicate code {text}");
            let (area, rule) = text.split_once('.').expect("dotted");
            assert!(!area.is_empty() && !rule.is_empty(), "{text}");
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
                "{text} is not snake_case"
            );
            assert!(
                !code.why().is_empty() && !code.source().is_empty(),
                "{text} lacks why/source"
            );
        }
    }

    #[test]
    fn codes_fixed_by_the_contract_exist() {
        assert!(FindingCode::from_code("ods_code.format").is_some());
        assert!(FindingCode::from_code("ods_code.unknown").is_some());
    }

    #[test]
    fn codes_round_trip_through_json() {
        for code in FindingCode::all() {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<FindingCode>(&json).unwrap(), code);
        }
    }
}
