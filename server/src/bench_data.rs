//! `appreg bench-data`: fills a desk with many genuine requests, so that the reviewer's queue can
//! be measured at scale (`scripts/bench`, docs/performance.md).
//!
//! Nothing is inserted behind the desk's back: every request is submitted through
//! [`registrations::submit`] (validated, signed, appended to the log by the writer) by a Local
//! Administrator of its organisation, and a share of them is decided through [`review::decide`]
//! by two reviewers, so the data set has every status of the queue's filters, both risks and
//! several organisations, and `appreg log verify` passes on it. The accounts it makes
//! (`bench.admin.<ods>@nhs.net`, `bench.reviewer.N@nhs.net`) have random passwords that are
//! never shown: nobody can sign in as them.

use std::sync::Arc;

use anyhow::Context;
use registration::lifecycle::{Decision, Role};
use registration::{
    AccessType, ClientSecret, MailboxKind, PermissionRequest, PermissionType, RegistrationRequest,
};
use time::OffsetDateTime;
use tokio::task::JoinSet;

use crate::identity::passwords::{self, Password};
use crate::identity::{Identity, LocalAdminOf, Reviewer, require_local_admin, require_reviewer};
use crate::registrations::{self, Desk};
use crate::review::{self, Seen};
use crate::store;
use crate::store::directory::ServerDirectory;

/// Requests in flight at once (as many as one writer batch holds).
const IN_FLIGHT: usize = 64;

/// What the data set ended with.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Requests submitted.
    pub submitted: u64,
    /// Of those, approved (by one reviewer, or two where four-eyes applies).
    pub approved: u64,
    /// Sent back for changes.
    pub changes_requested: u64,
    /// Rejected.
    pub rejected: u64,
}

/// What one organisation's requests are made from: a delegated request naming its shared
/// mailbox (low risk), and, where the directory knows an application mailbox and a mail-enabled
/// group of it, an app-only request to send as that mailbox, scoped by the group (high risk,
/// two reviewers approve).
struct Templates {
    ods_code: String,
    low: RegistrationRequest,
    high: Option<RegistrationRequest>,
}

/// The organisations of the directory whose requests are valid (the organisation is in the
/// directory and open, and it has a shared mailbox), with their templates.
fn templates(
    directory: &ServerDirectory,
    template: &RegistrationRequest,
    now: OffsetDateTime,
) -> Vec<Templates> {
    let mailbox_of = |ods_code: &str, kind: MailboxKind| {
        directory
            .mailboxes()
            .filter(|entry| entry.ods_code == ods_code && entry.kind == kind)
            .map(|entry| entry.address.clone())
            .min()
    };
    let mut codes: Vec<String> = directory
        .mailboxes()
        .map(|entry| entry.ods_code.clone())
        .collect();
    codes.sort();
    codes.dedup();
    let valid = |request: &RegistrationRequest| {
        registration::validate(request, directory.rules(), now).valid
    };
    codes
        .into_iter()
        .filter_map(|ods_code| {
            let mut low = template.clone();
            low.ods_code.clone_from(&ods_code);
            low.mailboxes = vec![mailbox_of(&ods_code, MailboxKind::Shared)?];
            let high = mailbox_of(&ods_code, MailboxKind::Application)
                .zip(mailbox_of(&ods_code, MailboxKind::Group))
                .map(|(mailbox, group)| RegistrationRequest {
                    access_type: AccessType::Application,
                    permissions: vec![PermissionRequest {
                        resource: None,
                        value: "Mail.Send".to_string(),
                        permission_type: PermissionType::Application,
                    }],
                    mailboxes: vec![mailbox],
                    redirect_uris: Vec::new(),
                    client_secret: Some(ClientSecret { lifetime_months: 6 }),
                    access_policy_group: Some(group),
                    ..low.clone()
                })
                .filter(valid);
            valid(&low).then_some(Templates {
                ods_code,
                low,
                high,
            })
        })
        .collect()
}

/// Request number `n` of the data set: one of the organisation's templates (every fifth the
/// high-risk one, where there is one) with its own name, supplier and redirect URI.
fn request_for(templates: &Templates, n: u64) -> RegistrationRequest {
    const SUPPLIERS: [&str; 5] = [
        "Example Health Ltd",
        "Northern Clinical Systems",
        "Ward Software Co-operative",
        "Referral Bridge Ltd",
        "Open Pathways CIC",
    ];
    let mut request = match (&templates.high, n % 5) {
        (Some(high), 0) => high.clone(),
        _ => templates.low.clone(),
    };
    request.application.name = format!("Mail connector {n}");
    request.application.supplier = SUPPLIERS[(n % 5) as usize].to_string();
    if let Some(uri) = request.redirect_uris.first_mut() {
        uri.uri = format!("https://connector{n}.example-supplier.co.uk/auth/callback");
    }
    request
}

/// Makes an account nobody can sign in as (its password is random and dropped).
async fn account(
    pool: &sqlx::AnyPool,
    email: &str,
    role: Role,
    ods_code: Option<&str>,
    now: OffsetDateTime,
) -> anyhow::Result<Identity> {
    if let Some((user, _)) = store::users::find_by_email(pool, email).await? {
        return Ok(Identity::from(user));
    }
    let unusable = Password::new(crate::random::random_hex(32));
    let hash = passwords::hash(&unusable)?;
    let user = store::users::add(
        pool,
        store::users::NewUser {
            email,
            role,
            ods_code,
            password_hash: &hash,
        },
        now,
    )
    .await
    .map_err(|error| anyhow::anyhow!("cannot add {email}: {error}"))?;
    Ok(Identity::from(user))
}

