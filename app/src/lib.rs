//! appreg's pages. Built twice: with `ssr` into the server, with `hydrate` into the browser.
//! The pages translate between people and `registration`; they hold no rules of their own.

#![forbid(unsafe_code)]
#![recursion_limit = "512"]

pub mod backend;
pub mod components;
mod layout;
pub mod pages;
mod security;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

pub use security::content_security_policy;

/// The service's name, as the header shows it.
pub const SERVICE_NAME: &str = "Application registration";

/// Whether the page at `path` has parts that run in the browser (Leptos islands: the form's live
/// checks, picker and certificate inspector; a review's "newer version" notice; the client
/// secret's copy button). Only these pages load the WASM, and only their islands hydrate; every
/// other page is HTML and CSS, whose forms post and links navigate as plain HTML does
/// (docs/performance.md, "Page weight").
pub fn page_has_islands(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        ["register"] | ["register" | "review" | "requests", _]
    )
}

/// Whether the page being rendered loads the WASM.
fn loads_wasm() -> bool {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        use_context::<http::request::Parts>()
            .is_some_and(|parts| page_has_islands(parts.uri.path()))
    }
    #[cfg(not(feature = "ssr"))]
    {
        true
    }
}

/// Starts the browser side (called by the frontend crate's `hydrate`). The island script
/// hydrates each island right after this returns; once it has, the body is marked
/// `data-hydrated`, so tests (and CSS) can tell a hydrated page from server-rendered HTML.
#[cfg(feature = "hydrate")]
pub fn hydrate_islands() {
    leptos::mount::hydrate_islands();
    // A task after the island script's (microtask) pass over the page's islands.
    set_timeout(
        || {
            if let Some(body) = document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}

/// The HTML document around every page: head, hydration scripts (for the pages that have
/// anything to hydrate), CSP for this response.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    security::set_page_csp();
    let hydration =
        loads_wasm().then(|| view! { <HydrationScripts options=options.clone() islands=true /> });
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href="/nhsuk/nhsuk-frontend.min.css" />
                <HashedStylesheet options=options.clone() />
                <link rel="icon" href="/assets/images/favicon.ico" sizes="48x48" />
                <link rel="icon" href="/assets/images/favicon.svg" type="image/svg+xml" />
                <link rel="apple-touch-icon" href="/assets/images/nhsuk-icon-180.png" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <meta name="theme-color" content="#005eb8" />
                {hydration}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <layout::Layout>
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=StaticSegment("") view=pages::StartPage ssr=SsrMode::Async />
                    // Pages that load data render whole on the server: they must work without JavaScript.
                    <Route path=StaticSegment("register") view=pages::RegisterPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("register"), ParamSegment("draft_id")) view=pages::RegisterPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("review") view=pages::ReviewQueuePage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("review"), ParamSegment("reference")) view=pages::ReviewDetailPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("registrations"), ParamSegment("reference"), StaticSegment("submitted"))
                        view=pages::SubmittedPage
                        ssr=SsrMode::Async
                    />
                    // Local Administrator pages (every page renders whole: the header knows who is signed in).
                    <Route path=StaticSegment("sign-in") view=pages::SignInPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("reset-password"), ParamSegment("token")) view=pages::ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("account"), StaticSegment("password")) view=pages::ChangePasswordPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("requests") view=pages::RequestsListPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("applications") view=pages::ApplicationsListPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("applications"), StaticSegment("expiring")) view=pages::ExpiringListPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("requests"), ParamSegment("reference")) view=pages::RequestPage ssr=SsrMode::Async />
                    // The desk administrators' Accounts pages.
                    <Route path=StaticSegment("accounts") view=pages::AccountsListPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("accounts"), ParamSegment("id")) view=pages::AccountPage ssr=SsrMode::Async />
                </Routes>
            </layout::Layout>
        </Router>
    }
}

/// Sets the page title in the NHS.UK pattern: "Page – Service – NHS".
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    view! { <Title text=format!("{text} – {SERVICE_NAME} – NHS") /> }
}

#[cfg(test)]
mod tests {
    use super::page_has_islands;

    #[test]
    fn only_the_form_a_review_and_a_request_have_islands() {
        for path in [
            "/register",
            "/register/",
            "/register/d-1",
            "/review/AR-7K3M-Q9XD",
            "/requests/AR-7K3M-Q9XD",
        ] {
            assert!(page_has_islands(path), "{path}");
        }
        for path in [
            "/",
            "/sign-in",
            "/requests",
            "/review",
            "/applications",
            "/applications/expiring",
            "/registrations/AR-1/submitted",
            "/register/d-1/extra",
            "/accounts",
            "/accounts/0123abcd",
        ] {
            assert!(!page_has_islands(path), "{path}");
        }
    }
}
