//! After approval (issue 14, parts 1 and 2): a reviewer records the application as created in
//! the tenant, the request becomes `live`, and the client secret Entra issued is handed back to
//! the requesting organisation's Local Administrators for 72 hours, then destroyed. One code path
//! for the pages, the JSON API and the CLI (docs/lifecycle.md).
//!
//! - **Implementation** ([`implement`]): only of the latest version, only while it is `approved`
//!   and its approval is proved by signed decisions over its exact record
//!   ([`crate::review::approving_decisions`], as the exports check it); the fields are checked by
//!   [`registration::implementation::check`]. A signed entry (`appreg-implementation+jwt`:
//!   reference, version, application and object IDs, tenant, reviewer, the approved record's
//!   `record_sha256`, the secret's id and expiry but never its value) is appended to the log in
//!   the same transaction as the status change and the sealed secret.
//! - **The secret** ([`secret`]): the owning organisation's Local Administrators only, until
//!   `visible_until` (the implementation + 72 hours); then 410 `secret_gone`.
//! - **The purge** ([`purge_due_secrets`]): destroys every value past its 72 hours, each with a
//!   signed `secret_purged` entry; run by `appreg schedule run` and by the server every 10 minutes.

use registration::implementation::{
    self as rules, CheckedImplementation, ImplementationInput, ImplementationRefusal,
    SECRET_VISIBLE_HOURS,
};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use time::{Duration, OffsetDateTime};

use crate::identity::{Identity, Reviewer, require_any_local_admin, require_reviewer};
use crate::notify;
use crate::registrations::{Desk, Purpose, Status};
use crate::secrets::SecretBox;
use crate::signing::{self, KeyRing, jws};
use crate::store::applications::{self as store, NewImplementation, StoredSecret};
use crate::store::writer::Batch;
use crate::store::{WriteLock, log, registrations, timestamp};

/// What the after-approval steps need beyond the desk: the tenant and the secrets' key.
#[derive(Debug)]
pub struct Settings {
    /// The tenant registered applications live in (lower-case GUID; NHSmail's by default).
    pub tenant_id: String,
    /// Seals and opens client secrets.
    pub secrets: SecretBox,
}

/// Why an implementation was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ImplementError {
    /// No such reference (404).
    #[error("there is no such registration request")]
    NotFound,
    /// The request is not approved, or its approval is not proved by signed decisions (409).
    #[error("the request is not approved")]
    NotApproved(Status),
    /// The application was recorded already (409).
    #[error("the application was recorded as implemented already")]
    AlreadyImplemented,
    /// A renewal or change of an application that is no longer live (deleted meanwhile) (409).
    #[error("the application is not live")]
    NotLive(Status),
    /// What was given does not pass the rules (422), each refusal naming its field.
    #[error("the implementation has errors")]
    Invalid(Vec<ImplementationRefusal>),
    /// The database failed; nothing was recorded (500).
    #[error("the implementation could not be stored")]
    Store(#[from] anyhow::Error),
}

/// A recorded implementation (what the API answers; never the secret's value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Implemented {
    /// The request's reference.
    pub reference: String,
    /// The version implemented.
    pub version: i64,
    /// Always `live`.
    pub status: Status,
    /// The Application (client) ID.
    pub application_id: String,
    /// The object ID.
    pub object_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// When (RFC 3339).
    pub implemented_at: String,
    /// The client secret's id, when one was handed back.
    pub secret_id: Option<String>,
    /// Its expiry (RFC 3339).
    pub secret_expires_at: Option<String>,
    /// Until when the Local Administrators can see it (RFC 3339).
    pub secret_visible_until: Option<String>,
    /// The signed implementation's log entry.
    pub log_seq: i64,
}

/// What the reviewer posted: the fields, or the JSON Graph answered.
#[derive(Debug, Clone)]
pub enum Posted {
    /// The fields.
    Fields(ImplementationInput),
    /// Graph's `POST /applications` answer (with `passwordCredentials` when a secret was added).
    GraphResponse(serde_json::Value),
}

