//! Client secrets at rest (issue 14, part 2): sealed with ChaCha20-Poly1305 (ring's, the AEAD
//! the TLS stack already ships) under a random 256-bit key kept in a file beside the signing keys
//! (`<data dir>/keys/client-secrets.key`, mode 0600, made on first start, never in the database
//! and never logged).
//!
//! A sealed value is `nonce (12 random bytes) || ciphertext || tag`. The associated data is
//! `appreg-client-secret:<reference>:<secret id>`, so a ciphertext copied onto another row (or
//! another application) does not open. Losing the key file loses only the secrets still inside
//! their 72 hours; nothing else depends on it.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// The key file's name in the keys directory.
pub const KEY_FILE: &str = "client-secrets.key";

/// Seals and opens client secrets.
pub struct SecretBox {
    key: LessSafeKey,
    path: PathBuf,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Why a sealed secret did not open.
#[derive(Debug, thiserror::Error)]
#[error("the sealed client secret does not open with this desk's key (wrong key file, or altered)")]
pub struct Unsealable;

fn aad(reference: &str, secret_id: &str) -> String {
    format!("appreg-client-secret:{reference}:{secret_id}")
}

impl SecretBox {
    /// Opens the key file in `keys_dir`, making it (32 random bytes, mode 0600) when missing.
    pub fn open(keys_dir: &Path) -> anyhow::Result<SecretBox> {
        crate::files::private_dir(keys_dir)?;
        let path = keys_dir.join(KEY_FILE);
        if !path.exists() {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .map_err(|error| anyhow::anyhow!("no randomness for the secrets key: {error}"))?;
            crate::files::write_new_private(&path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "made the client-secrets key");
        }
        crate::files::restrict(&path)?;
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        anyhow::ensure!(
            bytes.len() == 32,
            "{} is not a client-secrets key (it must be exactly 32 bytes)",
            path.display()
        );
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| anyhow::anyhow!("{} is not a usable key", path.display()))?;
        Ok(SecretBox {
            key: LessSafeKey::new(key),
            path,
        })
    }

    /// Seals `value` for the secret `secret_id` of `reference`.
    pub fn seal(&self, reference: &str, secret_id: &str, value: &str) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|error| anyhow::anyhow!("no randomness for a nonce: {error}"))?;
        let mut sealed = value.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(reference, secret_id).as_bytes()),
                &mut sealed,
            )
            .map_err(|_| anyhow::anyhow!("the client secret could not be sealed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`SecretBox::seal`] sealed for the same reference and secret id.
    pub fn open_sealed(
        &self,
        reference: &str,
        secret_id: &str,
        sealed: &[u8],
    ) -> Result<String, Unsealable> {
        if sealed.len() < NONCE_LEN {
            return Err(Unsealable);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unsealable)?;
        let mut buffer = rest.to_vec();
        let plain = self
            .key
            .open_in_place(
                nonce,
                Aad::from(aad(reference, secret_id).as_bytes()),
                &mut buffer,
            )
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_sealed_secret_opens_only_for_its_reference_and_id() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let secrets = SecretBox::open(&keys).unwrap();
        let mode = std::fs::metadata(keys.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = secrets
            .seal("AR-7K3M-Q9XD", "id-1", "s3cret~value")
            .unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"), "not in clear");
        assert_eq!(
            secrets
                .open_sealed("AR-7K3M-Q9XD", "id-1", &sealed)
                .unwrap(),
            "s3cret~value"
        );
        assert!(
            secrets
                .open_sealed("AR-7K3M-Q9XE", "id-1", &sealed)
                .is_err()
        );
        assert!(
            secrets
                .open_sealed("AR-7K3M-Q9XD", "id-2", &sealed)
                .is_err()
        );
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(
            secrets
                .open_sealed("AR-7K3M-Q9XD", "id-1", &altered)
                .is_err()
        );
        // The same key file opens it again (a restart).
        let again = SecretBox::open(&keys).unwrap();
        assert_eq!(
            again.open_sealed("AR-7K3M-Q9XD", "id-1", &sealed).unwrap(),
            "s3cret~value"
        );
        assert!(!format!("{again:?}").contains("key:"));
    }
}
