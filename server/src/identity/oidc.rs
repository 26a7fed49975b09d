//! Sign-in with NHSmail: OpenID Connect against the NHSmail Entra ID tenant, or any OpenID
//! provider (issue 17, parts 1 and 2; docs/sign-in.md).
//!
//! The authorization code flow with PKCE (S256), a `state` and a `nonce`, through the maintained
//! `openidconnect` crate: the provider's settings come from its discovery document
//! (`<issuer>/.well-known/openid-configuration`, whose `issuer` must be the configured one), its
//! keys from its JWKS. The ID token's signature, `iss`, `aud` (and `azp`), `exp` and `nonce` are
//! checked by the crate; `iat` is checked here (not in the future, not older than
//! [`LARGEST_TOKEN_AGE`]). When a token is signed with a key the desk has not seen, the
//! discovery document and JWKS are fetched again once (the provider rotated its keys).
//!
//! The desk authenticates itself to the token endpoint with a client secret or, as NHSmail asks
//! of high-trust applications, with a certificate: a `private_key_jwt` assertion (RFC 7523)
//! signed RS256 with the certificate's key, naming the certificate by its `x5t` and `x5t#S256`
//! thumbprints as Entra ID expects.
//!
//! Who may do what stays the desk's decision: a person is matched to an account by the
//! provider's stable subject (Entra's `oid`, else `sub`) and issuer, linked on their first
//! sign-in to the account an administrator made with their email, when the token says that
//! email is verified (`email_verified`, or Entra's `xms_edov`). Roles and ODS codes are never
//! taken from the token. No account is ever made here.
//!
//! This module knows nothing of HTTP requests or cookies: `web::nhsmail` reads those, calls
//! [`NhsmailSignIn::begin`] and [`NhsmailSignIn::finish`], and answers their errors.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::reqwest;
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, Client, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Identity;
use super::accounts::{self, ChangeLog};
use super::sessions::SessionToken;
use crate::store::{self, timestamp};

/// How long a begun sign-in waits for the provider's answer.
pub const SIGN_IN_WINDOW: time::Duration = time::Duration::minutes(10);
/// The oldest ID token taken (by its `iat`): it is used at once, so anything older was kept.
pub const LARGEST_TOKEN_AGE: time::Duration = time::Duration::minutes(10);
/// Clock difference allowed between the desk and the provider.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);
/// How long the discovery document and keys are used before they are fetched again.
const DISCOVERY_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// The longest the desk waits for the provider (discovery, keys, token endpoint).
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long after a failed discovery the provider is not asked again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);
/// How long a client assertion is valid (RFC 7523; Entra takes up to 10 minutes).
const ASSERTION_LIFETIME: i64 = 5 * 60;

/// The settings of sign-in with an OpenID provider (`oidc_*`; `crate::config`).
#[derive(Clone)]
pub struct OidcSettings {
    /// The issuer URL: for NHSmail, `https://login.microsoftonline.com/<tenant id>/v2.0`.
    pub issuer: String,
    /// The desk's client (application) id at the provider.
    pub client_id: String,
    /// How the desk proves itself at the token endpoint.
    pub client_auth: ClientAuth,
    /// The desk's public URL: the redirect URI is `<public URL>/sign-in/nhsmail/callback`.
    pub public_url: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

/// How the desk authenticates to the provider's token endpoint.
#[derive(Clone)]
pub enum ClientAuth {
    /// A client secret (`client_secret_basic`, or `client_secret_post` when that is all the
    /// provider takes).
    Secret(String),
    /// A certificate's key: `private_key_jwt` assertions.
    PrivateKey(std::sync::Arc<CertificateKey>),
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientAuth::Secret(_) => f.write_str("Secret([redacted])"),
            ClientAuth::PrivateKey(key) => write!(f, "PrivateKey(x5t#S256={})", key.x5t_s256),
        }
    }
}

/// An RSA key and the certificate registered for it at the provider.
pub struct CertificateKey {
    key: ring::signature::RsaKeyPair,
    /// base64url SHA-1 of the certificate (the JWS `x5t` Entra ID looks the key up by).
    x5t: String,
    /// base64url SHA-256 of the certificate (`x5t#S256`).
    x5t_s256: String,
}

impl CertificateKey {
    /// Reads a PEM file holding the RSA private key (`PRIVATE KEY` or `RSA PRIVATE KEY`, at
    /// least 2048 bits) and its certificate (`CERTIFICATE`), in either order.
    ///
    /// # Errors
    /// When the file cannot be read, or lacks either part, or the key is not a usable RSA key.
    pub fn from_pem_file(path: &Path) -> anyhow::Result<CertificateKey> {
        let text = std::fs::read(path).with_context(|| {
            format!(
                "the OIDC private key file {} cannot be read",
                path.display()
            )
        })?;
        CertificateKey::from_pem(&text)
            .with_context(|| format!("the OIDC private key file {}", path.display()))
    }

