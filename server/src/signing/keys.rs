//! Record-signing keys: ES256 (P-256) key pairs, their public JWKs and RFC 7638 key ids, private
//! keys as PKCS#8 PEM files readable by the owner only, and the key ring the server signs with.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use crate::files;
use crate::store::keys as key_store;

/// A private signing key with its key id. Its `Debug` names the kid only: the key never
/// reaches a log line.
///
/// The key is kept twice: as a `p256` key (files, the public JWK) and as ring's key pair, which
/// signs. ring's P-256 is several times faster than `p256`'s portable arithmetic, and a record
/// is signed for every submission (docs/performance.md, "Signing"); its nonces are random,
/// hedged with the key, which ES256 allows (RFC 7518 §3.4 asks for no particular nonce).
pub struct PrivateKey {
    kid: String,
    key: SigningKey,
    signer: ring::signature::EcdsaKeyPair,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl PrivateKey {
    /// A fresh key pair from the operating system's random source.
    pub fn generate() -> PrivateKey {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let kid = thumbprint(&public_jwk(key.verifying_key()));
        PrivateKey::new(kid, key).expect("a fresh P-256 key is a valid ring key pair")
    }

    fn new(kid: String, key: SigningKey) -> anyhow::Result<PrivateKey> {
        let der = key
            .to_pkcs8_der()
            .map_err(|_| anyhow::anyhow!("cannot encode the signing key"))?;
        let signer = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der.as_bytes(),
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|error| anyhow::anyhow!("the signing key is not usable for ES256: {error}"))?;
        Ok(PrivateKey { kid, key, signer })
    }

    /// The ES256 signature of `message`: raw `r || s`, 64 bytes (RFC 7518 §3.4).
    pub(crate) fn sign_es256(&self, message: &[u8]) -> [u8; 64] {
        let signature = self
            .signer
            .sign(&ring::rand::SystemRandom::new(), message)
            .expect("ring signs with the system's random source");
        let mut fixed = [0u8; 64];
        fixed.copy_from_slice(signature.as_ref());
        fixed
    }

    /// The RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK `{kty, crv, x, y}`.
    pub fn public_jwk(&self) -> Value {
        public_jwk(self.key.verifying_key())
    }

    /// The public half.
    #[cfg(test)]
    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }

    /// Reads `<dir>/<kid>.pem` and checks that it holds the key `kid` names.
    pub fn read(dir: &Path, kid: &str) -> anyhow::Result<PrivateKey> {
        if !is_kid(kid) {
            anyhow::bail!("'{kid}' is not a key id");
        }
        let path = key_file(dir, kid);
        let pem = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the signing key {}", path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|_| anyhow::anyhow!("{} is not a P-256 PKCS#8 key", path.display()))?;
        let actual = thumbprint(&public_jwk(key.verifying_key()));
        if actual != kid {
            anyhow::bail!("{} holds the key {actual}, not {kid}", path.display());
        }
        PrivateKey::new(kid.to_string(), key)
    }

    /// Writes the key to `<dir>/<kid>.pem`, creating `dir` with mode 0700 and the file with mode
    /// 0600 before any byte is written (never readable by others, not even for an instant).
    pub fn write(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        files::private_dir(dir)?;
        let path = key_file(dir, &self.kid);
        let pem = self
            .key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| anyhow::anyhow!("cannot encode the signing key"))?;
        files::write_new_private(&path, pem.as_bytes())
            .with_context(|| format!("cannot write the signing key file {}", path.display()))?;
        Ok(path)
    }
}

/// Where the private key `kid` is kept.
fn key_file(dir: &Path, kid: &str) -> PathBuf {
    dir.join(format!("{kid}.pem"))
}

/// Destroys the private key files of revoked keys that are still on disk (revoked by a version
/// that kept them, or a revocation interrupted between its commit and the file's removal): a
/// revoked key must not be usable by anyone who later reads the data directory or a backup.
async fn destroy_revoked_key_files(pool: &AnyPool, dir: &Path) -> anyhow::Result<()> {
    for key in key_store::list(pool).await? {
        if key.state == key_store::KeyState::Revoked {
            let path = key_file(dir, &key.kid);
            if path.exists() {
                files::destroy(&path)?;
                tracing::info!(kid = %key.kid, "destroyed the private key file of a revoked key");
            }
        }
    }
    Ok(())
}

