//! What a URI's host is, read from the raw text: a name, an IPv4 or IPv6 address, and what is
//! wrong with it. Browsers read numeric hosts the WHATWG way (`127.1`, `0x7f.0.0.1` and
//! `2130706433` are all 127.0.0.1), so that reading decides what an address is.

use std::net::Ipv6Addr;

/// How a browser will read the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    /// A registered name (DNS name or single label).
    Name,
    /// An IPv4 address, with whether it was written as plain dotted decimal.
    Ipv4 { addr: u32, standard: bool },
    /// A bracketed IPv6 address.
    Ipv6(Ipv6Addr),
    /// Not readable as a host at all.
    Invalid,
}

/// One reason a host is not a valid host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostProblem {
    EmptyLabel,
    HyphenEdged(String),
    LabelTooLong(usize),
    TrailingDot,
    Percent,
    ZoneId,
    IpLiteral,
    /// An IPv4 address written in an unusual form (short, octal, hexadecimal, one number).
    OddIpv4,
    EndsInNumber,
    Character(char),
}

impl HostProblem {
    /// A clause that completes "The host 'x' …".
    pub(crate) fn describe(&self) -> String {
        match self {
            HostProblem::EmptyLabel => "has an empty part (two dots together, or a dot at the start)".into(),
            HostProblem::HyphenEdged(label) => format!("has a part that starts or ends with a hyphen ('{label}')"),
            HostProblem::LabelTooLong(len) => format!("has a part of {len} characters (the most is 63)"),
            HostProblem::TrailingDot => "ends with a dot".into(),
            HostProblem::Percent => "contains '%' (percent-encoding is not allowed in a host)".into(),
            HostProblem::ZoneId => "names an IPv6 zone ('%…'), which only works on one machine".into(),
            HostProblem::IpLiteral => "is not a valid IPv6 address in square brackets".into(),
            HostProblem::OddIpv4 => "is an IP address written in an unusual form (browsers read it as a different-looking address)".into(),
            HostProblem::EndsInNumber => "ends in a number but is not a valid IP address".into(),
            HostProblem::Character(c) => format!("contains {}, which cannot appear in a host name", super::syntax::describe_char(*c)),
        }
    }
}

/// The host and what is known about it.
#[derive(Debug, Clone)]
pub(crate) struct HostInfo<'a> {
    pub raw: &'a str,
    pub kind: HostKind,
    pub problems: Vec<HostProblem>,
    /// The first `xn--` label, if any.
    pub punycode: Option<&'a str>,
}

impl HostInfo<'_> {
    /// RFC 8252 loopback as this desk defines it: exactly `localhost` (any case) or `127.0.0.1`.
    pub(crate) fn is_loopback(&self) -> bool {
        self.raw.eq_ignore_ascii_case("localhost") || self.raw == "127.0.0.1"
    }

    /// Another spelling of a loopback or "any" address, or a `*.localhost` name.
    pub(crate) fn is_loopback_lookalike(&self) -> bool {
        if self.is_loopback() {
            return false;
        }
        match self.kind {
            HostKind::Ipv4 { addr, .. } => addr >> 24 == 127 || addr == 0,
            HostKind::Ipv6(addr) => addr.is_unspecified(),
            HostKind::Name => ends_with_ignore_case(self.raw, ".localhost"),
            HostKind::Invalid => false,
        }
    }

    /// `[::1]` in any spelling, including IPv4-mapped and IPv4-compatible loopback.
    pub(crate) fn is_ipv6_loopback(&self) -> bool {
        match self.kind {
            HostKind::Ipv6(addr) => {
                addr.is_loopback()
                    || addr.to_ipv4().is_some_and(|v4| v4.is_loopback())
                    || addr.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            _ => false,
        }
    }

    /// Whether the host is an IP address of any kind.
    pub(crate) fn is_ip(&self) -> bool {
        matches!(self.kind, HostKind::Ipv4 { .. } | HostKind::Ipv6(_))
    }

    /// `nhs.uk`, `nhs.net` or a subdomain of either, on a label boundary.
    pub(crate) fn is_nhs_domain(&self) -> bool {
        self.kind == HostKind::Name
            && ["nhs.uk", "nhs.net"].iter().any(|domain| {
                self.raw.eq_ignore_ascii_case(domain)
                    || ends_with_ignore_case(self.raw, &format!(".{domain}"))
            })
    }
}

/// Case-insensitive ASCII suffix test that never slices inside a character.
pub(crate) fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text
            .as_bytes()
            .get(text.len() - suffix.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix.as_bytes()))
}

/// Characters that other rules already report wherever they appear in a URI.
const REPORTED_ELSEWHERE: &str = "%*!$'(),;<>\"{}|^\\`[]#@:";

