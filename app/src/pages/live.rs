//! A registered (live) application as its pages show it: its IDs, the tenant's endpoints and
//! its credentials with their expiry (never the client secret's value: the Local
//! Administrators' page shows that apart, [`crate::pages::requests`]).

use leptos::prelude::*;

use crate::backend::LiveApplication;
use crate::components::{Table, date_text, date_time_text, headers};

/// The application's IDs (and, for those who configure it, the endpoints) and credentials.
#[component]
pub fn LiveSummary(
    live: LiveApplication,
    /// Show the authorisation and token endpoints (the organisation configures its application
    /// with them).
    #[prop(optional)]
    endpoints: bool,
) -> impl IntoView {
    let row = |key: &'static str, id: &'static str, value: String| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{key}</dt>
                <dd class="nhsuk-summary-list__value"><span class="appreg-thumbprint" id=id>{value}</span></dd>
            </div>
        }
    };
    let credentials = live.credentials.clone();
    view! {
        <dl class="nhsuk-summary-list" id="live-application">
            {row("Application (client) ID", "live-application-id", live.application_id.clone())}
            {row("Object ID", "live-object-id", live.object_id.clone())}
            {row("Directory (tenant) ID", "tenant-id", live.tenant_id.clone())}
            {endpoints.then(|| view! {
                {row("Authorisation endpoint", "authorize-endpoint", live.authorize_endpoint())}
                {row("Token endpoint", "token-endpoint", live.token_endpoint())}
            })}
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Created in NHSmail"</dt>
                <dd class="nhsuk-summary-list__value">{date_time_text(&live.implemented_at)}</dd>
            </div>
        </dl>
        {if credentials.is_empty() {
            view! { <p id="credentials">"No credential is recorded for this application."</p> }.into_any()
        } else {
            view! {
                <Table id="credentials" caption="Credentials and when they expire" caption_shown=true headers=headers(["Credential", "ID or thumbprint", "Expires"])>
                    {credentials.into_iter().map(|credential| view! {
                        <tr class="nhsuk-table__row" data-kind=credential.kind.clone()>
                            <td class="nhsuk-table__cell">{credential.kind_text()}</td>
                            <td class="nhsuk-table__cell"><span class="appreg-thumbprint">{credential.id.clone()}</span></td>
                            <td class="nhsuk-table__cell">{date_text(&credential.expires_at)}</td>
                        </tr>
                    }).collect_view()}
                </Table>
            }.into_any()
        }}
    }
}
