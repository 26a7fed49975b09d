//! The NHS.UK success notification banner, the same on every page.

use leptos::prelude::*;

/// "Success", then `heading` in bold, then `children` (more paragraphs), announced as an alert.
/// `id` names the banner (its title is `{id}-title`).
#[component]
pub fn SuccessBanner(
    #[prop(into)] id: String,
    #[prop(into)] heading: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let (labelled_by, title) = (format!("{id}-title"), format!("{id}-title"));
    view! {
        <div class="nhsuk-notification-banner nhsuk-notification-banner--success" role="alert" aria-labelledby=labelled_by data-module="nhsuk-notification-banner" id=id>
            <div class="nhsuk-notification-banner__header">
                <h2 class="nhsuk-notification-banner__title" id=title>"Success"</h2>
            </div>
            <div class="nhsuk-notification-banner__content">
                <p class="nhsuk-notification-banner__heading">{heading}</p>
                {children.map(|children| children())}
            </div>
        </div>
    }
}
