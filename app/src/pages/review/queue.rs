use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use registration::lifecycle::Status;

use super::RiskTag;
use crate::PageTitle;
use crate::backend::review::{ANY_STATUS, AWAITING, load_review_queue};
use crate::backend::{Access, QueuePage, QueueQuery};
use crate::components::{StatusTag, Table, date_text, headers};
use crate::pages::access::Refused;

/// `/review`: the requests awaiting a reviewer (by default: a decision, or a deletion or recovery
/// to confirm), oldest first, 50 a page.
#[component]
pub fn ReviewQueuePage() -> impl IntoView {
    let query_map = use_query_map();
    let query = move || {
        let map = query_map.read();
        QueueQuery {
            status: map.get("status"),
            ods_code: map.get("ods_code"),
            risk: map.get("risk"),
            page: map.get("page").and_then(|page| page.trim().parse().ok()),
        }
    };
    let page = Resource::new_blocking(query, load_review_queue);
    view! {
        <Suspense fallback=|| view! { <p>"Loading the queue…"</p> }>
            {move || Suspend::new(async move {
                let asked = query();
                match page.await {
                    Ok(Access::Page(page)) => view! { <Queue query=asked page /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Queue(query: QueueQuery, page: QueuePage) -> impl IntoView {
    let status = query.status().to_string();
    let risk = query.risk().unwrap_or("").to_string();
    let last_page = page.total.div_ceil(u64::from(page.per_page.max(1))).max(1);
    let first_shown = u64::from(page.page - 1) * u64::from(page.per_page) + 1;
    let last_shown = first_shown + page.rows.len() as u64 - 1;
    let summary = if page.rows.is_empty() {
        String::new()
    } else {
        format!(
            "Showing {first_shown} to {last_shown} of {} request{}, oldest first",
            page.total,
            if page.total == 1 { "" } else { "s" }
        )
    };
    let status_option = move |value: &'static str, text: &'static str| {
        view! { <option value=value selected=status == value>{text}</option> }
    };
    let risk_option = move |value: &'static str, text: &'static str| {
        view! { <option value=value selected=risk == value>{text}</option> }
    };
    view! {
        <PageTitle text="Review queue" />
        <h1>"Review queue"</h1>
        <form method="get" action="/review" class="appreg-queue-filters" id="filters">
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="status">"Status"</label>
                <select class="nhsuk-select" id="status" name="status">
                    {status_option(AWAITING, "Awaiting a reviewer")}
                    {Status::SUBMITTED.into_iter().map(|status| status_option(status.as_str(), status.text())).collect_view()}
                    {status_option(ANY_STATUS, "Any status")}
                </select>
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="ods_code">"Organisation ODS code"</label>
                <input class="nhsuk-input nhsuk-input--width-10" id="ods_code" name="ods_code" type="text"
                    spellcheck="false" autocomplete="off" value=query.ods_code().unwrap_or_default() />
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="risk">"Risk"</label>
                <select class="nhsuk-select" id="risk" name="risk">
                    {risk_option("", "Any risk")}
                    {risk_option("high", "High risk")}
                    {risk_option("low", "Low risk")}
                </select>
            </div>
            <div class="nhsuk-form-group">
                <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button">"Apply filters"</button>
            </div>
        </form>
        {if page.rows.is_empty() {
            view! { <p id="no-requests">"No requests match. Change the filters to see other requests."</p> }.into_any()
        } else {
            view! {
                <p id="queue-summary">{summary}</p>
                <Table id="queue" caption="Registration requests" headers=headers(["Reference", "Organisation", "Application", "Status", "Risk", "Submitted"])>
                        {page.rows.into_iter().map(|row| {
                            let organisation = match &row.organisation_name {
                                Some(name) => format!("{name} ({})", row.ods_code),
                                None => row.ods_code.clone(),
                            };
                            view! {
                                <tr class="nhsuk-table__row" data-reference=row.reference.clone()>
                                    <td class="nhsuk-table__cell">
                                        <a href=format!("/review/{}", row.reference)>{row.reference.clone()}</a>
                                        {(row.version > 1).then(|| view! { <br /><span class="nhsuk-body-s">{format!("Version {}", row.version)}</span> })}
                                    </td>
                                    <td class="nhsuk-table__cell">{organisation}</td>
                                    <td class="nhsuk-table__cell">{row.application_name}</td>
                                    <td class="nhsuk-table__cell"><StatusTag status=row.status /></td>
                                    <td class="nhsuk-table__cell"><RiskTag risk=row.risk /></td>
                                    <td class="nhsuk-table__cell">{date_text(&row.submitted_at)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </Table>
            }.into_any()
        }}
        {(last_page > 1).then(|| view! { <Pagination query current=page.page last=last_page as u32 /> })}
    }
}

/// NHS.UK numbered pagination, keeping the filters: first, last, and the pages around the
/// current one, with ellipses between.
#[component]
fn Pagination(query: QueueQuery, current: u32, last: u32) -> impl IntoView {
    let mut shown: Vec<Option<u32>> = Vec::new();
    for number in 1..=last {
        if number == 1 || number == last || number.abs_diff(current) <= 1 {
            shown.push(Some(number));
        } else if shown.last().is_some_and(Option::is_some) {
            shown.push(None);
        }
    }
    let previous = (current > 1).then(|| query.href(current - 1));
    let next = (current < last).then(|| query.href(current + 1));
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
                                <a class="nhsuk-pagination__link" href=query.href(number) aria-label=format!("Page {number}")
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
