use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use registration::lifecycle::Status;

use super::RiskTag;
use crate::PageTitle;
use crate::backend::review::{ANY_STATUS, AWAITING, SEARCH_MAX_CHARS, load_review_queue};
use crate::backend::{Access, QueuePage, QueueQuery};
use crate::components::{Pagination, StatusTag, Table, date_text, headers};
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
            q: map.get("q"),
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
            <div class="nhsuk-form-group appreg-queue-search">
                <label class="nhsuk-label" for="q">"Search"</label>
                <div class="nhsuk-hint" id="q-hint">"Reference, application, supplier, mailbox or organisation"</div>
                <input class="nhsuk-input" id="q" name="q" type="search" spellcheck="false" autocomplete="off"
                    maxlength=SEARCH_MAX_CHARS.to_string() aria-describedby="q-hint" value=query.text().unwrap_or_default() />
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="status">"Status"</label>
                <select class="nhsuk-select" id="status" name="status">
                    {status_option(AWAITING, "Awaiting a reviewer")}
                    {Status::SUBMITTED.into_iter().filter(|status| *status != Status::Superseded /* never a request's latest */).map(|status| status_option(status.as_str(), status.text())).collect_view()}
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
                <p><a id="queue-csv" href=query.csv_href() download>"Download these requests as a spreadsheet (CSV)"</a></p>
                <Table id="queue" caption="Registration requests" headers=headers(["Reference", "Organisation", "Application", "Status", "Risk", "Submitted", "Waiting", "Claimed by"])>
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
                                    <td class="nhsuk-table__cell appreg-waiting">{waiting_text(&row.submitted_at, page.now)}</td>
                                    <td class="nhsuk-table__cell appreg-claimed-by">{row.claimed_by.clone().unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </Table>
            }.into_any()
        }}
        {(last_page > 1).then(|| view! { <Pagination base=query.page_base() current=page.page last=last_page as u32 /> })}
    }
}

/// How long a request has waited since its latest version was submitted, in whole days.
fn waiting_text(submitted_at: &str, now: i64) -> String {
    let Ok(submitted) =
        time::OffsetDateTime::parse(submitted_at, &time::format_description::well_known::Rfc3339)
    else {
        return String::new();
    };
    match (now - submitted.unix_timestamp()).max(0) / 86_400 {
        0 => "Under a day".to_string(),
        1 => "1 day".to_string(),
        days => format!("{days} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::waiting_text;

    #[test]
    fn waiting_is_counted_in_whole_days() {
        let now = time::macros::datetime!(2026-12-05 12:00 UTC).unix_timestamp();
        assert_eq!(waiting_text("2026-12-05T09:00:00Z", now), "Under a day");
        assert_eq!(waiting_text("2026-12-04T11:00:00Z", now), "1 day");
        assert_eq!(waiting_text("2026-11-20T12:00:00Z", now), "15 days");
        assert_eq!(waiting_text("not a date", now), "");
    }
}
