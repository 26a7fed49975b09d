//! The lists that grow and shrink: mailboxes, redirect URIs, token endpoint URIs, contacts.
//!
//! Rows are added and removed by form posts (so it works without JavaScript); within a page the
//! rows are fixed, and typing updates the draft so the rules run as the person types.

use leptos::prelude::*;
use registration::Contact;
use registration::draft::fields::names::{self, ContactPart, RedirectUriPart};

use super::fields::{ActionButton, FieldMessages, TextInput};
use super::state::FormState;

/// The remove button of one row, naming the row for screen readers.
#[component]
fn RemoveRow(list: &'static str, index: usize, #[prop(into)] what: String) -> AnyView {
    view! {
        <ActionButton action=format!("remove:{list}:{index}") secondary=true small=true>
            "Remove"<span class="nhsuk-u-visually-hidden">{format!(" {what} {}", index + 1)}</span>
        </ActionButton>
    }
    .into_any()
}

/// Mailbox addresses.
#[component]
pub fn Mailboxes() -> AnyView {
    let state = expect_context::<FormState>();
    let rows = state.draft.with_untracked(|d| d.mailboxes.clone());
    view! {
        <section class="appreg-section" id="mailboxes" tabindex="-1">
            <h2 id="mailboxes-heading">"Mailboxes"</h2>
            <p class="nhsuk-hint">"The NHSmail mailboxes the application will read or send from. They must belong to your organisation (or one of its sites)."</p>
            <FieldMessages path="mailboxes" />
            {rows.into_iter().enumerate().map(|(index, value)| view! {
                <div class="appreg-row">
                    <TextInput
                        label=if index == 0 { "Mailbox addresses".to_string() } else { format!("Mailbox addresses {}", index + 1) }
                        label_hidden={index > 0}
                        hint=if index == 0 { "For example, ward7.referrals@nhs.net".to_string() } else { String::new() }
                        name=names::mailbox(index)
                        path=format!("mailboxes[{index}]")
                        value=value
                        input_type="email"
                        width="nhsuk-u-width-two-thirds"
                        on_edit=Callback::new(move |text: String| state.edit(|d| if let Some(row) = d.mailboxes.get_mut(index) { *row = text }))
                    >
                        <RemoveRow list="mailboxes" index=index what="mailbox address" />
                    </TextInput>
                </div>
            }).collect_view()}
            <ActionButton action="add:mailboxes" secondary=true>"Add another mailbox"</ActionButton>
        </section>
    }
    .into_any()
}

/// Redirect URIs with their platform.
#[component]
pub fn RedirectUris() -> AnyView {
    let state = expect_context::<FormState>();
    let rows = state.draft.with_untracked(|d| d.redirect_uris.clone());
    view! {
        <section class="appreg-section" id="redirect-uris" tabindex="-1">
            <h2 id="redirect-uris-heading">"Sign-in"</h2>
            <p class="nhsuk-hint">
                "Where Microsoft Entra ID sends people back to after they sign in. They must be https "
                "(http only for 127.0.0.1 on a desktop app), with no # fragment and no wildcards."
            </p>
            <FieldMessages path="redirect_uris" />
            {rows.into_iter().enumerate().map(|(index, row)| {
                let platform_id = format!("redirect-uris-{index}-platform");
                let platform_path = format!("redirect_uris[{index}].platform");
                let selected = row.platform.clone();
                let group_path = platform_path.clone();
                let messages_path = platform_path.clone();
                view! {
                    <div class="appreg-row appreg-row--pair">
                        <TextInput
                            label=if index == 0 { "Redirect URIs".to_string() } else { format!("Redirect URIs {}", index + 1) }
                            label_hidden={index > 0}
                            hint=if index == 0 { "For example, https://connector.nuh.nhs.uk/auth/callback".to_string() } else { String::new() }
                            name=names::redirect_uri(index, RedirectUriPart::Uri)
                            path=format!("redirect_uris[{index}].uri")
                            value=row.uri
                            input_type="url"
                            width="nhsuk-u-width-two-thirds"
                            on_edit=Callback::new(move |text: String| state.edit(|d| if let Some(row) = d.redirect_uris.get_mut(index) { row.uri = text }))
                        />
                        <div class="nhsuk-form-group" class:nhsuk-form-group--error=move || state.has_error(&group_path)>
                            <label class="nhsuk-label" for=platform_id.clone()>
                                "Platform"<span class="nhsuk-u-visually-hidden">{format!(" for redirect URI {}", index + 1)}</span>
                            </label>
                            <FieldMessages path=messages_path />
                            <select
                                class="nhsuk-select"
                                id=platform_id
                                name=names::redirect_uri(index, RedirectUriPart::Platform)
                                on:change=move |event| {
                                    let value = event_target_value(&event);
                                    state.edit(|d| if let Some(row) = d.redirect_uris.get_mut(index) { row.platform = value });
                                    state.touch(&platform_path);
                                }
                            >
                                {[("web", "Web"), ("spa", "Single-page application"), ("public_client", "Mobile and desktop")]
                                    .into_iter()
                                    .map(|(value, text)| view! { <option value=value selected=selected == value>{text}</option> })
                                    .collect_view()}
                            </select>
                        </div>
                        <RemoveRow list="redirect_uris" index=index what="redirect URI" />
                    </div>
                }
            }).collect_view()}
            <ActionButton action="add:redirect_uris" secondary=true>"Add another redirect URI"</ActionButton>
        </section>
    }
    .into_any()
}

