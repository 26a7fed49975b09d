//! Changes of accounts (issue 17, part 3): adding one, changing its role or organisation,
//! disabling and enabling it, emailing a one-time link to set its password. One code path for
//! both doors: `appreg user …` on the desk's machine, and a desk administrator's Accounts page
//! (`web::accounts_pages`), whose `…_by` functions add the guard rails a page needs (a desk
//! administrator cannot lock their own account out).
//!
//! Each change is made under the desk's writer, in one transaction with a signed entry of the
//! log (`account_change`, JWS `typ` `appreg-account-change+jwt`): who the account is, what it is
//! now (role, organisation, disabled or not), what changed, who changed it and when. A change of
//! role or organisation, and disabling, **end the account's sessions at once**: the person signs
//! in again and gets what they may do now. `appreg log verify` checks that each account's row
//! says what its last signed change says.

use serde_json::json;
use time::OffsetDateTime;

use registration::directory::OrganisationDirectory;
use registration::{Finding, Severity};

use super::{DeskAdmin, Role};
use crate::signing::{self, KeyRing, jws};
use crate::store::log::{ACCOUNT_PREFIX, Kind};
use crate::store::users::{self, NewUser, SetRoleError, User};
use crate::store::{WriteLock, timestamp};

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It was made.
    Added,
    /// Its role or organisation changed.
    RoleChanged,
    /// It may no longer sign in.
    Disabled,
    /// It may sign in again.
    Enabled,
    /// Its local password was set anew through a one-time link.
    PasswordReset,
    /// Its holder changed its local password (knowing the current one).
    PasswordChanged,
    /// Its holder signed in with an OpenID provider for the first time, and that provider's
    /// subject was linked to it (by the verified email it was made with).
    SignInLinked,
}

impl Change {
    /// The signed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::RoleChanged => "role_changed",
            Change::Disabled => "disabled",
            Change::Enabled => "enabled",
            Change::PasswordReset => "password_reset",
            Change::PasswordChanged => "password_changed",
            Change::SignInLinked => "sign_in_linked",
        }
    }
}

/// Why an account was not changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No account has this email.
    #[error("there is no account with the email {0}")]
    NoSuchAccount(String),
    /// Another account has this email.
    #[error("there is already an account with the email {0}")]
    Duplicate(String),
    /// A desk administrator cannot disable their own account or take their own `desk_admin`
    /// role away (the desk could lock itself out): another desk administrator, or
    /// `appreg user …` on the desk's machine, can.
    #[error(
        "a desk administrator cannot disable their own account or take their own desk_admin role away"
    )]
    OwnAccount,
    /// The database failed; nothing changed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl From<SetRoleError> for AccountError {
    fn from(error: SetRoleError) -> Self {
        match error {
            SetRoleError::NoSuchAccount(email) => AccountError::NoSuchAccount(email),
            SetRoleError::Database(error) => AccountError::Store(error),
        }
    }
}

/// A change made: the account as it is now, the sessions it ended, its log entry.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The account now.
    pub user: User,
    /// Sessions ended by the change.
    pub sessions_ended: u64,
    /// The signed change's log entry.
    pub log_seq: i64,
}

/// Where a change is made and signed: the database, the signing keys and the desk's writer.
#[derive(Clone, Copy)]
pub struct ChangeLog<'a> {
    /// The database.
    pub pool: &'a sqlx::AnyPool,
    /// The signing keys.
    pub keys: &'a KeyRing,
    /// The desk's single writer (changes are appended to the log in its batches).
    pub writer: &'a WriteLock,
}

/// Who makes a change: `cli` for `appreg user …` on the desk's machine, or an account's email.
#[derive(Debug, Clone, Copy)]
pub struct By<'a>(pub &'a str);