/// The public JWK `{kty, crv, x, y}` of a P-256 key (coordinates base64url, 32 bytes each).
pub fn public_jwk(key: &VerifyingKey) -> Value {
    let point = key.to_encoded_point(false);
    let x = point
        .x()
        .map(|x| URL_SAFE_NO_PAD.encode(x))
        .unwrap_or_default();
    let y = point
        .y()
        .map(|y| URL_SAFE_NO_PAD.encode(y))
        .unwrap_or_default();
    json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y })
}

/// The RFC 7638 thumbprint: base64url SHA-256 of `{"crv","kty","x","y"}` in that order, no spaces.
pub fn thumbprint(jwk: &Value) -> String {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str).unwrap_or("");
    let canonical = format!(
        r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
        member("crv"),
        member("kty"),
        member("x"),
        member("y")
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The public key a JWK `{kty: EC, crv: P-256, x, y}` describes.
pub fn verifying_key_from_jwk(jwk: &Value) -> Option<VerifyingKey> {
    if jwk.get("kty")?.as_str()? != "EC" || jwk.get("crv")?.as_str()? != "P-256" {
        return None;
    }
    let x = URL_SAFE_NO_PAD.decode(jwk.get("x")?.as_str()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(jwk.get("y")?.as_str()?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    VerifyingKey::from_sec1_bytes(&sec1).ok()
}

/// True when `text` has the shape of a kid (43 base64url characters: a SHA-256), so that a kid
/// can name a file without escaping the keys directory.
pub fn is_kid(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The keys the server signs with: the current key's id comes from the database on every
/// signature (so `appreg keys rotate` in another process takes effect at once), the private key
/// from its file, read once and kept. Clones share the loaded keys.
#[derive(Clone)]
pub struct KeyRing {
    dir: PathBuf,
    issuer: String,
    loaded: Arc<RwLock<HashMap<String, Arc<PrivateKey>>>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("dir", &self.dir)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Opens the ring over the key files in `dir`, generating and storing a first key when the
    /// database has no current one. `issuer` is the records' `iss`.
    pub async fn open(
        pool: &AnyPool,
        dir: &Path,
        issuer: impl Into<String>,
    ) -> anyhow::Result<KeyRing> {
        let ring = KeyRing {
            dir: dir.to_path_buf(),
            issuer: issuer.into(),
            loaded: Arc::new(RwLock::new(HashMap::new())),
        };
        files::private_dir(dir)?;
        destroy_revoked_key_files(pool, dir).await?;
        let mut transaction = crate::store::begin_write(pool).await?;
        if key_store::current_kid(&mut transaction).await?.is_none() {
            let key = PrivateKey::generate();
            key.write(dir)?;
            key_store::insert_current(
                &mut transaction,
                key.kid(),
                &key.public_jwk(),
                OffsetDateTime::now_utc(),
            )
            .await?;
            tracing::info!(kid = key.kid(), "generated the first record-signing key");
        }
        // A current key whose file is missing (a data directory restored without its keys)
        // stops the start here, not every submission later.
        ring.current(&mut transaction)
            .await
            .context("the current record-signing key cannot be used")?;
        transaction.commit().await?;
        Ok(ring)
    }

    /// The `iss` of the records this ring signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The directory holding the private key files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current key, as the database says on `connection` (inside the caller's transaction,
    /// so a record is signed with the key that is current when it is appended).
    pub async fn current(&self, connection: &mut AnyConnection) -> anyhow::Result<Arc<PrivateKey>> {
        let kid = key_store::current_kid(connection)
            .await?
            .ok_or_else(|| anyhow::anyhow!("there is no current signing key"))?;
        self.key(&kid)
    }

    fn key(&self, kid: &str) -> anyhow::Result<Arc<PrivateKey>> {
        if let Some(key) = self
            .loaded
            .read()
            .map_err(|_| anyhow::anyhow!("the key cache is poisoned"))?
            .get(kid)
        {
            return Ok(key.clone());
        }
        let key = Arc::new(PrivateKey::read(&self.dir, kid)?);
        self.loaded
            .write()
            .map_err(|_| anyhow::anyhow!("the key cache is poisoned"))?
            .insert(kid.to_string(), key.clone());
        Ok(key)
    }
}

/// Makes a new current key (the old one becomes retired) and returns its kid.
pub async fn rotate(pool: &AnyPool, dir: &Path, now: OffsetDateTime) -> anyhow::Result<String> {
    let key = PrivateKey::generate();
    key.write(dir)?;
    let mut transaction = crate::store::begin_write(pool).await?;
    key_store::insert_current(&mut transaction, key.kid(), &key.public_jwk(), now).await?;
    transaction.commit().await?;
    Ok(key.kid().to_string())
}

/// What revoking a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// The key was current or retired and is now revoked; when it was current, `new_current` is
    /// the key generated to replace it.
    Revoked {
        /// The replacement current key, when the revoked key was current.
        new_current: Option<String>,
    },
    /// It was already revoked.
    AlreadyRevoked,
    /// No key has this id.
    Unknown,
}

/// Revokes `kid`: it moves to the revoked list and the records it signed no longer verify.
/// Revoking the current key also makes a new current key, so that the desk can go on signing.
pub async fn revoke(
    pool: &AnyPool,
    dir: &Path,
    kid: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Revoked> {
    let replacement = PrivateKey::generate();
    let mut transaction = crate::store::begin_write(pool).await?;
    let Some(state) = key_store::state(&mut transaction, kid).await? else {
        return Ok(Revoked::Unknown);
    };
    if state == key_store::KeyState::Revoked {
        return Ok(Revoked::AlreadyRevoked);
    }
    key_store::mark_revoked(&mut transaction, kid, now).await?;
    let new_current = if state == key_store::KeyState::Current {
        replacement.write(dir)?;
        key_store::insert_current(
            &mut transaction,
            replacement.kid(),
            &replacement.public_jwk(),
            now,
        )
        .await?;
        Some(replacement.kid().to_string())
    } else {
        None
    };
    transaction.commit().await?;
    // Revoked means never usable again: the private key is destroyed, not just unpublished.
    files::destroy(&key_file(dir, kid))?;
    Ok(Revoked::Revoked { new_current })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        // RFC 7638 §3.1's example is RSA; this checks the EC member order and encoding instead.
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB", "kid": "ignored"});
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(
            br#"{"crv":"P-256","kty":"EC","x":"AAAA","y":"BBBB"}"#,
        ));
        assert_eq!(thumbprint(&jwk), expected);
        assert!(is_kid(&expected));
    }

    #[test]
    fn a_generated_key_round_trips_through_its_jwk() {
        let key = PrivateKey::generate();
        let jwk = key.public_jwk();
        assert_eq!(
            verifying_key_from_jwk(&jwk).as_ref(),
            Some(key.verifying_key())
        );
        assert_eq!(thumbprint(&jwk), key.kid());
    }

    #[test]
    fn debug_of_a_private_key_names_the_kid_only() {
        let key = PrivateKey::generate();
        let pem = key.key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let body: String = pem.lines().nth(1).unwrap().to_string();
        let debug = format!("{key:?} {key:#?}");
        assert!(debug.contains(key.kid()));
        assert!(debug.contains("<redacted>"));
        assert!(!debug.contains(&body[..20]), "{debug}");
        let scalar = format!("{:?}", key.key.to_bytes());
        assert!(!debug.contains(&scalar));
    }

    #[test]
    fn key_files_are_owner_only_and_read_back() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let key = PrivateKey::generate();
        let path = key.write(&keys).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let read = PrivateKey::read(&keys, key.kid()).unwrap();
        assert_eq!(read.public_jwk(), key.public_jwk());
        assert!(PrivateKey::read(&keys, "../../etc/passwd").is_err());
    }
}
