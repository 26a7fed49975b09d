//! Sign-in sessions: a random token in the session cookie, its SHA-256 in the database.
//!
//! - The token is 256 random bits (base64url). The database holds only its hash, so a copy of
//!   the database (or a backup) lets no one in.
//! - The cookie (`web::session`, `web::cookies`) goes when the browser closes, and the desk
//!   ends the session anyway after [`IDLE_TIMEOUT`] without use or [`ABSOLUTE_TIMEOUT`] after
//!   sign-in, whichever comes first.
//! - `last_seen_at` is written at most once per [`TOUCH_INTERVAL`], so reading pages does not
//!   mean a database write per request; the idle timeout is therefore exact to within a minute.
//! - Sign-out deletes the row.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

use super::{AuthError, Identity, IdentityError, LocalPasswords, PasswordCredentials, rate_limit};
use crate::limits::Limits;
use crate::store;

/// A session unused for this long ends (OWASP ASVS 3.3.2 suggests 15–30 minutes for this risk).
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);

/// A session ends this long after sign-in however busy it is (a working day and a bit).
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);

/// How stale `last_seen_at` may get before a request writes it again.
pub const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The secret a cookie holds (a session's, or a device's); the database keeps only its hash.
/// Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// A fresh random token (256 bits).
    pub fn generate() -> SessionToken {
        SessionToken(URL_SAFE_NO_PAD.encode(crate::random::random_bytes(32)))
    }

    /// Wraps a token read from a cookie.
    pub fn new(text: impl Into<String>) -> SessionToken {
        SessionToken(text.into())
    }

    /// The token itself (for the Set-Cookie header only).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The session's id in the database: hex SHA-256 of the token.
    pub fn id(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// A live session: its id (the token's hash) and its CSRF token. `Debug` is redacted.
#[derive(Clone)]
pub struct Session {
    id: String,
    csrf_token: String,
    /// When the session ends whatever happens.
    pub expires_at: OffsetDateTime,
}

impl Session {
    /// Its id in the database (the hash of its cookie's token): which session to keep when the
    /// account's others end.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The synchronizer token that `X-CSRF-Token` must repeat.
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    /// The CSRF token as a page carries it: [`super::csrf::masked`] afresh for each response.
    pub fn csrf_token_for_page(&self) -> String {
        super::csrf::masked(&self.csrf_token)
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &"[redacted]")
            .field("csrf_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Starts a session for `identity`: stores it and returns the cookie's token and the session.
pub async fn start(
    pool: &AnyPool,
    identity: &Identity,
    now: OffsetDateTime,
) -> Result<(SessionToken, Session), IdentityError> {
    let token = SessionToken::generate();
    let csrf_token = super::csrf::new_token();
    let expires_at = now + ABSOLUTE_TIMEOUT;
    let id = token.id();
    store::sessions::insert(pool, &id, &identity.user_id, &csrf_token, now, expires_at).await?;
    Ok((
        token,
        Session {
            id,
            csrf_token,
            expires_at,
        },
    ))
}

/// The identity and session `token` names at `now`, or `None` when there is no such session,
/// it has expired (then it is deleted), or the account is disabled.
pub async fn resume(
    pool: &AnyPool,
    token: &SessionToken,
    now: OffsetDateTime,
) -> Result<Option<SignedIn>, IdentityError> {
    let Some(row) = store::sessions::find(pool, &token.id()).await? else {
        return Ok(None);
    };
    let expired = now >= row.expires_at || now >= row.last_seen_at + IDLE_TIMEOUT;
    if expired || row.user.disabled_at.is_some() {
        store::sessions::delete(pool, &row.id).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_INTERVAL {
        store::sessions::touch(pool, &row.id, now).await?;
    }
    Ok(Some(SignedIn {
        identity: Identity::from(row.user),
        session: Session {
            id: row.id,
            csrf_token: row.csrf_token,
            expires_at: row.expires_at,
        },
    }))
}

/// Ends a session.
pub async fn end(pool: &AnyPool, session: &Session) -> Result<(), IdentityError> {
    Ok(store::sessions::delete(pool, &session.id).await?)
}

/// A signed-in account making a request: its identity and its live session. (The web layer
/// extracts it from the session cookie: `web::session`.)
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who is asking.
    pub identity: Identity,
    /// Their session.
    pub session: Session,
}

/// Where a sign-in comes from: the client's rate-limit key and the device cookie it presented.
#[derive(Debug, Clone)]
pub struct SignInFrom {
    /// The client's key: its address (`web::session::client_key`).
    pub client: String,
    /// The `appreg_device` cookie's value, if the browser sent one.
    pub device_token: Option<String>,
}

/// What a sign-in with an email and password came to.
pub enum PasswordSignIn {
    /// The credentials were right: a session was started (the caller sets its cookie, and the
    /// device cookie that marks this browser as one that signed in to this account).
    SignedIn {
        /// Who signed in.
        identity: Identity,
        /// The cookie's token.
        token: SessionToken,
        /// The new session.
        session: Session,
        /// The device cookie's token (the one presented, or a new one).
        device: SessionToken,
    },
    /// Unknown account, wrong password or disabled account (answered alike; the attempt counts
    /// towards the limits).
    InvalidCredentials,
    /// Too many recent failures: nothing was checked or recorded.
    Limited(rate_limit::Limited),
    /// Every password check is in use: nothing was checked or recorded (503).
    Busy,
}

/// Signs in with an email and password: the throttling, the credential check and the session
/// start that every sign-in door (the JSON API and the sign-in page) shares.
///
/// In order: an email too long to be an account is refused with no work; a permit of the
/// password-hashing pool is taken (none free: [`PasswordSignIn::Busy`]); the attempt is checked
/// against the limits and recorded ([`rate_limit::reserve`]); only then is the password hashed.
pub async fn sign_in_with_password(
    pool: &AnyPool,
    limits: &Limits,
    credentials: PasswordCredentials,
    from: &SignInFrom,
    now: OffsetDateTime,
) -> Result<PasswordSignIn, IdentityError> {
    let email = super::normalise_email(&credentials.email);
    if email.is_empty() || email.chars().count() > super::MAX_EMAIL_CHARS {
        return Ok(PasswordSignIn::InvalidCredentials);
    }
    let Ok(permit) = limits.password_hashing.clone().try_acquire_owned() else {
        tracing::warn!(client = %from.client, "sign-in refused: every password check is busy");
        return Ok(PasswordSignIn::Busy);
    };
    let device_id = from
        .device_token
        .as_deref()
        .map(|token| SessionToken::new(token).id());
    let trusted_device = match &device_id {
        Some(id) => store::sign_in::device_account(pool, id, now - rate_limit::DEVICE_LIFETIME)
            .await?
            .filter(|account| *account == email)
            .map(|_| id.as_str()),
        None => None,
    };
    let attempt = rate_limit::Attempt {
        account: &email,
        client: &from.client,
        trusted_device,
    };
    let reserved = match rate_limit::reserve(pool, &attempt, now).await? {
        Ok(reserved) => reserved,
        Err(limited) => {
            tracing::warn!(client = %from.client, "sign-in refused: too many failed attempts");
            return Ok(PasswordSignIn::Limited(limited));
        }
    };
    let provider = LocalPasswords::new(pool.clone(), limits.password_hashing.clone());
    let identity = match provider.authenticate_with(credentials, permit).await {
        Ok(identity) => identity,
        Err(AuthError::InvalidCredentials) => {
            tracing::info!(client = %from.client, known_browser = trusted_device.is_some(), "sign-in failed");
            return Ok(PasswordSignIn::InvalidCredentials);
        }
        Err(AuthError::Internal(error)) => return Err(error.into()),
    };
    rate_limit::succeeded(pool, reserved).await?;
    let device = match (trusted_device, from.device_token.as_deref()) {
        (Some(_), Some(token)) => SessionToken::new(token),
        _ => SessionToken::generate(),
    };
    store::sign_in::device_signed_in(
        pool,
        &device.id(),
        &email,
        now,
        now - rate_limit::DEVICE_LIFETIME,
    )
    .await?;
    let (token, session) = start(pool, &identity, now).await?;
    tracing::info!(user_id = %identity.user_id, role = identity.role.as_str(), "signed in");
    Ok(PasswordSignIn::SignedIn {
        identity,
        token,
        session,
        device,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_only_their_hash_is_the_id() {
        let token = SessionToken::generate();
        assert_eq!(URL_SAFE_NO_PAD.decode(token.expose()).unwrap().len(), 32);
        assert_eq!(token.id().len(), 64);
        assert!(!token.id().contains(token.expose()));
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
