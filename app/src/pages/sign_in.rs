//! `/sign-in`: "Sign in with NHSmail" (a link to `GET /sign-in/nhsmail`, which sends the
//! browser to the desk's OpenID provider) when the desk has one, and email and password (a
//! plain HTML form posted to `POST /sign-in`) unless local sign-in is off.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::PageTitle;
use crate::backend::{SignInForm, SignInProblem, load_sign_in_form};

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
            async move { (problem, load_sign_in_form().await.unwrap_or_default()) }
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
                let (problem, form) = form.await;
                let next = problem.as_ref().map(|problem| problem.next.clone()).unwrap_or_else(next);
                view! { <SignInForms problem next form signed_out=signed_out() kept=kept() password_set=password_set() /> }
            })}
        </Suspense>
    }
}

#[component]
fn SignInForms(
    problem: Option<SignInProblem>,
    next: String,
    form: SignInForm,
    signed_out: bool,
    kept: Option<bool>,
    password_set: bool,
) -> impl IntoView {
    let email = problem
        .as_ref()
        .map(|problem| problem.email.clone())
        .unwrap_or_default();
    let has_error = problem.is_some();
    // The email field is marked only when the password sign-in went wrong.
    let email_error = problem.as_ref().is_some_and(|problem| !problem.nhsmail);
    let csrf_token = form.csrf_token.clone();
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
                            view! { <p>{format!("Your session ended (after {} minutes without activity, or you signed out in another tab), so your form could not be saved. What you sent has been kept in this browser for a day: sign in again and your request opens with it, as a draft.", form.idle_minutes)}</p> }.into_any()
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
                                <li><a href=if problem.nhsmail { "#nhsmail" } else { "#email" } data-rate-limited=problem.rate_limited.to_string()>{problem.message.clone()}</a></li>
                            </ul>
                        </div>
                    </div>
                })}
                <h1>"Sign in"</h1>
                {form.nhsmail.then(|| {
                    let start = if next.is_empty() {
                        "/sign-in/nhsmail".to_string()
                    } else {
                        format!("/sign-in/nhsmail?next={}", crate::backend::encode_query_value(&next))
                    };
                    view! {
                        <p>"Sign in with your NHSmail account. You need an account on this desk too: your organisation and what you may do are set here."</p>
                        <a href=start id="nhsmail" class="nhsuk-button" role="button" draggable="false" data-module="nhsuk-button">"Sign in with NHSmail"</a>
                    }
                })}
                {form.local.then(|| view! {
                <h2 class="nhsuk-heading-m" class:nhsuk-u-visually-hidden=!form.nhsmail>"Or sign in with a password"</h2>
                <p>"Sign in with the email address and password of your Application registration account."</p>
                <form method="post" action="/sign-in" novalidate>
                    <input type="hidden" name="next" value=next />
                    <input type="hidden" name="csrf_token" value=csrf_token />
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=email_error>
                        <label class="nhsuk-label" for="email">"Email address"</label>
                        {problem.clone().filter(|problem| !problem.nhsmail).map(|problem| view! {
                            <span class="nhsuk-error-message" id="email-error">
                                <span class="nhsuk-u-visually-hidden">"Error: "</span>{problem.message}
                            </span>
                        })}
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" class:nhsuk-input--error=email_error id="email" name="email" type="email"
                            autocomplete="username" spellcheck="false" value=email
                            aria-describedby=email_error.then_some("email-error") />
                    </div>
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=email_error>
                        <label class="nhsuk-label" for="password">"Password"</label>
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" class:nhsuk-input--error=email_error id="password" name="password" type="password"
                            autocomplete="current-password" />
                    </div>
                    <button class="nhsuk-button" class:nhsuk-button--secondary=form.nhsmail type="submit" data-module="nhsuk-button">"Sign in"</button>
                </form>
                })}
                <p>"If you do not have an account or cannot sign in, ask the desk's administrators (the Application registration team): they make accounts and set what each may do."</p>
            </div>
        </div>
    }
}
