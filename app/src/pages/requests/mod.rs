//! A Local Administrator's requests: the organisation's list (`/requests`) and one request's page
//! (`/requests/{reference}`).

mod request;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use registration::lifecycle::Status;

use crate::PageTitle;
use crate::backend::{Access, DraftRow, RequestRow, RequestsPage, load_requests};
use crate::components::{Header, StatusTag, Table, date_text, headers};
use crate::pages::access::Refused;
pub use request::RequestPage;

/// `/requests?page=n`.
#[component]
pub fn RequestsListPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || {
            query
                .read()
                .get("page")
                .and_then(|page| page.parse::<u32>().ok())
                .unwrap_or(1)
        },
        load_requests,
    );
    let deleted = move || query.read().get("deleted").is_some();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Access::Page(page)) => view! { <Requests page deleted=deleted() /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Requests(page: RequestsPage, deleted: bool) -> impl IntoView {
    let pages = page.total.div_ceil(u64::from(page.per_page.max(1))).max(1) as u32;
    let previous = (page.page > 1).then(|| page.page - 1);
    let next = (page.page < pages).then(|| page.page + 1);
    let has_requests = !page.requests.is_empty();
    let has_drafts = !page.drafts.is_empty();
    view! {
        <PageTitle text="Your requests" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-full">
                {deleted.then(|| view! {
                    <crate::components::SuccessBanner id="deleted" heading="The draft was deleted" />
                })}
                <span class="nhsuk-caption-l">{page.organisation.text()}</span>
                <h1>"Your requests"</h1>
                <a class="nhsuk-button" href="/register" role="button" draggable="false" data-module="nhsuk-button">"Make a new request"</a>
                <h2 id="drafts-heading">"Drafts"</h2>
                {if has_drafts {
                    view! { <DraftsTable drafts=page.drafts.clone() csrf_token=page.csrf_token.clone() /> }.into_any()
                } else {
                    view! { <p id="no-drafts">"Your organisation has no drafts."</p> }.into_any()
                }}
                <h2 id="requests-heading">"Submitted requests"</h2>
                {if has_requests {
                    view! { <RequestsTable requests=page.requests.clone() /> }.into_any()
                } else {
                    view! { <p id="no-requests">"Your organisation has not submitted any requests yet."</p> }.into_any()
                }}
                {(pages > 1).then(|| view! {
                    <nav class="nhsuk-pagination" role="navigation" aria-label="Pagination">
                        <ul class="nhsuk-list nhsuk-pagination__list">
                            {previous.map(|p| view! {
                                <li class="nhsuk-pagination-item--previous">
                                    <a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href=format!("/requests?page={p}")>
                                        <span class="nhsuk-pagination__title">"Previous"</span>
                                        <span class="nhsuk-u-visually-hidden">":"</span>
                                        <span class="nhsuk-pagination__page">{format!("Page {p} of {pages}")}</span>
                                    </a>
                                </li>
                            })}
                            {next.map(|p| view! {
                                <li class="nhsuk-pagination-item--next">
                                    <a class="nhsuk-pagination__link nhsuk-pagination__link--next" href=format!("/requests?page={p}")>
                                        <span class="nhsuk-pagination__title">"Next"</span>
                                        <span class="nhsuk-u-visually-hidden">":"</span>
                                        <span class="nhsuk-pagination__page">{format!("Page {p} of {pages}")}</span>
                                    </a>
                                </li>
                            })}
                        </ul>
                    </nav>
                })}
            </div>
        </div>
    }
}

#[component]
fn RequestsTable(requests: Vec<RequestRow>) -> impl IntoView {
    view! {
        <Table id="requests" caption="Your organisation's submitted requests" headers=headers(["Reference", "Application", "Version", "Submitted", "Status"])>
                {requests.into_iter().map(|row| view! {
                    <tr class="nhsuk-table__row" data-reference=row.reference.clone()>
                        <td class="nhsuk-table__cell"><a href=format!("/requests/{}", row.reference)>{row.reference.clone()}</a></td>
                        <td class="nhsuk-table__cell">{row.application_name}</td>
                        <td class="nhsuk-table__cell">{row.version}</td>
                        <td class="nhsuk-table__cell">{date_text(&row.submitted_at)}</td>
                        <td class="nhsuk-table__cell"><StatusTag status=row.status /></td>
                    </tr>
                }).collect_view()}
            </Table>
    }
}

#[component]
fn DraftsTable(drafts: Vec<DraftRow>, csrf_token: String) -> impl IntoView {
    view! {
        <Table id="drafts" caption="Your organisation's drafts" headers=vec![Header::shown("Application"), Header::shown("Changes"), Header::shown("Last saved"), Header::shown("Status"), Header::hidden("Delete")]>
                {drafts.into_iter().map(|row| {
                    let csrf_token = csrf_token.clone();
                    let name = if row.application_name.trim().is_empty() {
                        "Untitled draft".to_string()
                    } else {
                        row.application_name.clone()
                    };
                    let label = name.clone();
                    view! {
                        <tr class="nhsuk-table__row" data-draft=row.id.clone()>
                            <td class="nhsuk-table__cell">
                                <a href=format!("/register/{}", row.id)>{label}<span class="nhsuk-u-visually-hidden">" (continue)"</span></a>
                            </td>
                            <td class="nhsuk-table__cell">{row.reference.unwrap_or_else(|| "New request".to_string())}</td>
                            <td class="nhsuk-table__cell">{date_text(&row.updated_at)}</td>
                            <td class="nhsuk-table__cell"><StatusTag status=Status::Draft /></td>
                            <td class="nhsuk-table__cell">
                                <form method="post" action=format!("/register/{}/delete", row.id) class="appreg-inline-form">
                                    <input type="hidden" name="csrf_token" value=csrf_token />
                                    <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit" data-module="nhsuk-button">
                                        "Delete"<span class="nhsuk-u-visually-hidden">{format!(" draft {name}")}</span>
                                    </button>
                                </form>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </Table>
    }
}
