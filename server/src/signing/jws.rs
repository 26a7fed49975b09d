//! JWS compact serialization with ES256 (RFC 7515, RFC 7518 §3.4): the header is canonical JSON,
//! the payload is the canonical claims, the signature is raw `r || s` (64 bytes), not DER.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::Value;

use super::keys::{PrivateKey, verifying_key_from_jwk};

/// The only algorithm a record is signed with.
pub const ALG: &str = "ES256";
/// The media type of a registration request record (the JWS `typ` header).
pub const TYP: &str = "appreg-request+jwt";
/// The media type of a reviewer's decision record.
pub const DECISION_TYP: &str = "appreg-decision+jwt";
/// The media type of a checkpoint: the desk's signature over its log's head (size and root).
pub const CHECKPOINT_TYP: &str = "appreg-checkpoint+jwt";
/// The media type of an implementation: the application as created in the tenant.
pub const IMPLEMENTATION_TYP: &str = "appreg-implementation+jwt";
/// The media type of a client secret's purge: the desk destroyed the value it kept.
pub const SECRET_PURGED_TYP: &str = "appreg-secret-purged+jwt";
/// The `typ` of a step of a registered application's deletion or recovery.
pub const APPLICATION_STEP_TYP: &str = "appreg-application-step+jwt";

/// The `typ` of a signed change of an account (added, role changed, disabled, enabled):
/// `crate::identity::accounts`.
pub const ACCOUNT_CHANGE_TYP: &str = "appreg-account-change+jwt";

/// Signs a registration request record: `payload` (canonical JSON) with `key`.
pub fn sign(key: &PrivateKey, payload: &str) -> String {
    sign_as(key, payload, TYP)
}

/// Signs `payload` (canonical JSON) with `key` as a JWS of media type `typ`:
/// `header.payload.signature`, each base64url. `typ` keeps a decision from being passed off as
/// a request record and the other way round.
pub fn sign_as(key: &PrivateKey, payload: &str, typ: &str) -> String {
    // Canonical (RFC 8785) by construction: members in code-point order, a kid is base64url and
    // a typ is one of our constants, so neither needs escaping.
    let header = format!(r#"{{"alg":"{ALG}","kid":"{}","typ":"{typ}"}}"#, key.kid());
    let mut jws = String::with_capacity(header.len() * 4 / 3 + payload.len() * 4 / 3 + 100);
    URL_SAFE_NO_PAD.encode_string(header.as_bytes(), &mut jws);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(payload.as_bytes(), &mut jws);
    let signature = key.sign_es256(jws.as_bytes());
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    jws
}

/// The keys a verifier trusts: public keys by kid, and the kids that are revoked.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, VerifyingKey>,
    revoked: HashSet<String>,
}

impl KeySet {
    /// Reads a JWKS document `{ "keys": [...] }`; keys that are not P-256 EC keys with a kid are
    /// skipped (a JWKS may publish other keys).
    pub fn from_jwks(jwks: &Value) -> KeySet {
        let mut set = KeySet::default();
        set.add_jwks(jwks);
        set
    }

    /// Adds the keys of a JWKS document.
    pub fn add_jwks(&mut self, jwks: &Value) {
        for jwk in jwks
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kid = jwk.get("kid").and_then(Value::as_str);
            if let (Some(kid), Some(key)) = (kid, verifying_key_from_jwk(jwk)) {
                self.keys.insert(kid.to_string(), key);
            }
        }
    }

    /// Marks the kids of a revoked-keys JWKS document (`jwks-revoked.json`) as revoked.
    pub fn add_revoked(&mut self, revoked_jwks: &Value) {
        for jwk in revoked_jwks
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(kid) = jwk.get("kid").and_then(Value::as_str) {
                self.revoked.insert(kid.to_string());
            }
        }
    }

    /// Marks one kid revoked.
    pub fn revoke(&mut self, kid: &str) {
        self.revoked.insert(kid.to_string());
    }

    /// How many trusted keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the set trusts no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A record whose signature checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The key that signed it.
    pub kid: String,
    /// The claims (the payload as JSON).
    pub claims: Value,
}

/// Why a JWS does not verify; each message says what is wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not three base64url parts.
    #[error("not a JWS in compact serialization (three base64url parts separated by dots)")]
    Malformed,
    /// The header is not a JSON object.
    #[error("the JWS header is not a JSON object")]
    Header,
    /// `alg` is not ES256.
    #[error("the JWS is signed with alg '{0}', not ES256")]
    Algorithm(String),
    /// `typ` is not ours.
    #[error("the JWS has typ '{0}', not the type expected here")]
    Type(String),
    /// A `crit` header names extensions this verifier does not understand (RFC 7515 §4.1.11).
    #[error("the JWS header has critical extensions this verifier does not understand")]
    Critical,
    /// No `kid` header.
    #[error("the JWS header has no kid")]
    MissingKid,
    /// The key is revoked.
    #[error("the key {0} that signed this record has been revoked")]
    Revoked(String),
    /// The key is not in the key set.
    #[error("the key {0} that signed this record is not in the key set")]
    UnknownKid(String),
    /// The signature does not match.
    #[error("the signature does not match the record (altered, or not signed by key {0})")]
    Signature(String),
    /// The payload is not JSON.
    #[error("the JWS payload is not a JSON object")]
    Payload,
}