impl Posted {
    /// The fields, read from a Graph answer when that is what was posted.
    ///
    /// # Errors
    /// [`ImplementationRefusal::GraphResponseUnreadable`] for a Graph answer without `appId` or
    /// `id`.
    pub fn into_input(self) -> Result<ImplementationInput, ImplementationRefusal> {
        match self {
            Posted::Fields(input) => Ok(input),
            Posted::GraphResponse(value) => rules::from_graph_response(&value),
        }
    }
}

/// Records `reviewer`'s implementation of `reference` at `now`.
///
/// Checks, in order: the request exists (404), it is approved with signed proof (409
/// `not_approved`), it was not implemented already (409), the fields (422). Every check is made
/// under the writer lock with the entry, the status change and the sealed secret in one
/// transaction.
pub async fn implement(
    desk: Desk<'_>,
    settings: &Settings,
    reviewer: &Reviewer,
    reference: &str,
    posted: Posted,
    now: OffsetDateTime,
) -> Result<Implemented, ImplementError> {
    let input = posted
        .into_input()
        .map_err(|refusal| ImplementError::Invalid(vec![refusal]))?;
    let stored = registrations::latest(desk.pool, reference)
        .await?
        .ok_or(ImplementError::NotFound)?;
    // A renewal or change of a registered application is made to it: the application version
    // (the implemented one) is the one it replaces.
    let replaces = registrations::application(desk.pool, reference).await?;
    if stored.status == Status::Live
        || replaces
            .as_ref()
            .is_some_and(|live| live.version == stored.version)
    {
        return Err(ImplementError::AlreadyImplemented);
    }
    // The approval must be proved by the signed decisions over the exact record, as for the
    // exports: a status set in the database alone is not enough.
    let record = crate::registrations::signed_record(desk.pool, &stored).await?;
    let keys = log::key_set(desk.pool).await?;
    if crate::review::approving_decisions(desk.pool, &keys, &stored, &record)
        .await?
        .is_none()
    {
        return Err(ImplementError::NotApproved(stored.status));
    }
    let mut tenant_id = settings.tenant_id.clone();
    let checked = match &replaces {
        None => rules::check(&input, &stored.request, now),
        Some(live) => {
            if live.status != Status::Live {
                return Err(ImplementError::NotLive(live.status));
            }
            let implementation = store::implementation(desk.pool, reference)
                .await?
                .ok_or(ImplementError::NotFound)?;
            // The same application, in the tenant it was made in.
            tenant_id.clone_from(&implementation.tenant_id);
            rules::check_change(
                &input,
                stored.purpose.unwrap_or(Purpose::Change),
                &stored.request,
                rules::LiveApplication {
                    application_id: &implementation.application_id,
                    object_id: &implementation.object_id,
                    request: &live.request,
                },
                now,
            )
        }
    }
    .map_err(ImplementError::Invalid)?;
    // Sealed before the writer's turn (the key is not the writer's business); bound to the
    // reference and secret id.
    let sealed = checked
        .secret
        .as_ref()
        .map(|secret| {
            settings
                .secrets
                .seal(reference, &secret.secret_id, &secret.value)
        })
        .transpose()?;
    let job = ImplementationJob {
        reference: reference.to_string(),
        version: stored.version,
        replaces: replaces.map(|live| live.version),
        purpose: stored.purpose,
        record_sha256: log::sha256_hex(record.as_bytes()),
        checked,
        sealed,
        tenant_id,
        reviewer_id: reviewer.user_id().to_string(),
        reviewer_email: reviewer.email().to_string(),
        now,
    };
    let (implemented, entry) = desk
        .writer
        .write(desk.pool, desk.keys, move |connection, batch| {
            Box::pin(async move { job.record(connection, batch).await })
        })
        .await?;
    desk.mailer
        .send_in_background(notify::implementation(&notify::ImplementationNotice {
            reference,
            application_name: &stored.application_name,
            application_id: &implemented.application_id,
            tenant_id: &implemented.tenant_id,
            secret_visible_until: implemented.secret_visible_until.as_deref(),
            made: stored.purpose.map(|purpose| (purpose, implemented.version)),
            submitter_email: stored.submitted_by_email.as_deref().unwrap_or(""),
            contacts: &stored.request.contacts,
            page_url: &desk.request_page_url(reference),
            log_entry: notify::LogPosition {
                seq: entry.seq,
                hash: &entry.entry_hash,
            },
        }))
        .await;
    tracing::info!(
        reference,
        application_id = %implemented.application_id,
        seq = implemented.log_seq,
        "application recorded as implemented"
    );
    Ok(implemented)
}