/// Adds an account (`new.email` lower-case, `new.password_hash` a PHC string).
///
/// # Errors
/// [`AccountError::Duplicate`], or the database.
pub async fn add(
    log: ChangeLog<'_>,
    new: OwnedNewUser,
    by: By<'_>,
    now: OffsetDateTime,
) -> Result<Changed, AccountError> {
    let by = by.0.to_string();
    log.writer
        .write(log.pool, log.keys, move |connection, batch| {
            Box::pin(async move {
                let user = users::add_in(
                    connection,
                    NewUser {
                        email: &new.email,
                        role: new.role,
                        ods_code: new.ods_code.as_deref(),
                        password_hash: &new.password_hash,
                    },
                    now,
                )
                .await
                .map_err(|error| match error {
                    users::AddError::Duplicate(email) => AccountError::Duplicate(email),
                    users::AddError::Database(error) => AccountError::Store(error),
                })?;
                sign(connection, batch, user, Change::Added, 0, &by, now).await
            })
        })
        .await
}

/// An account to add, owned (it is stored in the writer's batch, after its caller returned).
#[derive(Debug, Clone)]
pub struct OwnedNewUser {
    /// Lower-case email address.
    pub email: String,
    /// The role.
    pub role: Role,
    /// The organisation (Local Administrators only).
    pub ods_code: Option<String>,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// Moves the account with this (lower-case) email to `role` for `ods_code`, and ends its
/// sessions.
///
/// # Errors
/// [`AccountError::NoSuchAccount`], or the database.
pub async fn set_role(
    log: ChangeLog<'_>,
    email: &str,
    role: Role,
    ods_code: Option<&str>,
    by: By<'_>,
    now: OffsetDateTime,
) -> Result<Changed, AccountError> {
    let (email, ods_code, by) = (
        email.to_string(),
        ods_code.map(str::to_string),
        by.0.to_string(),
    );
    log.writer
        .write(log.pool, log.keys, move |connection, batch| {
            Box::pin(async move {
                let user =
                    users::set_role_in(connection, &email, role, ods_code.as_deref()).await?;
                let ended = crate::store::sessions::delete_all_of_in(connection, &user.id).await?;
                sign(
                    connection,
                    batch,
                    user,
                    Change::RoleChanged,
                    ended,
                    &by,
                    now,
                )
                .await
            })
        })
        .await
}

/// Disables (`disabled`) or enables the account with this (lower-case) email; disabling ends
/// its sessions. Disabling a disabled account (or enabling an enabled one) changes nothing and
/// signs nothing: `Ok(None)`.
///
/// # Errors
/// [`AccountError::NoSuchAccount`], or the database.
pub async fn set_disabled(
    log: ChangeLog<'_>,
    email: &str,
    disabled: bool,
    by: By<'_>,
    now: OffsetDateTime,
) -> Result<Option<Changed>, AccountError> {
    let (email, by) = (email.to_string(), by.0.to_string());
    log.writer
        .write(log.pool, log.keys, move |connection, batch| {
            Box::pin(async move {
                let before = users::find_in(connection, &email)
                    .await?
                    .ok_or_else(|| AccountError::NoSuchAccount(email.clone()))?;
                if before.disabled_at.is_some() == disabled {
                    return Ok(None);
                }
                let at = disabled.then(|| timestamp(now));
                let user = users::set_disabled_in(connection, &email, at.as_deref()).await?;
                let (change, ended) = if disabled {
                    let ended =
                        crate::store::sessions::delete_all_of_in(connection, &user.id).await?;
                    (Change::Disabled, ended)
                } else {
                    (Change::Enabled, 0)
                };
                sign(connection, batch, user, change, ended, &by, now)
                    .await
                    .map(Some)
            })
        })
        .await
}

/// Adds an account from the Accounts page, by the desk administrator `admin`: with a password
/// that no one knows (256 random bits, hashed as any password is), which its holder replaces
/// through the one-time link [`email_password_reset`] sends them.
///
/// # Errors
/// [`AccountError::Duplicate`], or the database.
pub async fn add_by(
    log: ChangeLog<'_>,
    admin: &DeskAdmin,
    email: String,
    role: Role,
    ods_code: Option<String>,
    now: OffsetDateTime,
) -> Result<Changed, AccountError> {
    // Hashing is slow on purpose: off the async threads.
    let password_hash = tokio::task::spawn_blocking(|| {
        super::passwords::hash(&super::passwords::Password::new(crate::random::random_hex(
            32,
        )))
    })
    .await
    .map_err(|error| anyhow::anyhow!("the password could not be hashed: {error}"))??;
    let new = OwnedNewUser {
        email,
        role,
        ods_code,
        password_hash,
    };
    add(log, new, By(admin.email()), now).await
}

/// As [`set_role`], by the desk administrator `admin`: refused with [`AccountError::OwnAccount`]
/// when it would move their own account out of `desk_admin`.
///
/// # Errors
/// [`AccountError::OwnAccount`], [`AccountError::NoSuchAccount`], or the database.
pub async fn set_role_by(
    log: ChangeLog<'_>,
    admin: &DeskAdmin,
    email: &str,
    role: Role,
    ods_code: Option<&str>,
    now: OffsetDateTime,
) -> Result<Changed, AccountError> {
    if email == admin.email() && role != Role::DeskAdmin {
        return Err(AccountError::OwnAccount);
    }
    set_role(log, email, role, ods_code, By(admin.email()), now).await
}

/// As [`set_disabled`], by the desk administrator `admin`: refused with
/// [`AccountError::OwnAccount`] when it would disable their own account.
///
/// # Errors
/// [`AccountError::OwnAccount`], [`AccountError::NoSuchAccount`], or the database.
pub async fn set_disabled_by(
    log: ChangeLog<'_>,
    admin: &DeskAdmin,
    email: &str,
    disabled: bool,
    now: OffsetDateTime,
) -> Result<Option<Changed>, AccountError> {
    if disabled && email == admin.email() {
        return Err(AccountError::OwnAccount);
    }
    set_disabled(log, email, disabled, By(admin.email()), now).await
}

/// Why a role and ODS code do not fit together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoleError {
    /// A reviewer or a desk administrator acts for no organisation: there must be no ODS code.
    #[error("a {} acts for no organisation", .0.as_str())]
    NoOrganisation(Role),
    /// A Local Administrator acts for one organisation: its ODS code is needed.
    #[error("a Local Administrator acts for one organisation")]
    OrganisationNeeded,
    /// The ODS code is not a well-formed code of an open organisation the directory knows: the
    /// ODS rules' finding (the same rules as a request's `ods_code`).
    #[error("{} {}", .0.message, .0.hint)]
    Ods(Box<Finding>),
}

