//! The desk administrator's Accounts pages (docs/sign-in.md): the server's side of `/accounts`
//! and `/accounts/{id}` ([`list`] and [`detail`], which `PagesBackend` answers `app`'s server
//! functions with), and their plain form posts, each answered with `303 See Other` back to the
//! page (post/redirect/get) with `?done=` or `?error=` codes and the values typed:
//!
//! - `POST /accounts` (`email`, `role`, `ods_code`): adds an account, then emails it a one-time
//!   link to set its password;
//! - `POST /accounts/{id}/role` (`role`, `ods_code`): changes its role or organisation;
//! - `POST /accounts/{id}/disable`, `POST /accounts/{id}/enable`;
//! - `POST /accounts/{id}/password-reset`: emails it a one-time link.
//!
//! Every post needs a signed-in desk administrator and the session's CSRF token
//! ([`FormPost`]). The work is `identity::accounts`'s, the same as `appreg user …`: each change
//! is signed in the log, a role change or disabling ends the account's sessions, and a desk
//! administrator cannot lock their own account out.

use app::backend::accounts::{AccountChangeRow, AccountDetail, AccountRow, AccountsPage};
use app::backend::{Access, OrganisationLabel, PageError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use registration::FindingCode;
use registration::directory::OrganisationDirectory;
use registration::rules::ods::OdsCode;
use time::OffsetDateTime;

use super::AppState;
use super::form_post::{FormPost, plain};
use super::pages::{internal, signed_in_from_context};
use crate::identity::accounts::{self, AccountError, ResetError, RoleError};
use crate::identity::{DeskAdmin, Role, require_desk_admin};
use crate::store::users::{self, User};

/// What a desk administrator is told when the desk failed to store a change (the cause is logged).
const NOT_CHANGED: &str = "Sorry, the account could not be changed. Please go back and try again.";

/// What a post about an account that does not exist is told.
const NO_SUCH_ACCOUNT: &str = "There is no such account. Go back to the accounts and try again.";

/// The signed-in desk administrator and the session's CSRF token as a page carries it, or what
/// to answer anyone else.
async fn desk_admin<T>(
    state: &AppState,
) -> Result<Result<(DeskAdmin, String), Access<T>>, PageError> {
    let Some(signed_in) = signed_in_from_context(state).await.map_err(internal)? else {
        return Ok(Err(Access::SignIn));
    };
    Ok(match require_desk_admin(&signed_in.identity) {
        Ok(admin) => Ok((admin, signed_in.session.csrf_token_for_page())),
        Err(_) => Err(Access::OnlyFor(Role::DeskAdmin)),
    })
}

fn row(state: &AppState, user: User, changed_at: Option<String>) -> AccountRow {
    AccountRow {
        organisation: user.ods_code.map(|ods_code| OrganisationLabel {
            name: state
                .directory
                .organisation(&ods_code)
                .map(|organisation| organisation.name),
            ods_code,
        }),
        id: user.id,
        email: user.email,
        role: user.role,
        disabled: user.disabled_at.is_some(),
        created_at: user.created_at,
        changed_at,
    }
}

/// The Accounts page: every account, for a signed-in desk administrator.
pub async fn list(state: &AppState) -> Result<Access<AccountsPage>, PageError> {
    let csrf_token = match desk_admin(state).await? {
        Ok((_, csrf_token)) => csrf_token,
        Err(refused) => return Ok(refused),
    };
    let accounts = users::list_with_last_change(&state.pool)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|(user, changed_at)| row(state, user, changed_at))
        .collect();
    Ok(Access::Page(AccountsPage {
        accounts,
        csrf_token,
        local_passwords: state.sign_in.local,
    }))
}

/// One account's page, for a signed-in desk administrator.
pub async fn detail(state: &AppState, id: String) -> Result<Access<AccountDetail>, PageError> {
    let (admin, csrf_token) = match desk_admin(state).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let Some(user) = users::get(&state.pool, &id).await.map_err(internal)? else {
        return Ok(Access::NotFound);
    };
    let history: Vec<AccountChangeRow> = accounts::history(&state.pool, &user.id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|entry| AccountChangeRow {
            change: entry.change,
            by: entry.by,
            at: entry.at,
            role: entry.role,
            ods_code: entry.ods_code,
        })
        .collect();
    let changed_at = history.last().map(|change| change.at.clone());
    Ok(Access::Page(AccountDetail {
        own: user.id == admin.user_id(),
        account: row(state, user, changed_at),
        history,
        csrf_token,
        local_passwords: state.sign_in.local,
    }))
}