/// Checks a registration request record: [`verify_as`] with typ `appreg-request+jwt`.
pub fn verify(jws: &str, keys: &KeySet) -> Result<Verified, VerifyError> {
    verify_as(jws, keys, TYP)
}

/// Checks `jws` against `keys`: alg ES256, the given `typ`, a known kid that is not revoked, and
/// a valid signature over the first two parts. Returns the claims.
pub fn verify_as(jws: &str, keys: &KeySet, typ: &str) -> Result<Verified, VerifyError> {
    let jws = jws.trim();
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| VerifyError::Malformed)
    };
    let header: Value =
        serde_json::from_slice(&decode(header_b64)?).map_err(|_| VerifyError::Header)?;
    let header = header.as_object().ok_or(VerifyError::Header)?;
    let text = |name: &str| header.get(name).and_then(Value::as_str).unwrap_or("");
    if text("alg") != ALG {
        return Err(VerifyError::Algorithm(text("alg").to_string()));
    }
    if text("typ") != typ {
        return Err(VerifyError::Type(text("typ").to_string()));
    }
    if header.contains_key("crit") {
        return Err(VerifyError::Critical);
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(VerifyError::MissingKid)?
        .to_string();
    if keys.revoked.contains(&kid) {
        return Err(VerifyError::Revoked(kid));
    }
    let key = keys
        .keys
        .get(&kid)
        .ok_or_else(|| VerifyError::UnknownKid(kid.clone()))?;
    let signature_bytes = decode(signature_b64)?;
    let signature =
        Signature::from_slice(&signature_bytes).map_err(|_| VerifyError::Signature(kid.clone()))?;
    let signed = &jws[..header_b64.len() + 1 + payload_b64.len()];
    key.verify(signed.as_bytes(), &signature)
        .map_err(|_| VerifyError::Signature(kid.clone()))?;
    let claims: Value =
        serde_json::from_slice(&decode(payload_b64)?).map_err(|_| VerifyError::Payload)?;
    if !claims.is_object() {
        return Err(VerifyError::Payload);
    }
    Ok(Verified { kid, claims })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key_set(key: &PrivateKey) -> KeySet {
        let mut jwk = key.public_jwk();
        jwk["kid"] = json!(key.kid());
        KeySet::from_jwks(&json!({ "keys": [jwk] }))
    }

    #[test]
    fn signs_what_it_verifies_with_a_raw_64_byte_signature() {
        let key = PrivateKey::generate();
        let jws = sign(&key, r#"{"jti":"AR-7K3M-Q9XD"}"#);
        let signature = URL_SAFE_NO_PAD
            .decode(jws.rsplit('.').next().unwrap())
            .unwrap();
        assert_eq!(signature.len(), 64);
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jws.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            header,
            json!({"alg": "ES256", "kid": key.kid(), "typ": "appreg-request+jwt"})
        );
        let verified = verify(&jws, &key_set(&key)).unwrap();
        assert_eq!(verified.claims, json!({"jti": "AR-7K3M-Q9XD"}));
        assert_eq!(verified.kid, key.kid());
    }

    #[test]
    fn rejects_an_altered_payload() {
        let key = PrivateKey::generate();
        let jws = sign(&key, r#"{"jti":"AR-7K3M-Q9XD"}"#);
        let mut parts: Vec<&str> = jws.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(r#"{"jti":"AR-7K3M-Q9XE"}"#);
        parts[1] = &other;
        assert_eq!(
            verify(&parts.join("."), &key_set(&key)),
            Err(VerifyError::Signature(key.kid().into()))
        );
    }

    #[test]
    fn rejects_revoked_and_unknown_keys() {
        let key = PrivateKey::generate();
        let jws = sign(&key, "{}");
        let mut keys = key_set(&key);
        keys.revoke(key.kid());
        assert_eq!(
            verify(&jws, &keys),
            Err(VerifyError::Revoked(key.kid().into()))
        );
        let other = PrivateKey::generate();
        assert_eq!(
            verify(&jws, &key_set(&other)),
            Err(VerifyError::UnknownKid(key.kid().into()))
        );
    }

    #[test]
    fn rejects_other_algorithms_types_and_shapes() {
        let key = PrivateKey::generate();
        let keys = key_set(&key);
        let with_header = |header: &str| {
            format!(
                "{}.{}.AAAA",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode("{}")
            )
        };
        assert_eq!(
            verify(
                &with_header(r#"{"alg":"none","typ":"appreg-request+jwt"}"#),
                &keys
            ),
            Err(VerifyError::Algorithm("none".into()))
        );
        assert_eq!(
            verify(&with_header(r#"{"alg":"ES256","typ":"JWT"}"#), &keys),
            Err(VerifyError::Type("JWT".into()))
        );
        assert_eq!(verify("a.b", &keys), Err(VerifyError::Malformed));
        assert_eq!(verify("a.b.c.d", &keys), Err(VerifyError::Malformed));
        assert_eq!(verify("!!.b.c", &keys), Err(VerifyError::Malformed));
    }
}
