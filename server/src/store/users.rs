//! Local accounts (`users`): who may sign in, with which role and for which organisation.

use sqlx::{AnyPool, Row};
use time::OffsetDateTime;

use registration::lifecycle::Role;

/// One stored account. The password hash is deliberately not part of it (see [`password_hash`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The account's id (random, stable).
    pub id: String,
    /// Lower-case email address.
    pub email: String,
    /// What the account may do.
    pub role: Role,
    /// The organisation of a Local Administrator; `None` for a reviewer.
    pub ods_code: Option<String>,
    /// When the account was made (RFC 3339).
    pub created_at: String,
    /// When the account was disabled (RFC 3339), if it was.
    pub disabled_at: Option<String>,
}

/// Why an account could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Another account has this email (compared case-insensitively).
    #[error("there is already an account with the email {0}")]
    Duplicate(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

/// An account to add: the email must already be lower-case and `password_hash` a PHC string.
pub struct NewUser<'a> {
    /// Lower-case email address.
    pub email: &'a str,
    /// The role.
    pub role: Role,
    /// The organisation (Local Administrators only).
    pub ods_code: Option<&'a str>,
    /// The argon2id PHC string.
    pub password_hash: &'a str,
}

/// Adds an account and returns it.
pub async fn add(pool: &AnyPool, user: NewUser<'_>, now: OffsetDateTime) -> Result<User, AddError> {
    let mut connection = pool
        .acquire()
        .await
        .map_err(|error| AddError::Database(error.into()))?;
    add_in(&mut connection, user, now).await
}

/// [`add`] on `connection` (in a transaction of the caller's).
pub async fn add_in(
    connection: &mut sqlx::AnyConnection,
    user: NewUser<'_>,
    now: OffsetDateTime,
) -> Result<User, AddError> {
    let id = crate::random::random_hex(16);
    let created_at = super::timestamp(now);
    let result = sqlx::query(
        "INSERT INTO users (id, email, role, ods_code, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(user.email)
    .bind(user.role.as_str())
    .bind(user.ods_code)
    .bind(user.password_hash)
    .bind(&created_at)
    .execute(&mut *connection)
    .await;
    match result {
        Ok(_) => Ok(User {
            id,
            email: user.email.to_string(),
            role: user.role,
            ods_code: user.ods_code.map(str::to_string),
            created_at,
            disabled_at: None,
        }),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(AddError::Duplicate(user.email.to_string()))
        }
        Err(error) => Err(AddError::Database(
            anyhow::Error::new(error).context("cannot add the account"),
        )),
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> anyhow::Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role:?} stored"))?,
        ods_code: row.try_get("ods_code")?,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

const COLUMNS: &str = "id, email, role, ods_code, created_at, disabled_at";

/// The account with this (lower-case) email and its password hash.
pub async fn find_by_email(pool: &AnyPool, email: &str) -> anyhow::Result<Option<(User, String)>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, password_hash FROM users WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(pool)
    .await?;
    row.map(|row| Ok((from_row(&row)?, row.try_get("password_hash")?)))
        .transpose()
}

/// The account with this id.
pub async fn get(pool: &AnyPool, id: &str) -> anyhow::Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The stored password hash of an account (for tests and audits: never shown to anyone).
pub async fn password_hash(pool: &AnyPool, email: &str) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await?,
    )
}

/// Every account, by email.
pub async fn list(pool: &AnyPool) -> anyhow::Result<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY email"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Every account, by email, with when its last signed change was logged (RFC 3339; `None` for
/// an account made before account changes were signed and not changed since): the Accounts
/// page's list.
pub async fn list_with_last_change(pool: &AnyPool) -> anyhow::Result<Vec<(User, Option<String>)>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS},
                (SELECT MAX(l.created_at) FROM log_entry l
                  WHERE l.kind = 'account_change' AND l.reference = $1 || users.id) AS changed_at
         FROM users ORDER BY email"
    ))
    .bind(crate::store::log::ACCOUNT_PREFIX)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok((from_row(row)?, row.try_get("changed_at")?)))
        .collect()
}

