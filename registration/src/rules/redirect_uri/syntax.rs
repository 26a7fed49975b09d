//! URI syntax rules shared by redirect URIs and token endpoint URIs (RULES.md §4), decided on the
//! raw string as typed. The `url` crate is not used to decide: it trims, lower-cases, punycodes
//! and rewrites `\` and `..`, which would hide exactly what these rules look for.

use super::host::{self, HostInfo, HostKind, HostProblem};

/// A URI split along RFC 3986 §3 on its raw text; every part is a slice of the input.
#[derive(Debug, Clone)]
pub(crate) struct Uri<'a> {
    pub scheme: &'a str,
    pub authority: Option<Authority<'a>>,
    pub path: &'a str,
    pub query: Option<&'a str>,
}

/// The part after `//`, up to the path.
#[derive(Debug, Clone)]
pub(crate) struct Authority<'a> {
    pub userinfo: Option<&'a str>,
    /// As typed, brackets included for IP literals.
    pub host: &'a str,
    /// Byte offset of `host` in the raw string.
    pub host_start: usize,
    /// `Some("")` for a bare `:`.
    pub port: Option<&'a str>,
}

impl Uri<'_> {
    /// The scheme lower-cased for comparison (schemes are case-insensitive, RFC 3986 §3.1).
    pub(crate) fn scheme_is(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name)
    }

    /// http, https and brk-multihub name a web origin: they need a host, and the host matters.
    pub(crate) fn is_web_origin(&self) -> bool {
        ["http", "https", "brk-multihub"]
            .iter()
            .any(|s| self.scheme_is(s))
    }
}

/// Why a string is not an absolute URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotAbsolute<'a> {
    Empty,
    NoScheme,
    NothingAfterScheme(&'a str),
    HostWithoutScheme,
}

/// Splits an absolute URI into its parts (RFC 3986 §3), without changing any of it.
pub(crate) fn parse(raw: &str) -> Result<Uri<'_>, NotAbsolute<'_>> {
    if raw.is_empty() {
        return Err(NotAbsolute::Empty);
    }
    let Some(colon) = raw.find(':') else {
        return Err(NotAbsolute::NoScheme);
    };
    let scheme = &raw[..colon];
    if !is_scheme(scheme) {
        return Err(NotAbsolute::NoScheme);
    }
    let rest = &raw[colon + 1..];
    if rest.is_empty() {
        return Err(NotAbsolute::NothingAfterScheme(scheme));
    }
    // `localhost:3000/cb` parses as scheme "localhost"; it is a host and port typed without one.
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && rest
            .as_bytes()
            .get(digits)
            .is_none_or(|&b| matches!(b, b'/' | b'?' | b'#'))
    {
        return Err(NotAbsolute::HostWithoutScheme);
    }
    let before_fragment = rest.split('#').next().unwrap_or(rest);
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (before_fragment, None),
    };
    let Some(after_slashes) = before_query.strip_prefix("//") else {
        return Ok(Uri {
            scheme,
            authority: None,
            path: before_query,
            query,
        });
    };
    let end = after_slashes.find('/').unwrap_or(after_slashes.len());
    let (authority, path) = after_slashes.split_at(end);
    let authority_start = colon + 3;
    let (userinfo, host_port, host_start) = match authority.rfind('@') {
        Some(at) => (
            Some(&authority[..at]),
            &authority[at + 1..],
            authority_start + at + 1,
        ),
        None => (None, authority, authority_start),
    };
    let (host, port) = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(close) => {
                let (host, after) = host_port.split_at(close + 1);
                match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    // Anything else after `]` leaves the literal unreadable.
                    None if after.is_empty() => (host, None),
                    None => (host_port, None),
                }
            }
            None => (host_port, None),
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    Ok(Uri {
        scheme,
        authority: Some(Authority {
            userinfo,
            host,
            host_start,
            port,
        }),
        path,
        query,
    })
}

/// RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Which shared rule an issue breaks; each area maps it to its own finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssueKind {
    TooLong,
    NotAbsolute,
    MissingHost,
    Fragment,
    Wildcard,
    Userinfo,
    InvalidCharacter,
    EntraCharacter,
    NonAscii,
    Punycode,
    PercentEncoding,
    EncodedControl,
    DotSegment,
    Host,
    Port,
    Template,
}

/// A broken shared rule with its wording (written here once for both areas).
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub kind: IssueKind,
    pub message: String,
    pub hint: String,
}

fn issue(kind: IssueKind, message: String, hint: impl Into<String>) -> Issue {
    Issue {
        kind,
        message,
        hint: hint.into(),
    }
}

/// How one area uses the shared rules.
pub(crate) struct Options {
    /// "redirect URI" or "token endpoint URI", for messages.
    pub noun: &'static str,
    /// The area reports loopback look-alikes itself, so an odd spelling of 127.x or 0.0.0.0
    /// is not also a host syntax problem.
    pub reports_loopback_lookalikes: bool,
}

/// The parsed URI and host, when the string could be read as an absolute URI.
pub(crate) struct Checked<'a> {
    pub uri: Option<Uri<'a>>,
    pub host: Option<HostInfo<'a>>,
}

/// The over-long rule: counts at most `max + 1` characters, so a huge string costs little.
pub(crate) fn too_long(raw: &str, max: usize, noun: &str) -> Option<Issue> {
    if raw.len() <= max || raw.chars().take(max + 1).count() <= max {
        return None;
    }
    let len = raw.chars().count();
    Some(issue(
        IssueKind::TooLong,
        format!(
            "This {noun} is {len} characters long; the most Microsoft Entra ID accepts is {max}."
        ),
        "Use a shorter address: leave out path parts or query parameters the application does not need.",
    ))
}

/// Runs every shared syntax rule on `raw`, reporting each broken rule once.
pub(crate) fn check<'a>(
    raw: &'a str,
    options: &Options,
    emit: &mut dyn FnMut(Issue),
) -> Checked<'a> {
    let noun = options.noun;
    let templates = find_templates(raw);
    let parsed = parse(raw);

    match parsed {
        Err(NotAbsolute::NoScheme) if templates_in_scheme(raw, &templates) => {
            // The placeholder is why there is no scheme; the template finding says so.
        }
        Err(reason) => emit(not_absolute(raw, reason, noun)),
        Ok(_) => {}
    }
    if raw.contains('#') {
        emit(issue(
            IssueKind::Fragment,
            format!(
                "This {noun} contains a fragment ('#…'). A redirect target must not have one (the sign-in response would be mixed with it)."
            ),
            "Remove '#' and everything after it.",
        ));
    }
    if raw.contains('*') {
        emit(issue(
            IssueKind::Wildcard,
            format!(
                "This {noun} contains '*'. Wildcards are not allowed: any address matching them could receive sign-in codes."
            ),
            "Register each exact address the application uses, one entry each.",
        ));
    }

    let literal_brackets = parsed
        .as_ref()
        .ok()
        .and_then(|uri| uri.authority.as_ref())
        .filter(|a| a.host.starts_with('[') && a.host.ends_with(']'))
        .map(|a| (a.host_start, a.host_start + a.host.len() - 1));
    check_characters(raw, &templates, literal_brackets, noun, emit);
    check_percent_encoding(raw, noun, emit);
    if !templates.is_empty() {
        emit(template(
            &templates.iter().map(|t| t.text).collect::<Vec<_>>(),
            noun,
        ));
    }

    let Ok(uri) = parsed else {
        return Checked {
            uri: None,
            host: None,
        };
    };
    let host = check_authority(&uri, options, emit);
    if let Some(segment) = uri.path.split('/').find(|s| is_dot_segment(s)) {
        emit(issue(
            IssueKind::DotSegment,
            format!(
                "The path contains the segment '{}', which steps to another folder; browsers and servers resolve it differently.",
                shown(segment)
            ),
            "Write the final path without '.' or '..' segments (also not as %2e).",
        ));
    }
    Checked {
        uri: Some(uri),
        host,
    }
}

