//! Drafts of the registration form, addressed by unguessable ids.
//!
//! A draft belongs to one organisation: only that organisation's Local Administrators may open
//! it ([`load_for`]). Its id still carries 128 random bits, so an address is not guessable
//! either. The draft is stored as its JSON so that new form fields need no migration.

use crate::store::timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use registration::RegistrationDraft;
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

/// The length of a draft id: 16 random bytes in URL-safe base64 without padding.
pub const DRAFT_ID_CHARS: usize = 22;

/// The most drafts one organisation keeps: enough for every application an organisation works
/// on at once, few enough that no one can fill the database through the form.
pub const MAX_DRAFTS_PER_ORGANISATION: i64 = 50;

/// The largest draft stored (its JSON, certificates included): ten certificates of the largest
/// size the form takes, and a full form's text, fit.
pub const MAX_DRAFT_BYTES: usize = 1024 * 1024;

/// Why a draft was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DraftRefused {
    /// The organisation already keeps [`MAX_DRAFTS_PER_ORGANISATION`] drafts.
    #[error("the organisation already keeps the most drafts allowed")]
    TooMany,
    /// The draft is over [`MAX_DRAFT_BYTES`].
    #[error("the draft is larger than the most allowed")]
    TooLarge,
}

/// The draft as stored, or why it is too large to be.
fn body_of(draft: &RegistrationDraft) -> anyhow::Result<Result<String, DraftRefused>> {
    let body = serde_json::to_string(draft)?;
    Ok(if body.len() > MAX_DRAFT_BYTES {
        Err(DraftRefused::TooLarge)
    } else {
        Ok(body)
    })
}

/// A draft as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDraft {
    /// The draft's id (its address is `/register/{id}`).
    pub id: String,
    /// What the form holds.
    pub draft: RegistrationDraft,
    /// True once the draft has been checked or submitted (its page shows findings).
    pub checked: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was last saved (RFC 3339).
    pub updated_at: String,
    /// Whose draft it is.
    pub owner: DraftOwner,
}

/// The organisation a draft belongs to, who started it, and the request it revises (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftOwner {
    /// The organisation's ODS code (upper case); `None` only for drafts made before sign-in.
    pub ods_code: Option<String>,
    /// The account that started it.
    pub created_by: Option<String>,
    /// The submitted request whose next version this draft becomes (answering "changes
    /// requested", or a renewal or change of a registered application).
    pub reference: Option<String>,
    /// For a renewal or change of the registered application `reference`: which.
    pub purpose: Option<registration::change::Purpose>,
}

/// A draft as the organisation's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DraftSummary {
    /// The draft's id.
    pub id: String,
    /// The application's name as typed so far (may be empty).
    pub application_name: String,
    /// The request it revises, if any.
    pub reference: Option<String>,
    /// When it was last saved (RFC 3339).
    pub updated_at: String,
}

/// A new draft id: 128 bits from the operating system's generator.
pub fn new_id() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness for a draft id: {error}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// True when `id` has the shape of a draft id (checked before any query).
pub fn is_draft_id(id: &str) -> bool {
    id.len() == DRAFT_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Stores a new draft for `owner` and returns its id, unless the draft is too large or the
/// organisation already keeps the most drafts allowed (checked in the same statement as the
/// insert, so two tabs at once cannot both pass).
pub async fn create(
    pool: &AnyPool,
    draft: &RegistrationDraft,
    checked: bool,
    owner: &DraftOwner,
    now: OffsetDateTime,
) -> anyhow::Result<Result<String, DraftRefused>> {
    let body = match body_of(draft)? {
        Ok(body) => body,
        Err(refused) => return Ok(Err(refused)),
    };
    let at = timestamp(now);
    // 128 random bits do not collide in practice; the retry only keeps a freak collision from
    // becoming an error page.
    for _ in 0..3 {
        let id = new_id()?;
        let result = sqlx::query(
            "INSERT INTO draft (id, body, checked, created_at, updated_at, ods_code, created_by, reference,
                purpose)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
             WHERE (SELECT COUNT(*) FROM draft WHERE ods_code IS NOT DISTINCT FROM $10) < $11",
        )
        .bind(&id)
        .bind(&body)
        .bind(i64::from(checked))
        .bind(&at)
        .bind(&at)
        .bind(&owner.ods_code)
        .bind(&owner.created_by)
        .bind(&owner.reference)
        .bind(owner.purpose.map(registration::change::Purpose::as_str))
        .bind(&owner.ods_code)
        .bind(MAX_DRAFTS_PER_ORGANISATION)
        .execute(pool)
        .await;
        match result {
            Ok(done) if done.rows_affected() == 1 => return Ok(Ok(id)),
            Ok(_) => return Ok(Err(DraftRefused::TooMany)),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => continue,
            Err(error) => return Err(error.into()),
        }
    }
    anyhow::bail!("could not find a free draft id")
}

