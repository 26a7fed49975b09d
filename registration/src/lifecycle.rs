//! The words of a request's life, shared by the server, the pages, the JSON API and the emails:
//! where a request is ([`Status`]), who acts on it ([`Role`]), what a reviewer decides
//! ([`Decision`]) and why a decision is refused ([`DecisionRefusal`]).
//!
//! Each is an enum with its stored and JSON name (`as_str`, `parse`) and the words a person reads
//! (`text` or `message`), written once here: code matches on the enums, never on their names.

use serde::{Deserialize, Serialize};

/// Where a request is in its life (CONTRACTS.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not yet submitted.
    Draft,
    /// Submitted and waiting for a reviewer.
    Submitted,
    /// A reviewer asked for changes.
    ChangesRequested,
    /// One reviewer approved; a second must.
    AwaitingSecondApproval,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
    /// Approved and created in NHSmail's Entra tenant: a registered application
    /// (docs/lifecycle.md).
    Live,
    /// The organisation asked for the live application to be deleted; a reviewer confirms it.
    DeletionRequested,
    /// Deleted: recoverable for [`RECOVERY_DAYS`] days, then purged.
    Deleted,
    /// The organisation asked for the deleted application back; a reviewer confirms it.
    RecoveryRequested,
    /// Deleted for good: a new registration is needed.
    Purged,
    /// Was live, until a renewal or change of the application was made: a later version is the
    /// live one (docs/lifecycle.md).
    Superseded,
    /// The organisation withdrew it before a reviewer decided (or while it waited for their
    /// changes): no decision is needed any more.
    Withdrawn,
}

impl Status {
    /// Every status a submitted request can have, in the order the pages list them.
    pub const SUBMITTED: [Status; 12] = [
        Status::Submitted,
        Status::AwaitingSecondApproval,
        Status::ChangesRequested,
        Status::Approved,
        Status::Live,
        Status::DeletionRequested,
        Status::Deleted,
        Status::RecoveryRequested,
        Status::Purged,
        Status::Superseded,
        Status::Rejected,
        Status::Withdrawn,
    ];

    /// The stored and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::ChangesRequested => "changes_requested",
            Status::AwaitingSecondApproval => "awaiting_second_approval",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Live => "live",
            Status::DeletionRequested => "deletion_requested",
            Status::Deleted => "deleted",
            Status::RecoveryRequested => "recovery_requested",
            Status::Purged => "purged",
            Status::Superseded => "superseded",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Reads a stored or typed name.
    pub fn parse(text: &str) -> Option<Status> {
        [Status::Draft]
            .into_iter()
            .chain(Status::SUBMITTED)
            .find(|status| status.as_str() == text)
    }

    /// True when an approval of the version stands and the application exists, or is about to:
    /// approved, live, and live with a deletion asked for but not confirmed. What is made only
    /// for an approved request (the exports) is made in these; a deleted application's are not
    /// (it comes back by recovery, never by creating it again from an export).
    pub const fn is_approved(self) -> bool {
        matches!(
            self,
            Status::Approved | Status::Live | Status::DeletionRequested
        )
    }

    /// True once the application was created in the tenant (live, and every status of its
    /// deletion and recovery): it has an Application ID, and its implementation is shown.
    pub const fn is_registered(self) -> bool {
        matches!(
            self,
            Status::Live
                | Status::DeletionRequested
                | Status::Deleted
                | Status::RecoveryRequested
                | Status::Purged
        )
    }

