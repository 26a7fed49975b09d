//! Validation is CPU work: certificate parsing, RSA signature checks, hundreds of URIs. It runs
//! on tokio's blocking pool behind one semaphore ([`crate::limits::Limits::validation`], about two
//! per core), never on the async workers that answer every other request. A validation waits
//! for its turn at most [`crate::limits::LimitSettings::validation_wait`]; past that the caller
//! is told the desk is busy (503) rather than queued without end.

use std::sync::Arc;

use registration::{Directory, RegistrationRequest, ValidationReport};
use time::OffsetDateTime;

use crate::limits::Limits;
use crate::store::directory::ServerDirectory;

/// Every validation permit stayed taken for the whole wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("every validation slot is busy")]
pub struct Busy;

/// Who the directory answers: a signed-in user learns who owns which mailbox; an anonymous
/// caller gets the rules and the (public) organisation data only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A signed-in Local Administrator or reviewer.
    SignedIn,
    /// Anyone, unauthenticated.
    Anonymous,
}

/// The directory for `audience`.
pub fn directory_for(directory: &ServerDirectory, audience: Audience) -> Directory<'_> {
    match audience {
        Audience::SignedIn => directory.rules(),
        Audience::Anonymous => directory.organisations_only(),
    }
}

/// Runs `job` on the blocking pool with a validation permit, held until it is done (even if the
/// caller goes away meanwhile).
pub async fn on_pool<T: Send + 'static>(
    limits: &Limits,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Busy> {
    let permit = tokio::time::timeout(
        limits.settings.validation_wait,
        Arc::clone(&limits.validation).acquire_owned(),
    )
    .await
    .map_err(|_| Busy)?
    .map_err(|_| Busy)?;
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        job()
    })
    .await;
    match done {
        Ok(value) => Ok(value),
        // A panic in the rules is a bug: let it surface as it would have on the caller's task.
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// Validates `request` at `now` for `audience`, on the blocking pool.
pub async fn validate(
    limits: &Limits,
    directory: &Arc<ServerDirectory>,
    request: RegistrationRequest,
    audience: Audience,
    now: OffsetDateTime,
) -> Result<ValidationReport, Busy> {
    let directory = Arc::clone(directory);
    on_pool(limits, move || {
        registration::validate(&request, directory_for(&directory, audience), now)
    })
    .await
}
