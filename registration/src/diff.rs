//! What changed between two versions of a request: the reviewer's "Changed since version n".
//!
//! Scalars are compared as they were typed; list items are compared as sets, by what makes an
//! item the same item (a permission by resource, value and type; a redirect URI by URI and
//! platform; a certificate by its SHA-1 thumbprint, or by its bytes when it cannot be read; a
//! contact by name and email), and reported as added or removed. Renaming a certificate file
//! whose bytes are unchanged is not a change: Entra keys a certificate by its thumbprint.
//!
//! Pure and clock-free like the rest of the crate.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::request::{AccessType, PermissionType, Platform};
use crate::rules::certificate;
use crate::{CertificateUpload, RegistrationRequest};

/// How a field changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A value that is in both versions, with another value.
    Changed,
    /// A value (or list item) only the new version has.
    Added,
    /// A value (or list item) only the old version has.
    Removed,
}

/// One difference between two versions of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The request's field name (`application.name`, `permissions`, `client_secret.lifetime_months`).
    pub path: String,
    /// Changed, added or removed.
    pub kind: ChangeKind,
    /// The old version's value (`None` when added).
    pub old: Option<String>,
    /// The new version's value (`None` when removed).
    pub new: Option<String>,
}

/// Every difference from `old` to `new`, in the order of the request's fields; list items
/// removed come before those added, each in its version's order. Empty when nothing changed.
/// `now` is only used to read certificates (one the rules refuse at `now`, such as an expired
/// one, is keyed by its bytes and shown by its file name).
pub fn diff(
    old: &RegistrationRequest,
    new: &RegistrationRequest,
    now: OffsetDateTime,
) -> Vec<Change> {
    let mut changes = Vec::new();
    scalar(
        &mut changes,
        "ods_code",
        Some(old.ods_code.clone()),
        Some(new.ods_code.clone()),
    );
    scalar(
        &mut changes,
        "application.name",
        Some(old.application.name.clone()),
        Some(new.application.name.clone()),
    );
    scalar(
        &mut changes,
        "application.description",
        Some(old.application.description.clone()),
        Some(new.application.description.clone()),
    );
    scalar(
        &mut changes,
        "application.supplier",
        Some(old.application.supplier.clone()),
        Some(new.application.supplier.clone()),
    );
    scalar(
        &mut changes,
        "access_type",
        Some(access_type_text(old.access_type).to_string()),
        Some(access_type_text(new.access_type).to_string()),
    );
    let permissions = |request: &RegistrationRequest| -> Vec<(String, String)> {
        request
            .permissions
            .iter()
            .map(|p| {
                let resource = p
                    .resource
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_ascii_lowercase);
                let kind = match p.permission_type {
                    PermissionType::Delegated => "delegated",
                    PermissionType::Application => "application",
                };
                let shown = match &resource {
                    Some(resource) => format!("{} ({kind}, {resource})", p.value),
                    None => format!("{} ({kind})", p.value),
                };
                (
                    format!(
                        "{}\u{0}{}\u{0}{kind}",
                        resource.unwrap_or_default(),
                        p.value
                    ),
                    shown,
                )
            })
            .collect()
    };
    items(
        &mut changes,
        "permissions",
        permissions(old),
        permissions(new),
    );
    let mailboxes = |request: &RegistrationRequest| -> Vec<(String, String)> {
        request
            .mailboxes
            .iter()
            .map(|m| (m.trim().to_lowercase(), m.clone()))
            .collect()
    };
    items(&mut changes, "mailboxes", mailboxes(old), mailboxes(new));
    let redirect_uris = |request: &RegistrationRequest| -> Vec<(String, String)> {
        request
            .redirect_uris
            .iter()
            .map(|r| {
                let platform = platform_text(r.platform);
                (
                    format!("{}\u{0}{platform}", r.uri),
                    format!("{} ({platform})", r.uri),
                )
            })
            .collect()
    };
    items(
        &mut changes,
        "redirect_uris",
        redirect_uris(old),
        redirect_uris(new),
    );
    let token_endpoints = |request: &RegistrationRequest| -> Vec<(String, String)> {
        request
            .token_endpoint_uris
            .iter()
            .map(|uri| (uri.clone(), uri.clone()))
            .collect()
    };
    items(
        &mut changes,
        "token_endpoint_uris",
        token_endpoints(old),
        token_endpoints(new),
    );
    items(
        &mut changes,
        "certificates",
        certificates(&old.certificates, now),
        certificates(&new.certificates, now),
    );
    scalar(
        &mut changes,
        "client_secret.lifetime_months",
        old.client_secret.map(|s| s.lifetime_months.to_string()),
        new.client_secret.map(|s| s.lifetime_months.to_string()),
    );
    scalar(
        &mut changes,
        "access_policy_group",
        old.access_policy_group_given().map(str::to_string),
        new.access_policy_group_given().map(str::to_string),
    );
    let contacts = |request: &RegistrationRequest| -> Vec<(String, String)> {
        request
            .contacts
            .iter()
            .map(|c| {
                (
                    format!("{}\u{0}{}", c.name, c.email.trim().to_lowercase()),
                    format!("{} <{}>", c.name, c.email),
                )
            })
            .collect()
    };
    items(&mut changes, "contacts", contacts(old), contacts(new));
    changes
}