    /// The status as people read it.
    pub const fn text(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Submitted => "Submitted",
            Status::ChangesRequested => "Changes requested",
            Status::AwaitingSecondApproval => "Awaiting second approval",
            Status::Approved => "Approved",
            Status::Rejected => "Rejected",
            Status::Live => "Live",
            Status::DeletionRequested => "Deletion requested",
            Status::Deleted => "Deleted",
            Status::RecoveryRequested => "Recovery requested",
            Status::Purged => "Purged",
            Status::Superseded => "Superseded",
            Status::Withdrawn => "Withdrawn",
        }
    }

    /// True when the request ended without an approval: rejected, or withdrawn by the
    /// organisation. Nothing more happens to it; a new request can be started from it, and a
    /// renewal or change that ended so leaves the live application as it was.
    pub const fn is_ended_unapproved(self) -> bool {
        matches!(self, Status::Rejected | Status::Withdrawn)
    }

    /// True while the organisation can still withdraw the version: it waits for a reviewer's
    /// decision, or for the organisation's own changes.
    pub const fn is_withdrawable(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::AwaitingSecondApproval | Status::ChangesRequested
        )
    }

    /// Whether a reviewer's decision on a version is awaited.
    pub const fn is_awaiting_decision(self) -> bool {
        matches!(self, Status::Submitted | Status::AwaitingSecondApproval)
    }

    /// Whether a reviewer must act: a decision on a version, or the confirmation of a deletion
    /// or recovery the organisation asked for (the review queue's default).
    pub const fn is_awaiting_reviewer(self) -> bool {
        self.is_awaiting_decision()
            || matches!(self, Status::DeletionRequested | Status::RecoveryRequested)
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Submits requests for one organisation (bound to its ODS code).
    LocalAdmin,
    /// Decides on requests from every organisation.
    Reviewer,
    /// Manages the desk's accounts (adds them, changes their role or organisation, disables and
    /// enables them, sends password links), and nothing else: no organisation, and it neither
    /// submits nor decides on requests (separation of duties).
    DeskAdmin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::LocalAdmin, Role::Reviewer, Role::DeskAdmin];

    /// The stored and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::LocalAdmin => "local_admin",
            Role::Reviewer => "reviewer",
            Role::DeskAdmin => "desk_admin",
        }
    }

    /// The role as a page names it.
    pub const fn text(self) -> &'static str {
        match self {
            Role::LocalAdmin => "Local Administrator",
            Role::Reviewer => "Reviewer",
            Role::DeskAdmin => "Desk administrator",
        }
    }

    /// Whether an account of this role acts for one organisation (has an ODS code): only a
    /// Local Administrator does.
    pub const fn has_organisation(self) -> bool {
        matches!(self, Role::LocalAdmin)
    }

    /// Reads a stored or typed name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// What a reviewer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The request may go ahead (or, where two approvals are needed, the first of them).
    Approve,
    /// The request will not go ahead.
    Reject,
    /// The Local Administrator must change the request and resubmit it.
    RequestChanges,
}

impl Decision {
    /// Every decision.
    pub const ALL: [Decision; 3] = [
        Decision::Approve,
        Decision::Reject,
        Decision::RequestChanges,
    ];

    /// The stored and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::RequestChanges => "request_changes",
        }
    }

    /// Reads a stored or posted name.
    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL
            .into_iter()
            .find(|decision| decision.as_str() == text)
    }

    /// Whether the Local Administrator must be told why.
    pub const fn needs_reason(self) -> bool {
        !matches!(self, Decision::Approve)
    }

    /// The decision as people read it in a request's history.
    pub const fn text(self) -> &'static str {
        match self {
            Decision::Approve => "Approved",
            Decision::Reject => "Rejected",
            Decision::RequestChanges => "Changes requested",
        }
    }
}

/// The longest reason kept (a reason is a note to a person, not a document).
pub const MAX_REASON_CHARS: usize = 4000;

/// Why a reviewer's decision was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionRefusal {
    /// No decision was chosen (the page's form only).
    DecisionRequired,
    /// Reject and request changes need a reason.
    ReasonRequired,
    /// The reason is longer than [`MAX_REASON_CHARS`].
    ReasonTooLong,
    /// The reviewer submitted a version of this request.
    OwnSubmission,
    /// The reviewer gave the first approval; the second must be someone else's.
    SecondApprovalBySameReviewer,
    /// The request is not awaiting a decision (decided, or sent back, meanwhile).
    NotAwaitingDecision,
    /// The decision names a version, or a record, that is not the request's latest: a newer
    /// version arrived while the reviewer had the request open (or the decision quoted no
    /// version at all, as a tab opened before decisions named one does).
    StaleVersion,
    /// An approval of a version that no longer passes the checks (checked again at the time of
    /// the decision: a certificate expired, an organisation closed, a permission retired).
    NowInvalid,
}

impl DecisionRefusal {
    /// Every refusal.
    pub const ALL: [DecisionRefusal; 8] = [
        DecisionRefusal::DecisionRequired,
        DecisionRefusal::ReasonRequired,
        DecisionRefusal::ReasonTooLong,
        DecisionRefusal::OwnSubmission,
        DecisionRefusal::SecondApprovalBySameReviewer,
        DecisionRefusal::NotAwaitingDecision,
        DecisionRefusal::StaleVersion,
        DecisionRefusal::NowInvalid,
    ];

