//! The registration form's field names (docs/form.md) and how a post's fields become a
//! [`RegistrationDraft`]: one place for the names, which the pages' views spell through
//! [`names`] and the server reads through [`PostedForm::read`].
//!
//! Rows come as `list[i]` or `list[i][part]`, in any order; they are read in index order with
//! gaps closed up. Unknown names are ignored. A row number over [`MAX_ROW_INDEX`] refuses the
//! whole post ([`TooManyRows`]).

use std::collections::BTreeMap;

use super::{DraftPermission, DraftRedirectUri, RegistrationDraft};
use crate::Contact;

/// The highest row number a form may post (`mailboxes[1000]`); beyond it the post is refused.
pub const MAX_ROW_INDEX: usize = 1000;

/// The form's field names.
pub mod names {
    /// The stored draft's id (hidden).
    pub const DRAFT_ID: &str = "draft_id";
    /// The session's CSRF token (hidden).
    pub const CSRF_TOKEN: &str = "csrf_token";
    /// The button pressed (`FormAction`).
    pub const ACTION: &str = "action";
    /// The ODS code (hidden; always the administrator's).
    pub const ODS_CODE: &str = "ods_code";
    /// The application's name.
    pub const APPLICATION_NAME: &str = "application_name";
    /// The application's description.
    pub const DESCRIPTION: &str = "description";
    /// The supplier.
    pub const SUPPLIER: &str = "supplier";
    /// `delegated` or `application` (radios).
    pub const ACCESS_TYPE: &str = "access_type";
    /// The permission search box.
    pub const PERMISSION_SEARCH: &str = "permission_search";
    /// The client secret's lifetime in months.
    pub const CLIENT_SECRET_MONTHS: &str = "client_secret_months";
    /// The access policy group.
    pub const ACCESS_POLICY_GROUP: &str = "access_policy_group";
    /// The certificate file input (one file per post).
    pub const CERTIFICATE: &str = "certificate";

    /// `mailboxes[i]`.
    pub fn mailbox(index: usize) -> String {
        format!("mailboxes[{index}]")
    }

    /// `token_endpoint_uris[i]`.
    pub fn token_endpoint_uri(index: usize) -> String {
        format!("token_endpoint_uris[{index}]")
    }

    /// `permissions[i][resource|value|type]`.
    pub fn permission(index: usize, part: PermissionPart) -> String {
        let part = match part {
            PermissionPart::Resource => "resource",
            PermissionPart::Value => "value",
            PermissionPart::Type => "type",
        };
        format!("permissions[{index}][{part}]")
    }

    /// `redirect_uris[i][uri|platform]`.
    pub fn redirect_uri(index: usize, part: RedirectUriPart) -> String {
        let part = match part {
            RedirectUriPart::Uri => "uri",
            RedirectUriPart::Platform => "platform",
        };
        format!("redirect_uris[{index}][{part}]")
    }

    /// `contacts[i][name|email]`.
    pub fn contact(index: usize, part: ContactPart) -> String {
        let part = match part {
            ContactPart::Name => "name",
            ContactPart::Email => "email",
        };
        format!("contacts[{index}][{part}]")
    }

    /// A part of a permission row.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum PermissionPart {
        /// The resource (API) it belongs to.
        Resource,
        /// The permission's value.
        Value,
        /// `delegated` or `application`.
        Type,
    }

    /// A part of a redirect URI row.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RedirectUriPart {
        /// The URI.
        Uri,
        /// Its platform.
        Platform,
    }

    /// A part of a contact row.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ContactPart {
        /// The contact's name.
        Name,
        /// The contact's email.
        Email,
    }
}

/// A row number over [`MAX_ROW_INDEX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyRows;

/// A post's fields read into a draft (without certificates, which come as files).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PostedForm {
    /// The stored draft it continues, if any.
    pub draft_id: Option<String>,
    /// The button pressed, as posted.
    pub action: Option<String>,
    /// The form's content.
    pub draft: RegistrationDraft,
}

impl PostedForm {
    /// Reads the fields of one post.
    pub fn read(fields: &[(String, String)]) -> Result<PostedForm, TooManyRows> {
        let mut posted = PostedForm::default();
        let mut permissions: BTreeMap<usize, DraftPermission> = BTreeMap::new();
        let mut mailboxes: BTreeMap<usize, String> = BTreeMap::new();
        let mut redirect_uris: BTreeMap<usize, DraftRedirectUri> = BTreeMap::new();
        let mut token_endpoint_uris: BTreeMap<usize, String> = BTreeMap::new();
        let mut contacts: BTreeMap<usize, Contact> = BTreeMap::new();
        for (name, value) in fields {
            let value = value.clone();
            let draft = &mut posted.draft;
            match name.as_str() {
                names::DRAFT_ID => posted.draft_id = Some(value).filter(|id| !id.is_empty()),
                names::ACTION => posted.action = Some(value),
                names::ODS_CODE => draft.ods_code = value,
                names::APPLICATION_NAME => draft.application_name = value,
                names::DESCRIPTION => draft.description = value,
                names::SUPPLIER => draft.supplier = value,
                names::ACCESS_TYPE => draft.access_type = value,
                names::PERMISSION_SEARCH => draft.permission_search = value,
                names::CLIENT_SECRET_MONTHS => draft.client_secret_months = value,
                names::ACCESS_POLICY_GROUP => draft.access_policy_group = value,
                _ => {
                    let Some((list, index, sub)) = indexed(name)? else {
                        continue;
                    };
                    match (list, sub) {
                        ("permissions", Some("resource")) => {
                            permissions.entry(index).or_default().resource = value;
                        }
                        ("permissions", Some("value")) => {
                            permissions.entry(index).or_default().value = value;
                        }
                        ("permissions", Some("type")) => {
                            permissions.entry(index).or_default().permission_type = value;
                        }
                        ("mailboxes", None) => {
                            mailboxes.insert(index, value);
                        }
                        ("redirect_uris", Some("uri")) => {
                            redirect_uris.entry(index).or_default().uri = value;
                        }
                        ("redirect_uris", Some("platform")) => {
                            redirect_uris.entry(index).or_default().platform = value;
                        }
                        ("token_endpoint_uris", None) => {
                            token_endpoint_uris.insert(index, value);
                        }
                        ("contacts", Some("name")) => {
                            contacts.entry(index).or_default().name = value;
                        }
                        ("contacts", Some("email")) => {
                            contacts.entry(index).or_default().email = value;
                        }
                        _ => {}
                    }
                }
            }
        }
        let draft = &mut posted.draft;
        draft.permissions = permissions.into_values().collect();
        draft.mailboxes = mailboxes.into_values().collect();
        draft.redirect_uris = redirect_uris.into_values().collect();
        draft.token_endpoint_uris = token_endpoint_uris.into_values().collect();
        draft.contacts = contacts.into_values().collect();
        Ok(posted)
    }
}

