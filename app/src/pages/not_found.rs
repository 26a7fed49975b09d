use leptos::prelude::*;

use crate::PageTitle;

/// Shown for any path the service does not have (with status 404).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Page not found" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h1>"Page not found"</h1>
                <p>"If you typed the web address, check it is correct."</p>
                <p>"If you pasted the web address, check you copied the entire address."</p>
                <p><a href="/">"Go to the start page"</a></p>
            </div>
        </div>
    }
}