fn not_absolute(raw: &str, reason: NotAbsolute<'_>, noun: &str) -> Issue {
    let (message, hint) = match reason {
        NotAbsolute::Empty => (
            format!("The {noun} is empty."),
            "Enter the full address, starting with https://.",
        ),
        NotAbsolute::NoScheme => (
            format!(
                "'{}' is not a full address: it does not start with a scheme such as 'https:'.",
                shown(raw)
            ),
            "Enter the full address, starting with https:// (or, for a mobile or desktop app, its own scheme such as com.example.app:/).",
        ),
        NotAbsolute::NothingAfterScheme(scheme) => (
            format!("The {noun} has nothing after '{}:'.", shown(scheme)),
            "Enter the full address, for example https://app.example.nhs.uk/signin-callback.",
        ),
        NotAbsolute::HostWithoutScheme => (
            format!(
                "'{}' looks like a server name and port without a scheme.",
                shown(raw)
            ),
            "Put https:// in front of it (http:// only for a loopback address such as http://127.0.0.1).",
        ),
    };
    issue(IssueKind::NotAbsolute, message, hint)
}

fn template(placeholders: &[&str], noun: &str) -> Issue {
    let list = placeholders
        .iter()
        .take(3)
        .map(|p| format!("'{}'", shown(p)))
        .collect::<Vec<_>>()
        .join(", ");
    issue(
        IssueKind::Template,
        format!("The {noun} still contains placeholder text from an example: {list}."),
        "Replace the placeholder with the real value (for example the NHSmail tenant ID or the application's client ID, both GUIDs).",
    )
}

/// The template rule for placeholders another rule recognises (Entra's native forms).
pub(crate) fn placeholder(text: &str, noun: &str) -> Issue {
    template(&[text], noun)
}

fn check_authority<'a>(
    uri: &Uri<'a>,
    options: &Options,
    emit: &mut dyn FnMut(Issue),
) -> Option<HostInfo<'a>> {
    let noun = options.noun;
    let missing_host = || {
        issue(
            IssueKind::MissingHost,
            format!(
                "This {noun} has no server name: an {} address needs '//' and a host after the scheme.",
                shown(uri.scheme)
            ),
            "Write it in full, for example https://app.example.nhs.uk/signin-callback.",
        )
    };
    let Some(authority) = &uri.authority else {
        if uri.is_web_origin() {
            emit(missing_host());
        }
        return None;
    };
    if authority.userinfo.is_some() {
        // Never echo userinfo: it may hold a password.
        emit(issue(
            IssueKind::Userinfo,
            format!(
                "This {noun} has sign-in details ('…@') before the server name. Such addresses disguise where the browser is really sent."
            ),
            "Remove everything between '//' and '@'. If it held a real password, change that password.",
        ));
    }
    if let Some(port) = authority.port.filter(|p| !p.is_empty()) {
        let valid = port.bytes().all(|b| b.is_ascii_digit())
            && port.len() <= 5
            && port.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !valid {
            emit(issue(
                IssueKind::Port,
                format!(
                    "The port '{}' is not a number from 1 to 65535.",
                    shown(port)
                ),
                "Use the port number the application listens on, or leave the port out.",
            ));
        }
    }
    if authority.host.is_empty() {
        if uri.is_web_origin() {
            emit(missing_host());
        }
        return None;
    }
    let mut info = host::analyse(authority.host);
    if let HostKind::Ipv4 {
        standard: false, ..
    } = info.kind
        && !(options.reports_loopback_lookalikes && info.is_loopback_lookalike())
    {
        info.problems.push(HostProblem::OddIpv4);
    }
    if !info.problems.is_empty() {
        let problems = info
            .problems
            .iter()
            .map(HostProblem::describe)
            .collect::<Vec<_>>()
            .join("; it ");
        emit(issue(
            IssueKind::Host,
            format!("The server name '{}' {problems}.", shown(authority.host)),
            "Correct the server name (between '//' and the next '/', ':' or '?'): dot-separated parts of letters, digits and inner hyphens.",
        ));
    }
    if let Some(label) = info.punycode {
        emit(issue(
            IssueKind::Punycode,
            format!(
                "The server name contains '{}', an encoded international (non-ASCII) name. Such names can imitate other domains.",
                shown(label)
            ),
            "Use a plain ASCII server name.",
        ));
    }
    Some(info)
}

