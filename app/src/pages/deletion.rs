//! A registered application's deletion and recovery on its pages (docs/lifecycle.md): on the
//! request's page, the organisation's Local Administrators ask for a deletion (live) or a
//! recovery (deleted, within 30 days); on the review page, a reviewer confirms or declines what
//! was asked. Both pages list every step. The forms are plain posts (they work without
//! JavaScript); the server sends the page back with `?step_taken=` or `?step_error=`.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;
use registration::lifecycle::{MAX_REASON_CHARS, RECOVERY_DAYS, Status, Step, StepRefusal};

use crate::backend::{ApplicationLife, StepForm, StepRow};
use crate::components::{date_text, date_time_text, textarea_text};

/// What the page was sent back with after a step's post.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// `?step_taken=`: recorded.
    pub taken: Option<Step>,
    /// `?step_error=`: refused.
    pub error: Option<StepRefusal>,
    /// `?step=`: the step that was refused (the answer chosen).
    pub step: Option<Step>,
    /// `?reason=`: what was typed.
    pub reason: String,
}

impl StepOutcome {
    /// This outcome if it is about `step` (taken or refused), else none: two sections of one
    /// page each show only their own.
    pub fn about(&self, step: Step) -> StepOutcome {
        if self.taken == Some(step) || (self.error.is_some() && self.step == Some(step)) {
            self.clone()
        } else {
            StepOutcome::default()
        }
    }

    /// This outcome unless it is about `step`.
    pub fn not_about(&self, step: Step) -> StepOutcome {
        if self.about(step) == StepOutcome::default() {
            self.clone()
        } else {
            StepOutcome::default()
        }
    }

    /// Reads the page's query.
    pub fn from_query(query: &ParamsMap) -> StepOutcome {
        let step_error = query.get("step_error");
        StepOutcome {
            taken: query.get("step_taken").as_deref().and_then(Step::parse),
            error: step_error.as_deref().and_then(StepRefusal::parse),
            step: query.get("step").as_deref().and_then(Step::parse),
            // Only carried back with a refusal of the step form (the decision form has its own).
            reason: step_error
                .is_some()
                .then(|| query.get("reason"))
                .flatten()
                .unwrap_or_default(),
        }
    }

    /// The message beside the reason box, for a refusal about the reason.
    pub(crate) fn reason_error(&self) -> Option<String> {
        match self.error {
            Some(refusal @ (StepRefusal::ReasonRequired | StepRefusal::ReasonTooLong)) => {
                Some(refusal.message(self.step.unwrap_or(Step::RequestDeletion)))
            }
            _ => None,
        }
    }

    /// The message for a refusal that is not about a field.
    pub(crate) fn not_recorded(&self) -> Option<String> {
        match self.error {
            Some(
                StepRefusal::AnswerRequired
                | StepRefusal::ReasonRequired
                | StepRefusal::ReasonTooLong,
            )
            | None => None,
            Some(refusal) => Some(refusal.message(self.step.unwrap_or(Step::RequestDeletion))),
        }
    }
}

/// The success banner after a step.
#[component]
fn TakenBanner(taken: Option<Step>) -> impl IntoView {
    let text = match taken? {
        Step::RequestDeletion => {
            "Deletion requested: a reviewer confirms it, and you and the contacts are emailed. The application keeps working until then."
        }
        Step::RequestRecovery => {
            "Recovery requested: a reviewer confirms it, and you and the contacts are emailed."
        }
        Step::ConfirmDeletion => {
            "Deletion confirmed: the application is deleted, and can be recovered for 30 days. The organisation is emailed."
        }
        Step::DeclineDeletion => {
            "Deletion declined: the application stays live. The organisation is emailed your reason."
        }
        Step::ConfirmRecovery => {
            "Recovery confirmed: the application is live again. The organisation is emailed."
        }
        Step::DeclineRecovery => {
            "Recovery declined: the application stays deleted. The organisation is emailed your reason."
        }
        Step::WithdrawDeletion => {
            "Deletion request withdrawn: the application stays live. The contacts are emailed."
        }
        Step::WithdrawRecovery => {
            "Recovery request withdrawn: the application stays deleted. The contacts are emailed."
        }
        // The request page's own withdrawal section says it (`requests::request`).
        Step::Purge | Step::WithdrawRequest => return None,
    };
    Some(view! {
        <crate::components::SuccessBanner id="step-taken" heading=text>
            <p class="nhsuk-body">"It is signed and recorded in the desk's log."</p>
        </crate::components::SuccessBanner>
    })
}

