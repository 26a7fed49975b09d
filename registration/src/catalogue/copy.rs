//! The catalogue as it travels to a browser: as JSON, whole or in part.
//!
//! The whole (≈ 240 kB of JSON, ≈ 48 kB compressed) is fetched once, when the form's picker is
//! first used, from `/catalogue/permissions.{VERSION}.json`, and cached for good (its name
//! changes with its content). The form page carries the part it shows as it stands: the entries
//! named by its chosen permissions and by the picker's matches, so that the page hydrates to the
//! same HTML the server rendered and the live checks answer as the server's do for those rows.

use serde::{Deserialize, Serialize};

use super::{Permission, PermissionCatalogue, PermissionId, Resource, VERSION};
use crate::PermissionType;

/// A copy of the catalogue, or of part of it, as JSON carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueCopy {
    /// The [`VERSION`] of the catalogue it was copied from.
    version: String,
    entries: Vec<CopiedPermission>,
}

/// One permission as an array: resource, id, value, type, admin consent, display name, privilege
/// level (`["graph", "b633e1c5-…", "Mail.Send", "delegated", false, "Send mail as a user", 3]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CopiedPermission(
    Resource,
    PermissionId,
    String,
    PermissionType,
    Option<bool>,
    String,
    Option<u8>,
);

impl PermissionCatalogue {
    /// The whole catalogue, to send.
    pub fn copy(&self) -> CatalogueCopy {
        self.copy_where(|_| true)
    }

    /// The entries whose value is one of `values` (trimmed; ASCII case ignored, as the rules'
    /// suggestions compare), on either resource and of either type: all that the rules and the
    /// picker look up for those values.
    pub fn copy_of<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> CatalogueCopy {
        let values: Vec<&str> = values
            .into_iter()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .collect();
        self.copy_where(|entry| values.iter().any(|v| v.eq_ignore_ascii_case(entry.value)))
    }

    fn copy_where(&self, keep: impl Fn(&Permission) -> bool) -> CatalogueCopy {
        CatalogueCopy {
            version: VERSION.to_string(),
            entries: self
                .entries
                .iter()
                .filter(|entry| keep(entry))
                .map(|p| {
                    CopiedPermission(
                        p.resource,
                        p.id,
                        p.value.to_string(),
                        p.permission_type,
                        p.admin_consent_required,
                        p.display_name.to_string(),
                        p.privilege_level,
                    )
                })
                .collect(),
        }
    }
}

impl CatalogueCopy {
    /// How many permissions it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The JSON the desk serves.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| unreachable!("a copy is plain data: {e}"))
    }

    /// Reads a copy the desk served; refuses one of another version (a desk upgraded under an
    /// open page), since its entries would not be the ones this page's rules expect.
    pub fn from_json(text: &str) -> Result<CatalogueCopy, String> {
        let copy: CatalogueCopy = serde_json::from_str(text)
            .map_err(|e| format!("the permission catalogue could not be read: {e}"))?;
        if copy.version != VERSION {
            return Err(format!(
                "the permission catalogue is version {}, this page expects {VERSION}",
                copy.version
            ));
        }
        Ok(copy)
    }

    /// The copy as a catalogue for the rest of the program's life: its entries sorted as the
    /// embedded table is (lookups are binary searches), their text leaked once. A browser page
    /// makes at most two (the part it came with, then the whole).
    pub fn into_catalogue(self) -> &'static PermissionCatalogue {
        let mut entries: Vec<Permission> = self
            .entries
            .into_iter()
            .map(
                |CopiedPermission(resource, id, value, kind, consent, name, level)| {
                    Permission::new(
                        resource,
                        id.0,
                        Box::leak(value.into_boxed_str()),
                        kind,
                        consent,
                        Box::leak(name.into_boxed_str()),
                        level,
                    )
                },
            )
            .collect();
        entries.sort_by(|a, b| {
            let key = |p: &Permission| {
                (
                    p.resource,
                    p.value,
                    p.permission_type == PermissionType::Application,
                    p.id,
                )
            };
            key(a).cmp(&key(b))
        });
        let graph_len = entries
            .iter()
            .filter(|p| p.resource == Resource::Graph)
            .count();
        Box::leak(Box::new(PermissionCatalogue {
            entries: Box::leak(entries.into_boxed_slice()),
            graph_len,
        }))
    }

    /// Makes this copy the catalogue [`PermissionCatalogue::get`] answers with, in a browser.
    #[cfg(not(feature = "embedded-catalogue"))]
    pub fn install(self) {
        let catalogue = self.into_catalogue();
        *INSTALLED
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = catalogue;
    }
}

/// The copy installed last, in a browser.
#[cfg(not(feature = "embedded-catalogue"))]
static INSTALLED: std::sync::RwLock<&'static PermissionCatalogue> =
    std::sync::RwLock::new(&PermissionCatalogue {
        entries: &[],
        graph_len: 0,
    });

#[cfg(not(feature = "embedded-catalogue"))]
pub(super) fn installed() -> &'static PermissionCatalogue {
    *INSTALLED
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
