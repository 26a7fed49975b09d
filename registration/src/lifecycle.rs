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
}

impl Status {
    /// Every status a submitted request can have, in the order the pages list them.
    pub const SUBMITTED: [Status; 6] = [
        Status::Submitted,
        Status::AwaitingSecondApproval,
        Status::ChangesRequested,
        Status::Approved,
        Status::Live,
        Status::Rejected,
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
        }
    }

    /// Reads a stored or typed name.
    pub fn parse(text: &str) -> Option<Status> {
        [Status::Draft]
            .into_iter()
            .chain(Status::SUBMITTED)
            .find(|status| status.as_str() == text)
    }

    /// True when an approval of the version stands: approved, and every status an approved
    /// request moves on to (live). What is made only for an approved request (the exports) is
    /// made in these.
    pub const fn is_approved(self) -> bool {
        matches!(self, Status::Approved | Status::Live)
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
        }
    }

    /// Whether a reviewer's decision is awaited.
    pub const fn is_awaiting_decision(self) -> bool {
        matches!(self, Status::Submitted | Status::AwaitingSecondApproval)
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
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::LocalAdmin, Role::Reviewer];

    /// The stored and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::LocalAdmin => "local_admin",
            Role::Reviewer => "reviewer",
        }
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
}

impl DecisionRefusal {
    /// Every refusal.
    pub const ALL: [DecisionRefusal; 7] = [
        DecisionRefusal::DecisionRequired,
        DecisionRefusal::ReasonRequired,
        DecisionRefusal::ReasonTooLong,
        DecisionRefusal::OwnSubmission,
        DecisionRefusal::SecondApprovalBySameReviewer,
        DecisionRefusal::NotAwaitingDecision,
        DecisionRefusal::StaleVersion,
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
            | DecisionRefusal::StaleVersion => None,
        }
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
        assert_eq!(approved, [Status::Approved, Status::Live]);
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
        }
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
        assert!(!Status::ChangesRequested.is_awaiting_decision());
    }
}
