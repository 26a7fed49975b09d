//! `/sign-in`: email and password, as a plain HTML form posted to `POST /sign-in`.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::PageTitle;
use crate::backend::{SignInProblem, load_sign_in_token};

/// `/sign-in?next=…`. After a failed attempt the server renders this page itself with a
/// [`SignInProblem`] in context (status 401 or 429).
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    // Only the server has the context; the browser gets the value inside the resource.
    let problem = use_context::<SignInProblem>();
    // The form's CSRF token comes with it: without a session, it is bound to a cookie the
    // server sets on this response (login CSRF: another site cannot sign you in as someone else).
    let form = Resource::new_blocking(
        || (),
        move |_| {
            let problem = problem.clone();
            async move { (problem, load_sign_in_token().await.unwrap_or_default()) }
        },
    );
    let next = move || query.read().get("next").unwrap_or_default();
    let signed_out = move || query.read().get("signed_out").is_some();
    // `kept=1`: a registration form posted after the session ended was kept for this browser
    // (`kept=0`: it could not be).
    let kept = move || query.read().get("kept").map(|kept| kept == "1");
    // `password_set=1`: a new password was just set through a one-time link.
    let password_set = move || query.read().get("password_set").is_some();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (problem, csrf_token) = form.await;
                let next = problem.as_ref().map(|problem| problem.next.clone()).unwrap_or_else(next);
                view! { <SignInForm problem next csrf_token signed_out=signed_out() kept=kept() password_set=password_set() /> }
            })}
        </Suspense>
    }
}

#[component]
fn SignInForm(
    problem: Option<SignInProblem>,
    next: String,
    csrf_token: String,
    signed_out: bool,
    kept: Option<bool>,
    password_set: bool,
) -> impl IntoView {
    let email = problem
        .as_ref()
        .map(|problem| problem.email.clone())
        .unwrap_or_default();
    let has_error = problem.is_some();
    let title = if has_error {
        "Error: Sign in"
    } else {
        "Sign in"
    };
    view! {
        <PageTitle text=title />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                {(signed_out && !has_error).then(|| view! {
                    <crate::components::SuccessBanner id="signed-out" heading="You have signed out" />
                })}
                {(password_set && !has_error).then(|| view! {
                    <crate::components::SuccessBanner id="password-set" heading="Your new password is set: sign in with it" />
                })}
                {kept.map(|kept| view! {
                    <div class="nhsuk-warning-callout" id="form-kept">
                        <h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"You were signed out"</span></h2>
                        {if kept {
                            view! { <p>"Your session ended (after 30 minutes without activity, or you signed out in another tab), so your form could not be saved. What you sent has been kept in this browser for a day: sign in again and your request opens with it, as a draft."</p> }.into_any()
                        } else {
                            view! { <p>"Your session ended, and what you sent could not be kept. Sign in again, then open your draft from Your requests: it has your answers up to when it was last saved."</p> }.into_any()
                        }}
                    </div>
                })}
                {problem.clone().map(|problem| view! {
                    <div class="nhsuk-error-summary" id="error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1" autofocus=true>
                        <h2 class="nhsuk-error-summary__title" id="error-summary-title">"There is a problem"</h2>
                        <div class="nhsuk-error-summary__body">
                            <ul class="nhsuk-list nhsuk-error-summary__list">
                                <li><a href="#email" data-rate-limited=problem.rate_limited.to_string()>{problem.message.clone()}</a></li>
                            </ul>
                        </div>
                    </div>
                })}
                <h1>"Sign in"</h1>
                <p>"Sign in with the email address and password of your Application registration account."</p>
                <form method="post" action="/sign-in" novalidate>
                    <input type="hidden" name="next" value=next />
                    <input type="hidden" name="csrf_token" value=csrf_token />
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                        <label class="nhsuk-label" for="email">"Email address"</label>
                        {problem.clone().map(|problem| view! {
                            <span class="nhsuk-error-message" id="email-error">
                                <span class="nhsuk-u-visually-hidden">"Error: "</span>{problem.message}
                            </span>
                        })}
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" class:nhsuk-input--error=has_error id="email" name="email" type="email"
                            autocomplete="username" spellcheck="false" value=email
                            aria-describedby=has_error.then_some("email-error") />
                    </div>
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                        <label class="nhsuk-label" for="password">"Password"</label>
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" class:nhsuk-input--error=has_error id="password" name="password" type="password"
                            autocomplete="current-password" />
                    </div>
                    <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Sign in"</button>
                </form>
                <p>"If you do not have an account or cannot sign in, ask the NHSmail team who set up your account."</p>
            </div>
        </div>
    }
}
