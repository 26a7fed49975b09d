//! The permission catalogue: every Microsoft Graph and Exchange Online permission.
//!
//! The source of truth is `data/permissions/{graph,exchange}.json` (see its README). `build.rs`
//! turns it into a static, sorted table without Microsoft's long descriptions, so nothing is
//! parsed at run time: lookups are binary searches. The server and the CLI embed that table
//! (feature `embedded-catalogue`); the browser's WASM does not: it receives the part a page shows
//! inside the page, and fetches the whole, once, when the picker is first used ([`copy`]).
//!
//! A permission is keyed by (resource, id, type): the same GUID can appear on both resources
//! and, on Graph, as both a scope and a role (`User.Export.All`). The same value can also mean
//! different things on the two resources (`Calendars.Read.All`), so a value is only resolved
//! together with its resource, following Entra's rule when the resource is left out.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::PermissionType;

mod copy;
pub use copy::CatalogueCopy;

/// The catalogue's version: a hash of its table, so that the copy a browser fetches is named by
/// what it holds (`/catalogue/permissions.{VERSION}.json`) and a cached copy is never stale.
pub const VERSION: &str = include!(concat!(env!("OUT_DIR"), "/permissions_version.rs"));

/// A resource (API) that publishes permissions NHSmail applications may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Microsoft Graph.
    Graph,
    /// Office 365 Exchange Online.
    Exchange,
}

impl Resource {
    /// Both resources, Graph first (Entra's default resource).
    pub const ALL: [Resource; 2] = [Resource::Graph, Resource::Exchange];

    /// The resource's appId (`resourceAppId` in the manifest).
    pub const fn app_id(self) -> &'static str {
        match self {
            Resource::Graph => "00000003-0000-0000-c000-000000000000",
            Resource::Exchange => "00000002-0000-0ff1-ce00-000000000000",
        }
    }

    /// The short name a request may use in `permissions[].resource`.
    pub const fn alias(self) -> &'static str {
        match self {
            Resource::Graph => "graph",
            Resource::Exchange => "exchange",
        }
    }

    /// The service principal's display name.
    pub const fn display_name(self) -> &'static str {
        match self {
            Resource::Graph => "Microsoft Graph",
            Resource::Exchange => "Office 365 Exchange Online",
        }
    }

    /// The other of the two resources.
    pub const fn other(self) -> Resource {
        match self {
            Resource::Graph => Resource::Exchange,
            Resource::Exchange => Resource::Graph,
        }
    }

    /// Reads `graph`, `exchange` or either appId (ASCII case-insensitive, as GUIDs and our
    /// aliases are); anything else is not a resource this desk supports.
    pub fn parse(text: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|resource| {
            text.eq_ignore_ascii_case(resource.alias())
                || text.eq_ignore_ascii_case(resource.app_id())
        })
    }
}

/// A permission's GUID on its resource.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermissionId([u8; 16]);

impl PermissionId {
    /// Reads the hyphenated form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case).
    pub fn parse(text: &str) -> Option<PermissionId> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let mut id = [0u8; 16];
        let mut nibbles = bytes
            .iter()
            .enumerate()
            .filter(|&(i, _)| !matches!(i, 8 | 13 | 18 | 23));
        if [8, 13, 18, 23].iter().any(|&i| bytes.get(i) != Some(&b'-')) {
            return None;
        }
        for byte in &mut id {
            let high = (*nibbles.next()?.1 as char).to_digit(16)?;
            let low = (*nibbles.next()?.1 as char).to_digit(16)?;
            *byte = u8::try_from(high * 16 + low).ok()?;
        }
        Some(PermissionId(id))
    }
}

impl std::fmt::Display for PermissionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for PermissionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Serialize for PermissionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PermissionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PermissionId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a GUID")))
    }
}

/// One permission as its resource publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Permission {
    resource: Resource,
    id: PermissionId,
    value: &'static str,
    permission_type: PermissionType,
    admin_consent_required: Option<bool>,
    display_name: &'static str,
    privilege_level: Option<u8>,
}

/// The OpenID Connect scopes Graph hosts (Entra `scopes-oidc.md`).
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Mail-protocol scopes that both resources publish; Exchange serves them whichever is granted.
const PROTOCOL_SCOPES: [&str; 4] = [
    "IMAP.AccessAsUser.All",
    "POP.AccessAsUser.All",
    "SMTP.Send",
    "EAS.AccessAsUser.All",
];

