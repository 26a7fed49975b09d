//! Who is asking, and what they may do.
//!
//! # Layers
//!
//! 1. **Providers** turn credentials into an [`Identity`]: [`LocalPasswords`] (accounts in the
//!    `users` table with argon2id hashes, [`passwords`], made with `appreg user add`), and
//!    [`oidc`], "Sign in with NHSmail" (OpenID Connect against the Entra ID tenant, or any
//!    OpenID provider), which finds the account by the provider's stable subject and links it on
//!    a first sign-in by verified email. Entra proves who someone is; the `users` row still says
//!    the role and ODS code. [`SignInMethods`] says which are on (`local_sign_in`, `oidc_*`).
//! 2. **Sessions** ([`sessions`]) turn an `Identity` into a cookie and back. They store only the
//!    account's id, so they do not care which provider vouched for it.
//! 3. **Capabilities**: [`require_local_admin`], [`require_reviewer`] and
//!    [`require_desk_admin`] turn an [`Identity`] into [`LocalAdminOf`] / [`Reviewer`] /
//!    [`DeskAdmin`] values or [`Forbidden`]. Those values have private fields and no other
//!    constructor, so a function that takes one can only be reached through the check. The roles
//!    do not overlap: a desk administrator manages accounts ([`accounts`]) and neither submits,
//!    reads nor decides on requests. CSRF tokens: [`csrf`].
//!
//! HTTP is not here: the web layer (`web::session`, `web::form_post`, `web::nhsmail`) reads
//! cookies and headers, extracts [`SignedIn`], and answers [`IdentityError`], [`Forbidden`] and
//! [`oidc::OidcError`] as responses.
//! 4. **Throttling** of sign-in ([`rate_limit`]): per account, per client address, and per
//!    browser that signed in before (device cookies), each attempt recorded before its hash.
//! 5. **Accounts** ([`accounts`]): every change of an account (made, role, disabled, password,
//!    linked to an OpenID subject) is made under the writer with a signed log entry.

pub mod accounts;
pub mod csrf;
pub mod oidc;
pub mod passwords;
pub mod rate_limit;
pub mod sessions;

use std::future::Future;

use sqlx::AnyPool;

use crate::store;
use passwords::Password;

pub use registration::lifecycle::Role;

/// How people may sign in to this desk: with a local password, with the OpenID provider
/// ("Sign in with NHSmail", [`oidc`]), or both.
#[derive(Debug, Clone)]
pub struct SignInMethods {
    /// Whether local passwords sign people in (`local_sign_in`). When off, the password form,
    /// password changes and reset links are refused; accounts are still made on the CLI.
    pub local: bool,
    /// Sign-in with the OpenID provider, when configured.
    pub nhsmail: Option<std::sync::Arc<oidc::NhsmailSignIn>>,
}

impl SignInMethods {
    /// Local passwords only: the embedded default.
    pub fn local_only() -> SignInMethods {
        SignInMethods {
            local: true,
            nhsmail: None,
        }
    }

    /// The methods the settings name.
    ///
    /// # Errors
    /// The OpenID settings' URLs (checked when the settings were read, so not expected here).
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<SignInMethods> {
        Ok(SignInMethods {
            local: config.local_sign_in,
            nhsmail: config
                .oidc
                .clone()
                .map(oidc::NhsmailSignIn::new)
                .transpose()?
                .map(std::sync::Arc::new),
        })
    }
}

/// Someone a provider vouched for, as the rest of the desk sees them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    /// The account's id in `users`.
    pub user_id: String,
    /// Lower-case email address.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// Their organisation, for a Local Administrator.
    pub ods_code: Option<String>,
}

impl From<store::users::User> for Identity {
    fn from(user: store::users::User) -> Identity {
        Identity {
            user_id: user.id,
            email: user.email,
            role: user.role,
            ods_code: user.ods_code,
        }
    }
}

/// Why authentication failed. Callers must answer every variant but `Internal` the same way,
/// so that no one learns whether an email has an account.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown account, wrong password, or disabled account.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The provider could not decide (database down, …).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A way of proving who someone is (local passwords now; NHSmail OIDC later — see the module doc).
pub trait IdentityProvider {
    /// What the person presents.
    type Credentials;

    /// Checks the credentials and names the account they prove.
    fn authenticate(
        &self,
        credentials: Self::Credentials,
    ) -> impl Future<Output = Result<Identity, AuthError>> + Send;
}