    /// The code: the API's `error`, and the page's `?error=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DecisionRefusal::DecisionRequired => "decision_required",
            DecisionRefusal::ReasonRequired => "reason_required",
            DecisionRefusal::ReasonTooLong => "reason_too_long",
            DecisionRefusal::OwnSubmission => "own_submission",
            DecisionRefusal::SecondApprovalBySameReviewer => "second_approval_by_same_reviewer",
            DecisionRefusal::NotAwaitingDecision => "not_awaiting_decision",
            DecisionRefusal::StaleVersion => "stale_version",
            DecisionRefusal::NowInvalid => "now_invalid",
        }
    }

    /// Reads a code.
    pub fn parse(text: &str) -> Option<DecisionRefusal> {
        DecisionRefusal::ALL
            .into_iter()
            .find(|refusal| refusal.as_str() == text)
    }

    /// What the reviewer is told, on the page and in the API's `message`.
    pub fn message(self) -> String {
        match self {
            DecisionRefusal::DecisionRequired => {
                "Select approve, reject or request changes".to_string()
            }
            DecisionRefusal::ReasonRequired => "Give a reason: the Local Administrator reads it to know what to change or why the request was rejected.".to_string(),
            DecisionRefusal::ReasonTooLong => format!(
                "The reason is too long: shorten it to at most {MAX_REASON_CHARS} characters and record the decision again."
            ),
            DecisionRefusal::OwnSubmission => "You cannot decide on this request: you submitted a version of it. Another reviewer must decide.".to_string(),
            DecisionRefusal::SecondApprovalBySameReviewer => {
                "You gave the first approval, so the second must come from another reviewer.".to_string()
            }
            DecisionRefusal::NotAwaitingDecision => "The request is no longer awaiting a decision: another reviewer may have decided on it meanwhile.".to_string(),
            DecisionRefusal::StaleVersion => "Nothing was recorded: the request changed while you had it open (a newer version was submitted). Read what changed, then decide on the latest version.".to_string(),
            DecisionRefusal::NowInvalid => "Nothing was recorded: the request no longer passes the checks today (see \"Findings today\"), so it cannot be approved. Ask the Local Administrator for changes, or reject it.".to_string(),
        }
    }

    /// The error message beside the field the refusal is about, on the page's decision form
    /// (the NHS.UK pattern: say what to do, for the decision chosen).
    pub fn field_message(self, decision: Option<Decision>) -> Option<&'static str> {
        match self {
            DecisionRefusal::DecisionRequired => Some("Select approve, reject or request changes"),
            DecisionRefusal::ReasonRequired => Some(match decision {
                Some(Decision::Reject) => "Enter why you are rejecting the request",
                _ => "Enter what the Local Administrator must change",
            }),
            DecisionRefusal::ReasonTooLong => {
                Some("The reason is too long: shorten it and record the decision again")
            }
            DecisionRefusal::OwnSubmission
            | DecisionRefusal::SecondApprovalBySameReviewer
            | DecisionRefusal::NotAwaitingDecision
            | DecisionRefusal::StaleVersion
            | DecisionRefusal::NowInvalid => None,
        }
    }
}

/// How long a deleted application can be recovered: until its deletion was confirmed + 30 days
/// (the NHSmail onboarding guide); then it is purged and a new registration is needed.
pub const RECOVERY_DAYS: i64 = 30;

/// Until when an application deleted at `deleted_at` can be recovered (exclusive): the
/// scheduler purges it at this instant.
pub fn recoverable_until(deleted_at: time::OffsetDateTime) -> time::OffsetDateTime {
    deleted_at + time::Duration::days(RECOVERY_DAYS)
}

/// Who takes a step of a registered application's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// One of the organisation's Local Administrators.
    LocalAdmin,
    /// A reviewer.
    Reviewer,
    /// The desk's scheduler (`appreg schedule run`).
    Scheduler,
}

