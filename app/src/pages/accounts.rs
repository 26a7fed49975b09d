//! The desk administrator's Accounts pages: `/accounts` (every account, and "Add an account")
//! and `/accounts/{id}` (change its role or organisation, disable or enable it, email a link to
//! set its password, and its signed changes). Plain HTML forms posted with the session's CSRF
//! token (they work without JavaScript) to the server's `web::accounts_pages`, which sends the
//! browser back here with `?done=` (what was done) or `?error=` (what to fix, comma-separated
//! codes) and the values typed.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use registration::lifecycle::Role;

use crate::PageTitle;
use crate::backend::accounts::{
    AccountDetail, AccountRow, AccountsPage, load_account, load_accounts,
};
use crate::backend::{Access, OrganisationLabel};
use crate::components::{SuccessBanner, Table, date_text, date_time_text, headers};
use crate::pages::access::Refused;

/// What was typed into a role form, kept when the server sent it back with errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Typed {
    email: String,
    role: Option<Role>,
    ods_code: String,
}

/// One problem with a form: the field it belongs to (the id the error summary links to) and
/// what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    field: &'static str,
    message: String,
}

/// The field ids: the email, the first role radio, the ODS code.
const EMAIL: &str = "email";
const ROLE: &str = "role-local-admin";
const ODS: &str = "ods-code";

/// The problems the server's `?error=` codes name, in the order of the form's fields.
fn problems(codes: &str, typed: &Typed) -> Vec<Problem> {
    let ods = typed.ods_code.trim();
    let mut found: Vec<Problem> = codes
        .split(',')
        .filter(|code| !code.is_empty())
        .map(|code| {
            let (field, message) = match code {
                "email_missing" => (EMAIL, "Enter the person's email address".to_string()),
                "email_invalid" => (
                    EMAIL,
                    "Enter an email address in the correct format, like name@nhs.net".to_string(),
                ),
                "email_taken" => (EMAIL, "An account with this email already exists".to_string()),
                "role_missing" => (ROLE, "Choose what the account may do".to_string()),
                "ods_missing" => (
                    ODS,
                    "Enter the organisation's ODS code: a Local Administrator acts for one organisation"
                        .to_string(),
                ),
                "ods_format" => (
                    ODS,
                    "Enter an ODS code in the correct format: letters A to Z and digits 0 to 9, like RX1 or A81001"
                        .to_string(),
                ),
                "ods_unknown" => (
                    ODS,
                    format!("The directory does not know the ODS code {ods}: check it on ODS Data Search and Export"),
                ),
                "ods_closed" => (
                    ODS,
                    format!("The organisation {ods} is closed: enter the ODS code of the organisation that took over its services"),
                ),
                "unchanged" => (
                    ROLE,
                    "The account already has this role and organisation: choose another, or leave it as it is"
                        .to_string(),
                ),
                "own_role" => (
                    "own-role",
                    "You cannot take your own desk administrator role away: ask another desk administrator".to_string(),
                ),
                "own_disable" => (
                    "own-disable",
                    "You cannot disable your own account: ask another desk administrator".to_string(),
                ),
                "link_disabled" => (
                    "password-reset",
                    "The account is disabled: enable it before emailing a link to set its password".to_string(),
                ),
                "link_not_sent" => (
                    "password-reset",
                    "The email with the link could not be sent: try again in a few minutes".to_string(),
                ),
                "local_off" => (
                    "password-reset",
                    "Passwords are turned off on this desk: people sign in with NHSmail".to_string(),
                ),
                _ => (
                    EMAIL,
                    "Something in the form could not be used: check it and try again".to_string(),
                ),
            };
            Problem { field, message }
        })
        .collect();
    found.dedup();
    found
}

/// The message for `field`, if it has one.
fn message_for(problems: &[Problem], field: &str) -> Option<String> {
    problems
        .iter()
        .find(|problem| problem.field == field)
        .map(|problem| problem.message.clone())
}