/// An implementation waiting for the writer, owned.
struct ImplementationJob {
    reference: String,
    version: i64,
    /// For a renewal or change: the live version it supersedes.
    replaces: Option<i64>,
    /// For a renewal or change: which.
    purpose: Option<Purpose>,
    record_sha256: String,
    checked: CheckedImplementation,
    sealed: Option<Vec<u8>>,
    tenant_id: String,
    reviewer_id: String,
    reviewer_email: String,
    now: OffsetDateTime,
}

impl ImplementationJob {
    async fn record(
        self,
        connection: &mut AnyConnection,
        batch: &mut Batch,
    ) -> Result<(Implemented, log::LogEntry), ImplementError> {
        let latest = registrations::latest_in(connection, &self.reference)
            .await?
            .ok_or(ImplementError::NotFound)?;
        // Again under the writer lock: a second implementation, or a change of status, since
        // the checks above.
        let existing = store::implementation_in(connection, &self.reference).await?;
        if latest.status == Status::Live
            || existing.as_ref().map(|row| row.version) != self.replaces
        {
            return Err(ImplementError::AlreadyImplemented);
        }
        if latest.status != Status::Approved || latest.version != self.version {
            return Err(ImplementError::NotApproved(latest.status));
        }
        if self.replaces.is_some() {
            let live = registrations::application_in(connection, &self.reference)
                .await?
                .ok_or(ImplementError::NotFound)?;
            if live.status != Status::Live {
                return Err(ImplementError::NotLive(live.status));
            }
        }
        // Entra's secret ids are unique: one the desk holds already is the wrong secret pasted.
        if let Some(secret) = &self.checked.secret
            && store::secret_recorded_in(connection, &secret.secret_id).await?
        {
            return Err(ImplementError::Invalid(vec![
                ImplementationRefusal::SecretIdAlreadyRecorded,
            ]));
        }
        let implemented_at = timestamp(self.now);
        let secret = self.checked.secret.as_ref();
        let visible_until =
            secret.map(|_| timestamp(self.now + Duration::hours(SECRET_VISIBLE_HOURS)));
        let secret_expires_at = secret.map(|secret| timestamp(secret.expires_at));
        let claims = json!({
            "iss": batch.issuer(),
            "iat": self.now.unix_timestamp(),
            // A renewal or change is its own entry: `REF/implementation/vN`.
            "jti": match self.replaces {
                None => log::Kind::Implementation.jti_prefix(&self.reference),
                Some(_) => format!(
                    "{}/v{}",
                    log::Kind::Implementation.jti_prefix(&self.reference),
                    self.version
                ),
            },
            "reference": self.reference,
            "version": self.version,
            "application_id": self.checked.application_id,
            "object_id": self.checked.object_id,
            "tenant_id": self.tenant_id,
            "implemented_by": self.reviewer_email,
            "record_sha256": self.record_sha256,
            "secret_id": secret.map(|secret| secret.secret_id.clone()),
            "secret_expires_at": secret_expires_at,
            "status": Status::Live.as_str(),
            "purpose": self.purpose.map(Purpose::as_str),
            "supersedes_version": self.replaces,
        });
        let signed = jws::sign_as(
            batch.key(),
            &signing::canonical_json(&claims),
            jws::IMPLEMENTATION_TYP,
        );
        let entry = batch
            .append(
                connection,
                log::Kind::Implementation,
                &self.reference,
                self.version,
                &signed,
                self.now,
            )
            .await?;
        let row = NewImplementation {
            reference: &self.reference,
            version: self.version,
            application_id: &self.checked.application_id,
            object_id: &self.checked.object_id,
            tenant_id: &self.tenant_id,
            implemented_by: &self.reviewer_id,
            implemented_by_email: &self.reviewer_email,
            implemented_at: &implemented_at,
            log_seq: entry.seq,
        };
        match self.replaces {
            None => store::insert(connection, &row).await?,
            Some(replaced) => {
                store::replace(connection, &row).await?;
                registrations::set_status(
                    connection,
                    &self.reference,
                    replaced,
                    Status::Superseded,
                )
                .await?;
            }
        }
        if let (Some(secret), Some(sealed), Some(visible_until)) =
            (secret, self.sealed.as_deref(), visible_until.as_ref())
        {
            store::insert_secret(
                connection,
                &StoredSecret {
                    secret_id: secret.secret_id.clone(),
                    reference: self.reference.clone(),
                    expires_at: timestamp(secret.expires_at),
                    issued_at: implemented_at.clone(),
                    visible_until: visible_until.clone(),
                    has_value: true,
                    purged_at: None,
                },
                sealed,
            )
            .await?;
        }
        registrations::set_status(connection, &self.reference, self.version, Status::Live).await?;
        let implemented = Implemented {
            reference: self.reference,
            version: self.version,
            status: Status::Live,
            application_id: self.checked.application_id.clone(),
            object_id: self.checked.object_id.clone(),
            tenant_id: self.tenant_id,
            implemented_at,
            secret_id: secret.map(|secret| secret.secret_id.clone()),
            secret_expires_at,
            secret_visible_until: visible_until,
            log_seq: entry.seq,
        };
        Ok((implemented, entry))
    }
}