/// The organisation an account of `role` acts for, from the ODS code given (if any): `None`
/// for a reviewer or desk administrator; for a Local Administrator, the organisation's
/// canonical ODS code and name, checked with the same ODS rules as a request (well-formed, known
/// to `directory`, not closed).
///
/// # Errors
/// [`RoleError`]: a code given for a role without one, none for a Local Administrator, or a
/// code the ODS rules refuse.
pub fn organisation_for(
    role: Role,
    ods_code: Option<&str>,
    directory: &dyn OrganisationDirectory,
) -> Result<Option<(String, String)>, RoleError> {
    match (role.has_organisation(), ods_code) {
        (false, None) => Ok(None),
        (false, Some(_)) => Err(RoleError::NoOrganisation(role)),
        (true, None) => Err(RoleError::OrganisationNeeded),
        (true, Some(code)) => {
            let mut findings = Vec::new();
            let outcome = registration::rules::ods::check(code, directory, &mut findings);
            if let Some(error) = findings
                .into_iter()
                .find(|finding| finding.severity == Severity::Error)
            {
                return Err(RoleError::Ods(Box::new(error)));
            }
            match (outcome.canonical, outcome.organisation) {
                (Some(code), Some(organisation)) => Ok(Some((code, organisation.name))),
                // The rules report an unknown code as an error, so this is not reached.
                _ => Err(RoleError::Ods(Box::new(Finding::new(
                    registration::rules::ods::OdsCode::Unknown,
                    "ods_code",
                    "The directory does not know this organisation.",
                    "Check the ODS code on ODS Data Search and Export (odsdatasearchandexport.nhs.uk).",
                )))),
            }
        }
    }
}

