//! What a page shows to someone it is not for: one answer for every page.

use leptos::prelude::*;
use registration::lifecycle::Role;

use crate::PageTitle;
use crate::backend::Access;
use crate::pages::NotFound;

/// The answer for every [`Access`] but `Page`. For `SignIn` and `Redirect` the server function
/// has already redirected (a real redirect on a page load, a router navigation in the browser);
/// the page says where to go in case neither happened.
#[component]
pub fn Refused<T: 'static>(access: Access<T>) -> AnyView {
    match access {
        Access::Page(_) | Access::NotFound => view! { <NotFound /> }.into_any(),
        Access::OnlyFor(Role::LocalAdmin) => view! { <OnlyLocalAdmins /> }.into_any(),
        Access::OnlyFor(Role::Reviewer) => view! { <ReviewersOnly /> }.into_any(),
        Access::OnlyFor(Role::DeskAdmin) => view! { <DeskAdminsOnly /> }.into_any(),
        Access::AccountsOnly => view! { <AccountsOnly /> }.into_any(),
        Access::SignIn => view! {
            <PageTitle text="Sign in" />
            <h1>"Sign in to continue"</h1>
            <p><a href="/sign-in">"Sign in"</a></p>
        }
        .into_any(),
        Access::Redirect(to) => view! {
            <PageTitle text="This page has moved" />
            <h1>"This page is elsewhere for your account"</h1>
            <p><a href=to.clone()>{format!("Go to {to}")}</a></p>
        }
        .into_any(),
    }
}

/// A reviewer asked for a page only Local Administrators use (status 403).
#[component]
pub fn OnlyLocalAdmins() -> AnyView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <PageTitle text="Only Local Administrators make requests" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h1>"Only Local Administrators make requests"</h1>
                <p>"You are signed in as a reviewer. Registration requests are made by the Local Administrators of the organisations that use NHSmail; reviewers decide on them."</p>
                <p><a href="/review">"Go to the review queue"</a></p>
            </div>
        </div>
    }
    .into_any()
}

/// A Local Administrator asked for a reviewer's page (status 403).
#[component]
pub fn ReviewersOnly() -> AnyView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <PageTitle text="The review queue is for reviewers" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h1>"The review queue is for reviewers"</h1>
                <p>"You are signed in as a Local Administrator. Reviewers of the NHSmail team decide on registration requests; you make them and follow them from your organisation's requests."</p>
                <p><a href="/register">"Request an application registration"</a></p>
            </div>
        </div>
    }
    .into_any()
}

/// Someone who is not a desk administrator asked for the Accounts pages (status 403).
#[component]
pub fn DeskAdminsOnly() -> AnyView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <PageTitle text="Accounts are managed by the desk's administrators" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h1>"Accounts are managed by the desk's administrators"</h1>
                <p id="desk-admins-only">"Only a desk administrator adds accounts and changes them. If your role or organisation is wrong, or someone has left, ask the desk's administrators."</p>
                <p><a href="/">"Go to the start page"</a></p>
            </div>
        </div>
    }
    .into_any()
}

/// A desk administrator asked for a page about requests or applications (status 403).
#[component]
pub fn AccountsOnly() -> AnyView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <PageTitle text="Desk administrators manage accounts" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h1>"Desk administrators manage accounts"</h1>
                <p id="accounts-only">"You are signed in as a desk administrator. Desk administrators add and change the desk's accounts; they do not make, read or decide on registration requests, so that no one both gives access and uses it."</p>
                <p><a href="/accounts">"Go to the accounts"</a></p>
            </div>
        </div>
    }
    .into_any()
}
