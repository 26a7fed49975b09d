//! Reviewers' decisions: approve, reject, or request changes, with four-eyes rules. One code path
//! for the review pages and the JSON API.
//!
//! - A decision is about the latest version of a request, and only while it awaits one
//!   (`submitted`, or `awaiting_second_approval`). It names the version it decides and the
//!   SHA-256 of the signed record the reviewer read ([`Seen`]); when either is not the latest
//!   any more (a resubmission arrived while the page was open), nothing is recorded
//!   ([`DecideError::StaleVersion`]): an approval is only ever of what a reviewer saw.
//! - Rejecting or requesting changes needs a reason (the Local Administrator reads it).
//! - No reviewer decides on a request they submitted (any version of it), and a request that
//!   asks for app-only access to mailbox data ([`needs_second_approval`]) is approved only when
//!   two different reviewers have approved it: the first approval moves it to
//!   `awaiting_second_approval`.
//! - Each decision is signed (JWS `typ` `appreg-decision+jwt`) and appended to the same
//!   hash-chained log as the request records, in the same transaction as the status change. The
//!   decision's claims bind it to the exact record decided on (`record_sha256`).

use registration::rules::permission::needs_second_approval;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::identity::{Identity, Reviewer};
use crate::notify;
use crate::registrations::{Desk, Status};
use crate::signing::{self, jws};
use crate::store::decisions::{self, EarlierDecision, NewDecision};
use crate::store::timestamp;
use crate::store::writer::Batch;
use crate::store::{log, registrations};

pub use registration::lifecycle::{Decision, DecisionRefusal, MAX_REASON_CHARS};

pub use crate::store::decisions::{SignedDecision, StoredDecision};

/// Why a decision was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// No such reference (404).
    #[error("there is no such registration request")]
    NotFound,
    /// The reviewer submitted a version of this request (403).
    #[error("a reviewer cannot decide on a request they submitted")]
    OwnSubmission,
    /// The reviewer already approved; the second approval must be someone else's (403).
    #[error("the second approval must come from another reviewer")]
    SecondApprovalBySameReviewer,
    /// Reject and request changes need a reason (422).
    #[error("a reason is required")]
    ReasonRequired,
    /// The reason is longer than [`MAX_REASON_CHARS`] (422).
    #[error("the reason is too long")]
    ReasonTooLong,
    /// The request is not awaiting a decision (409).
    #[error("the request is {0:?}, not awaiting a decision")]
    NotAwaitingDecision(Status),
    /// The decision names another version or record than the latest (409).
    #[error("{}", stale_message(*.seen_version, *.latest_version, *.latest_status))]
    StaleVersion {
        /// The version the decision named (0 when it named none).
        seen_version: i64,
        /// The latest version now.
        latest_version: i64,
        /// Its status now.
        latest_status: Status,
    },
    /// An approval of a version that no longer passes the checks at the time of the decision
    /// (409); the report as of now says why.
    #[error("the request no longer passes the checks")]
    NowInvalid(Box<registration::ValidationReport>),
    /// Every validation slot stayed busy; nothing was checked or recorded (503).
    #[error("every validation slot is busy")]
    Busy,
    /// The database failed; nothing was recorded (500).
    #[error("the decision could not be stored")]
    Store(#[from] anyhow::Error),
}

impl DecideError {
    /// The refusal a reviewer is told about (`None` for "no such request" and storage failures).
    pub const fn refusal(&self) -> Option<DecisionRefusal> {
        match self {
            DecideError::OwnSubmission => Some(DecisionRefusal::OwnSubmission),
            DecideError::SecondApprovalBySameReviewer => {
                Some(DecisionRefusal::SecondApprovalBySameReviewer)
            }
            DecideError::ReasonRequired => Some(DecisionRefusal::ReasonRequired),
            DecideError::ReasonTooLong => Some(DecisionRefusal::ReasonTooLong),
            DecideError::NotAwaitingDecision(_) => Some(DecisionRefusal::NotAwaitingDecision),
            DecideError::StaleVersion { .. } => Some(DecisionRefusal::StaleVersion),
            DecideError::NowInvalid(_) => Some(DecisionRefusal::NowInvalid),
            DecideError::NotFound | DecideError::Busy | DecideError::Store(_) => None,
        }
    }
}