fn scalar(changes: &mut Vec<Change>, path: &str, old: Option<String>, new: Option<String>) {
    if old == new {
        return;
    }
    let kind = match (&old, &new) {
        (None, _) => ChangeKind::Added,
        (_, None) => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    };
    changes.push(Change {
        path: path.to_string(),
        kind,
        old,
        new,
    });
}

/// Items are `(key, shown)`: equal keys are the same item.
fn items(
    changes: &mut Vec<Change>,
    path: &str,
    old: Vec<(String, String)>,
    new: Vec<(String, String)>,
) {
    let in_list = |list: &[(String, String)], key: &str| list.iter().any(|(k, _)| k == key);
    for (key, shown) in &old {
        if !in_list(&new, key) {
            changes.push(Change {
                path: path.to_string(),
                kind: ChangeKind::Removed,
                old: Some(shown.clone()),
                new: None,
            });
        }
    }
    for (key, shown) in &new {
        if !in_list(&old, key) {
            changes.push(Change {
                path: path.to_string(),
                kind: ChangeKind::Added,
                old: None,
                new: Some(shown.clone()),
            });
        }
    }
}

/// Each certificate keyed by its SHA-1 thumbprint when it can be read, else by its bytes.
fn certificates(uploads: &[CertificateUpload], now: OffsetDateTime) -> Vec<(String, String)> {
    let summaries = certificate::check(uploads, now, &mut Vec::new());
    uploads
        .iter()
        .enumerate()
        .map(|(index, upload)| {
            let path = format!("certificates[{index}]");
            match summaries.iter().find(|s| s.path == path) {
                Some(summary) => (
                    summary.sha1_thumbprint.clone(),
                    format!(
                        "{} (SHA-1 thumbprint {})",
                        upload.file_name, summary.sha1_thumbprint
                    ),
                ),
                None => (
                    format!("unread\u{0}{}", upload.content_base64),
                    upload.file_name.clone(),
                ),
            }
        })
        .collect()
}

fn access_type_text(access_type: AccessType) -> &'static str {
    match access_type {
        AccessType::Delegated => "delegated",
        AccessType::Application => "application",
    }
}

