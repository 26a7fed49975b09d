//! What the desk administrator's Accounts pages show (`/accounts`, `/accounts/{id}`), and the
//! server functions that fetch it through [`super::Backend`] (the server answers from
//! `server::identity::accounts`, the same code as `appreg user …`).

use leptos::prelude::*;
use registration::lifecycle::Role;
use serde::{Deserialize, Serialize};

use super::{Access, OrganisationLabel, PageError};

/// One account, as the Accounts pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    /// The account's id (`/accounts/{id}`).
    pub id: String,
    /// Its email.
    pub email: String,
    /// What it may do.
    pub role: Role,
    /// A Local Administrator's organisation.
    pub organisation: Option<OrganisationLabel>,
    /// Whether it is disabled (it cannot sign in).
    pub disabled: bool,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When its last signed change was made (RFC 3339); `None` for an account made before
    /// account changes were signed, and not changed since.
    pub changed_at: Option<String>,
}

impl AccountRow {
    /// "Active" or "Disabled".
    pub fn status_text(&self) -> &'static str {
        if self.disabled { "Disabled" } else { "Active" }
    }
}

/// `/accounts`: every account, and the form that adds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsPage {
    /// Every account, by email.
    pub accounts: Vec<AccountRow>,
    /// The session's CSRF token, for the form.
    pub csrf_token: String,
    /// Whether local passwords sign people in: with them, a new account is emailed a link to
    /// set its password; without them, the person signs in with NHSmail.
    pub local_passwords: bool,
}

/// One signed change of an account (its history on its page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChangeRow {
    /// What changed: `added`, `role_changed`, `disabled`, `enabled`, `password_reset`,
    /// `password_changed`, `sign_in_linked`.
    pub change: String,
    /// Who changed it: an account's email, or `cli` (`appreg user …` on the desk's machine).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// Its role after the change (as stored: `local_admin`, …).
    pub role: String,
    /// Its organisation after the change.
    pub ods_code: Option<String>,
}

impl AccountChangeRow {
    /// What changed, in words.
    pub fn change_text(&self) -> String {
        let role = match Role::parse(&self.role) {
            Some(role) => role.text(),
            None => self.role.as_str(),
        };
        match self.change.as_str() {
            "added" => format!(
                "Added as {}",
                role_with_code(role, self.ods_code.as_deref())
            ),
            "role_changed" => format!(
                "Role changed to {}",
                role_with_code(role, self.ods_code.as_deref())
            ),
            "disabled" => "Disabled".to_string(),
            "enabled" => "Enabled".to_string(),
            "password_reset" => "Password set through a one-time link".to_string(),
            "password_changed" => "Password changed by its holder".to_string(),
            "sign_in_linked" => "Linked to their NHSmail sign-in (first sign-in)".to_string(),
            other => other.to_string(),
        }
    }

    /// Who changed it, in words.
    pub fn by_text(&self) -> String {
        match self.by.as_str() {
            "cli" => "The desk's command line (appreg user)".to_string(),
            by => by.to_string(),
        }
    }
}

fn role_with_code(role: &str, ods_code: Option<&str>) -> String {
    match ods_code {
        Some(code) => format!("{role} ({code})"),
        None => role.to_string(),
    }
}

/// `/accounts/{id}`: one account, its signed changes, and the forms that change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetail {
    /// The account.
    pub account: AccountRow,
    /// Its signed changes, oldest first.
    pub history: Vec<AccountChangeRow>,
    /// Whether it is the viewer's own account (which they may not disable, nor take out of
    /// `desk_admin`).
    pub own: bool,
    /// The session's CSRF token, for the forms.
    pub csrf_token: String,
    /// Whether local passwords sign people in (`local_sign_in`): without them there is no
    /// password to set, and people sign in with NHSmail.
    pub local_passwords: bool,
}

/// Loads the Accounts page (desk administrators).
#[server(prefix = "/_fn", endpoint = "load_accounts")]
pub async fn load_accounts() -> Result<Access<AccountsPage>, PageError> {
    let access = super::backend()?.0.accounts_page().await?;
    super::follow(&access, "/accounts");
    Ok(access)
}

/// Loads one account's page (desk administrators).
#[server(prefix = "/_fn", endpoint = "load_account")]
pub async fn load_account(id: String) -> Result<Access<AccountDetail>, PageError> {
    let here = format!("/accounts/{}", super::encode_query_value(&id));
    let access = super::backend()?.0.account_detail(id).await?;
    super::follow(&access, &here);
    Ok(access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_as_words() {
        let row = |change: &str, role: &str, ods: Option<&str>, by: &str| AccountChangeRow {
            change: change.into(),
            by: by.into(),
            at: "2026-11-03T16:02:08Z".into(),
            role: role.into(),
            ods_code: ods.map(str::to_string),
        };
        let added = row("added", "local_admin", Some("RX1"), "cli");
        assert_eq!(added.change_text(), "Added as Local Administrator (RX1)");
        assert_eq!(added.by_text(), "The desk's command line (appreg user)");
        let moved = row("role_changed", "desk_admin", None, "dora@nhs.net");
        assert_eq!(moved.change_text(), "Role changed to Desk administrator");
        assert_eq!(moved.by_text(), "dora@nhs.net");
        assert_eq!(
            row("disabled", "reviewer", None, "cli").change_text(),
            "Disabled"
        );
    }
}
