//! After approval: the application as created in NHSmail's Entra tenant ("implementation"),
//! written once here for the server, the pages and the API.
//!
//! A reviewer records what Entra made for an approved request: the Application (client) ID, the
//! object ID and, when the request asked for one, the client secret Entra issued (value, id,
//! expiry). They type them, or paste the JSON that Graph's `POST /applications` (with
//! `addPassword`'s answer merged in, as the portal's export gives it) answered, which
//! [`from_graph_response`] reads. [`check`] decides whether it can be recorded; time is an
//! argument, never read here.
//!
//! Decisions (docs/lifecycle.md):
//! - A GUID is the 8-4-4-4-12 hexadecimal form Entra shows, without braces; upper case is read
//!   and kept lower case.
//! - A client secret is given **exactly when the request asked for one** (`client_secret` in the
//!   request): one asked for and not given leaves the application without the credential the
//!   organisation planned for; one given but not asked for is a credential nobody reviewed.
//! - The secret's expiry is in the future and no later than the lifetime asked for plus one day
//!   after the recording (Entra counts from its own clock and rounds; a day covers that, not
//!   a longer secret than the reviewer approved).

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::request::RegistrationRequest;

/// NHSmail's Entra tenant (the desk's default `tenant_id` setting).
pub const NHSMAIL_TENANT_ID: &str = "37c354b2-85b0-47f5-b222-07b48d774ee3";

/// How long the Local Administrators can see a client secret after the implementation.
pub const SECRET_VISIBLE_HOURS: i64 = 72;

/// The longest secret value kept (Entra's are 40 characters; a margin for other forms).
pub const MAX_SECRET_CHARS: usize = 256;

/// Reads a GUID as Entra writes it (`8-4-4-4-12` hexadecimal digits), returning it lower case.
pub fn parse_guid(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let well_formed = bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    well_formed.then(|| text.to_ascii_lowercase())
}

/// The standard authorisation endpoint of a tenant.
pub fn authorize_endpoint(tenant_id: &str) -> String {
    format!("https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/authorize")
}

/// The standard token endpoint of a tenant.
pub fn token_endpoint(tenant_id: &str) -> String {
    format!("https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token")
}

/// The client secret Entra issued, as the reviewer gives it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssuedSecret {
    /// The secret's value (Graph's `secretText`): shown to the requesting organisation's Local
    /// Administrators for 72 hours, then destroyed.
    pub value: String,
    /// The secret's id (Graph's `keyId`), a GUID.
    pub secret_id: String,
    /// When it expires (Graph's `endDateTime`): RFC 3339, or a date alone (the start of that day, UTC).
    pub expires_at: String,
}

impl std::fmt::Debug for IssuedSecret {
    /// Never the value: a secret must not reach a log line through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSecret")
            .field("value", &"<hidden>")
            .field("secret_id", &self.secret_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What the reviewer records (CONTRACTS.md §6), before it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImplementationInput {
    /// The Application (client) ID, a GUID (Graph's `appId`). When a renewal or change is made,
    /// the application's own (it is the same application) or empty.
    #[serde(default)]
    pub application_id: String,
    /// The application object's ID, a GUID (Graph's `id`); for a renewal or change, the
    /// application's own or empty.
    #[serde(default)]
    pub object_id: String,
    /// The issued client secret, when the request asked for one.
    #[serde(default)]
    pub client_secret: Option<IssuedSecret>,
}

/// An implementation that passed [`check`]: GUIDs lower case, the expiry parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedImplementation {
    /// The Application (client) ID.
    pub application_id: String,
    /// The object ID.
    pub object_id: String,
    /// The secret, when there is one.
    pub secret: Option<CheckedSecret>,
}

/// A secret that passed [`check`].
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedSecret {
    /// The value (never logged: `Debug` hides it).
    pub value: String,
    /// The id, lower case.
    pub secret_id: String,
    /// The expiry.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for CheckedImplementation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedImplementation")
            .field("application_id", &self.application_id)
            .field("object_id", &self.object_id)
            .field(
                "secret",
                &self
                    .secret
                    .as_ref()
                    .map(|s| (&s.secret_id, s.expires_at, "<value hidden>")),
            )
            .finish()
    }
}