impl Permission {
    /// Used by the generated table and by a copy's catalogue.
    const fn new(
        resource: Resource,
        id: [u8; 16],
        value: &'static str,
        permission_type: PermissionType,
        admin_consent_required: Option<bool>,
        display_name: &'static str,
        privilege_level: Option<u8>,
    ) -> Self {
        Permission {
            resource,
            id: PermissionId(id),
            value,
            permission_type,
            admin_consent_required,
            display_name,
            privilege_level,
        }
    }

    /// The resource that publishes it.
    pub fn resource(&self) -> Resource {
        self.resource
    }
    /// Its GUID on that resource.
    pub fn id(&self) -> PermissionId {
        self.id
    }
    /// Its value, e.g. `Mail.Send` (what a token's `scp`/`roles` carries).
    pub fn value(&self) -> &'static str {
        self.value
    }
    /// Delegated scope or application role.
    pub fn permission_type(&self) -> PermissionType {
        self.permission_type
    }
    /// `"Scope"` or `"Role"`, as the manifest's `resourceAccess[].type` spells it.
    pub fn manifest_type(&self) -> &'static str {
        match self.permission_type {
            PermissionType::Delegated => "Scope",
            PermissionType::Application => "Role",
        }
    }
    /// Whether only an administrator can consent; `None` when no source says (not "users can").
    pub fn admin_consent_required(&self) -> Option<bool> {
        self.admin_consent_required
    }
    /// Microsoft's admin-consent title, verbatim.
    pub fn display_name(&self) -> &'static str {
        self.display_name
    }
    /// Graph's privilege level 1–5 (higher is more privileged); `None` when unpublished.
    pub fn privilege_level(&self) -> Option<u8> {
        self.privilege_level
    }
    /// `openid`, `profile`, `email` or `offline_access` (hosted on Graph).
    pub fn is_oidc(&self) -> bool {
        self.resource == Resource::Graph && OIDC_SCOPES.contains(&self.value)
    }
    /// The scope a client must request at run time, when it differs from the catalogue's
    /// resource: the IMAP/POP/SMTP/EAS scopes are served by Exchange Online on either resource.
    pub fn runtime_scope(&self) -> Option<String> {
        (self.permission_type == PermissionType::Delegated && PROTOCOL_SCOPES.contains(&self.value))
            .then(|| format!("https://outlook.office.com/{}", self.value))
    }
}

#[cfg(feature = "embedded-catalogue")]
mod table {
    use super::Permission as P;
    use super::Resource as R;
    use crate::PermissionType as T;
    include!(concat!(env!("OUT_DIR"), "/permissions.rs"));
}

/// Every permission of Microsoft Graph and Exchange Online, with lookups.
#[derive(Debug)]
pub struct PermissionCatalogue {
    entries: &'static [Permission],
    graph_len: usize,
}

#[cfg(feature = "embedded-catalogue")]
static CATALOGUE: PermissionCatalogue = PermissionCatalogue {
    entries: &table::ENTRIES,
    graph_len: table::GRAPH_LEN,
};