fn platform_text(platform: Platform) -> &'static str {
    match platform {
        Platform::Web => "web",
        Platform::Spa => "spa",
        Platform::PublicClient => "public_client",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientSecret, Contact, PermissionRequest, RedirectUri};
    use time::macros::datetime;

    /// Inside the fixture certificate's validity.
    const NOW: OffsetDateTime = datetime!(2027-06-01 12:00 UTC);

    fn base() -> RegistrationRequest {
        RegistrationRequest::from_json(include_str!("../tests/data/delegated_request.json"))
            .unwrap()
    }

    fn change(path: &str, kind: ChangeKind, old: Option<&str>, new: Option<&str>) -> Change {
        Change {
            path: path.into(),
            kind,
            old: old.map(str::to_string),
            new: new.map(str::to_string),
        }
    }

    #[test]
    fn the_same_request_has_no_changes() {
        assert_eq!(diff(&base(), &base(), NOW), Vec::new());
    }

    #[test]
    fn scalars_report_their_old_and_new_values_in_field_order() {
        let mut new = base();
        new.application.name = "Ward Mail Connector 2".into();
        new.access_type = AccessType::Application;
        new.ods_code = "RX1 ".into();
        assert_eq!(
            diff(&base(), &new, NOW),
            vec![
                change("ods_code", ChangeKind::Changed, Some("RX1"), Some("RX1 ")),
                change(
                    "application.name",
                    ChangeKind::Changed,
                    Some("Ward Mail Connector"),
                    Some("Ward Mail Connector 2")
                ),
                change(
                    "access_type",
                    ChangeKind::Changed,
                    Some("delegated"),
                    Some("application")
                ),
            ]
        );
    }

    #[test]
    fn optional_scalars_are_added_and_removed_and_a_blank_group_is_no_group() {
        let mut with = base();
        with.client_secret = Some(ClientSecret { lifetime_months: 6 });
        with.access_policy_group = Some("ward7-scope@nhs.net".into());
        assert_eq!(
            diff(&base(), &with, NOW),
            vec![
                change(
                    "client_secret.lifetime_months",
                    ChangeKind::Added,
                    None,
                    Some("6")
                ),
                change(
                    "access_policy_group",
                    ChangeKind::Added,
                    None,
                    Some("ward7-scope@nhs.net")
                ),
            ]
        );
        assert_eq!(
            diff(&with, &base(), NOW)
                .iter()
                .map(|c| c.kind)
                .collect::<Vec<_>>(),
            vec![ChangeKind::Removed, ChangeKind::Removed]
        );
        let mut blank = base();
        blank.access_policy_group = Some("  ".into());
        assert_eq!(diff(&base(), &blank, NOW), Vec::new());
    }

    #[test]
    fn list_items_are_added_and_removed_not_compared_by_position() {
        let old = base();
        let mut new = base();
        // Reordering is not a change; a different type is another permission.
        new.permissions.reverse();
        new.permissions.retain(|p| p.value != "User.Read");
        new.permissions.push(PermissionRequest {
            resource: Some("Graph".into()),
            value: "Mail.Send".into(),
            permission_type: PermissionType::Delegated,
        });
        new.mailboxes = vec!["WARD7.Referrals@nhs.net".into(), "ward8@nhs.net".into()];
        new.redirect_uris[0].platform = Platform::Spa;
        new.redirect_uris.push(RedirectUri {
            uri: "http://localhost".into(),
            platform: Platform::PublicClient,
        });
        new.token_endpoint_uris.clear();
        new.contacts.push(Contact {
            name: "Sam Patel".into(),
            email: "sam.patel@nhs.net".into(),
        });
        assert_eq!(
            diff(&old, &new, NOW),
            vec![
                change(
                    "permissions",
                    ChangeKind::Removed,
                    Some("User.Read (delegated)"),
                    None
                ),
                change(
                    "permissions",
                    ChangeKind::Added,
                    None,
                    Some("Mail.Send (delegated, graph)")
                ),
                change("mailboxes", ChangeKind::Added, None, Some("ward8@nhs.net")),
                change(
                    "redirect_uris",
                    ChangeKind::Removed,
                    Some("https://connector.nuh.nhs.uk/auth/callback (web)"),
                    None
                ),
                change(
                    "redirect_uris",
                    ChangeKind::Added,
                    None,
                    Some("https://connector.nuh.nhs.uk/auth/callback (spa)")
                ),
                change(
                    "redirect_uris",
                    ChangeKind::Added,
                    None,
                    Some("http://localhost (public_client)")
                ),
                change(
                    "token_endpoint_uris",
                    ChangeKind::Removed,
                    Some(
                        "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token"
                    ),
                    None
                ),
                change(
                    "contacts",
                    ChangeKind::Added,
                    None,
                    Some("Sam Patel <sam.patel@nhs.net>")
                ),
            ]
        );
    }

    #[test]
    fn certificates_are_the_same_by_thumbprint_whatever_their_file_name() {
        use base64::Engine as _;
        let fixture = |name: &str| {
            let bytes = std::fs::read(format!(
                "{}/tests/fixtures/certificates/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        let upload = |file_name: &str, content_base64: String| CertificateUpload {
            file_name: file_name.into(),
            content_base64,
        };
        let mut old = base();
        old.certificates = vec![upload("connector.cer", fixture("rsa2048.pem"))];
        let mut renamed = base();
        renamed.certificates = vec![upload("renamed.pem", fixture("rsa2048.pem"))];
        assert_eq!(diff(&old, &renamed, NOW), Vec::new());

        let mut replaced = base();
        replaced.certificates = vec![upload("junk.cer", "bm90IGEgY2VydGlmaWNhdGU=".into())];
        let changes = diff(&old, &replaced, NOW);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(
            (changes[0].kind, changes[1].kind),
            (ChangeKind::Removed, ChangeKind::Added)
        );
        let removed = changes[0].old.as_deref().unwrap();
        assert!(
            removed.starts_with("connector.cer (SHA-1 thumbprint "),
            "{removed}"
        );
        assert_eq!(
            removed.len(),
            "connector.cer (SHA-1 thumbprint )".len() + 40
        );
        assert_eq!(changes[1].new.as_deref(), Some("junk.cer"));
    }
}