/// The NHS.UK error summary: each problem, linked to its field.
#[component]
fn ErrorSummary(problems: Vec<Problem>) -> impl IntoView {
    (!problems.is_empty()).then(|| {
        view! {
            <div class="nhsuk-error-summary" id="error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1" autofocus=true>
                <h2 class="nhsuk-error-summary__title" id="error-summary-title">"There is a problem"</h2>
                <div class="nhsuk-error-summary__body">
                    <ul class="nhsuk-list nhsuk-error-summary__list">
                        {problems.into_iter().map(|problem| view! {
                            <li><a href=format!("#{}", problem.field)>{problem.message}</a></li>
                        }).collect_view()}
                    </ul>
                </div>
            </div>
        }
    })
}

/// An error message above a field.
#[component]
fn FieldError(id: &'static str, message: Option<String>) -> impl IntoView {
    message.map(|message| {
        view! {
            <span class="nhsuk-error-message" id=format!("{id}-error")>
                <span class="nhsuk-u-visually-hidden">"Error: "</span>{message}
            </span>
        }
    })
}

/// The role radios, with the ODS code under "Local Administrator" (shown by CSS only while it is
/// chosen; every field is there without CSS or JavaScript).
#[component]
fn RoleFields(typed: Typed, problems: Vec<Problem>) -> impl IntoView {
    let role_error = message_for(&problems, ROLE);
    let ods_error = message_for(&problems, ODS);
    let (role_has_error, ods_has_error) = (role_error.is_some(), ods_error.is_some());
    let radio = move |role: Role, id: &'static str, hint: &'static str| {
        let hint_id = format!("{id}-hint");
        view! {
            <div class="nhsuk-radios__item">
                <input class="nhsuk-radios__input" id=id name="role" type="radio" value=role.as_str()
                    checked=typed.role == Some(role) aria-describedby=hint_id.clone() />
                <label class="nhsuk-label nhsuk-radios__label" for=id>{role.text()}</label>
                <div class="nhsuk-hint nhsuk-radios__hint" id=hint_id>{hint}</div>
            </div>
        }
    };
    view! {
        <div class="nhsuk-form-group" class:nhsuk-form-group--error={role_has_error || ods_has_error}>
            <fieldset class="nhsuk-fieldset" aria-describedby="role-hint">
                <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"What may the account do?"</legend>
                <div class="nhsuk-hint" id="role-hint">"Each account has one role. A desk administrator manages accounts only: they do not make or decide on requests."</div>
                <FieldError id="role" message=role_error />
                <div class="nhsuk-radios nhsuk-radios--conditional appreg-radios-reveal">
                    {radio(Role::LocalAdmin, ROLE, "Makes registration requests for one organisation.")}
                    <div class="nhsuk-radios__conditional appreg-reveal" id="conditional-role-local-admin">
                        <div class="nhsuk-form-group" class:nhsuk-form-group--error=ods_has_error>
                            <label class="nhsuk-label" for=ODS>"The organisation's ODS code"</label>
                            <div class="nhsuk-hint" id="ods-code-hint">"For example RX1 for an NHS trust or A81001 for a GP practice. Only for a Local Administrator."</div>
                            <FieldError id=ODS message=ods_error />
                            <input class="nhsuk-input nhsuk-input--width-10" class:nhsuk-input--error=ods_has_error id=ODS name="ods_code" type="text"
                                spellcheck="false" autocomplete="off" value=typed.ods_code.clone() aria-describedby="ods-code-hint" />
                        </div>
                    </div>
                    {radio(Role::Reviewer, "role-reviewer", "Decides on every organisation's requests.")}
                    {radio(Role::DeskAdmin, "role-desk-admin", "Manages the desk's accounts on these pages.")}
                </div>
            </fieldset>
        </div>
    }
}