impl PermissionCatalogue {
    /// The embedded catalogue: a static table built at compile time, so nothing is parsed.
    #[cfg(feature = "embedded-catalogue")]
    pub fn get() -> &'static PermissionCatalogue {
        &CATALOGUE
    }

    /// The catalogue as far as this browser has it: the copy installed last
    /// ([`CatalogueCopy::install`]: the part the page came with, then the whole once fetched),
    /// empty before any.
    #[cfg(not(feature = "embedded-catalogue"))]
    pub fn get() -> &'static PermissionCatalogue {
        copy::installed()
    }

    /// Every entry, Graph first, each resource sorted by value then type (delegated first).
    pub fn entries(&self) -> &'static [Permission] {
        self.entries
    }

    /// Every entry, in [`entries`](Self::entries) order.
    pub fn iter(&self) -> impl Iterator<Item = &'static Permission> + 'static {
        self.entries.iter()
    }

    /// The entries one resource publishes.
    pub fn on(&self, resource: Resource) -> &'static [Permission] {
        let (graph, exchange) = self
            .entries
            .split_at_checked(self.graph_len)
            .unwrap_or((self.entries, &[]));
        match resource {
            Resource::Graph => graph,
            Resource::Exchange => exchange,
        }
    }

    /// How many permissions of one type a resource publishes.
    pub fn count(&self, resource: Resource, permission_type: PermissionType) -> usize {
        self.on(resource)
            .iter()
            .filter(|p| p.permission_type == permission_type)
            .count()
    }

    /// The entries of one resource with this exact value (either type; case-sensitive).
    pub fn with_value(&self, resource: Resource, value: &str) -> &'static [Permission] {
        let slice = self.on(resource);
        let start = slice.partition_point(|p| p.value < value);
        let end = slice.partition_point(|p| p.value <= value);
        slice.get(start..end).unwrap_or(&[])
    }

    /// The permission with this value and type on one resource. Where a resource publishes the
    /// pair twice (Exchange's delegated `User.ReadBasic.All`), the lower GUID is chosen.
    pub fn find(
        &self,
        resource: Resource,
        value: &str,
        permission_type: PermissionType,
    ) -> Option<&'static Permission> {
        self.with_value(resource, value)
            .iter()
            .find(|p| p.permission_type == permission_type)
    }

    /// Resolves a request's (resource, value, type) the way Entra does. `resource` is `graph`,
    /// `exchange` or an appId; left out, Graph first, Exchange Online only when Graph does not
    /// publish that value with that type. `None` for an unsupported resource or no match.
    pub fn resolve(
        &self,
        resource: Option<&str>,
        value: &str,
        permission_type: PermissionType,
    ) -> Option<&'static Permission> {
        match resource {
            Some(text) => self.find(Resource::parse(text)?, value, permission_type),
            None => Resource::ALL
                .into_iter()
                .find_map(|resource| self.find(resource, value, permission_type)),
        }
    }

    /// The entries with this GUID on one resource: one, or two where a GUID is both a scope
    /// and a role (Graph `User.Export.All`).
    pub fn by_id(
        &self,
        resource: Resource,
        id: PermissionId,
    ) -> impl Iterator<Item = &'static Permission> + 'static {
        self.on(resource).iter().filter(move |p| p.id == id)
    }

    /// The entry keyed by (resource, id, type): the manifest's own key.
    pub fn by_key(
        &self,
        resource: Resource,
        id: PermissionId,
        permission_type: PermissionType,
    ) -> Option<&'static Permission> {
        self.by_id(resource, id)
            .find(|p| p.permission_type == permission_type)
    }

    /// The closest published value to a mistyped one ("did you mean"), comparing without
    /// regard to ASCII case so that `mail.send` finds `Mail.Send`. Looks on `resource` only,
    /// or on both when `None`; prefers the requested type, then Graph. Callers bound `typed`'s
    /// length first: the cost is one edit distance per entry of similar length.
    pub fn suggest(
        &self,
        resource: Option<Resource>,
        typed: &str,
        permission_type: PermissionType,
    ) -> Option<&'static str> {
        let typed: String = typed.trim().to_ascii_lowercase();
        let length = typed.chars().count();
        if length == 0 {
            return None;
        }
        let threshold = match length {
            0..=4 => 1,
            5..=12 => 2,
            _ => 3,
        };
        let candidates: &[Permission] = match resource {
            Some(resource) => self.on(resource),
            None => self.entries,
        };
        let mut lowered = String::new();
        let mut best: Option<(usize, bool, &'static Permission)> = None;
        for candidate in candidates {
            if candidate.value.len().abs_diff(length) > threshold {
                continue;
            }
            lowered.clear();
            lowered.extend(candidate.value.chars().map(|c| c.to_ascii_lowercase()));
            let distance = strsim::levenshtein(&typed, &lowered);
            if distance > threshold {
                continue;
            }
            let other_type = candidate.permission_type != permission_type;
            // Entries are in Graph-first order, so a strict comparison keeps Graph on ties.
            if best.is_none_or(|(d, o, _)| (distance, other_type) < (d, o)) {
                best = Some((distance, other_type, candidate));
            }
        }
        best.map(|(_, _, p)| p.value)
    }
}

#[cfg(test)]
mod tests;
