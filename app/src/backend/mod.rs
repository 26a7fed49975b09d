//! What the pages need from the server, and the server functions that fetch it.
//!
//! `app` cannot name the server's state (the server depends on `app`), so the server provides
//! a [`Backend`] in context and the server functions call it. The same functions are what the
//! JSON API calls: one code path, two doors.

use registration::lifecycle::{Decision, Role, Status};
use registration::{RegistrationDraft, ValidationReport};
use serde::{Deserialize, Serialize};

/// Everything the registration form page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormPage {
    /// The stored draft's id; `None` for a new form.
    pub draft_id: Option<String>,
    /// The form's content.
    pub draft: RegistrationDraft,
    /// The server's report, when the draft has been checked or submitted.
    pub report: Option<ValidationReport>,
    /// What the server found in each kept certificate (shown until the form is edited, so the
    /// page never validates while it is rendered).
    pub certificates: Vec<registration::CertificateSummary>,
    /// The server's clock (Unix seconds), so checks in the browser use the same `now`.
    pub now: i64,
    /// The administrator's organisation, which every draft of theirs is for.
    pub organisation: OrganisationLabel,
    /// Set when the draft changes a submitted request (its next version).
    pub revision: Option<Revision>,
    /// The session's CSRF token, posted back in the form's hidden `csrf_token` field.
    pub csrf_token: String,
    /// The desk's tenant, which token endpoints must name: the browser's checks use the same as
    /// the server's.
    pub tenant_id: String,
    /// The administrator's organisation's part of the directory (its mailboxes, never another
    /// organisation's): what the browser's checks consult, so that they answer as the server's
    /// do for every mailbox that is the organisation's.
    pub directory: registration::DirectorySlice,
    /// The session's idle timeout, seconds: the form warns five minutes before it ends.
    pub session_idle_seconds: i64,
    /// The part of the permission catalogue the page shows (its chosen permissions' entries and
    /// the picker's matches): the browser's catalogue until it fetches the whole, which it does
    /// when the picker is first used ([`crate::pages::register::catalogue_shown`]).
    pub catalogue: registration::catalogue::CatalogueCopy,
}

/// An organisation as a page names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationLabel {
    /// The ODS code (upper case).
    pub ods_code: String,
    /// The name in the directory, when the directory knows the code.
    pub name: Option<String>,
}

impl OrganisationLabel {
    /// "NAME (CODE)", or the code alone.
    pub fn text(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.ods_code),
            None => self.ods_code.clone(),
        }
    }
}

/// The request a revision draft changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// Its reference.
    pub reference: String,
    /// The version submitting the draft makes.
    pub next_version: i64,
    /// For a renewal or change of the registered application: which.
    pub purpose: Option<registration::change::Purpose>,
}

/// What the confirmation page shows about a submitted request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionPage {
    /// The request reference, e.g. `AR-7K3M-Q9XD`.
    pub reference: String,
    /// Version number (1 for a first submission).
    pub version: i64,
    /// Its status.
    pub status: Status,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The organisation's name, when known.
    pub organisation_name: Option<String>,
    /// The application's name.
    pub application_name: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// The report it was submitted with (warnings only: it was valid).
    pub report: ValidationReport,
}

/// Who is looking at a page: the signed-in account, as the pages need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// The account's email.
    pub email: String,
    /// What the account may do.
    pub role: Role,
    /// The organisation of a Local Administrator.
    pub ods_code: Option<String>,
    /// The session's CSRF token: every form that changes something posts it as `csrf_token`.
    pub csrf_token: String,
    /// Whether local passwords are on (`local_sign_in`): without them, no "Change password".
    pub local_passwords: bool,
}

impl Viewer {
    /// Whether the viewer is a Local Administrator.
    pub fn is_local_admin(&self) -> bool {
        self.role == Role::LocalAdmin
    }

    /// Whether the viewer is a reviewer.
    pub fn is_reviewer(&self) -> bool {
        self.role == Role::Reviewer
    }

