//! Deletion and recovery of registered applications (issue 14, part 6; docs/lifecycle.md): the
//! organisation's Local Administrators ask ([`request`]), a reviewer confirms or declines
//! ([`answer`]), and the scheduler purges what stayed deleted for
//! [`registration::lifecycle::RECOVERY_DAYS`] days ([`purge_due`]). One code path for the pages,
//! the JSON API and the CLI.
//!
//! Which step may follow which is the rules crate's ([`Step::after`]); each step is a signed
//! `application_step` entry (`appreg-application-step+jwt`) appended in the same transaction as
//! the status change and the step's row, under the writer, where every check is made again. A
//! reviewer's answer names the request it answers (`answering`, the step's number), so an answer
//! from a tab opened before that request was answered, or asked again, records nothing.

use registration::lifecycle::{self, Actor, Status, Step, StepRefusal};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::identity::{LocalAdminOf, Reviewer};
use crate::notify::{self, Mailer};
use crate::registrations::Desk;
use crate::signing::{self, KeyRing, jws};
use crate::store::application_steps::{self as store, NewStep, StoredStep};
use crate::store::writer::Batch;
use crate::store::{WriteLock, log, registrations, timestamp};

/// Why a step was not taken.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// No such reference, or another organisation's (404).
    #[error("there is no such registered application")]
    NotFound,
    /// The step is another role's (403): a reviewer cannot ask for a deletion, nor a Local
    /// Administrator confirm one.
    #[error("this step is not yours to take")]
    Forbidden(Step),
    /// Refused by the rules (422 for the reason or a missing answer, 409 for the status, a stale
    /// request or the recovery window).
    #[error("the step was refused: {}", .0.as_str())]
    Refused(StepRefusal, Step),
    /// The database failed; nothing was recorded (500).
    #[error("the step could not be recorded")]
    Store(#[from] anyhow::Error),
}

/// A step taken (what the API answers).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Taken {
    /// The application's reference.
    pub reference: String,
    /// The step's number (1, 2, 3… per application): a reviewer's answer quotes the request's.
    pub n: i64,
    /// What was done.
    pub step: Step,
    /// The status before.
    pub status_before: Status,
    /// The status now.
    pub status: Status,
    /// Why, when given.
    pub reason: Option<String>,
    /// Who (absent for the scheduler's purge).
    pub actor_email: Option<String>,
    /// When (RFC 3339).
    pub taken_at: String,
    /// While deleted: until when it can be recovered (RFC 3339).
    pub recoverable_until: Option<String>,
    /// The signed step's log entry.
    pub log_seq: i64,
}

impl From<&StoredStep> for Taken {
    fn from(stored: &StoredStep) -> Taken {
        Taken {
            reference: stored.reference.clone(),
            n: stored.n,
            step: stored.step,
            status_before: stored.status_before,
            status: stored.status_after,
            reason: stored.reason.clone(),
            actor_email: stored.actor_email.clone(),
            taken_at: stored.taken_at.clone(),
            recoverable_until: None,
            log_seq: stored.log_seq,
        }
    }
}