/// A client secret handed back to a Local Administrator (CONTRACTS.md §6).
#[derive(Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HandedBackSecret {
    /// The secret's value: copy it into the application's configuration now.
    pub value: String,
    /// The secret's id (Entra's `keyId`).
    pub secret_id: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// Until when the desk shows it (RFC 3339); then it is destroyed.
    pub visible_until: String,
}

impl std::fmt::Debug for HandedBackSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandedBackSecret")
            .field("secret_id", &self.secret_id)
            .field("visible_until", &self.visible_until)
            .finish_non_exhaustive()
    }
}

/// Why a secret is not handed back.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No such reference, another organisation's, or no secret was handed back for it (404).
    #[error("there is no such registration request")]
    NotFound,
    /// A reviewer (403): the secret is the requesting organisation's only.
    #[error("only the requesting organisation's Local Administrators can see its client secret")]
    Forbidden,
    /// The 72 hours are over, or the value was purged (410).
    #[error("the client secret is no longer shown")]
    Gone {
        /// When it stopped being shown (RFC 3339).
        visible_until: String,
    },
    /// The database or the key failed (500).
    #[error("the client secret could not be read")]
    Store(#[from] anyhow::Error),
}

/// The client secret of `reference` for `identity` at `now`.
pub async fn secret(
    pool: &AnyPool,
    settings: &Settings,
    identity: &Identity,
    reference: &str,
    now: OffsetDateTime,
) -> Result<HandedBackSecret, SecretError> {
    let stored = crate::registrations::find(pool, identity, reference)
        .await?
        .ok_or(SecretError::NotFound)?;
    if require_reviewer(identity).is_ok() {
        return Err(SecretError::Forbidden);
    }
    // `find` let a Local Administrator through only for their own organisation.
    require_any_local_admin(identity).map_err(|_| SecretError::NotFound)?;
    // While it exists in the tenant (a deletion asked for but not confirmed included), whatever
    // a renewal or change of it being reviewed says.
    let application = registrations::application(pool, &stored.reference)
        .await?
        .ok_or(SecretError::NotFound)?;
    if !matches!(application.status, Status::Live | Status::DeletionRequested) {
        return Err(SecretError::NotFound);
    }
    let (secret, sealed) = store::latest_sealed(pool, reference)
        .await?
        .ok_or(SecretError::NotFound)?;
    let gone = || SecretError::Gone {
        visible_until: secret.visible_until.clone(),
    };
    if timestamp(now) >= secret.visible_until {
        return Err(gone());
    }
    let sealed = sealed.ok_or_else(gone)?;
    let value = settings
        .secrets
        .open_sealed(reference, &secret.secret_id, &sealed)
        .map_err(|error| anyhow::anyhow!("{reference}: {error}"))?;
    Ok(HandedBackSecret {
        value,
        secret_id: secret.secret_id,
        expires_at: secret.expires_at,
        visible_until: secret.visible_until,
    })
}

