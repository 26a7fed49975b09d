//! What an uploaded file is: DER, PEM blocks, bare base64 or something else, judged from its bytes.
//!
//! Nothing here keeps a private key: a key is recorded only by its kind, and bytes that turn out
//! to be a key are dropped as soon as they are recognised.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Standard alphabet, padding optional: PEM bodies and pasted base64 come both ways.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// How the certificate was written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Der,
    Pem,
    Base64,
}

impl Format {
    /// The word used in `CertificateSummary::format`.
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Format::Der => "der",
            Format::Pem => "pem",
            Format::Base64 => "base64",
        }
    }
}

/// The kind of a private key, for the message only (never its contents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    Pkcs8,
    Encrypted,
    Rsa,
    Ec,
    Dsa,
    OpenSsh,
    Putty,
    Jwk,
    Other,
}

impl KeyKind {
    /// Plain words for the message.
    pub(super) const fn describe(self) -> &'static str {
        match self {
            KeyKind::Pkcs8 => "a private key (PKCS #8)",
            KeyKind::Encrypted => "a password-protected private key",
            KeyKind::Rsa => "an RSA private key",
            KeyKind::Ec => "an elliptic-curve (EC) private key",
            KeyKind::Dsa => "a DSA private key",
            KeyKind::OpenSsh => "an OpenSSH private key",
            KeyKind::Putty => "a PuTTY private key",
            KeyKind::Jwk => "a private key as a JSON Web Key (JWK)",
            KeyKind::Other => "a private key",
        }
    }

    fn from_label(label: &str) -> KeyKind {
        match label {
            "PRIVATE KEY" => KeyKind::Pkcs8,
            "ENCRYPTED PRIVATE KEY" => KeyKind::Encrypted,
            "RSA PRIVATE KEY" => KeyKind::Rsa,
            "EC PRIVATE KEY" => KeyKind::Ec,
            "DSA PRIVATE KEY" => KeyKind::Dsa,
            "OPENSSH PRIVATE KEY" => KeyKind::OpenSsh,
            _ => KeyKind::Other,
        }
    }
}

/// One thing found in the file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// The DER of something shaped like a certificate (x509-parser has the final word).
    Certificate(Vec<u8>),
    PrivateKey(KeyKind),
    Pkcs12,
    Pkcs7,
    Csr,
    PublicKey,
    /// Well-formed, but not a certificate; the words say what it is.
    Other(String),
    /// `-----BEGIN` with no matching `-----END`.
    Unterminated,
    /// A PEM body that is not base64.
    NotBase64,
    /// A certificate-labelled PEM body, or a DER file, that is not a DER certificate.
    NotDerCertificate,
}

/// Why a file holds nothing at all to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nothing {
    Empty,
    Thumbprint,
    Text,
    Binary,
}

/// The result of looking at one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sniffed {
    pub format: Format,
    pub items: Vec<Item>,
    /// Bytes after a DER structure that are not another structure.
    pub trailing_data: bool,
    /// Set when `items` is empty.
    pub nothing: Option<Nothing>,
}

/// Looks at every part of the file.
pub(super) fn sniff(bytes: &[u8]) -> Sniffed {
    let mut sniffed = Sniffed {
        format: Format::Der,
        items: Vec::new(),
        trailing_data: false,
        nothing: None,
    };
    let utf16;
    let text: &[u8] = match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => rest,
        [0xFF, 0xFE, rest @ ..] | [0xFE, 0xFF, rest @ ..] => {
            // Windows PowerShell 5 writes text files as UTF-16.
            let little = bytes.first() == Some(&0xFF);
            let units = rest.chunks_exact(2).map(|pair| match pair {
                [a, b] if little => u16::from_le_bytes([*a, *b]),
                [a, b] => u16::from_be_bytes([*a, *b]),
                _ => 0xFFFD,
            });
            utf16 = char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect::<String>();
            utf16.as_bytes()
        }
        _ => bytes,
    };
    if text.iter().all(u8::is_ascii_whitespace) {
        sniffed.nothing = Some(Nothing::Empty);
        return sniffed;
    }
    if text.first() == Some(&0x30) {
        sniffed.trailing_data = scan_der(text, &mut sniffed.items);
        let printable = text
            .iter()
            .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace());
        // '0' is 0x30 too: text that merely starts with a zero is read as text.
        if !(printable && sniffed.items.first() == Some(&Item::NotDerCertificate)) {
            return sniffed;
        }
        sniffed.items.clear();
        sniffed.trailing_data = false;
    }
    if find(text, b"-----BEGIN", 0).is_some() {
        sniffed.format = Format::Pem;
        scan_pem(text, &mut sniffed.items);
        return sniffed;
    }
    let trimmed = text.trim_ascii();
    if trimmed.starts_with(b"PuTTY-User-Key-File-") {
        sniffed.items.push(Item::PrivateKey(KeyKind::Putty));
        return sniffed;
    }
    if let Some(jwk) = json_web_key(trimmed) {
        sniffed.items.push(jwk);
        return sniffed;
    }
    if trimmed.starts_with(&[0xFE, 0xED, 0xFE, 0xED])
        || trimmed.starts_with(&[0xCE, 0xCE, 0xCE, 0xCE])
    {
        sniffed.items.push(Item::Other(
            "a Java keystore (JKS), which holds keys as well as certificates".into(),
        ));
        return sniffed;
    }
    if is_ssh_public_key(trimmed) {
        sniffed.items.push(Item::PublicKey);
        return sniffed;
    }
    if is_thumbprint(trimmed) {
        sniffed.nothing = Some(Nothing::Thumbprint);
        return sniffed;
    }
    if let Some(der) = bare_base64(trimmed).filter(|der| der.first() == Some(&0x30)) {
        sniffed.format = Format::Base64;
        sniffed.trailing_data = scan_der(&der, &mut sniffed.items);
        if !sniffed.items.is_empty() {
            return sniffed;
        }
        sniffed.trailing_data = false;
    }
    sniffed.nothing = Some(if std::str::from_utf8(text).is_ok() {
        Nothing::Text
    } else {
        Nothing::Binary
    });
    sniffed
}

