//! On an approved request's review page, "Record the application as created": the form that
//! posts to `/review/{reference}/implementation` (the server checks it with
//! `registration::implementation::check`, as the JSON API does); once live, what was recorded.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;
use registration::implementation::{ImplementationRefusal, SECRET_VISIBLE_HOURS};

use crate::backend::LiveApplication;
use crate::backend::review::ImplementationForm;
use crate::pages::live::LiveSummary;

/// What the page was sent back with after the form's post.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImplementationOutcome {
    /// `?implemented=live`: recorded.
    pub implemented: bool,
    /// `?implementation_error=code,…`: what the rules refused, each naming its field.
    pub errors: Vec<ImplementationRefusal>,
    /// `?implementation_refused=`: `not_approved` or `already_implemented`.
    pub refused: Option<String>,
    /// `?pasted=true`: the refused post was a pasted Graph response (not carried back: it holds
    /// the secret).
    pub pasted: bool,
    /// What was typed, carried back (never the secret's value).
    pub application_id: String,
    /// The object ID typed.
    pub object_id: String,
    /// The secret ID typed.
    pub secret_id: String,
    /// The expiry typed.
    pub secret_expires_at: String,
}

impl ImplementationOutcome {
    /// Reads the page's query.
    pub fn from_query(query: &ParamsMap) -> ImplementationOutcome {
        let text = |name: &str| query.get(name).unwrap_or_default();
        ImplementationOutcome {
            implemented: query.get("implemented").as_deref() == Some("live"),
            errors: text("implementation_error")
                .split(',')
                .filter_map(ImplementationRefusal::parse)
                .collect(),
            refused: query.get("implementation_refused").filter(|code| {
                code == "not_approved" || code == "already_implemented" || code == "not_live"
            }),
            pasted: query.get("pasted").as_deref() == Some("true"),
            application_id: text("application_id"),
            object_id: text("object_id"),
            secret_id: text("secret_id"),
            secret_expires_at: text("secret_expires_at"),
        }
    }
}

/// The success banner after recording.
#[component]
pub fn ImplementedBanner(outcome: ImplementationOutcome) -> impl IntoView {
    outcome.implemented.then(|| view! {
        <crate::components::SuccessBanner id="implemented" heading="Recorded as created: the organisation's Local Administrators are told">
            <p class="nhsuk-body">{format!("The application is live. The request's submitter and its contacts are emailed its Application ID, the tenant and the endpoints; the organisation's Local Administrators see them on the request's page, with the client secret (if one was issued) for {SECRET_VISIBLE_HOURS} hours. The record is signed into the desk's log.")}</p>
        </crate::components::SuccessBanner>
    })
}

/// The input each refusal is shown beside (the typed form's), or the pasted JSON's.
fn input_of(refusal: ImplementationRefusal, pasted: bool) -> &'static str {
    if pasted {
        return "graph-response";
    }
    match refusal.field() {
        "application_id" => "application-id",
        "object_id" => "object-id",
        "client_secret.secret_id" => "secret-id",
        "client_secret.expires_at" => "secret-expires-at",
        "graph_response" => "graph-response",
        _ => "secret-value",
    }
}

