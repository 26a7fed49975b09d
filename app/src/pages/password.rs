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
    let message = error.map(|code| new_password_message(&code, reset.min_length));
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
                    <NewPasswordFields min_length=reset.min_length error=message />
                    <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Set the password"</button>
                </form>
                <p>"Once it is set, every place you were signed in is signed out: sign in again with the new password."</p>
            </div>
        </div>
    }
}

/// What a new password was refused for (the server's `?error=` code: `too_short`, `too_long`,
/// `mismatch`), in words.
fn new_password_message(code: &str, min_length: usize) -> String {
    match code {
        "mismatch" => {
            "The two passwords are not the same: enter the new password twice".to_string()
        }
        "too_long" => "The password is too long: use at most 1024 characters".to_string(),
        _ => format!("Enter a password of at least {min_length} characters"),
    }
}

/// The new password, twice, with its hint and the error about it (both password forms).
#[component]
fn NewPasswordFields(min_length: usize, error: Option<String>) -> impl IntoView {
    let has_error = error.is_some();
    view! {
        <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
            <label class="nhsuk-label" for="password">"New password"</label>
            <div class="nhsuk-hint" id="password-hint">{format!("At least {min_length} characters. A few unrelated words make a long password that is easy to remember.")}</div>
            {error.map(|message| view! {
                <span class="nhsuk-error-message" id="password-error"><span class="nhsuk-u-visually-hidden">"Error: "</span>{message}</span>
            })}
            <input class="nhsuk-input nhsuk-u-width-two-thirds" class:nhsuk-input--error=has_error id="password" name="password" type="password"
                autocomplete="new-password" aria-describedby="password-hint" />
        </div>
        <div class="nhsuk-form-group">
            <label class="nhsuk-label" for="confirm">"Enter the new password again"</label>
            <input class="nhsuk-input nhsuk-u-width-two-thirds" id="confirm" name="confirm" type="password" autocomplete="new-password" />
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

/// `/account/password`: the signed-in account changes its own local password.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new_blocking(|| (), |()| crate::backend::load_account_page());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (changed, error) = (query.read().get("changed").is_some(), query.read().get("error"));
                match page.await {
                    Ok(crate::backend::Access::Page(page)) => view! { <ChangeForm page changed error /> }.into_any(),
                    Ok(refused) => view! { <crate::pages::access::Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangeForm(
    page: crate::backend::AccountPage,
    changed: bool,
    error: Option<String>,
) -> impl IntoView {
    let (field, message) = match error.as_deref() {
        Some("wrong_current") => (
            "current",
            Some("Your current password is not right: enter it again".to_string()),
        ),
        Some("too_many") => (
            "current",
            Some(
                "Too many wrong current passwords: wait a few minutes, then try again".to_string(),
            ),
        ),
        Some(code) => (
            "password",
            Some(new_password_message(code, page.min_length)),
        ),
        None => ("password", None),
    };
    let current_error = (field == "current").then(|| message.clone()).flatten();
    let new_error = (field == "password").then(|| message.clone()).flatten();
    let current_has_error = current_error.is_some();
    view! {
        <PageTitle text=if message.is_some() { "Error: Change your password" } else { "Change your password" } />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                {changed.then(|| view! {
                    <crate::components::SuccessBanner id="password-changed" heading="Your password is changed">
                        <p class="nhsuk-body">"Anywhere else you were signed in has been signed out."</p>
                    </crate::components::SuccessBanner>
                })}
                {message.clone().map(|message| view! {
                    <div class="nhsuk-error-summary" id="error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1" autofocus=true>
                        <h2 class="nhsuk-error-summary__title" id="error-summary-title">"There is a problem"</h2>
                        <div class="nhsuk-error-summary__body">
                            <ul class="nhsuk-list nhsuk-error-summary__list">
                                <li><a href=format!("#{field}")>{message}</a></li>
                            </ul>
                        </div>
                    </div>
                })}
                <h1>"Change your password"</h1>
                <p id="account-email">{format!("For your account, {}.", page.email)}</p>
                <form method="post" action="/account/password" novalidate>
                    <input type="hidden" name="csrf_token" value=page.csrf_token.clone() />
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=current_has_error>
                        <label class="nhsuk-label" for="current">"Current password"</label>
                        {current_error.map(|message| view! {
                            <span class="nhsuk-error-message" id="current-error"><span class="nhsuk-u-visually-hidden">"Error: "</span>{message}</span>
                        })}
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" id="current" name="current" type="password" autocomplete="current-password" />
                    </div>
                    <NewPasswordFields min_length=page.min_length error=new_error />
                    <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Change the password"</button>
                </form>
            </div>
        </div>
    }
}