/// A step of a request's life that is not a reviewer's decision on a version
/// (docs/lifecycle.md): the organisation withdraws a request before it is decided; and, once
/// the application is live, the organisation asks for a deletion or a recovery, a reviewer
/// confirms or declines it, and the scheduler purges what stayed deleted for [`RECOVERY_DAYS`]
/// days. Each step is a signed `application_step` entry of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The organisation asks for the live application to be deleted (with a reason).
    RequestDeletion,
    /// A reviewer confirms the deletion: NHSmail deleted it in the tenant.
    ConfirmDeletion,
    /// A reviewer declines the deletion (with a reason): it stays live.
    DeclineDeletion,
    /// The organisation asks for the deleted application back, within [`RECOVERY_DAYS`] days.
    RequestRecovery,
    /// A reviewer confirms the recovery: NHSmail restored it in the tenant; it is live again.
    ConfirmRecovery,
    /// A reviewer declines the recovery (with a reason): it stays deleted.
    DeclineRecovery,
    /// The organisation withdraws its deletion request before a reviewer answers: it stays live.
    WithdrawDeletion,
    /// The organisation withdraws its recovery request before a reviewer answers: it stays
    /// deleted.
    WithdrawRecovery,
    /// The scheduler purges an application deleted [`RECOVERY_DAYS`] days ago.
    Purge,
    /// The organisation withdraws its request (its latest version) before a reviewer decided
    /// it, or while it waits for the organisation's changes: it is `withdrawn`, and no reviewer
    /// acts on it any more. A withdrawn renewal or change leaves the live application as it was.
    WithdrawRequest,
}

impl Step {
    /// Every step.
    pub const ALL: [Step; 10] = [
        Step::RequestDeletion,
        Step::ConfirmDeletion,
        Step::DeclineDeletion,
        Step::RequestRecovery,
        Step::ConfirmRecovery,
        Step::DeclineRecovery,
        Step::WithdrawDeletion,
        Step::WithdrawRecovery,
        Step::Purge,
        Step::WithdrawRequest,
    ];

    /// The reviewer's steps: the answers to what the organisation asked.
    pub const ANSWERS: [Step; 4] = [
        Step::ConfirmDeletion,
        Step::DeclineDeletion,
        Step::ConfirmRecovery,
        Step::DeclineRecovery,
    ];