/// Why an implementation cannot be recorded as given (each names its field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImplementationRefusal {
    /// `application_id` is not a GUID.
    ApplicationIdNotGuid,
    /// `object_id` is not a GUID.
    ObjectIdNotGuid,
    /// The request asked for a client secret and none was given.
    SecretRequired,
    /// A secret was given but the request did not ask for one.
    SecretNotRequested,
    /// The secret's value is empty.
    SecretValueRequired,
    /// The secret's value is longer than [`MAX_SECRET_CHARS`] or has control characters.
    SecretValueInvalid,
    /// `secret_id` is not a GUID.
    SecretIdNotGuid,
    /// `expires_at` is not an RFC 3339 instant.
    SecretExpiryNotTime,
    /// The secret has already expired.
    SecretExpired,
    /// The secret lives longer than the lifetime the request asked for (plus a day).
    SecretOutlivesRequest,
    /// A pasted Graph response is not JSON, or lacks `appId` or `id`.
    GraphResponseUnreadable,
    /// The secret's id is already recorded for an application (the desk's check against what
    /// it holds: Entra's secret ids are unique, so the same one twice is a paste of the wrong
    /// secret).
    SecretIdAlreadyRecorded,
    /// A renewal or change names another Application (client) ID than the application's.
    ApplicationIdChanged,
    /// A renewal or change names another object ID than the application's.
    ObjectIdChanged,
}

impl ImplementationRefusal {
    /// Every refusal.
    pub const ALL: [ImplementationRefusal; 14] = [
        ImplementationRefusal::ApplicationIdNotGuid,
        ImplementationRefusal::ObjectIdNotGuid,
        ImplementationRefusal::SecretRequired,
        ImplementationRefusal::SecretNotRequested,
        ImplementationRefusal::SecretValueRequired,
        ImplementationRefusal::SecretValueInvalid,
        ImplementationRefusal::SecretIdNotGuid,
        ImplementationRefusal::SecretExpiryNotTime,
        ImplementationRefusal::SecretExpired,
        ImplementationRefusal::SecretOutlivesRequest,
        ImplementationRefusal::GraphResponseUnreadable,
        ImplementationRefusal::SecretIdAlreadyRecorded,
        ImplementationRefusal::ApplicationIdChanged,
        ImplementationRefusal::ObjectIdChanged,
    ];