    /// Whether the viewer is a desk administrator (manages the accounts).
    pub fn is_desk_admin(&self) -> bool {
        self.role == Role::DeskAdmin
    }
}

pub mod accounts;
pub mod applications;
pub mod review;

pub use review::{QueuePage, QueueQuery, ReviewDetail};

/// What a page answers, decided by who is asking: every page's server function gives one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Access<T> {
    /// The page itself.
    Page(T),
    /// No one is signed in: the server function has sent the browser to the sign-in page.
    SignIn,
    /// The page is elsewhere for this viewer (a reviewer's `/requests` is `/review`): the server
    /// function has redirected there.
    Redirect(String),
    /// The page is for another role (403): Local Administrators' pages, reviewers', or the
    /// desk administrators' Accounts pages.
    OnlyFor(Role),
    /// The viewer is a desk administrator, and the page is about requests or applications:
    /// desk administrators manage accounts and nothing else (separation of duties; 403).
    AccountsOnly,
    /// No such thing, or another organisation's (404).
    NotFound,
}

/// Why a page's data could not be loaded. The detail is in the server's log; the page only says
/// that something went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageError {
    /// The server could not answer (its database, say).
    Service,
    /// The app was rendered outside a request (leptos_axum renders it once to list the routes).
    OutsideRequest,
    /// The browser could not reach the server function, or could not read its answer.
    Transport(String),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Service => f.write_str("the service could not answer"),
            PageError::OutsideRequest => f.write_str("the page was rendered outside a request"),
            PageError::Transport(what) => write!(f, "the server could not be reached: {what}"),
        }
    }
}

impl std::error::Error for PageError {}

impl FromServerFnError for PageError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        PageError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
pub use ssr::{Backend, BackendHandle, BoxFuture, PageFuture};

#[cfg(feature = "ssr")]
mod ssr {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use super::review::{QueuePage, QueueQuery, ReviewDetail};
    use super::{Access, FormPage, PageError, RequestPage, RequestsPage, SubmissionPage, Viewer};

    /// A boxed, sendable future (the backend is used as a trait object).
    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// What every page method answers.
    pub type PageFuture<'a, T> = BoxFuture<'a, Result<Access<T>, PageError>>;

    /// The server's side of the pages: everything any page shows, for whoever is asking (the
    /// request's session, which the server reads from the request's parts in context).
    pub trait Backend: Send + Sync + 'static {
        /// The signed-in account making this request (from its session cookie), if any.
        fn viewer(&self) -> BoxFuture<'_, Result<Option<Viewer>, PageError>>;

        /// What the sign-in page offers, and its forms' CSRF token: the one in the browser's
        /// sign-in cookie, or a new one (then the response sets the cookie).
        fn sign_in_form(&self) -> BoxFuture<'_, Result<super::SignInForm, PageError>>;

        /// The signed-in account's "Change your password" page.
        fn account_page(&self) -> PageFuture<'_, super::AccountPage>;

        /// A one-time link to set a new password: whose it is, while it works (`None`: used,
        /// expired, or never made).
        fn password_reset(
            &self,
            token: String,
        ) -> BoxFuture<'_, Result<Option<super::PasswordReset>, PageError>>;

        // Local Administrator pages
        /// The form page for a stored draft of the viewer's organisation, or a new form.
        fn form_page(&self, draft_id: Option<String>, checked: bool) -> PageFuture<'_, FormPage>;
        /// A submitted request's confirmation page.
        fn submission(&self, reference: String) -> PageFuture<'_, SubmissionPage>;
        /// The viewer's organisation's requests (page `page`, from 1) and drafts.
        fn requests_page(&self, page: u32) -> PageFuture<'_, RequestsPage>;
        /// One request: its latest version, or version `version`.
        fn request_page(
            &self,
            reference: String,
            version: Option<i64>,
        ) -> PageFuture<'_, RequestPage>;

