//! `/reset-password/{token}`: the page a one-time link (`appreg user reset-password`) opens, to
//! set a new local password. A plain form posted to `POST /reset-password/{token}`, which sends
//! the browser to sign in with the new password, or back here with `?error=` (what to fix).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::PageTitle;
use crate::backend::{PasswordReset, load_password_reset};

/// The one-time link's page.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let reset = Resource::new_blocking(token, load_password_reset);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let error = query.read().get("error");
                match reset.await {
                    Ok(Some(reset)) => view! { <ResetForm reset token=token() error /> }.into_any(),
                    Ok(None) => view! { <LinkNotValid /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ResetForm(reset: PasswordReset, token: String, error: Option<String>) -> impl IntoView {
    let message = error.map(|code| match code.as_str() {
        "mismatch" => {
            "The two passwords are not the same: enter the new password twice".to_string()
        }
        "too_long" => "The password is too long: use at most 1024 characters".to_string(),
        _ => format!(
            "Enter a password of at least {} characters",
            reset.min_length
        ),
    });
    let has_error = message.is_some();
    view! {
        <PageTitle text=if has_error { "Error: Set a new password" } else { "Set a new password" } />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                {message.clone().map(|message| view! {
                    <div class="nhsuk-error-summary" id="error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1" autofocus=true>
                        <h2 class="nhsuk-error-summary__title" id="error-summary-title">"There is a problem"</h2>
                        <div class="nhsuk-error-summary__body">
                            <ul class="nhsuk-list nhsuk-error-summary__list">
                                <li><a href="#password">{message}</a></li>
                            </ul>
                        </div>
                    </div>
                })}
                <h1>"Set a new password"</h1>
                <p id="reset-for">{format!("For your account, {}.", reset.email)}</p>
                <form method="post" action=format!("/reset-password/{token}") novalidate>
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                        <label class="nhsuk-label" for="password">"New password"</label>
                        <div class="nhsuk-hint" id="password-hint">{format!("At least {} characters. A few unrelated words make a long password that is easy to remember.", reset.min_length)}</div>
                        {message.map(|message| view! {
                            <span class="nhsuk-error-message" id="password-error"><span class="nhsuk-u-visually-hidden">"Error: "</span>{message}</span>
                        })}
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" class:nhsuk-input--error=has_error id="password" name="password" type="password"
                            autocomplete="new-password" aria-describedby="password-hint" />
                    </div>
                    <div class="nhsuk-form-group">
                        <label class="nhsuk-label" for="confirm">"Enter the new password again"</label>
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" id="confirm" name="confirm" type="password" autocomplete="new-password" />
                    </div>
                    <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Set the password"</button>
                </form>
                <p>"Once it is set, every place you were signed in is signed out: sign in again with the new password."</p>
            </div>
        </div>
    }
}

#[component]
fn LinkNotValid() -> impl IntoView {
    view! {
        <PageTitle text="This link does not work" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h1>"This link does not work"</h1>
                <p id="link-not-valid">"A link to set a new password works once, for 24 hours, and only the latest one sent works. Ask the desk's administrators for a new link, or sign in if you have set your password already."</p>
                <p><a href="/sign-in">"Sign in"</a></p>
            </div>
        </div>
    }
}
