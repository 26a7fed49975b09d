//! What the pages need from the server, and the server functions that fetch it.
//!
//! `app` cannot name the server's state (the server depends on `app`), so the server provides
//! a [`Backend`] in context and the server functions call it. The same functions are what the
//! JSON API calls: one code path, two doors.

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
    /// The server's clock (Unix seconds), so checks in the browser use the same `now`.
    pub now: i64,
}

/// What the confirmation page shows about a submitted request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionPage {
    /// The request reference, e.g. `AR-7K3M-Q9XD`.
    pub reference: String,
    /// Version number (1 for a first submission).
    pub version: i64,
    /// Status, snake_case (`submitted`, …).
    pub status: String,
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
    /// `local_admin` or `reviewer`.
    pub role: String,
    /// The organisation of a Local Administrator.
    pub ods_code: Option<String>,
    /// The session's CSRF token: every form that changes something posts it as `csrf_token`.
    pub csrf_token: String,
}

impl Viewer {
    /// Whether the viewer is a Local Administrator.
    pub fn is_local_admin(&self) -> bool {
        self.role == "local_admin"
    }

    /// Whether the viewer is a reviewer.
    pub fn is_reviewer(&self) -> bool {
        self.role == "reviewer"
    }
}

#[cfg(feature = "ssr")]
pub use ssr::{Backend, BackendHandle, BoxFuture};

#[cfg(feature = "ssr")]
mod ssr {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use super::{FormPage, SubmissionPage, Viewer};

    /// A boxed, sendable future (the backend is used as a trait object).
    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// The server's side of the pages.
    pub trait Backend: Send + Sync + 'static {
        /// The signed-in account making this request (from its session cookie), if any.
        fn viewer(&self) -> BoxFuture<'_, Result<Option<Viewer>, String>>;
        /// The form page for a stored draft (`None` when no such draft) or a new form.
        fn form_page(
            &self,
            draft_id: Option<String>,
            checked: bool,
        ) -> BoxFuture<'_, Result<Option<FormPage>, String>>;
        /// A submitted request's confirmation page, `None` when no such reference.
        fn submission(
            &self,
            reference: String,
        ) -> BoxFuture<'_, Result<Option<SubmissionPage>, String>>;
    }

    /// The backend as the pages find it in context.
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);
}

use leptos::prelude::*;

/// Loads the form page (a new form when `draft_id` is `None`).
#[server(prefix = "/_fn", endpoint = "load_form")]
pub async fn load_form(
    draft_id: Option<String>,
    checked: bool,
) -> Result<Option<FormPage>, ServerFnError> {
    let backend = expect_context::<BackendHandle>();
    backend
        .0
        .form_page(draft_id, checked)
        .await
        .map_err(ServerFnError::new)
}

/// Who is signed in (`None` when no one is).
#[server(prefix = "/_fn", endpoint = "load_viewer")]
pub async fn load_viewer() -> Result<Option<Viewer>, ServerFnError> {
    let backend = expect_context::<BackendHandle>();
    backend.0.viewer().await.map_err(ServerFnError::new)
}

/// Loads a submitted request's confirmation page.
#[server(prefix = "/_fn", endpoint = "load_submission")]
pub async fn load_submission(reference: String) -> Result<Option<SubmissionPage>, ServerFnError> {
    let backend = expect_context::<BackendHandle>();
    backend
        .0
        .submission(reference)
        .await
        .map_err(ServerFnError::new)
}
