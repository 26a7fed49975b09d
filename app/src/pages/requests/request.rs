//! `/requests/{reference}` (and `?version=n`): a request's status, content, history and decisions.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use registration::change::Purpose;
use registration::lifecycle::Status;
use registration::{AccessType, PermissionType, Platform, RegistrationRequest};

use crate::PageTitle;
use registration::implementation::SECRET_VISIBLE_HOURS;

use crate::backend::{
    Access, DecisionRow, HandedBack, RequestPage as Page, VersionRow, load_request,
};
use crate::components::{StatusTag, SubmissionWarnings, Table, date_text, date_time_text, headers};
use crate::pages::access::Refused;
use crate::pages::deletion::{NotRecorded, OrganisationSteps, ReasonBox, StepOutcome};
use crate::pages::live::LiveSummary;

/// The request's page.
#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || {
            (
                params.read().get("reference").unwrap_or_default(),
                query
                    .read()
                    .get("version")
                    .and_then(|v| v.parse::<i64>().ok()),
            )
        },
        |(reference, version)| load_request(reference, version),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let outcome = StepOutcome::from_query(&query.read());
                match page.await {
                    Ok(Access::Page(page)) => view! { <Request page outcome /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Request(page: Page, outcome: StepOutcome) -> impl IntoView {
    let reference = page.reference.clone();
    let is_latest = page.version.version == page.latest_version;
    let submitted = match &page.version.submitted_by {
        Some(by) => format!("{} by {by}", date_text(&page.version.submitted_at)),
        None => date_text(&page.version.submitted_at),
    };
    let latest_link = format!("/requests/{reference}");
    view! {
        <PageTitle text=format!("{} – {}", page.request.application.name, reference) />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <span class="nhsuk-caption-l" id="reference">{reference.clone()}</span>
                <h1>{page.request.application.name.clone()}</h1>
                {(!is_latest).then(|| view! {
                    <div class="nhsuk-inset-text" id="older-version">
                        <span class="nhsuk-u-visually-hidden">"Information: "</span>
                        <p>
                            {format!("You are looking at version {} of {}. ", page.version.version, page.latest_version)}
                            <a href=latest_link.clone()>"See the latest version"</a>
                        </p>
                    </div>
                })}
                <dl class="nhsuk-summary-list" id="summary">
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Status"</dt>
                        <dd class="nhsuk-summary-list__value"><StatusTag status=page.status id="status" /></dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Organisation"</dt>
                        <dd class="nhsuk-summary-list__value">{page.organisation.text()}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Version"</dt>
                        <dd class="nhsuk-summary-list__value" id="version">{format!("{} of {}", page.version.version, page.latest_version)}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Submitted"</dt>
                        <dd class="nhsuk-summary-list__value">{submitted}</dd>
                    </div>
                </dl>
                {page.live.clone().map(|live| {
                    // In the tenant (live, or a deletion asked for): what to configure. Deleted:
                    // what a recovery brings back. Purged: what it was. The application's own
                    // status (its live version's), whatever a renewal or change under review says.
                    let in_tenant = matches!(live.status, Status::Live | Status::DeletionRequested);
                    let intro = match live.status {
                        Status::Live | Status::DeletionRequested => "NHSmail created the application in its tenant. Configure your application with these:",
                        Status::Purged => "The application was deleted and purged. These were its details:",
                        _ => "The application was deleted: it can no longer sign in. A recovery brings it back with these details:",
                    };
                    view! {
                        <h2 id="registered-heading">"Your registered application"</h2>
                        <p id="registered-intro">{intro}</p>
                        <LiveSummary live endpoints=in_tenant />
                        {in_tenant.then(|| view! {
                            <p>
                                <a href=format!("/api/v1/registrations/{reference}/expiry.ics") download=format!("{reference}-expiry-dates.ics") id="application-calendar">
                                    "Add the credentials' expiry dates to your calendar (.ics)"
                                </a>
                            </p>
                        })}
                    }
                })}
                {page.secret.clone().map(|secret| view! { <ClientSecret secret /> })}
                <ChangeSection page=page.clone() />
                {page.life.clone().map(|life| view! {
                    <OrganisationSteps reference=reference.clone() status=page.live.as_ref().map_or(page.status, |live| live.status) life outcome=outcome.not_about(registration::lifecycle::Step::WithdrawRequest) />
                })}
                <WhatHappensNext status=page.status secret_asked=page.request.client_secret.is_some() purpose=page.purpose />
                {page.revise_csrf_token.clone().map(|csrf| view! {
                    <div class="nhsuk-warning-callout" id="changes-requested">
                        <h2 class="nhsuk-warning-callout__label">
                            <span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Changes requested"</span>
                        </h2>
                        <p>"A reviewer asked for changes (see their reasons below). Edit the request and submit it again: it becomes the next version."</p>
                        <form method="post" action=format!("/requests/{reference}/revise") novalidate>
                            <input type="hidden" name="csrf_token" value=csrf />
                            <button class="nhsuk-button" type="submit" data-module="nhsuk-button">
                                {if page.revision_draft.is_some() { "Continue your changes" } else { "Edit and resubmit" }}
                            </button>
                        </form>
                    </div>
                })}
                <SubmissionWarnings
                    findings=page.report.findings.clone()
                    intro=format!("Version {} was accepted with these warnings: the reviewer checks them and may ask you about them.", page.version.version)
                />
                <Withdrawal reference=reference.clone() withdrawal=page.withdrawal.clone() csrf_token=page.withdraw_csrf_token.clone() outcome=outcome.clone() />
                {page.copy_csrf_token.clone().map(|csrf| view! {
                    <div class="nhsuk-inset-text" id="rejected-start-again">
                        <span class="nhsuk-u-visually-hidden">"Information: "</span>
                        <p>{if page.status == Status::Withdrawn {
                            "This request was withdrawn, so it cannot be changed. You can start a new request from it: a draft with everything this one had, to change and submit under a new reference."
                        } else {
                            "This request was rejected (see the reviewer's reason below), so it cannot be changed. You can start a new request from it: a draft with everything this one had, to change and submit under a new reference."
                        }}</p>
                        <form method="post" action=format!("/requests/{reference}/copy") novalidate>
                            <input type="hidden" name="csrf_token" value=csrf />
                            <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button" id="start-from-rejected">"Start a new request from this one"</button>
                        </form>
                    </div>
                })}
                <Decisions decisions=page.decisions.clone() />
                <h2 id="application-heading">{format!("Application (version {})", page.version.version)}</h2>
                <Application request=page.request.clone() />
                <Versions reference=reference.clone() versions=page.versions.clone() shown=page.version.version />
                <h2 id="downloads-heading">"Downloads"</h2>
                <p>"Of the latest version, for the NHSmail administrators who create the application:"</p>
                <ul class="nhsuk-list" id="downloads">
                    <li>
                        <a href=format!("/api/v1/registrations/{reference}/record") download=format!("{reference}.jws")>
                            "Signed registration request record (JWS)"
                        </a>
                    </li>
                    <li>
                        <a href=format!("/api/v1/registrations/{reference}/bundle") download=format!("{reference}-record-bundle.json")>
                            "The signed record with the reviewers' signed decisions (JSON)"
                        </a>
                    </li>
                    {if page.status.is_approved() {
                        view! {
                            <li>
                                <a href=format!("/api/v1/registrations/{reference}/exports/entra-application.json")
                                    download=format!("{reference}-entra-application.json")>
                                    "Microsoft Entra application (JSON for Microsoft Graph POST /applications)"
                                </a>
                            </li>
                            <li>
                                <a href=format!("/api/v1/registrations/{reference}/exports/exchange-access.ps1")
                                    download=format!("{reference}-exchange-access.ps1")>
                                    "Exchange Online PowerShell script (scopes app-only mailbox access)"
                                </a>
                            </li>
                        }.into_any()
                    } else if page.status.is_registered() {
                        view! {
                            <li id="exports-not-offered">
                                "The Microsoft Entra application and the Exchange Online script are not offered for a deleted application: it comes back by recovery, not by creating it again."
                            </li>
                        }.into_any()
                    } else {
                        view! {
                            <li id="exports-once-approved">
                                "The Microsoft Entra application and the Exchange Online script can be downloaded here once the request is approved."
                            </li>
                        }.into_any()
                    }}
                </ul>
            </div>
        </div>
    }
}

/// A registered application's renewal and change: the buttons that start one (the organisation's
/// Local Administrators, while it is live and nothing else is open), or where the open one is.
#[component]
fn ChangeSection(page: Page) -> impl IntoView {
    let reference = page.reference.clone();
    let live = page.live.clone()?;
    let open = page.latest_version != live.version && !page.status.is_ended_unapproved();
    let open_text = open.then(|| {
        let what = match page.purpose {
            Some(Purpose::Renewal) => "A renewal",
            _ => "A change",
        };
        format!(
            "{what} of this application is version {} ({}). The application works as version {} until NHSmail has made it.",
            page.latest_version,
            page.status.text().to_lowercase(),
            live.version
        )
    });
    let forms = page.change_csrf_token.clone().map(|csrf| {
        let started = page.revision_draft.is_some();
        view! {
            <p>"Ask for a renewal to get a new certificate or client secret before the old one expires (nothing else changes), or for a change of the permissions, mailboxes, addresses or details. The same form and checks as a new request are used, a reviewer compares it with the live application, and the application keeps working as it is until NHSmail has made it."</p>
            {started.then(|| view! { <p id="change-draft">"You have started one: the buttons open your draft."</p> })}
            <div class="appreg-button-row">
                <form method="post" action=format!("/requests/{reference}/renewal") novalidate>
                    <input type="hidden" name="csrf_token" value=csrf.clone() />
                    <button class="nhsuk-button" type="submit" data-module="nhsuk-button" id="request-renewal">"Request a renewal"</button>
                </form>
                <form method="post" action=format!("/requests/{reference}/change") novalidate>
                    <input type="hidden" name="csrf_token" value=csrf />
                    <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button" id="request-change">"Request a change"</button>
                </form>
            </div>
        }
    });
    if open_text.is_none() && forms.is_none() {
        return None;
    }
    Some(view! {
        <h2 id="renewal-heading">"Renewal and change"</h2>
        {open_text.map(|text| view! { <p id="change-open">{text}</p> })}
        {forms}
    })
}

/// Withdrawing the request: while it waits for a decision or for the organisation's changes, a
/// form for its Local Administrators (a reason is optional; the reviewers read it); once
/// withdrawn, who did it, when and why. The form is a plain post (it works without JavaScript);
/// the server sends the page back with `?step_taken=withdraw_request` or `?step_error=`.
#[component]
fn Withdrawal(
    reference: String,
    withdrawal: Option<crate::backend::StepRow>,
    csrf_token: Option<String>,
    outcome: StepOutcome,
) -> impl IntoView {
    use registration::lifecycle::{MAX_REASON_CHARS, Step};
    let outcome = outcome.about(Step::WithdrawRequest);
    let done = withdrawal.map(|row| {
        let who = row.actor_email.clone().unwrap_or_else(|| "A Local Administrator".to_string());
        view! {
            {(outcome.taken == Some(Step::WithdrawRequest)).then(|| view! {
                <crate::components::SuccessBanner id="step-taken" heading="Request withdrawn: no reviewer will decide on it. The reviewers, you and the contacts are emailed.">
                    <p class="nhsuk-body">"It is signed and recorded in the desk's log."</p>
                </crate::components::SuccessBanner>
            })}
            <div class="nhsuk-inset-text" id="withdrawn">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>{format!("Withdrawn by {who} on {}.", date_time_text(&row.taken_at))}</p>
                {row.reason.map(|reason| view! { <p id="withdrawn-reason">{format!("Why: {reason}")}</p> })}
            </div>
        }
    });
    let form = csrf_token.map(|csrf| {
        let reason_error = outcome.reason_error();
        view! {
            <details class="nhsuk-details" id="withdraw-request" open=outcome.error.is_some()>
                <summary class="nhsuk-details__summary">
                    <span class="nhsuk-details__summary-text">"Withdraw this request"</span>
                </summary>
                <div class="nhsuk-details__text">
                    <p>"Withdraw the request if your organisation no longer needs it, or asked for it by mistake. No reviewer will decide on it, and nothing is made in NHSmail. It cannot be undone, but you can start a new request from it afterwards."</p>
                    <form method="post" action=format!("/requests/{reference}/withdrawal") novalidate id="withdraw-request-form">
                        <input type="hidden" name="csrf_token" value=csrf />
                        <input type="hidden" name="step" value=Step::WithdrawRequest.as_str() />
                        <ReasonBox label="Why are you withdrawing it? (optional)"
                            hint=format!("The reviewers read it. At most {MAX_REASON_CHARS} characters.")
                            error=reason_error kept=outcome.reason.clone() />
                        <button class="nhsuk-button nhsuk-button--warning" type="submit" data-module="nhsuk-button" id="withdraw-request-button">"Withdraw request"</button>
                    </form>
                </div>
            </details>
        }
    });
    // A refusal shows whether or not the form still does (a tab opened before a decision).
    view! { <NotRecorded outcome=outcome.clone() /> {done} {form} }
}

/// What happens next, as the desk does it.
#[component]
fn WhatHappensNext(status: Status, secret_asked: bool, purpose: Option<Purpose>) -> impl IntoView {
    let secret = if secret_asked {
        format!(", and the client secret for {SECRET_VISIBLE_HOURS} hours")
    } else {
        String::new()
    };
    let what = match purpose {
        Some(Purpose::Renewal) => "renewal",
        _ => "change",
    };
    let text = match (status, purpose) {
        (Status::Submitted | Status::AwaitingSecondApproval, Some(_)) => format!(
            "A reviewer checks the {what} against the live application and approves it, rejects it or asks you to change something. The application keeps working as it is meanwhile. Once NHSmail has made the {what}, this page shows the application's credentials as they are then{secret}."
        ),
        (Status::Approved, Some(_)) => format!(
            "NHSmail makes the {what} in its tenant. When it is recorded, this page shows the application's credentials as they are then{secret}."
        ),
        (status, _) => match status {
            Status::Submitted | Status::AwaitingSecondApproval => format!(
                "A reviewer checks the request and approves it, rejects it or asks you to change something; the contacts are told of the decision. Once it is approved, NHSmail creates the application, and you and the contacts are emailed its Application (client) ID. This page then shows it, with the tenant and the endpoints{secret}."
            ),
            Status::Approved => format!(
                "NHSmail creates the application in its tenant. When it is recorded, you and the contacts are emailed its Application (client) ID, and this page shows it, with the tenant and the endpoints{secret}."
            ),
            Status::Draft
            | Status::ChangesRequested
            | Status::Rejected
            | Status::Live
            | Status::DeletionRequested
            | Status::Deleted
            | Status::RecoveryRequested
            | Status::Purged
            | Status::Superseded
            | Status::Withdrawn => {
                return ().into_any();
            }
        },
    };
    view! {
        <h2 id="what-happens-next">"What happens next"</h2>
        <p id="next-step">{text}</p>
    }
    .into_any()
}

/// The client secret, for the organisation's Local Administrators: within its 72 hours behind
/// "Show the client secret" (with a copy button once the page has hydrated), then only that it
/// was destroyed.
#[component]
fn ClientSecret(secret: HandedBack) -> impl IntoView {
    let body = match secret {
        HandedBack::Shown {
            value,
            secret_id,
            expires_at,
            visible_until,
        } => {
            let text = value.clone();
            view! {
                <p id="secret-visible-until">
                    {format!("Visible until {}. Copy it into your application's configuration now: after that it is destroyed and cannot be shown again.", date_time_text(&visible_until))}
                </p>
                <details class="nhsuk-details" id="client-secret">
                    <summary class="nhsuk-details__summary">
                        <span class="nhsuk-details__summary-text">"Show the client secret"</span>
                    </summary>
                    <div class="nhsuk-details__text">
                        <dl class="nhsuk-summary-list">
                            <div class="nhsuk-summary-list__row">
                                <dt class="nhsuk-summary-list__key">"Value"</dt>
                                <dd class="nhsuk-summary-list__value">
                                    <span class="appreg-thumbprint" id="secret-value">{value}</span>
                                    <CopySecret text />
                                </dd>
                            </div>
                            <div class="nhsuk-summary-list__row">
                                <dt class="nhsuk-summary-list__key">"Secret ID"</dt>
                                <dd class="nhsuk-summary-list__value"><span class="appreg-thumbprint">{secret_id}</span></dd>
                            </div>
                            <div class="nhsuk-summary-list__row">
                                <dt class="nhsuk-summary-list__key">"Expires"</dt>
                                <dd class="nhsuk-summary-list__value">{date_text(&expires_at)}</dd>
                            </div>
                        </dl>
                    </div>
                </details>
            }
            .into_any()
        }
        HandedBack::Destroyed { .. } => view! {
            <p id="secret-destroyed">{format!("The client secret was shown for {SECRET_VISIBLE_HOURS} hours after it was issued and has been destroyed. If you did not keep it, ask for a new one (renewal).")}</p>
        }
        .into_any(),
    };
    view! {
        <h2 id="client-secret-heading">"Client secret"</h2>
        {body}
    }
}

/// The client secret's copy button: an island, shown once the page has hydrated (it needs the
/// browser's clipboard). The secret is already on the page beside it.
#[island]
fn CopySecret(text: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(false);
    view! {
        <Show when=move || hydrated.get()>
            {
                let text = text.clone();
                view! {
                    " "
                    <button type="button" id="copy-secret"
                        class="nhsuk-button nhsuk-button--secondary nhsuk-button--small appreg-copy"
                        on:click=move |_| {
                            copy_to_clipboard(&text);
                            copied.set(true);
                        }>
                        {move || if copied.get() { "Copied" } else { "Copy" }}
                        <span class="nhsuk-u-visually-hidden">" the client secret"</span>
                    </button>
                }
            }
        </Show>
    }
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_text: &str) {}

#[component]
fn Decisions(decisions: Vec<DecisionRow>) -> impl IntoView {
    view! {
        <h2 id="decisions-heading">"Decisions"</h2>
        {if decisions.is_empty() {
            view! { <p id="no-decisions">"No reviewer has decided on this request yet."</p> }.into_any()
        } else {
            view! {
                <ol class="nhsuk-list" id="decisions">
                    {decisions.into_iter().map(|decision| view! {
                        <li class="appreg-decision" data-decision=decision.decision.as_str()>
                            <p class="nhsuk-body">
                                <strong>{decision.decision.text()}</strong>
                                {format!(" (version {}) by {} on {}", decision.version, decision.reviewer_email, date_text(&decision.decided_at))}
                            </p>
                            {decision.reason.map(|reason| view! {
                                <div class="nhsuk-inset-text appreg-reason">
                                    <span class="nhsuk-u-visually-hidden">"Reason: "</span>
                                    <p>{reason}</p>
                                </div>
                            })}
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}

#[component]
fn Versions(reference: String, versions: Vec<VersionRow>, shown: i64) -> impl IntoView {
    view! {
        <h2 id="versions-heading">"Versions"</h2>
        <Table id="versions" caption="Every version of this request" headers=headers(["Version", "Submitted", "Status"])>
                {versions.into_iter().map(|row| {
                    let label = format!("Version {}", row.version);
                    let cell = if row.version == shown {
                        view! { <strong aria-current="page">{label}" (shown)"</strong> }.into_any()
                    } else {
                        view! { <a href=format!("/requests/{reference}?version={}", row.version)>{label}</a> }.into_any()
                    };
                    view! {
                        <tr class="nhsuk-table__row">
                            <td class="nhsuk-table__cell">{cell}</td>
                            <td class="nhsuk-table__cell">{date_text(&row.submitted_at)}</td>
                            <td class="nhsuk-table__cell"><StatusTag status=row.status /></td>
                        </tr>
                    }
                }).collect_view()}
            </Table>
    }
}

fn access_text(access: AccessType) -> &'static str {
    match access {
        AccessType::Delegated => "Delegated (a person signs in)",
        AccessType::Application => "Application (no one signed in)",
    }
}

fn permission_type_text(kind: PermissionType) -> &'static str {
    match kind {
        PermissionType::Delegated => "delegated",
        PermissionType::Application => "application",
    }
}

fn platform_text(platform: Platform) -> &'static str {
    match platform {
        Platform::Web => "Web",
        Platform::Spa => "Single-page application",
        Platform::PublicClient => "Mobile and desktop",
    }
}

/// One row of the application's summary list; a list of values shows as a list.
fn row(key: &'static str, values: Vec<String>) -> impl IntoView {
    let value = match values.len() {
        0 => view! { "None" }.into_any(),
        1 => values.into_iter().next().unwrap_or_default().into_any(),
        _ => view! {
            <ul class="nhsuk-list">
                {values.into_iter().map(|value| view! { <li>{value}</li> }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! {
        <div class="nhsuk-summary-list__row">
            <dt class="nhsuk-summary-list__key">{key}</dt>
            <dd class="nhsuk-summary-list__value">{value}</dd>
        </div>
    }
}

#[component]
fn Application(request: RegistrationRequest) -> impl IntoView {
    let request = &request;
    view! {
        <dl class="nhsuk-summary-list" id="application">
            {row("Application name", vec![request.application.name.clone()])}
            {row("Description", vec![request.application.description.clone()])}
            {row("Supplier", vec![request.application.supplier.clone()])}
            {row("Access type", vec![access_text(request.access_type).to_string()])}
            {row("Permissions", request.permissions.iter().map(|p| format!("{} ({})", p.value, permission_type_text(p.permission_type))).collect())}
            {row("Mailboxes", request.mailboxes.clone())}
            {row("Access policy group", request.access_policy_group.iter().cloned().collect())}
            {row("Redirect URIs", request.redirect_uris.iter().map(|r| format!("{} ({})", r.uri, platform_text(r.platform))).collect())}
            {row("Token endpoint URIs", request.token_endpoint_uris.clone())}
            {row("Certificates", request.certificates.iter().map(|c| c.file_name.clone()).collect())}
            {row("Client secret", request.client_secret.iter().map(|s| format!("{} months", s.lifetime_months)).collect())}
            {row("Contacts", request.contacts.iter().map(|c| format!("{} <{}>", c.name, c.email)).collect())}
        </dl>
    }
}