        // Reviewers' pages
        /// One page of the review queue.
        fn review_queue(&self, query: QueueQuery) -> PageFuture<'_, QueuePage>;
        /// The latest version of `reference` for a signed-in reviewer (`None` for anyone else,
        /// or no such request): an open review page asks, to warn when a newer one arrives.
        fn latest_version(
            &self,
            reference: String,
        ) -> BoxFuture<'_, Result<Option<i64>, PageError>>;
        /// One request's review page, with the changes since version `since` when given (the
        /// version a reviewer read before a newer one arrived), else since the previous one.
        fn review_detail(
            &self,
            reference: String,
            since: Option<i64>,
        ) -> PageFuture<'_, ReviewDetail>;

        // Registered applications (both roles)
        /// The registered applications the viewer may see, with their credentials.
        fn applications_page(
            &self,
            query: super::applications::ApplicationsQuery,
        ) -> PageFuture<'_, super::applications::ApplicationsPage>;
        /// The credentials that expire within `within_days` days (or have expired).
        fn expiring_page(
            &self,
            within_days: u32,
        ) -> PageFuture<'_, super::applications::ExpiringPage>;

        // Desk administrators' pages
        /// Every account, for the Accounts page.
        fn accounts_page(&self) -> PageFuture<'_, super::accounts::AccountsPage>;
        /// One account's page.
        fn account_detail(&self, id: String) -> PageFuture<'_, super::accounts::AccountDetail>;
    }

    /// The backend as the pages find it in context.
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);
}

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The server's backend, from the request's context. Missing only when the app is rendered
/// outside a request (leptos_axum renders it once to list the routes): then an error, not a panic.
#[cfg(feature = "ssr")]
fn backend() -> Result<BackendHandle, PageError> {
    use_context::<BackendHandle>().ok_or(PageError::OutsideRequest)
}

/// A one-time link to set a new password, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// The account's email.
    pub email: String,
    /// The fewest characters a password may have.
    pub min_length: usize,
}

/// The signed-in account's "Change your password" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    /// The account's email.
    pub email: String,
    /// The session's CSRF token, for the form.
    pub csrf_token: String,
    /// The fewest characters a password may have.
    pub min_length: usize,
}

/// Loads the "Change your password" page (anyone signed in).
#[server(prefix = "/_fn", endpoint = "load_account_page")]
pub async fn load_account_page() -> Result<Access<AccountPage>, PageError> {
    let backend = backend()?;
    let access = backend.0.account_page().await?;
    follow(&access, "/account/password");
    Ok(access)
}

/// Loads the one-time password link `token` (`None` when it does not work).
#[server(prefix = "/_fn", endpoint = "load_password_reset")]
pub async fn load_password_reset(token: String) -> Result<Option<PasswordReset>, PageError> {
    backend()?.0.password_reset(token).await
}

/// Who is signed in (`None` when no one is).
#[server(prefix = "/_fn", endpoint = "load_viewer")]
pub async fn load_viewer() -> Result<Option<Viewer>, PageError> {
    backend()?.0.viewer().await
}

/// What the sign-in page offers, and its forms' CSRF token (there is no session yet: it is
/// bound to a cookie instead).
#[server(prefix = "/_fn", endpoint = "load_sign_in_form")]
pub async fn load_sign_in_form() -> Result<SignInForm, PageError> {
    backend()?.0.sign_in_form().await
}

/// What the sign-in page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInForm {
    /// The forms' CSRF token (masked).
    pub csrf_token: String,
    /// Whether "Sign in with NHSmail" (the desk's OpenID provider) is offered.
    pub nhsmail: bool,
    /// Whether the email and password form is offered (`local_sign_in`).
    pub local: bool,
    /// After how many minutes without a round trip a session ends (what the page tells someone
    /// who was signed out).
    pub idle_minutes: i64,
}

impl Default for SignInForm {
    /// The embedded default: local passwords only (no token: the post is refused, and the page
    /// says the form had expired).
    fn default() -> Self {
        SignInForm {
            csrf_token: String::new(),
            nhsmail: false,
            local: true,
            idle_minutes: 30,
        }
    }
}