/// The draft with this id, if there is one, whoever it belongs to (for the server's own use;
/// people reach drafts through [`load_for`]).
pub async fn load(pool: &AnyPool, id: &str) -> anyhow::Result<Option<StoredDraft>> {
    if !is_draft_id(id) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT id, body, checked, created_at, updated_at, ods_code, created_by, reference, purpose
         FROM draft WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let body: String = row.try_get("body")?;
    Ok(Some(StoredDraft {
        id: row.try_get("id")?,
        draft: serde_json::from_str(&body)?,
        checked: row.try_get::<i64, _>("checked")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        owner: DraftOwner {
            ods_code: row.try_get("ods_code")?,
            created_by: row.try_get("created_by")?,
            reference: row.try_get("reference")?,
            purpose: row
                .try_get::<Option<String>, _>("purpose")?
                .as_deref()
                .and_then(registration::change::Purpose::parse),
        },
    }))
}

/// The draft with this id when it belongs to `ods_code`'s organisation; `None` otherwise, exactly
/// as for a draft that does not exist (no one learns another organisation's draft exists).
pub async fn load_for(
    pool: &AnyPool,
    ods_code: &str,
    id: &str,
) -> anyhow::Result<Option<StoredDraft>> {
    Ok(load(pool, id).await?.filter(|stored| {
        stored
            .owner
            .ods_code
            .as_deref()
            .is_some_and(|own| own.eq_ignore_ascii_case(ods_code))
    }))
}

/// The organisation's drafts, most recently saved first.
pub async fn list_for(pool: &AnyPool, ods_code: &str) -> anyhow::Result<Vec<DraftSummary>> {
    let rows = sqlx::query(
        "SELECT id, body, reference, updated_at FROM draft WHERE ods_code = $1
         ORDER BY updated_at DESC, id",
    )
    .bind(ods_code.to_ascii_uppercase())
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let body: String = row.try_get("body")?;
            let draft: RegistrationDraft = serde_json::from_str(&body)?;
            Ok(DraftSummary {
                id: row.try_get("id")?,
                application_name: draft.application_name,
                reference: row.try_get("reference")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .collect()
}

/// Replaces a draft's content; `Ok(false)` when there is no draft with this id.
pub async fn update(
    pool: &AnyPool,
    id: &str,
    draft: &RegistrationDraft,
    checked: bool,
    now: OffsetDateTime,
) -> anyhow::Result<Result<bool, DraftRefused>> {
    if !is_draft_id(id) {
        return Ok(Ok(false));
    }
    let body = match body_of(draft)? {
        Ok(body) => body,
        Err(refused) => return Ok(Err(refused)),
    };
    let result =
        sqlx::query("UPDATE draft SET body = $1, checked = $2, updated_at = $3 WHERE id = $4")
            .bind(body)
            .bind(i64::from(checked))
            .bind(timestamp(now))
            .bind(id)
            .execute(pool)
            .await?;
    Ok(Ok(result.rows_affected() == 1))
}

/// Deletes the draft `id` if it belongs to `ods_code`'s organisation; false otherwise (no such
/// draft, or another organisation's: answered alike).
pub async fn delete_for(pool: &AnyPool, ods_code: &str, id: &str) -> anyhow::Result<bool> {
    if !is_draft_id(id) {
        return Ok(false);
    }
    let result = sqlx::query("DELETE FROM draft WHERE id = $1 AND ods_code = $2")
        .bind(id)
        .bind(ods_code.to_ascii_uppercase())
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes a draft; false when there was none.
pub async fn delete(pool: &AnyPool, id: &str) -> anyhow::Result<bool> {
    let mut connection = pool.acquire().await?;
    delete_in(&mut connection, id).await
}

/// Deletes a draft on a connection (inside the caller's transaction).
pub async fn delete_in(connection: &mut AnyConnection, id: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("DELETE FROM draft WHERE id = $1")
        .bind(id)
        .execute(connection)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes the drafts `ids` (submitted in one batch) in one statement.
pub async fn delete_many_in(connection: &mut AnyConnection, ids: &[&str]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let statement = format!(
        "DELETE FROM draft WHERE id IN ({})",
        super::placeholders(1, ids.len())
    );
    let mut delete = sqlx::query(&statement);
    for id in ids {
        delete = delete.bind(*id);
    }
    // Not cached: each batch's list has its own length (see `log::insert_entries`).
    delete.persistent(false).execute(connection).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_22_url_safe_characters_and_differ() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert!(is_draft_id(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn rejects_ids_of_another_shape() {
        for id in [
            "",
            "short",
            "aaaaaaaaaaaaaaaaaaaaa/",
            "aaaaaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaa+a",
        ] {
            assert!(!is_draft_id(id), "{id}");
        }
    }
}
