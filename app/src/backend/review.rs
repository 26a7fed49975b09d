//! What the reviewer's pages show, and the server functions that fetch it through
//! [`super::Backend`] (the server implements it with the same domain functions the JSON API
//! calls: `registrations::list`/`find`, `review::decisions`/`standing`).

use leptos::prelude::*;

use super::{Access, PageError};
use registration::diff::Change;
use registration::lifecycle::{Decision, Status};
use registration::{RegistrationRequest, ValidationReport};
use serde::{Deserialize, Serialize};

/// The queue's filters as the GET form posts them (`status`, `ods_code`, `risk`, `page`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueQuery {
    /// `awaiting` (the default: submitted or awaiting a second approval), `all`, or one status.
    pub status: Option<String>,
    /// An organisation's ODS code (blank: every organisation).
    pub ods_code: Option<String>,
    /// `low` or `high` (blank: either).
    pub risk: Option<String>,
    /// Text to find in the reference, application name, supplier, a mailbox or the organisation
    /// (blank: no search).
    pub q: Option<String>,
    /// From 1.
    pub page: Option<u32>,
}

/// The longest search the queue takes: its field holds no more, and the list route refuses
/// longer (docs/api.md).
pub const SEARCH_MAX_CHARS: usize = 100;

/// The status filter that shows what awaits a decision (the queue's default).
pub const AWAITING: &str = "awaiting";
/// The status filter that shows every status.
pub const ANY_STATUS: &str = "all";

impl QueueQuery {
    /// The status filter in effect: [`AWAITING`], [`ANY_STATUS`] or a known status name.
    pub fn status(&self) -> &str {
        match self.status.as_deref().map(str::trim) {
            Some(ANY_STATUS) => ANY_STATUS,
            Some(status) => Status::SUBMITTED
                .into_iter()
                .find(|known| known.as_str() == status)
                .map_or(AWAITING, Status::as_str),
            _ => AWAITING,
        }
    }

    /// The status filter in effect, as the server applies it.
    pub fn status_filter(&self) -> StatusFilter {
        match self.status() {
            AWAITING => StatusFilter::AwaitingDecision,
            ANY_STATUS => StatusFilter::Any,
            name => Status::parse(name).map_or(StatusFilter::AwaitingDecision, StatusFilter::Only),
        }
    }

    /// The organisation filter in effect (trimmed, upper case), if any.
    pub fn ods_code(&self) -> Option<String> {
        self.ods_code
            .as_deref()
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_ascii_uppercase)
    }

    /// The risk filter in effect (`low` or `high`), if any.
    pub fn risk(&self) -> Option<&'static str> {
        match self.risk.as_deref().map(str::trim) {
            Some("low") => Some("low"),
            Some("high") => Some("high"),
            _ => None,
        }
    }

    /// The search in effect (trimmed, at most [`SEARCH_MAX_CHARS`] characters), if any.
    pub fn text(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| text.chars().take(SEARCH_MAX_CHARS).collect())
    }

    /// The page asked for (1 when none).
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    /// The address of page `page` with the same filters.
    pub fn href(&self, page: u32) -> String {
        format!("{}page={page}", self.page_base())
    }

    /// The address of any page with the same filters, up to `page=`.
    pub fn page_base(&self) -> String {
        format!("/review?{}&", self.filters())
    }

    /// Every request these filters match (not one page), as CSV: the list route's export.
    pub fn csv_href(&self) -> String {
        format!("/api/v1/registrations?format=csv&{}", self.filters())
    }

    /// The filters in effect as a query string (`status=…&ods_code=…&risk=…`).
    fn filters(&self) -> String {
        let mut query = vec![format!("status={}", self.status())];
        if let Some(code) = self.ods_code() {
            query.push(format!("ods_code={}", encode(&code)));
        }
        if let Some(risk) = self.risk() {
            query.push(format!("risk={risk}"));
        }
        if let Some(text) = self.text() {
            query.push(format!("q={}", encode(&text)));
        }
        query.join("&")
    }
}

/// Which statuses the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Submitted, or awaiting a second approval (the default).
    AwaitingDecision,
    /// Every status.
    Any,
    /// This status only.
    Only(Status),
}

