//! Sign-in sessions: a random token in the `appreg_session` cookie, its SHA-256 in the database.
//!
//! - The token is 256 random bits (base64url). The database holds only its hash, so a copy of
//!   the database (or a backup) lets no one in.
//! - The cookie is `HttpOnly; SameSite=Lax; Path=/`, and `Secure` with the name
//!   `__Host-appreg_session` when the desk's public URL is https ([`super::cookies`]). It has
//!   no `Max-Age`: it goes when the
//!   browser closes, and the server ends it anyway after [`IDLE_TIMEOUT`] without use or
//!   [`ABSOLUTE_TIMEOUT`] after sign-in, whichever comes first.
//! - `last_seen_at` is written at most once per [`TOUCH_INTERVAL`], so reading pages does not
//!   mean a database write per request; the idle timeout is therefore exact to within a minute.
//! - Sign-out deletes the row and clears the cookie.

use axum::body::Body;
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use time::{Duration, OffsetDateTime};

use super::cookies::{Cookie, CookiePolicy};
use super::{AuthError, Identity, LocalPasswords, PasswordCredentials, rate_limit};
use crate::store;
use crate::web::AppState;
use crate::web::api::{ApiError, json_body};

/// The session cookie's name over plain http (`__Host-appreg_session` over https).
pub const COOKIE_NAME: &str = Cookie::Session.bare_name();

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
    fn generate() -> SessionToken {
        SessionToken(URL_SAFE_NO_PAD.encode(super::random_bytes(32)))
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
    /// The synchronizer token that `X-CSRF-Token` must repeat.
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
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
    pool: &SqlitePool,
    identity: &Identity,
    now: OffsetDateTime,
) -> anyhow::Result<(SessionToken, Session)> {
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
    pool: &SqlitePool,
    token: &SessionToken,
    now: OffsetDateTime,
) -> anyhow::Result<Option<(Identity, Session)>> {
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
    Ok(Some((
        Identity::from(row.user),
        Session {
            id: row.id,
            csrf_token: row.csrf_token,
            expires_at: row.expires_at,
        },
    )))
}

/// Ends a session.
pub async fn end(pool: &SqlitePool, session: &Session) -> anyhow::Result<()> {
    store::sessions::delete(pool, &session.id).await
}

/// The session token in the request's `Cookie` headers, if any.
pub fn token_from_headers(headers: &HeaderMap, cookies: CookiePolicy) -> Option<SessionToken> {
    cookies
        .read(headers, Cookie::Session)
        .map(SessionToken::new)
}

/// How the desk writes its cookies: `Secure` with `__Host-` names when its public URL is https
/// (`config.public_url`, which the server gives the key ring as the records' issuer — one
/// setting for "where people reach the desk").
pub fn cookie_policy(state: &AppState) -> CookiePolicy {
    CookiePolicy::for_public_url(state.keys.issuer())
}

/// The `Set-Cookie` value that carries `token`.
pub fn session_cookie(token: &SessionToken, cookies: CookiePolicy) -> HeaderValue {
    cookies.set(Cookie::Session, token.expose())
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(cookies: CookiePolicy) -> HeaderValue {
    cookies.clear(Cookie::Session)
}

/// A request from a signed-in account. As an extractor: 401 JSON `{ "error": "unauthenticated" }`
/// without a valid session; `Option<SignedIn>` gives `None` instead.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who is asking.
    pub identity: Identity,
    /// Their session.
    pub session: Session,
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Sign in first: there is no valid session (it may have expired).",
    )
}

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<SignedIn>, ApiError> {
        let Some(token) = token_from_headers(&parts.headers, cookie_policy(state)) else {
            return Ok(None);
        };
        let resumed = resume(&state.pool, &token, OffsetDateTime::now_utc()).await?;
        Ok(resumed.map(|(identity, session)| SignedIn { identity, session }))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, ApiError> {
        <SignedIn as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
            .ok_or_else(unauthenticated)
    }
}

/// Responses about the session are never cached.
const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

/// `POST /api/v1/session`: signs in with `{ "email", "password" }`.
pub async fn sign_in(State(state): State<AppState>, request: Request<Body>) -> Response {
    match sign_in_inner(&state, request).await {
        Ok(response) => response,
        Err(response) => response,
    }
}