    /// The code: the API's `error`, and the page's `?error=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ImplementationRefusal::ApplicationIdNotGuid => "application_id_not_guid",
            ImplementationRefusal::ObjectIdNotGuid => "object_id_not_guid",
            ImplementationRefusal::SecretRequired => "secret_required",
            ImplementationRefusal::SecretNotRequested => "secret_not_requested",
            ImplementationRefusal::SecretValueRequired => "secret_value_required",
            ImplementationRefusal::SecretValueInvalid => "secret_value_invalid",
            ImplementationRefusal::SecretIdNotGuid => "secret_id_not_guid",
            ImplementationRefusal::SecretExpiryNotTime => "secret_expiry_not_time",
            ImplementationRefusal::SecretExpired => "secret_expired",
            ImplementationRefusal::SecretOutlivesRequest => "secret_outlives_request",
            ImplementationRefusal::GraphResponseUnreadable => "graph_response_unreadable",
            ImplementationRefusal::SecretIdAlreadyRecorded => "secret_id_already_recorded",
            ImplementationRefusal::ApplicationIdChanged => "application_id_changed",
            ImplementationRefusal::ObjectIdChanged => "object_id_changed",
        }
    }

    /// Reads a code.
    pub fn parse(text: &str) -> Option<ImplementationRefusal> {
        ImplementationRefusal::ALL
            .into_iter()
            .find(|refusal| refusal.as_str() == text)
    }

    /// The field it is about (the API's JSON path; the page's field names are the same words).
    pub const fn field(self) -> &'static str {
        match self {
            ImplementationRefusal::ApplicationIdNotGuid
            | ImplementationRefusal::ApplicationIdChanged => "application_id",
            ImplementationRefusal::ObjectIdNotGuid | ImplementationRefusal::ObjectIdChanged => {
                "object_id"
            }
            ImplementationRefusal::SecretRequired
            | ImplementationRefusal::SecretNotRequested
            | ImplementationRefusal::SecretValueRequired
            | ImplementationRefusal::SecretValueInvalid => "client_secret.value",
            ImplementationRefusal::SecretIdNotGuid
            | ImplementationRefusal::SecretIdAlreadyRecorded => "client_secret.secret_id",
            ImplementationRefusal::SecretExpiryNotTime
            | ImplementationRefusal::SecretExpired
            | ImplementationRefusal::SecretOutlivesRequest => "client_secret.expires_at",
            ImplementationRefusal::GraphResponseUnreadable => "graph_response",
        }
    }

    /// What the reviewer is told: what is wrong and what to do (never the secret's value).
    pub const fn message(self) -> &'static str {
        match self {
            ImplementationRefusal::ApplicationIdNotGuid => {
                "Enter the Application (client) ID as Entra shows it, like 11111111-2222-3333-4444-555555555555"
            }
            ImplementationRefusal::ObjectIdNotGuid => {
                "Enter the Object ID as Entra shows it, like 11111111-2222-3333-4444-555555555555"
            }
            ImplementationRefusal::SecretRequired => {
                "The request asked for a client secret: enter the secret Entra issued (its value, ID and expiry)"
            }
            ImplementationRefusal::SecretNotRequested => {
                "The request did not ask for a client secret: remove it, and delete it in Entra, because no one reviewed it"
            }
            ImplementationRefusal::SecretValueRequired => "Enter the client secret's value",
            ImplementationRefusal::SecretValueInvalid => {
                "The client secret's value is not one Entra issues: copy it again from Entra"
            }
            ImplementationRefusal::SecretIdNotGuid => {
                "Enter the client secret's ID (Secret ID in Entra) like 11111111-2222-3333-4444-555555555555"
            }
            ImplementationRefusal::SecretExpiryNotTime => {
                "Enter when the client secret expires as a date, like 2027-06-30, or a date and time with its offset, like 2027-06-30T12:00:00Z"
            }
            ImplementationRefusal::SecretExpired => {
                "The client secret has already expired: issue a new one in Entra and enter that"
            }
            ImplementationRefusal::SecretOutlivesRequest => {
                "The client secret lives longer than the request asked for: issue one with the lifetime the request asked for"
            }
            ImplementationRefusal::SecretIdAlreadyRecorded => {
                "This Secret ID is already recorded for an application: copy the value, ID and expiry of the secret Entra issued for this one"
            }
            ImplementationRefusal::ApplicationIdChanged => {
                "A renewal or change is made to the same application: leave the Application (client) ID empty, or enter the one it has"
            }
            ImplementationRefusal::ObjectIdChanged => {
                "A renewal or change is made to the same application: leave the Object ID empty, or enter the one it has"
            }
            ImplementationRefusal::GraphResponseUnreadable => {
                "Paste the whole JSON that Graph answered: it must have appId and id (and passwordCredentials when a secret was issued)"
            }
        }
    }
}

/// Checks what the reviewer gives against the approved `request`, at `now`.
///
/// # Errors
/// Every refusal found, in field order (the page shows each beside its field).
pub fn check(
    input: &ImplementationInput,
    request: &RegistrationRequest,
    now: OffsetDateTime,
) -> Result<CheckedImplementation, Vec<ImplementationRefusal>> {
    let mut refusals = Vec::new();
    let application_id = parse_guid(input.application_id.trim());
    if application_id.is_none() {
        refusals.push(ImplementationRefusal::ApplicationIdNotGuid);
    }
    let object_id = parse_guid(input.object_id.trim());
    if object_id.is_none() {
        refusals.push(ImplementationRefusal::ObjectIdNotGuid);
    }
    let secret = match (&input.client_secret, &request.client_secret) {
        (None, None) => None,
        (None, Some(_)) => {
            refusals.push(ImplementationRefusal::SecretRequired);
            None
        }
        (Some(_), None) => {
            refusals.push(ImplementationRefusal::SecretNotRequested);
            None
        }
        (Some(given), Some(asked)) => {
            check_secret(given, asked.lifetime_months, now, &mut refusals)
        }
    };
    match (application_id, object_id) {
        (Some(application_id), Some(object_id)) if refusals.is_empty() => {
            Ok(CheckedImplementation {
                application_id,
                object_id,
                secret,
            })
        }
        _ => Err(refusals),
    }
}