/// A row field's name, `list[i]` or `list[i][sub]`, taken apart.
type RowField<'a> = (&'a str, usize, Option<&'a str>);

/// `list[i]` or `list[i][sub]`; `None` for any other shape, an error for `i` over the bound.
fn indexed(name: &str) -> Result<Option<RowField<'_>>, TooManyRows> {
    let Some((list, rest)) = name.split_once('[') else {
        return Ok(None);
    };
    let Some((index, rest)) = rest.split_once(']') else {
        return Ok(None);
    };
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    // Many digits are a huge number whatever they say: no need to parse them to refuse.
    let index = if index.len() > 4 {
        usize::MAX
    } else {
        index.parse::<usize>().map_err(|_| TooManyRows)?
    };
    if index > MAX_ROW_INDEX {
        return Err(TooManyRows);
    }
    let sub = if rest.is_empty() {
        None
    } else {
        match rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(sub) if !sub.contains(['[', ']']) => Some(sub),
            _ => return Ok(None),
        }
    };
    Ok(Some((list, index, sub)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_indexed_rows_in_index_order_with_gaps_closed() {
        let posted = PostedForm::read(&fields(&[
            ("mailboxes[2]", "b@nhs.net"),
            ("mailboxes[0]", "a@nhs.net"),
            ("contacts[5][email]", "jo@nhs.net"),
            ("contacts[5][name]", "Jo"),
            ("redirect_uris[1][platform]", "spa"),
        ]))
        .unwrap();
        assert_eq!(posted.draft.mailboxes, ["a@nhs.net", "b@nhs.net"]);
        assert_eq!(
            posted.draft.contacts,
            [Contact {
                name: "Jo".into(),
                email: "jo@nhs.net".into()
            }]
        );
        assert_eq!(posted.draft.redirect_uris[0].platform, "spa");
    }

    #[test]
    fn refuses_row_numbers_over_the_bound_and_ignores_odd_names() {
        assert_eq!(
            PostedForm::read(&fields(&[("mailboxes[1001]", "x")])).unwrap_err(),
            TooManyRows
        );
        assert_eq!(
            PostedForm::read(&fields(&[("mailboxes[99999999999999999999999]", "x")])).unwrap_err(),
            TooManyRows
        );
        let posted = PostedForm::read(&fields(&[
            ("mailboxes[1000]", "x"),
            ("mailboxes[-1]", "y"),
            ("mailboxes[a]", "y"),
            ("mailboxes[1][x][y]", "y"),
            ("contacts[1][name", "y"),
        ]))
        .unwrap();
        assert_eq!(posted.draft.mailboxes, ["x"]);
        assert!(posted.draft.contacts.is_empty());
    }

    #[test]
    fn the_names_the_views_write_are_the_names_read() {
        use names::{ContactPart, PermissionPart, RedirectUriPart};
        let posted = PostedForm::read(&fields(&[
            (&names::mailbox(0), "a@nhs.net"),
            (&names::permission(0, PermissionPart::Value), "User.Read"),
            (&names::permission(0, PermissionPart::Type), "delegated"),
            (&names::redirect_uri(0, RedirectUriPart::Platform), "web"),
            (
                &names::token_endpoint_uri(0),
                "https://login.microsoftonline.com/x/oauth2/v2.0/token",
            ),
            (&names::contact(0, ContactPart::Email), "jo@nhs.net"),
            (names::APPLICATION_NAME, "Ward Mail"),
        ]))
        .unwrap();
        assert_eq!(posted.draft.mailboxes, ["a@nhs.net"]);
        assert_eq!(posted.draft.permissions[0].value, "User.Read");
        assert_eq!(posted.draft.permissions[0].permission_type, "delegated");
        assert_eq!(posted.draft.redirect_uris[0].platform, "web");
        assert_eq!(posted.draft.token_endpoint_uris.len(), 1);
        assert_eq!(posted.draft.contacts[0].email, "jo@nhs.net");
        assert_eq!(posted.draft.application_name, "Ward Mail");
    }
}
