//! Submitting, resubmitting and reading registration requests: one code path for every door (the
//! form, the pages' server functions, the JSON API). The request is validated with the same rules
//! as everywhere else and stored only when valid; the functions return only after the commit, so
//! a reference shown is a reference kept. The stored version, its signed record and its log entry
//! are written in one transaction: a record exists exactly when the version does.
//!
//! Who may do what is decided here, from the capability values of [`crate::identity`]: a
//! [`LocalAdminOf`] submits only for their own organisation; reading goes through
//! [`find`]/[`find_version`]/[`list`], which show a Local Administrator only their organisation's
//! requests (another organisation's reference is answered exactly like one that does not exist).

use std::sync::Arc;

use registration::rules::permission::{self, Risk};
use registration::{RegistrationRequest, ValidationReport};
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::identity::{Identity, LocalAdminOf, Role, may_read};
use crate::notify::{self, Mailer};
use crate::signing::{self, KeyRing, PrivateKey, RecordSource};
use crate::store::directory::ServerDirectory;
use crate::store::registrations::{InsertError, Submitter, VersionRow, new_reference};
use crate::store::writer::{Batch, NewRequest, SignedAhead};
use crate::store::{drafts, log, registrations};

pub use crate::store::registrations::{
    Filter, PER_PAGE, Page, Purpose, Status, StoredRegistration, Summary,
};

/// What the domain functions work with.
#[derive(Clone, Copy)]
pub struct Desk<'a> {
    /// The database.
    pub pool: &'a AnyPool,
    /// The organisation and mailbox directory.
    pub directory: &'a Arc<ServerDirectory>,
    /// The bounds on work (validation runs on the blocking pool within them).
    pub limits: &'a crate::limits::Limits,
    /// The record-signing keys.
    pub keys: &'a KeyRing,
    /// Where receipts and decision notices go (sent after the commit, never holding it up).
    pub mailer: &'a Arc<Mailer>,
    /// The single writer's turn (submissions and decisions queue for it).
    pub writer: &'a crate::store::WriteLock,
}

impl Desk<'_> {
    /// The address of a request's page, for emails (the desk's public URL is the records' issuer).
    pub fn request_page_url(&self, reference: &str) -> String {
        format!(
            "{}/requests/{reference}",
            self.keys.issuer().trim_end_matches('/')
        )
    }
}