/// "Record the application as created" while approved; "The registered application" once live.
#[component]
pub fn ImplementationSection(
    reference: String,
    form: Option<ImplementationForm>,
    live: Option<LiveApplication>,
    outcome: ImplementationOutcome,
) -> impl IntoView {
    let refused = outcome.refused.as_deref().map(|code| match code {
        "already_implemented" => "It was recorded as created already: the application is live.",
        "not_live" => "The application is no longer live (it was deleted meanwhile), so the renewal or change cannot be recorded as made.",
        _ => {
            "The request is not approved by signed decisions, so it cannot be recorded as created."
        }
    });
    let refused = refused.map(|text| view! {
        <div class="nhsuk-warning-callout" id="implementation-refused">
            <h3 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Nothing was recorded"</span></h3>
            <p>{text}</p>
        </div>
    });
    match (form, live) {
        // An approved renewal or change of the live application: what it is now, and the form
        // that records the renewal or change as made.
        (Some(form), Some(live)) if form.purpose.is_some() => {
            let mut outcome = outcome;
            if outcome.application_id.is_empty() {
                outcome.application_id.clone_from(&live.application_id);
            }
            if outcome.object_id.is_empty() {
                outcome.object_id.clone_from(&live.object_id);
            }
            let what = match form.purpose {
                Some(registration::change::Purpose::Renewal) => "renewal",
                _ => "change",
            };
            view! {
                <h2 id="implementation-heading">"The registered application"</h2>
                <LiveSummary live />
                <h2 id="record-change-heading">{format!("Record the {what} as made")}</h2>
                {refused}
                <RecordForm reference form outcome />
            }
            .into_any()
        }
        (_, Some(live)) => view! {
            <h2 id="implementation-heading">"The registered application"</h2>
            {refused}
            <p>"Created in NHSmail's tenant. The client secret, if one was issued, is shown only to the organisation's Local Administrators."</p>
            <LiveSummary live />
        }
        .into_any(),
        (Some(form), None) => view! {
            <h2 id="implementation-heading">"Record the application as created"</h2>
            {refused}
            <RecordForm reference form outcome />
        }
        .into_any(),
        (None, None) => ().into_any(),
    }
}