    /// As [`CertificateKey::from_pem_file`], from the file's bytes.
    ///
    /// # Errors
    /// When either part is missing or the key is not a usable RSA key.
    pub fn from_pem(text: &[u8]) -> anyhow::Result<CertificateKey> {
        let blocks = pem::parse_many(text).context("it is not PEM")?;
        let certificate = blocks
            .iter()
            .find(|block| block.tag() == "CERTIFICATE")
            .context("it holds no CERTIFICATE: add the certificate registered at the provider")?;
        let key = match blocks
            .iter()
            .find(|block| matches!(block.tag(), "PRIVATE KEY" | "RSA PRIVATE KEY"))
        {
            Some(block) if block.tag() == "PRIVATE KEY" => {
                ring::signature::RsaKeyPair::from_pkcs8(block.contents())
            }
            Some(block) => ring::signature::RsaKeyPair::from_der(block.contents()),
            None => bail!("it holds no PRIVATE KEY or RSA PRIVATE KEY"),
        }
        .map_err(|error| {
            anyhow::anyhow!("its key is not a usable RSA key of 2048 bits or more: {error}")
        })?;
        let sha1 = ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            certificate.contents(),
        );
        let sha256 = ring::digest::digest(&ring::digest::SHA256, certificate.contents());
        Ok(CertificateKey {
            key,
            x5t: URL_SAFE_NO_PAD.encode(sha1.as_ref()),
            x5t_s256: URL_SAFE_NO_PAD.encode(sha256.as_ref()),
        })
    }

    /// A client assertion (RFC 7523 §2.2) for `client_id` at `audience` (the token endpoint).
    fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> anyhow::Result<String> {
        let header = serde_json::json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5t": self.x5t,
            "x5t#S256": self.x5t_s256,
        });
        let issued = now.unix_timestamp();
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": crate::random::random_hex(16),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ASSERTION_LIFETIME,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?)
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| anyhow::anyhow!("the client assertion could not be signed"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// The claims Entra ID adds that the desk reads: the stable object id (`oid`), the tenant
/// (`tid`), and whether the email's domain is verified by the tenant (`xms_edov`, an optional
/// claim to add in the app registration; docs/sign-in.md).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EntraClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    xms_edov: Option<serde_json::Value>,
}

impl AdditionalClaims for EntraClaims {}

type EntraTokenResponse = StandardTokenResponse<
    IdTokenFields<
        EntraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// The crate's client, with Entra's claims, as made from a discovery document.
type EntraClient = Client<
    EntraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    EntraTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a sign-in with the provider did not sign anyone in. Each is answered with a page that
/// says what to do; none is a 500 but [`OidcError::Store`].
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached, or answered nonsense (discovery, keys, token
    /// endpoint): try again later.
    #[error("the OpenID provider is unavailable: {0}")]
    Unavailable(String),
    /// Too many sign-ins are waiting for the provider: try again in a few minutes.
    #[error("too many sign-ins are waiting for the provider")]
    Busy,
    /// Too many sign-ins begun from this client address are waiting (someone may be filling
    /// the desk's store): try again in a few minutes.
    #[error("too many sign-ins from this address are waiting for the provider")]
    BusyFromHere,
    /// The answer's `state` names no waiting sign-in: it was answered already (a replay, or the
    /// back button), expired, or never begun here.
    #[error("the sign-in's state is unknown or used")]
    UnknownState,
    /// The sign-in's ten minutes had passed.
    #[error("the sign-in took too long")]
    Expired,
    /// The answer came to a browser other than the one that began the sign-in.
    #[error("the sign-in was begun in another browser")]
    OtherBrowser,
    /// The provider said no (the person cancelled, or is not allowed to use the desk there).
    #[error("the provider refused the sign-in: {0}")]
    Refused(String),
    /// The provider's answer or ID token failed a check (issuer, audience, signature, nonce,
    /// expiry, issue time): no one is signed in. The detail is for the log.
    #[error("the ID token was refused: {0}")]
    InvalidToken(String),
    /// The person has no account on the desk (their email, when the token gave one).
    #[error("no account for this person")]
    NoAccount {
        /// The email the token gave (verified or not), to say whom to ask.
        email: Option<String>,
    },
    /// Their account is disabled.
    #[error("the account is disabled")]
    Disabled,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl From<accounts::AccountError> for OidcError {
    fn from(error: accounts::AccountError) -> Self {
        OidcError::Store(anyhow::Error::new(error))
    }
}

/// A sign-in begun: where to send the browser, and the secret for its cookie.
#[derive(Debug)]
pub struct Begun {
    /// The provider's authorization URL with this sign-in's parameters.
    pub authorize_url: String,
    /// The value of the cookie that ties the answer to this browser.
    pub browser_token: SessionToken,
}

/// The provider's answer at the callback (its query parameters).
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The state sent with the request.
    pub state: Option<String>,
    /// An error code instead of a code (RFC 6749 §4.1.2.1).
    pub error: Option<String>,
    /// Its description.
    pub error_description: Option<String>,
    /// The issuer of the answer (RFC 9207), when the provider says it.
    pub iss: Option<String>,
}