/// One secret purged (what `appreg schedule run` prints a line for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    /// The request's reference.
    pub reference: String,
    /// The secret's id.
    pub secret_id: String,
    /// When its visibility ended.
    pub visible_until: String,
    /// The signed `secret_purged` entry.
    pub log_seq: i64,
}

/// Destroys the value of every client secret whose 72 hours are over at `now`, each with a
/// signed `secret_purged` entry, in one transaction of the writer.
pub async fn purge_due_secrets(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Purged>> {
    let purged = writer
        .write(pool, keys, move |connection, batch| {
            Box::pin(async move { purge_in(connection, batch, now).await })
        })
        .await?;
    if !purged.is_empty() {
        // The value is gone from the table; also from the copies of its pages (best effort).
        if let Err(error) = store::clear_purged_copies(pool).await {
            tracing::warn!(error = %error, "the purged secret's old copies were not cleared");
        }
    }
    for purge in &purged {
        tracing::info!(
            reference = %purge.reference,
            secret_id = %purge.secret_id,
            seq = purge.log_seq,
            "client secret purged after 72 hours"
        );
    }
    Ok(purged)
}

async fn purge_in(
    connection: &mut AnyConnection,
    batch: &mut Batch,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Purged>> {
    let purged_at = timestamp(now);
    let mut purged = Vec::new();
    for secret in store::due_for_purge_in(connection, &purged_at).await? {
        let version = store::implementation_in(connection, &secret.reference)
            .await?
            .map_or(1, |implementation| implementation.version);
        let claims = json!({
            "iss": batch.issuer(),
            "iat": now.unix_timestamp(),
            "jti": format!("{}/{}", log::Kind::SecretPurged.jti_prefix(&secret.reference), secret.secret_id),
            "reference": secret.reference,
            "version": version,
            "secret_id": secret.secret_id,
            "visible_until": secret.visible_until,
            "purged_at": purged_at,
        });
        let signed = jws::sign_as(
            batch.key(),
            &signing::canonical_json(&claims),
            jws::SECRET_PURGED_TYP,
        );
        let entry = batch
            .append(
                connection,
                log::Kind::SecretPurged,
                &secret.reference,
                version,
                &signed,
                now,
            )
            .await?;
        store::purge_value(connection, &secret.secret_id, &purged_at, entry.seq).await?;
        purged.push(Purged {
            reference: secret.reference,
            secret_id: secret.secret_id,
            visible_until: secret.visible_until,
            log_seq: entry.seq,
        });
    }
    Ok(purged)
}

/// A credential of a live application (CONTRACTS.md §6).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Credential {
    /// `certificate` or `secret`.
    pub kind: &'static str,
    /// A certificate's SHA-1 thumbprint (as Entra shows it), or a secret's id.
    pub id: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// Replaced by a renewal or change (a certificate of a superseded version that the live one
    /// does not have, or a client secret with a newer one issued since): listed until it
    /// expires, without reminders.
    pub replaced: bool,
}

impl Credential {
    /// Whole days left at `now`, rounded up (0 or less: expired; 0 for an unreadable expiry).
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        OffsetDateTime::parse(
            &self.expires_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map_or(0, |at| registration::reminders::days_left(at, now))
    }
}

impl From<Credential> for app::backend::CredentialRow {
    fn from(credential: Credential) -> Self {
        app::backend::CredentialRow {
            kind: credential.kind.to_string(),
            id: credential.id,
            expires_at: credential.expires_at,
            replaced: credential.replaced,
        }
    }
}

/// What a live application adds to its request: its IDs and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFacts {
    /// The Application (client) ID.
    pub application_id: String,
    /// The application object's ID.
    pub object_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// When it was recorded as created (RFC 3339; kept when a renewal or change is made).
    pub implemented_at: String,
    /// The live version (the implemented one).
    pub version: i64,
    /// The application's status: its live version's.
    pub status: Status,
    /// Its certificates (from the approved version's report) and secrets, with those replaced
    /// by a renewal or change until they expire.
    pub credentials: Vec<Credential>,
    /// The newest secret's visibility end, while its value is still kept.
    pub secret_visible_until: Option<String>,
}

