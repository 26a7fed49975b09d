//! NHS.UK form controls bound to the form state: label, hint, inline findings, input.

use leptos::prelude::*;
use registration::Severity;
use registration::draft::fields::names;

use super::state::{FormState, field_id};

/// The error and warning messages at one path, as NHS.UK error messages.
#[component]
pub fn FieldMessages(#[prop(into)] path: String) -> AnyView {
    let state = expect_context::<FormState>();
    let id = field_id(&path);
    let errors = {
        let path = path.clone();
        move || state.at(&path, Severity::Error)
    };
    let warnings = move || state.at(&path, Severity::Warning);
    view! {
        {move || {
            let errors = errors();
            (!errors.is_empty()).then(|| view! {
                <span class="nhsuk-error-message" id=format!("{id}-error")>
                    {errors.into_iter().map(|f| view! {
                        <span class="appreg-finding" data-code=f.code.code()>
                            <span class="nhsuk-u-visually-hidden">"Error: "</span>
                            {f.message}
                            <span class="appreg-finding__hint">{f.hint}</span>
                        </span>
                    }).collect_view()}
                </span>
            })
        }}
        {move || {
            let warnings = warnings();
            (!warnings.is_empty()).then(|| view! {
                <div class="appreg-warning-message">
                    {warnings.into_iter().map(|f| view! {
                        <p class="appreg-finding" data-code=f.code.code()>
                            <strong>"Warning: "</strong>
                            {f.message}
                            <span class="appreg-finding__hint">{f.hint}</span>
                        </p>
                    }).collect_view()}
                </div>
            })
        }}
    }
    .into_any()
}

/// `aria-describedby` for a control: its hint and, when shown, its error message.
fn described_by(
    state: FormState,
    path: String,
    id: String,
    has_hint: bool,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    move || {
        let mut parts = Vec::new();
        if has_hint {
            parts.push(format!("{id}-hint"));
        }
        if state.has_error(&path) {
            parts.push(format!("{id}-error"));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// A labelled text input with its hint and findings.
#[component]
pub fn TextInput(
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] label_hidden: bool,
    #[prop(into)] name: String,
    #[prop(into)] path: String,
    #[prop(into)] value: String,
    #[prop(optional, into)] width: Option<&'static str>,
    #[prop(optional, into)] input_type: Option<&'static str>,
    #[prop(optional, into)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] inputmode: Option<&'static str>,
    #[prop(into)] on_edit: Callback<String>,
    #[prop(optional)] children: Option<Children>,
) -> AnyView {
    let state = expect_context::<FormState>();
    let hint = hint.filter(|hint| !hint.is_empty());
    let id = field_id(&path);
    let has_error = {
        let path = path.clone();
        move || state.has_error(&path)
    };
    let group_has_error = has_error.clone();
    let described = described_by(state, path.clone(), id.clone(), hint.is_some());
    let class = format!("nhsuk-input {}", width.unwrap_or(""));
    let touch_path = path.clone();
    view! {
        <div class="nhsuk-form-group" class:nhsuk-form-group--error=group_has_error>
            <label class="nhsuk-label" class:nhsuk-u-visually-hidden=label_hidden for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <div class="nhsuk-hint" id=format!("{id}-hint")>{hint}</div> })}
            <FieldMessages path=path.clone() />
            <input
                class=class
                class:nhsuk-input--error=has_error
                id=id
                name=name
                type=input_type.unwrap_or("text")
                value=value
                spellcheck="false"
                autocomplete=autocomplete.unwrap_or("off")
                inputmode=inputmode
                aria-describedby=described
                on:input=move |event| {
                    on_edit.run(event_target_value(&event));
                    state.touch(&touch_path);
                }
            />
            {children.map(|children| children())}
        </div>
    }
    .into_any()
}

/// A labelled textarea with its hint and findings.
#[component]
pub fn TextArea(
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(into)] name: String,
    #[prop(into)] path: String,
    #[prop(into)] value: String,
    #[prop(into)] on_edit: Callback<String>,
) -> AnyView {
    let state = expect_context::<FormState>();
    let hint = hint.filter(|hint| !hint.is_empty());
    let id = field_id(&path);
    let has_error = {
        let path = path.clone();
        move || state.has_error(&path)
    };
    let group_has_error = has_error.clone();
    let described = described_by(state, path.clone(), id.clone(), hint.is_some());
    let touch_path = path.clone();
    view! {
        <div class="nhsuk-form-group" class:nhsuk-form-group--error=group_has_error>
            <label class="nhsuk-label" for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <div class="nhsuk-hint" id=format!("{id}-hint")>{hint}</div> })}
            <FieldMessages path=path.clone() />
            <textarea
                class="nhsuk-textarea"
                class:nhsuk-textarea--error=has_error
                id=id
                name=name
                rows="4"
                aria-describedby=described
                on:input=move |event| {
                    on_edit.run(event_target_value(&event));
                    state.touch(&touch_path);
                }
            >{crate::components::textarea_text(value)}</textarea>
        </div>
    }
    .into_any()
}

/// A submit button for one of the form's actions (see docs/form.md).
#[component]
pub fn ActionButton(
    #[prop(into)] action: String,
    #[prop(optional)] secondary: bool,
    #[prop(optional)] small: bool,
    children: Children,
) -> AnyView {
    let class = format!(
        "nhsuk-button{}{}",
        if secondary {
            " nhsuk-button--secondary"
        } else {
            ""
        },
        if small { " nhsuk-button--small" } else { "" }
    );
    view! {
        <button class=class type="submit" name=names::ACTION value=action data-module="nhsuk-button">
            {children()}
        </button>
    }
    .into_any()
}