/// An email and password typed into the sign-in form or sent to `POST /api/v1/session`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordCredentials {
    /// The email as typed (compared case-insensitively).
    pub email: String,
    /// The password (its `Debug` is redacted).
    pub password: Password,
}

/// Local accounts with argon2id password hashes.
#[derive(Debug, Clone)]
pub struct LocalPasswords {
    pool: AnyPool,
    /// The password-hashing pool's permits (`crate::limits::Limits::password_hashing`).
    hashing: std::sync::Arc<tokio::sync::Semaphore>,
}

impl LocalPasswords {
    /// The provider over the desk's database, hashing within the permits of `hashing`.
    pub fn new(pool: AnyPool, hashing: std::sync::Arc<tokio::sync::Semaphore>) -> LocalPasswords {
        LocalPasswords { pool, hashing }
    }
}

impl LocalPasswords {
    /// Checks an email and password with a permit of the password-hashing pool, which is held
    /// until the hash is done (even if the caller goes away meanwhile).
    pub async fn authenticate_with(
        &self,
        credentials: PasswordCredentials,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Identity, AuthError> {
        let email = normalise_email(&credentials.email);
        let password = credentials.password;
        // No account has a password this long: refusing it costs no hash, and tells nothing
        // about whether the account exists.
        if password.expose().chars().count() > passwords::MAX_LENGTH {
            return Err(AuthError::InvalidCredentials);
        }
        let found = store::users::find_by_email(&self.pool, &email).await?;
        // Always one argon2 verification, whether or not the account exists or is disabled,
        // so the answer takes the same time either way.
        let user = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            match found {
                Some((user, phc)) => {
                    let matches = passwords::verify(&password, &phc);
                    (matches && user.disabled_at.is_none()).then_some(user)
                }
                None => {
                    passwords::verify_dummy(&password);
                    None
                }
            }
        })
        .await
        .map_err(|error| anyhow::anyhow!("password verification did not finish: {error}"))?;
        user.map(Identity::from)
            .ok_or(AuthError::InvalidCredentials)
    }
}

impl IdentityProvider for LocalPasswords {
    type Credentials = PasswordCredentials;

    /// Waits for a permit of the password-hashing pool, then checks.
    async fn authenticate(&self, credentials: PasswordCredentials) -> Result<Identity, AuthError> {
        let permit = std::sync::Arc::clone(&self.hashing)
            .acquire_owned()
            .await
            .map_err(|_| anyhow::anyhow!("the password-hashing pool is closed"))?;
        self.authenticate_with(credentials, permit).await
    }
}

/// The longest email an account may have (RFC 5321 §4.5.3.1.3's path limit less the brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An email as stored and compared: trimmed and lower-case.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether a (normalised) email is plausible enough to be an account name.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The proof that someone is a Local Administrator of one organisation (from [`require_local_admin`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAdminOf {
    user_id: String,
    email: String,
    ods_code: String,
}

impl LocalAdminOf {
    /// The administrator's account id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The administrator's email (signed records name it).
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The organisation they act for.
    pub fn ods_code(&self) -> &str {
        &self.ods_code
    }
}

/// The proof that someone is a reviewer (from [`require_reviewer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    user_id: String,
    email: String,
}

impl Reviewer {
    /// The reviewer's account id (four-eyes checks compare it with the submitter's).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The reviewer's email (signed decisions name it).
    pub fn email(&self) -> &str {
        &self.email
    }
}

/// The proof that someone is a desk administrator (from [`require_desk_admin`]): they manage the
/// desk's accounts on the Accounts page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskAdmin {
    user_id: String,
    email: String,
}

impl DeskAdmin {
    /// The desk administrator's account id (they may not lock their own account out).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The desk administrator's email (signed account changes name it as who made them).
    pub fn email(&self) -> &str {
        &self.email
    }
}

/// Signed in, but not allowed (the web layer answers 403, or 404 where the contract asks for
/// it: another organisation's reference).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the account is not allowed to do this")]
pub struct Forbidden;

/// Why the identity layer could not answer (the web layer turns it into a response).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The accounts, sessions or sign-in attempts could not be read or written.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Checks that `identity` is a Local Administrator of `ods_code` (compared case-insensitively).
pub fn require_local_admin(identity: &Identity, ods_code: &str) -> Result<LocalAdminOf, Forbidden> {
    require_any_local_admin(identity)
        .ok()
        .filter(|admin| admin.ods_code.eq_ignore_ascii_case(ods_code.trim()))
        .ok_or(Forbidden)
}

