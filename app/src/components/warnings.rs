//! The warnings a request was accepted with, as its submitter reads them: on the confirmation
//! page after submitting, and on the request's page for the version shown.

use leptos::prelude::*;
use registration::{Finding, Severity};

/// The warnings among `findings` (each with its message and stable code), under "What the
/// reviewer will look at"; nothing when there are none.
#[component]
pub fn SubmissionWarnings(
    findings: Vec<Finding>,
    /// The sentence under the heading.
    intro: String,
) -> impl IntoView {
    let warnings: Vec<Finding> = findings
        .into_iter()
        .filter(|finding| finding.severity == Severity::Warning)
        .collect();
    (!warnings.is_empty()).then(|| {
        view! {
            <h2 id="warnings-heading">"What the reviewer will look at"</h2>
            <p>{intro}</p>
            <ul class="nhsuk-list nhsuk-list--bullet" id="warnings">
                {warnings.into_iter().map(|finding| view! {
                    <li data-code=finding.code.code()>
                        {finding.message}
                        " "<span class="nhsuk-body-s appreg-finding-code">{format!("({}: {})", finding.path, finding.code.code())}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
