//! Renewal and change of a registered application (issue 14 part 5; docs/lifecycle.md): the
//! organisation asks for a new credential (a **renewal**) or for other permissions, URIs,
//! mailboxes or details (a **change**) with the same form and the same rules as a new request. It
//! becomes the next version of the application's request, is reviewed against the **live**
//! version, and once NHSmail has made it the live version is superseded.
//!
//! This module says what a renewal may differ in, and when a change is one at all. Pure and
//! clock-free apart from the `now` the diff reads certificates with.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::RegistrationRequest;
use crate::diff::{self, ChangeKind};

/// Why a version of a registered application is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A new credential: another certificate, or a new client secret (its lifetime may change).
    /// Nothing else may differ from the live version.
    Renewal,
    /// Anything else: permissions, URIs, mailboxes, the application's details, contacts (and its
    /// credentials with them).
    Change,
}

impl Purpose {
    /// Both purposes.
    pub const ALL: [Purpose; 2] = [Purpose::Renewal, Purpose::Change];

    /// The stored and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::Renewal => "renewal",
            Purpose::Change => "change",
        }
    }

    /// Reads a stored or posted name.
    pub fn parse(text: &str) -> Option<Purpose> {
        Purpose::ALL
            .into_iter()
            .find(|purpose| purpose.as_str() == text.trim())
    }

    /// As a heading reads it ("Renewal", "Change").
    pub const fn text(self) -> &'static str {
        match self {
            Purpose::Renewal => "Renewal",
            Purpose::Change => "Change",
        }
    }
}

/// The fields a renewal may change: the credentials.
fn is_credential_path(path: &str) -> bool {
    path == "certificates" || path.starts_with("certificates[") || path.starts_with("client_secret")
}

/// Why a version cannot be the renewal or change it is asked as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// A renewal that changes more than the credentials: these fields (request paths) differ
    /// from the live version.
    NotARenewal {
        /// The fields that differ, in the request's order.
        fields: Vec<String>,
    },
    /// A renewal that adds no certificate and asks for no client secret: nothing would be
    /// issued.
    NothingToRenew,
    /// A change identical to the live version.
    NoChange,
}

impl ChangeRefusal {
    /// The code: the API's `error`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            ChangeRefusal::NotARenewal { .. } => "not_a_renewal",
            ChangeRefusal::NothingToRenew => "nothing_to_renew",
            ChangeRefusal::NoChange => "no_change",
        }
    }

    /// What the Local Administrator is told: what is wrong and what to do.
    pub fn message(&self) -> String {
        match self {
            ChangeRefusal::NotARenewal { fields } => format!(
                "A renewal only replaces credentials (a certificate or the client secret), but this also changes {}: put those back as they are in the live application, or ask for a change instead.",
                fields.join(", ")
            ),
            ChangeRefusal::NothingToRenew => "There is nothing to renew: upload the new certificate, or ask for a client secret, so that NHSmail issues a new credential.".to_string(),
            ChangeRefusal::NoChange => "Nothing differs from the live application: change what needs changing, or ask for a renewal to get a new credential.".to_string(),
        }
    }
}

/// Checks that `new` is a `purpose` of the `live` version (the request the application was made
/// from); `now` reads the certificates as the diff does.
///
/// # Errors
/// [`ChangeRefusal`] when it is not.
pub fn check(
    purpose: Purpose,
    live: &RegistrationRequest,
    new: &RegistrationRequest,
    now: OffsetDateTime,
) -> Result<(), ChangeRefusal> {
    let changes = diff::diff(live, new, now);
    match purpose {
        Purpose::Change if changes.is_empty() => Err(ChangeRefusal::NoChange),
        Purpose::Change => Ok(()),
        Purpose::Renewal => {
            let mut fields: Vec<String> = Vec::new();
            for change in &changes {
                let field = change.path.split('[').next().unwrap_or(&change.path);
                if !is_credential_path(&change.path) && !fields.iter().any(|seen| seen == field) {
                    fields.push(field.to_string());
                }
            }
            if !fields.is_empty() {
                return Err(ChangeRefusal::NotARenewal { fields });
            }
            let adds_certificate = changes.iter().any(|change| {
                change.kind == ChangeKind::Added && change.path.starts_with("certificates")
            });
            if adds_certificate || new.client_secret.is_some() {
                Ok(())
            } else {
                Err(ChangeRefusal::NothingToRenew)
            }
        }
    }
}