/// Percent-encodes everything but unreserved characters (an ODS code is alphanumeric anyway).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRow {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The latest version.
    pub version: i64,
    /// Its status.
    pub status: Status,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The organisation's name, when known.
    pub organisation_name: Option<String>,
    /// The application's name.
    pub application_name: String,
    /// When the latest version was submitted (RFC 3339).
    pub submitted_at: String,
    /// `low` or `high`.
    pub risk: String,
    /// The reviewer who has claimed it, if any (their email).
    pub claimed_by: Option<String>,
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    /// The rows, oldest submission first.
    pub rows: Vec<QueueRow>,
    /// This page's number, from 1.
    pub page: u32,
    /// Rows a page.
    pub per_page: u32,
    /// Rows on all pages.
    pub total: u64,
    /// The server's clock (Unix seconds): how long each request has waited is counted to it.
    pub now: i64,
}

/// One requested permission and what the reviewer should make of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRow {
    /// The permission's value (`Mail.Send`).
    pub value: String,
    /// `delegated` or `application`.
    pub permission_type: String,
    /// The resource's display name (`Microsoft Graph`), or as requested when unknown.
    pub resource: String,
    /// `low` or `high`.
    pub risk: String,
    /// Why it has that risk.
    pub why: String,
}

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    /// The version decided on.
    pub version: i64,
    /// What was decided.
    pub decision: Decision,
    /// Why, when given.
    pub reason: Option<String>,
    /// The reviewer's email.
    pub reviewer_email: String,
    /// When (RFC 3339).
    pub decided_at: String,
    /// The status it left the request in.
    pub status_after: Status,
}

/// Whether the viewer may record a decision now, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standing {
    /// They may: the form carries this CSRF token.
    MayDecide {
        /// The session's CSRF token.
        csrf_token: String,
    },
    /// The request is not awaiting a decision (it has this status).
    NotAwaitingDecision(Status),
    /// They submitted a version of it.
    OwnSubmission,
    /// They gave the first approval; a second reviewer must give the second.
    GaveFirstApproval,
}

/// Everything the request's review page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewDetail {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The latest version.
    pub version: i64,
    /// The SHA-256 (hex) of its signed record: the decision form sends it back with the
    /// version, so that a decision is only ever recorded on what the reviewer read.
    pub record_sha256: String,
    /// Its status.
    pub status: Status,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The organisation's name, when known.
    pub organisation_name: Option<String>,
    /// When the latest version was submitted (RFC 3339).
    pub submitted_at: String,
    /// Who submitted it.
    pub submitted_by: Option<String>,
    /// The request as submitted (certificate contents left out: the report describes them).
    pub request: RegistrationRequest,
    /// The report it was stored with.
    pub report: ValidationReport,
    /// The permissions with their risk.
    pub permissions: Vec<PermissionRow>,
    /// The request's risk, `low` or `high`.
    pub risk: String,
    /// Whether two reviewers must approve it.
    pub needs_second_approval: bool,
    /// The version [`ReviewDetail::changes`] are from: the one the reviewer last read when they
    /// come back from a stale decision; for a renewal or change, the live version; else the
    /// previous version (none for version 1).
    pub previous_version: Option<i64>,
    /// For a renewal or change of a registered application: which (the changes are then against
    /// its live version).
    pub purpose: Option<registration::change::Purpose>,
    /// What changed since that version.
    pub changes: Vec<Change>,
    /// While a decision is awaited: the findings of the same version checked again today (`None`
    /// when it could not be checked now, e.g. every validation slot busy).
    pub findings_now: Option<Vec<registration::Finding>>,
    /// Every decision on every version, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// Whether the viewer may decide now.
    pub standing: Standing,
    /// The longest reason the desk keeps, in characters.
    pub max_reason_chars: usize,
    /// While approved: the form that records the application as created (or, for a renewal or
    /// change, as made).
    pub implementation_form: Option<ImplementationForm>,
    /// Once live: the registered application (never the secret's value).
    pub live: Option<super::LiveApplication>,
    /// Once registered: its deletion and recovery, and the answer form while a request waits.
    pub life: Option<super::ApplicationLife>,
    /// The organisation's other requests and registered applications, newest first (at most
    /// [`SIBLINGS_SHOWN`]), each with what makes it look like the same application.
    pub siblings: Vec<SiblingRow>,
    /// How many other requests the organisation has in all.
    pub siblings_total: u64,
    /// Who is working on it, and the forms to claim or release it.
    pub claim: ClaimState,
}