/// What the reviewer saw when they decided: the version, and the SHA-256 (lower-case hex) of
/// its signed record, as the request's page and `GET /api/v1/registrations/{reference}` give
/// them. `version` 0 stands for "not said" (a form from before decisions named one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The version decided on.
    pub version: i64,
    /// The hex SHA-256 of that version's signed record (JWS compact text), when the caller
    /// gives it (the pages always do; CONTRACTS.md §5 leaves it optional on the API, where the
    /// version alone then binds the decision).
    pub record_sha256: Option<String>,
}

/// What a stale decision is told: what it named, and what changed since.
fn stale_message(seen_version: i64, latest_version: i64, latest_status: Status) -> String {
    let status = latest_status.text().to_lowercase();
    if seen_version <= 0 {
        format!(
            "Nothing was recorded: the decision did not say which version it decides. The latest is version {latest_version} ({status}): read it and decide again, naming its version and record_sha256."
        )
    } else if seen_version == latest_version {
        format!(
            "Nothing was recorded: record_sha256 is not the SHA-256 of version {latest_version}'s signed record. Read the request again and decide with the record_sha256 it gives."
        )
    } else if seen_version > latest_version {
        format!(
            "Nothing was recorded: there is no version {seen_version}. The latest is version {latest_version} ({status}): read it and decide on it."
        )
    } else {
        format!(
            "Nothing was recorded: you decided on version {seen_version}, but version {latest_version} was submitted since (it is {status}). Read what changed, then decide on version {latest_version}."
        )
    }
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Decided {
    /// The request's reference.
    pub reference: String,
    /// The version decided on.
    pub version: i64,
    /// What was decided.
    pub decision: Decision,
    /// The request's status now.
    pub status: Status,
    /// The reason given.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub decided_at: String,
}

/// Records `reviewer`'s decision on the latest version of `reference`, which must be the
/// version and record they saw (`seen`).
///
/// Checks, in order: the request exists (404), its submitter is not the reviewer (403), the
/// version and record are the latest (409 `stale_version`), the second approval is another
/// reviewer's (403), the reason (422), the status (409). Every check is made under SQLite's
/// writer lock, so two reviewers deciding at once cannot both act on the same status, and a
/// resubmission cannot slip in between the check and the decision.
pub async fn decide(
    desk: Desk<'_>,
    reviewer: &Reviewer,
    reference: &str,
    seen: Seen,
    decision: Decision,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<Decided, DecideError> {
    // An approval is of a request that passes the checks today, not only at submission: the
    // version the reviewer read is validated again with the same rules (a certificate may have
    // expired, an organisation closed, a permission been retired since).
    if decision == Decision::Approve
        && let Some(stored) = registrations::version(desk.pool, reference, seen.version).await?
    {
        let report = revalidate(desk, &stored.request, now).await?;
        if !report.valid {
            return Err(DecideError::NowInvalid(Box::new(report)));
        }
    }
    let job = DecisionJob {
        reference: reference.to_string(),
        seen,
        decision,
        reason: reason
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string),
        reviewer_id: reviewer.user_id().to_string(),
        reviewer_email: reviewer.email().to_string(),
        now,
    };
    // One job of the writer's next batch (`store::writer`): every check below the writer, and
    // the answer only once the batch has committed.
    let (decided, notice) = desk
        .writer
        .write(desk.pool, desk.keys, move |connection, batch| {
            Box::pin(async move { job.record(connection, batch).await })
        })
        .await?;
    desk.mailer
        .send_in_background(notify::decision(&notify::DecisionNotice {
            reference,
            version: decided.version,
            application_name: &notice.application_name,
            decision,
            status: decided.status,
            reason: decided.reason.as_deref(),
            submitter_email: notice.submitter_email.as_deref().unwrap_or(""),
            contacts: &notice.contacts,
            page_url: &desk.request_page_url(reference),
            log_entry: notify::LogPosition {
                seq: notice.entry.seq,
                hash: &notice.entry.entry_hash,
            },
        }))
        .await;
    Ok(decided)
}

/// `request` checked again with the desk's rules at `now`, on the blocking pool within the
/// validation limits (as submissions are).
///
/// # Errors
/// [`DecideError::Busy`] when every validation slot stayed busy.
pub async fn revalidate(
    desk: Desk<'_>,
    request: &registration::RegistrationRequest,
    now: OffsetDateTime,
) -> Result<registration::ValidationReport, DecideError> {
    let directory = std::sync::Arc::clone(desk.directory);
    let request = request.clone();
    crate::validation::on_pool(desk.limits, move || {
        registration::validate(&request, directory.rules(), now)
    })
    .await
    .map_err(|crate::validation::Busy| DecideError::Busy)
}

/// A decision waiting for the writer, owned (it may be stored after its caller has gone away).
struct DecisionJob {
    reference: String,
    seen: Seen,
    decision: Decision,
    reason: Option<String>,
    reviewer_id: String,
    reviewer_email: String,
    now: OffsetDateTime,
}

/// What the decision notice needs of the request decided on.
struct NoticeFacts {
    application_name: String,
    submitter_email: Option<String>,
    contacts: Vec<registration::Contact>,
    /// The signed decision's log entry (the notice names it).
    entry: log::LogEntry,
}

impl DecisionJob {
    /// Checks, signs and records the decision in the batch's transaction (the writer rolls this
    /// job back to its savepoint on an error).
    async fn record(
        self,
        connection: &mut AnyConnection,
        batch: &mut Batch,
    ) -> Result<(Decided, NoticeFacts), DecideError> {
        let DecisionJob {
            reference,
            seen,
            decision,
            reason,
            reviewer_id,
            reviewer_email,
            now,
        } = self;
        let reason = reason.as_deref();
        let latest = registrations::latest_in(connection, &reference)
            .await?
            .ok_or(DecideError::NotFound)?;
        if registrations::submitted_by(connection, &reference, &reviewer_id).await? {
            return Err(DecideError::OwnSubmission);
        }
        let record = log::latest_record_in(connection, &reference, latest.version)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("{reference} v{} has no signed record", latest.version)
            })?;
        let record_sha256 = log::sha256_hex(record.as_bytes());
        if seen.version != latest.version
            || seen
                .record_sha256
                .as_deref()
                .is_some_and(|hash| !hash.trim().eq_ignore_ascii_case(&record_sha256))
        {
            return Err(DecideError::StaleVersion {
                seen_version: seen.version,
                latest_version: latest.version,
                latest_status: latest.status,
            });
        }
        let earlier = decisions::on_version(connection, &reference, latest.version).await?;
        if latest.status == Status::AwaitingSecondApproval
            && decision == Decision::Approve
            && approved_by(&earlier, &reviewer_id)
        {
            return Err(DecideError::SecondApprovalBySameReviewer);
        }
        if decision.needs_reason() && reason.is_none() {
            return Err(DecideError::ReasonRequired);
        }
        if reason.is_some_and(|text| text.chars().count() > MAX_REASON_CHARS) {
            return Err(DecideError::ReasonTooLong);
        }
        let status_after = match (latest.status, decision) {
            (Status::Submitted, Decision::Approve) if needs_second_approval(&latest.request) => {
                Status::AwaitingSecondApproval
            }
            (Status::Submitted | Status::AwaitingSecondApproval, Decision::Approve) => {
                Status::Approved
            }
            (Status::Submitted | Status::AwaitingSecondApproval, Decision::Reject) => {
                Status::Rejected
            }
            (Status::Submitted | Status::AwaitingSecondApproval, Decision::RequestChanges) => {
                Status::ChangesRequested
            }
            (status, _) => return Err(DecideError::NotAwaitingDecision(status)),
        };
        let n = i64::try_from(earlier.len()).unwrap_or(i64::MAX - 1) + 1;
        let decided_at = timestamp(now);
        let claims = json!({
            "iss": batch.issuer(),
            "iat": now.unix_timestamp(),
            "jti": format!("{reference}/v{}/decision/{n}", latest.version),
            "reference": reference,
            "version": latest.version,
            "decision": decision.as_str(),
            "reason": reason,
            "reviewer": reviewer_email,
            "status": status_after.as_str(),
            "record_sha256": record_sha256,
        });
        let signed = jws::sign_as(
            batch.key(),
            &signing::canonical_json(&claims),
            jws::DECISION_TYP,
        );
        let entry = batch
            .append(
                connection,
                log::Kind::Decision,
                &reference,
                latest.version,
                &signed,
                now,
            )
            .await?;
        decisions::insert(
            connection,
            &NewDecision {
                reference: &reference,
                version: latest.version,
                n,
                decision,
                reason,
                reviewer_id: &reviewer_id,
                reviewer_email: &reviewer_email,
                status_after,
                decided_at: &decided_at,
                log_seq: entry.seq,
            },
        )
        .await?;
        registrations::set_status(connection, &reference, latest.version, status_after).await?;
        crate::store::claims::end_in(connection, &reference).await?;
        let notice = NoticeFacts {
            application_name: latest.application_name,
            submitter_email: latest.submitted_by_email,
            contacts: latest.request.contacts,
            entry,
        };
        let decided = Decided {
            version: latest.version,
            decision,
            status: status_after,
            reason: reason.map(str::to_string),
            decided_at,
            reference,
        };
        Ok((decided, notice))
    }
}