/// The organisation's Local Administrator `admin` asks for `step` (a deletion, with a reason,
/// or a recovery) of `reference` at `now`.
///
/// # Errors
/// [`StepError::Forbidden`] for a reviewer's step, [`StepError::NotFound`] for another
/// organisation's application, [`StepError::Refused`] by the rules.
pub async fn request(
    desk: Desk<'_>,
    admin: &LocalAdminOf,
    reference: &str,
    step: Step,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<Taken, StepError> {
    if step.actor() != Actor::LocalAdmin {
        return Err(StepError::Forbidden(step));
    }
    let stored = registrations::latest(desk.pool, reference)
        .await?
        .filter(|stored| stored.ods_code.eq_ignore_ascii_case(admin.ods_code()))
        .ok_or(StepError::NotFound)?;
    let job = StepJob {
        reference: stored.reference.clone(),
        step,
        reason: lifecycle::step_reason(step, reason)
            .map_err(|refusal| StepError::Refused(refusal, step))?,
        answering: None,
        actor: Some((admin.user_id().to_string(), admin.email().to_string())),
        now,
    };
    take(desk.pool, desk.keys, desk.writer, desk.mailer, job).await
}

/// The reviewer `reviewer` answers what the organisation asked of `reference` (`step`: confirm
/// or decline a deletion or recovery; declining needs a reason). `answering` is the number of
/// the request step the reviewer read (the page always sends it; the API may leave it out).
///
/// # Errors
/// [`StepError::Forbidden`] for an organisation's step, [`StepError::NotFound`],
/// [`StepError::Refused`] by the rules (a stale `answering` is
/// [`StepRefusal::StaleRequest`]).
pub async fn answer(
    desk: Desk<'_>,
    reviewer: &Reviewer,
    reference: &str,
    step: Step,
    answering: Option<i64>,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<Taken, StepError> {
    if step.actor() != Actor::Reviewer {
        return Err(StepError::Forbidden(step));
    }
    let stored = registrations::latest(desk.pool, reference)
        .await?
        .ok_or(StepError::NotFound)?;
    let job = StepJob {
        reference: stored.reference.clone(),
        step,
        reason: lifecycle::step_reason(step, reason)
            .map_err(|refusal| StepError::Refused(refusal, step))?,
        answering,
        actor: Some((reviewer.user_id().to_string(), reviewer.email().to_string())),
        now,
    };
    take(desk.pool, desk.keys, desk.writer, desk.mailer, job).await
}

/// Purges every application deleted [`RECOVERY_DAYS`] days or more before `now` (a recovery
/// asked for and not confirmed in time included), each with a signed step; run by
/// `appreg schedule run` and by the server every 10 minutes.
pub async fn purge_due(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    mailer: &std::sync::Arc<Mailer>,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Taken>> {
    let due = {
        let mut connection = pool.acquire().await?;
        store::due_for_purge_in(&mut connection, now).await?
    };
    let mut purged = Vec::new();
    for reference in due {
        let job = StepJob {
            reference: reference.clone(),
            step: Step::Purge,
            reason: None,
            answering: None,
            actor: None,
            now,
        };
        match take(pool, keys, writer, mailer, job).await {
            Ok(taken) => purged.push(taken),
            // Recovered (or purged by another server) since the list was read.
            Err(StepError::Refused(..)) => {}
            Err(StepError::Store(error)) => return Err(error),
            Err(error) => return Err(anyhow::anyhow!("{reference}: {error}")),
        }
    }
    Ok(purged)
}

/// A step waiting for the writer, owned.
struct StepJob {
    reference: String,
    step: Step,
    reason: Option<String>,
    answering: Option<i64>,
    /// The account's id and email (`None`: the scheduler).
    actor: Option<(String, String)>,
    now: OffsetDateTime,
}

/// What the writer's transaction found and did.
struct Recorded {
    taken: Taken,
    entry: log::LogEntry,
    application_name: String,
    ods_code: String,
    contacts: Vec<String>,
}

async fn take(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    mailer: &std::sync::Arc<Mailer>,
    job: StepJob,
) -> Result<Taken, StepError> {
    let recorded = writer
        .write(pool, keys, move |connection, batch| {
            Box::pin(async move { job.record(connection, batch).await })
        })
        .await?;
    let taken = recorded.taken;
    let admins = crate::store::users::local_admin_emails(pool, &recorded.ods_code).await?;
    let recipients = crate::reminders::recipients(&admins, &recorded.contacts);
    // Reviewers hear of a withdrawal now with `each`, in the day's digest with `daily`.
    let reviewers = if taken.step == Step::WithdrawRequest
        && mailer.reviewer_notices() == crate::reviewer_notices::ReviewerNotices::Each
    {
        crate::store::users::reviewer_emails(pool).await?
    } else {
        Vec::new()
    };
    let until = taken
        .recoverable_until
        .as_deref()
        .and_then(|until| OffsetDateTime::parse(until, &Rfc3339).ok())
        .map(crate::reminders::long_date);
    let origin = keys.issuer().trim_end_matches('/');
    let notice = notify::StepNotice {
        reference: &taken.reference,
        application_name: &recorded.application_name,
        ods_code: &recorded.ods_code,
        step: taken.step,
        actor_email: taken.actor_email.as_deref(),
        reason: taken.reason.as_deref(),
        recoverable_until: until.as_deref(),
        recipients: &recipients,
        page_url: &format!("{origin}/requests/{}", taken.reference),
        log_entry: notify::LogPosition {
            seq: recorded.entry.seq,
            hash: &recorded.entry.entry_hash,
        },
    };
    mailer
        .send_in_background(notify::application_step(&notice))
        .await;
    if !reviewers.is_empty() {
        mailer
            .send_in_background(notify::withdrawal_to_reviewers(
                &notify::StepNotice {
                    recipients: &reviewers,
                    ..notice
                },
                &format!("{origin}/review/{}", taken.reference),
            ))
            .await;
    }
    tracing::info!(
        reference = %taken.reference,
        step = taken.step.as_str(),
        status = taken.status.as_str(),
        seq = taken.log_seq,
        "application step recorded"
    );
    Ok(taken)
}

impl StepJob {
    async fn record(
        self,
        connection: &mut AnyConnection,
        batch: &mut Batch,
    ) -> Result<Recorded, StepError> {
        let newest = registrations::latest_in(connection, &self.reference)
            .await?
            .ok_or(StepError::NotFound)?;
        // A withdrawal moves the latest version (a request, or a renewal or change of a live
        // application, under review). The other steps move the application (its implemented
        // version), not a renewal or change of it under review; before it was implemented, the
        // latest version (no step follows).
        let application = match self.step {
            Step::WithdrawRequest => None,
            _ => registrations::application_in(connection, &self.reference).await?,
        };
        let latest = application.unwrap_or_else(|| newest.clone());
        let refused = |refusal| StepError::Refused(refusal, self.step);
        if self.step == Step::RequestDeletion
            && crate::registrations::is_change_open(latest.version, &newest)
        {
            return Err(refused(StepRefusal::ChangeOpen));
        }
        let status_after = self
            .step
            .after(latest.status)
            .ok_or_else(|| refused(StepRefusal::NotAllowedNow))?;
        let steps = store::list_in(connection, &self.reference).await?;
        if let Some(answering) = self.answering {
            // The request the reviewer read must be the one waiting: the last step, a request.
            let waiting = steps.last().filter(|last| last.step.is_request());
            if waiting.is_none_or(|waiting| waiting.n != answering) {
                return Err(refused(StepRefusal::StaleRequest));
            }
        }
        let deleted_at =
            store::deleted_at(&steps).and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok());
        let window_over = deleted_at.is_none_or(|at| self.now >= lifecycle::recoverable_until(at));
        if matches!(self.step, Step::RequestRecovery | Step::ConfirmRecovery) && window_over {
            return Err(refused(StepRefusal::RecoveryWindowOver));
        }
        // Again under the writer: recovered and deleted anew since the purge's list was read,
        // its 30 days start again.
        if self.step == Step::Purge && !window_over {
            return Err(refused(StepRefusal::NotAllowedNow));
        }
        let n = store::next_number_in(connection, &self.reference).await?;
        let taken_at = timestamp(self.now);
        let deleted_at = if self.step == Step::ConfirmDeletion {
            Some(self.now)
        } else {
            deleted_at
        };
        let recoverable_until = matches!(status_after, Status::Deleted | Status::RecoveryRequested)
            .then(|| deleted_at.map(|at| timestamp(lifecycle::recoverable_until(at))))
            .flatten();
        let actor_email = self.actor.as_ref().map(|(_, email)| email.clone());
        let claims = json!({
            "iss": batch.issuer(),
            "iat": self.now.unix_timestamp(),
            "jti": format!("{}/{n}", log::Kind::ApplicationStep.jti_prefix(&self.reference)),
            "reference": self.reference,
            "version": latest.version,
            "n": n,
            "step": self.step.as_str(),
            "reason": self.reason,
            "actor": actor_email,
            "status_before": latest.status.as_str(),
            "status": status_after.as_str(),
            "taken_at": taken_at,
            "recoverable_until": recoverable_until,
        });
        let signed = jws::sign_as(
            batch.key(),
            &signing::canonical_json(&claims),
            jws::APPLICATION_STEP_TYP,
        );
        let entry = batch
            .append(
                connection,
                log::Kind::ApplicationStep,
                &self.reference,
                latest.version,
                &signed,
                self.now,
            )
            .await?;
        store::insert(
            connection,
            n,
            &NewStep {
                reference: &self.reference,
                version: latest.version,
                step: self.step,
                reason: self.reason.as_deref(),
                actor_id: self.actor.as_ref().map(|(id, _)| id.as_str()),
                actor_email: actor_email.as_deref(),
                status_before: latest.status,
                status_after,
                taken_at: &taken_at,
                log_seq: entry.seq,
            },
        )
        .await?;
        registrations::set_status(connection, &self.reference, latest.version, status_after)
            .await?;
        if !status_after.is_awaiting_reviewer() {
            crate::store::claims::end_in(connection, &self.reference).await?;
        }
        Ok(Recorded {
            taken: Taken {
                reference: self.reference,
                n,
                step: self.step,
                status_before: latest.status,
                status: status_after,
                reason: self.reason,
                actor_email,
                taken_at,
                recoverable_until,
                log_seq: entry.seq,
            },
            entry,
            application_name: latest.application_name,
            ods_code: latest.ods_code,
            contacts: latest
                .request
                .contacts
                .iter()
                .map(|contact| contact.email.clone())
                .collect(),
        })
    }
}

/// The steps of `reference` for the pages and the API, with the pending request (the last step,
/// when it is a request still waiting) and, while deleted, until when it can be recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// Every step, oldest first.
    pub steps: Vec<Taken>,
    /// The request waiting for a reviewer, if any.
    pub waiting: Option<Taken>,
    /// When the current deletion was confirmed (RFC 3339), while deleted or after.
    pub deleted_at: Option<String>,
    /// Until when it can be recovered (RFC 3339), while deleted.
    pub recoverable_until: Option<String>,
}

/// The history of `reference`, whose latest version has `status` (callers have checked who may
/// read it).
pub async fn history(pool: &AnyPool, reference: &str, status: Status) -> anyhow::Result<History> {
    let stored = store::list(pool, reference).await?;
    let deleted = matches!(
        status,
        Status::Deleted | Status::RecoveryRequested | Status::Purged
    );
    let deleted_at = deleted
        .then(|| store::deleted_at(&stored).map(str::to_string))
        .flatten();
    let recoverable_until = matches!(status, Status::Deleted | Status::RecoveryRequested)
        .then(|| {
            deleted_at
                .as_deref()
                .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
                .map(|at| timestamp(lifecycle::recoverable_until(at)))
        })
        .flatten();
    let steps: Vec<Taken> = stored.iter().map(Taken::from).collect();
    let waiting = steps
        .last()
        .filter(|last| last.step.is_request() && last.status == status)
        .cloned();
    Ok(History {
        steps,
        waiting,
        deleted_at,
        recoverable_until,
    })
}