    /// The stored and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::RequestDeletion => "request_deletion",
            Step::ConfirmDeletion => "confirm_deletion",
            Step::DeclineDeletion => "decline_deletion",
            Step::RequestRecovery => "request_recovery",
            Step::ConfirmRecovery => "confirm_recovery",
            Step::DeclineRecovery => "decline_recovery",
            Step::WithdrawDeletion => "withdraw_deletion",
            Step::WithdrawRecovery => "withdraw_recovery",
            Step::Purge => "purge",
            Step::WithdrawRequest => "withdraw_request",
        }
    }

    /// Reads a stored or posted name.
    pub fn parse(text: &str) -> Option<Step> {
        Step::ALL
            .into_iter()
            .find(|step| step.as_str() == text.trim())
    }

    /// Who takes it.
    pub const fn actor(self) -> Actor {
        match self {
            Step::RequestDeletion
            | Step::RequestRecovery
            | Step::WithdrawDeletion
            | Step::WithdrawRecovery
            | Step::WithdrawRequest => Actor::LocalAdmin,
            Step::ConfirmDeletion
            | Step::DeclineDeletion
            | Step::ConfirmRecovery
            | Step::DeclineRecovery => Actor::Reviewer,
            Step::Purge => Actor::Scheduler,
        }
    }

    /// The status it leaves the application in when taken from `before`; `None` when it cannot
    /// be taken from there.
    pub const fn after(self, before: Status) -> Option<Status> {
        match (self, before) {
            (Step::RequestDeletion, Status::Live) => Some(Status::DeletionRequested),
            (Step::ConfirmDeletion, Status::DeletionRequested)
            | (Step::DeclineRecovery | Step::WithdrawRecovery, Status::RecoveryRequested) => {
                Some(Status::Deleted)
            }
            (Step::DeclineDeletion | Step::WithdrawDeletion, Status::DeletionRequested)
            | (Step::ConfirmRecovery, Status::RecoveryRequested) => Some(Status::Live),
            (Step::RequestRecovery, Status::Deleted) => Some(Status::RecoveryRequested),
            (Step::Purge, Status::Deleted | Status::RecoveryRequested) => Some(Status::Purged),
            (Step::WithdrawRequest, before) if before.is_withdrawable() => Some(Status::Withdrawn),
            _ => None,
        }
    }

    /// What the step does, as a sentence's verb phrase ("ask for the deletion").
    pub const fn action(self) -> &'static str {
        match self {
            Step::RequestDeletion => "ask for the application to be deleted",
            Step::ConfirmDeletion => "confirm a deletion",
            Step::DeclineDeletion => "decline a deletion",
            Step::RequestRecovery => "ask for the application to be recovered",
            Step::ConfirmRecovery => "confirm a recovery",
            Step::DeclineRecovery => "decline a recovery",
            Step::WithdrawDeletion => "withdraw the deletion request",
            Step::WithdrawRecovery => "withdraw the recovery request",
            Step::Purge => "purge the application",
            Step::WithdrawRequest => "withdraw the request",
        }
    }

    /// The status a step can be taken from (the first, for the pages' and API's wording).
    pub const fn taken_from(self) -> Status {
        match self {
            Step::RequestDeletion => Status::Live,
            Step::WithdrawRequest => Status::Submitted,
            Step::ConfirmDeletion | Step::DeclineDeletion | Step::WithdrawDeletion => {
                Status::DeletionRequested
            }
            Step::RequestRecovery | Step::Purge => Status::Deleted,
            Step::ConfirmRecovery | Step::DeclineRecovery | Step::WithdrawRecovery => {
                Status::RecoveryRequested
            }
        }
    }

    /// Whether a reason must be given (the reviewer's reason for declining is what the
    /// organisation reads; the organisation's reason for a deletion is what the reviewer checks).
    pub const fn needs_reason(self) -> bool {
        matches!(
            self,
            Step::RequestDeletion | Step::DeclineDeletion | Step::DeclineRecovery
        )
    }

    /// Whether the step is one the organisation asks a reviewer for.
    pub const fn is_request(self) -> bool {
        matches!(self, Step::RequestDeletion | Step::RequestRecovery)
    }

    /// The step as people read it in the application's history.
    pub const fn text(self) -> &'static str {
        match self {
            Step::RequestDeletion => "Deletion requested",
            Step::ConfirmDeletion => "Deletion confirmed",
            Step::DeclineDeletion => "Deletion declined",
            Step::RequestRecovery => "Recovery requested",
            Step::ConfirmRecovery => "Recovery confirmed",
            Step::DeclineRecovery => "Recovery declined",
            Step::WithdrawDeletion => "Deletion request withdrawn",
            Step::WithdrawRecovery => "Recovery request withdrawn",
            Step::Purge => "Purged",
            Step::WithdrawRequest => "Request withdrawn",
        }
    }
}

/// Why a step was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepRefusal {
    /// The reviewer's form was sent without confirm or decline (the page's form only).
    AnswerRequired,
    /// This step needs a reason.
    ReasonRequired,
    /// The reason is longer than [`MAX_REASON_CHARS`].
    ReasonTooLong,
    /// The application is not in the status the step is taken from (the message names it).
    NotAllowedNow,
    /// The reviewer answered a request that is no longer the one waiting (a stale tab: it was
    /// answered meanwhile, or asked again).
    StaleRequest,
    /// The 30 days to recover a deleted application are over.
    RecoveryWindowOver,
    /// A renewal or change of the application is being reviewed or made: its deletion waits
    /// until that is decided.
    ChangeOpen,
}

impl StepRefusal {
    /// Every refusal.
    pub const ALL: [StepRefusal; 7] = [
        StepRefusal::AnswerRequired,
        StepRefusal::ReasonRequired,
        StepRefusal::ReasonTooLong,
        StepRefusal::NotAllowedNow,
        StepRefusal::StaleRequest,
        StepRefusal::RecoveryWindowOver,
        StepRefusal::ChangeOpen,
    ];