/// Checks that `identity` is a Local Administrator (of their own organisation, which the
/// returned value names). Domain functions then check that what they touch is that organisation's.
pub fn require_any_local_admin(identity: &Identity) -> Result<LocalAdminOf, Forbidden> {
    match (&identity.role, &identity.ods_code) {
        (Role::LocalAdmin, Some(own)) => Ok(LocalAdminOf {
            user_id: identity.user_id.clone(),
            email: identity.email.clone(),
            ods_code: own.to_ascii_uppercase(),
        }),
        _ => Err(Forbidden),
    }
}

/// Checks that `identity` is a reviewer.
pub fn require_reviewer(identity: &Identity) -> Result<Reviewer, Forbidden> {
    match identity.role {
        Role::Reviewer => Ok(Reviewer {
            user_id: identity.user_id.clone(),
            email: identity.email.clone(),
        }),
        Role::LocalAdmin | Role::DeskAdmin => Err(Forbidden),
    }
}

/// Checks that `identity` is a desk administrator.
pub fn require_desk_admin(identity: &Identity) -> Result<DeskAdmin, Forbidden> {
    match identity.role {
        Role::DeskAdmin => Ok(DeskAdmin {
            user_id: identity.user_id.clone(),
            email: identity.email.clone(),
        }),
        Role::LocalAdmin | Role::Reviewer => Err(Forbidden),
    }
}

/// Whether `identity` may read the request of organisation `ods_code`: reviewers read every
/// request, Local Administrators their own organisation's, desk administrators none (they
/// manage accounts only). Callers answer `false` with 404.
pub fn may_read(identity: &Identity, ods_code: &str) -> bool {
    match identity.role {
        Role::Reviewer => true,
        Role::LocalAdmin => identity
            .ods_code
            .as_deref()
            .is_some_and(|own| own.eq_ignore_ascii_case(ods_code.trim())),
        Role::DeskAdmin => false,
    }
}

pub use sessions::SignedIn;

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(role: Role, ods: Option<&str>) -> Identity {
        Identity {
            user_id: "u1".into(),
            email: "a@nhs.net".into(),
            role,
            ods_code: ods.map(str::to_string),
        }
    }

    #[test]
    fn local_admin_capability_is_only_for_their_own_organisation() {
        let admin = identity(Role::LocalAdmin, Some("RX1"));
        assert_eq!(
            require_local_admin(&admin, "rx1").unwrap().ods_code(),
            "RX1"
        );
        assert_eq!(require_local_admin(&admin, "RTH"), Err(Forbidden));
        assert_eq!(require_reviewer(&admin), Err(Forbidden));
    }

    #[test]
    fn reviewer_capability_is_only_for_reviewers() {
        let reviewer = identity(Role::Reviewer, None);
        assert_eq!(require_reviewer(&reviewer).unwrap().user_id(), "u1");
        assert_eq!(require_local_admin(&reviewer, "RX1"), Err(Forbidden));
    }

    #[test]
    fn desk_admin_capability_is_only_for_desk_admins_and_gives_no_other() {
        let desk_admin = identity(Role::DeskAdmin, None);
        assert_eq!(require_desk_admin(&desk_admin).unwrap().user_id(), "u1");
        assert_eq!(require_reviewer(&desk_admin), Err(Forbidden));
        assert_eq!(require_any_local_admin(&desk_admin), Err(Forbidden));
        assert!(!may_read(&desk_admin, "RX1"));
        for other in [
            identity(Role::LocalAdmin, Some("RX1")),
            identity(Role::Reviewer, None),
        ] {
            assert_eq!(require_desk_admin(&other), Err(Forbidden));
        }
    }

    #[test]
    fn emails_are_compared_trimmed_and_lower_case() {
        assert_eq!(
            normalise_email("  Alice.Smith@NHS.net "),
            "alice.smith@nhs.net"
        );
        assert!(is_plausible_email("alice.smith@nhs.net"));
        for bad in [
            "alice",
            "@nhs.net",
            "a@nhs",
            "a b@nhs.net",
            "a@b@nhs.net",
            "a@.net",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