/// A JSON Web Key or JWK Set (RFC 7517): a private key if any key has a private member
/// (`d`, or the symmetric `k`), otherwise a bare public key. `None` for anything else.
fn json_web_key(text: &[u8]) -> Option<Item> {
    if text.first() != Some(&b'{') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(text).ok()?;
    let keys: Vec<&serde_json::Value> = match value.get("keys") {
        Some(serde_json::Value::Array(keys)) => keys.iter().collect(),
        _ => vec![&value],
    };
    if !keys.iter().any(|key| key.get("kty").is_some()) {
        return None;
    }
    let private = keys
        .iter()
        .any(|key| key.get("d").is_some() || key.get("k").is_some());
    Some(if private {
        Item::PrivateKey(KeyKind::Jwk)
    } else {
        Item::PublicKey
    })
}

/// Classifies each DER structure in turn; returns whether unrecognised bytes follow them.
fn scan_der(mut input: &[u8], items: &mut Vec<Item>) -> bool {
    let mut first = true;
    while !input.is_empty() {
        // Zero padding and a final newline are what copy tools leave behind, not data.
        if input.iter().all(|&b| b == 0 || b.is_ascii_whitespace()) {
            return false;
        }
        let Some((tlv, rest)) = read_tlv(input) else {
            if first {
                items.push(Item::NotDerCertificate);
                return false;
            }
            return true;
        };
        match classify_der(&tlv) {
            Some(item) => items.push(item),
            None if first => items.push(Item::NotDerCertificate),
            None => return true,
        }
        first = false;
        input = rest;
    }
    false
}

/// Looks at every `-----BEGIN …-----` block, terminated or not.
fn scan_pem(text: &[u8], items: &mut Vec<Item>) {
    let mut pos = 0;
    let mut next_end: Option<Option<usize>> = None;
    while let Some(begin) = find(text, b"-----BEGIN", pos) {
        let after = begin + b"-----BEGIN".len();
        let line_end = find_line_end(text, after);
        let (label, body_start) = match find(text, b"-----", after).filter(|&i| i < line_end) {
            Some(close) => (
                text.get(after..close).unwrap_or_default(),
                skip_dashes(text, close),
            ),
            None => (text.get(after..line_end).unwrap_or_default(), line_end),
        };
        let label = String::from_utf8_lossy(label.trim_ascii()).into_owned();
        let next_begin = find(text, b"-----BEGIN", body_start);
        // Remember the next END: many BEGINs with no END must not rescan the file each time.
        let end = match next_end {
            Some(Some(e)) if e >= body_start => Some(e),
            Some(None) => None,
            _ => {
                let found = find(text, b"-----END", body_start);
                next_end = Some(found);
                found
            }
        };
        let Some(end) = end.filter(|&e| next_begin.is_none_or(|b| e < b)) else {
            items.push(unterminated(&label));
            pos = next_begin.unwrap_or(text.len());
            continue;
        };
        let end_after = end + b"-----END".len();
        let end_line = find_line_end(text, end_after);
        let end_close = find(text, b"-----", end_after).filter(|&i| i < end_line);
        let end_label = end_close
            .and_then(|close| text.get(end_after..close))
            .unwrap_or_default()
            .trim_ascii();
        pos = end_close.map_or(end_line, |close| skip_dashes(text, close));
        if end_label != label.as_bytes() {
            items.push(unterminated(&label));
            continue;
        }
        items.push(classify_block(
            &label,
            text.get(body_start..end).unwrap_or_default(),
        ));
    }
}