/// A stored submission.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Submitted {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// 1 for a new request, n + 1 for a resubmission.
    pub version: i64,
    /// Always `submitted`.
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
    /// The request's ODS code is not the Local Administrator's organisation (403).
    #[error("the request is for another organisation than yours")]
    WrongOrganisation,
    /// No such reference, or another organisation's (404).
    #[error("there is no such registration request")]
    NotFound,
    /// A resubmission of a request that is not waiting for changes (409).
    #[error("the request is {0:?}, not waiting for changes")]
    NotAwaitingChanges(Status),
    /// A new request was asked to be started from one that is not rejected or withdrawn (409).
    #[error("the request is {0:?}, not rejected or withdrawn")]
    NotRejected(Status),
    /// A renewal or change of a request that is not a live registered application (409).
    #[error("the application is {0:?}, not live")]
    NotLive(Status),
    /// A renewal or change while another one of the same application is being reviewed or
    /// made (409).
    #[error("another renewal or change of the application is open")]
    ChangeOpen,
    /// The version is not the renewal or change it is asked as (422); nothing was stored.
    #[error("{}", .0.message())]
    NotAChange(registration::change::ChangeRefusal),
    /// The report has errors; nothing was stored (422).
    #[error("the request has errors")]
    Invalid(Box<ValidationReport>),
    /// Every validation slot stayed busy; nothing was checked or stored (503).
    #[error("every validation slot is busy")]
    Busy,
    /// A draft could not be stored (the organisation keeps the most drafts allowed).
    #[error(transparent)]
    DraftRefused(#[from] drafts::DraftRefused),
    /// The database failed; nothing was stored (500).
    #[error("the request could not be stored")]
    Store(#[from] anyhow::Error),
}

/// Whether `ods_code` (as typed in a request) names the administrator's organisation.
fn is_own_organisation(admin: &LocalAdminOf, ods_code: &str) -> bool {
    ods_code.trim().eq_ignore_ascii_case(admin.ods_code())
}

/// Validates `request` as of `now` and, when valid, stores it as version 1 with status
/// `submitted` under a new reference, submitted by `admin`.
pub async fn submit(
    desk: Desk<'_>,
    admin: &LocalAdminOf,
    request: &RegistrationRequest,
    now: OffsetDateTime,
) -> Result<Submitted, SubmitError> {
    store_version(desk, admin, request, Target::New, None, now).await
}

/// As [`submit`] for a form draft, which is deleted in the same transaction (a submitted draft
/// is gone exactly when the submission is stored). A draft that revises a request (it has a
/// reference) becomes that request's next version, as [`resubmit`]; one started as a renewal or
/// change of a registered application, as [`request_change`].
pub async fn submit_draft(
    desk: Desk<'_>,
    admin: &LocalAdminOf,
    request: &RegistrationRequest,
    draft: &drafts::StoredDraft,
    now: OffsetDateTime,
) -> Result<Submitted, SubmitError> {
    let target = match (&draft.owner.reference, draft.owner.purpose) {
        (Some(reference), Some(purpose)) => Target::ChangeOf(reference, purpose),
        (Some(reference), None) => Target::NextVersionOf(reference),
        (None, _) => Target::New,
    };
    store_version(desk, admin, request, target, Some(&draft.id), now).await
}

/// Stores `request` as the next version of `reference`, which must be the administrator's
/// organisation's and waiting for changes; earlier versions stay as they were.
pub async fn resubmit(
    desk: Desk<'_>,
    admin: &LocalAdminOf,
    reference: &str,
    request: &RegistrationRequest,
    now: OffsetDateTime,
) -> Result<Submitted, SubmitError> {
    store_version(
        desk,
        admin,
        request,
        Target::NextVersionOf(reference),
        None,
        now,
    )
    .await
}

/// Stores `request` as a renewal or change (`purpose`) of the registered application
/// `reference`: the administrator's organisation's, live, with no other renewal or change open
/// (the latest version is the live one, or a rejected one). It is the request's next version,
/// `submitted`, validated by the same rules, and it must be a `purpose` of the live version
/// ([`registration::change::check`]); the live version stays live until the change is made.
pub async fn request_change(
    desk: Desk<'_>,
    admin: &LocalAdminOf,
    reference: &str,
    purpose: Purpose,
    request: &RegistrationRequest,
    now: OffsetDateTime,
) -> Result<Submitted, SubmitError> {
    store_version(
        desk,
        admin,
        request,
        Target::ChangeOf(reference, purpose),
        None,
        now,
    )
    .await
}

/// Where a submission goes.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// Version 1 of a new reference.
    New,
    /// The next version of an existing reference, answering "changes requested".
    NextVersionOf(&'a str),
    /// The next version of a registered application, opening a renewal or change of it.
    ChangeOf(&'a str, Purpose),
}

/// Whether a renewal or change of the application may be opened now, given its `application`
/// version (the implemented one) and its `latest` version: live, and nothing else open (the
/// latest version is the live one, or a change that was rejected).
fn may_open_change(
    application: Option<&StoredRegistration>,
    latest: &StoredRegistration,
) -> Result<(), SubmitError> {
    let Some(application) = application else {
        return Err(SubmitError::NotLive(latest.status));
    };
    if application.status != Status::Live {
        return Err(SubmitError::NotLive(application.status));
    }
    if is_change_open(application.version, latest) {
        return Err(SubmitError::ChangeOpen);
    }
    Ok(())
}

/// Whether a renewal or change of the application whose live version is `live_version` is open:
/// its `latest` version is a later one that was not rejected or withdrawn (being reviewed, sent
/// back, or approved and not yet made).
pub fn is_change_open(live_version: i64, latest: &StoredRegistration) -> bool {
    latest.version != live_version && !latest.status.is_ended_unapproved()
}

async fn store_version(
    desk: Desk<'_>,
    admin: &LocalAdminOf,
    request: &RegistrationRequest,
    target: Target<'_>,
    draft_id: Option<&str>,
    now: OffsetDateTime,
) -> Result<Submitted, SubmitError> {
    // Authorisation before validation: a request the caller may not make is refused as such,
    // whatever its findings.
    let mut expected_version = None;
    // For a renewal or change (opened now, or a resubmission of one): its purpose and the live
    // version's request it is checked against.
    let mut change: Option<(Purpose, RegistrationRequest)> = None;
    if let Target::NextVersionOf(reference) | Target::ChangeOf(reference, _) = target {
        let latest = own_latest(desk.pool, admin, reference).await?;
        let application = registrations::application(desk.pool, reference).await?;
        match target {
            Target::ChangeOf(_, purpose) => {
                may_open_change(application.as_ref(), &latest)?;
                change = application.map(|live| (purpose, live.request));
            }
            _ => {
                if latest.status != Status::ChangesRequested {
                    return Err(SubmitError::NotAwaitingChanges(latest.status));
                }
                change = latest.purpose.zip(application.map(|live| live.request));
            }
        }
        expected_version = Some(latest.version + 1);
    }
    if !is_own_organisation(admin, &request.ods_code) {
        return Err(SubmitError::WrongOrganisation);
    }
    // Validation, the risk and the record's signature are CPU work: done on the blocking pool
    // (`crate::validation`), with the request owned because the job outlives this borrow.
    let sign_ahead_as = match (desk.writer.last_key(), target) {
        (Some(key), Target::New) => Some((key, new_reference()?, 1)),
        (Some(key), Target::NextVersionOf(reference) | Target::ChangeOf(reference, _)) => {
            expected_version.map(|version| (key, reference.to_string(), version))
        }
        (None, _) => None,
    };
    let directory = Arc::clone(desk.directory);
    let issuer = desk.keys.issuer().to_string();
    let request_owned = request.clone();
    let target_owned = match target {
        Target::New => None,
        Target::NextVersionOf(reference) | Target::ChangeOf(reference, _) => {
            Some(reference.to_string())
        }
    };
    let opens_change = matches!(target, Target::ChangeOf(..));
    let purpose = change.as_ref().map(|(purpose, _)| *purpose);
    let draft_id = draft_id.map(str::to_string);
    let (submitter_id, submitter_email) = (admin.user_id().to_string(), admin.email().to_string());
    let job = crate::validation::on_pool(desk.limits, move || {
        let report = registration::validate(&request_owned, directory.rules(), now);
        if !report.valid {
            return Err(SubmitError::Invalid(Box::new(report)));
        }
        if let Some((purpose, live)) = &change {
            registration::change::check(*purpose, live, &request_owned, now)
                .map_err(SubmitError::NotAChange)?;
        }
        let mut job = VersionJob {
            target: target_owned,
            purpose: change.map(|(purpose, _)| purpose),
            opens_change,
            draft_id,
            risk: permission::risk(&request_owned),
            request: request_owned,
            report,
            submitter_id,
            submitter_email,
            now,
            signed_ahead: None,
        };
        job.signed_ahead = sign_ahead_as
            .map(|(key, reference, version)| job.sign_ahead(&key, &issuer, reference, version));
        Ok(job)
    })
    .await
    .map_err(|crate::validation::Busy| SubmitError::Busy)??;
    let risk = job.risk;
    // Stored in the writer's next batch (`store::writer`), which returns once the batch has
    // committed, so the receipt below is for a stored version: a new request with the other new
    // requests of its batch, a next version as a job of its own.
    let (reference, version, report, entry) = match job.target.clone() {
        None => {
            let mut job = job;
            let row = VersionRow::new(
                &job.request,
                &job.report,
                job.risk,
                Submitter {
                    user_id: &job.submitter_id,
                    email: &job.submitter_email,
                },
                None,
                job.now,
            )?;
            let (draft_id, signed_ahead, now) =
                (job.draft_id.take(), job.signed_ahead.take(), job.now);
            // The job signs again if its batch must (a taken reference, another key).
            let job = Arc::new(job);
            let signer = Arc::clone(&job);
            let new = NewRequest {
                row,
                draft_id,
                signed_ahead,
                sign: Box::new(move |key, issuer, reference| {
                    signer.sign(key, issuer, reference, 1)
                }),
                now,
            };
            let stored = desk.writer.insert_new(desk.pool, desk.keys, new).await?;
            (stored.reference, 1, job.report.clone(), stored.entry)
        }
        Some(reference) => {
            desk.writer
                .write(desk.pool, desk.keys, move |connection, batch| {
                    Box::pin(async move {
                        let (version, entry) =
                            job.store_next(connection, batch, &reference).await?;
                        Ok::<_, SubmitError>((reference, version, job.report, entry))
                    })
                })
                .await?
        }
    };
    desk.mailer
        .send_in_background(notify::receipt(&notify::Receipt {
            reference: &reference,
            version,
            application_name: &request.application.name,
            ods_code: admin.ods_code(),
            organisation_name: report.organisation.as_ref().map(|org| org.name.as_str()),
            submitter_email: admin.email(),
            contacts: &request.contacts,
            page_url: &desk.request_page_url(&reference),
            log_entry: notify::LogPosition {
                seq: entry.seq,
                hash: &entry.entry_hash,
            },
        }))
        .await;
    crate::reviewer_notices::arrived(
        desk.pool,
        desk.mailer,
        desk.keys.issuer(),
        crate::reviewer_notices::Arrival {
            reference: reference.clone(),
            version,
            application_name: request.application.name.clone(),
            ods_code: admin.ods_code().to_string(),
            organisation_name: report.organisation.as_ref().map(|org| org.name.clone()),
            risk,
            purpose,
        },
    );
    Ok(Submitted {
        reference,
        version,
        status: Status::Submitted,
        report,
        risk,
    })
}

/// A validated version waiting for the writer: everything it needs, owned, because it may be
/// stored after its caller has gone away.
struct VersionJob {
    /// `None` for a new reference; the reference to add a version to otherwise.
    target: Option<String>,
    /// A renewal or change of the registered application `target`: which.
    purpose: Option<Purpose>,
    /// True when this version opens the renewal or change (false when it answers "changes
    /// requested").
    opens_change: bool,
    draft_id: Option<String>,
    request: RegistrationRequest,
    report: ValidationReport,
    risk: Risk,
    submitter_id: String,
    submitter_email: String,
    now: OffsetDateTime,
    /// The record signed before queueing, for the reference and version expected then.
    signed_ahead: Option<SignedAhead>,
}

impl VersionJob {
    /// Signs the record this job will store if, in its batch, it gets `reference` as `version`
    /// and `key` is still current.
    fn sign_ahead(
        &self,
        key: &PrivateKey,
        issuer: &str,
        reference: String,
        version: i64,
    ) -> SignedAhead {
        let record = self.sign(key, issuer, &reference, version);
        SignedAhead {
            kid: key.kid().to_string(),
            reference,
            version,
            record,
        }
    }

    fn sign(&self, key: &PrivateKey, issuer: &str, reference: &str, version: i64) -> String {
        signing::sign_record(
            key,
            &RecordSource {
                issuer,
                reference,
                version,
                request: &self.request,
                report: &self.report,
                submitted_at: self.now,
                submitted_by: &self.submitter_email,
                purpose: self.purpose,
            },
        )
    }

    /// Inserts the next version of `reference`, signs its record and appends it to the log,
    /// deletes the draft; in the batch's transaction (the writer rolls this job back to its
    /// savepoint on an error). Returns the version and the record's log entry.
    async fn store_next(
        &self,
        connection: &mut AnyConnection,
        batch: &mut Batch,
        reference: &str,
    ) -> Result<(i64, log::LogEntry), SubmitError> {
        let submitter = Submitter {
            user_id: &self.submitter_id,
            email: &self.submitter_email,
        };
        // Checked again under the writer: a reviewer may have decided meanwhile, or an earlier
        // job of this batch resubmitted it.
        let latest = registrations::latest_in(connection, reference)
            .await?
            .ok_or(SubmitError::NotFound)?;
        if self.opens_change {
            let application = registrations::application_in(connection, reference).await?;
            may_open_change(application.as_ref(), &latest)?;
        } else if latest.status != Status::ChangesRequested {
            return Err(SubmitError::NotAwaitingChanges(latest.status));
        }
        let version = latest.version + 1;
        match registrations::insert_version(
            connection,
            reference,
            version,
            &self.request,
            &self.report,
            self.risk,
            submitter,
            self.purpose,
            self.now,
        )
        .await
        {
            Ok(()) => {}
            Err(InsertError::Taken) => {
                return Err(SubmitError::NotAwaitingChanges(Status::Submitted));
            }
            Err(InsertError::Other(error)) => return Err(error.into()),
        }
        let record = match &self.signed_ahead {
            Some(ahead)
                if ahead.kid == batch.key().kid()
                    && ahead.reference == reference
                    && ahead.version == version =>
            {
                ahead.record.clone()
            }
            _ => self.sign(batch.key(), batch.issuer(), reference, version),
        };
        let entry = batch
            .append(
                connection,
                log::Kind::RegistrationRecord,
                reference,
                version,
                &record,
                self.now,
            )
            .await?;
        if let Some(id) = &self.draft_id {
            drafts::delete_in(connection, id).await?;
        }
        Ok((version, entry))
    }
}

/// The latest version of `reference` when `identity` may read it; `None` when there is no such
/// request **or** it is another organisation's (the caller answers both with 404).
pub async fn find(
    pool: &AnyPool,
    identity: &Identity,
    reference: &str,
) -> anyhow::Result<Option<StoredRegistration>> {
    Ok(registrations::latest(pool, reference)
        .await?
        .filter(|stored| may_read(identity, &stored.ods_code)))
}

/// Version `version` of `reference` under the same rule as [`find`].
pub async fn find_version(
    pool: &AnyPool,
    identity: &Identity,
    reference: &str,
    version: i64,
) -> anyhow::Result<Option<StoredRegistration>> {
    Ok(registrations::version(pool, reference, version)
        .await?
        .filter(|stored| may_read(identity, &stored.ods_code)))
}

/// Every version of `reference`, oldest first, under the same rule as [`find`] (empty when
/// there is none the caller may read).
pub async fn find_versions(
    pool: &AnyPool,
    identity: &Identity,
    reference: &str,
) -> anyhow::Result<Vec<StoredRegistration>> {
    let versions = registrations::versions(pool, reference).await?;
    Ok(match versions.first() {
        Some(first) if may_read(identity, &first.ods_code) => versions,
        _ => Vec::new(),
    })
}

/// The signed record of the latest version of `reference`, under the same rule as [`find`].
pub async fn find_record(
    pool: &AnyPool,
    identity: &Identity,
    reference: &str,
) -> anyhow::Result<Option<String>> {
    if find(pool, identity, reference).await?.is_none() {
        return Ok(None);
    }
    log::latest_record(pool, reference).await
}

/// The signed record of the stored version `stored` (written in the same transaction as the
/// version, so its absence is a broken store, not an answer).
pub async fn signed_record(pool: &AnyPool, stored: &StoredRegistration) -> anyhow::Result<String> {
    log::record_of(pool, &stored.reference, stored.version)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} v{} has no signed record",
                stored.reference,
                stored.version
            )
        })
}