/// The application a renewal or change is made to: its IDs and the request it was made from.
#[derive(Debug, Clone, Copy)]
pub struct LiveApplication<'a> {
    /// Its Application (client) ID.
    pub application_id: &'a str,
    /// Its object ID.
    pub object_id: &'a str,
    /// The live version's request.
    pub request: &'a RegistrationRequest,
}

/// Checks what the reviewer gives when a renewal or change (`purpose`, the approved `request`)
/// of the `live` application is made, at `now`: the IDs are the application's own (or left
/// empty); a client secret is required when [`crate::change::needs_new_secret`], may be given
/// when the request asks for one, and is refused when it does not.
///
/// # Errors
/// Every refusal found, in field order.
pub fn check_change(
    input: &ImplementationInput,
    purpose: crate::change::Purpose,
    request: &RegistrationRequest,
    live: LiveApplication<'_>,
    now: OffsetDateTime,
) -> Result<CheckedImplementation, Vec<ImplementationRefusal>> {
    let mut refusals = Vec::new();
    let same = |given: &str, own: &str, not_guid, changed, refusals: &mut Vec<_>| {
        let given = given.trim();
        if given.is_empty() {
            return;
        }
        match parse_guid(given) {
            None => refusals.push(not_guid),
            Some(guid) if !guid.eq_ignore_ascii_case(own) => refusals.push(changed),
            Some(_) => {}
        }
    };
    same(
        &input.application_id,
        live.application_id,
        ImplementationRefusal::ApplicationIdNotGuid,
        ImplementationRefusal::ApplicationIdChanged,
        &mut refusals,
    );
    same(
        &input.object_id,
        live.object_id,
        ImplementationRefusal::ObjectIdNotGuid,
        ImplementationRefusal::ObjectIdChanged,
        &mut refusals,
    );
    let secret = match (&input.client_secret, &request.client_secret) {
        (None, Some(_)) if crate::change::needs_new_secret(purpose, live.request, request) => {
            refusals.push(ImplementationRefusal::SecretRequired);
            None
        }
        (None, _) => None,
        (Some(_), None) => {
            refusals.push(ImplementationRefusal::SecretNotRequested);
            None
        }
        (Some(given), Some(asked)) => {
            check_secret(given, asked.lifetime_months, now, &mut refusals)
        }
    };
    if refusals.is_empty() {
        Ok(CheckedImplementation {
            application_id: live.application_id.to_ascii_lowercase(),
            object_id: live.object_id.to_ascii_lowercase(),
            secret,
        })
    } else {
        Err(refusals)
    }
}

fn check_secret(
    given: &IssuedSecret,
    lifetime_months: i64,
    now: OffsetDateTime,
    refusals: &mut Vec<ImplementationRefusal>,
) -> Option<CheckedSecret> {
    let value = given.value.trim();
    if value.is_empty() {
        refusals.push(ImplementationRefusal::SecretValueRequired);
    } else if value.chars().count() > MAX_SECRET_CHARS || value.chars().any(char::is_control) {
        refusals.push(ImplementationRefusal::SecretValueInvalid);
    }
    let secret_id = parse_guid(given.secret_id.trim());
    if secret_id.is_none() {
        refusals.push(ImplementationRefusal::SecretIdNotGuid);
    }
    let expires_at = parse_expiry(&given.expires_at);
    match expires_at {
        None => refusals.push(ImplementationRefusal::SecretExpiryNotTime),
        Some(at) if at <= now => refusals.push(ImplementationRefusal::SecretExpired),
        Some(at) if at > latest_expiry(now, lifetime_months) => {
            refusals.push(ImplementationRefusal::SecretOutlivesRequest);
        }
        Some(_) => {}
    }
    Some(CheckedSecret {
        value: value.to_string(),
        secret_id: secret_id?,
        expires_at: expires_at?,
    })
}