/// Whether the version `new` needs a new client secret when it is made: it asks for one and
/// either it is a renewal (a renewal asking for a secret asks for a new one), the live version
/// had none, or the lifetime differs. A change that keeps the same secret settings keeps the
/// secret the application has (a new one may still be issued).
pub fn needs_new_secret(
    purpose: Purpose,
    live: &RegistrationRequest,
    new: &RegistrationRequest,
) -> bool {
    match (&live.client_secret, &new.client_secret) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(old), Some(asked)) => {
            purpose == Purpose::Renewal || old.lifetime_months != asked.lifetime_months
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientSecret;

    fn live() -> RegistrationRequest {
        RegistrationRequest::from_json(include_str!("../tests/data/delegated_request.json"))
            .unwrap()
    }

    /// Inside the fixture certificate's validity.
    fn now() -> OffsetDateTime {
        time::macros::datetime!(2027-06-01 12:00 UTC)
    }

    #[test]
    fn a_renewal_with_a_client_secret_and_nothing_else_changed_passes() {
        let mut live = live();
        live.client_secret = Some(ClientSecret {
            lifetime_months: 12,
        });
        let new = live.clone();
        assert_eq!(check(Purpose::Renewal, &live, &new, now()), Ok(()));
        assert!(needs_new_secret(Purpose::Renewal, &live, &new));
        assert!(!needs_new_secret(Purpose::Change, &live, &new));
    }

    #[test]
    fn a_renewal_that_changes_the_secret_lifetime_passes() {
        let mut live = live();
        live.client_secret = Some(ClientSecret { lifetime_months: 6 });
        let mut new = live.clone();
        new.client_secret = Some(ClientSecret {
            lifetime_months: 12,
        });
        assert_eq!(check(Purpose::Renewal, &live, &new, now()), Ok(()));
        assert!(needs_new_secret(Purpose::Change, &live, &new));
    }

    #[test]
    fn a_renewal_may_not_change_anything_but_credentials() {
        let mut live = live();
        live.client_secret = Some(ClientSecret {
            lifetime_months: 12,
        });
        let mut new = live.clone();
        new.application.name = "Another name".to_string();
        new.mailboxes.push("another.box@nhs.net".to_string());
        let refusal = check(Purpose::Renewal, &live, &new, now()).unwrap_err();
        assert_eq!(
            refusal,
            ChangeRefusal::NotARenewal {
                fields: vec!["application.name".to_string(), "mailboxes".to_string()]
            }
        );
        assert!(refusal.message().contains("application.name, mailboxes"));
        assert_eq!(refusal.as_str(), "not_a_renewal");
    }

    #[test]
    fn a_renewal_without_a_new_credential_is_refused() {
        let mut live = live();
        live.client_secret = None;
        let new = live.clone();
        assert_eq!(
            check(Purpose::Renewal, &live, &new, now()),
            Err(ChangeRefusal::NothingToRenew)
        );
    }

    #[test]
    fn a_change_must_change_something() {
        let live = live();
        assert_eq!(
            check(Purpose::Change, &live, &live.clone(), now()),
            Err(ChangeRefusal::NoChange)
        );
        let mut new = live.clone();
        new.application.description = "Reads the shared inbox twice a day".to_string();
        assert_eq!(check(Purpose::Change, &live, &new, now()), Ok(()));
    }

    #[test]
    fn purposes_round_trip_their_names() {
        for purpose in Purpose::ALL {
            assert_eq!(Purpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(Purpose::parse("rename"), None);
    }
}