/// A block cut short: a key stays a key even when truncated.
fn unterminated(label: &str) -> Item {
    if label.contains("PRIVATE KEY") {
        Item::PrivateKey(KeyKind::from_label(label))
    } else {
        Item::Unterminated
    }
}

fn classify_block(label: &str, body: &[u8]) -> Item {
    if label.contains("PRIVATE KEY") {
        return Item::PrivateKey(KeyKind::from_label(label));
    }
    // RFC 1421 headers (`Proc-Type:`, `DEK-Info:`) are lines with a colon; the rest is base64.
    let mut compact = Vec::with_capacity(body.len());
    for line in body.split(|&b| b == b'\n' || b == b'\r') {
        if !line.contains(&b':') {
            compact.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
        }
    }
    let Ok(der) = LENIENT.decode(&compact) else {
        return Item::NotBase64;
    };
    let classified = read_tlv(&der).and_then(|(tlv, rest)| {
        let first = classify_der(&tlv)?;
        // A key hidden after the first structure still counts (OpenSSL's TRUSTED CERTIFICATE
        // carries trust settings there, which are not a key and are ignored).
        let mut rest = rest;
        while let Some((next, after)) = read_tlv(rest) {
            if let Some(key @ (Item::PrivateKey(_) | Item::Pkcs12)) = classify_der(&next) {
                return Some(key);
            }
            rest = after;
        }
        Some(first)
    });
    match (classified, label) {
        (Some(item), _) => item,
        (None, l) if l.contains("CERTIFICATE REQUEST") => Item::Csr,
        (None, l) if l.contains("CERTIFICATE") => Item::NotDerCertificate,
        (None, l) if l.contains("PUBLIC KEY") => Item::PublicKey,
        (None, l) if l.contains("PKCS7") || l.contains("PKCS #7") || l == "CMS" => Item::Pkcs7,
        (None, l) => Item::Other(describe_label(l)),
    }
}

fn describe_label(label: &str) -> String {
    let printable = label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'#' || b == b'-');
    if label.contains("CRL") {
        "a certificate revocation list (CRL)".to_owned()
    } else if label.contains("PARAMETERS") {
        "key-generation parameters".to_owned()
    } else if printable && !label.is_empty() {
        format!("a PEM block labelled '{label}'")
    } else {
        "a PEM block of an unknown kind".to_owned()
    }
}

/// One DER element: its tag and contents (contents run to the end for BER indefinite length).
pub(super) struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads one DER (or BER indefinite-length) element; `None` when the bytes are not one.
pub(super) fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1F == 0x1F {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    if first == 0x80 {
        // Windows and Java write PKCS #7 and PKCS #12 in BER, sometimes with indefinite lengths.
        return (tag & 0x20 != 0).then_some((
            Tlv {
                tag,
                content: rest,
                whole: input,
            },
            &[][..],
        ));
    }
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7F);
        if count > 4 {
            return None;
        }
        let (digits, rest) = rest.split_at_checked(count)?;
        let length = digits
            .iter()
            .fold(0usize, |acc, &d| (acc << 8) | usize::from(d));
        (length, rest)
    };
    let (content, after) = rest.split_at_checked(length)?;
    let whole = input.get(..input.len() - after.len())?;
    Some((
        Tlv {
            tag,
            content,
            whole,
        },
        after,
    ))
}

/// The first few children of a constructed element (tag and contents), as far as they parse.
fn children<'a>(content: &'a [u8], limit: usize) -> Vec<Tlv<'a>> {
    let mut out = Vec::with_capacity(limit);
    let mut rest = content;
    while out.len() < limit {
        let Some((tlv, after)) = read_tlv(rest) else {
            break;
        };
        out.push(tlv);
        rest = after;
    }
    out
}

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const SEQUENCE: u8 = 0x30;
const CONTEXT_0: u8 = 0xA0;
/// 1.2.840.113549.1.7.2, PKCS #7 signedData.
const OID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// 1.2.840.113549.1.7, the PKCS #7 content types a PKCS #12 wraps.
const OID_PKCS7_ARC: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];

