//! The certificate's key and signature: what they are, and whether a self-issued one verifies.

use rsa::BigUint;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use x509_parser::certificate::X509Certificate;
use x509_parser::public_key::RSAPublicKey;
use x509_parser::signature_algorithm::{RsaSsaPssParams, SignatureAlgorithm};

use x509_parser::prelude::FromDer;

/// Keys above this size are never verified: the rules refuse them first (`rsa_key_too_large`),
/// and this bound keeps the work bounded whoever calls.
const MAX_VERIFY_BITS: usize = crate::limits::MAX_RSA_BITS;

/// A hash a signature algorithm uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hash {
    Md2,
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Other,
}

impl Hash {
    /// The name of a hash the policy refuses, `None` for an acceptable one.
    pub(super) const fn weak_name(self) -> Option<&'static str> {
        match self {
            Hash::Md2 => Some("MD2"),
            Hash::Md4 => Some("MD4"),
            Hash::Md5 => Some("MD5"),
            Hash::Sha1 => Some("SHA-1"),
            Hash::Sha224 | Hash::Sha256 | Hash::Sha384 | Hash::Sha512 | Hash::Other => None,
        }
    }

    fn from_oid(oid: &str) -> Hash {
        match oid {
            "1.2.840.113549.2.2" => Hash::Md2,
            "1.2.840.113549.2.4" => Hash::Md4,
            "1.2.840.113549.2.5" => Hash::Md5,
            "1.3.14.3.2.26" => Hash::Sha1,
            "2.16.840.1.101.3.4.2.4" => Hash::Sha224,
            "2.16.840.1.101.3.4.2.1" => Hash::Sha256,
            "2.16.840.1.101.3.4.2.2" => Hash::Sha384,
            "2.16.840.1.101.3.4.2.3" => Hash::Sha512,
            _ => Hash::Other,
        }
    }
}

/// How a signature is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    RsaPkcs1,
    RsaPss,
    /// ECDSA, DSA or EdDSA: no RSA key can have made it.
    NotRsa,
    Unknown,
}

/// A certificate's signature algorithm, as far as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SignatureInfo {
    /// OpenSSL's name (`sha256WithRSAEncryption`), or the dotted OID when unknown.
    pub name: String,
    pub hash: Hash,
    pub scheme: Scheme,
}

/// Names the signature algorithm and its hash (for PSS, from its parameters: absent means SHA-1).
pub(super) fn signature_info(cert: &X509Certificate<'_>) -> SignatureInfo {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let (name, hash, scheme) = match oid.as_str() {
        "1.2.840.113549.1.1.2" => ("md2WithRSAEncryption", Hash::Md2, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.3" => ("md4WithRSAEncryption", Hash::Md4, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.4" => ("md5WithRSAEncryption", Hash::Md5, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.5" => ("sha1WithRSAEncryption", Hash::Sha1, Scheme::RsaPkcs1),
        "1.3.14.3.2.29" => ("sha1WithRSA", Hash::Sha1, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.14" => ("sha224WithRSAEncryption", Hash::Sha224, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption", Hash::Sha256, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption", Hash::Sha384, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption", Hash::Sha512, Scheme::RsaPkcs1),
        "1.2.840.113549.1.1.10" => {
            let hash = pss_params(cert).map_or(Hash::Other, |p| {
                Hash::from_oid(&p.hash_algorithm_oid().to_id_string())
            });
            ("rsassaPss", hash, Scheme::RsaPss)
        }
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1", Hash::Sha1, Scheme::NotRsa),
        "1.2.840.10045.4.3.1" => ("ecdsa-with-SHA224", Hash::Sha224, Scheme::NotRsa),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256", Hash::Sha256, Scheme::NotRsa),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384", Hash::Sha384, Scheme::NotRsa),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512", Hash::Sha512, Scheme::NotRsa),
        "1.2.840.10040.4.3" => ("dsa-with-SHA1", Hash::Sha1, Scheme::NotRsa),
        "2.16.840.1.101.3.4.3.1" => ("dsa_with_SHA224", Hash::Sha224, Scheme::NotRsa),
        "2.16.840.1.101.3.4.3.2" => ("dsa_with_SHA256", Hash::Sha256, Scheme::NotRsa),
        "1.3.101.112" => ("ED25519", Hash::Other, Scheme::NotRsa),
        "1.3.101.113" => ("ED448", Hash::Other, Scheme::NotRsa),
        _ => {
            return SignatureInfo {
                name: oid,
                hash: Hash::Other,
                scheme: Scheme::Unknown,
            };
        }
    };
    SignatureInfo {
        name: name.to_owned(),
        hash,
        scheme,
    }
}

