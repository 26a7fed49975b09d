//! The words and colours of a request's status, the same on every page.

use leptos::prelude::*;

/// Every status a request can have once submitted, with the words the pages use.
pub const STATUSES: [(&str, &str); 5] = [
    ("submitted", "Submitted"),
    ("awaiting_second_approval", "Awaiting second approval"),
    ("changes_requested", "Changes requested"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
];

/// A status (snake_case) as people read it; anything else is a draft.
pub fn status_text(status: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(name, _)| *name == status)
        .map_or("Draft", |(_, text)| text)
}

/// The NHS.UK tag colour of a status.
fn status_colour(status: &str) -> &'static str {
    match status {
        "submitted" => "nhsuk-tag--blue",
        "awaiting_second_approval" => "nhsuk-tag--purple",
        "changes_requested" => "nhsuk-tag--yellow",
        "approved" => "nhsuk-tag--green",
        "rejected" => "nhsuk-tag--red",
        _ => "nhsuk-tag--grey",
    }
}

/// A status as an NHS.UK tag (`data-status` carries the snake_case name).
#[component]
pub fn StatusTag(
    #[prop(into)] status: String,
    #[prop(optional, into)] id: Option<String>,
) -> impl IntoView {
    let class = format!("nhsuk-tag {}", status_colour(&status));
    let text = status_text(&status);
    view! { <strong class=class id=id data-status=status>{text}</strong> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_words_and_anything_else_is_a_draft() {
        assert_eq!(status_text("changes_requested"), "Changes requested");
        assert_eq!(
            status_text("awaiting_second_approval"),
            "Awaiting second approval"
        );
        assert_eq!(status_text("draft"), "Draft");
    }
}
