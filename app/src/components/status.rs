//! The words and colours of a request's status, the same on every page.

use leptos::prelude::*;
use registration::lifecycle::Status;

/// The NHS.UK tag colour of a status.
const fn status_colour(status: Status) -> &'static str {
    match status {
        Status::Draft => "nhsuk-tag--grey",
        Status::Submitted => "nhsuk-tag--blue",
        Status::AwaitingSecondApproval => "nhsuk-tag--purple",
        Status::ChangesRequested => "nhsuk-tag--yellow",
        Status::Approved => "nhsuk-tag--green",
        Status::Rejected => "nhsuk-tag--red",
        Status::Live => "nhsuk-tag--aqua-green",
        Status::DeletionRequested => "nhsuk-tag--orange",
        Status::Deleted => "nhsuk-tag--grey",
        Status::RecoveryRequested => "nhsuk-tag--orange",
        Status::Purged => "nhsuk-tag--grey",
        Status::Superseded => "nhsuk-tag--white",
        Status::Withdrawn => "nhsuk-tag--grey",
    }
}

/// A status as an NHS.UK tag (`data-status` carries the snake_case name).
#[component]
pub fn StatusTag(status: Status, #[prop(optional, into)] id: Option<String>) -> impl IntoView {
    let class = format!("nhsuk-tag {}", status_colour(status));
    view! { <strong class=class id=id data-status=status.as_str()>{status.text()}</strong> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_words_and_its_colour() {
        assert_eq!(Status::ChangesRequested.text(), "Changes requested");
        assert_eq!(
            Status::AwaitingSecondApproval.text(),
            "Awaiting second approval"
        );
        assert_eq!(Status::Draft.text(), "Draft");
        assert_eq!(status_colour(Status::Draft), "nhsuk-tag--grey");
        assert_eq!(Status::Live.text(), "Live");
        assert_eq!(status_colour(Status::Live), "nhsuk-tag--aqua-green");
    }
}
