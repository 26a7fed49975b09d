//! The server's side of the pages: what `app`'s server functions ask for.

use std::sync::Arc;

use app::backend::{Backend, BackendHandle, BoxFuture, FormPage, SubmissionPage, Viewer};
use registration::{Directory, RegistrationDraft, validate_draft};
use time::OffsetDateTime;

use super::AppState;
use crate::identity::SignedIn;
use crate::identity::sessions;
use crate::store::{drafts, registrations};

/// Answers the pages from the database and the directory.
pub struct PagesBackend {
    state: AppState,
}

impl PagesBackend {
    /// The handle the pages find in context.
    pub fn handle(state: AppState) -> BackendHandle {
        BackendHandle(Arc::new(PagesBackend { state }))
    }
}

/// The signed-in account of the request being rendered or the server function being called
/// (leptos_axum puts the request's parts in context), or `None`.
pub async fn signed_in_from_context(state: &AppState) -> anyhow::Result<Option<SignedIn>> {
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return Ok(None);
    };
    let Some(token) = sessions::token_from_headers(&parts.headers) else {
        return Ok(None);
    };
    let resumed = sessions::resume(&state.pool, &token, OffsetDateTime::now_utc()).await?;
    Ok(resumed.map(|(identity, session)| SignedIn { identity, session }))
}

/// Logs the detail and tells the page only that something went wrong.
fn internal(error: anyhow::Error) -> String {
    tracing::error!(error = %format!("{error:#}"), "a page could not be answered");
    "the service could not answer".to_string()
}

impl Backend for PagesBackend {
    fn viewer(&self) -> BoxFuture<'_, Result<Option<Viewer>, String>> {
        Box::pin(async move {
            let signed_in = signed_in_from_context(&self.state)
                .await
                .map_err(internal)?;
            Ok(signed_in.map(|signed_in| Viewer {
                email: signed_in.identity.email.clone(),
                role: signed_in.identity.role.as_str().to_string(),
                ods_code: signed_in.identity.ods_code.clone(),
                csrf_token: signed_in.session.csrf_token().to_string(),
            }))
        })
    }

    fn form_page(
        &self,
        draft_id: Option<String>,
        checked: bool,
    ) -> BoxFuture<'_, Result<Option<FormPage>, String>> {
        Box::pin(async move {
            let now = OffsetDateTime::now_utc();
            let (draft_id, draft, show_findings) = match draft_id {
                None => (None, RegistrationDraft::new_form(), false),
                Some(id) => match drafts::load(&self.state.pool, &id)
                    .await
                    .map_err(internal)?
                {
                    None => return Ok(None),
                    // Once checked, a draft keeps showing its findings on every later round trip.
                    Some(stored) => (Some(stored.id), stored.draft, checked || stored.checked),
                },
            };
            let report = show_findings.then(|| {
                validate_draft(&draft, Directory::new(self.state.directory.as_ref()), now)
            });
            Ok(Some(FormPage {
                draft_id,
                draft,
                report,
                now: now.unix_timestamp(),
            }))
        })
    }

    fn submission(
        &self,
        reference: String,
    ) -> BoxFuture<'_, Result<Option<SubmissionPage>, String>> {
        Box::pin(async move {
            let stored = registrations::latest(&self.state.pool, &reference)
                .await
                .map_err(internal)?;
            Ok(stored.map(|stored| SubmissionPage {
                reference: stored.reference,
                version: stored.version,
                status: stored.status.as_str().to_string(),
                ods_code: stored.ods_code,
                organisation_name: stored.organisation_name,
                application_name: stored.application_name,
                submitted_at: stored.submitted_at,
                report: stored.report,
            }))
        })
    }
}