// Local Administrator pages

/// One request in the organisation's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRow {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// Its latest version.
    pub version: i64,
    /// Its status.
    pub status: Status,
    /// The application's name.
    pub application_name: String,
    /// When the latest version was submitted (RFC 3339).
    pub submitted_at: String,
}

/// One draft in the organisation's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftRow {
    /// The draft's id (`/register/{id}`).
    pub id: String,
    /// The application's name as typed so far (may be empty).
    pub application_name: String,
    /// The request it changes, for a revision.
    pub reference: Option<String>,
    /// When it was last saved (RFC 3339).
    pub updated_at: String,
}

/// "Your requests": the organisation's requests and drafts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestsPage {
    /// The organisation.
    pub organisation: OrganisationLabel,
    /// This page of requests.
    pub requests: Vec<RequestRow>,
    /// The page number (from 1).
    pub page: u32,
    /// Requests a page.
    pub per_page: u32,
    /// Requests in all.
    pub total: u64,
    /// Every draft of the organisation, most recent first.
    pub drafts: Vec<DraftRow>,
    /// The session's CSRF token, for the drafts' delete buttons.
    pub csrf_token: String,
}

/// One version in a request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    /// Its number.
    pub version: i64,
    /// Its status.
    pub status: Status,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// Who submitted it.
    pub submitted_by: Option<String>,
}

/// One reviewer's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    /// The version decided on.
    pub version: i64,
    /// What was decided.
    pub decision: Decision,
    /// The reviewer's reason, when given.
    pub reason: Option<String>,
    /// The reviewer's email.
    pub reviewer_email: String,
    /// When (RFC 3339).
    pub decided_at: String,
}

/// A request's own page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestPage {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The request's status now (its latest version's).
    pub status: Status,
    /// The latest version's number.
    pub latest_version: i64,
    /// The version shown.
    pub version: VersionRow,
    /// The organisation.
    pub organisation: OrganisationLabel,
    /// The version's request.
    pub request: registration::RegistrationRequest,
    /// The report it was accepted with.
    pub report: ValidationReport,
    /// Every version, oldest first.
    pub versions: Vec<VersionRow>,
    /// Every decision, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// For the organisation's administrators while changes are requested: the CSRF token of
    /// the "Edit and resubmit" form.
    pub revise_csrf_token: Option<String>,
    /// For the organisation's administrators when the request was rejected or withdrawn (and
    /// never made in the tenant): the CSRF token of "Start a new request from this one".
    pub copy_csrf_token: Option<String>,
    /// For the organisation's administrators while the request waits for a decision or for
    /// their changes: the CSRF token of "Withdraw this request".
    pub withdraw_csrf_token: Option<String>,
    /// Once withdrawn: who withdrew it, when and why.
    pub withdrawal: Option<StepRow>,
    /// A revision draft already started for this request (answering changes requested, or a
    /// renewal or change being prepared).
    pub revision_draft: Option<String>,
    /// For the organisation's administrators while the application is live and no renewal or
    /// change of it is open: the CSRF token of the "Request a renewal" and "Request a change"
    /// forms.
    pub change_csrf_token: Option<String>,
    /// Why the latest version was asked for, when it is a renewal or change.
    pub purpose: Option<registration::change::Purpose>,
    /// Once live: the registered application (never the secret's value).
    pub live: Option<LiveApplication>,
    /// Once live with a client secret, for the organisation's Local Administrators only: the
    /// secret within its 72 hours, or that it was destroyed.
    pub secret: Option<HandedBack>,
    /// Once registered: its deletion and recovery, and the form the viewer may send.
    pub life: Option<ApplicationLife>,
}

/// One step of a registered application's deletion or recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRow {
    /// Its number (a reviewer's answer quotes the request's).
    pub n: i64,
    /// What was done.
    pub step: registration::lifecycle::Step,
    /// Why, when given.
    pub reason: Option<String>,
    /// Who (`None`: the desk's scheduler).
    pub actor_email: Option<String>,
    /// When (RFC 3339).
    pub taken_at: String,
}