/// `page?done=…` or `page?error=…&…`: the page again, with the query `pairs` (each value
/// percent-encoded, a space as `%20`, which every query reader reads back the same; the commas
/// between error codes stay as they are, as a query may have them).
fn back(page: &str, pairs: &[(&str, &str)]) -> Response {
    let query: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let value = app::backend::encode_query_value(value).replace("%2C", ",");
            format!("{name}={value}")
        })
        .collect();
    Redirect::to(&format!("{page}?{}", query.join("&"))).into_response()
}

/// The `?error=` code of an ODS code the rules refused: `ods_format`, `ods_unknown`,
/// `ods_closed` (`ods_missing` for none).
fn ods_error(error: &RoleError) -> &'static str {
    match error {
        RoleError::OrganisationNeeded => "ods_missing",
        RoleError::NoOrganisation(_) => "ods_not_for_role",
        RoleError::Ods(finding) => match finding.code {
            FindingCode::Ods(OdsCode::Required) => "ods_missing",
            FindingCode::Ods(OdsCode::Unknown) => "ods_unknown",
            FindingCode::Ods(OdsCode::Closed) => "ods_closed",
            _ => "ods_format",
        },
    }
}

/// The role and organisation a form names: the role's `?error=` code when there is none, or the
/// ODS code's when the role needs one and it will not do. The ODS field is read only for a
/// Local Administrator (the page keeps it in the form whatever role is chosen).
fn role_and_organisation(
    state: &AppState,
    role: &str,
    ods_code: &str,
) -> Result<(Role, Option<String>), &'static str> {
    let role = Role::parse(role).ok_or("role_missing")?;
    let ods_code = Some(ods_code.trim()).filter(|code| role.has_organisation() && !code.is_empty());
    let directory: &dyn OrganisationDirectory = &*state.directory;
    accounts::organisation_for(role, ods_code, directory)
        .map(|organisation| (role, organisation.map(|(code, _name)| code)))
        .map_err(|error| ods_error(&error))
}

/// `POST /accounts` with `email`, `role` and `ods_code`: adds the account (signed, by the desk
/// administrator) with a password no one knows, and emails it a one-time link to set one; then
/// to the account's page (`?done=added`). Back to `/accounts` with `?error=` codes
/// (`email_missing`, `email_invalid`, `email_taken`, `role_missing`, `ods_missing`,
/// `ods_format`, `ods_unknown`, `ods_closed`) and what was typed.
pub async fn add(State(state): State<AppState>, post: FormPost<DeskAdmin>) -> Response {
    let typed_email = post.field("email").unwrap_or("").trim().to_string();
    let typed_role = post.field("role").unwrap_or("").to_string();
    let typed_ods = post.field("ods_code").unwrap_or("").trim().to_string();
    let email = crate::identity::normalise_email(&typed_email);
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push("email_missing");
    } else if !crate::identity::is_plausible_email(&email) {
        errors.push("email_invalid");
    }
    let chosen = role_and_organisation(&state, &typed_role, &typed_ods)
        .map_err(|code| errors.push(code))
        .ok();
    let refused = |errors: &[&str]| {
        back(
            "/accounts",
            &[
                ("error", &errors.join(",")),
                ("email", &typed_email),
                ("role", &typed_role),
                ("ods_code", &typed_ods),
            ],
        )
    };
    let (Some((role, ods_code)), true) = (chosen, errors.is_empty()) else {
        return refused(&errors);
    };
    let now = OffsetDateTime::now_utc();
    let added = accounts::add_by(
        state.change_log(),
        &post.capability,
        email.clone(),
        role,
        ods_code,
        now,
    )
    .await;
    let user = match added {
        Ok(changed) => changed.user,
        Err(AccountError::Duplicate(_)) => return refused(&["email_taken"]),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "an account could not be added");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, NOT_CHANGED);
        }
    };
    tracing::info!(account = %user.id, role = user.role.as_str(), by = %post.capability.user_id(), "an account was added");
    let page = format!("/accounts/{}", user.id);
    // With local passwords off, people sign in with NHSmail: there is no password to set.
    if !state.sign_in.local {
        return back(&page, &[("done", "added")]);
    }
    match email_link(&state, &user.email, now).await {
        Ok(()) => back(&page, &[("done", "added")]),
        Err(code) => back(&page, &[("done", "added"), ("error", code)]),
    }
}

/// Emails the account a one-time link to set its password; the `?error=` code when it was not.
async fn email_link(
    state: &AppState,
    email: &str,
    now: OffsetDateTime,
) -> Result<(), &'static str> {
    match accounts::email_password_reset(
        &state.pool,
        &state.mailer,
        state.keys.issuer(),
        email,
        now,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(ResetError::Disabled(_)) => Err("link_disabled"),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "a link to set a password was not sent");
            Err("link_not_sent")
        }
    }
}

