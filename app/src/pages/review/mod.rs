//! The reviewer's pages (docs/review.md): the queue at `/review` and one request at
//! `/review/{reference}`, with its decision form (a plain form post to
//! `/review/{reference}/decisions`, handled by the server).

pub mod backend;
mod detail;
mod queue;

use leptos::prelude::*;

use crate::PageTitle;
pub use detail::ReviewDetailPage;
pub use queue::ReviewQueuePage;

/// A risk (`low`/`high`) as an NHS.UK tag.
#[component]
fn RiskTag(risk: String) -> impl IntoView {
    let (text, colour) = match risk.as_str() {
        "high" => ("High risk", "nhsuk-tag--red"),
        _ => ("Low risk", "nhsuk-tag--grey"),
    };
    view! { <strong class=format!("nhsuk-tag {colour}") data-risk=risk>{text}</strong> }
}

/// Sends someone who is not signed in to the sign-in page, coming back to `next`: a 303 when
/// rendered on the server, a link in the browser.
#[component]
fn SignInFirst(next: String) -> impl IntoView {
    let href = format!("/sign-in?next={next}");
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::SEE_OTHER);
        if let Ok(location) = http::HeaderValue::from_str(&href) {
            response.insert_header(http::header::LOCATION, location);
        }
    }
    view! {
        <PageTitle text="Sign in to review requests" />
        <h1>"Sign in to review requests"</h1>
        <p><a href=href>"Sign in"</a>" with your reviewer account to see the review queue."</p>
    }
}

/// Shown to a signed-in account that is not a reviewer's (status 403).
#[component]
fn ReviewersOnly() -> impl IntoView {
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
}
