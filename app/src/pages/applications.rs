//! The registered applications and their credentials: `/applications` ("Your applications" for a
//! Local Administrator, every organisation's for a reviewer) and `/applications/expiring`
//! ("Expiring soon": what expires within 30, 60, 90 or 180 days, soonest first), each with the
//! expiry dates as a calendar file.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::PageTitle;
use crate::backend::Access;
use crate::backend::applications::{
    ApplicationRow, ApplicationsPage, ApplicationsQuery, ExpiringPage, WINDOWS, days_left_text,
    load_applications, load_expiring, window,
};
use crate::components::{Pagination, StatusTag, Table, date_text, headers};
use crate::pages::access::Refused;

/// How many days before expiry a credential is shown as a warning (the reminders' 30-day mark).
const WARN_DAYS: i64 = 30;

/// The tag for a credential's time left.
#[component]
fn DaysLeft(days_left: i64) -> impl IntoView {
    let class = if days_left < 0 {
        "nhsuk-tag nhsuk-tag--red"
    } else if days_left <= WARN_DAYS {
        "nhsuk-tag nhsuk-tag--orange"
    } else {
        "nhsuk-tag nhsuk-tag--green"
    };
    view! { <strong class=class>{days_left_text(days_left)}</strong> }
}

/// `/applications?ods_code=…&page=…`.
#[component]
pub fn ApplicationsListPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        let query = query.read();
        ApplicationsQuery {
            ods_code: query.get("ods_code"),
            page: query.get("page").and_then(|page| page.parse().ok()),
        }
    };
    let page = Resource::new_blocking(asked, load_applications);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let asked = asked();
                match page.await {
                    Ok(Access::Page(page)) => view! { <Applications page asked /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Applications(page: ApplicationsPage, asked: ApplicationsQuery) -> impl IntoView {
    let title = if page.every_organisation {
        "Registered applications"
    } else {
        "Your applications"
    };
    let empty = page.applications.is_empty();
    let last_page = page.total.div_ceil(u64::from(page.per_page.max(1))).max(1) as u32;
    let filtered = asked.ods_code();
    view! {
        <PageTitle text=title />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-full">
                <h1>{title}</h1>
                <p>
                    {if page.every_organisation {
                        "Every organisation's applications that NHSmail created, with their certificates and client secrets and when each expires."
                    } else {
                        "Your organisation's applications that NHSmail created, with their certificates and client secrets and when each expires. Reminders are emailed 60, 45, 30, 14 and 7 days before each expires: ask for a renewal on the application's page before then."
                    }}
                </p>
                <p>
                    <a href="/api/v1/applications/expiry.ics" download="appreg-expiry-dates.ics" id="calendar-download">
                        "Download the expiry dates for your calendar (.ics)"
                    </a>
                    " · "
                    <a href="/applications/expiring">"Expiring soon"</a>
                </p>
                {page.every_organisation.then(|| view! {
                    <form method="get" action="/applications" class="appreg-queue-filters" id="filters">
                        <div class="nhsuk-form-group">
                            <label class="nhsuk-label" for="ods_code">"Organisation ODS code"</label>
                            <div class="nhsuk-hint" id="ods_code-hint">"Leave blank for every organisation"</div>
                            <input class="nhsuk-input nhsuk-input--width-10" id="ods_code" name="ods_code" type="text"
                                aria-describedby="ods_code-hint" value=filtered.clone().unwrap_or_default() />
                        </div>
                        <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button">"Show"</button>
                    </form>
                })}
                <p id="applications-count">{match page.total {
                    0 => String::new(),
                    1 => "1 application".to_string(),
                    total => format!("{total} applications"),
                }}</p>
                {if empty {
                    view! { <p id="no-applications">{match filtered {
                        Some(code) => format!("{code} has no registered applications."),
                        None => "There are no registered applications yet. A request becomes one once it is approved and NHSmail has created it.".to_string(),
                    }}</p> }.into_any()
                } else {
                    view! {
                        <Table id="applications" caption=title headers=headers(["Application", "Application (client) ID", "Status", "Credentials"])>
                            {page.applications.into_iter().map(|row| view! { <Row row every_organisation=page.every_organisation /> }).collect_view()}
                        </Table>
                    }.into_any()
                }}
                {(last_page > 1).then(|| view! { <Pagination base=asked.page_base() current=page.page last=last_page /> })}
            </div>
        </div>
    }
}

#[component]
fn Row(row: ApplicationRow, every_organisation: bool) -> impl IntoView {
    view! {
        <tr class="nhsuk-table__row" data-reference=row.reference.clone()>
            <td class="nhsuk-table__cell">
                <a href=format!("/requests/{}", row.reference)>{row.application_name.clone()}</a>
                <br /><span class="nhsuk-body-s">{row.reference.clone()}</span>
                {every_organisation.then(|| view! { <br /><span class="nhsuk-body-s">{row.organisation.clone()}</span> })}
            </td>
            <td class="nhsuk-table__cell"><span class="appreg-thumbprint">{row.application_id.clone()}</span></td>
            <td class="nhsuk-table__cell"><StatusTag status=row.status /></td>
            <td class="nhsuk-table__cell">
                {if row.credentials.is_empty() {
                    view! { "None recorded" }.into_any()
                } else {
                    view! {
                        <ul class="nhsuk-list">
                            {row.credentials.into_iter().map(|(credential, days_left)| view! {
                                <li class="appreg-credential" data-kind=credential.kind.clone()>
                                    {format!("{} expires {} ", credential.kind_text(), date_text(&credential.expires_at))}
                                    <DaysLeft days_left />
                                    <br /><span class="appreg-thumbprint nhsuk-body-s">{credential.id.clone()}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}

/// `/applications/expiring?within=N`.
#[component]
pub fn ExpiringListPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || {
            window(
                query
                    .read()
                    .get("within")
                    .and_then(|days| days.parse().ok()),
            )
        },
        load_expiring,
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Access::Page(page)) => view! { <Expiring page /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Expiring(page: ExpiringPage) -> impl IntoView {
    let within = page.within_days;
    let empty = page.rows.is_empty();
    view! {
        <PageTitle text="Expiring soon" />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-full">
                <h1>"Expiring soon"</h1>
                <p>{format!("Certificates and client secrets of live applications that expire within {within} days, or have expired, soonest first.")}</p>
                <form method="get" action="/applications/expiring" id="window">
                    <div class="nhsuk-form-group">
                        <label class="nhsuk-label" for="within">"Expiring within"</label>
                        <select class="nhsuk-select" id="within" name="within">
                            {WINDOWS.into_iter().map(|days| view! {
                                <option value=days.to_string() selected=days == within>{format!("{days} days")}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button">"Show"</button>
                </form>
                <p><a href="/api/v1/applications/expiry.ics" download="appreg-expiry-dates.ics">"Download every expiry date for your calendar (.ics)"</a></p>
                {if empty {
                    view! { <p id="nothing-expiring">{format!("Nothing expires within {within} days.")}</p> }.into_any()
                } else {
                    view! {
                        <Table id="expiring" caption=format!("Credentials expiring within {within} days") headers=headers(["Application", "Organisation", "Credential", "Expires", "Left"])>
                            {page.rows.into_iter().map(|row| view! {
                                <tr class="nhsuk-table__row" data-reference=row.reference.clone()>
                                    <td class="nhsuk-table__cell">
                                        <a href=format!("/requests/{}", row.reference)>{row.application_name.clone()}</a>
                                        <br /><span class="nhsuk-body-s">{row.reference.clone()}</span>
                                    </td>
                                    <td class="nhsuk-table__cell">{row.organisation.clone()}</td>
                                    <td class="nhsuk-table__cell">
                                        {row.credential.kind_text()}
                                        <br /><span class="appreg-thumbprint nhsuk-body-s">{row.credential.id.clone()}</span>
                                    </td>
                                    <td class="nhsuk-table__cell">{date_text(&row.credential.expires_at)}</td>
                                    <td class="nhsuk-table__cell"><DaysLeft days_left=row.days_left /></td>
                                </tr>
                            }).collect_view()}
                        </Table>
                    }.into_any()
                }}
            </div>
        </div>
    }
}
