//! NHS.UK numbered pagination.

use leptos::prelude::*;

/// NHS.UK numbered pagination, keeping the filters: first, last, and the pages around the
/// current one, with ellipses between.
#[component]
pub fn Pagination(
    /// Every page's address up to `page=` (`/review?status=awaiting&`).
    base: String,
    /// The page shown, from 1.
    current: u32,
    /// The last page.
    last: u32,
) -> impl IntoView {
    let href = move |number: u32| format!("{base}page={number}");
    let mut shown: Vec<Option<u32>> = Vec::new();
    for number in 1..=last {
        if number == 1 || number == last || number.abs_diff(current) <= 1 {
            shown.push(Some(number));
        } else if shown.last().is_some_and(Option::is_some) {
            shown.push(None);
        }
    }
    let previous = (current > 1).then(|| href(current - 1));
    let next = (current < last).then(|| href(current + 1));
    view! {
        <nav class="nhsuk-pagination nhsuk-pagination--numbered" role="navigation" aria-label="Pagination">
            {previous.map(|href| view! {
                <a href=href class="nhsuk-pagination__previous" rel="prev">
                    <svg class="nhsuk-icon nhsuk-icon--arrow-left" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true">
                        <path d="M10.7 6.3c.4.4.4 1 0 1.4L7.4 11H19a1 1 0 0 1 0 2H7.4l3.3 3.3c.4.4.4 1 0 1.4a1 1 0 0 1-1.4 0l-5-5A1 1 0 0 1 4 12c0-.3.1-.5.3-.7l5-5a1 1 0 0 1 1.4 0Z"></path>
                    </svg>
                    <span class="nhsuk-pagination__title">"Previous"<span class="nhsuk-u-visually-hidden">" page"</span></span>
                </a>
            })}
            <ul class="nhsuk-pagination__list">
                {shown.into_iter().map(|item| match item {
                    Some(number) => {
                        let is_current = number == current;
                        view! {
                            <li class=if is_current { "nhsuk-pagination__item nhsuk-pagination__item--current" } else { "nhsuk-pagination__item" }>
                                <a class="nhsuk-pagination__link" href=href(number) aria-label=format!("Page {number}")
                                    aria-current=is_current.then_some("page")>{number}</a>
                            </li>
                        }.into_any()
                    }
                    None => view! { <li class="nhsuk-pagination__item nhsuk-pagination__item--ellipsis">"⋯"</li> }.into_any(),
                }).collect_view()}
            </ul>
            {next.map(|href| view! {
                <a href=href class="nhsuk-pagination__next" rel="next">
                    <span class="nhsuk-pagination__title">"Next"<span class="nhsuk-u-visually-hidden">" page"</span></span>
                    <svg class="nhsuk-icon nhsuk-icon--arrow-right" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true">
                        <path d="m14.7 6.3 5 5c.2.2.3.4.3.7 0 .3-.1.5-.3.7l-5 5a1 1 0 0 1-1.4-1.4l3.3-3.3H5a1 1 0 0 1 0-2h11.6l-3.3-3.3a1 1 0 1 1 1.4-1.4Z"></path>
                    </svg>
                </a>
            })}
        </nav>
    }
}