impl LiveFacts {
    /// As the pages show it.
    pub fn into_page(self) -> app::backend::LiveApplication {
        app::backend::LiveApplication {
            application_id: self.application_id,
            object_id: self.object_id,
            tenant_id: self.tenant_id,
            implemented_at: self.implemented_at,
            version: self.version,
            status: self.status,
            credentials: self.credentials.into_iter().map(Into::into).collect(),
        }
    }
}

/// The live facts of the application `stored` is a version of (`None` unless it was created in
/// the tenant: live, or deleted, recovered or purged since). They are its application version's
/// (the implemented one), whichever version `stored` is: a renewal or change being reviewed does
/// not hide the application it would change.
pub async fn live_facts(
    pool: &AnyPool,
    stored: &registrations::StoredRegistration,
) -> anyhow::Result<Option<LiveFacts>> {
    let Some(application) = registrations::application(pool, &stored.reference).await? else {
        return Ok(None);
    };
    if !application.status.is_registered() {
        return Ok(None);
    }
    let Some(implementation) = store::implementation(pool, &stored.reference).await? else {
        return Ok(None);
    };
    let secrets = store::secrets(pool, &stored.reference).await?;
    let superseded =
        registrations::superseded_of(pool, std::slice::from_ref(&stored.reference)).await?;
    Ok(Some(facts_of(
        &application,
        implementation,
        secrets,
        &superseded,
        OffsetDateTime::now_utc(),
    )))
}

/// The live facts of the application version `stored` from its implementation, its client
/// secrets (oldest first) and its `superseded` versions: the live version's certificates, every
/// secret, and the certificates only superseded versions had, listed as replaced until they
/// expire (at `now`).
pub fn facts_of(
    stored: &registrations::StoredRegistration,
    implementation: store::StoredImplementation,
    secrets: Vec<StoredSecret>,
    superseded: &[registrations::StoredRegistration],
    now: OffsetDateTime,
) -> LiveFacts {
    let mut credentials: Vec<Credential> = stored
        .report
        .certificates
        .iter()
        .map(|certificate| Credential {
            kind: "certificate",
            id: certificate.sha1_thumbprint.clone(),
            expires_at: timestamp(certificate.not_after),
            replaced: false,
        })
        .collect();
    for old in superseded
        .iter()
        .filter(|old| old.reference == stored.reference)
    {
        for certificate in &old.report.certificates {
            let listed = credentials
                .iter()
                .any(|credential| credential.id == certificate.sha1_thumbprint);
            if !listed && certificate.not_after > now {
                credentials.push(Credential {
                    kind: "certificate",
                    id: certificate.sha1_thumbprint.clone(),
                    expires_at: timestamp(certificate.not_after),
                    replaced: true,
                });
            }
        }
    }
    let secret_visible_until = secrets
        .iter()
        .rev()
        .find(|secret| secret.has_value)
        .map(|secret| secret.visible_until.clone());
    let newest = secrets.len();
    let now_text = timestamp(now);
    credentials.extend(
        secrets
            .into_iter()
            .enumerate()
            .filter_map(|(index, secret)| {
                let replaced = index + 1 < newest;
                // A replaced secret is listed until it expires; the current one always.
                (!replaced || secret.expires_at > now_text).then_some(Credential {
                    kind: "secret",
                    id: secret.secret_id,
                    expires_at: secret.expires_at,
                    replaced,
                })
            }),
    );
    LiveFacts {
        application_id: implementation.application_id,
        object_id: implementation.object_id,
        tenant_id: implementation.tenant_id,
        implemented_at: implementation.implemented_at,
        version: stored.version,
        status: stored.status,
        credentials,
        secret_visible_until,
    }
}