/// Every decision on every version of `reference`, in order, when `identity` may read the
/// request (empty otherwise, as for a request that does not exist).
pub async fn decisions(
    pool: &AnyPool,
    identity: &Identity,
    reference: &str,
) -> anyhow::Result<Vec<StoredDecision>> {
    if crate::registrations::find(pool, identity, reference)
        .await?
        .is_none()
    {
        return Ok(Vec::new());
    }
    decisions::list(pool, reference).await
}

/// The ids (`jti`s) of the signed decisions that approved `stored` (a request's latest version),
/// when it is approved and its decisions prove it: each approval verifies against `keys` (a
/// revoked key's does not), names this version and the exact record `record_jws`, and the last
/// of them says the version became `approved`. `None` otherwise: not approved, or approved only
/// by what the database says (which exports never trust). A live application was approved
/// first, so its approval is proved the same way.
pub async fn approving_decisions(
    pool: &AnyPool,
    keys: &signing::KeySet,
    stored: &registrations::StoredRegistration,
    record_jws: &str,
) -> anyhow::Result<Option<Vec<String>>> {
    if !stored.status.is_approved() {
        return Ok(None);
    }
    let record_sha256 = log::sha256_hex(record_jws.as_bytes());
    let mut approvals = Vec::new();
    let mut approved = false;
    for signed in decisions::list_signed(pool, &stored.reference).await? {
        if signed.version != stored.version {
            continue;
        }
        let Ok(verified) = jws::verify_as(&signed.jws, keys, jws::DECISION_TYP) else {
            tracing::error!(
                reference = %stored.reference,
                seq = signed.log_seq,
                "a signed decision does not verify"
            );
            return Ok(None);
        };
        let claim = |name: &str| {
            verified
                .claims
                .get(name)
                .and_then(serde_json::Value::as_str)
        };
        let binds = claim("reference") == Some(stored.reference.as_str())
            && verified
                .claims
                .get("version")
                .and_then(serde_json::Value::as_i64)
                == Some(stored.version)
            && claim("record_sha256") == Some(record_sha256.as_str());
        if !binds {
            return Ok(None);
        }
        if claim("decision") == Some(Decision::Approve.as_str()) {
            approvals.push(claim("jti").unwrap_or_default().to_string());
            approved = claim("status") == Some(Status::Approved.as_str());
        }
    }
    Ok(approved.then_some(approvals))
}