/// How long a one-time link to set a new password works.
pub const RESET_LINK_LASTS: time::Duration = time::Duration::hours(24);

/// Why a one-time password link was not made or not used.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// No account has this email.
    #[error("there is no account with the email {0}")]
    NoSuchAccount(String),
    /// The account is disabled: enable it first.
    #[error("the account {0} is disabled: enable it first (appreg user enable)")]
    Disabled(String),
    /// The link is unknown, was used, or has expired.
    #[error("the link is not valid: it was used, it has expired, or it never existed")]
    LinkNotValid,
    /// The link was made but its email could not be sent (a newer link replaces it).
    #[error("the email with the link could not be sent: {0:#}")]
    NotSent(anyhow::Error),
    /// The database failed; nothing changed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Makes a one-time link for the account with this (lower-case) email to set a new local
/// password, valid for [`RESET_LINK_LASTS`]: the account, the link's token (to put in the email,
/// and nowhere else) and until when it works. Earlier links of the account stop working.
///
/// # Errors
/// [`ResetError::NoSuchAccount`], [`ResetError::Disabled`], or the database.
pub async fn start_password_reset(
    pool: &sqlx::AnyPool,
    email: &str,
    now: OffsetDateTime,
) -> Result<(User, super::sessions::SessionToken, OffsetDateTime), ResetError> {
    let mut connection = pool.acquire().await.map_err(anyhow::Error::from)?;
    let user = users::find_in(&mut connection, email)
        .await?
        .ok_or_else(|| ResetError::NoSuchAccount(email.to_string()))?;
    if user.disabled_at.is_some() {
        return Err(ResetError::Disabled(user.email));
    }
    let token = super::sessions::SessionToken::generate();
    let until = now + RESET_LINK_LASTS;
    crate::store::password_resets::replace_in(&mut connection, &token.id(), &user.id, now, until)
        .await?;
    Ok((user, token, until))
}

/// Emails the account with this (lower-case) email a one-time link to set a new local password
/// ([`start_password_reset`]): `site` is the desk's public address, which the link starts with.
/// The link is in the email only (neither returned nor logged). Returns the account and until
/// when the link works.
///
/// # Errors
/// [`ResetError::NoSuchAccount`], [`ResetError::Disabled`], [`ResetError::NotSent`], or the
/// database.
pub async fn email_password_reset(
    pool: &sqlx::AnyPool,
    mailer: &crate::notify::Mailer,
    site: &str,
    email: &str,
    now: OffsetDateTime,
) -> Result<(User, OffsetDateTime), ResetError> {
    let (user, token, until) = start_password_reset(pool, email, now).await?;
    let link = format!(
        "{}/reset-password/{}",
        site.trim_end_matches('/'),
        token.expose()
    );
    let until_text = crate::reminders::long_date(until);
    mailer
        .send(&crate::notify::password_reset_link(
            &user.email,
            &link,
            &until_text,
        ))
        .await
        .map_err(ResetError::NotSent)?;
    Ok((user, until))
}

/// One signed change of an account, as the Accounts page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// What changed (`added`, `role_changed`, …: [`Change::as_str`]).
    pub change: String,
    /// Who made it: `cli`, or an account's email.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The account's role after it.
    pub role: String,
    /// The account's organisation after it.
    pub ods_code: Option<String>,
    /// Whether the account was disabled after it.
    pub disabled: bool,
}

/// The signed changes of the account `user_id`, oldest first (their claims as the log holds
/// them; `appreg log verify` checks their signatures and chain).
///
/// # Errors
/// The database.
pub async fn history(pool: &sqlx::AnyPool, user_id: &str) -> anyhow::Result<Vec<HistoryEntry>> {
    let rows = crate::store::log::entries_about(
        pool,
        Kind::AccountChange,
        &format!("{ACCOUNT_PREFIX}{user_id}"),
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(jws, created_at)| {
            let claims = crate::store::audit::claims_of(&jws)?;
            let text = |name: &str| {
                claims
                    .get(name)
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
            };
            Some(HistoryEntry {
                change: text("change")?,
                by: text("by").unwrap_or_default(),
                at: text("at").unwrap_or(created_at),
                role: text("role").unwrap_or_default(),
                ods_code: text("ods_code"),
                disabled: claims
                    .get("disabled")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
            })
        })
        .collect())
}