/// Whether a reviewer has claimed the request (so that two do not review it at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimState {
    /// The holder's email and since when (RFC 3339); `None` when no one has it.
    pub holder: Option<(String, String)>,
    /// Whether the viewer holds it.
    pub mine: bool,
    /// The session's CSRF token, for the claim and release forms.
    pub csrf_token: String,
}

/// How many of the organisation's other requests a review page lists.
pub const SIBLINGS_SHOWN: u32 = 50;

/// One of the organisation's other requests, on a review page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiblingRow {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// Its latest version.
    pub version: i64,
    /// Its status (`live`: a registered application).
    pub status: Status,
    /// The application's name.
    pub application_name: String,
    /// When its latest version was submitted (RFC 3339).
    pub submitted_at: String,
    /// Why it looks like the same application as the one reviewed ("the same application
    /// name", "the same redirect URI, …"); empty when it does not.
    pub likeness: Vec<String>,
}

/// What the "Record the application as created" form needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImplementationForm {
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The client secret's lifetime the request asked for, in months (`None`: no secret, and
    /// the form has no secret fields).
    pub secret_lifetime_months: Option<i64>,
    /// For a renewal or change of a live application: which. The IDs are the application's own
    /// (the form shows them filled in).
    pub purpose: Option<registration::change::Purpose>,
    /// For a change that keeps the client secret settings: a new secret may be given but is not
    /// needed.
    pub secret_optional: bool,
}

/// Loads one page of the review queue.
#[server(prefix = "/_fn", endpoint = "load_review_queue")]
pub async fn load_review_queue(
    // Missing when no filter is set (the menu's link): the default query.
    #[server(default)] query: QueueQuery,
) -> Result<Access<QueuePage>, PageError> {
    let here = "/review";
    let access = super::backend()?.0.review_queue(query).await?;
    super::follow(&access, here);
    Ok(access)
}

/// Loads one request's review page.
#[server(prefix = "/_fn", endpoint = "load_review_detail")]
pub async fn load_review_detail(
    reference: String,
    since: Option<i64>,
) -> Result<Access<ReviewDetail>, PageError> {
    let here = format!("/review/{}", super::encode_query_value(&reference));
    let access = super::backend()?.0.review_detail(reference, since).await?;
    super::follow(&access, &here);
    Ok(access)
}

/// The latest version of a request, for its open review page (which warns when a newer version
/// arrives while the reviewer reads it).
#[server(prefix = "/_fn", endpoint = "latest_review_version")]
pub async fn latest_review_version(reference: String) -> Result<Option<i64>, PageError> {
    super::backend()?.0.latest_version(reference).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_awaits_a_decision_unless_told_otherwise_and_pages_keep_the_filters() {
        let query = |status: Option<&str>, ods: Option<&str>, risk: Option<&str>| QueueQuery {
            status: status.map(str::to_string),
            ods_code: ods.map(str::to_string),
            risk: risk.map(str::to_string),
            q: None,
            page: None,
        };
        assert_eq!(query(None, None, None).status(), AWAITING);
        assert_eq!(query(Some("nonsense"), None, None).status(), AWAITING);
        assert_eq!(query(Some("all"), None, None).status(), ANY_STATUS);
        assert_eq!(query(Some("rejected"), None, None).status(), "rejected");
        assert_eq!(query(None, Some("  "), Some("medium")).ods_code(), None);
        assert_eq!(query(None, None, Some("medium")).risk(), None);
        assert_eq!(
            query(Some("approved"), Some(" rx1 "), Some("high")).href(3),
            "/review?status=approved&ods_code=RX1&risk=high&page=3"
        );
        assert_eq!(
            query(None, Some("R&D"), None).href(1),
            "/review?status=awaiting&ods_code=R%26D&page=1"
        );
        let search = QueueQuery {
            q: Some(format!("  ward 7&{}", "x".repeat(200))),
            ..QueueQuery::default()
        };
        assert_eq!(
            search.text().map(|text| text.chars().count()),
            Some(SEARCH_MAX_CHARS)
        );
        assert!(
            search
                .href(2)
                .starts_with("/review?status=awaiting&q=ward%207%26xxx")
        );
        assert!(
            search
                .csv_href()
                .starts_with("/api/v1/registrations?format=csv&status=awaiting&q=ward%207%26")
        );
        assert_eq!(
            QueueQuery {
                page: Some(0),
                ..QueueQuery::default()
            }
            .page(),
            1
        );
    }
}