/// `/accounts`.
#[component]
pub fn AccountsListPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new_blocking(|| (), |()| load_accounts());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (typed, errors) = {
                    let query = query.read();
                    let typed = Typed {
                        email: query.get("email").unwrap_or_default(),
                        role: query.get("role").as_deref().and_then(Role::parse),
                        ods_code: query.get("ods_code").unwrap_or_default(),
                    };
                    (typed, query.get("error").unwrap_or_default())
                };
                match page.await {
                    Ok(Access::Page(page)) => view! { <Accounts page typed errors /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Accounts(page: AccountsPage, typed: Typed, errors: String) -> impl IntoView {
    let problems = problems(&errors, &typed);
    let email_error = message_for(&problems, EMAIL);
    let email_has_error = email_error.is_some();
    let title = if problems.is_empty() {
        "Accounts"
    } else {
        "Error: Accounts"
    };
    view! {
        <PageTitle text=title />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-full">
                <ErrorSummary problems=problems.clone() />
                <h1>"Accounts"</h1>
                <p>"Everyone who may sign in to the desk, and what they may do. Changing someone's role or disabling them signs them out at once; every change is signed in the desk's log."</p>
                <Table id="accounts" caption="Accounts" headers=headers(["Email", "Role", "Organisation", "Status", "Last changed"])>
                    {page.accounts.into_iter().map(|account| view! { <AccountTableRow account /> }).collect_view()}
                </Table>
            </div>
        </div>
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                <h2 id="add">"Add an account"</h2>
                <form method="post" action="/accounts" novalidate>
                    <input type="hidden" name="csrf_token" value=page.csrf_token />
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=email_has_error>
                        <label class="nhsuk-label" for=EMAIL>"Email address"</label>
                        <div class="nhsuk-hint" id="email-hint">{if page.local_passwords {
                            "Their NHSmail address. They are emailed a link to set their password."
                        } else {
                            "Their NHSmail address: they sign in with NHSmail, and their first sign-in links it to this account."
                        }}</div>
                        <FieldError id=EMAIL message=email_error />
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" class:nhsuk-input--error=email_has_error id=EMAIL name="email" type="email"
                            spellcheck="false" autocomplete="off" value=typed.email.clone() aria-describedby="email-hint" />
                    </div>
                    <RoleFields typed problems />
                    <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Add the account"</button>
                </form>
            </div>
        </div>
    }
}

#[component]
fn AccountTableRow(account: AccountRow) -> impl IntoView {
    let organisation = account
        .organisation
        .as_ref()
        .map(OrganisationLabel::text)
        .unwrap_or_default();
    let changed = account
        .changed_at
        .as_deref()
        .map(date_text)
        .unwrap_or_else(|| "Not recorded".to_string());
    view! {
        <tr class="nhsuk-table__row" data-account=account.id.clone() data-email=account.email.clone()>
            <td class="nhsuk-table__cell"><a href=format!("/accounts/{}", account.id)>{account.email.clone()}</a></td>
            <td class="nhsuk-table__cell" data-role=account.role.as_str()>{account.role.text()}</td>
            <td class="nhsuk-table__cell">{organisation}</td>
            <td class="nhsuk-table__cell" data-status=if account.disabled { "disabled" } else { "active" }>
                {if account.disabled {
                    view! { <strong class="nhsuk-tag nhsuk-tag--grey">"Disabled"</strong> }.into_any()
                } else {
                    view! { <strong class="nhsuk-tag nhsuk-tag--green">"Active"</strong> }.into_any()
                }}
            </td>
            <td class="nhsuk-table__cell">{changed}</td>
        </tr>
    }
}

/// `/accounts/{id}`.
#[component]
pub fn AccountPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || params.read().get("id").unwrap_or_default(),
        load_account,
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (typed, done, errors) = {
                    let query = query.read();
                    let typed = query.get("role").map(|role| Typed {
                        email: String::new(),
                        role: Role::parse(&role),
                        ods_code: query.get("ods_code").unwrap_or_default(),
                    });
                    (typed, query.get("done"), query.get("error").unwrap_or_default())
                };
                match page.await {
                    Ok(Access::Page(detail)) => view! { <Account detail typed done errors /> }.into_any(),
                    Ok(refused) => view! { <Refused access=refused /> }.into_any(),
                    Err(_) => view! { <crate::pages::ServiceProblem /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Account(
    detail: AccountDetail,
    typed: Option<Typed>,
    done: Option<String>,
    errors: String,
) -> impl IntoView {
    let AccountDetail {
        account,
        history,
        own,
        csrf_token,
        local_passwords,
    } = detail;
    let typed = typed.unwrap_or_else(|| Typed {
        email: String::new(),
        role: Some(account.role),
        ods_code: account
            .organisation
            .as_ref()
            .map(|organisation| organisation.ods_code.clone())
            .unwrap_or_default(),
    });
    let problems = problems(&errors, &typed);
    let title = if problems.is_empty() {
        account.email.clone()
    } else {
        format!("Error: {}", account.email)
    };
    let email = account.email.clone();
    let banner = done.and_then(|done| {
        let (heading, more) = match done.as_str() {
            "added" if !local_passwords => (
                "The account is added".to_string(),
                format!("{email} can now sign in with NHSmail. Their first sign-in links their NHSmail account to this one."),
            ),
            "added" => (
                "The account is added".to_string(),
                format!("We emailed {email} a link to set their password. It works once, for 24 hours."),
            ),
            "role_changed" => (
                format!("{email} is now a {}", account.role.text()),
                "If they were signed in, they were signed out: they sign in again with the new role.".to_string(),
            ),
            "disabled" => (
                format!("{email} is disabled"),
                "They can no longer sign in, and were signed out everywhere.".to_string(),
            ),
            "enabled" => (
                format!("{email} is enabled"),
                "They can sign in again.".to_string(),
            ),
            "link_sent" => (
                "A link to set a new password was emailed".to_string(),
                format!("We emailed {email} a link to set a new password. It works once, for 24 hours; earlier links no longer work."),
            ),
            _ => return None,
        };
        Some(view! {
            <SuccessBanner id="done" heading=heading>
                <p class="nhsuk-body">{more}</p>
            </SuccessBanner>
        })
    });
    let organisation = account
        .organisation
        .as_ref()
        .map(OrganisationLabel::text)
        .unwrap_or_else(|| "None".to_string());
    let reset_error = message_for(&problems, "password-reset");
    let reset_has_error = reset_error.is_some();
    let path = format!("/accounts/{}", account.id);
    view! {
        <PageTitle text=title />
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                {banner}
                <ErrorSummary problems=problems.clone() />
                <span class="nhsuk-caption-l">"Account"</span>
                <h1 id="account-email">{account.email.clone()}</h1>
                <dl class="nhsuk-summary-list" id="account-summary">
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Role"</dt>
                        <dd class="nhsuk-summary-list__value" id="account-role">{account.role.text()}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Organisation"</dt>
                        <dd class="nhsuk-summary-list__value" id="account-organisation">{organisation}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Status"</dt>
                        <dd class="nhsuk-summary-list__value" id="account-status">{account.status_text()}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Added"</dt>
                        <dd class="nhsuk-summary-list__value">{date_text(&account.created_at)}</dd>
                    </div>
                </dl>

                <h2 id="role">"Change the role or organisation"</h2>
                {if own {
                    view! {
                        <div class="nhsuk-inset-text" id="own-role">
                            <span class="nhsuk-u-visually-hidden">"Information: "</span>
                            <p>"This is your own account: another desk administrator changes its role, so that the desk always has one."</p>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <form method="post" action=format!("{path}/role") novalidate>
                            <input type="hidden" name="csrf_token" value=csrf_token.clone() />
                            <RoleFields typed problems=problems.clone() />
                            <p>"They are signed out at once, and sign in again with the new role. Requests they submitted stay theirs: as a reviewer they still cannot decide on them."</p>
                            <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-module="nhsuk-button">"Change the role"</button>
                        </form>
                    }.into_any()
                }}

                <h2 id="access">{if account.disabled { "Enable the account" } else { "Disable the account" }}</h2>
                {if account.disabled {
                    view! {
                        <form method="post" action=format!("{path}/enable") novalidate>
                            <input type="hidden" name="csrf_token" value=csrf_token.clone() />
                            <p>"They can sign in again with their password (or set a new one with a link)."</p>
                            <button class="nhsuk-button nhsuk-button--secondary" type="submit" id="enable" data-module="nhsuk-button">"Enable the account"</button>
                        </form>
                    }.into_any()
                } else if own {
                    view! {
                        <div class="nhsuk-inset-text" id="own-disable">
                            <span class="nhsuk-u-visually-hidden">"Information: "</span>
                            <p>"This is your own account: you cannot disable it yourself."</p>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <form method="post" action=format!("{path}/disable") novalidate>
                            <input type="hidden" name="csrf_token" value=csrf_token.clone() />
                            <p>"For someone who has left, or should no longer use the desk: they are signed out everywhere at once and can no longer sign in. You can enable the account again."</p>
                            <button class="nhsuk-button nhsuk-button--warning" type="submit" id="disable" data-module="nhsuk-button">"Disable the account"</button>
                        </form>
                    }.into_any()
                }}

                <h2 id="password">"Password"</h2>
                {if !local_passwords {
                    view! { <p id="password-reset">"People sign in to this desk with NHSmail: there is no password here to set. A forgotten NHSmail password is reset by their NHSmail Local Administrator."</p> }.into_any()
                } else if account.disabled {
                    view! { <p id="password-reset">"A disabled account gets no link to set a password: enable it first."</p> }.into_any()
                } else {
                    view! {
                        <form method="post" action=format!("{path}/password-reset") novalidate>
                            <input type="hidden" name="csrf_token" value=csrf_token.clone() />
                            <div class="nhsuk-form-group" class:nhsuk-form-group--error=reset_has_error>
                                <FieldError id="password-reset" message=reset_error />
                                <p>"For a forgotten password: we email them a link to set a new one. It works once, for 24 hours. Nobody else sees the link, and their password stays as it is until they use it."</p>
                                <button class="nhsuk-button nhsuk-button--secondary" type="submit" id="password-reset" data-module="nhsuk-button">"Email a password reset link"</button>
                            </div>
                        </form>
                    }.into_any()
                }}

                <h2 id="history">"Changes"</h2>
                {if history.is_empty() {
                    view! { <p id="no-history">"No signed changes: the account was made before account changes were signed, and has not changed since."</p> }.into_any()
                } else {
                    view! {
                        <Table id="account-history" caption="Changes to this account, oldest first" headers=headers(["When", "What", "By"])>
                            {history.into_iter().map(|change| view! {
                                <tr class="nhsuk-table__row" data-change=change.change.clone()>
                                    <td class="nhsuk-table__cell">{date_time_text(&change.at)}</td>
                                    <td class="nhsuk-table__cell">{change.change_text()}</td>
                                    <td class="nhsuk-table__cell">{change.by_text()}</td>
                                </tr>
                            }).collect_view()}
                        </Table>
                    }.into_any()
                }}
                <p><a href="/accounts">"Back to the accounts"</a></p>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_code_is_named_for_its_field_and_unknown_ones_are_not_lost() {
        let typed = Typed {
            email: "jo@nhs.net".into(),
            role: Some(Role::LocalAdmin),
            ods_code: "ZZZ9".into(),
        };
        let found = problems("email_taken,ods_unknown", &typed);
        assert_eq!(
            found,
            vec![
                Problem {
                    field: EMAIL,
                    message: "An account with this email already exists".into()
                },
                Problem {
                    field: ODS,
                    message: "The directory does not know the ODS code ZZZ9: check it on ODS Data Search and Export".into()
                },
            ]
        );
        assert!(problems("", &typed).is_empty());
        assert_eq!(problems("nonsense", &typed).len(), 1);
        // One's own account's page has no such forms: the summary links to why.
        assert_eq!(problems("own_disable", &typed)[0].field, "own-disable");
        assert_eq!(problems("own_role", &typed)[0].field, "own-role");
    }
}
