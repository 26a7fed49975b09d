//! The NHS.UK page frame: skip link, header with the service name and the account, main, footer.

use leptos::prelude::*;

use crate::SERVICE_NAME;
use crate::backend::{Viewer, load_viewer};

/// The NHS logo as the NHS.UK frontend draws it.
const NHS_LOGO_PATH: &str = "M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z";

/// Wraps every page.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let viewer = Resource::new_blocking(|| (), |_| load_viewer());
    view! {
        <a class="nhsuk-skip-link" href="#maincontent">"Skip to main content"</a>
        <Suspense fallback=|| view! { <Header viewer=None known=false /> }>
            {move || Suspend::new(async move {
                let viewer = viewer.await.ok().flatten();
                view! { <Header viewer known=true /> }
            })}
        </Suspense>
        <div class="nhsuk-width-container">
            <main class="nhsuk-main-wrapper" id="maincontent" role="main">
                {children()}
            </main>
        </div>
        <footer class="nhsuk-footer" role="contentinfo">
            <div class="nhsuk-width-container">
                <div class="nhsuk-footer__meta">
                    <h2 class="nhsuk-u-visually-hidden">"Support links"</h2>
                    <ul class="nhsuk-footer__list">
                        <li class="nhsuk-footer__list-item">
                            <a class="nhsuk-footer__list-item-link" href="/#about-this-service">"About this service"</a>
                        </li>
                        <li class="nhsuk-footer__list-item">
                            <a class="nhsuk-footer__list-item-link" href="/#data-sources">"Data sources and licences"</a>
                        </li>
                    </ul>
                    <p class="nhsuk-body-s">
                        "Contains public sector information licensed under the Open Government Licence v3.0 (ODS reference data © NHS England)."
                    </p>
                </div>
            </div>
        </footer>
    }
}

/// The NHS.UK header: the service, and once known who is signed in, the account and the menu.
#[component]
fn Header(viewer: Option<Viewer>, known: bool) -> impl IntoView {
    let account = known.then(|| match viewer.clone() {
        Some(viewer) => view! {
            <nav class="nhsuk-header__account" aria-label="Account">
                <ul class="nhsuk-header__account-list">
                    <li class="nhsuk-header__account-item" id="signed-in-as">
                        <span class="nhsuk-u-visually-hidden">"Signed in as "</span>{viewer.email.clone()}
                    </li>
                    {viewer.local_passwords.then(|| view! {
                        <li class="nhsuk-header__account-item">
                            <a class="nhsuk-header__account-link" href="/account/password">"Change password"</a>
                        </li>
                    })}
                    <li class="nhsuk-header__account-item">
                        <form class="nhsuk-header__account-form" action="/sign-out" method="post" novalidate>
                            <input type="hidden" name="csrf_token" value=viewer.csrf_token.clone() />
                            <button class="nhsuk-header__account-button" type="submit">"Sign out"</button>
                        </form>
                    </li>
                </ul>
            </nav>
        }
        .into_any(),
        None => view! {
            <nav class="nhsuk-header__account" aria-label="Account">
                <ul class="nhsuk-header__account-list">
                    <li class="nhsuk-header__account-item">
                        <a class="nhsuk-header__account-link" href="/sign-in">"Sign in"</a>
                    </li>
                </ul>
            </nav>
        }
        .into_any(),
    });
    let menu = viewer.and_then(|viewer| {
        let links: &[(&str, &str)] = if viewer.is_local_admin() {
            &[
                ("/requests", "Your requests"),
                ("/applications", "Your applications"),
            ]
        } else if viewer.is_reviewer() {
            &[
                ("/review", "Review queue"),
                ("/applications", "Applications"),
                ("/applications/expiring", "Expiring soon"),
            ]
        } else if viewer.is_desk_admin() {
            &[("/accounts", "Accounts")]
        } else {
            return None;
        };
        Some(view! {
            <nav class="nhsuk-header__navigation" aria-label="Menu">
                <div class="nhsuk-header__navigation-container nhsuk-width-container">
                    <ul class="nhsuk-header__navigation-list">
                        {links.iter().map(|(href, text)| view! {
                            <li class="nhsuk-header__navigation-item">
                                <a class="nhsuk-header__navigation-link" href=*href>{*text}</a>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            </nav>
        })
    });
    view! {
        <header class="nhsuk-header" role="banner">
            <div class="nhsuk-header__container nhsuk-width-container">
                <div class="nhsuk-header__service">
                    <a class="nhsuk-header__service-logo" href="/" aria-label="Application registration homepage">
                        <svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS">
                            <title>"NHS"</title>
                            <path fill="currentcolor" d=NHS_LOGO_PATH></path>
                        </svg>
                    </a>
                    <a class="nhsuk-header__service-name" href="/">{SERVICE_NAME}</a>
                </div>
                {account}
            </div>
            {menu}
        </header>
    }
}