/// One page of the requests `identity` may see, oldest first: every organisation's for a
/// reviewer, only their own for a Local Administrator (whatever `filter.ods_code` says).
pub async fn list(
    pool: &AnyPool,
    identity: &Identity,
    filter: &Filter,
    page: u32,
) -> anyhow::Result<Page<Summary>> {
    match visible(identity, filter) {
        Some(filter) => registrations::list(pool, &filter, page).await,
        // Another organisation's list is empty for them, not an error.
        None => Ok(Page {
            items: Vec::new(),
            page: page.max(1),
            per_page: PER_PAGE,
            total: 0,
        }),
    }
}

/// Every request of [`list`] at once, for an export: `Err(how many match)` when that is over
/// `store::registrations::EXPORT_MAX`.
pub async fn export(
    pool: &AnyPool,
    identity: &Identity,
    filter: &Filter,
) -> anyhow::Result<Result<Vec<Summary>, u64>> {
    match visible(identity, filter) {
        Some(filter) => registrations::export(pool, &filter, registrations::EXPORT_MAX).await,
        None => Ok(Ok(Vec::new())),
    }
}

/// The filter as `identity` may apply it: a reviewer's as asked; a Local Administrator's
/// narrowed to their own organisation; `None` (nothing) when they asked for another's, and for a
/// desk administrator, who reads no requests.
fn visible(identity: &Identity, filter: &Filter) -> Option<Filter> {
    let mut filter = filter.clone();
    match identity.role {
        Role::Reviewer => {}
        Role::LocalAdmin => {
            let own = identity.ods_code.clone().unwrap_or_default();
            if filter
                .ods_code
                .as_deref()
                .is_some_and(|asked| !asked.eq_ignore_ascii_case(&own))
            {
                return None;
            }
            filter.ods_code = Some(own);
        }
        Role::DeskAdmin => return None,
    }
    Some(filter)
}

