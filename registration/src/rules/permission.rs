//! Permission rules (RULES.md §3).

use time::OffsetDateTime;

use crate::{Finding, RegistrationRequest, RequiredResourceAccess};

crate::finding_codes! {
    /// Codes raised by the permission rules.
    pub enum PermissionCode {
        Unknown => ("permission.unknown", Error, "A permission that no resource publishes cannot be granted.", "Microsoft Graph and Exchange Online service principals"),
    }
}

/// Checks `permissions[i]` and returns `requiredResourceAccess` for the accepted set.
pub fn check(
    request: &RegistrationRequest,
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) -> Vec<RequiredResourceAccess> {
    let _ = (request, now, out);
    Vec::new()
}
