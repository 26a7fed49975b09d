use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use registration::diff::{Change, ChangeKind};
use registration::lifecycle::{Decision, DecisionRefusal, Status};
use registration::{AccessType, CertificateSummary, Finding, Platform, Severity};

use super::RiskTag;
use super::implementation::{ImplementationOutcome, ImplementationSection, ImplementedBanner};
use crate::PageTitle;
use crate::backend::review::{ClaimState, DecisionRow, SiblingRow, Standing, load_review_detail};
use crate::backend::{Access, ReviewDetail};
use crate::components::{Header, StatusTag, Table, date_text, date_time_text, day_text, headers};
use crate::pages::access::Refused;
use crate::pages::deletion::{ReviewerSteps, StepOutcome};

/// What the page was sent back with after a decision post (`?decided=`, `?error=`,
/// `?decision=`, and after a refusal that was no fault of the form's, `?reason=` with what was
/// typed and `?since=` with the version that was read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Outcome {
    decided: Option<Status>,
    error: Option<DecisionRefusal>,
    decision: Option<Decision>,
    reason: Option<String>,
    implementation: ImplementationOutcome,
    step: StepOutcome,
}

/// `/review/{reference}`: one request, everything a reviewer weighs, and the decision form.
#[component]
pub fn ReviewDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let since = query
            .read()
            .get("since")
            .and_then(|text| text.parse::<i64>().ok());
        (params.read().get("reference").unwrap_or_default(), since)
    };
    let page = Resource::new_blocking(key, |(reference, since)| {
        load_review_detail(reference, since)
    });
    view! {
        <Suspense fallback=|| view! { <p>"Loading the request…"</p> }>
            {move || Suspend::new(async move {
                let outcome = {
                    let query = query.read();
                    Outcome {
                        decided: query.get("decided").as_deref().and_then(Status::parse),
                        error: query.get("error").as_deref().and_then(DecisionRefusal::parse),
                        decision: query.get("decision").as_deref().and_then(Decision::parse),
                        reason: query.get("reason").filter(|text| !text.trim().is_empty()),
                        implementation: ImplementationOutcome::from_query(&query),
                        step: StepOutcome::from_query(&query),
                    }
                };
                match page.await {
                    Ok(Access::Page(detail)) => view! { <Detail detail outcome /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Detail(detail: ReviewDetail, outcome: Outcome) -> impl IntoView {
    let request = &detail.request;
    let organisation = match &detail.organisation_name {
        Some(name) => format!("{name} ({})", detail.ods_code),
        None => detail.ods_code.clone(),
    };
    let approvals = if detail.needs_second_approval {
        "Two reviewers must approve: it asks for app-only access to mailbox data"
    } else {
        "One reviewer's approval is enough"
    };
    let reference = detail.reference.clone();
    let application_name = request.application.name.clone();
    let supplier = request.application.supplier.clone();
    let description = request.application.description.clone();
    let submitted_by = detail
        .submitted_by
        .clone()
        .unwrap_or_else(|| "Not recorded".to_string());
    let version = detail.version.to_string();
    let submitted_at = date_time_text(&detail.submitted_at);
    let status = detail.status;
    let permissions = detail.permissions.clone();
    let risk = detail.risk.clone();
    let mailboxes = request.mailboxes.clone();
    let group = request
        .access_policy_group_given()
        .unwrap_or("None")
        .to_string();
    let redirect_uris: Vec<String> = request
        .redirect_uris
        .iter()
        .map(|r| format!("{} ({})", r.uri, platform_text(r.platform)))
        .collect();
    let token_endpoints = request.token_endpoint_uris.clone();
    let client_secret = request
        .client_secret
        .map(|s| format!("{} months", s.lifetime_months))
        .unwrap_or_else(|| "None".to_string());
    let contacts: Vec<String> = request
        .contacts
        .iter()
        .map(|c| format!("{} <{}>", c.name, c.email))
        .collect();
    let file_names: Vec<String> = request
        .certificates
        .iter()
        .map(|c| c.file_name.clone())
        .collect();
    let access_text = match request.access_type {
        AccessType::Delegated => {
            "Delegated access: a user signs in and the application acts as them."
        }
        AccessType::Application => {
            "Application (app-only) access: the application acts with no user present."
        }
    };
    view! {
        <PageTitle text=format!("Review {}", detail.reference) />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-full">
                <Banner outcome=outcome.clone() />
                <ImplementedBanner outcome=outcome.implementation.clone() />
                <NewerVersion reference=detail.reference.clone() shown=detail.version />
                <LikelyDuplicates rows=detail.siblings.clone() />
                <span class="nhsuk-caption-l">{detail.reference.clone()}</span>
                <h1>{application_name}</h1>
                <dl class="nhsuk-summary-list" id="summary">
                    <Row key="Reference">{reference}</Row>
                    <Row key="Organisation">{organisation}</Row>
                    <Row key="Supplier">{supplier}</Row>
                    <Row key="Description">{description}</Row>
                    <Row key="Submitted by">{submitted_by}</Row>
                    <Row key="Version">{version}</Row>
                    <Row key="Submitted">{submitted_at}</Row>
                    <Row key="Status"><StatusTag status=status /></Row>
                    <Row key="Risk"><RiskTag risk=risk /></Row>
                    <Row key="Approvals needed"><span id="approvals-needed">{approvals}</span></Row>
                </dl>
                {detail.status.is_awaiting_reviewer().then(|| view! { <ClaimSection reference=detail.reference.clone() claim=detail.claim.clone() /> })}
                {detail.purpose.map(|purpose| view! {
                    <div class="nhsuk-inset-text" id="change-purpose">
                        <span class="nhsuk-u-visually-hidden">"Information: "</span>
                        <p>{match purpose {
                            registration::change::Purpose::Renewal => "A renewal of a live application: a new certificate or client secret, nothing else. The changes below are against the live version.",
                            registration::change::Purpose::Change => "A change of a live application. The changes below are against the live version: only those would change in the tenant.",
                        }}</p>
                    </div>
                })}
                {detail.previous_version.map(|previous| view! { <Changes previous latest=detail.version changes=detail.changes.clone() against_live=detail.purpose.is_some() /> })}
                <Findings findings=detail.report.findings.clone() />
                {detail.findings_now.clone().map(|now| view! { <FindingsToday at_submission=detail.report.findings.clone() now /> })}
                <h2 id="permissions-heading">"Permissions"</h2>
                <p>{access_text}</p>
                <Table id="permissions" caption="Requested permissions" headers=headers(["Permission", "Type", "Resource", "Risk", "Why"])>
                        {permissions.into_iter().map(|row| view! {
                            <tr class="nhsuk-table__row" data-permission=row.value.clone()>
                                <td class="nhsuk-table__cell">{row.value.clone()}</td>
                                <td class="nhsuk-table__cell">{row.permission_type}</td>
                                <td class="nhsuk-table__cell">{row.resource}</td>
                                <td class="nhsuk-table__cell"><RiskTag risk=row.risk /></td>
                                <td class="nhsuk-table__cell">{row.why}</td>
                            </tr>
                        }).collect_view()}
                    </Table>
                <h2>"Access"</h2>
                <dl class="nhsuk-summary-list" id="access">
                    <Row key="Mailboxes"><Lines items=mailboxes /></Row>
                    <Row key="Access policy group">{group}</Row>
                    <Row key="Redirect URIs"><Lines items=redirect_uris /></Row>
                    <Row key="Token endpoints"><Lines items=token_endpoints /></Row>
                    <Row key="Client secret">{client_secret}</Row>
                    <Row key="Contacts"><Lines items=contacts /></Row>
                </dl>
                <Certificates summaries=detail.report.certificates.clone() file_names />
                <Siblings rows=detail.siblings.clone() total=detail.siblings_total ods_code=detail.ods_code.clone() />
                <Decisions decisions=detail.decisions.clone() />
                <Exports reference=detail.reference.clone() approved=detail.status.is_approved() />
                <ImplementationSection reference=detail.reference.clone() form=detail.implementation_form.clone() live=detail.live.clone() outcome=outcome.implementation.clone() />
                {detail.life.clone().map(|life| view! {
                    <ReviewerSteps reference=detail.reference.clone() status=detail.status life outcome=outcome.step.clone() />
                })}
                <DecisionSection detail=detail.clone() outcome />
            </div>
        </div>
    }
}

/// Who is reviewing the request, with the form to claim it, take it over or release it.
#[component]
fn ClaimSection(reference: String, claim: ClaimState) -> impl IntoView {
    let (text, action, button) = match (&claim.holder, claim.mine) {
        (Some((_, since)), true) => (
            format!("You claimed this request on {}: other reviewers see that you are reviewing it.", date_time_text(since)),
            "release",
            "Release it",
        ),
        (Some((email, since)), false) => (
            format!("{email} claimed this request on {}. Ask them before you review it too.", date_time_text(since)),
            "claim",
            "Take it over",
        ),
        (None, _) => (
            "No reviewer has claimed this request. Claim it so that others see you are reviewing it.".to_string(),
            "claim",
            "Claim it",
        ),
    };
    view! {
        <div class="nhsuk-inset-text" id="claim" data-claimed=claim.holder.is_some().then_some(if claim.mine { "mine" } else { "other" })>
            <span class="nhsuk-u-visually-hidden">"Information: "</span>
            <p>{text}</p>
            <form method="post" action=format!("/review/{reference}/{action}")>
                <input type="hidden" name="csrf_token" value=claim.csrf_token />
                <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit" data-module="nhsuk-button">{button}</button>
            </form>
        </div>
    }
}

/// A warning when another request of the organisation looks like the same application.
#[component]
fn LikelyDuplicates(rows: Vec<SiblingRow>) -> impl IntoView {
    let alike: Vec<SiblingRow> = rows
        .into_iter()
        .filter(|row| !row.likeness.is_empty())
        .collect();
    (!alike.is_empty()).then(|| view! {
        <div class="nhsuk-warning-callout" id="likely-duplicates">
            <h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"This may be a duplicate"</span></h2>
            <p>"The organisation already has:"</p>
            <ul class="nhsuk-list nhsuk-list--bullet">
                {alike.into_iter().map(|row| view! {
                    <li>
                        <a href=format!("/review/{}", row.reference)>{row.reference.clone()}</a>
                        {format!(" ({}, {}), with {}", row.application_name, row.status.text().to_lowercase(), row.likeness.join(" and "))}
                    </li>
                }).collect_view()}
            </ul>
            <p>"Ask the Local Administrator whether this is a second copy or a replacement before approving."</p>
        </div>
    })
}

/// The organisation's other requests and registered applications.
#[component]
fn Siblings(rows: Vec<SiblingRow>, total: u64, ods_code: String) -> impl IntoView {
    let shown = rows.len() as u64;
    view! {
        <h2 id="siblings-heading">"The organisation's other requests"</h2>
        {if rows.is_empty() {
            view! { <p id="no-siblings">"This organisation has no other requests or registered applications."</p> }.into_any()
        } else {
            view! {
                {(total > shown).then(|| view! {
                    <p id="siblings-count">{format!("The {shown} most recent of {total}. ")}<a href=format!("/review?status=all&ods_code={ods_code}")>"See them all in the queue"</a></p>
                })}
                <Table id="siblings" caption="The organisation's other requests and registered applications" headers=headers(["Reference", "Application", "Status", "Submitted", "Likely duplicate"])>
                    {rows.into_iter().map(|row| view! {
                        <tr class="nhsuk-table__row" data-reference=row.reference.clone() data-likely-duplicate=(!row.likeness.is_empty()).then_some("true")>
                            <td class="nhsuk-table__cell"><a href=format!("/review/{}", row.reference)>{row.reference.clone()}</a></td>
                            <td class="nhsuk-table__cell">{row.application_name.clone()}</td>
                            <td class="nhsuk-table__cell"><StatusTag status=row.status /></td>
                            <td class="nhsuk-table__cell">{date_text(&row.submitted_at)}</td>
                            <td class="nhsuk-table__cell">{if row.likeness.is_empty() { String::new() } else { format!("Yes: {}", row.likeness.join(" and ")) }}</td>
                        </tr>
                    }).collect_view()}
                </Table>
            }.into_any()
        }}
    }
}

/// One row of an NHS.UK summary list.
#[component]
fn Row(key: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="nhsuk-summary-list__row">
            <dt class="nhsuk-summary-list__key">{key}</dt>
            <dd class="nhsuk-summary-list__value">{children()}</dd>
        </div>
    }
}

/// A list of values one a line, or "None".
#[component]
fn Lines(items: Vec<String>) -> impl IntoView {
    if items.is_empty() {
        view! { "None" }.into_any()
    } else {
        view! {
            <ul class="nhsuk-list">
                {items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

fn platform_text(platform: Platform) -> &'static str {
    match platform {
        Platform::Web => "web",
        Platform::Spa => "single-page application",
        Platform::PublicClient => "mobile and desktop",
    }
}

/// The success banner after a decision.
#[component]
fn Banner(outcome: Outcome) -> impl IntoView {
    let heading = match outcome.decided {
        Some(Status::Approved) => "Approved",
        Some(Status::AwaitingSecondApproval) => {
            "First approval recorded: a second reviewer must approve"
        }
        Some(Status::Rejected) => "Rejected",
        Some(Status::ChangesRequested) => {
            "Changes requested: the Local Administrator can change and resubmit the request"
        }
        Some(
            Status::Draft
            | Status::Submitted
            | Status::Live
            | Status::DeletionRequested
            | Status::Deleted
            | Status::RecoveryRequested
            | Status::Purged
            | Status::Superseded
            | Status::Withdrawn,
        )
        | None => return ().into_any(),
    };
    view! {
        <crate::components::SuccessBanner id="decided" heading=heading>
            <p class="nhsuk-body">"Your decision is signed and recorded in the desk's log. "<a class="nhsuk-notification-banner__link" href="/review">"Back to the review queue"</a></p>
        </crate::components::SuccessBanner>
    }
    .into_any()
}

/// A warning when a newer version of the request arrives while the page is open: the browser
/// asks every [`NEWER_VERSION_POLL`] (a decision on the version shown would be refused as
/// stale; the link shows what changed). An island: the rest of the page does not run in the browser.
#[island]
fn NewerVersion(reference: String, shown: i64) -> impl IntoView {
    let newer = RwSignal::new(None::<i64>);
    #[cfg(feature = "hydrate")]
    {
        let asked_about = reference.clone();
        Effect::new(move |_| {
            let reference = asked_about.clone();
            let check = move || {
                let reference = reference.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(Some(latest)) =
                        crate::backend::review::latest_review_version(reference).await
                        && latest > shown
                    {
                        newer.set(Some(latest));
                    }
                });
            };
            if let Ok(handle) = set_interval_with_handle(check, NEWER_VERSION_POLL) {
                on_cleanup(move || handle.clear());
            }
        });
    }
    move || {
        newer.get().map(|latest| {
            let href = format!("/review/{reference}?since={shown}");
            view! {
                <div class="nhsuk-warning-callout" id="newer-version" role="alert">
                    <h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"A newer version arrived"</span></h2>
                    <p>{format!("Version {latest} was submitted while you had version {shown} open. A decision on version {shown} will not be recorded. ")}<a href=href>"Reload the request to see what changed"</a></p>
                </div>
            }
        })
    }
}

/// How often an open review page asks whether a newer version arrived.
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser asks")
)]
const NEWER_VERSION_POLL: std::time::Duration = std::time::Duration::from_secs(15);

/// "Changed since version n-1" (or since the version the reviewer read).
#[component]
fn Changes(previous: i64, latest: i64, changes: Vec<Change>, against_live: bool) -> impl IntoView {
    let heading = if against_live {
        format!("Changed from the live application (version {previous})")
    } else {
        format!("Changed since version {previous}")
    };
    view! {
        <h2 id="changes-heading">{heading.clone()}</h2>
        {if changes.is_empty() {
            view! { <p id="changes">"Nothing changed: the request is the same as version "{previous}"."</p> }.into_any()
        } else {
            view! {
                <Table id="changes" caption=heading headers=vec![Header::shown("Field"), Header::shown("Change"), Header::shown(format!("Version {previous}")), Header::shown(format!("Version {latest}"))]>
                        {changes.into_iter().map(|change| {
                            let kind = match change.kind {
                                ChangeKind::Changed => "Changed",
                                ChangeKind::Added => "Added",
                                ChangeKind::Removed => "Removed",
                            };
                            view! {
                                <tr class="nhsuk-table__row" data-path=change.path.clone()>
                                    <td class="nhsuk-table__cell"><code>{change.path.clone()}</code></td>
                                    <td class="nhsuk-table__cell">{kind}</td>
                                    <td class="nhsuk-table__cell appreg-diff-old">{change.old.unwrap_or_default()}</td>
                                    <td class="nhsuk-table__cell appreg-diff-new">{change.new.unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </Table>
            }.into_any()
        }}
    }
}

/// The same version checked again today: said to be unchanged, or every finding of today's
/// checks (an error among them refuses an approval).
#[component]
fn FindingsToday(at_submission: Vec<Finding>, now: Vec<Finding>) -> impl IntoView {
    let key = |finding: &Finding| (finding.code.code(), finding.path.clone(), finding.severity);
    let unchanged = at_submission.len() == now.len()
        && at_submission
            .iter()
            .zip(&now)
            .all(|(then, today)| key(then) == key(today));
    if unchanged {
        return view! {
            <p id="findings-today">"Checked again today with the same rules: the findings are the same."</p>
        }
        .into_any();
    }
    let invalid = now
        .iter()
        .any(|finding| finding.severity == Severity::Error);
    view! {
        <h2 id="findings-today-heading">"Findings today"</h2>
        <p id="findings-today-summary">{if invalid {
            "Checked again today with the same rules, the request no longer passes: it cannot be approved. Ask the Local Administrator for changes, or reject it."
        } else {
            "Checked again today with the same rules, the findings differ from those at submission."
        }}</p>
        <FindingTable findings=now id="findings-today" caption="Findings of the checks today" />
    }
    .into_any()
}

/// Every finding of the stored report (a stored request has no errors).
#[component]
fn Findings(findings: Vec<Finding>) -> impl IntoView {
    view! {
        <h2 id="findings-heading">"Findings"</h2>
        {if findings.is_empty() {
            view! { <p id="findings">"The checks found nothing to point out."</p> }.into_any()
        } else {
            view! { <FindingTable findings id="findings" caption="Findings of the checks at submission" /> }.into_any()
        }}
    }
}

/// Findings as a table: severity, field, message and stable code.
#[component]
fn FindingTable(findings: Vec<Finding>, id: &'static str, caption: &'static str) -> impl IntoView {
    view! {
        <Table id=id caption=caption headers=headers(["Severity", "Field", "Finding"])>
            {findings.into_iter().map(|finding| {
                let (text, colour) = match finding.severity {
                    Severity::Error => ("Error", "nhsuk-tag--red"),
                    Severity::Warning => ("Warning", "nhsuk-tag--orange"),
                };
                view! {
                    <tr class="nhsuk-table__row" data-code=finding.code.code()>
                        <td class="nhsuk-table__cell"><strong class=format!("nhsuk-tag {colour}")>{text}</strong></td>
                        <td class="nhsuk-table__cell"><code>{finding.path}</code></td>
                        <td class="nhsuk-table__cell">
                            {finding.message}
                            <br /><span class="nhsuk-body-s appreg-finding-code">{finding.code.code()}</span>
                        </td>
                    </tr>
                }
            }).collect_view()}
        </Table>
    }
}

/// What the report says about each certificate.
#[component]
fn Certificates(summaries: Vec<CertificateSummary>, file_names: Vec<String>) -> impl IntoView {
    view! {
        <h2 id="certificates-heading">"Certificates"</h2>
        {if summaries.is_empty() {
            view! { <p id="certificates">"No certificate was uploaded."</p> }.into_any()
        } else {
            view! {
                <div id="certificates">
                    {summaries.into_iter().map(|summary| {
                        let file_name = summary
                            .path
                            .strip_prefix("certificates[")
                            .and_then(|rest| rest.strip_suffix(']'))
                            .and_then(|index| index.parse::<usize>().ok())
                            .and_then(|index| file_names.get(index).cloned())
                            .unwrap_or_else(|| summary.path.clone());
                        let validity = format!(
                            "{} to {} ({})",
                            day_text(summary.not_before),
                            day_text(summary.not_after),
                            if summary.days_remaining < 0 { "expired at submission".to_string() } else { format!("{} days left at submission", summary.days_remaining) }
                        );
                        view! {
                            <h3>{file_name}</h3>
                            <dl class="nhsuk-summary-list appreg-certificate">
                                <Row key="Subject">{summary.subject}</Row>
                                <Row key="Issuer">{summary.issuer}</Row>
                                <Row key="Serial number"><span class="appreg-thumbprint">{summary.serial}</span></Row>
                                <Row key="Valid">{validity}</Row>
                                <Row key="Key">{summary.key}</Row>
                                <Row key="Signature algorithm">{summary.signature_algorithm}</Row>
                                <Row key="SHA-1 thumbprint"><span class="appreg-thumbprint">{summary.sha1_thumbprint}</span></Row>
                                <Row key="SHA-256 thumbprint"><span class="appreg-thumbprint">{summary.sha256_thumbprint}</span></Row>
                            </dl>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

/// The decisions so far, on every version.
#[component]
fn Decisions(decisions: Vec<DecisionRow>) -> impl IntoView {
    view! {
        <h2 id="decisions-heading">"Decisions"</h2>
        {if decisions.is_empty() {
            view! { <p id="decisions">"No decisions yet."</p> }.into_any()
        } else {
            view! {
                <Table id="decisions" caption="Decisions so far" headers=headers(["Version", "Decision", "Reviewer", "Reason", "When", "Status after"])>
                        {decisions.into_iter().map(|d| view! {
                            <tr class="nhsuk-table__row">
                                <td class="nhsuk-table__cell">{d.version}</td>
                                <td class="nhsuk-table__cell">{d.decision.text()}</td>
                                <td class="nhsuk-table__cell">{d.reviewer_email}</td>
                                <td class="nhsuk-table__cell">{d.reason.unwrap_or_default()}</td>
                                <td class="nhsuk-table__cell">{date_time_text(&d.decided_at)}</td>
                                <td class="nhsuk-table__cell"><StatusTag status=d.status_after /></td>
                            </tr>
                        }).collect_view()}
                    </Table>
            }.into_any()
        }}
    }
}

/// What the NHSmail administrators act on: once approved, the exports; before, a preview that
/// says in the file itself that it is not approved (and the script stops at its first line).
#[component]
fn Exports(reference: String, approved: bool) -> impl IntoView {
    let (query, name_prefix, note) = if approved {
        ("", "", None)
    } else {
        (
            "?preview=true",
            "NOT-APPROVED-",
            Some(
                "Not approved yet: these are previews to check what approval would lead to. They say NOT APPROVED, and the script stops if run.",
            ),
        )
    };
    let link = move |file: &'static str, text: &'static str| {
        view! {
            <li>
                <a href=format!("/api/v1/registrations/{reference}/exports/{file}{query}")
                    download=format!("{reference}-{name_prefix}{file}")>{text}</a>
            </li>
        }
    };
    view! {
        <h2 id="exports-heading">{if approved { "Exports" } else { "Exports (preview)" }}</h2>
        {note.map(|text| view! { <p class="nhsuk-body" id="exports-not-approved"><strong class="nhsuk-tag nhsuk-tag--red">"Not approved"</strong>" "{text}</p> })}
        <ul class="nhsuk-list" id="exports">
            {link("entra-application.json", "Microsoft Entra application (JSON for Microsoft Graph POST /applications)")}
            {link("exchange-access.ps1", "Exchange Online PowerShell script (scopes app-only mailbox access)")}
        </ul>
    }
}

/// The decision form, or why the viewer cannot decide now.
#[component]
fn DecisionSection(detail: ReviewDetail, outcome: Outcome) -> impl IntoView {
    // A refusal the post ran into explains itself even if the standing has changed since; one
    // about the form's own fields is shown on them instead.
    let refused = outcome
        .error
        .filter(|refusal| refusal.field_message(outcome.decision).is_none())
        .map(DecisionRefusal::message);
    let why_not = match &detail.standing {
        Standing::MayDecide { .. } => None,
        Standing::OwnSubmission => Some("You submitted a version of this request, so you cannot decide on it. Another reviewer must decide.".to_string()),
        Standing::GaveFirstApproval => Some("You gave the first approval. The request needs a second approval from another reviewer.".to_string()),
        Standing::NotAwaitingDecision(status) => Some(match status {
            Status::ChangesRequested => "The request is waiting for the Local Administrator to change and resubmit it; no decision is needed until then.".to_string(),
            Status::Approved => "The request is approved: no further decision is needed.".to_string(),
            Status::Rejected => "The request is rejected: no further decision is needed.".to_string(),
            Status::Withdrawn => "The organisation withdrew the request: no decision is needed.".to_string(),
            Status::Live => "The application is live: it was approved and created in NHSmail.".to_string(),
            Status::DeletionRequested | Status::RecoveryRequested => "The application was approved and created in NHSmail; its organisation's request is answered below.".to_string(),
            Status::Deleted => "The application was deleted: no decision is needed.".to_string(),
            Status::Purged => "The application was deleted and purged: no decision is needed.".to_string(),
            Status::Superseded => "This version was replaced by a later one that is live: no decision is needed.".to_string(),
            Status::Draft | Status::Submitted | Status::AwaitingSecondApproval => "The request is not awaiting a decision.".to_string(),
        }),
    };
    view! {
        <h2 id="decision-heading">"Your decision"</h2>
        {refused.map(|text| view! {
            <div class="nhsuk-warning-callout" id="refused">
                <h3 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Your decision was not recorded"</span></h3>
                <p>{text}</p>
            </div>
        })}
        {match (detail.standing.clone(), why_not) {
            (Standing::MayDecide { csrf_token }, _) => view! {
                <DecisionForm detail=detail.clone() csrf_token outcome />
            }.into_any(),
            (_, Some(why)) => view! { <p id="cannot-decide">{why}</p> }.into_any(),
            (_, None) => ().into_any(),
        }}
    }
}

#[component]
fn DecisionForm(detail: ReviewDetail, csrf_token: String, outcome: Outcome) -> impl IntoView {
    let field_error = outcome.error.and_then(|refusal| {
        refusal
            .field_message(outcome.decision)
            .map(|text| (refusal, text))
    });
    let (decision_error, reason_error) = match field_error {
        Some((DecisionRefusal::DecisionRequired, text)) => (Some(text), None),
        Some((_, text)) => (None, Some(text)),
        None => (None, None),
    };
    let chosen = outcome.decision.map(Decision::as_str).unwrap_or_default();
    let first_of_two = detail.needs_second_approval && detail.status == Status::Submitted;
    let radio = move |value: &'static str,
                      id: &'static str,
                      label: &'static str,
                      hint: &'static str| {
        let hint_id = format!("{id}-hint");
        view! {
            <div class="nhsuk-radios__item">
                <input class="nhsuk-radios__input" id=id name="decision" type="radio" value=value
                    checked=chosen == value aria-describedby=hint_id.clone() />
                <label class="nhsuk-label nhsuk-radios__label" for=id>{label}</label>
                <div class="nhsuk-hint nhsuk-radios__hint" id=hint_id>{hint}</div>
            </div>
        }
    };
    let approve_hint = if first_of_two {
        "This is the first of two approvals: the request then waits for another reviewer."
    } else {
        "The request can go ahead. A reason is optional."
    };
    view! {
        {(decision_error.is_some() || reason_error.is_some()).then(|| view! {
            <div class="nhsuk-error-summary" data-module="nhsuk-error-summary" id="error-summary">
                <div role="alert">
                    <h2 class="nhsuk-error-summary__heading">"There is a problem"</h2>
                    <div class="nhsuk-error-summary__body">
                        <ul class="nhsuk-list nhsuk-error-summary__list">
                            {decision_error.map(|text| view! { <li><a href="#decision-approve">{text}</a></li> })}
                            {reason_error.map(|text| view! { <li><a href="#reason">{text}</a></li> })}
                        </ul>
                    </div>
                </div>
            </div>
        })}
        <form method="post" action=format!("/review/{}/decisions", detail.reference) novalidate id="decision-form">
            <input type="hidden" name="csrf_token" value=csrf_token />
            // What the reviewer is reading: a decision on anything else is not recorded.
            <input type="hidden" name="version" value=detail.version.to_string() />
            <input type="hidden" name="record_sha256" value=detail.record_sha256.clone() />
            <p class="nhsuk-body" id="deciding-on">{format!("You are deciding on version {} of {}.", detail.version, detail.reference)}</p>
            <div class=if decision_error.is_some() { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }>
                <fieldset class="nhsuk-fieldset" aria-describedby=decision_error.map(|_| "decision-error")>
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"Decision"</legend>
                    {decision_error.map(|text| view! {
                        <span class="nhsuk-error-message" id="decision-error"><span class="nhsuk-u-visually-hidden">"Error: "</span>{text}</span>
                    })}
                    <div class="nhsuk-radios" data-module="nhsuk-radios">
                        {radio("approve", "decision-approve", "Approve", approve_hint)}
                        {radio("reject", "decision-reject", "Reject", "The request will not go ahead. Say why.")}
                        {radio("request_changes", "decision-request-changes", "Request changes", "The Local Administrator changes the request and submits it again. Say what to change.")}
                    </div>
                </fieldset>
            </div>
            <div class=if reason_error.is_some() { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }>
                <label class="nhsuk-label" for="reason">"Reason"</label>
                <div class="nhsuk-hint" id="reason-hint">
                    {format!("Required to reject or request changes: the Local Administrator reads it. At most {} characters.", detail.max_reason_chars)}
                </div>
                {reason_error.map(|text| view! {
                    <span class="nhsuk-error-message" id="reason-error"><span class="nhsuk-u-visually-hidden">"Error: "</span>{text}</span>
                })}
                <textarea class=if reason_error.is_some() { "nhsuk-textarea nhsuk-textarea--error" } else { "nhsuk-textarea" }
                    id="reason" name="reason" rows="5" maxlength=detail.max_reason_chars.to_string()
                    aria-describedby=if reason_error.is_some() { "reason-hint reason-error" } else { "reason-hint" }>{crate::components::textarea_text(outcome.reason.clone().unwrap_or_default())}</textarea>
            </div>
            <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Record decision"</button>
        </form>
    }
}