/// Reads a non-empty host as typed (brackets included for IP literals).
pub(crate) fn analyse(raw: &str) -> HostInfo<'_> {
    let mut info = HostInfo {
        raw,
        kind: HostKind::Name,
        problems: Vec::new(),
        punycode: None,
    };
    if let Some(inner) = raw.strip_prefix('[') {
        info.kind = HostKind::Invalid;
        let Some(inner) = inner.strip_suffix(']') else {
            info.problems.push(HostProblem::IpLiteral);
            return info;
        };
        if inner.contains('%') {
            info.problems.push(HostProblem::ZoneId);
        } else if let Ok(addr) = inner.parse::<Ipv6Addr>() {
            info.kind = HostKind::Ipv6(addr);
        } else {
            info.problems.push(HostProblem::IpLiteral);
        }
        return info;
    }

    if raw.contains('%') {
        info.problems.push(HostProblem::Percent);
    }
    if let Some(c) = raw.chars().find(|&c| {
        c.is_ascii_graphic()
            && !c.is_ascii_alphanumeric()
            && !matches!(c, '-' | '.' | '_')
            && !REPORTED_ELSEWHERE.contains(c)
    }) {
        info.problems.push(HostProblem::Character(c));
    }
    let trimmed = match raw.strip_suffix('.') {
        Some(rest) => {
            info.problems.push(HostProblem::TrailingDot);
            rest
        }
        None => raw,
    };
    let mut empty_label = false;
    for label in trimmed.split('.') {
        if label.is_empty() {
            empty_label = true;
            continue;
        }
        if label.starts_with('-') || label.ends_with('-') {
            info.problems
                .push(HostProblem::HyphenEdged(super::syntax::shown(label)));
        }
        let len = label.chars().count();
        if len > 63 {
            info.problems.push(HostProblem::LabelTooLong(len));
        }
        if info.punycode.is_none()
            && label
                .get(..4)
                .is_some_and(|head| head.eq_ignore_ascii_case("xn--"))
        {
            info.punycode = Some(label);
        }
    }
    if empty_label {
        info.problems.push(HostProblem::EmptyLabel);
    }

    match read_ipv4(trimmed) {
        Ipv4Reading::NotNumeric => {}
        Ipv4Reading::Invalid => {
            info.kind = HostKind::Invalid;
            info.problems.push(HostProblem::EndsInNumber);
        }
        Ipv4Reading::Address { addr, standard } => {
            info.kind = HostKind::Ipv4 { addr, standard };
        }
    }
    info
}

enum Ipv4Reading {
    /// The last label is not a number: a name.
    NotNumeric,
    /// The last label is a number but the whole is no address (browsers refuse it).
    Invalid,
    Address {
        addr: u32,
        standard: bool,
    },
}

/// The WHATWG IPv4 parser (also inet_aton's): 1–4 parts, each decimal, octal (leading 0) or
/// hexadecimal (0x); the last part fills the remaining bytes.
fn read_ipv4(host: &str) -> Ipv4Reading {
    let last = host.rsplit('.').next().unwrap_or(host);
    let last_is_number = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"))
                && last.bytes().skip(2).all(|b| b.is_ascii_hexdigit()));
    if !last_is_number {
        return Ipv4Reading::NotNumeric;
    }
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 4 {
        return Ipv4Reading::Invalid;
    }
    let mut standard = parts.len() == 4 && !host.ends_with('.');
    let mut numbers = [0u64; 4];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        let Some((value, plain)) = read_ipv4_number(part) else {
            return Ipv4Reading::Invalid;
        };
        standard &= plain && value <= 255;
        *slot = value;
    }
    let count = parts.len();
    let Some((last_value, leading)) = numbers.get(..count).and_then(|n| n.split_last()) else {
        return Ipv4Reading::Invalid;
    };
    if leading.iter().any(|&n| n > 255) || *last_value >= 1u64 << (8 * (5 - count)) {
        return Ipv4Reading::Invalid;
    }
    let mut addr = *last_value;
    for (i, &n) in leading.iter().enumerate() {
        addr += n << (8 * (3 - i));
    }
    match u32::try_from(addr) {
        Ok(addr) => Ipv4Reading::Address { addr, standard },
        Err(_) => Ipv4Reading::Invalid,
    }
}

/// One IPv4 part, and whether it is plain decimal without leading zeros.
fn read_ipv4_number(part: &str) -> Option<(u64, bool)> {
    if part.is_empty() || part.len() > 20 {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() {
        return Some((0, false));
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let value = u64::from_str_radix(digits, radix).ok()?;
    Some((value, radix == 10))
}