fn pss_params<'a>(cert: &'a X509Certificate<'_>) -> Option<Box<RsaSsaPssParams<'a>>> {
    match SignatureAlgorithm::try_from(&cert.signature_algorithm) {
        Ok(SignatureAlgorithm::RSASSA_PSS(params)) => Some(params),
        _ => None,
    }
}

/// What the subject public key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum KeyInfo<'a> {
    Rsa {
        /// Big-endian modulus without leading zeros.
        modulus: &'a [u8],
        bits: usize,
        exponent: Exponent,
        /// Big-endian exponent without leading zeros.
        exponent_bytes: &'a [u8],
    },
    /// An RSA key whose encoding is broken (negative or zero modulus, unparsable SEQUENCE).
    MalformedRsa,
    /// Not an RSA key: plain words naming it.
    NotRsa(String),
}

/// The public exponent, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Exponent {
    /// The value, when it fits.
    Value(u64),
    /// Longer than 64 bits; `odd` decides whether it is usable.
    Huge { odd: bool },
}

/// Classifies the certificate's key (before anything is verified with it).
pub(super) fn key_info<'a>(cert: &'a X509Certificate<'_>) -> KeyInfo<'a> {
    let spki = &cert.tbs_certificate.subject_pki;
    let oid = spki.algorithm.algorithm.to_id_string();
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.1" => return rsa_key(&spki.subject_public_key.data),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "an elliptic-curve key (EC P-256)",
                Some("1.3.132.0.34") => "an elliptic-curve key (EC P-384)",
                Some("1.3.132.0.35") => "an elliptic-curve key (EC P-521)",
                _ => "an elliptic-curve (EC) key",
            }
        }
        "1.3.101.112" => "an Ed25519 key",
        "1.3.101.113" => "an Ed448 key",
        "1.3.101.110" | "1.3.101.111" => "an X25519/X448 key-agreement key",
        "1.2.840.10040.4.1" => "a DSA key",
        "1.2.840.113549.1.1.10" => "an RSASSA-PSS key (an RSA key restricted to PSS signatures)",
        "1.2.840.113549.1.1.7" => "an RSAES-OAEP key (an RSA key restricted to encryption)",
        _ => return KeyInfo::NotRsa(format!("a key of an unknown type (OID {oid})")),
    };
    KeyInfo::NotRsa(name.to_owned())
}

fn rsa_key(data: &[u8]) -> KeyInfo<'_> {
    let Ok((_, key)) = RSAPublicKey::from_der(data) else {
        return KeyInfo::MalformedRsa;
    };
    // A DER INTEGER with its top bit set is negative: no modulus or exponent can be.
    let negative = |v: &[u8]| v.first().is_some_and(|b| b & 0x80 != 0);
    if negative(key.modulus) || negative(key.exponent) {
        return KeyInfo::MalformedRsa;
    }
    let modulus = strip_zeros(key.modulus);
    let exponent_bytes = strip_zeros(key.exponent);
    let Some(&top) = modulus.first() else {
        return KeyInfo::MalformedRsa;
    };
    let bits = (modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize);
    let exponent = if exponent_bytes.len() <= 8 {
        let mut buf = [0u8; 8];
        let start = 8 - exponent_bytes.len();
        if let Some(slot) = buf.get_mut(start..) {
            slot.copy_from_slice(exponent_bytes);
        }
        Exponent::Value(u64::from_be_bytes(buf))
    } else {
        Exponent::Huge {
            odd: exponent_bytes.last().is_some_and(|b| b & 1 == 1),
        }
    };
    KeyInfo::Rsa {
        modulus,
        bits,
        exponent,
        exponent_bytes,
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

/// Whether a self-issued certificate's signature verifies with its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Valid,
    Invalid,
    /// The algorithm or its parameters are beyond this checker.
    Unchecked,
}

