use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::PageTitle;
use crate::backend::{Access, SubmissionPage, load_submission};
use crate::components::SubmissionWarnings;
use crate::pages::access::Refused;

/// `/registrations/{reference}/submitted`: the confirmation after a valid submission.
#[component]
pub fn SubmittedPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new_blocking(
        move || params.read().get("reference").unwrap_or_default(),
        load_submission,
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Access::Page(page)) => view! { <Confirmation page /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <super::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Confirmation(page: SubmissionPage) -> impl IntoView {
    let organisation = page
        .organisation_name
        .clone()
        .map(|name| format!("{name} ({})", page.ods_code))
        .unwrap_or(page.ods_code.clone());
    view! {
        <PageTitle text="Request submitted" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <div class="nhsuk-panel nhsuk-panel--confirmation" id="confirmation">
                    <h1 class="nhsuk-panel__title">"Request submitted"</h1>
                    <div class="nhsuk-panel__body">
                        "Your reference is"<br /><strong id="reference">{page.reference.clone()}</strong>
                    </div>
                </div>
                <p>"Quote this reference if you contact the NHSmail team about the request."</p>
                <dl class="nhsuk-summary-list">
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Application"</dt>
                        <dd class="nhsuk-summary-list__value">{page.application_name.clone()}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Organisation"</dt>
                        <dd class="nhsuk-summary-list__value">{organisation}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Status"</dt>
                        <dd class="nhsuk-summary-list__value"><strong class="nhsuk-tag" id="status">{page.status.text()}</strong></dd>
                    </div>
                </dl>
                <SubmissionWarnings
                    findings=page.report.findings.clone()
                    intro="Your request was accepted with these warnings. The reviewer will check them and may ask you about them.".to_string()
                />
                <h2>"Downloads"</h2>
                <ul class="nhsuk-list" id="downloads">
                    <li>
                        <a href=format!("/api/v1/registrations/{}/record", page.reference)
                            download=format!("{}.jws", page.reference)>
                            "Signed registration request record (JWS)"
                        </a>
                    </li>
                </ul>
                <p id="exports-once-approved">"The files the NHSmail administrators act on (the Microsoft Entra application and the Exchange Online script) can be downloaded from the request's page once it is approved."</p>
                <h2>"What happens next"</h2>
                <ol class="nhsuk-list nhsuk-list--number">
                    <li>"A reviewer checks the request: the permissions, the mailboxes and any certificate."</li>
                    <li>"They approve it, reject it, or ask you to change something. The contacts are told of the decision."</li>
                    <li>"Once approved, NHSmail creates the application and records it here: you and the contacts are emailed its Application (client) ID, and the request's page shows it with the tenant, the endpoints and, if you asked for one, the client secret (for 72 hours only: copy it then)."</li>
                </ol>
                <p><a href=format!("/requests/{}", page.reference)>"See the request and its status"</a></p>
                <p><a href="/register">"Request another application registration"</a></p>
            </div>
        </div>
    }
}