async fn sign_in_inner(state: &AppState, request: Request<Body>) -> Result<Response, Response> {
    let cookies = cookie_policy(state);
    let from = SignInFrom {
        client: rate_limit::client_key(request.extensions()),
        device_token: cookies.read(request.headers(), Cookie::Device),
    };
    let body = json_body(request)
        .await
        .map_err(IntoResponse::into_response)?;
    let credentials: PasswordCredentials = serde_json::from_str(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "Send { \"email\": \"…\", \"password\": \"…\" } as JSON.",
        )
        .into_response()
    })?;
    let outcome = sign_in_with_password(state, credentials, &from, OffsetDateTime::now_utc())
        .await
        .map_err(|error| ApiError::from(error).into_response())?;
    let (identity, token, session, device) = match outcome {
        PasswordSignIn::SignedIn {
            identity,
            token,
            session,
            device,
        } => (identity, token, session, device),
        PasswordSignIn::InvalidCredentials => return Err(invalid_credentials()),
        PasswordSignIn::Limited(limited) => return Err(limited.into_response()),
        PasswordSignIn::Busy => {
            let mut response = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The service is busy checking other sign-ins. Try again in a few seconds.",
            )
            .into_response();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(BUSY_RETRY_AFTER_SECONDS),
            );
            return Err(response);
        }
    };
    let mut response = Json(json!({
        "csrf_token": session.csrf_token(),
        "role": identity.role,
        "ods_code": identity.ods_code,
    }))
    .into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session_cookie(&token, cookies));
    headers.append(
        header::SET_COOKIE,
        cookies.set(Cookie::Device, device.expose()),
    );
    headers.insert(NO_STORE.0, HeaderValue::from_static(NO_STORE.1));
    Ok(response)
}

/// Seconds a sign-in turned away because every password check is busy is asked to wait.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 2;

/// Where a sign-in comes from: the client's rate-limit key and the device cookie it presented.
#[derive(Debug, Clone)]
pub struct SignInFrom {
    /// The client's key (`rate_limit::client_key`).
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
    state: &AppState,
    credentials: PasswordCredentials,
    from: &SignInFrom,
    now: OffsetDateTime,
) -> anyhow::Result<PasswordSignIn> {
    let email = super::normalise_email(&credentials.email);
    if email.is_empty() || email.chars().count() > super::MAX_EMAIL_CHARS {
        return Ok(PasswordSignIn::InvalidCredentials);
    }
    let Ok(permit) = state.limits.password_hashing.clone().try_acquire_owned() else {
        tracing::warn!(client = %from.client, "sign-in refused: every password check is busy");
        return Ok(PasswordSignIn::Busy);
    };
    let device_id = from
        .device_token
        .as_deref()
        .map(|token| SessionToken::new(token).id());
    let trusted_device = match &device_id {
        Some(id) => {
            store::sign_in::device_account(&state.pool, id, now - rate_limit::DEVICE_LIFETIME)
                .await?
                .filter(|account| *account == email)
                .map(|_| id.as_str())
        }
        None => None,
    };
    let attempt = rate_limit::Attempt {
        account: &email,
        client: &from.client,
        trusted_device,
    };
    let reserved = match rate_limit::reserve(&state.pool, &attempt, now).await? {
        Ok(reserved) => reserved,
        Err(limited) => {
            tracing::warn!(client = %from.client, "sign-in refused: too many failed attempts");
            return Ok(PasswordSignIn::Limited(limited));
        }
    };
    let provider = LocalPasswords::new(state.pool.clone(), state.limits.password_hashing.clone());
    let identity = match provider.authenticate_with(credentials, permit).await {
        Ok(identity) => identity,
        Err(AuthError::InvalidCredentials) => {
            tracing::info!(client = %from.client, known_browser = trusted_device.is_some(), "sign-in failed");
            return Ok(PasswordSignIn::InvalidCredentials);
        }
        Err(AuthError::Internal(error)) => return Err(error),
    };
    rate_limit::succeeded(&state.pool, reserved).await?;
    let device = match (trusted_device, from.device_token.as_deref()) {
        (Some(_), Some(token)) => SessionToken::new(token),
        _ => SessionToken::generate(),
    };
    store::sign_in::device_signed_in(
        &state.pool,
        &device.id(),
        &email,
        now,
        now - rate_limit::DEVICE_LIFETIME,
    )
    .await?;
    let (token, session) = start(&state.pool, &identity, now).await?;
    tracing::info!(user_id = %identity.user_id, role = identity.role.as_str(), "signed in");
    Ok(PasswordSignIn::SignedIn {
        identity,
        token,
        session,
        device,
    })
}

/// The one answer to a failed sign-in, whatever the reason.
fn invalid_credentials() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "The email or password is not right.",
    )
    .into_response()
}

/// `GET /api/v1/session`: who is signed in, with the CSRF token for the next state change.
pub async fn current(signed_in: SignedIn) -> Response {
    (
        [NO_STORE],
        Json(json!({
            "email": signed_in.identity.email,
            "role": signed_in.identity.role,
            "ods_code": signed_in.identity.ods_code,
            "csrf_token": signed_in.session.csrf_token(),
        })),
    )
        .into_response()
}

/// `DELETE /api/v1/session`: signs out (needs the session and `X-CSRF-Token`).
pub async fn sign_out(
    State(state): State<AppState>,
    super::CsrfChecked(signed_in): super::CsrfChecked,
) -> Result<Response, ApiError> {
    end(&state.pool, &signed_in.session).await?;
    tracing::info!(user_id = %signed_in.identity.user_id, "signed out");
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clearing_cookie(cookie_policy(&state)))],
    )
        .into_response())
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