/// Reads a secret's expiry: an RFC 3339 instant (as Graph's `endDateTime` gives it), or a date
/// alone (`2027-06-30`, as the Entra portal shows it), read as the start of that day in UTC:
/// never later than the secret's real expiry, so reminders are never late.
pub fn parse_expiry(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .or_else(|| {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(text, &format)
                .ok()
                .map(|date| date.midnight().assume_utc())
        })
}

/// The latest expiry a secret of `lifetime_months` recorded at `now` may have: that many
/// calendar months later (the day clamped to the month's end), plus one day.
pub fn latest_expiry(now: OffsetDateTime, lifetime_months: i64) -> OffsetDateTime {
    let months = i32::try_from(lifetime_months.clamp(0, 1200)).unwrap_or(0);
    let total = i32::from(u8::from(now.month())) - 1 + months;
    let year = now.year() + total.div_euclid(12);
    let month = time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(time::Month::January);
    let day = now.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).unwrap_or(now.date());
    now.replace_date(date) + Duration::days(1)
}

/// Reads the JSON Graph's `POST /applications` answered (with the secret `addPassword`
/// answered in `passwordCredentials`): `appId` → `application_id`, `id` → `object_id`, and
/// from `passwordCredentials[0]`: `secretText` → value, `keyId` → `secret_id`, `endDateTime` →
/// `expires_at`. A credential without `secretText` (Graph never shows it again) is no secret.
///
/// # Errors
/// [`ImplementationRefusal::GraphResponseUnreadable`] when it is not a JSON object with `appId`
/// and `id` strings.
pub fn from_graph_response(
    response: &serde_json::Value,
) -> Result<ImplementationInput, ImplementationRefusal> {
    let text = |value: &serde_json::Value, name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let (Some(application_id), Some(object_id)) = (text(response, "appId"), text(response, "id"))
    else {
        return Err(ImplementationRefusal::GraphResponseUnreadable);
    };
    let client_secret = response
        .get("passwordCredentials")
        .and_then(serde_json::Value::as_array)
        .and_then(|credentials| credentials.first())
        .and_then(|credential| {
            Some(IssuedSecret {
                value: text(credential, "secretText")?,
                secret_id: text(credential, "keyId").unwrap_or_default(),
                expires_at: text(credential, "endDateTime").unwrap_or_default(),
            })
        });
    Ok(ImplementationInput {
        application_id,
        object_id,
        client_secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const APP: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
    const OBJECT: &str = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
    const KEY: &str = "aa4fe1b7-2c6b-4e1d-9b9c-54b0d1ee7a5c";
    const NOW: OffsetDateTime = datetime!(2026-03-31 10:00 UTC);

    fn request(lifetime_months: Option<i64>) -> RegistrationRequest {
        let mut request: RegistrationRequest =
            RegistrationRequest::from_json(include_str!("../tests/data/delegated_request.json"))
                .unwrap();
        request.client_secret =
            lifetime_months.map(|lifetime_months| crate::request::ClientSecret { lifetime_months });
        request
    }

    fn input(secret: Option<(&str, &str, &str)>) -> ImplementationInput {
        ImplementationInput {
            application_id: APP.into(),
            object_id: OBJECT.into(),
            client_secret: secret.map(|(value, secret_id, expires_at)| IssuedSecret {
                value: value.into(),
                secret_id: secret_id.into(),
                expires_at: expires_at.into(),
            }),
        }
    }

    #[test]
    fn guids_are_read_as_entra_writes_them_and_kept_lower_case() {
        assert_eq!(parse_guid(APP).as_deref(), Some(APP));
        assert_eq!(
            parse_guid(&APP.to_ascii_uppercase()).as_deref(),
            Some(APP),
            "upper case is the same GUID"
        );
        for not in [
            "",
            "6731de76-14a6-49ae-97bc-6eba6914391",
            "6731de7614a649ae97bc6eba6914391e",
            "{6731de76-14a6-49ae-97bc-6eba6914391e}",
            "6731de76-14a6-49ae-97bc-6eba6914391g",
            "6731de76_14a6-49ae-97bc-6eba6914391e",
            " 6731de76-14a6-49ae-97bc-6eba6914391e",
            "6731de76-14a6-49ae-97bc-6eba6914391e\n",
        ] {
            assert_eq!(parse_guid(not), None, "{not:?}");
        }
        assert_eq!(
            parse_guid(NHSMAIL_TENANT_ID).as_deref(),
            Some(NHSMAIL_TENANT_ID)
        );
    }

    #[test]
    fn a_graph_response_maps_to_the_fields() {
        let response = serde_json::json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
            "id": OBJECT,
            "appId": APP,
            "displayName": "Ward Mail Connector",
            "passwordCredentials": [{
                "displayName": "appreg",
                "endDateTime": "2027-03-31T10:00:00Z",
                "hint": "abc",
                "keyId": KEY,
                "secretText": "abc~not-a-real-secret",
                "startDateTime": "2026-03-31T10:00:00Z"
            }]
        });
        assert_eq!(
            from_graph_response(&response).unwrap(),
            input(Some(("abc~not-a-real-secret", KEY, "2027-03-31T10:00:00Z")))
        );
        let without_secret =
            serde_json::json!({ "id": OBJECT, "appId": APP, "passwordCredentials": [] });
        assert_eq!(from_graph_response(&without_secret).unwrap(), input(None));
        // Graph lists credentials without their text later: that is no secret to hand back.
        let listed = serde_json::json!({ "id": OBJECT, "appId": APP,
            "passwordCredentials": [{ "keyId": KEY, "endDateTime": "2027-03-31T10:00:00Z" }] });
        assert_eq!(from_graph_response(&listed).unwrap(), input(None));
        for bad in [
            serde_json::json!([]),
            serde_json::json!({ "id": OBJECT }),
            serde_json::json!({ "appId": APP }),
            serde_json::json!({ "appId": 1, "id": OBJECT }),
        ] {
            assert_eq!(
                from_graph_response(&bad),
                Err(ImplementationRefusal::GraphResponseUnreadable),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_secret_is_given_exactly_when_the_request_asked_for_one() {
        let secret = Some(("value~1", KEY, "2027-03-31T10:00:00Z"));
        assert!(check(&input(None), &request(None), NOW).is_ok());
        assert!(check(&input(secret), &request(Some(12)), NOW).is_ok());
        assert_eq!(
            check(&input(None), &request(Some(12)), NOW).unwrap_err(),
            vec![ImplementationRefusal::SecretRequired]
        );
        assert_eq!(
            check(&input(secret), &request(None), NOW).unwrap_err(),
            vec![ImplementationRefusal::SecretNotRequested]
        );
    }

    #[test]
    fn every_field_is_checked_and_named() {
        let bad = ImplementationInput {
            application_id: "app".into(),
            object_id: "obj".into(),
            client_secret: Some(IssuedSecret {
                value: " ".into(),
                secret_id: "key".into(),
                expires_at: "next year".into(),
            }),
        };
        let refusals = check(&bad, &request(Some(6)), NOW).unwrap_err();
        assert_eq!(
            refusals,
            vec![
                ImplementationRefusal::ApplicationIdNotGuid,
                ImplementationRefusal::ObjectIdNotGuid,
                ImplementationRefusal::SecretValueRequired,
                ImplementationRefusal::SecretIdNotGuid,
                ImplementationRefusal::SecretExpiryNotTime,
            ]
        );
        let fields: Vec<&str> = refusals.iter().map(|r| r.field()).collect();
        assert_eq!(
            fields,
            [
                "application_id",
                "object_id",
                "client_secret.value",
                "client_secret.secret_id",
                "client_secret.expires_at"
            ]
        );
        for refusal in ImplementationRefusal::ALL {
            assert_eq!(
                ImplementationRefusal::parse(refusal.as_str()),
                Some(refusal)
            );
        }
    }

    #[test]
    fn the_expiry_is_in_the_future_and_within_the_lifetime_asked_plus_a_day() {
        let at = |expires_at: &str| {
            check(
                &input(Some(("v", KEY, expires_at))),
                &request(Some(12)),
                NOW,
            )
            .map(|checked| checked.secret.unwrap().expires_at)
        };
        assert_eq!(
            at("2027-04-01T10:00:00Z"),
            Ok(datetime!(2027-04-01 10:00 UTC))
        );
        assert_eq!(
            at("2027-04-01T10:00:01Z"),
            Err(vec![ImplementationRefusal::SecretOutlivesRequest])
        );
        assert_eq!(
            at("2026-03-31T10:00:00Z"),
            Err(vec![ImplementationRefusal::SecretExpired])
        );
        // A date alone is the start of that day (UTC): within the lifetime on its last day.
        assert_eq!(at("2027-04-01"), Ok(datetime!(2027-04-01 00:00 UTC)));
        assert_eq!(
            at("2027-04-03"),
            Err(vec![ImplementationRefusal::SecretOutlivesRequest])
        );
        assert_eq!(
            at("1 April 2027"),
            Err(vec![ImplementationRefusal::SecretExpiryNotTime])
        );
        // Months are calendar months; the day is clamped to the month's end.
        assert_eq!(
            latest_expiry(datetime!(2026-01-31 09:00 UTC), 1),
            datetime!(2026-03-01 09:00 UTC)
        );
        assert_eq!(
            latest_expiry(datetime!(2026-11-15 09:00 UTC), 24),
            datetime!(2028-11-16 09:00 UTC)
        );
    }

    #[test]
    fn debug_never_shows_the_secret_value() {
        let given = input(Some(("value~do-not-print", KEY, "2027-03-31T10:00:00Z")));
        assert!(!format!("{given:?}").contains("do-not-print"));
        let checked = check(&given, &request(Some(12)), NOW).unwrap();
        assert!(!format!("{checked:?}").contains("do-not-print"));
    }

    fn live(request: &RegistrationRequest) -> LiveApplication<'_> {
        LiveApplication {
            application_id: APP,
            object_id: OBJECT,
            request,
        }
    }

    #[test]
    fn a_change_keeps_the_applications_ids_and_refuses_others() {
        use crate::change::Purpose;
        let old = request(None);
        let mut new = old.clone();
        new.application.description = "Changed".into();
        let mut posted = input(None);
        posted.application_id = String::new();
        posted.object_id = String::new();
        let checked = check_change(&posted, Purpose::Change, &new, live(&old), NOW).unwrap();
        assert_eq!(
            (checked.application_id.as_str(), checked.object_id.as_str()),
            (APP, OBJECT)
        );
        let same = check_change(&input(None), Purpose::Change, &new, live(&old), NOW).unwrap();
        assert_eq!(same.application_id, APP);
        posted.application_id = KEY.into();
        posted.object_id = "not a guid".into();
        assert_eq!(
            check_change(&posted, Purpose::Change, &new, live(&old), NOW).unwrap_err(),
            vec![
                ImplementationRefusal::ApplicationIdChanged,
                ImplementationRefusal::ObjectIdNotGuid
            ]
        );
    }

    #[test]
    fn a_renewal_asking_for_a_secret_needs_one_and_a_change_keeping_it_does_not() {
        use crate::change::Purpose;
        let old = request(Some(12));
        let new = request(Some(12));
        assert_eq!(
            check_change(&input(None), Purpose::Renewal, &new, live(&old), NOW).unwrap_err(),
            vec![ImplementationRefusal::SecretRequired]
        );
        let secret = Some(("s3cr3t~value", KEY, "2026-12-31"));
        let renewed =
            check_change(&input(secret), Purpose::Renewal, &new, live(&old), NOW).unwrap();
        assert_eq!(renewed.secret.unwrap().secret_id, KEY);
        assert!(check_change(&input(None), Purpose::Change, &new, live(&old), NOW).is_ok());
        let longer = request(Some(24));
        assert_eq!(
            check_change(&input(None), Purpose::Change, &longer, live(&old), NOW).unwrap_err(),
            vec![ImplementationRefusal::SecretRequired]
        );
        let none = request(None);
        assert_eq!(
            check_change(&input(secret), Purpose::Change, &none, live(&old), NOW).unwrap_err(),
            vec![ImplementationRefusal::SecretNotRequested]
        );
    }
}
