//! Submitting a registration request: one code path for every door (the form now, the JSON API
//! later). The request is validated with the same rules as everywhere else and stored only when
//! valid; `submit` returns only after the commit, so a reference shown is a reference kept.
//! The stored request, its signed record and its log entry are written in one transaction: a
//! record exists exactly when the registration does.

use registration::rules::permission::{self, Risk};
use registration::{Directory, RegistrationRequest, ValidationReport};
use sqlx::SqlitePool;
use time::OffsetDateTime;

use crate::signing::{self, KeyRing, RecordSource};
use crate::store::directory::ServerDirectory;
use crate::store::{drafts, log, registrations};

pub use crate::store::registrations::Status;

/// A stored submission.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Submitted {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// Always 1 for a new request.
    pub version: i64,
    /// Always `submitted` for a new request.
    pub status: Status,
    /// The report the request was accepted with (it may hold warnings).
    pub report: ValidationReport,
    /// How much attention the reviewer must give it.
    #[serde(skip)]
    pub risk: Risk,
}

/// Why a request was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The report has errors; nothing was stored.
    #[error("the request has errors")]
    Invalid(Box<ValidationReport>),
    /// The database failed; nothing was stored.
    #[error("the request could not be stored")]
    Store(#[from] anyhow::Error),
}

/// Validates `request` as of `now` and, when valid, stores it as version 1 with status
/// `submitted` under a new reference.
pub async fn submit(
    pool: &SqlitePool,
    directory: &ServerDirectory,
    keys: &KeyRing,
    request: &RegistrationRequest,
    now: OffsetDateTime,
) -> Result<Submitted, SubmitError> {
    submit_inner(pool, directory, keys, request, now, None).await
}

/// As [`submit`], and deletes the form's draft in the same transaction (a submitted draft is
/// gone exactly when the submission is stored).
pub async fn submit_draft(
    pool: &SqlitePool,
    directory: &ServerDirectory,
    keys: &KeyRing,
    request: &RegistrationRequest,
    draft_id: &str,
    now: OffsetDateTime,
) -> Result<Submitted, SubmitError> {
    submit_inner(pool, directory, keys, request, now, Some(draft_id)).await
}

async fn submit_inner(
    pool: &SqlitePool,
    directory: &ServerDirectory,
    keys: &KeyRing,
    request: &RegistrationRequest,
    now: OffsetDateTime,
    draft_id: Option<&str>,
) -> Result<Submitted, SubmitError> {
    let report = registration::validate(request, Directory::new(directory), now);
    if !report.valid {
        return Err(SubmitError::Invalid(Box::new(report)));
    }
    let risk = permission::risk(request);
    // BEGIN IMMEDIATE takes SQLite's writer lock first, so the log's tail read by
    // `log::append` cannot change before this transaction commits (see store/log.rs).
    let mut transaction = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(anyhow::Error::from)?;
    let reference =
        registrations::insert_new(&mut transaction, request, &report, risk, now).await?;
    let key = keys.current(&mut transaction).await?;
    let record = signing::sign_record(
        &key,
        &RecordSource {
            issuer: keys.issuer(),
            reference: &reference,
            version: 1,
            request,
            report: &report,
            submitted_at: now,
        },
    );
    log::append(
        &mut transaction,
        log::Kind::RegistrationRecord,
        &reference,
        1,
        &record,
        now,
    )
    .await?;
    if let Some(id) = draft_id {
        drafts::delete_in(&mut transaction, id).await?;
    }
    transaction.commit().await.map_err(anyhow::Error::from)?;
    Ok(Submitted {
        reference,
        version: 1,
        status: Status::Submitted,
        report,
        risk,
    })
}