/// Someone signed in with the provider.
#[derive(Debug)]
pub struct Finished {
    /// Their account.
    pub identity: Identity,
    /// The local path to go to, when the sign-in began with one.
    pub next: Option<String>,
    /// Whether this sign-in linked the provider's subject to the account (their first).
    pub linked: bool,
}

struct Discovered {
    metadata: CoreProviderMetadata,
    fetched: Instant,
}

/// What the desk knows of the provider's discovery document.
#[derive(Default)]
struct Discovery {
    /// The last one fetched.
    known: Option<Discovered>,
    /// When the last fetch failed (cleared by one that works).
    failed_at: Option<Instant>,
}

/// Sign-in with one OpenID provider, as configured.
pub struct NhsmailSignIn {
    settings: OidcSettings,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    discovered: tokio::sync::Mutex<Discovery>,
}

impl std::fmt::Debug for NhsmailSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NhsmailSignIn")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The path of the callback the provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/sign-in/nhsmail/callback";

impl NhsmailSignIn {
    /// Checks the settings (nothing is fetched until the first sign-in).
    ///
    /// # Errors
    /// An issuer or public URL that is not a URL, an issuer over plain http other than on this
    /// machine, or an HTTP client that cannot be made.
    pub fn new(settings: OidcSettings) -> anyhow::Result<NhsmailSignIn> {
        let parsed = url::Url::parse(&settings.issuer)
            .with_context(|| format!("the OIDC issuer '{}' is not a URL", settings.issuer))?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
            bail!(
                "the OIDC issuer '{}' must be an https:// URL (for NHSmail: https://login.microsoftonline.com/<tenant id>/v2.0)",
                settings.issuer
            );
        }
        if settings.client_id.trim().is_empty() {
            bail!(
                "the OIDC client id is empty: set oidc_client_id to the desk's application (client) id"
            );
        }
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .with_context(|| format!("the OIDC issuer '{}' is not a URL", settings.issuer))?;
        let redirect = RedirectUrl::new(format!(
            "{}{CALLBACK_PATH}",
            settings.public_url.trim_end_matches('/')
        ))
        .context("the public URL does not make a redirect URI")?;
        // Never follow redirects (the crate's advice against SSRF), and never wait for ever.
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .connect_timeout(PROVIDER_TIMEOUT)
            .build()
            .context("the HTTP client for the OIDC provider could not be made")?;
        Ok(NhsmailSignIn {
            settings,
            issuer,
            redirect,
            http,
            discovered: tokio::sync::Mutex::new(Discovery::default()),
        })
    }

    /// The redirect URI to register at the provider.
    pub fn redirect_uri(&self) -> &str {
        self.redirect.as_str()
    }

    /// The provider's discovery document: the one fetched within the hour, or fetched now
    /// (`refresh`: fetched now whatever the age). A failed fetch falls back on the last one.
    ///
    /// After a failed fetch the provider is not asked again for [`RETRY_AFTER_FAILURE`]: while
    /// it is down, people are told so at once (one at a time behind the lock, each waiting out
    /// the timeout, they would queue for minutes).
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, OidcError> {
        let mut discovery = self.discovered.lock().await;
        if let Some(known) = discovery.known.as_ref()
            && !refresh
            && known.fetched.elapsed() < DISCOVERY_LIFETIME
        {
            return Ok(known.metadata.clone());
        }
        let stale = |discovery: &Discovery| {
            discovery
                .known
                .as_ref()
                .filter(|_| !refresh)
                .map(|known| known.metadata.clone())
        };
        if let Some(failed_at) = discovery.failed_at
            && failed_at.elapsed() < RETRY_AFTER_FAILURE
        {
            return stale(&discovery).ok_or_else(|| {
                OidcError::Unavailable(format!(
                    "discovery of {} failed {} s ago: not asked again yet",
                    self.settings.issuer,
                    failed_at.elapsed().as_secs()
                ))
            });
        }
        match CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http).await {
            Ok(metadata) => {
                *discovery = Discovery {
                    known: Some(Discovered {
                        metadata: metadata.clone(),
                        fetched: Instant::now(),
                    }),
                    failed_at: None,
                };
                Ok(metadata)
            }
            Err(error) => {
                let detail = format!("discovery of {} failed: {error}", self.settings.issuer);
                discovery.failed_at = Some(Instant::now());
                match stale(&discovery) {
                    Some(metadata) => {
                        tracing::warn!(error = %detail, "using the OIDC provider's last discovery document");
                        Ok(metadata)
                    }
                    None => Err(OidcError::Unavailable(detail)),
                }
            }
        }
    }

    fn client(&self, metadata: CoreProviderMetadata) -> EntraClient {
        let basic_supported = metadata
            .token_endpoint_auth_methods_supported()
            .is_none_or(|methods| methods.contains(&CoreClientAuthMethod::ClientSecretBasic));
        let secret = match &self.settings.client_auth {
            ClientAuth::Secret(secret) => Some(ClientSecret::new(secret.clone())),
            ClientAuth::PrivateKey(_) => None,
        };
        let client = EntraClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone());
        if secret.is_some() && basic_supported {
            client.set_auth_type(AuthType::BasicAuth)
        } else {
            client.set_auth_type(AuthType::RequestBody)
        }
    }

    /// Begins a sign-in: stores its state, PKCE verifier and nonce, and returns the provider's
    /// authorization URL and the browser's cookie value. `next` is a local path or empty.
    /// `browser` is the cookie this browser already has from a sign-in it began (another tab):
    /// it is kept, so that each tab's sign-in can finish. `address` is the client's address.
    ///
    /// # Errors
    /// [`OidcError::Unavailable`] (no discovery document), [`OidcError::Busy`],
    /// [`OidcError::BusyFromHere`], the database.
    pub async fn begin(
        &self,
        pool: &sqlx::AnyPool,
        next: &str,
        browser: Option<&str>,
        address: &str,
        now: OffsetDateTime,
    ) -> Result<Begun, OidcError> {
        let client = self.client(self.metadata(false).await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_string()))
            .add_scope(Scope::new("profile".to_string()))
            .set_pkce_challenge(challenge)
            .url();
        // A token this desk made has the shape of all its 256-bit tokens; anything else is new.
        let browser_token = browser
            .filter(|token| super::csrf::is_token_shaped(token))
            .map_or_else(SessionToken::generate, SessionToken::new);
        let pending = store::oidc::Pending {
            browser_hash: browser_token.id(),
            pkce_verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
            next_path: next.to_string(),
            client: address.to_string(),
            expires_at: timestamp(now + SIGN_IN_WINDOW),
        };
        let state_hash = SessionToken::new(state.secret().clone()).id();
        match store::oidc::begin(pool, &state_hash, &pending, now).await? {
            Ok(()) => {}
            Err(store::oidc::Refused::Full) => return Err(OidcError::Busy),
            Err(store::oidc::Refused::TooManyFromClient) => return Err(OidcError::BusyFromHere),
        }
        Ok(Begun {
            authorize_url: url.to_string(),
            browser_token,
        })
    }

    /// Finishes a sign-in with the provider's answer: checks it belongs to a sign-in this
    /// browser began (once), redeems the code, checks the ID token, and finds (or, by verified
    /// email, links) the person's account.
    ///
    /// # Errors
    /// Every [`OidcError`]; nothing is changed but a first link.
    pub async fn finish(
        &self,
        log: ChangeLog<'_>,
        answer: Callback,
        browser_token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Finished, OidcError> {
        let state = answer.state.as_deref().unwrap_or_default();
        if state.is_empty() {
            return Err(OidcError::UnknownState);
        }
        let pending = store::oidc::take(log.pool, &SessionToken::new(state).id())
            .await?
            .ok_or(OidcError::UnknownState)?;
        if pending.expires_at.as_str() <= timestamp(now).as_str() {
            return Err(OidcError::Expired);
        }
        let same_browser = browser_token.is_some_and(|token| {
            let hash = SessionToken::new(token).id();
            subtle::ConstantTimeEq::ct_eq(hash.as_bytes(), pending.browser_hash.as_bytes()).into()
        });
        if !same_browser {
            return Err(OidcError::OtherBrowser);
        }
        if let Some(error) = answer.error {
            let description = answer.error_description.unwrap_or_default();
            return Err(OidcError::Refused(format!("{error}: {description}")));
        }
        // RFC 9207: an answer that names its issuer must name ours (a mix-up defence).
        if let Some(iss) = answer.iss.as_deref()
            && iss != self.issuer.as_str()
        {
            return Err(OidcError::InvalidToken(format!(
                "the answer's iss is {iss}, not {}",
                self.issuer.as_str()
            )));
        }
        let code = answer
            .code
            .filter(|code| !code.is_empty())
            .ok_or_else(|| OidcError::InvalidToken("the answer has no code".to_string()))?;
        let metadata = self.metadata(false).await?;
        let token_endpoint = metadata
            .token_endpoint()
            .map(|url| url.as_str().to_string())
            .ok_or_else(|| {
                OidcError::Unavailable("the provider names no token endpoint".to_string())
            })?;
        let client = self.client(metadata);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|error| OidcError::Unavailable(error.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
        if let ClientAuth::PrivateKey(key) = &self.settings.client_auth {
            let assertion = key.assertion(&self.settings.client_id, &token_endpoint, now)?;
            request = request
                .add_extra_param(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = request
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(response) => OidcError::Refused(format!(
                    "the token endpoint said {}: {}",
                    response.error(),
                    response.error_description().map_or("", String::as_str)
                )),
                RequestTokenError::Request(error) => {
                    OidcError::Unavailable(format!("the token endpoint: {error}"))
                }
                other => OidcError::InvalidToken(format!("the token endpoint's answer: {other}")),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OidcError::InvalidToken("the answer has no ID token".to_string()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let check = |client: &EntraClient| {
            let verifier = client
                .id_token_verifier()
                .set_issue_time_verifier_fn(move |iat| {
                    let iat = iat.timestamp();
                    if iat > (now + CLOCK_SKEW).unix_timestamp() {
                        Err(format!("issued in the future ({iat})"))
                    } else if iat < (now - LARGEST_TOKEN_AGE).unix_timestamp() {
                        Err(format!("issued too long ago ({iat})"))
                    } else {
                        Ok(())
                    }
                });
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match check(&client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key the desk has not seen: the provider may have rotated its keys.
                tracing::info!(
                    "the ID token's key is not known: fetching the provider's keys again"
                );
                let client = self.client(self.metadata(true).await?);
                check(&client)
            }
            checked => checked,
        }
        .map_err(|error| OidcError::InvalidToken(error.to_string()))?;
        let issuer = self.issuer.as_str().to_string();
        let extra = claims.additional_claims();
        let subject = extra
            .oid
            .clone()
            .unwrap_or_else(|| claims.subject().as_str().to_string());
        let email = claims
            .email()
            .map(|email| email.as_str().trim().to_lowercase());
        let verified = claims.email_verified() == Some(true)
            || matches!(&extra.xms_edov, Some(serde_json::Value::Bool(true)))
            || matches!(&extra.xms_edov, Some(serde_json::Value::String(text)) if text == "1" || text == "true");
        let next = Some(pending.next_path).filter(|next| !next.is_empty());
        if let Some(user_id) = store::oidc::linked_account(log.pool, &issuer, &subject).await? {
            let user = store::users::get(log.pool, &user_id)
                .await?
                .ok_or(OidcError::NoAccount { email })?;
            if user.disabled_at.is_some() {
                return Err(OidcError::Disabled);
            }
            return Ok(Finished {
                identity: user.into(),
                next,
                linked: false,
            });
        }
        let email = match email {
            Some(email) if verified => email,
            email => return Err(OidcError::NoAccount { email }),
        };
        let Some((user, _)) = store::users::find_by_email(log.pool, &email).await? else {
            return Err(OidcError::NoAccount { email: Some(email) });
        };
        if user.disabled_at.is_some() {
            return Err(OidcError::Disabled);
        }
        let (user, linked) = match accounts::link_sign_in(log, &user.id, &issuer, &subject, now)
            .await?
        {
            accounts::Linking::Linked(changed) => {
                tracing::info!(user_id = %changed.user.id, issuer = %issuer, "an account was linked to its NHSmail sign-in");
                (changed.user, true)
            }
            accounts::Linking::AlreadyLinked(user) => (user, false),
            accounts::Linking::Refused => {
                // The account is someone else's at this provider: the same email, another
                // person.
                tracing::warn!(user_id = %user.id, "an OIDC subject with an account's email was not linked: the account is linked to another subject");
                return Err(OidcError::NoAccount { email: Some(email) });
            }
        };
        Ok(Finished {
            identity: user.into(),
            next,
            linked,
        })
    }
}