/// The email of the account whose one-time link `token` is, while it works.
///
/// # Errors
/// The database.
pub async fn password_reset_for(
    pool: &sqlx::AnyPool,
    token: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Option<String>> {
    let mut connection = pool.acquire().await?;
    let id = super::sessions::SessionToken::new(token).id();
    let Some(user_id) = crate::store::password_resets::peek_in(&mut connection, &id, now).await?
    else {
        return Ok(None);
    };
    Ok(users::get(pool, &user_id)
        .await?
        .filter(|user| user.disabled_at.is_none())
        .map(|user| user.email))
}

/// Uses the one-time link `token` to set the account's password hash (`password_hash`, already
/// hashed from a password that passed the strength check): once, before it expires. The
/// account's sessions end (whoever held one must sign in with the new password) and the change
/// is signed.
///
/// # Errors
/// [`ResetError::LinkNotValid`], or the database.
pub async fn reset_password(
    log: ChangeLog<'_>,
    token: &str,
    password_hash: String,
    now: OffsetDateTime,
) -> Result<Changed, ResetError> {
    let id = super::sessions::SessionToken::new(token).id();
    log.writer
        .write(log.pool, log.keys, move |connection, batch| {
            Box::pin(async move {
                let user_id = crate::store::password_resets::take_in(connection, &id, now)
                    .await?
                    .ok_or(ResetError::LinkNotValid)?;
                let user = users::set_password_hash_in(connection, &user_id, &password_hash)
                    .await?
                    .filter(|user| user.disabled_at.is_none())
                    .ok_or(ResetError::LinkNotValid)?;
                let ended = crate::store::sessions::delete_all_of_in(connection, &user.id).await?;
                let by = user.email.clone();
                sign(
                    connection,
                    batch,
                    user,
                    Change::PasswordReset,
                    ended,
                    &by,
                    now,
                )
                .await
                .map_err(|error| match error {
                    AccountError::Store(error) => ResetError::Store(error),
                    other => ResetError::Store(anyhow::anyhow!("{other}")),
                })
            })
        })
        .await
}

/// The account `user_id`'s holder, signed in with session `keep_session`, sets its password
/// hash (`password_hash`, from a password that passed the strength check, after the current one
/// was checked): its other sessions end (a session someone else may hold on another machine),
/// this one stays, and the change is signed.
///
/// # Errors
/// [`AccountError::NoSuchAccount`], or the database.
pub async fn change_password(
    log: ChangeLog<'_>,
    user_id: &str,
    keep_session: &str,
    password_hash: String,
    now: OffsetDateTime,
) -> Result<Changed, AccountError> {
    let (user_id, keep_session) = (user_id.to_string(), keep_session.to_string());
    log.writer
        .write(log.pool, log.keys, move |connection, batch| {
            Box::pin(async move {
                let user = users::set_password_hash_in(connection, &user_id, &password_hash)
                    .await?
                    .ok_or_else(|| AccountError::NoSuchAccount(user_id.clone()))?;
                let ended = crate::store::sessions::delete_others_of_in(
                    connection,
                    &user.id,
                    &keep_session,
                )
                .await?;
                let by = user.email.clone();
                sign(
                    connection,
                    batch,
                    user,
                    Change::PasswordChanged,
                    ended,
                    &by,
                    now,
                )
                .await
            })
        })
        .await
}

/// What [`link_sign_in`] did.
#[derive(Debug, Clone)]
pub enum Linking {
    /// Linked now, and signed.
    Linked(Changed),
    /// It was linked already (another sign-in of the same person finished first): nothing new
    /// is signed.
    AlreadyLinked(User),
    /// The account is linked to another subject of that issuer, or the subject to another
    /// account: nothing changed.
    Refused,
}

/// Links the OpenID provider `issuer`'s `subject` to the account `user_id` (its holder's first
/// sign-in with that provider, matched by verified email), signed as [`Change::SignInLinked`]
/// with the issuer and subject.
///
/// # Errors
/// [`AccountError::NoSuchAccount`], or the database.
pub async fn link_sign_in(
    log: ChangeLog<'_>,
    user_id: &str,
    issuer: &str,
    subject: &str,
    now: OffsetDateTime,
) -> Result<Linking, AccountError> {
    let (user_id, issuer, subject) = (user_id.to_string(), issuer.to_string(), subject.to_string());
    log.writer
        .write(log.pool, log.keys, move |connection, batch| {
            Box::pin(async move {
                let user = users::get_in(connection, &user_id)
                    .await?
                    .ok_or_else(|| AccountError::NoSuchAccount(user_id.clone()))?;
                match crate::store::oidc::link_in(connection, &issuer, &subject, &user.id, now)
                    .await?
                {
                    crate::store::oidc::Link::Made => {}
                    crate::store::oidc::Link::Existed => return Ok(Linking::AlreadyLinked(user)),
                    crate::store::oidc::Link::Refused => return Ok(Linking::Refused),
                }
                let by = user.email.clone();
                let detail = json!({ "sign_in": { "issuer": issuer, "subject": subject } });
                sign_with(
                    connection,
                    batch,
                    user,
                    Change::SignInLinked,
                    (0, Some(detail)),
                    &by,
                    now,
                )
                .await
                .map(Linking::Linked)
            })
        })
        .await
}

/// The claims of an account's change: the account as it is now, and the change.
fn claims(
    issuer: &str,
    user: &User,
    change: Change,
    n: i64,
    by: &str,
    now: OffsetDateTime,
) -> serde_json::Value {
    json!({
        "iss": issuer,
        "iat": now.unix_timestamp(),
        "jti": format!("{ACCOUNT_PREFIX}{}/{n}", user.id),
        "account": user.id,
        "email": user.email,
        "change": change.as_str(),
        "role": user.role.as_str(),
        "ods_code": user.ods_code,
        "disabled": user.disabled_at.is_some(),
        "by": by,
        "at": timestamp(now),
    })
}

/// Signs `change` of `user` and appends it to the log, in the writer's transaction.
async fn sign(
    connection: &mut sqlx::AnyConnection,
    batch: &mut crate::store::writer::Batch,
    user: User,
    change: Change,
    sessions_ended: u64,
    by: &str,
    now: OffsetDateTime,
) -> Result<Changed, AccountError> {
    sign_with(
        connection,
        batch,
        user,
        change,
        (sessions_ended, None),
        by,
        now,
    )
    .await
}

/// As [`sign`], with the sessions ended and, when given, more claims about the change (an
/// object whose members are added).
async fn sign_with(
    connection: &mut sqlx::AnyConnection,
    batch: &mut crate::store::writer::Batch,
    user: User,
    change: Change,
    (sessions_ended, detail): (u64, Option<serde_json::Value>),
    by: &str,
    now: OffsetDateTime,
) -> Result<Changed, AccountError> {
    let reference = format!("{ACCOUNT_PREFIX}{}", user.id);
    let n = crate::store::log::latest_version_in(connection, &reference).await? + 1;
    let mut claims = claims(batch.issuer(), &user, change, n, by, now);
    if let (Some(claims), Some(serde_json::Value::Object(detail))) =
        (claims.as_object_mut(), detail)
    {
        claims.extend(detail);
    }
    let signed = jws::sign_as(
        batch.key(),
        &signing::canonical_json(&claims),
        jws::ACCOUNT_CHANGE_TYP,
    );
    let entry = batch
        .append(connection, Kind::AccountChange, &reference, n, &signed, now)
        .await?;
    Ok(Changed {
        user,
        sessions_ended,
        log_seq: entry.seq,
    })
}