/// Where a reviewer stands on a request now (pages show the decision form or why not; [`decide`]
/// enforces the same rules under the writer lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// They may approve, reject or request changes.
    MayDecide,
    /// The request is not awaiting a decision.
    NotAwaitingDecision(Status),
    /// They submitted a version of it.
    OwnSubmission,
    /// They gave the first approval of a request that needs two: the second is someone else's.
    GaveFirstApproval,
}

/// `reviewer`'s [`Standing`] on the latest version of `reference` (`None` when there is none).
pub async fn standing(
    pool: &AnyPool,
    reviewer: &Reviewer,
    reference: &str,
) -> anyhow::Result<Option<Standing>> {
    let mut connection = pool.acquire().await?;
    let Some(latest) = registrations::latest_in(&mut connection, reference).await? else {
        return Ok(None);
    };
    // The same order as `decide`: four-eyes before the status.
    if registrations::submitted_by(&mut connection, reference, reviewer.user_id()).await? {
        return Ok(Some(Standing::OwnSubmission));
    }
    if !matches!(
        latest.status,
        Status::Submitted | Status::AwaitingSecondApproval
    ) {
        return Ok(Some(Standing::NotAwaitingDecision(latest.status)));
    }
    let earlier = decisions::on_version(&mut connection, reference, latest.version).await?;
    if latest.status == Status::AwaitingSecondApproval && approved_by(&earlier, reviewer.user_id())
    {
        return Ok(Some(Standing::GaveFirstApproval));
    }
    Ok(Some(Standing::MayDecide))
}

fn approved_by(earlier: &[EarlierDecision], reviewer_id: &str) -> bool {
    earlier
        .iter()
        .any(|d| d.decision == Decision::Approve && d.reviewer_id.as_deref() == Some(reviewer_id))
}
