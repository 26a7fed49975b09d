//! Password hashing: argon2id (RFC 9106) with the OWASP-recommended minimum cost
//! (m = 19 MiB, t = 2, p = 1 — the `argon2` crate's defaults), stored as PHC strings.
//!
//! The cost parameters travel inside each PHC string, so raising them later only affects new
//! hashes; old ones still verify. Hashing is CPU-heavy: call these from `spawn_blocking`.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// The shortest password an account may have (NCSC and NIST SP 800-63B favour length over rules).
pub const MIN_LENGTH: usize = 12;

/// The longest password accepted: long enough for any passphrase, short enough to bound the work.
pub const MAX_LENGTH: usize = 1024;

/// A password as typed. Its `Debug` never shows it, so it cannot leak into a log line.
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// Wraps a typed password.
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    /// The password itself (only for hashing and verifying).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the password is long enough (and not absurdly long) to be set on an account.
    pub fn check_strength(&self) -> Result<(), String> {
        let length = self.0.chars().count();
        if length < MIN_LENGTH {
            return Err(format!(
                "the password is too short: it has {length} characters and needs at least {MIN_LENGTH} (a few unrelated words make a long password that is easy to remember)"
            ));
        }
        if length > MAX_LENGTH {
            return Err(format!(
                "the password is too long: at most {MAX_LENGTH} characters"
            ));
        }
        Ok(())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// The hasher: argon2id, version 0x13, default (OWASP minimum) cost.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a password with a fresh random salt into a PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &Password) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| anyhow::anyhow!("cannot hash the password: {error}"))
}

/// Whether `password` matches the PHC string `phc` (false for a malformed hash too).
pub fn verify(password: &Password, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a hash no password matches, with the same cost as real hashes: an unknown
/// email then takes as long to refuse as a wrong password does.
pub fn verify_dummy(password: &Password) {
    let _ = verify(password, DUMMY_HASH);
}

/// A well-formed argon2id PHC string with the default cost (a test keeps them equal) and an
/// all-zero output that no password produces; verifying against it costs one full hash.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let password = Password::new("correct horse battery staple");
        let phc = hash(&password).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(&password, &phc));
        assert!(!verify(
            &Password::new("correct horse battery stapler"),
            &phc
        ));
        assert!(!verify(&password, "not a hash"));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_hash_costs() {
        let real = hash(&Password::new("another long password")).unwrap();
        let cost = |phc: &str| phc.split('$').nth(3).map(str::to_string);
        assert_eq!(cost(DUMMY_HASH), cost(&real));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn short_passwords_are_refused_by_character_count() {
        assert!(Password::new("elevenchars").check_strength().is_err());
        assert!(Password::new("twelve chars").check_strength().is_ok());
        // Twelve characters, more than twelve bytes.
        assert!(Password::new("ééééééééééé").check_strength().is_err());
        assert!(Password::new("éééééééééééé").check_strength().is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let shown = format!("{:?}", Password::new("hunter2hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