/// Token endpoint URIs.
#[component]
pub fn TokenEndpoints() -> AnyView {
    let state = expect_context::<FormState>();
    let rows = state
        .draft
        .with_untracked(|d| d.token_endpoint_uris.clone());
    view! {
        <section class="appreg-section" id="token-endpoint-uris" tabindex="-1">
            <h2 id="token-endpoint-uris-heading">"Token endpoints"</h2>
            <FieldMessages path="token_endpoint_uris" />
            {rows.into_iter().enumerate().map(|(index, value)| view! {
                <div class="appreg-row">
                    <TextInput
                        label=if index == 0 { "Token endpoint URIs".to_string() } else { format!("Token endpoint URIs {}", index + 1) }
                        label_hidden={index > 0}
                        hint=if index == 0 { "Where the application gets its tokens, normally https://login.microsoftonline.com/ followed by the NHSmail tenant ID and /oauth2/v2.0/token. Leave blank if you do not know.".to_string() } else { String::new() }
                        name=names::token_endpoint_uri(index)
                        path=format!("token_endpoint_uris[{index}]")
                        value=value
                        input_type="url"
                        width="nhsuk-u-width-two-thirds"
                        on_edit=Callback::new(move |text: String| state.edit(|d| if let Some(row) = d.token_endpoint_uris.get_mut(index) { *row = text }))
                    >
                        <RemoveRow list="token_endpoint_uris" index=index what="token endpoint URI" />
                    </TextInput>
                </div>
            }).collect_view()}
            <ActionButton action="add:token_endpoint_uris" secondary=true>"Add another token endpoint"</ActionButton>
        </section>
    }
    .into_any()
}

/// Contacts.
#[component]
pub fn Contacts() -> AnyView {
    let state = expect_context::<FormState>();
    let rows = state.draft.with_untracked(|d| d.contacts.clone());
    view! {
        <section class="appreg-section" id="contacts" tabindex="-1">
            <h2 id="contacts-heading">"Contacts"</h2>
            <p class="nhsuk-hint">"Who looks after the application. Expiry reminders and decisions are sent to them."</p>
            <FieldMessages path="contacts" />
            {rows.into_iter().enumerate().map(|(index, Contact { name, email })| view! {
                <div class="appreg-row appreg-row--pair">
                    <TextInput
                        label=if index == 0 { "Contact name".to_string() } else { format!("Contact name {}", index + 1) }
                        name=names::contact(index, ContactPart::Name)
                        path=format!("contacts[{index}].name")
                        value=name
                        autocomplete="name"
                        width="nhsuk-u-width-one-half"
                        on_edit=Callback::new(move |text: String| state.edit(|d| if let Some(row) = d.contacts.get_mut(index) { row.name = text }))
                    />
                    <TextInput
                        label=if index == 0 { "Contact email".to_string() } else { format!("Contact email {}", index + 1) }
                        name=names::contact(index, ContactPart::Email)
                        path=format!("contacts[{index}].email")
                        value=email
                        input_type="email"
                        autocomplete="email"
                        width="nhsuk-u-width-one-half"
                        on_edit=Callback::new(move |text: String| state.edit(|d| if let Some(row) = d.contacts.get_mut(index) { row.email = text }))
                    />
                    <RemoveRow list="contacts" index=index what="contact" />
                </div>
            }).collect_view()}
            <ActionButton action="add:contacts" secondary=true>"Add another contact"</ActionButton>
        </section>
    }
    .into_any()
}