/// Verifies `cert`'s signature with `cert`'s own RSA key. Call only for self-issued
/// certificates whose key size and exponent the rules have already accepted.
pub(super) fn verify_own_signature(
    cert: &X509Certificate<'_>,
    info: &SignatureInfo,
    modulus: &[u8],
    bits: usize,
    exponent: &[u8],
) -> Verdict {
    if bits > MAX_VERIFY_BITS || exponent.len() > 8 {
        return Verdict::Unchecked;
    }
    let hashed = |hash: Hash| -> Option<Vec<u8>> {
        let tbs = cert.tbs_certificate.as_ref();
        Some(match hash {
            Hash::Sha1 => Sha1::digest(tbs).to_vec(),
            Hash::Sha224 => Sha224::digest(tbs).to_vec(),
            Hash::Sha256 => Sha256::digest(tbs).to_vec(),
            Hash::Sha384 => Sha384::digest(tbs).to_vec(),
            Hash::Sha512 => Sha512::digest(tbs).to_vec(),
            Hash::Md2 | Hash::Md4 | Hash::Md5 | Hash::Other => return None,
        })
    };
    let scheme_ok = match info.scheme {
        Scheme::NotRsa => return Verdict::Invalid,
        Scheme::Unknown => return Verdict::Unchecked,
        Scheme::RsaPkcs1 => {
            let Some(digest) = hashed(info.hash) else {
                return Verdict::Unchecked;
            };
            Check::Pkcs1(info.hash, digest)
        }
        Scheme::RsaPss => {
            let Some(params) = pss_params(cert) else {
                return Verdict::Unchecked;
            };
            let Ok(mgf) = params.mask_gen_algorithm() else {
                return Verdict::Unchecked;
            };
            // MGF1 with the message hash and trailer 0xBC are what every issuer uses.
            if mgf.mgf.to_id_string() != "1.2.840.113549.1.1.8"
                || mgf.hash != *params.hash_algorithm_oid()
                || params.trailer_field() != 1
            {
                return Verdict::Unchecked;
            }
            let Some(digest) = hashed(info.hash) else {
                return Verdict::Unchecked;
            };
            let Ok(salt) = usize::try_from(params.salt_length()) else {
                return Verdict::Invalid;
            };
            Check::Pss(info.hash, digest, salt)
        }
    };
    let signature = &cert.signature_value;
    if signature.unused_bits != 0 {
        return Verdict::Invalid;
    }
    let mut e = [0u8; 8];
    if let Some(slot) = e.get_mut(8 - exponent.len()..) {
        slot.copy_from_slice(exponent);
    }
    let Some(em) = public_op(modulus, u64::from_be_bytes(e), &signature.data) else {
        return Verdict::Invalid;
    };
    let valid = match scheme_ok {
        Check::Pkcs1(hash, digest) => emsa_pkcs1_matches(&em, hash, &digest),
        Check::Pss(hash, digest, salt) => emsa_pss_matches(&em, bits - 1, hash, &digest, salt),
    };
    if valid {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

enum Check {
    Pkcs1(Hash, Vec<u8>),
    Pss(Hash, Vec<u8>, usize),
}

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2): rebuild the expected encoding and compare it whole.
fn emsa_pkcs1_matches(em: &[u8], hash: Hash, digest: &[u8]) -> bool {
    const SHA1: &[u8] = &[
        0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
    ];
    let sha2 = |id: u8, len: u8| -> [u8; 19] {
        [
            0x30,
            0x11 + len,
            0x30,
            0x0d,
            0x06,
            0x09,
            0x60,
            0x86,
            0x48,
            0x01,
            0x65,
            0x03,
            0x04,
            0x02,
            id,
            0x05,
            0x00,
            0x04,
            len,
        ]
    };
    let prefix: Vec<u8> = match hash {
        Hash::Sha1 => SHA1.to_vec(),
        Hash::Sha224 => sha2(4, 28).to_vec(),
        Hash::Sha256 => sha2(1, 32).to_vec(),
        Hash::Sha384 => sha2(2, 48).to_vec(),
        Hash::Sha512 => sha2(3, 64).to_vec(),
        Hash::Md2 | Hash::Md4 | Hash::Md5 | Hash::Other => return false,
    };
    let t_len = prefix.len() + digest.len();
    let Some(padding) = em.len().checked_sub(t_len + 3).filter(|&p| p >= 8) else {
        return false;
    };
    let mut expected = Vec::with_capacity(em.len());
    expected.extend_from_slice(&[0x00, 0x01]);
    expected.resize(2 + padding, 0xFF);
    expected.push(0x00);
    expected.extend_from_slice(&prefix);
    expected.extend_from_slice(digest);
    expected == em
}

/// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over the same hash.
fn emsa_pss_matches(em: &[u8], em_bits: usize, hash: Hash, digest: &[u8], salt_len: usize) -> bool {
    let em_len = em_bits.div_ceil(8);
    // The integer is `k` bytes; when emBits is a multiple of 8 the leading byte must be zero.
    let Some(skip) = em.len().checked_sub(em_len) else {
        return false;
    };
    let (head, em) = em.split_at(skip);
    let h_len = digest.len();
    if head.iter().any(|&b| b != 0) || em_len < h_len + salt_len + 2 || em.last() != Some(&0xBC) {
        return false;
    }
    let db_len = em_len - h_len - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = rest.get(..h_len).unwrap_or_default();
    let unused_bits = 8 * em_len - em_bits;
    let top_mask = 0xFFu8
        .checked_shr(u32::try_from(unused_bits).unwrap_or(8))
        .unwrap_or(0);
    if masked_db.first().is_some_and(|&b| b & !top_mask != 0) {
        return false;
    }
    let Some(mask) = mgf1(hash, h, db_len) else {
        return false;
    };
    let mut db: Vec<u8> = masked_db.iter().zip(&mask).map(|(a, b)| a ^ b).collect();
    if let Some(first) = db.first_mut() {
        *first &= top_mask;
    }
    let zeros = db_len - salt_len - 1;
    if db.iter().take(zeros).any(|&b| b != 0) || db.get(zeros) != Some(&0x01) {
        return false;
    }
    let salt = db.get(zeros + 1..).unwrap_or_default();
    let mut message = vec![0u8; 8];
    message.extend_from_slice(digest);
    message.extend_from_slice(salt);
    hash_bytes(hash, &message).is_some_and(|expected| expected == h)
}

fn hash_bytes(hash: Hash, data: &[u8]) -> Option<Vec<u8>> {
    Some(match hash {
        Hash::Sha1 => Sha1::digest(data).to_vec(),
        Hash::Sha224 => Sha224::digest(data).to_vec(),
        Hash::Sha256 => Sha256::digest(data).to_vec(),
        Hash::Sha384 => Sha384::digest(data).to_vec(),
        Hash::Sha512 => Sha512::digest(data).to_vec(),
        Hash::Md2 | Hash::Md4 | Hash::Md5 | Hash::Other => return None,
    })
}

fn mgf1(hash: Hash, seed: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len + 64);
    let mut counter = 0u32;
    while out.len() < len {
        let mut input = seed.to_vec();
        input.extend_from_slice(&counter.to_be_bytes());
        out.extend(hash_bytes(hash, &input)?);
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    Some(out)
}

/// `signature^e mod n` as `k` big-endian bytes (k = the modulus' length), or `None` when the
/// signature is not an integer below n of exactly k bytes (RFC 8017 §8.2.2 step 1).
///
/// Montgomery multiplication on 64-bit limbs: the general-purpose big-integer `modpow` is several
/// times slower for e = 65537, and verification is on the desk's hot path.
fn public_op(modulus: &[u8], e: u64, signature: &[u8]) -> Option<Vec<u8>> {
    let k = modulus.len();
    if signature.len() != k || e == 0 || modulus.last().is_none_or(|b| b & 1 == 0) {
        return None;
    }
    let n = limbs(modulus);
    let s = limbs(signature);
    if !less_than(&s, &n) {
        return None;
    }
    let words = n.len();
    let n0inv = {
        let n0 = n.first().copied().unwrap_or(1);
        let mut inv = 1u64;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(inv)));
        }
        inv.wrapping_neg()
    };
    // R² mod n, R = 2^(64·words), once per verification.
    let r2 = {
        let big_n = BigUint::from_bytes_be(modulus);
        let r2 = (BigUint::from(1u8) << (128 * words)) % &big_n;
        let mut bytes = r2.to_bytes_be();
        if bytes.len() < k {
            let mut padded = vec![0u8; k - bytes.len()];
            padded.append(&mut bytes);
            bytes = padded;
        }
        limbs(&bytes)
    };
    let base = mont_mul(&s, &r2, &n, n0inv);
    let mut acc = base.clone();
    let top = 63 - e.leading_zeros();
    for bit in (0..top).rev() {
        acc = mont_mul(&acc, &acc, &n, n0inv);
        if (e >> bit) & 1 == 1 {
            acc = mont_mul(&acc, &base, &n, n0inv);
        }
    }
    let mut one = vec![0u64; words];
    if let Some(first) = one.first_mut() {
        *first = 1;
    }
    let result = mont_mul(&acc, &one, &n, n0inv);
    let mut out = Vec::with_capacity(words * 8);
    for limb in result.iter().rev() {
        out.extend_from_slice(&limb.to_be_bytes());
    }
    out.get(out.len().saturating_sub(k)..).map(<[u8]>::to_vec)
}