/// Why an account's role could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum SetRoleError {
    /// No account has this email.
    #[error("there is no account with the email {0}")]
    NoSuchAccount(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

/// Moves the account with this (lower-case) email to `role`, for `ods_code` (a Local
/// Administrator's organisation; `None` for a reviewer), and returns it. What it submitted
/// stays submitted by it, so a Local Administrator who becomes a reviewer still cannot decide on
/// their own requests. (`crate::identity::accounts` also ends its sessions and signs the change
/// in the log; this is the row alone.)
pub async fn set_role(
    pool: &AnyPool,
    email: &str,
    role: Role,
    ods_code: Option<&str>,
) -> Result<User, SetRoleError> {
    let mut connection = pool
        .acquire()
        .await
        .map_err(|error| SetRoleError::Database(error.into()))?;
    set_role_in(&mut connection, email, role, ods_code).await
}

/// [`set_role`] on `connection` (in a transaction of the caller's).
pub async fn set_role_in(
    connection: &mut sqlx::AnyConnection,
    email: &str,
    role: Role,
    ods_code: Option<&str>,
) -> Result<User, SetRoleError> {
    let result = sqlx::query("UPDATE users SET role = $1, ods_code = $2 WHERE email = $3")
        .bind(role.as_str())
        .bind(ods_code)
        .bind(email)
        .execute(&mut *connection)
        .await
        .map_err(|error| anyhow::Error::new(error).context("cannot change the account's role"))?;
    changed(connection, result.rows_affected(), email).await
}

/// The account with this email after an update that touched `rows` rows of it.
async fn changed(
    connection: &mut sqlx::AnyConnection,
    rows: u64,
    email: &str,
) -> Result<User, SetRoleError> {
    let found = if rows == 0 {
        None
    } else {
        find_in(connection, email).await?
    };
    found.ok_or_else(|| SetRoleError::NoSuchAccount(email.to_string()))
}

/// Disables the account with this (lower-case) email as of `at` (RFC 3339), or enables it again
/// (`None`), on `connection`; returns it.
pub async fn set_disabled_in(
    connection: &mut sqlx::AnyConnection,
    email: &str,
    at: Option<&str>,
) -> Result<User, SetRoleError> {
    let result = sqlx::query("UPDATE users SET disabled_at = $1 WHERE email = $2")
        .bind(at)
        .bind(email)
        .execute(&mut *connection)
        .await
        .map_err(|error| {
            anyhow::Error::new(error).context("cannot disable or enable the account")
        })?;
    changed(connection, result.rows_affected(), email).await
}

/// Stores a new password hash (a PHC string) for the account `id`, on `connection`; returns the
/// account.
pub async fn set_password_hash_in(
    connection: &mut sqlx::AnyConnection,
    id: &str,
    password_hash: &str,
) -> anyhow::Result<Option<User>> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut *connection)
        .await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account with this (lower-case) email, on `connection`.
pub async fn find_in(
    connection: &mut sqlx::AnyConnection,
    email: &str,
) -> anyhow::Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(&mut *connection)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account `id`, in a transaction.
pub async fn get_in(
    connection: &mut sqlx::AnyConnection,
    id: &str,
) -> anyhow::Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The addresses of `ods_code`'s Local Administrators whose accounts are not disabled, in order
/// (who is told of an application's reminders, deletion and recovery).
pub async fn local_admin_emails(pool: &AnyPool, ods_code: &str) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT email FROM users WHERE role = 'local_admin' AND ods_code = $1
            AND disabled_at IS NULL ORDER BY email",
    )
    .bind(ods_code)
    .fetch_all(pool)
    .await?)
}

/// The addresses of the reviewers whose accounts are not disabled, in order (who is told that a
/// request arrived or was withdrawn).
pub async fn reviewer_emails(pool: &AnyPool) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT email FROM users WHERE role = 'reviewer' AND disabled_at IS NULL ORDER BY email",
    )
    .fetch_all(pool)
    .await?)
}