/// Nothing was recorded, and why (a refusal not about a field).
#[component]
pub(crate) fn NotRecorded(outcome: StepOutcome) -> impl IntoView {
    outcome.not_recorded().map(|text| {
        view! {
            <div class="nhsuk-warning-callout" id="step-refused">
                <h3 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Nothing was recorded"</span></h3>
                <p>{format!("{text}.")}</p>
            </div>
        }
    })
}

/// The error summary for the step form's fields.
#[component]
fn FieldErrors(answer_error: Option<String>, reason_error: Option<String>) -> impl IntoView {
    (answer_error.is_some() || reason_error.is_some()).then(|| view! {
        <div class="nhsuk-error-summary" data-module="nhsuk-error-summary" id="step-error-summary">
            <div role="alert">
                <h2 class="nhsuk-error-summary__heading">"There is a problem"</h2>
                <div class="nhsuk-error-summary__body">
                    <ul class="nhsuk-list nhsuk-error-summary__list">
                        {answer_error.map(|text| view! { <li><a href="#step-confirm">{text}</a></li> })}
                        {reason_error.map(|text| view! { <li><a href="#step-reason">{text}</a></li> })}
                    </ul>
                </div>
            </div>
        </div>
    })
}

/// The reason box, with its error and what was typed kept.
#[component]
pub(crate) fn ReasonBox(
    label: &'static str,
    hint: String,
    error: Option<String>,
    kept: String,
) -> impl IntoView {
    let described = if error.is_some() {
        "step-reason-hint step-reason-error"
    } else {
        "step-reason-hint"
    };
    view! {
        <div class=if error.is_some() { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }>
            <label class="nhsuk-label" for="step-reason">{label}</label>
            <div class="nhsuk-hint" id="step-reason-hint">{hint}</div>
            {error.clone().map(|text| view! {
                <span class="nhsuk-error-message" id="step-reason-error"><span class="nhsuk-u-visually-hidden">"Error: "</span>{text}</span>
            })}
            <textarea class=if error.is_some() { "nhsuk-textarea nhsuk-textarea--error" } else { "nhsuk-textarea" }
                id="step-reason" name="reason" rows="4" maxlength=MAX_REASON_CHARS.to_string()
                aria-describedby=described>{textarea_text(kept)}</textarea>
        </div>
    }
}

