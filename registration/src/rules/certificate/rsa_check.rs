//! The certificate's key and signature: what they are, and whether a self-issued one verifies.

use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use x509_parser::certificate::X509Certificate;
use x509_parser::public_key::RSAPublicKey;
use x509_parser::signature_algorithm::{RsaSsaPssParams, SignatureAlgorithm};

use x509_parser::prelude::FromDer;

/// Keys above this size are not verified: bounded work for a check Entra does not make.
const MAX_VERIFY_BITS: usize = 16384;

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
    if bits > MAX_VERIFY_BITS {
        return Verdict::Unchecked;
    }
    if info.scheme == Scheme::NotRsa {
        return Verdict::Invalid;
    }
    let signature = &cert.signature_value;
    if signature.unused_bits != 0 {
        return Verdict::Invalid;
    }
    let Ok(key) = RsaPublicKey::new_with_max_size(
        BigUint::from_bytes_be(modulus),
        BigUint::from_bytes_be(exponent),
        MAX_VERIFY_BITS,
    ) else {
        return Verdict::Unchecked;
    };
    let tbs = cert.tbs_certificate.as_ref();
    let result = match info.scheme {
        Scheme::RsaPkcs1 => match info.hash {
            Hash::Sha1 => key.verify(
                Pkcs1v15Sign::new::<Sha1>(),
                &Sha1::digest(tbs),
                &signature.data,
            ),
            Hash::Sha224 => key.verify(
                Pkcs1v15Sign::new::<Sha224>(),
                &Sha224::digest(tbs),
                &signature.data,
            ),
            Hash::Sha256 => key.verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(tbs),
                &signature.data,
            ),
            Hash::Sha384 => key.verify(
                Pkcs1v15Sign::new::<Sha384>(),
                &Sha384::digest(tbs),
                &signature.data,
            ),
            Hash::Sha512 => key.verify(
                Pkcs1v15Sign::new::<Sha512>(),
                &Sha512::digest(tbs),
                &signature.data,
            ),
            Hash::Md2 | Hash::Md4 | Hash::Md5 | Hash::Other => return Verdict::Unchecked,
        },
        Scheme::RsaPss => {
            let Some(params) = pss_params(cert) else {
                return Verdict::Unchecked;
            };
            let Ok(mgf) = params.mask_gen_algorithm() else {
                return Verdict::Unchecked;
            };
            // rsa's PSS uses MGF1 with the message hash and trailer 0xBC: other parameters are rare.
            if mgf.mgf.to_id_string() != "1.2.840.113549.1.1.8"
                || mgf.hash != *params.hash_algorithm_oid()
                || params.trailer_field() != 1
            {
                return Verdict::Unchecked;
            }
            let Ok(salt) = usize::try_from(params.salt_length()) else {
                return Verdict::Unchecked;
            };
            let data = &signature.data;
            match info.hash {
                Hash::Sha1 => {
                    key.verify(Pss::new_with_salt::<Sha1>(salt), &Sha1::digest(tbs), data)
                }
                Hash::Sha224 => key.verify(
                    Pss::new_with_salt::<Sha224>(salt),
                    &Sha224::digest(tbs),
                    data,
                ),
                Hash::Sha256 => key.verify(
                    Pss::new_with_salt::<Sha256>(salt),
                    &Sha256::digest(tbs),
                    data,
                ),
                Hash::Sha384 => key.verify(
                    Pss::new_with_salt::<Sha384>(salt),
                    &Sha384::digest(tbs),
                    data,
                ),
                Hash::Sha512 => key.verify(
                    Pss::new_with_salt::<Sha512>(salt),
                    &Sha512::digest(tbs),
                    data,
                ),
                Hash::Md2 | Hash::Md4 | Hash::Md5 | Hash::Other => return Verdict::Unchecked,
            }
        }
        Scheme::NotRsa | Scheme::Unknown => return Verdict::Unchecked,
    };
    if result.is_ok() {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}
