//! The form's buttons (`action` in docs/form.md) and what the list buttons do to a draft.

use super::{DraftList, DraftPermission, DraftRedirectUri, RegistrationDraft, parse_index};
use crate::Contact;

/// What a press of one of the form's buttons asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FormAction {
    /// `check`: validate and show the findings.
    Check,
    /// `submit`: validate and, when valid, submit.
    Submit,
    /// `save`: keep the draft to come back to.
    Save,
    /// `add:<list>`: append a blank row.
    Add(DraftList),
    /// `remove:<list>:<i>`: delete row `i`.
    Remove(DraftList, usize),
    /// `search:permissions`: search the permission catalogue for `permission_search`.
    SearchPermissions,
    /// `add:permissions:<resource>:<value>:<type>`: choose a permission from the search results.
    AddPermission {
        /// `graph`, `exchange`, a resource appId, or empty.
        resource: String,
        /// The permission's value.
        value: String,
        /// `delegated` or `application`.
        permission_type: String,
    },
}

impl FormAction {
    /// Reads a posted `action` value; `None` for anything the form does not send.
    pub fn parse(action: &str) -> Option<FormAction> {
        match action {
            "check" => return Some(FormAction::Check),
            "submit" => return Some(FormAction::Submit),
            "save" => return Some(FormAction::Save),
            "search:permissions" => return Some(FormAction::SearchPermissions),
            _ => {}
        }
        if let Some(rest) = action.strip_prefix("add:") {
            if let Some(chosen) = rest.strip_prefix("permissions:") {
                return parse_add_permission(chosen);
            }
            return DraftList::parse(rest).map(FormAction::Add);
        }
        let (list, index) = action.strip_prefix("remove:")?.split_once(':')?;
        Some(FormAction::Remove(
            DraftList::parse(list)?,
            parse_index(index)?,
        ))
    }

    /// The `action` value the form's button sends for this action (the inverse of [`parse`](Self::parse)).
    pub fn value(&self) -> String {
        match self {
            FormAction::Check => "check".to_string(),
            FormAction::Submit => "submit".to_string(),
            FormAction::Save => "save".to_string(),
            FormAction::Add(list) => format!("add:{}", list.name()),
            FormAction::Remove(list, index) => format!("remove:{}:{index}", list.name()),
            FormAction::SearchPermissions => "search:permissions".to_string(),
            FormAction::AddPermission {
                resource,
                value,
                permission_type,
            } => format!("add:permissions:{resource}:{value}:{permission_type}"),
        }
    }
}

/// `<resource>:<value>:<type>`: the resource has no ':' (an alias or a GUID), the type is last,
/// so a value is read whole even if it holds a ':'.
fn parse_add_permission(chosen: &str) -> Option<FormAction> {
    let (resource, rest) = chosen.split_once(':')?;
    let (value, permission_type) = rest.rsplit_once(':')?;
    if value.trim().is_empty() || !matches!(permission_type, "delegated" | "application") {
        return None;
    }
    Some(FormAction::AddPermission {
        resource: resource.to_string(),
        value: value.to_string(),
        permission_type: permission_type.to_string(),
    })
}

impl RegistrationDraft {
    /// Applies a list action to the draft; check, submit, save and search change nothing here.
    ///
    /// `add:certificates` adds nothing either: a certificate is a file the server attaches.
    pub fn apply(&mut self, action: &FormAction) {
        match action {
            FormAction::Add(list) => self.add_row(*list),
            FormAction::Remove(list, index) => self.remove_row(*list, *index),
            FormAction::AddPermission {
                resource,
                value,
                permission_type,
            } => {
                let chosen = DraftPermission {
                    resource: resource.clone(),
                    value: value.clone(),
                    permission_type: permission_type.clone(),
                };
                if !self.permissions.contains(&chosen) {
                    self.permissions.push(chosen);
                }
            }
            FormAction::Check
            | FormAction::Submit
            | FormAction::Save
            | FormAction::SearchPermissions => {}
        }
    }

    fn add_row(&mut self, list: DraftList) {
        match list {
            DraftList::Mailboxes => self.mailboxes.push(String::new()),
            DraftList::RedirectUris => self.redirect_uris.push(DraftRedirectUri::blank()),
            DraftList::TokenEndpointUris => self.token_endpoint_uris.push(String::new()),
            DraftList::Contacts => self.contacts.push(Contact::default()),
            DraftList::Permissions => self.permissions.push(DraftPermission::default()),
            DraftList::Certificates => {}
        }
    }

    fn remove_row(&mut self, list: DraftList, index: usize) {
        match list {
            DraftList::Mailboxes => remove_at(&mut self.mailboxes, index),
            DraftList::RedirectUris => remove_at(&mut self.redirect_uris, index),
            DraftList::TokenEndpointUris => remove_at(&mut self.token_endpoint_uris, index),
            DraftList::Contacts => remove_at(&mut self.contacts, index),
            DraftList::Permissions => remove_at(&mut self.permissions, index),
            DraftList::Certificates => remove_at(&mut self.certificates, index),
        }
    }
}

/// Removes row `index` when there is one (a stale page may name a row already gone).
fn remove_at<T>(rows: &mut Vec<T>, index: usize) {
    if index < rows.len() {
        rows.remove(index);
    }
}