/// Submits `count` requests, then decides about 60% of them: a quarter of all approved, 15% sent
/// back for changes, 20% rejected; the rest wait for a reviewer. Prints progress to standard
/// error every 10,000 requests.
pub async fn generate(
    parts: DeskParts,
    template: &RegistrationRequest,
    count: u64,
) -> anyhow::Result<Generated> {
    let now = OffsetDateTime::now_utc();
    let desk = parts.desk();
    let organisations = templates(desk.directory, template, now);
    anyhow::ensure!(
        !organisations.is_empty(),
        "the directory has no organisation with a shared mailbox to make requests for"
    );
    let mut admins: Vec<(LocalAdminOf, Templates)> = Vec::new();
    for templates in organisations {
        let ods_code = templates.ods_code.clone();
        let email = format!("bench.admin.{}@nhs.net", ods_code.to_ascii_lowercase());
        let identity = account(desk.pool, &email, Role::LocalAdmin, Some(&ods_code), now).await?;
        let admin = require_local_admin(&identity, &ods_code)
            .map_err(|_| anyhow::anyhow!("{email} is not a Local Administrator of {ods_code}"))?;
        admins.push((admin, templates));
    }
    let mut reviewers: Vec<Reviewer> = Vec::new();
    for n in 1..=2 {
        let identity = account(
            desk.pool,
            &format!("bench.reviewer.{n}@nhs.net"),
            Role::Reviewer,
            None,
            now,
        )
        .await?;
        reviewers.push(require_reviewer(&identity).map_err(|_| anyhow::anyhow!("not a reviewer"))?);
    }
    let admins = Arc::new(admins);
    let reviewers = Arc::new(reviewers);

    let mut generated = Generated::default();
    let mut tasks: JoinSet<anyhow::Result<Option<Decision>>> = JoinSet::new();
    let desk_parts = Arc::new(parts.clone());
    for n in 0..count {
        if tasks.len() >= IN_FLIGHT {
            tally(&mut generated, tasks.join_next().await)?;
        }
        let (admins, reviewers, parts) = (
            Arc::clone(&admins),
            Arc::clone(&reviewers),
            Arc::clone(&desk_parts),
        );
        tasks.spawn(async move {
            let desk = parts.desk();
            let (admin, templates) = &admins[(n % admins.len() as u64) as usize];
            let request = request_for(templates, n);
            let submitted = registrations::submit(desk, admin, &request, OffsetDateTime::now_utc())
                .await
                .map_err(|error| anyhow::anyhow!("request {n} was not stored: {error:?}"))?;
            // Spread independently of the organisation and the risk (both follow n).
            let decision = match (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 20 {
                0..=4 => Some(Decision::Approve),
                5..=7 => Some(Decision::RequestChanges),
                8..=11 => Some(Decision::Reject),
                _ => None,
            };
            let Some(decision) = decision else {
                return Ok(None);
            };
            let reason =
                (decision != Decision::Approve).then_some("Generated for the queue benchmark.");
            let approvals = if decision == Decision::Approve
                && registration::rules::permission::needs_second_approval(&request)
            {
                2
            } else {
                1
            };
            for reviewer in reviewers.iter().take(approvals) {
                let seen = seen_latest(desk.pool, &submitted.reference).await?;
                review::decide(
                    desk,
                    reviewer,
                    &submitted.reference,
                    seen,
                    decision,
                    reason,
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(|error| {
                    anyhow::anyhow!("the decision on {} failed: {error:?}", submitted.reference)
                })?;
            }
            Ok(Some(decision))
        });
        if (n + 1) % 10_000 == 0 {
            eprintln!("appreg bench-data: {} of {count} requests queued", n + 1);
        }
    }
    while let Some(joined) = tasks.join_next().await {
        tally(&mut generated, Some(joined))?;
    }
    Ok(generated)
}

fn tally(
    generated: &mut Generated,
    joined: Option<Result<anyhow::Result<Option<Decision>>, tokio::task::JoinError>>,
) -> anyhow::Result<()> {
    let Some(joined) = joined else { return Ok(()) };
    let decision = joined.context("a generating task stopped")??;
    generated.submitted += 1;
    match decision {
        Some(Decision::Approve) => generated.approved += 1,
        Some(Decision::RequestChanges) => generated.changes_requested += 1,
        Some(Decision::Reject) => generated.rejected += 1,
        None => {}
    }
    Ok(())
}

/// What a reviewer reading the latest version sees: its number and its record's SHA-256.
async fn seen_latest(pool: &sqlx::AnyPool, reference: &str) -> anyhow::Result<Seen> {
    let latest = store::registrations::latest(pool, reference)
        .await?
        .with_context(|| format!("{reference} is not stored"))?;
    let record = store::log::record_of(pool, reference, latest.version)
        .await?
        .with_context(|| format!("{reference} has no record"))?;
    Ok(Seen {
        version: latest.version,
        record_sha256: Some(store::log::sha256_hex(record.as_bytes())),
    })
}

/// The owned parts of a [`Desk`], which the generator's tasks share.
#[derive(Clone)]
pub struct DeskParts {
    /// The database.
    pub pool: sqlx::AnyPool,
    /// The directory the requests are validated against.
    pub directory: Arc<ServerDirectory>,
    /// The bounds on work.
    pub limits: Arc<crate::limits::Limits>,
    /// The record-signing keys.
    pub keys: Arc<crate::signing::KeyRing>,
    /// Where receipts and decision notices go.
    pub mailer: Arc<crate::notify::Mailer>,
    /// The desk's single writer.
    pub writer: Arc<store::WriteLock>,
}

impl DeskParts {
    fn desk(&self) -> Desk<'_> {
        Desk {
            pool: &self.pool,
            directory: &self.directory,
            limits: &self.limits,
            keys: &self.keys,
            mailer: &self.mailer,
            writer: &self.writer,
        }
    }
}
