use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use registration::{EmbeddedDirectory, Finding, Severity, rules::ods};

/// "Check your ODS code": a plain GET form answered by the server with the `registration` rule
/// the form's live check runs. The start page loads no WASM (its weight budget is 60 kB; the
/// rules and the organisation directory are most of the WASM), so the check answers on "Check",
/// not as you type: docs/performance.md, "Page weight".
#[component]
pub fn OdsCodeCheck() -> impl IntoView {
    let query = use_query_map();
    let code = query.with_untracked(|q| q.get("ods_code").unwrap_or_default());
    let (state, sentence) = describe(&code);

    view! {
        <form class="nhsuk-form-group" method="get" action="/#check-ods-code" id="check-ods-code">
            <h2>"Check your ODS code"</h2>
            <label class="nhsuk-label" for="ods-code-check">"ODS code"</label>
            <div class="nhsuk-hint" id="ods-code-check-hint">"For example, RX1 or A81001"</div>
            <div class="appreg-inline-check">
            <input
                class="nhsuk-input nhsuk-input--width-10"
                id="ods-code-check"
                name="ods_code"
                type="text"
                spellcheck="false"
                autocomplete="off"
                aria-describedby="ods-code-check-hint ods-code-check-result"
                value=code
            />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button">
                "Check"
            </button>
            </div>
            <p class="nhsuk-body" id="ods-code-check-result" aria-live="polite" data-state=state>
                {sentence}
            </p>
        </form>
    }
}

/// What the ODS rule says about `raw`, as (state, sentence).
fn describe(raw: &str) -> (&'static str, String) {
    if raw.trim().is_empty() {
        return ("empty", String::new());
    }
    let mut findings: Vec<Finding> = Vec::new();
    let outcome = ods::check(raw, EmbeddedDirectory::get(), &mut findings);
    if let Some(error) = findings.iter().find(|f| f.severity == Severity::Error) {
        return ("error", format!("{} {}", error.message, error.hint));
    }
    match outcome.organisation {
        Some(organisation) => {
            let status = match organisation.status {
                registration::OrganisationStatus::Active => "open",
                registration::OrganisationStatus::Closed => "closed",
            };
            let warning = findings
                .first()
                .map(|f| format!(" {}", f.message))
                .unwrap_or_default();
            (
                "found",
                format!(
                    "{} is {} ({status}).{warning}",
                    organisation.ods_code, organisation.name
                ),
            )
        }
        None => (
            "error",
            "That code is not in the organisation directory.".to_string(),
        ),
    }
}