/// A registered application's deletion and recovery, as its pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationLife {
    /// Every step, oldest first.
    pub steps: Vec<StepRow>,
    /// The request waiting for a reviewer, if any.
    pub waiting: Option<StepRow>,
    /// When the current deletion was confirmed (RFC 3339).
    pub deleted_at: Option<String>,
    /// While deleted: until when it can be recovered (RFC 3339).
    pub recoverable_until: Option<String>,
    /// The form the viewer may send now, with the session's CSRF token: the organisation's
    /// Local Administrators ask for a deletion (live) or a recovery (deleted, within the 30
    /// days); a reviewer answers the waiting request.
    pub form: Option<StepForm>,
}

/// The form a viewer may send about a registered application now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepForm {
    /// "Delete this application" (a reason is required).
    RequestDeletion {
        /// The session's CSRF token.
        csrf_token: String,
    },
    /// "Ask for it to be recovered".
    RequestRecovery {
        /// The session's CSRF token.
        csrf_token: String,
    },
    /// Confirm or decline the waiting request.
    Answer {
        /// The session's CSRF token.
        csrf_token: String,
    },
    /// Withdraw the organisation's own waiting request (a deletion or a recovery).
    Withdraw {
        /// The session's CSRF token.
        csrf_token: String,
        /// `withdraw_deletion` or `withdraw_recovery`.
        step: registration::lifecycle::Step,
    },
}

/// A credential of a live application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRow {
    /// `certificate` or `secret`.
    pub kind: String,
    /// A certificate's SHA-1 thumbprint, or a secret's id.
    pub id: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// Replaced by a renewal or change: still listed until it expires, so that it is removed
    /// from the application's configuration once the new one is in use.
    #[serde(default)]
    pub replaced: bool,
}

impl CredentialRow {
    /// "Certificate" or "Client secret" (", replaced" once a renewal replaced it).
    pub fn kind_text(&self) -> &'static str {
        match (self.kind == "secret", self.replaced) {
            (true, false) => "Client secret",
            (true, true) => "Client secret (replaced: stop using it)",
            (false, false) => "Certificate",
            (false, true) => "Certificate (replaced: stop using it)",
        }
    }
}

/// A registered application: what NHSmail created for an approved request (never the secret's
/// value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveApplication {
    /// The Application (client) ID.
    pub application_id: String,
    /// The application object's ID.
    pub object_id: String,
    /// The Directory (tenant) ID.
    pub tenant_id: String,
    /// When it was recorded as created (RFC 3339; a renewal or change made later keeps it).
    pub implemented_at: String,
    /// The request's version it was made from (the live version).
    pub version: i64,
    /// The application's status (its live version's): live while a renewal or change of it is
    /// reviewed as a later version.
    pub status: Status,
    /// Its certificates and client secrets, with their expiry.
    pub credentials: Vec<CredentialRow>,
}

impl LiveApplication {
    /// The tenant's authorisation endpoint.
    pub fn authorize_endpoint(&self) -> String {
        registration::implementation::authorize_endpoint(&self.tenant_id)
    }

    /// The tenant's token endpoint.
    pub fn token_endpoint(&self) -> String {
        registration::implementation::token_endpoint(&self.tenant_id)
    }
}

/// The client secret as the organisation's Local Administrators' page has it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandedBack {
    /// Within the 72 hours: the value.
    Shown {
        /// The secret's value.
        value: String,
        /// Its id.
        secret_id: String,
        /// When it expires (RFC 3339).
        expires_at: String,
        /// Until when it is shown (RFC 3339).
        visible_until: String,
    },
    /// The 72 hours are over: it was destroyed.
    Destroyed {
        /// When it stopped being shown (RFC 3339).
        visible_until: String,
    },
}