/// The account a post names by its id, or the answer for one that does not exist.
async fn account(state: &AppState, id: &str) -> Result<User, Response> {
    match users::get(&state.pool, id).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(plain(StatusCode::NOT_FOUND, NO_SUCH_ACCOUNT)),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "an account could not be read");
            Err(plain(StatusCode::INTERNAL_SERVER_ERROR, NOT_CHANGED))
        }
    }
}

/// `POST /accounts/{id}/role` with `role` and `ods_code`: moves the account to that role (and
/// organisation, for a Local Administrator); its sessions end at once. Back with
/// `?done=role_changed`, or `?error=` (`role_missing`, the ODS codes of [`add`], `unchanged`,
/// `own_role`) and what was typed.
pub async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: FormPost<DeskAdmin>,
) -> Response {
    let user = match account(&state, &id).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let page = format!("/accounts/{}", user.id);
    let typed_role = post.field("role").unwrap_or("").to_string();
    let typed_ods = post.field("ods_code").unwrap_or("").trim().to_string();
    let refused = |code: &str| {
        back(
            &page,
            &[
                ("error", code),
                ("role", &typed_role),
                ("ods_code", &typed_ods),
            ],
        )
    };
    let (role, ods_code) = match role_and_organisation(&state, &typed_role, &typed_ods) {
        Ok(chosen) => chosen,
        Err(code) => return refused(code),
    };
    if role == user.role && ods_code == user.ods_code {
        return refused("unchanged");
    }
    let changed = accounts::set_role_by(
        state.change_log(),
        &post.capability,
        &user.email,
        role,
        ods_code.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await;
    match changed {
        Ok(changed) => {
            tracing::info!(account = %changed.user.id, role = role.as_str(), sessions_ended = changed.sessions_ended, by = %post.capability.user_id(), "an account's role was changed");
            back(&page, &[("done", "role_changed")])
        }
        Err(AccountError::OwnAccount) => refused("own_role"),
        Err(AccountError::NoSuchAccount(_)) => plain(StatusCode::NOT_FOUND, NO_SUCH_ACCOUNT),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "an account's role could not be changed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, NOT_CHANGED)
        }
    }
}

/// `POST /accounts/{id}/disable`: the account can no longer sign in and its sessions end at
/// once (`?done=disabled`; `?error=own_disable` for the desk administrator's own).
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: FormPost<DeskAdmin>,
) -> Response {
    set_disabled(&state, &id, &post.capability, true).await
}

/// `POST /accounts/{id}/enable`: the account may sign in again (`?done=enabled`).
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: FormPost<DeskAdmin>,
) -> Response {
    set_disabled(&state, &id, &post.capability, false).await
}

async fn set_disabled(state: &AppState, id: &str, admin: &DeskAdmin, disabled: bool) -> Response {
    let user = match account(state, id).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let page = format!("/accounts/{}", user.id);
    let changed = accounts::set_disabled_by(
        state.change_log(),
        admin,
        &user.email,
        disabled,
        OffsetDateTime::now_utc(),
    )
    .await;
    let done = if disabled { "disabled" } else { "enabled" };
    match changed {
        // Already so (a second click): nothing changed, and the page says what it is.
        Ok(changed) => {
            if let Some(changed) = changed {
                tracing::info!(account = %changed.user.id, disabled, sessions_ended = changed.sessions_ended, by = %admin.user_id(), "an account was disabled or enabled");
            }
            back(&page, &[("done", done)])
        }
        Err(AccountError::OwnAccount) => back(&page, &[("error", "own_disable")]),
        Err(AccountError::NoSuchAccount(_)) => plain(StatusCode::NOT_FOUND, NO_SUCH_ACCOUNT),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "an account could not be disabled or enabled");
            plain(StatusCode::INTERNAL_SERVER_ERROR, NOT_CHANGED)
        }
    }
}

/// `POST /accounts/{id}/password-reset`: emails the account a one-time link to set a new
/// password (`?done=link_sent`; `?error=link_disabled` for a disabled account, `link_not_sent`
/// when the email could not be sent).
pub async fn password_reset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: FormPost<DeskAdmin>,
) -> Response {
    let user = match account(&state, &id).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let page = format!("/accounts/{}", user.id);
    if !state.sign_in.local {
        return back(&page, &[("error", "local_off")]);
    }
    match email_link(&state, &user.email, OffsetDateTime::now_utc()).await {
        Ok(()) => {
            tracing::info!(account = %user.id, by = %post.capability.user_id(), "a link to set a password was emailed");
            back(&page, &[("done", "link_sent")])
        }
        Err(code) => back(&page, &[("error", code)]),
    }
}