/// The id of the organisation's draft that revises `reference`, if one was started.
pub async fn revision_draft(
    pool: &AnyPool,
    ods_code: &str,
    reference: &str,
) -> anyhow::Result<Option<String>> {
    Ok(drafts::list_for(pool, ods_code)
        .await?
        .into_iter()
        .find(|draft| draft.reference.as_deref() == Some(reference))
        .map(|draft| draft.id))
}

/// The latest version of `reference` when it is `admin`'s organisation's; [`SubmitError::NotFound`]
/// otherwise (another organisation's reference is answered as one that does not exist).
async fn own_latest(
    pool: &AnyPool,
    admin: &LocalAdminOf,
    reference: &str,
) -> Result<StoredRegistration, SubmitError> {
    registrations::latest(pool, reference)
        .await?
        .filter(|latest| latest.ods_code.eq_ignore_ascii_case(admin.ods_code()))
        .ok_or(SubmitError::NotFound)
}

/// A new draft of `admin`'s organisation holding `request`; with `revises`, the reference whose
/// next version submitting it makes (and, for a renewal or change, which).
async fn new_draft(
    pool: &AnyPool,
    admin: &LocalAdminOf,
    request: &RegistrationRequest,
    revises: Option<(&str, Option<Purpose>)>,
    now: OffsetDateTime,
) -> Result<String, SubmitError> {
    let mut draft = registration::RegistrationDraft::from_request(request);
    draft.ods_code = admin.ods_code().to_string();
    let owner = drafts::DraftOwner {
        ods_code: Some(admin.ods_code().to_string()),
        created_by: Some(admin.user_id().to_string()),
        reference: revises.map(|(reference, _)| reference.to_string()),
        purpose: revises.and_then(|(_, purpose)| purpose),
    };
    drafts::create(pool, &draft, false, &owner, now)
        .await?
        .map_err(SubmitError::DraftRefused)
}

