//! The reviewer's pages (docs/review.md): the queue at `/review` and one request at
//! `/review/{reference}`, with its decision form (a plain form post to
//! `/review/{reference}/decisions`, handled by the server) and, once approved, the form that
//! records the application as created (`/review/{reference}/implementation`).

mod detail;
mod implementation;
mod queue;

use leptos::prelude::*;

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
