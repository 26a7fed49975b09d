//! The registration form (issue: "The registration form a Local Administrator fills in").
//!
//! One well-sectioned page. It works as plain HTML form posts (see docs/form.md) and, once
//! hydrated, runs the same `registration` rules in the browser as the person types.

mod autosave;
mod certificates;
mod fields;
mod lists;
mod permissions;
mod state;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use registration::change::{ChangeRefusal, Purpose};
use registration::draft::fields::names;
use registration::rules::certificate::RefusedUpload;
use registration::{Finding, Severity};
use time::OffsetDateTime;

use crate::PageTitle;
use crate::backend::{Access, FormPage, Revision, load_form};
use crate::pages::access::Refused;
use fields::{ActionButton, FieldMessages, TextArea, TextInput};
pub use permissions::{catalogue_path, catalogue_shown, search as search_permissions};
use state::{FormState, field_id};

/// `/register` and `/register/{draft_id}`.
#[component]
pub fn RegisterPage() -> AnyView {
    let params = use_params_map();
    let query = use_query_map();
    let location = use_location();
    let page = Resource::new_blocking(
        move || {
            (
                params.read().get("draft_id"),
                query.read().get("checked").is_some(),
                here(&location.pathname.get(), &location.search.get()),
            )
        },
        |(draft_id, checked, here)| load_form(draft_id, checked, here),
    );
    let not_awaiting_changes = move || query.read().get("not_awaiting_changes").is_some();
    let change_refused = move || {
        query.read().get("change_refused").map(|code| {
            change_refusal_text(&code, &query.read().get("changed").unwrap_or_default())
        })
    };
    let busy = move || query.read().get("busy").is_some();
    let saved = move || query.read().get("saved").is_some();
    // After signing in again, a form that was posted (or autosaved) once the session had ended.
    let restored = move || query.read().get("restored");
    let refused = move || query.read().get("refused");
    view! {
        <Suspense fallback=|| view! { <p>"Loading the form…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Access::Page(page)) => view! {
                        <PageTitle text=if page.report.is_some() { "Check your request" } else { "Request an application registration" } />
                        <RegistrationForm page saved=saved() refused=refused() not_awaiting_changes=not_awaiting_changes() change_refused=change_refused() busy=busy() restored=restored() />
                    }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// A page's path and query, as the router's location gives them.
pub(crate) fn here(pathname: &str, search: &str) -> String {
    let search = search.trim_start_matches('?');
    if search.is_empty() {
        pathname.to_string()
    } else {
        format!("{pathname}?{search}")
    }
}

/// The form itself, for one page load: an island (it runs in the browser; the rest of the page
/// does not). Its props travel in the page as JSON, so `refused` is the query's code.
#[island]
fn RegistrationForm(
    page: FormPage,
    saved: bool,
    refused: Option<String>,
    not_awaiting_changes: bool,
    change_refused: Option<String>,
    busy: bool,
    restored: Option<String>,
) -> impl IntoView {
    let now = OffsetDateTime::from_unix_timestamp(page.now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    // The browser's rules and picker look permissions up in the part of the catalogue the page
    // came with, until the whole arrives (`FormState::want_whole_catalogue`).
    #[cfg(feature = "hydrate")]
    page.catalogue.clone().install();
    // The browser checks against the organisation's slice of the directory (never another
    // organisation's mailboxes); for an address outside it, the server's last answer stands.
    let tenant_id = page.tenant_id.clone();
    let directory = page.directory.clone();
    let server_answer = page
        .report
        .clone()
        .map(|report| (page.draft.clone(), report));
    let state = FormState::new(
        page.draft,
        page.report,
        page.certificates,
        now,
        move |draft, now| {
            directory.validate_draft(
                draft,
                &tenant_id,
                now,
                server_answer
                    .as_ref()
                    .map(|(checked, report)| (checked, report)),
            )
        },
    );
    provide_context(state);
    Effect::new(move |_| state.hydrated.set(true));
    let autosave = autosave::Autosave::new(page.draft_id.clone(), page.session_idle_seconds);
    provide_context(autosave);
    autosave.start(move || state.draft.track());
    let refused = refused
        .as_deref()
        .and_then(RefusedUpload::parse)
        .map(|r| r.finding("certificates"));
    let draft = state.draft.get_untracked();

    view! {
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-full">
                {not_awaiting_changes.then(|| view! { <NotAwaitingChangesBanner revision=page.revision.clone() /> })}
                {change_refused.map(|text| view! {
                    <div class="nhsuk-error-summary" id="change-refused" aria-labelledby="change-refused-title" role="alert" tabindex="-1">
                        <h2 class="nhsuk-error-summary__title" id="change-refused-title">"This could not be submitted"</h2>
                        <div class="nhsuk-error-summary__body">
                            <p>{text}</p>
                            <p>"Your draft is kept."</p>
                        </div>
                    </div>
                })}
                {busy.then(|| view! { <BusyBanner /> })}
                {saved.then(|| view! { <SavedBanner draft_id=page.draft_id.clone().unwrap_or_default() /> })}
                {restored.map(|restored| view! { <RestoredBanner files=restored == "files" /> })}
                <ErrorSummary refused=refused.clone() />
                <h1>"Request an application registration"</h1>
                {page.revision.clone().map(|revision| view! {
                    <div class="nhsuk-inset-text" id="revision">
                        <span class="nhsuk-u-visually-hidden">"Information: "</span>
                        <p>
                            {match revision.purpose {
                                Some(Purpose::Renewal) => format!("You are asking for a renewal of {} — this will be version {}. Upload the new certificate, or keep the client secret to be issued a new one; leave everything else as it is.", revision.reference, revision.next_version),
                                Some(Purpose::Change) => format!("You are asking for a change of {} — this will be version {}. The application keeps working as it is until NHSmail has made the change.", revision.reference, revision.next_version),
                                None => format!("You are changing {} — this will be version {}.", revision.reference, revision.next_version),
                            }}
                            " "<a href=format!("/requests/{}", revision.reference)>{if revision.purpose.is_some() { "See the live application" } else { "See the request and the reviewer's reasons" }}</a>
                        </p>
                    </div>
                })}
                <p class="nhsuk-lede-text">"Tell us about the application and what it needs from NHSmail. We check each answer as you go."</p>
                <form method="post" action="/register" enctype="multipart/form-data" novalidate id="registration-form" on:submit=move |_| autosave.leave()>
                    // Pressing Enter in a field checks the form (the first submit button is the default).
                    <button type="submit" name=names::ACTION value="check" class="appreg-default-action" tabindex="-1" aria-hidden="true">"Check"</button>
                    <input type="hidden" name=names::DRAFT_ID value=move || autosave.draft_id.get() />
                    <input type="hidden" name=names::CSRF_TOKEN value=page.csrf_token.clone() />
                    <Organisation value=draft.ods_code.clone() label=page.organisation.text() />
                    <section class="appreg-section">
                        <h2 id="application-heading">"Application"</h2>
                        <TextInput label="Application name" hint="As people will see it when they sign in" name=names::APPLICATION_NAME path="application.name" value=draft.application_name.clone()
                            width="nhsuk-u-width-two-thirds" on_edit=Callback::new(move |v| state.edit(|d| d.application_name = v)) />
                        <TextArea label="Description" hint="What the application does with NHSmail, and for whom" name=names::DESCRIPTION path="application.description" value=draft.description.clone()
                            on_edit=Callback::new(move |v| state.edit(|d| d.description = v)) />
                        <TextInput label="Supplier" hint="The company or team that makes the application" name=names::SUPPLIER path="application.supplier" value=draft.supplier.clone()
                            width="nhsuk-u-width-two-thirds" on_edit=Callback::new(move |v| state.edit(|d| d.supplier = v)) />
                    </section>
                    <AccessType value=draft.access_type.clone() />
                    <permissions::Permissions />
                    <AccessPolicyGroup value=draft.access_policy_group.clone() />
                    <lists::Mailboxes />
                    <lists::RedirectUris />
                    <lists::TokenEndpoints />
                    <certificates::Certificates refused=refused.clone() />
                    <section class="appreg-section">
                        <h2 id="client-secret-heading">"Client secret"</h2>
                        <TextInput label="Client secret lifetime (months)" name=names::CLIENT_SECRET_MONTHS path="client_secret.lifetime_months" value=draft.client_secret_months.clone()
                            hint="Only if the application signs in with a secret instead of a certificate: 1 to 24 months. Leave blank for no secret."
                            width="nhsuk-input--width-2" inputmode="numeric" on_edit=Callback::new(move |v| state.edit(|d| d.client_secret_months = v)) />
                    </section>
                    <lists::Contacts />
                    <div class="appreg-actions">
                        <ActionButton action="submit">"Submit"</ActionButton>
                        " "
                        <ActionButton action="check" secondary=true>"Check"</ActionButton>
                        " "
                        <ActionButton action="save" secondary=true>"Save draft"</ActionButton>
                    </div>
                    <autosave::AutosaveStatus />
                </form>
                {page.draft_id.clone().map(|draft_id| view! {
                    <DeleteDraft draft_id csrf_token=page.csrf_token.clone() />
                })}
                <autosave::SessionDialog csrf_token=page.csrf_token.clone() />
            </div>
        </div>
    }
    .into_any()
}

/// After signing in again: the form posted once the session had ended is this draft now.
#[component]
fn RestoredBanner(files: bool) -> AnyView {
    view! {
        <crate::components::SuccessBanner id="restored" heading="Your answers were kept">
            <p class="nhsuk-body">"You were signed out before the form was saved. What you sent is in this draft now: check your answers, then carry on. Nothing was submitted."</p>
            {files.then(|| view! {
                <p class="nhsuk-body" id="restored-files">"The certificate file you were uploading could not be kept: choose it again."</p>
            })}
        </crate::components::SuccessBanner>
    }
    .into_any()
}

/// "Draft saved" with the address to come back to.
#[component]
fn SavedBanner(draft_id: String) -> AnyView {
    let address = format!("/register/{draft_id}");
    view! {
        <div class="nhsuk-notification-banner nhsuk-notification-banner--success" role="alert" aria-labelledby="saved-title" data-module="nhsuk-notification-banner">
            <div class="nhsuk-notification-banner__header">
                <h2 class="nhsuk-notification-banner__title" id="saved-title">"Success"</h2>
            </div>
            <div class="nhsuk-notification-banner__content">
                <p class="nhsuk-notification-banner__heading">"Your draft is saved"</p>
                <p class="nhsuk-body">
                    "To come back to it, bookmark this page or keep its address: "
                    <a class="nhsuk-notification-banner__link" href=address.clone()>{address.clone()}</a>
                </p>
            </div>
        </div>
    }
    .into_any()
}

/// The NHS.UK error summary (errors, linking to each field) and the list of warnings.
#[component]
fn ErrorSummary(refused: Option<Finding>) -> AnyView {
    let state = expect_context::<FormState>();
    let refused_shown = refused.is_some();
    let errors = move || {
        let mut errors: Vec<Finding> = refused.iter().cloned().collect();
        errors.extend(state.shown.with(|all| {
            all.iter()
                .filter(|f| f.severity == Severity::Error)
                .cloned()
                .collect::<Vec<_>>()
        }));
        errors
    };
    let warnings = move || {
        state.shown.with(|all| {
            all.iter()
                .filter(|f| f.severity == Severity::Warning)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let autofocus = state.checked;
    view! {
        {move || {
            let errors = errors();
            // Before Check or Submit, findings show only at the fields typed in.
            (!errors.is_empty() && (state.checked || refused_shown)).then(|| view! {
                <div class="nhsuk-error-summary" id="error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1" autofocus=autofocus>
                    <h2 class="nhsuk-error-summary__title" id="error-summary-title">"There is a problem"</h2>
                    <div class="nhsuk-error-summary__body">
                        <p>{format!("{} {} to fix before you can submit.", errors.len(), if errors.len() == 1 { "thing" } else { "things" })}</p>
                        <ul class="nhsuk-list nhsuk-error-summary__list">
                            {errors.into_iter().map(|f| view! {
                                <li><a href=format!("#{}", field_id(&f.path)) data-code=f.code.code()>{f.message}</a></li>
                            }).collect_view()}
                        </ul>
                    </div>
                </div>
            })
        }}
        {move || {
            let warnings = warnings();
            (state.checked && !warnings.is_empty()).then(|| view! {
                <div class="nhsuk-warning-callout" id="warning-summary">
                    <h2 class="nhsuk-warning-callout__label">
                        <span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"A reviewer will look at"</span>
                    </h2>
                    <p>"You can submit with these, but the reviewer will check them."</p>
                    <ul>
                        {warnings.into_iter().map(|f| view! {
                            <li><a href=format!("#{}", field_id(&f.path)) data-code=f.code.code()>{f.message}</a></li>
                        }).collect_view()}
                    </ul>
                </div>
            })
        }}
    }
    .into_any()
}

/// The administrator's organisation: fixed (a Local Administrator asks only for their own), sent
/// as a hidden field, with any finding the rules have about it.
#[component]
fn Organisation(value: String, label: String) -> AnyView {
    let state = expect_context::<FormState>();
    let has_error = move || state.has_error("ods_code");
    view! {
        <section class="appreg-section">
            <h2 id="organisation-heading">"Organisation"</h2>
            <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                <p class="nhsuk-body" id="organisation-hint">"You are asking for your own organisation:"</p>
                <FieldMessages path="ods_code" />
                <p class="nhsuk-body-l appreg-organisation" id="ods-code" tabindex="-1"><strong id="organisation-name">{label}</strong></p>
                <input type="hidden" name=names::ODS_CODE value=value />
            </div>
        </section>
    }
    .into_any()
}

/// Why a renewal or change was not submitted, from the form's redirect (`change_refused=code`,
/// and `changed=` with the fields a renewal may not change).
fn change_refusal_text(code: &str, changed: &str) -> String {
    let fields: Vec<String> = changed
        .split(',')
        .map(str::trim)
        .filter(|field| !field.is_empty())
        .map(str::to_string)
        .collect();
    match code {
        "not_a_renewal" => ChangeRefusal::NotARenewal { fields }.message(),
        "nothing_to_renew" => ChangeRefusal::NothingToRenew.message(),
        "no_change" => ChangeRefusal::NoChange.message(),
        "change_in_review" => "A renewal or change of this application is already being reviewed or made: wait for it to be decided.".to_string(),
        _ => "The application is no longer live, so it cannot be renewed or changed.".to_string(),
    }
}

/// The revision could not be submitted: the request was decided (or changed) meanwhile.
#[component]
fn NotAwaitingChangesBanner(revision: Option<Revision>) -> AnyView {
    let (reference, link) = match revision {
        Some(revision) => (
            revision.reference.clone(),
            format!("/requests/{}", revision.reference),
        ),
        None => ("The request".to_string(), "/requests".to_string()),
    };
    view! {
        <div class="nhsuk-error-summary" id="not-awaiting-changes" aria-labelledby="not-awaiting-changes-title" role="alert" tabindex="-1">
            <h2 class="nhsuk-error-summary__title" id="not-awaiting-changes-title">"This change could not be submitted"</h2>
            <div class="nhsuk-error-summary__body">
                <p>{format!("{reference} is no longer waiting for changes: a reviewer decided on it, or it was changed, after you started this draft. Your draft is kept.")}</p>
                <p><a href=link>"See the request's status"</a></p>
            </div>
        </div>
    }
    .into_any()
}

/// The desk was too busy to check the request (or an uploaded file) this time.
#[component]
fn BusyBanner() -> AnyView {
    view! {
        <div class="nhsuk-error-summary" id="busy" aria-labelledby="busy-title" role="alert" tabindex="-1">
            <h2 class="nhsuk-error-summary__title" id="busy-title">"The service was too busy to check your request"</h2>
            <div class="nhsuk-error-summary__body">
                <p>"Your answers are saved in this draft, but nothing was checked or submitted, and a file you uploaded was not kept. Wait a few seconds, then upload the file again or press the button again."</p>
            </div>
        </div>
    }
    .into_any()
}

/// Deletes this draft (a form of its own: it cannot sit inside the registration form).
#[component]
fn DeleteDraft(draft_id: String, csrf_token: String) -> AnyView {
    view! {
        <form method="post" action=format!("/register/{draft_id}/delete") id="delete-draft" class="appreg-delete-draft">
            <input type="hidden" name=names::CSRF_TOKEN value=csrf_token />
            <p class="nhsuk-body-s">"If you no longer need this draft, you can delete it. Deleting cannot be undone."</p>
            <button class="nhsuk-button nhsuk-button--warning nhsuk-button--small" type="submit" data-module="nhsuk-button">"Delete draft"</button>
        </form>
    }
    .into_any()
}

/// Delegated or application access.
#[component]
fn AccessType(value: String) -> AnyView {
    let state = expect_context::<FormState>();
    let has_error = move || state.has_error("access_type");
    let radio = move |choice: &'static str, label: &'static str, hint: &'static str| {
        let id = format!("access-type-{choice}");
        view! {
            <div class="nhsuk-radios__item">
                <input class="nhsuk-radios__input" id=id.clone() name=names::ACCESS_TYPE type="radio" value=choice checked=value == choice
                    aria-describedby=format!("{id}-item-hint")
                    on:change=move |_| { state.edit(|d| d.access_type = choice.to_string()); state.touch("access_type"); } />
                <label class="nhsuk-label nhsuk-radios__label" for=id.clone()>{label}</label>
                <div class="nhsuk-hint nhsuk-radios__hint" id=format!("{id}-item-hint")>{hint}</div>
            </div>
        }
    };
    view! {
        <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
            <fieldset class="nhsuk-fieldset" aria-describedby="access-type-hint">
                <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">
                    <h2 class="nhsuk-fieldset__heading">"Access type"</h2>
                </legend>
                <div class="nhsuk-hint" id="access-type-hint">"How the application reaches NHSmail"</div>
                <FieldMessages path="access_type" />
                <div class="nhsuk-radios">
                    {radio("delegated", "Delegated", "A person signs in, and the application acts for them (for example an email client)")}
                    {radio("application", "Application", "The application works on its own, with no one signed in (for example a service that sends letters by email)")}
                </div>
            </fieldset>
        </div>
    }
    .into_any()
}

/// The access policy group, shown when app-only mail permissions are chosen (or one was typed).
#[component]
fn AccessPolicyGroup(value: String) -> AnyView {
    let state = expect_context::<FormState>();
    let typed = !value.trim().is_empty();
    let needed = move || {
        typed
            || state
                .draft
                .with(|d| permissions::needs_access_policy_group(&d.permissions))
    };
    let value = StoredValue::new(value);
    view! {
        <Show when=needed>
            <section class="appreg-section">
                <h2 id="access-policy-group-heading">"Mailbox scope"</h2>
                <TextInput label="Access policy group" name=names::ACCESS_POLICY_GROUP path="access_policy_group" value=value.get_value()
                    hint="App-only mail permissions reach every mailbox unless they are scoped. Give the @nhs.net address of a mail-enabled security group holding only the mailboxes the application may use."
                    input_type="email" width="nhsuk-u-width-two-thirds" on_edit=Callback::new(move |v| state.edit(|d| d.access_policy_group = v)) />
            </section>
        </Show>
    }
    .into_any()
}
