//! RFC 8785 JSON Canonicalization Scheme (JCS): the one byte string a JSON value signs as.
//!
//! Members are sorted by their names' UTF-16 code units (RFC 8785 §3.2.3), strings are
//! escaped as ECMAScript's `JSON.stringify` does (§3.2.2.2), numbers are written as
//! ECMAScript's `Number.prototype.toString` writes an IEEE 754 double (§3.2.2.3), and there is
//! no whitespace. serde_json cannot hold NaN or infinities, so every value has a canonical form.

use serde_json::{Map, Number, Value};

/// The largest integer every JSON implementation (I-JSON, RFC 7493) reads exactly: 2^53.
const EXACT_INTEGER_LIMIT: u64 = 1 << 53;

/// The RFC 8785 canonical serialization of `value`.
pub fn to_canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => write_object(members, out),
    }
}

fn write_object(members: &Map<String, Value>, out: &mut String) {
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    // serde_json's map orders by UTF-8 bytes, which differs from UTF-16 above the BMP.
    sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push('{');
    for (index, (name, member)) in sorted.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(name, out);
        out.push(':');
        write_value(member, out);
    }
    out.push('}');
}

/// RFC 8785 §3.2.2.2: only `"`, `\` and the C0 controls are escaped; everything else is literal.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    // Runs of characters written as they are go in whole (a record is mostly such runs); the
    // characters escaped are all ASCII, so every cut is at a character boundary.
    let mut run_start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0a => "\\n",
            0x0c => "\\f",
            0x0d => "\\r",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[run_start..at]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escaped);
        }
        run_start = at + 1;
    }
    out.push_str(&text[run_start..]);
    out.push('"');
}

/// Integers up to 2^53 are written exactly; anything else is the IEEE 754 double a JCS
/// reader would see, written as ECMAScript writes it.
fn write_number(number: &Number, out: &mut String) {
    if let Some(n) = number.as_u64().filter(|&n| n <= EXACT_INTEGER_LIMIT) {
        out.push_str(&n.to_string());
    } else if let Some(n) = number
        .as_i64()
        .filter(|n| n.unsigned_abs() <= EXACT_INTEGER_LIMIT)
    {
        out.push_str(&n.to_string());
    } else if let Some(x) = number.as_f64() {
        out.push_str(&es_number_to_string(x));
    } else {
        // Unreachable without serde_json's arbitrary_precision; keep the text rather than panic.
        out.push_str(&number.to_string());
    }
}

/// ECMAScript `Number::toString(x)` for a double (ECMA-262 §6.1.6.1.20), radix 10.
///
/// Rust's `{:e}` formatting gives the shortest digit string that reads back to the same
/// double, choosing the closest such string, which is what ECMA-262 asks for; only the
/// layout (plain, fraction or exponent form) remains to be chosen.
pub fn es_number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned(); // -0 too
    }
    if x.is_infinite() {
        return if x < 0.0 { "-Infinity" } else { "Infinity" }.to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    round_ties_to_even(x.abs(), &mut digits, exponent);
    // ECMA-262's k (digit count) and n (decimal point position): x = 0.d1d2…dk × 10^n.
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        format!(
            "{digits}{}",
            "0".repeat(usize::try_from(n - k).unwrap_or(0))
        )
    } else if 0 < n && n <= 21 {
        // Here n < k, so the split falls inside the (ASCII) digits.
        let (whole, fraction) = digits
            .split_at_checked(usize::try_from(n).unwrap_or(0))
            .unwrap_or((digits.as_str(), ""));
        format!("{whole}.{fraction}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(-n).unwrap_or(0)))
    } else {
        let exponent_sign = if n - 1 < 0 { '-' } else { '+' };
        let magnitude = (n - 1).unsigned_abs();
        match digits.split_at_checked(1) {
            Some((first, rest)) if !rest.is_empty() => {
                format!("{first}.{rest}e{exponent_sign}{magnitude}")
            }
            _ => format!("{digits}e{exponent_sign}{magnitude}"),
        }
    };
    format!("{sign}{body}")
}

/// When `x` lies exactly halfway between two shortest digit strings, ECMA-262 (and RFC 8785
/// Appendix B, `1424953923781206.2`) takes the even one; Rust's formatter may take the other.
fn round_ties_to_even(x: f64, digits: &mut String, exponent: i64) {
    let Some(&last) = digits.as_bytes().last() else {
        return;
    };
    if last % 2 == 0 {
        return;
    }
    // 800 fractional digits hold any double's exact decimal expansion (at most 767).
    let exact = format!("{x:.800e}");
    let Some((exact_mantissa, exact_exponent)) = exact.split_once('e') else {
        return;
    };
    if exact_exponent.parse::<i64>().ok() != Some(exponent) {
        return;
    }
    let exact_digits: String = exact_mantissa
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let Some((head, tail)) = exact_digits.split_at_checked(digits.len()) else {
        return;
    };
    let tie = tail.starts_with('5') && tail.bytes().skip(1).all(|b| b == b'0');
    if !tie {
        return;
    }
    // The two candidates are `head` and `head + 1 ulp`; the even one is whichever ends even.
    let candidate = if head.as_bytes().last().is_some_and(|b| b % 2 == 0) {
        head.to_owned()
    } else {
        let Some((rest, last_digit)) = head.split_at_checked(head.len().saturating_sub(1)) else {
            return;
        };
        match last_digit.as_bytes().first() {
            Some(&d) if d < b'9' => format!("{rest}{}", char::from(d + 1)),
            _ => return,
        }
    };
    let (first, fraction) = candidate.split_at_checked(1).unwrap_or((&candidate, ""));
    if format!("{first}.{fraction}e{exponent}").parse::<f64>().ok() == Some(x) {
        *digits = candidate;
    }
}
