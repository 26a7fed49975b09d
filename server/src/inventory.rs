//! The credential inventory (issue 14, part 3): every registered application with its
//! credentials and their expiry — an organisation's own for its Local Administrators ("Your
//! applications"), every organisation's for reviewers ("Expiring soon") — and the same dates as
//! an iCalendar file ([`registration::calendar`]). One code path for the pages and the JSON API.

use std::collections::HashMap;

use registration::calendar::{self, ExpiryEvent};
use registration::lifecycle::{Role, Status};
use sqlx::AnyPool;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::applications::{Credential, facts_of};
use crate::identity::Identity;
use crate::store::applications as store;
use crate::store::registrations;

/// The statuses whose application exists, or may again (deleted ones are recoverable): the
/// inventory lists these, not purged ones.
pub const LISTED: [Status; 4] = [
    Status::Live,
    Status::DeletionRequested,
    Status::Deleted,
    Status::RecoveryRequested,
];

/// A registered application in the inventory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RegisteredApplication {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The application's name.
    pub application_name: String,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The organisation's name, when the directory knew it.
    pub organisation_name: Option<String>,
    /// Its status (live, or on its way to deletion or back).
    pub status: Status,
    /// The Application (client) ID.
    pub application_id: String,
    /// Its certificates and client secrets, soonest expiry first.
    pub credentials: Vec<Credential>,
}

/// One credential that expires soon (or has expired), with its application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ExpiringCredential {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The application's name.
    pub application_name: String,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The organisation's name, when known.
    pub organisation_name: Option<String>,
    /// `certificate` or `secret`.
    pub kind: &'static str,
    /// A certificate's SHA-1 thumbprint, or a secret's id.
    pub id: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// Whole days left, rounded up (0 or less: expired).
    pub days_left: i64,
}

/// The registered applications `identity` may see (a Local Administrator's organisation's, or
/// every organisation's for a reviewer), by application name.
pub async fn registered(
    pool: &AnyPool,
    identity: &Identity,
) -> anyhow::Result<Vec<RegisteredApplication>> {
    Ok(registered_page(pool, identity, None, None).await?.items)
}

/// The registered applications `identity` may see, of the organisation `ods_code` when given
/// (a Local Administrator sees their own whatever it says), all of them or page `page` of 50.
pub async fn registered_page(
    pool: &AnyPool,
    identity: &Identity,
    ods_code: Option<&str>,
    page: Option<u32>,
) -> anyhow::Result<registrations::Page<RegisteredApplication>> {
    let none = || registrations::Page {
        items: Vec::new(),
        page: 1,
        per_page: registrations::PER_PAGE,
        total: 0,
    };
    let ods_code = match identity.role {
        Role::Reviewer => ods_code,
        Role::LocalAdmin => match identity.ods_code.as_deref() {
            Some(code) => Some(code),
            None => return Ok(none()),
        },
        // A desk administrator manages accounts, and sees no applications.
        Role::DeskAdmin => return Ok(none()),
    };
    // Four queries whatever the number of applications: the application versions, then the
    // implementations, client secrets and superseded versions of those.
    let listed = registrations::latest_in_statuses(pool, &LISTED, ods_code, page).await?;
    let references: Vec<String> = listed
        .items
        .iter()
        .map(|stored| stored.reference.clone())
        .collect();
    let (implementations, secrets) = store::all_of(pool, &references).await?;
    let superseded = registrations::superseded_of(pool, &references).await?;
    let now = OffsetDateTime::now_utc();
    let mut implementations: HashMap<String, store::StoredImplementation> = implementations
        .into_iter()
        .map(|implementation| (implementation.reference.clone(), implementation))
        .collect();
    let mut secrets_of: HashMap<String, Vec<store::StoredSecret>> = HashMap::new();
    for secret in secrets {
        secrets_of
            .entry(secret.reference.clone())
            .or_default()
            .push(secret);
    }
    let mut applications = Vec::new();
    for stored in listed.items {
        let Some(implementation) = implementations.remove(&stored.reference) else {
            continue;
        };
        let secrets = secrets_of.remove(&stored.reference).unwrap_or_default();
        let facts = facts_of(&stored, implementation, secrets, &superseded, now);
        let mut credentials = facts.credentials;
        credentials.sort_by(|a, b| a.expires_at.cmp(&b.expires_at));
        applications.push(RegisteredApplication {
            reference: stored.reference,
            application_name: stored.application_name,
            ods_code: stored.ods_code,
            organisation_name: stored.organisation_name,
            status: stored.status,
            application_id: facts.application_id,
            credentials,
        });
    }
    Ok(registrations::Page {
        items: applications,
        page: listed.page,
        per_page: listed.per_page,
        total: listed.total,
    })
}

/// Whether the application exists in the tenant now (its credentials can expire in use).
fn in_tenant(status: Status) -> bool {
    matches!(status, Status::Live | Status::DeletionRequested)
}

/// The credentials of `applications` in the tenant that expire within `within_days` days of
/// `now` (expired ones included), soonest first.
pub fn expiring(
    applications: &[RegisteredApplication],
    now: OffsetDateTime,
    within_days: i64,
) -> Vec<ExpiringCredential> {
    let mut rows: Vec<ExpiringCredential> = applications
        .iter()
        .filter(|application| in_tenant(application.status))
        .flat_map(|application| {
            application
                .credentials
                .iter()
                // A credential a renewal replaced is not one to act on.
                .filter(|credential| !credential.replaced)
                .filter_map(move |credential| {
                    let expires_at =
                        OffsetDateTime::parse(&credential.expires_at, &Rfc3339).ok()?;
                    let days_left = registration::reminders::days_left(expires_at, now);
                    (days_left <= within_days).then(|| ExpiringCredential {
                        reference: application.reference.clone(),
                        application_name: application.application_name.clone(),
                        ods_code: application.ods_code.clone(),
                        organisation_name: application.organisation_name.clone(),
                        kind: credential.kind,
                        id: credential.id.clone(),
                        expires_at: credential.expires_at.clone(),
                        days_left,
                    })
                })
        })
        .collect();
    rows.sort_by(|a, b| {
        a.expires_at
            .cmp(&b.expires_at)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    rows
}

/// The expiry dates of the credentials of `applications` in the tenant, as an iCalendar file
/// named `name`; pages link to `site`.
pub fn calendar(
    name: &str,
    applications: &[RegisteredApplication],
    site: &str,
    now: OffsetDateTime,
) -> String {
    let events: Vec<ExpiryEvent> = applications
        .iter()
        .filter(|application| in_tenant(application.status))
        .flat_map(|application| {
            application
                .credentials
                .iter()
                .filter(|credential| !credential.replaced)
                .filter_map(move |credential| {
                    Some(ExpiryEvent {
                        reference: application.reference.clone(),
                        application_name: application.application_name.clone(),
                        kind: credential.kind.to_string(),
                        credential_id: credential.id.clone(),
                        expires_at: OffsetDateTime::parse(&credential.expires_at, &Rfc3339).ok()?,
                        page_url: format!(
                            "{}/requests/{}",
                            site.trim_end_matches('/'),
                            application.reference
                        ),
                    })
                })
        })
        .collect();
    calendar::expiry_calendar(name, &events, now)
}