/// A `{…}`, `<…>` (or percent-encoded) placeholder copied from documentation.
#[derive(Debug, Clone, Copy)]
struct Template<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

fn find_templates(raw: &str) -> Vec<Template<'_>> {
    const PAIRS: [(&str, &str); 4] = [("{", "}"), ("<", ">"), ("%7B", "%7D"), ("%3C", "%3E")];
    let mut found = Vec::new();
    if !raw.contains(['{', '<', '%']) {
        return found;
    }
    for (open, close) in PAIRS {
        let mut from = 0;
        while let Some(start) = find_ignore_case(raw, open, from) {
            let inner_start = start + open.len();
            let Some(inner_end) = find_ignore_case(raw, close, inner_start) else {
                break;
            };
            let inner = raw.get(inner_start..inner_end).unwrap_or("");
            let end = inner_end + close.len();
            if !inner.is_empty()
                && inner.len() <= 64
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b' '))
                && inner.bytes().any(|b| b.is_ascii_alphabetic())
            {
                found.push(Template {
                    start,
                    end,
                    text: raw.get(start..end).unwrap_or(""),
                });
                from = end;
            } else {
                from = inner_start;
            }
        }
    }
    found.sort_by_key(|t| t.start);
    found
}

fn find_ignore_case(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    let bytes = haystack.as_bytes();
    let needle = needle.as_bytes();
    (from..bytes.len()).find(|&i| {
        bytes
            .get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

fn templates_in_scheme(raw: &str, templates: &[Template<'_>]) -> bool {
    let scheme_end = raw.find(':').unwrap_or(raw.len());
    templates.iter().any(|t| t.start < scheme_end)
}

/// Characters that are never allowed, as typed (RFC 3986 §2; Entra reply URL restrictions).
fn check_characters(
    raw: &str,
    templates: &[Template<'_>],
    literal_brackets: Option<(usize, usize)>,
    noun: &str,
    emit: &mut dyn FnMut(Issue),
) {
    let mut invalid = CharList::default();
    let mut entra = CharList::default();
    let mut non_ascii = CharList::default();
    for (position, (offset, c)) in raw.char_indices().enumerate() {
        let position = position + 1;
        if !c.is_ascii() {
            non_ascii.add(c, position);
        } else if matches!(c, '!' | '$' | '\'' | '(' | ')' | ',' | ';') {
            entra.add(c, position);
        } else if c.is_ascii_control() || matches!(c, ' ' | '"' | '\\' | '^' | '`' | '|') {
            invalid.add(c, position);
        } else if matches!(c, '{' | '}' | '<' | '>') {
            if !templates.iter().any(|t| (t.start..t.end).contains(&offset)) {
                invalid.add(c, position);
            }
        } else if matches!(c, '[' | ']')
            && literal_brackets.is_none_or(|(open, close)| offset != open && offset != close)
        {
            invalid.add(c, position);
        }
    }
    if let Some(list) = invalid.describe() {
        emit(issue(
            IssueKind::InvalidCharacter,
            format!(
                "This {noun} contains {list}, which cannot appear in a URI as typed (spaces are not trimmed)."
            ),
            "Remove the character (a pasted address often carries a space or line break), or percent-encode it, for example a space as %20.",
        ));
    }
    if let Some(list) = entra.describe() {
        emit(issue(
            IssueKind::EntraCharacter,
            format!(
                "This {noun} contains {list}; Microsoft Entra ID does not accept ! $ ' ( ) , ; in these addresses."
            ),
            "Remove the character or percent-encode it (for example '(' as %28, ';' as %3B).",
        ));
    }
    if let Some(list) = non_ascii.describe() {
        emit(issue(
            IssueKind::NonAscii,
            format!("This {noun} contains {list}; only plain ASCII characters are accepted."),
            "Retype the address by hand: a letter from another alphabet can look identical to an ASCII one, and copying from documents brings invisible characters along.",
        ));
    }
}

/// Distinct offending characters in order of first appearance, with where each first occurs.
#[derive(Default)]
struct CharList {
    seen: Vec<(char, usize)>,
}

impl CharList {
    const SHOWN: usize = 4;

    fn add(&mut self, c: char, position: usize) {
        if !self.seen.iter().any(|&(s, _)| s == c) {
            self.seen.push((c, position));
        }
    }

    fn describe(&self) -> Option<String> {
        if self.seen.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self
            .seen
            .iter()
            .take(Self::SHOWN)
            .map(|&(c, position)| format!("{} at position {position}", describe_char(c)))
            .collect();
        if self.seen.len() > Self::SHOWN {
            parts.push(format!("{} more", self.seen.len() - Self::SHOWN));
        }
        Some(match parts.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => parts.concat(),
        })
    }
}

/// `%` must start `%XX` (RFC 3986 §2.1); `%00`, `%0A`, `%0D` smuggle NUL and line breaks.
fn check_percent_encoding(raw: &str, noun: &str, emit: &mut dyn FnMut(Issue)) {
    let bytes = raw.as_bytes();
    let mut malformed: Option<usize> = None;
    let mut control: Option<(usize, &'static str)> = None;
    for (i, _) in raw.match_indices('%') {
        match bytes.get(i + 1..i + 3) {
            Some(&[high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                if control.is_none() {
                    let name = match (high, low.to_ascii_uppercase()) {
                        (b'0', b'0') => Some("NUL"),
                        (b'0', b'A') => Some("line feed"),
                        (b'0', b'D') => Some("carriage return"),
                        _ => None,
                    };
                    control = name.map(|n| (i, n));
                }
            }
            _ => {
                malformed.get_or_insert(i);
            }
        }
    }
    if let Some(i) = malformed {
        let snippet: String = raw.get(i..).unwrap_or("").chars().take(3).collect();
        emit(issue(
            IssueKind::PercentEncoding,
            format!(
                "This {noun} has a '%' that is not followed by two hexadecimal digits ('{}').",
                shown(&snippet)
            ),
            "Write a literal percent sign as %25, or complete the encoding (for example %2F).",
        ));
    }
    if let Some((i, name)) = control {
        let snippet = raw.get(i..i + 3).unwrap_or("%");
        emit(issue(
            IssueKind::EncodedControl,
            format!("This {noun} contains '{snippet}', an encoded {name} character."),
            "Remove it: encoded NUL bytes and line breaks are used to cut or split what servers and logs see.",
        ));
    }
}

/// `.` or `..`, also spelt with `%2e` (RFC 3986 §3.3, §6.2.2.3).
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else if rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("%2e")) {
            rest = rest.get(3..).unwrap_or("");
        } else {
            return false;
        }
        dots += 1;
        if dots > 2 {
            return false;
        }
    }
    dots > 0
}

/// Percent-decodes once; malformed escapes stay as typed.
pub(crate) fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let decoded = match (b, bytes.get(i + 1..i + 3)) {
            (b'%', Some(&[high, low])) => {
                hex_value(high).zip(hex_value(low)).map(|(h, l)| h * 16 + l)
            }
            _ => None,
        };
        match decoded {
            Some(value) => {
                out.push(value);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Where `part`, a slice of `whole`, starts in it (0 when it is not a slice of it).
pub(crate) fn offset_of(whole: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    if offset <= whole.len() && whole.is_char_boundary(offset) {
        offset
    } else {
        0
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Names a character for a Local Administrator: the glyph when it is visible, always the code
/// point, and a name for the invisible and confusable ones.
pub(crate) fn describe_char(c: char) -> String {
    let code = format!("U+{:04X}", c as u32);
    match (char_name(c), is_invisible(c)) {
        (Some(name), true) => format!("{code} {name} (invisible)"),
        (Some(name), false) => format!("'{c}' ({code} {name})"),
        (None, true) => format!("{code} (an invisible or control character)"),
        (None, false) if c.is_ascii() => format!("'{c}' ({code})"),
        (None, false) => format!("'{c}' ({code}, not an ASCII character)"),
    }
}

fn is_invisible(c: char) -> bool {
    c != ' '
        && (c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}'))
}

fn char_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "NULL",
        '\t' => "CHARACTER TABULATION",
        '\n' => "LINE FEED",
        '\r' => "CARRIAGE RETURN",
        ' ' => "SPACE",
        '\u{7F}' => "DELETE",
        '"' => "QUOTATION MARK",
        '\\' => "REVERSE SOLIDUS (backslash)",
        '^' => "CIRCUMFLEX ACCENT",
        '`' => "GRAVE ACCENT (backtick)",
        '|' => "VERTICAL LINE",
        '{' => "LEFT CURLY BRACKET",
        '}' => "RIGHT CURLY BRACKET",
        '<' => "LESS-THAN SIGN",
        '>' => "GREATER-THAN SIGN",
        '[' => "LEFT SQUARE BRACKET",
        ']' => "RIGHT SQUARE BRACKET",
        '!' => "EXCLAMATION MARK",
        '$' => "DOLLAR SIGN",
        '\'' => "APOSTROPHE",
        '(' => "LEFT PARENTHESIS",
        ')' => "RIGHT PARENTHESIS",
        ',' => "COMMA",
        ';' => "SEMICOLON",
        '~' => "TILDE",
        '+' => "PLUS SIGN",
        '=' => "EQUALS SIGN",
        '&' => "AMPERSAND",
        '\u{85}' => "NEXT LINE",
        '\u{A0}' => "NO-BREAK SPACE",
        '\u{AD}' => "SOFT HYPHEN",
        '\u{61C}' => "ARABIC LETTER MARK",
        '\u{2000}'..='\u{200A}' => "SPACE (typographic)",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{202F}' => "NARROW NO-BREAK SPACE",
        '\u{205F}' => "MEDIUM MATHEMATICAL SPACE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
        '\u{2024}' => "ONE DOT LEADER, looks like '.'",
        '\u{2215}' => "DIVISION SLASH, looks like '/'",
        '\u{FF0F}' => "FULLWIDTH SOLIDUS, looks like '/'",
        '\u{3002}' => "IDEOGRAPHIC FULL STOP, read as '.'",
        '\u{FF0E}' => "FULLWIDTH FULL STOP, read as '.'",
        '\u{0430}' => "CYRILLIC SMALL LETTER A, looks like 'a'",
        '\u{0435}' => "CYRILLIC SMALL LETTER IE, looks like 'e'",
        '\u{043E}' => "CYRILLIC SMALL LETTER O, looks like 'o'",
        '\u{0440}' => "CYRILLIC SMALL LETTER ER, looks like 'p'",
        '\u{0441}' => "CYRILLIC SMALL LETTER ES, looks like 'c'",
        '\u{0445}' => "CYRILLIC SMALL LETTER HA, looks like 'x'",
        '\u{0456}' => "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I, looks like 'i'",
        '\u{03BF}' => "GREEK SMALL LETTER OMICRON, looks like 'o'",
        _ => return None,
    })
}

/// A part of the user's value made safe to quote: invisible characters become `[U+XXXX]`,
/// and long parts are cut.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::with_capacity(text.len().min(MAX * 2));
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if is_invisible(c) {
            out.push_str(&format!("[U+{:04X}]", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