/// Every step so far.
#[component]
fn History(steps: Vec<StepRow>) -> impl IntoView {
    (!steps.is_empty()).then(|| {
        view! {
            <h2 id="steps-heading">"Deletion and recovery"</h2>
            <ol class="nhsuk-list" id="steps">
                {steps.into_iter().map(|row| {
                    let by = row.actor_email.clone().unwrap_or_else(|| "the desk".to_string());
                    view! {
                        <li class="appreg-step" data-step=row.step.as_str()>
                            <p class="nhsuk-body">
                                <strong>{row.step.text()}</strong>
                                {format!(" by {by} on {}", date_time_text(&row.taken_at))}
                            </p>
                            {row.reason.map(|reason| view! {
                                <div class="nhsuk-inset-text appreg-reason">
                                    <span class="nhsuk-u-visually-hidden">"Reason: "</span>
                                    <p>{reason}</p>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        }
    })
}

/// Where the application stands after approval, in a sentence (none while simply live).
fn standing_text(status: Status, life: &ApplicationLife) -> Option<String> {
    let until = life
        .recoverable_until
        .as_deref()
        .map(date_time_text)
        .unwrap_or_default();
    let deleted = life
        .deleted_at
        .as_deref()
        .map(date_text)
        .unwrap_or_default();
    let waiting = life.waiting.as_ref().map(|row| {
        format!(
            "{} asked on {}",
            row.actor_email.as_deref().unwrap_or("the desk"),
            date_text(&row.taken_at)
        )
    });
    match status {
        Status::DeletionRequested => Some(format!(
            "Deletion requested ({}). A reviewer confirms it; until then the application keeps working.",
            waiting.unwrap_or_default()
        )),
        Status::Deleted if life.recoverable_until.is_some() => Some(format!(
            "Deleted on {deleted}: the application can no longer sign in to NHSmail. It can be recovered until {until}; after that it is purged and a new registration is needed."
        )),
        Status::RecoveryRequested => Some(format!(
            "Deleted on {deleted}. Recovery requested ({}): a reviewer confirms it before {until}, or the application is purged.",
            waiting.unwrap_or_default()
        )),
        Status::Purged => Some(format!(
            "Deleted on {deleted} and not recovered within {RECOVERY_DAYS} days, so it was purged. To use it again, submit a new registration request."
        )),
        _ => None,
    }
}

/// What both pages show around their form: the outcome of the last post, where the
/// application stands, and every step so far.
#[component]
fn StepSection(
    status: Status,
    life: ApplicationLife,
    outcome: StepOutcome,
    children: Children,
) -> impl IntoView {
    let standing = standing_text(status, &life);
    view! {
        <TakenBanner taken=outcome.taken />
        <NotRecorded outcome=outcome.clone() />
        {standing.map(|text| view! {
            <div class="nhsuk-inset-text" id="application-standing">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>{text}</p>
            </div>
        })}
        {children()}
        <History steps=life.steps />
    }
}

/// On the request's page: where the application stands, the form the organisation's Local
/// Administrators may send (ask for deletion while live, for recovery while deleted), and the
/// history.
#[component]
pub fn OrganisationSteps(
    reference: String,
    status: Status,
    life: ApplicationLife,
    outcome: StepOutcome,
) -> impl IntoView {
    let reason_error = outcome.reason_error();
    let form = life.form.clone().map(|form| match form {
        StepForm::RequestDeletion { csrf_token } => view! {
            <details class="nhsuk-details" id="delete-application" open=outcome.error.is_some()>
                <summary class="nhsuk-details__summary">
                    <span class="nhsuk-details__summary-text">"Delete this application"</span>
                </summary>
                <div class="nhsuk-details__text">
                    <p>{format!("Ask for the application to be deleted when it is no longer needed. A reviewer confirms it; NHSmail then deletes it and it stops working. It can be recovered for {RECOVERY_DAYS} days after that, then it is gone for good.")}</p>
                    <FieldErrors answer_error=None reason_error=reason_error.clone() />
                    <form method="post" action=format!("/requests/{reference}/deletion") novalidate id="deletion-form">
                        <input type="hidden" name="csrf_token" value=csrf_token />
                        <ReasonBox label="Why is the application no longer needed?"
                            hint=format!("Required: a reviewer reads it before the application is deleted. At most {MAX_REASON_CHARS} characters.")
                            error=reason_error.clone() kept=outcome.reason.clone() />
                        <button class="nhsuk-button nhsuk-button--warning" type="submit" data-module="nhsuk-button">"Ask for deletion"</button>
                    </form>
                </div>
            </details>
        }
        .into_any(),
        StepForm::RequestRecovery { csrf_token } => view! {
            <FieldErrors answer_error=None reason_error=reason_error.clone() />
            <form method="post" action=format!("/requests/{reference}/recovery") novalidate id="recovery-form">
                <input type="hidden" name="csrf_token" value=csrf_token />
                <ReasonBox label="Why is it needed again? (optional)"
                    hint=format!("A reviewer reads it. At most {MAX_REASON_CHARS} characters.")
                    error=reason_error.clone() kept=outcome.reason.clone() />
                <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Ask for it to be recovered"</button>
            </form>
        }
        .into_any(),
        StepForm::Withdraw { csrf_token, step } => view! {
            <form method="post" action=format!("/requests/{reference}/withdrawal") novalidate id="withdraw-form">
                <input type="hidden" name="csrf_token" value=csrf_token />
                <input type="hidden" name="step" value=step.as_str() />
                <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button">
                    {if step == Step::WithdrawRecovery { "Withdraw the recovery request" } else { "Withdraw the deletion request" }}
                </button>
            </form>
        }
        .into_any(),
        StepForm::Answer { .. } => ().into_any(),
    });
    view! {
        <StepSection status life outcome>{form}</StepSection>
    }
}

/// On the review page: where the application stands, the answer form while the organisation's
/// request waits, and the history.
#[component]
pub fn ReviewerSteps(
    reference: String,
    status: Status,
    life: ApplicationLife,
    outcome: StepOutcome,
) -> impl IntoView {
    let reason_error = outcome.reason_error();
    let answer_error = (outcome.error == Some(StepRefusal::AnswerRequired))
        .then(|| StepRefusal::AnswerRequired.message(Step::ConfirmDeletion));
    let chosen = outcome.step.filter(|_| outcome.error.is_some());
    let form = match (life.form.clone(), life.waiting.clone()) {
        (Some(StepForm::Answer { csrf_token }), Some(waiting)) => {
            let (heading, confirm, decline, confirm_hint, decline_hint) = match waiting.step {
                Step::RequestRecovery => (
                    "Recovery requested",
                    Step::ConfirmRecovery,
                    Step::DeclineRecovery,
                    "NHSmail has restored the application in its tenant: it is live again.",
                    "It stays deleted (and is purged when its 30 days are over). Say why.",
                ),
                _ => (
                    "Deletion requested",
                    Step::ConfirmDeletion,
                    Step::DeclineDeletion,
                    "NHSmail has deleted the application in its tenant: it is recoverable for 30 days.",
                    "It stays live. Say why.",
                ),
            };
            let radio = move |step: Step,
                              id: &'static str,
                              label: &'static str,
                              hint: &'static str| {
                let hint_id = format!("{id}-hint");
                view! {
                    <div class="nhsuk-radios__item">
                        <input class="nhsuk-radios__input" id=id name="step" type="radio" value=step.as_str()
                            checked=chosen == Some(step) aria-describedby=hint_id.clone() />
                        <label class="nhsuk-label nhsuk-radios__label" for=id>{label}</label>
                        <div class="nhsuk-hint nhsuk-radios__hint" id=hint_id>{hint}</div>
                    </div>
                }
            };
            let asked = format!(
                "{} asked on {}.",
                waiting.actor_email.as_deref().unwrap_or("The organisation"),
                date_time_text(&waiting.taken_at)
            );
            view! {
                <h2 id="step-answer-heading">{heading}</h2>
                <p class="nhsuk-body" id="step-asked">{asked}</p>
                {waiting.reason.clone().map(|reason| view! {
                    <div class="nhsuk-inset-text appreg-reason" id="step-asked-reason">
                        <span class="nhsuk-u-visually-hidden">"Reason: "</span>
                        <p>{reason}</p>
                    </div>
                })}
                <FieldErrors answer_error=answer_error.clone() reason_error=reason_error.clone() />
                <form method="post" action=format!("/review/{reference}/lifecycle-decisions") novalidate id="step-answer-form">
                    <input type="hidden" name="csrf_token" value=csrf_token />
                    // The request read: an answer to any other (answered meanwhile, asked again) records nothing.
                    <input type="hidden" name="answering" value=waiting.n.to_string() />
                    <div class=if answer_error.is_some() { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }>
                        <fieldset class="nhsuk-fieldset">
                            <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"Your answer"</legend>
                            {answer_error.clone().map(|text| view! {
                                <span class="nhsuk-error-message" id="step-answer-error"><span class="nhsuk-u-visually-hidden">"Error: "</span>{text}</span>
                            })}
                            <div class="nhsuk-radios" data-module="nhsuk-radios">
                                {radio(confirm, "step-confirm", "Confirm", confirm_hint)}
                                {radio(decline, "step-decline", "Decline", decline_hint)}
                            </div>
                        </fieldset>
                    </div>
                    <ReasonBox label="Reason"
                        hint=format!("Required to decline: the Local Administrator reads it. At most {MAX_REASON_CHARS} characters.")
                        error=reason_error.clone() kept=outcome.reason.clone() />
                    <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Record your answer"</button>
                </form>
            }
            .into_any()
        }
        _ => ().into_any(),
    };
    view! {
        <StepSection status life outcome>{form}</StepSection>
    }
}