    /// The code: the API's `error`, and the page's `?step_error=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StepRefusal::AnswerRequired => "answer_required",
            StepRefusal::ReasonRequired => "reason_required",
            StepRefusal::ReasonTooLong => "reason_too_long",
            StepRefusal::NotAllowedNow => "not_allowed_now",
            StepRefusal::StaleRequest => "stale_request",
            StepRefusal::RecoveryWindowOver => "recovery_window_over",
            StepRefusal::ChangeOpen => "change_in_review",
        }
    }

    /// Reads a code.
    pub fn parse(text: &str) -> Option<StepRefusal> {
        StepRefusal::ALL
            .into_iter()
            .find(|refusal| refusal.as_str() == text)
    }

    /// What the person is told, for `step` (the API's `message` and the pages' error summary).
    pub fn message(self, step: Step) -> String {
        match self {
            StepRefusal::AnswerRequired => {
                "Select whether you confirm or decline the request".to_string()
            }
            StepRefusal::ReasonRequired => match step {
                Step::RequestDeletion => "Enter why the application is no longer needed: a reviewer reads it before the application is deleted".to_string(),
                _ => "Enter why you are declining: the Local Administrator reads it".to_string(),
            },
            StepRefusal::ReasonTooLong => format!(
                "The reason is too long: shorten it to at most {MAX_REASON_CHARS} characters and send it again"
            ),
            StepRefusal::NotAllowedNow if step == Step::WithdrawRequest => "Nothing was recorded: a request can be withdrawn only while it waits for a reviewer's decision or for your changes. A reviewer may have decided on it meanwhile: read its page again".to_string(),
            StepRefusal::NotAllowedNow => format!(
                "Nothing was recorded: you can {} only while it is {}. Someone may have acted on it meanwhile: read its page again",
                step.action(),
                step.taken_from().text().to_lowercase()
            ),
            StepRefusal::StaleRequest => "Nothing was recorded: the request you answered was answered meanwhile, or asked again. Read the page again, then answer what is waiting now".to_string(),
            StepRefusal::RecoveryWindowOver => format!(
                "The application can no longer be recovered: it was deleted more than {RECOVERY_DAYS} days ago. Register it again as a new request"
            ),
            StepRefusal::ChangeOpen => "Nothing was recorded: a renewal or change of the application is being reviewed or made. Ask for the deletion once it is decided".to_string(),
        }
    }
}