#[component]
fn RecordForm(
    reference: String,
    form: ImplementationForm,
    outcome: ImplementationOutcome,
) -> impl IntoView {
    let pasted = outcome.pasted;
    let error_for = {
        let errors = outcome.errors.clone();
        move |input: &str| -> Vec<&'static str> {
            errors
                .iter()
                .filter(|refusal| input_of(**refusal, pasted) == input)
                .map(|refusal| refusal.message())
                .collect()
        }
    };
    let secret_requested = form.secret_lifetime_months.is_some();
    let has_errors = !outcome.errors.is_empty();
    // What the summary adds: what the desk did not keep, and must be given again.
    let not_kept = if !has_errors {
        None
    } else if pasted {
        Some("The pasted JSON is not kept (it holds the client secret): paste it again.")
    } else if secret_requested {
        Some("The client secret's value is not kept: enter it again.")
    } else {
        None
    };
    let field = {
        let error_for = error_for.clone();
        move |id: &'static str,
              name: &'static str,
              label: &'static str,
              hint: String,
              value: String,
              secret: bool| {
            let errors = error_for(id);
            let hint_id = format!("{id}-hint");
            let error_id = format!("{id}-error");
            let described = if errors.is_empty() {
                hint_id.clone()
            } else {
                format!("{hint_id} {error_id}")
            };
            let has_error = !errors.is_empty();
            view! {
                <div class=if has_error { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }>
                    <label class="nhsuk-label" for=id>{label}</label>
                    <div class="nhsuk-hint" id=hint_id>{hint}</div>
                    {has_error.then(|| view! {
                        <span class="nhsuk-error-message" id=error_id>
                            <span class="nhsuk-u-visually-hidden">"Error: "</span>{errors.join(". ")}
                        </span>
                    })}
                    <input class=if has_error { "nhsuk-input nhsuk-input--error" } else { "nhsuk-input" }
                        id=id name=name type=if secret { "password" } else { "text" }
                        autocomplete="off" spellcheck="false"
                        value=if secret { String::new() } else { value }
                        aria-describedby=described />
                </div>
            }
        }
    };
    let guid_hint = "As Entra shows it, like 11111111-2222-3333-4444-555555555555".to_string();
    let graph_errors = error_for("graph-response");
    let graph_has_error = !graph_errors.is_empty();
    let summary_items: Vec<(String, &'static str)> = outcome
        .errors
        .iter()
        .map(|refusal| {
            (
                format!("#{}", input_of(*refusal, pasted)),
                refusal.message(),
            )
        })
        .collect();
    let intro = if form.purpose.is_some() {
        "Once NHSmail's administrators have made the approved version in Entra (the same application: its IDs are filled in), record it here, with the new client secret if one was issued. This version becomes the live one; the one before is superseded, and its credentials stay listed until they expire."
    } else {
        "Once NHSmail's administrators have created the application in Entra from the approved export, record what Entra made: type the IDs, or paste the JSON Graph answered. The application becomes live, and the organisation is told its Application ID."
    };
    let secret_hint = move |months: i64| {
        if form.secret_optional {
            format!(
                "The change keeps the client secret settings ({months} months): enter a secret only if NHSmail issued a new one. Its value is shown to the organisation's Local Administrators for {SECRET_VISIBLE_HOURS} hours, then destroyed."
            )
        } else {
            format!(
                "The request asked for a client secret lasting {months} months. Its value is shown to the organisation's Local Administrators for {SECRET_VISIBLE_HOURS} hours, then destroyed."
            )
        }
    };
    let button = if form.purpose.is_some() {
        "Record as made"
    } else {
        "Record as created"
    };
    view! {
        <p>{intro}</p>
        {has_errors.then(|| view! {
            <div class="nhsuk-error-summary" data-module="nhsuk-error-summary" id="implementation-error-summary">
                <div role="alert">
                    <h2 class="nhsuk-error-summary__heading">"There is a problem: nothing was recorded"</h2>
                    <div class="nhsuk-error-summary__body">
                        {not_kept.map(|text| view! { <p id="not-kept">{text}</p> })}
                        <ul class="nhsuk-list nhsuk-error-summary__list">
                            {summary_items.into_iter().map(|(href, text)| view! { <li><a href=href>{text}</a></li> }).collect_view()}
                        </ul>
                    </div>
                </div>
            </div>
        })}
        <form method="post" action=format!("/review/{reference}/implementation") novalidate autocomplete="off" id="implementation-form">
            <input type="hidden" name="csrf_token" value=form.csrf_token.clone() />
            {field("application-id", "application_id", "Application (client) ID", guid_hint.clone(), outcome.application_id.clone(), false)}
            {field("object-id", "object_id", "Object ID", guid_hint.clone(), outcome.object_id.clone(), false)}
            {form.secret_lifetime_months.map(|months| view! {
                <fieldset class="nhsuk-fieldset" aria-describedby="client-secret-hint">
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"Client secret"</legend>
                    <div class="nhsuk-hint" id="client-secret-hint">
                        {secret_hint(months)}
                    </div>
                    {field("secret-value", "secret_value", "Value", "Entra shows it once, when it is issued.".to_string(), String::new(), true)}
                    {field("secret-id", "secret_id", "Secret ID", guid_hint.clone(), outcome.secret_id.clone(), false)}
                    {field("secret-expires-at", "secret_expires_at", "Expires", "A date, like 2027-06-30, or a date and time with its offset, like 2027-06-30T12:00:00Z".to_string(), outcome.secret_expires_at.clone(), false)}
                </fieldset>
            })}
            <div class=if graph_has_error { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }>
                <label class="nhsuk-label" for="graph-response">"Or paste the JSON Graph answered"</label>
                <div class="nhsuk-hint" id="graph-response-hint">
                    {if secret_requested {
                        "The answer of POST /applications, with passwordCredentials as addPassword answered (appId, id, and secretText, keyId, endDateTime). When you paste it, the fields above are not used."
                    } else {
                        "The answer of POST /applications (appId and id). When you paste it, the fields above are not used."
                    }}
                </div>
                {graph_has_error.then(|| view! {
                    <span class="nhsuk-error-message" id="graph-response-error">
                        <span class="nhsuk-u-visually-hidden">"Error: "</span>{graph_errors.join(". ")}
                    </span>
                })}
                <textarea class=if graph_has_error { "nhsuk-textarea nhsuk-textarea--error" } else { "nhsuk-textarea" }
                    id="graph-response" name="graph_response" rows="8" spellcheck="false" autocomplete="off"
                    aria-describedby=if graph_has_error { "graph-response-hint graph-response-error" } else { "graph-response-hint" }></textarea>
            </div>
            <button class="nhsuk-button" type="submit" data-module="nhsuk-button">{button}</button>
        </form>
    }
}
