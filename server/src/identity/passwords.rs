//! Password hashing: argon2id (RFC 9106) with the OWASP-recommended minimum cost
//! (m = 19 MiB, t = 2, p = 1 — the `argon2` crate's defaults), stored as PHC strings.
//!
//! The cost parameters travel inside each PHC string, so raising them later only affects new
//! hashes; old ones still verify. Hashing is CPU-heavy: call these from `spawn_blocking`.
//!
//! Verification, which every sign-in makes, needs 19 MiB of work memory, and it is given back to
//! the system after each sign-in (docs/performance.md, "Memory and sign-in"):
//! - Verifications take turns: one holds the work memory at a time (a sign-in costs about 20 ms
//!   of it, which the sign-in rate limits keep far from saturated), so sign-ins at once cannot
//!   add up to more.
//! - The work memory is reserved at [`RESERVED`], more than glibc's largest dynamic mmap
//!   threshold (32 MiB on 64-bit, mallopt(3)), and only its first 19 MiB is touched. glibc
//!   maps an allocation that large on its own and unmaps it when freed, and freeing it does not
//!   raise the threshold. A 19 MiB allocation, freed, raised the threshold to 19 MiB; the next
//!   one came from a thread's heap, and glibc kept it: the desk's memory grew by about 20 MiB
//!   with each sign-in on a new thread, and then stayed 19 MiB higher for ever.

use argon2::password_hash::rand_core::OsRng;
use std::sync::Mutex;

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// Whether `password` matches the PHC string `phc` (false for a malformed hash too). The
/// comparison is in constant time (`Output`'s equality).
pub fn verify(password: &Password, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Some(expected), Some(salt)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed.hash,
        parsed.salt,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let hasher = Argon2::new(algorithm, version, params);
    let turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut memory: Vec<Block> = Vec::with_capacity(blocks.max(RESERVED / size_of::<Block>()));
    memory.resize(blocks, Block::default());
    let computed = hasher.hash_password_into_with_memory(
        password.expose().as_bytes(),
        salt,
        &mut out,
        &mut memory,
    );
    drop(memory);
    drop(turn);
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

/// Verifications take turns (see the module comment).
static TURN: Mutex<()> = Mutex::new(());

/// What a verification's work memory is reserved at: over glibc's 32 MiB ceiling for its dynamic
/// mmap threshold, so that the memory is mapped on its own and given back when freed (see the
/// module comment). Only the pages a hash uses are ever touched.
const RESERVED: usize = 33 * 1024 * 1024;

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
    fn hashes_made_with_other_costs_and_variants_still_verify() {
        // A desk's older (or later, costlier) hashes keep their own cost in the PHC string, and
        // each is verified in work memory of its own cost (32 MiB here: all of the reserve).
        let password = Password::new("correct horse battery staple");
        let salt = SaltString::generate(&mut OsRng);
        for (algorithm, m_cost, t_cost) in [
            (Algorithm::Argon2id, 8 * 1024, 1),
            (Algorithm::Argon2id, 32 * 1024, 2),
            (Algorithm::Argon2i, 4 * 1024, 3),
        ] {
            let params = Params::new(m_cost, t_cost, 1, None).unwrap();
            let phc = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(password.expose().as_bytes(), &salt)
                .unwrap()
                .to_string();
            assert!(verify(&password, &phc), "{phc}");
            assert!(
                !verify(&Password::new("wrong horse battery staple"), &phc),
                "{phc}"
            );
        }
        // A default-cost hash still verifies after a costlier one.
        let phc = hash(&password).unwrap();
        assert!(verify(&password, &phc));
        // A hash whose output was tampered with does not verify.
        let output_at = phc.rfind('$').unwrap() + 1;
        let first = &phc[output_at..=output_at];
        let tampered = format!(
            "{}{}{}",
            &phc[..output_at],
            if first == "A" { "B" } else { "A" },
            &phc[output_at + 1..]
        );
        assert!(PasswordHash::new(&tampered).is_ok());
        assert!(!verify(&password, &tampered));
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
