//! What the registered applications' pages show ("Your applications", "Expiring soon"), and
//! the server functions that fetch it through [`super::Backend`] (the server answers with
//! `server::inventory`, as the JSON API does).

use leptos::prelude::*;
use registration::lifecycle::Status;
use serde::{Deserialize, Serialize};

use super::{Access, CredentialRow, PageError};

/// One registered application with its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRow {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The application's name.
    pub application_name: String,
    /// The organisation, as people read it (`Name (ODS)`).
    pub organisation: String,
    /// Its status.
    pub status: Status,
    /// The Application (client) ID.
    pub application_id: String,
    /// Its credentials, soonest expiry first, each with the whole days left.
    pub credentials: Vec<(CredentialRow, i64)>,
}

/// `/applications`: the registered applications the viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationsPage {
    /// Whether the viewer is a reviewer (every organisation's) rather than a Local Administrator
    /// (their own organisation's).
    pub every_organisation: bool,
    /// The applications on this page, by name.
    pub applications: Vec<ApplicationRow>,
    /// This page's number, from 1.
    pub page: u32,
    /// Applications a page.
    pub per_page: u32,
    /// Applications on all pages.
    pub total: u64,
}

/// `/applications?ods_code=…&page=…`: a reviewer's organisation filter, and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationsQuery {
    /// An organisation's ODS code (reviewers; blank: every organisation).
    pub ods_code: Option<String>,
    /// From 1.
    pub page: Option<u32>,
}

impl ApplicationsQuery {
    /// The organisation filter in effect (trimmed, upper case), if any.
    pub fn ods_code(&self) -> Option<String> {
        self.ods_code
            .as_deref()
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_ascii_uppercase)
    }

    /// The page asked for (1 when none).
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    /// Every page's address with the same filter, up to `page=`.
    pub fn page_base(&self) -> String {
        match self.ods_code() {
            Some(code) => format!(
                "/applications?ods_code={}&",
                super::encode_query_value(&code)
            ),
            None => "/applications?".to_string(),
        }
    }
}

/// One credential that expires soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringRow {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The application's name.
    pub application_name: String,
    /// The organisation, as people read it.
    pub organisation: String,
    /// The credential.
    pub credential: CredentialRow,
    /// Whole days left, rounded up (0 or less: expired).
    pub days_left: i64,
}

/// `/applications/expiring?within=N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringPage {
    /// The window, in days.
    pub within_days: u32,
    /// The credentials, soonest first.
    pub rows: Vec<ExpiringRow>,
}

/// The windows the "Expiring soon" page offers, in days (the reminders' furthest is 60).
pub const WINDOWS: [u32; 4] = [30, 60, 90, 180];

/// The window asked for, or 60 days.
pub fn window(asked: Option<u32>) -> u32 {
    asked.filter(|days| WINDOWS.contains(days)).unwrap_or(60)
}

/// How long is left, as people read it: "Expired", "Expires today", "1 day", "12 days".
pub fn days_left_text(days_left: i64) -> String {
    match days_left {
        i64::MIN..=-1 => "Expired".to_string(),
        0 => "Expires today".to_string(),
        1 => "1 day".to_string(),
        days => format!("{days} days"),
    }
}

/// Loads the registered applications page.
#[server(prefix = "/_fn", endpoint = "load_applications")]
pub async fn load_applications(
    // Missing when no filter is set (the menu's link): the default query.
    #[server(default)] query: ApplicationsQuery,
) -> Result<Access<ApplicationsPage>, PageError> {
    let here = format!("{}page={}", query.page_base(), query.page());
    let access = super::backend()?.0.applications_page(query).await?;
    super::follow(&access, &here);
    Ok(access)
}

/// Loads the "Expiring soon" page.
#[server(prefix = "/_fn", endpoint = "load_expiring")]
pub async fn load_expiring(within_days: u32) -> Result<Access<ExpiringPage>, PageError> {
    let within_days = window(Some(within_days));
    let access = super::backend()?.0.expiring_page(within_days).await?;
    super::follow(
        &access,
        &format!("/applications/expiring?within={within_days}"),
    );
    Ok(access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_one_offered_or_sixty_days_and_days_read_as_people_say_them() {
        assert_eq!(window(None), 60);
        assert_eq!(window(Some(90)), 90);
        assert_eq!(window(Some(7)), 60);
        assert_eq!(days_left_text(-3), "Expired");
        assert_eq!(days_left_text(0), "Expires today");
        assert_eq!(days_left_text(1), "1 day");
        assert_eq!(days_left_text(45), "45 days");
    }

    #[test]
    fn the_applications_pages_keep_the_organisation_filter() {
        let query = ApplicationsQuery {
            ods_code: Some(" rx1 ".into()),
            page: Some(0),
        };
        assert_eq!(query.page(), 1);
        assert_eq!(query.page_base(), "/applications?ods_code=RX1&");
        assert_eq!(ApplicationsQuery::default().page_base(), "/applications?");
    }
}