/// Big-endian bytes to little-endian 64-bit limbs, padded to whole limbs.
fn limbs(bytes: &[u8]) -> Vec<u64> {
    bytes
        .rchunks(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            if let Some(slot) = word.get_mut(8 - chunk.len()..) {
                slot.copy_from_slice(chunk);
            }
            u64::from_be_bytes(word)
        })
        .collect()
}

fn less_than(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// a·b·R⁻¹ mod n (CIOS); a, b < n, all `n.len()` limbs.
fn mont_mul(a: &[u64], b: &[u64], n: &[u64], n0inv: u64) -> Vec<u64> {
    let words = n.len();
    let mut t = vec![0u64; words + 2];
    for &bi in b {
        let mut carry = 0u64;
        for (tj, &aj) in t.iter_mut().zip(a) {
            let sum = u128::from(*tj) + u128::from(aj) * u128::from(bi) + u128::from(carry);
            *tj = sum as u64;
            carry = (sum >> 64) as u64;
        }
        let sum = u128::from(t[words]) + u128::from(carry);
        t[words] = sum as u64;
        t[words + 1] = (sum >> 64) as u64;

        let m = t[0].wrapping_mul(n0inv);
        let sum = u128::from(t[0]) + u128::from(m) * u128::from(n[0]);
        let mut carry = (sum >> 64) as u64;
        for j in 1..words {
            let sum = u128::from(t[j]) + u128::from(m) * u128::from(n[j]) + u128::from(carry);
            t[j - 1] = sum as u64;
            carry = (sum >> 64) as u64;
        }
        let sum = u128::from(t[words]) + u128::from(carry);
        t[words - 1] = sum as u64;
        t[words] = t[words + 1] + ((sum >> 64) as u64);
    }
    // t < 2n: subtract n once when t ≥ n.
    let overflow = t[words] != 0;
    t.truncate(words);
    if overflow || !less_than(&t, n) {
        let mut borrow = 0u64;
        for (tj, &nj) in t.iter_mut().zip(n) {
            let (d1, b1) = tj.overflowing_sub(nj);
            let (d2, b2) = d1.overflowing_sub(borrow);
            *tj = d2;
            borrow = u64::from(b1 || b2);
        }
    }
    t
}