impl std::fmt::Debug for HandedBack {
    /// Never the value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandedBack::Shown {
                secret_id,
                visible_until,
                ..
            } => f
                .debug_struct("Shown")
                .field("secret_id", secret_id)
                .field("visible_until", visible_until)
                .finish_non_exhaustive(),
            HandedBack::Destroyed { visible_until } => f
                .debug_struct("Destroyed")
                .field("visible_until", visible_until)
                .finish(),
        }
    }
}

/// `/sign-in?next=…` for a page at `here` (path and query).
pub fn sign_in_path(here: &str) -> String {
    format!("/sign-in?next={}", encode_query_value(here))
}

/// Percent-encodes a query value, keeping `/` readable.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Sends the browser where `access` says: a `303 See Other` when the page itself is being
/// rendered, a router navigation when the browser called the server function.
#[cfg(feature = "ssr")]
fn follow<T>(access: &Access<T>, here: &str) {
    let to = match access {
        Access::SignIn => sign_in_path(here),
        Access::Redirect(to) => to.clone(),
        _ => return,
    };
    let called_from_the_browser = use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/_fn/"));
    if called_from_the_browser {
        leptos_axum::redirect(&to);
    } else if let (Some(response), Ok(location)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&to),
    ) {
        response.set_status(http::StatusCode::SEE_OTHER);
        response.insert_header(http::header::LOCATION, location);
    }
}

/// Loads the form page (a new form when `draft_id` is `None`); `here` is the page's path and
/// query (where sign-in comes back to).
#[server(prefix = "/_fn", endpoint = "load_form")]
pub async fn load_form(
    draft_id: Option<String>,
    checked: bool,
    here: String,
) -> Result<Access<FormPage>, PageError> {
    let backend = backend()?;
    let access = backend.0.form_page(draft_id, checked).await?;
    follow(&access, &here);
    Ok(access)
}

/// Loads a submitted request's confirmation page.
#[server(prefix = "/_fn", endpoint = "load_submission")]
pub async fn load_submission(reference: String) -> Result<Access<SubmissionPage>, PageError> {
    let backend = backend()?;
    let here = format!(
        "/registrations/{}/submitted",
        encode_query_value(&reference)
    );
    let access = backend.0.submission(reference).await?;
    follow(&access, &here);
    Ok(access)
}

/// Loads "Your requests" (page `page`, from 1).
#[server(prefix = "/_fn", endpoint = "load_requests")]
pub async fn load_requests(page: u32) -> Result<Access<RequestsPage>, PageError> {
    let backend = backend()?;
    let access = backend.0.requests_page(page).await?;
    let here = if page > 1 {
        format!("/requests?page={page}")
    } else {
        "/requests".to_string()
    };
    follow(&access, &here);
    Ok(access)
}

/// Loads a request's page (its latest version, or `version`).
#[server(prefix = "/_fn", endpoint = "load_request")]
pub async fn load_request(
    reference: String,
    version: Option<i64>,
) -> Result<Access<RequestPage>, PageError> {
    let backend = backend()?;
    let here = format!("/requests/{}", encode_query_value(&reference));
    let access = backend.0.request_page(reference, version).await?;
    follow(&access, &here);
    Ok(access)
}

/// What the sign-in page shows after a failed attempt (the server renders the page with it in
/// context; it reaches the browser inside the page's resource, so hydration sees the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInProblem {
    /// The email as typed (kept; the password never is).
    pub email: String,
    /// What went wrong, for the error summary.
    pub message: String,
    /// True when the attempt was refused by the rate limit (the message says when to retry).
    pub rate_limited: bool,
    /// Where to go after signing in, as the failed attempt posted it (the browser's address is
    /// then `/sign-in` without the query, so the page takes it from here).
    pub next: String,
    /// True when the problem is with signing in with NHSmail (the summary links to that button,
    /// and the email field is not marked).
    pub nhsmail: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_paths_carry_the_page_encoded() {
        assert_eq!(sign_in_path("/register"), "/sign-in?next=/register");
        assert_eq!(
            sign_in_path("/register/abc?checked=1&x=y"),
            "/sign-in?next=/register/abc%3Fchecked%3D1%26x%3Dy"
        );
    }
}