/// What one top-level DER structure is, by its shape; `None` when it is no known structure.
fn classify_der(tlv: &Tlv<'_>) -> Option<Item> {
    if tlv.tag != SEQUENCE {
        return None;
    }
    let kids = children(tlv.content, 6);
    let tag = |i: usize| kids.get(i).map(|k| k.tag);
    let small_int = |i: usize| {
        kids.get(i)
            .filter(|k| k.tag == INTEGER)
            .and_then(|k| match k.content {
                [v] => Some(*v),
                _ => None,
            })
    };
    match tag(0)? {
        INTEGER => {
            let version = small_int(0);
            if version == Some(3) && tag(1) == Some(SEQUENCE) {
                let content_type = kids.get(1).and_then(|k| read_tlv(k.content));
                if content_type.is_some_and(|(oid, _)| {
                    oid.tag == OID && oid.content.starts_with(OID_PKCS7_ARC)
                }) {
                    return Some(Item::Pkcs12);
                }
            }
            if matches!(version, Some(0 | 1))
                && tag(1) == Some(SEQUENCE)
                && tag(2) == Some(OCTET_STRING)
            {
                return Some(Item::PrivateKey(KeyKind::Pkcs8));
            }
            if version == Some(1) && tag(1) == Some(OCTET_STRING) {
                return Some(Item::PrivateKey(KeyKind::Ec));
            }
            let integers = kids.iter().take_while(|k| k.tag == INTEGER).count();
            if matches!(version, Some(0 | 1)) && integers >= 6 {
                // PKCS #1 RSAPrivateKey has 9 integers, OpenSSL's DSA private key 6.
                let all = children(tlv.content, 10);
                let count = all.iter().take_while(|k| k.tag == INTEGER).count();
                return Some(Item::PrivateKey(if count == 6 {
                    KeyKind::Dsa
                } else {
                    KeyKind::Rsa
                }));
            }
            (integers == 2 && kids.len() == 2).then_some(Item::PublicKey)
        }
        SEQUENCE => match (tag(1), tag(2)) {
            (Some(OCTET_STRING), None) => Some(Item::PrivateKey(KeyKind::Encrypted)),
            (Some(BIT_STRING), None) => Some(Item::PublicKey),
            (Some(SEQUENCE), Some(BIT_STRING)) => {
                let tbs = children(kids.first()?.content, 4);
                let tbs_tag = |i: usize| tbs.get(i).map(|k| k.tag);
                match (tbs_tag(0), tbs_tag(3)) {
                    (Some(CONTEXT_0), _) | (Some(INTEGER), Some(SEQUENCE)) => {
                        Some(Item::Certificate(tlv.whole.to_vec()))
                    }
                    (Some(INTEGER), Some(CONTEXT_0)) => Some(Item::Csr),
                    (Some(INTEGER), Some(UTC_TIME | GENERALIZED_TIME)) | (Some(SEQUENCE), _) => {
                        Some(Item::Other(
                            "a certificate revocation list (CRL)".to_owned(),
                        ))
                    }
                    _ => None,
                }
            }
            _ => None,
        },
        OID if kids.first()?.content == OID_SIGNED_DATA => Some(Item::Pkcs7),
        _ => None,
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn find_line_end(text: &[u8], from: usize) -> usize {
    text.get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n' || b == b'\r'))
        .map_or(text.len(), |i| i + from)
}

fn skip_dashes(text: &[u8], from: usize) -> usize {
    text.get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| b == b'-').count())
        + from
}

fn is_ssh_public_key(text: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 6] = [
        b"ssh-rsa ",
        b"ssh-ed25519 ",
        b"ssh-dss ",
        b"ecdsa-sha2-",
        b"sk-ssh-",
        b"sk-ecdsa-",
    ];
    PREFIXES.iter().any(|p| text.starts_with(p))
        || text.starts_with(b"---- BEGIN SSH2 PUBLIC KEY ----")
}

/// A SHA-1 or SHA-256 thumbprint as Windows, OpenSSL or the Entra portal show it.
fn is_thumbprint(text: &[u8]) -> bool {
    let text = text
        .strip_prefix(b"SHA1 Fingerprint=")
        .or_else(|| text.strip_prefix(b"sha1 Fingerprint="))
        .or_else(|| text.strip_prefix(b"SHA256 Fingerprint="))
        .unwrap_or(text);
    let mut digits = 0;
    for &b in text {
        if b.is_ascii_hexdigit() {
            digits += 1;
        } else if !(b == b':' || b == b'-' || b.is_ascii_whitespace()) {
            return false;
        }
    }
    digits == 40 || digits == 64
}

/// Base64 with line breaks and nothing else, decoded.
fn bare_base64(text: &[u8]) -> Option<Vec<u8>> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.len() < 16
        || !compact
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
    {
        return None;
    }
    LENIENT.decode(&compact).ok()
}
