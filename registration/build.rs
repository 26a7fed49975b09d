//! Generates the compact permission table from `data/permissions/*.json`.
//!
//! The JSON files stay the verbatim source of truth; the binary (and the browser's WASM
//! bundle) carries only what the rules and the picker need: resource, id, value, type,
//! admin consent, display name and privilege level. Microsoft's long `description` text is
//! left out, which keeps the embedded table a fraction of the 600 KB source.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

const FILES: [(&str, &str); 2] = [("graph", "Graph"), ("exchange", "Exchange")];

struct Row {
    resource: usize,
    value: String,
    delegated: bool,
    id: [u8; 16],
    admin_consent: Option<bool>,
    display_name: String,
    privilege: Option<u8>,
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/permissions");
    let mut rows = Vec::new();
    for (index, (file, _)) in FILES.iter().enumerate() {
        let path = dir.join(format!("{file}.json"));
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        let alias = json["resource"]["alias"].as_str().unwrap_or_default();
        assert_eq!(alias, *file, "{file}.json names resource alias {alias}");
        let permissions = json["permissions"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}.json has no permissions array"));
        for p in permissions {
            let field = |name: &str| {
                p[name]
                    .as_str()
                    .unwrap_or_else(|| panic!("{file}.json: entry without {name}: {p}"))
                    .to_string()
            };
            let value = field("value");
            let kind = field("type");
            let delegated = match kind.as_str() {
                "delegated" => true,
                "application" => false,
                other => panic!("{file}.json: {value} has type {other}"),
            };
            let id = parse_guid(&field("id"))
                .unwrap_or_else(|| panic!("{file}.json: {value} has a malformed id"));
            let privilege = p["privilegeLevel"].as_u64().map(|level| {
                u8::try_from(level).unwrap_or_else(|_| panic!("{value}: privilegeLevel {level}"))
            });
            rows.push(Row {
                resource: index,
                value,
                delegated,
                id,
                admin_consent: p["adminConsentRequired"].as_bool(),
                display_name: field("displayName"),
                privilege,
            });
        }
    }
    // Sorted so that lookups are binary searches over a static slice (no start-up work),
    // and so that of Exchange's two delegated User.ReadBasic.All the lower GUID comes first.
    rows.sort_by(|a, b| {
        (a.resource, &a.value, !a.delegated, a.id).cmp(&(b.resource, &b.value, !b.delegated, b.id))
    });

    let mut out = String::new();
    let graph_len = rows.iter().filter(|r| r.resource == 0).count();
    writeln!(
        out,
        "/// Entries on Microsoft Graph come first: `ENTRIES[..GRAPH_LEN]`."
    )
    .unwrap();
    writeln!(out, "pub(super) const GRAPH_LEN: usize = {graph_len};").unwrap();
    writeln!(
        out,
        "/// Every permission, sorted by (resource, value, type, id)."
    )
    .unwrap();
    writeln!(out, "pub(super) static ENTRIES: [P; {}] = [", rows.len()).unwrap();
    for r in &rows {
        writeln!(
            out,
            "P::new(R::{}, {:?}, {:?}, T::{}, {:?}, {:?}, {:?}),",
            FILES[r.resource].1,
            r.id,
            r.value,
            if r.delegated {
                "Delegated"
            } else {
                "Application"
            },
            r.admin_consent,
            r.display_name,
            r.privilege,
        )
        .unwrap();
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    // The catalogue's version names the copy a browser fetches (`catalogue::VERSION`): any change
    // to the table gives the copy a new name, so a cached copy is never the wrong one.
    let version = format!("{:?}", format!("{:016x}", fnv1a(out.as_bytes())));
    for (name, text) in [
        ("permissions.rs", &out),
        ("permissions_version.rs", &version),
    ] {
        let target = Path::new(&out_dir).join(name);
        std::fs::write(&target, text)
            .unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
    }
}

/// FNV-1a, 64 bits: a name that changes with the content (not a defence against anyone).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` to its 16 bytes, in text order.
fn parse_guid(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let hex: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'-').collect();
    if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut id = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        *id.get_mut(i)? = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(id)
}