/// A reason as the desk keeps it: trimmed, `None` when blank; refused when a step needs one and
/// none was given, or when it is too long.
///
/// # Errors
/// [`StepRefusal::ReasonRequired`] or [`StepRefusal::ReasonTooLong`].
pub fn step_reason(step: Step, reason: Option<&str>) -> Result<Option<String>, StepRefusal> {
    let reason = reason.map(str::trim).filter(|text| !text.is_empty());
    match reason {
        None if step.needs_reason() => Err(StepRefusal::ReasonRequired),
        Some(text) if text.chars().count() > MAX_REASON_CHARS => Err(StepRefusal::ReasonTooLong),
        reason => Ok(reason.map(str::to_string)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_approved_and_live_stand_approved() {
        let approved: Vec<Status> = [Status::Draft]
            .into_iter()
            .chain(Status::SUBMITTED)
            .filter(|status| status.is_approved())
            .collect();
        assert_eq!(
            approved,
            [Status::Approved, Status::Live, Status::DeletionRequested]
        );
    }

    #[test]
    fn each_step_moves_only_from_its_own_statuses() {
        use Status::*;
        let every = [Draft].into_iter().chain(Status::SUBMITTED);
        let moves: Vec<(Step, Status, Status)> = Step::ALL
            .into_iter()
            .flat_map(|step| {
                every
                    .clone()
                    .filter_map(move |before| step.after(before).map(|after| (step, before, after)))
            })
            .collect();
        assert_eq!(
            moves,
            [
                (Step::RequestDeletion, Live, DeletionRequested),
                (Step::ConfirmDeletion, DeletionRequested, Deleted),
                (Step::DeclineDeletion, DeletionRequested, Live),
                (Step::RequestRecovery, Deleted, RecoveryRequested),
                (Step::ConfirmRecovery, RecoveryRequested, Live),
                (Step::DeclineRecovery, RecoveryRequested, Deleted),
                (Step::WithdrawDeletion, DeletionRequested, Live),
                (Step::WithdrawRecovery, RecoveryRequested, Deleted),
                (Step::Purge, Deleted, Purged),
                (Step::Purge, RecoveryRequested, Purged),
                (Step::WithdrawRequest, Submitted, Withdrawn),
                (Step::WithdrawRequest, AwaitingSecondApproval, Withdrawn),
                (Step::WithdrawRequest, ChangesRequested, Withdrawn),
            ]
        );
        for step in Step::ALL {
            assert!(step.after(step.taken_from()).is_some(), "{step:?}");
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
        for refusal in StepRefusal::ALL {
            assert_eq!(StepRefusal::parse(refusal.as_str()), Some(refusal));
        }
    }

    #[test]
    fn a_deletion_and_a_refusal_need_a_reason_and_a_recovery_does_not() {
        assert_eq!(
            step_reason(Step::RequestDeletion, Some("  ")),
            Err(StepRefusal::ReasonRequired)
        );
        assert_eq!(
            step_reason(Step::DeclineRecovery, None),
            Err(StepRefusal::ReasonRequired)
        );
        assert_eq!(step_reason(Step::RequestRecovery, Some(" ")), Ok(None));
        assert_eq!(step_reason(Step::ConfirmDeletion, None), Ok(None));
        assert_eq!(
            step_reason(Step::RequestDeletion, Some(" Replaced by ward app v2 ")),
            Ok(Some("Replaced by ward app v2".to_string()))
        );
        assert_eq!(
            step_reason(
                Step::RequestDeletion,
                Some(&"x".repeat(MAX_REASON_CHARS + 1))
            ),
            Err(StepRefusal::ReasonTooLong)
        );
        assert_eq!(
            StepRefusal::NotAllowedNow.message(Step::RequestRecovery),
            "Nothing was recorded: you can ask for the application to be recovered only while it is deleted. Someone may have acted on it meanwhile: read its page again"
        );
    }

    #[test]
    fn a_request_is_withdrawn_by_its_organisation_with_or_without_a_reason() {
        assert_eq!(Step::WithdrawRequest.actor(), Actor::LocalAdmin);
        assert_eq!(step_reason(Step::WithdrawRequest, None), Ok(None));
        assert_eq!(
            step_reason(Step::WithdrawRequest, Some(" Supplier changed ")),
            Ok(Some("Supplier changed".to_string()))
        );
        assert!(Status::Withdrawn.is_ended_unapproved());
        assert!(Status::Rejected.is_ended_unapproved());
        assert!(!Status::Withdrawn.is_awaiting_reviewer());
        // Once decided (approved, rejected) or withdrawn, nothing is left to withdraw.
        for before in [
            Status::Approved,
            Status::Rejected,
            Status::Withdrawn,
            Status::Live,
        ] {
            assert_eq!(Step::WithdrawRequest.after(before), None, "{before:?}");
        }
        assert!(
            StepRefusal::NotAllowedNow
                .message(Step::WithdrawRequest)
                .contains("only while it waits for a reviewer's decision or for your changes")
        );
    }

    #[test]
    fn a_deleted_application_is_recoverable_for_thirty_days() {
        let deleted = time::macros::datetime!(2027-01-10 09:30 UTC);
        assert_eq!(
            recoverable_until(deleted),
            time::macros::datetime!(2027-02-09 09:30 UTC)
        );
    }

    #[test]
    fn every_name_reads_back_as_its_value() {
        for status in [Status::Draft].into_iter().chain(Status::SUBMITTED) {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::json!(role.as_str())
            );
        }
        assert_eq!(Role::parse("desk_admin"), Some(Role::DeskAdmin));
        for decision in Decision::ALL {
            assert_eq!(Decision::parse(decision.as_str()), Some(decision));
        }
        for refusal in DecisionRefusal::ALL {
            assert_eq!(DecisionRefusal::parse(refusal.as_str()), Some(refusal));
        }
        assert_eq!(Status::parse("nonsense"), None);
    }

    #[test]
    fn statuses_read_as_people_say_them() {
        assert_eq!(Status::ChangesRequested.text(), "Changes requested");
        assert_eq!(
            Status::AwaitingSecondApproval.text(),
            "Awaiting second approval"
        );
        assert!(Status::AwaitingSecondApproval.is_awaiting_decision());
        let awaiting_reviewer: Vec<Status> = Status::SUBMITTED
            .into_iter()
            .filter(|status| status.is_awaiting_reviewer())
            .collect();
        assert_eq!(
            awaiting_reviewer,
            [
                Status::Submitted,
                Status::AwaitingSecondApproval,
                Status::DeletionRequested,
                Status::RecoveryRequested
            ]
        );
        assert!(!Status::ChangesRequested.is_awaiting_decision());
    }
}