/// The draft in which `admin` prepares a renewal or change (`purpose`) of the registered
/// application `reference` (their organisation's, live, nothing else open): the one already
/// started, or a new one holding the live version's request. Submitting it makes the next
/// version ([`submit_draft`], as [`request_change`]).
pub async fn start_change(
    pool: &AnyPool,
    admin: &LocalAdminOf,
    reference: &str,
    purpose: Purpose,
    now: OffsetDateTime,
) -> Result<String, SubmitError> {
    let latest = own_latest(pool, admin, reference).await?;
    let application = registrations::application(pool, reference).await?;
    may_open_change(application.as_ref(), &latest)?;
    let Some(live) = application else {
        return Err(SubmitError::NotLive(latest.status));
    };
    // One draft per reference: a renewal already started is the one to finish (or delete).
    if let Some(id) = revision_draft(pool, admin.ods_code(), reference).await? {
        return Ok(id);
    }
    new_draft(
        pool,
        admin,
        &live.request,
        Some((reference, Some(purpose))),
        now,
    )
    .await
}

/// A new draft for `admin`'s organisation holding the request of `reference` (their
/// organisation's, rejected or withdrawn, never made in the tenant): "Start a new request from
/// this one". Submitting it makes a new request under a new reference; the old one stays as it
/// was.
pub async fn start_from_rejected(
    pool: &AnyPool,
    admin: &LocalAdminOf,
    reference: &str,
    now: OffsetDateTime,
) -> Result<String, SubmitError> {
    let latest = own_latest(pool, admin, reference).await?;
    // A rejected renewal or change of a registered application is asked again as one.
    let registered = registrations::application(pool, reference).await?.is_some();
    if !latest.status.is_ended_unapproved() || registered {
        return Err(SubmitError::NotRejected(latest.status));
    }
    new_draft(pool, admin, &latest.request, None, now).await
}

/// The draft in which `admin` changes `reference` (their organisation's, waiting for changes):
/// the one already started, or a new one holding the latest version's request. Submitting it
/// makes the next version ([`submit_draft`]).
pub async fn start_revision(
    pool: &AnyPool,
    admin: &LocalAdminOf,
    reference: &str,
    now: OffsetDateTime,
) -> Result<String, SubmitError> {
    let latest = own_latest(pool, admin, reference).await?;
    if latest.status != Status::ChangesRequested {
        return Err(SubmitError::NotAwaitingChanges(latest.status));
    }
    if let Some(id) = revision_draft(pool, admin.ods_code(), reference).await? {
        return Ok(id);
    }
    new_draft(pool, admin, &latest.request, Some((reference, None)), now).await
}
