//! Telling reviewers what arrived and what was withdrawn (issue 18, part 4), as the desk's
//! `reviewer_notices` setting says (`config`):
//!
//! - `each` (the default): an email to every reviewer whose account is not disabled when a
//!   version is stored — a new request, a resubmission, a renewal or a change — ([`arrived`],
//!   sent in the background: a submission never waits for it), and when an organisation
//!   withdraws a request (`crate::deletion`);
//! - `daily`: one digest a day at [`DIGEST_AT`] UTC, sent by the scheduler
//!   ([`send_digest_due`]): what arrived and what was withdrawn in the 24 hours before, and how
//!   many requests wait for a reviewer now. Each day's digest is claimed in the database
//!   (`reviewer_digest`), so two servers, or a server and a cron run, send it once; a day with
//!   nothing arrived, withdrawn or waiting sends nothing. A digest the mail refused is released
//!   for the next run (ten minutes later), and one claimed by a run that stopped before sending
//!   it is taken over once its claim is older than [`crate::reminders::CLAIM_LEASE`], as the
//!   expiry reminders' are: it is sent at least once, and twice only if a run stops between
//!   sending it and marking it sent;
//! - `off`: nothing (the desk's reviewers watch the queue).

use std::sync::Arc;

use registration::change::Purpose;
use registration::rules::permission::Risk;
use serde::Deserialize;
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime, Time};

use crate::notify::{Mailer, Notification, quoted};
use crate::store;
use crate::store::reviewer_digest::{self, Withdrawn};

/// How reviewers hear of requests that arrive or are withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ReviewerNotices {
    /// An email each time.
    #[default]
    Each,
    /// One digest a day, at [`DIGEST_AT`] UTC.
    Daily,
    /// None.
    Off,
}

/// When the daily digest is sent (UTC): before a working day starts in the UK (07:00 GMT,
/// 08:00 BST).
pub const DIGEST_AT: Time = time::macros::time!(07:00);

/// A version just stored, as the reviewers' email names it.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// 1 for a new request.
    pub version: i64,
    /// The application's name.
    pub application_name: String,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// Its name, when the directory knows it.
    pub organisation_name: Option<String>,
    /// The permissions' risk.
    pub risk: Risk,
    /// A renewal or change of a live application.
    pub purpose: Option<Purpose>,
}

impl Arrival {
    fn organisation(&self) -> String {
        match &self.organisation_name {
            Some(name) => format!("{name} ({})", self.ods_code),
            None => self.ods_code.clone(),
        }
    }

    /// "a new request", "version 2", "a renewal (version 3)"…
    fn what(&self) -> String {
        match (self.purpose, self.version) {
            (Some(Purpose::Renewal), version) => format!("a renewal (version {version})"),
            (Some(Purpose::Change), version) => format!("a change (version {version})"),
            (None, 1) => "a new request".to_string(),
            (None, version) => format!("version {version}, changed as a reviewer asked"),
        }
    }

    fn risk_text(&self) -> &'static str {
        match self.risk {
            Risk::High => "high: it asks for permissions a reviewer must weigh",
            Risk::Low => "low",
        }
    }
}

/// With `each`: emails every reviewer that `arrival` was stored, in the background (the
/// reviewers are read and the message sent after the submission has been answered).
///
/// Arrivals close together share one read of the reviewers: the first starts a task that reads
/// them and sends its notice; those stored while it reads wait in `mailer`'s [`PendingArrivals`]
/// and are sent after one more read, which began after they were stored. Under load that is one
/// read per burst instead of one per arrival (docs/performance.md, "Where a submission's time
/// goes"); each notice still names reviewers read after its request was stored.
pub fn arrived(pool: &AnyPool, mailer: &Arc<Mailer>, issuer: &str, arrival: Arrival) {
    if mailer.reviewer_notices() != ReviewerNotices::Each {
        return;
    }
    let review_url = review_url(issuer, &arrival.reference);
    {
        let mut pending = mailer.pending_arrivals().lock();
        if let Some(waiting) = pending.as_mut() {
            // A task is reading the reviewers; it sends this one after its next read.
            waiting.push((arrival, review_url));
            return;
        }
        *pending = Some(Vec::new());
    }
    let pool = pool.clone();
    let mailer = Arc::clone(mailer);
    tokio::spawn(async move {
        let mut arrivals = vec![(arrival, review_url)];
        loop {
            match store::users::reviewer_emails(&pool).await {
                Ok(reviewers) if reviewers.is_empty() => {}
                Ok(reviewers) => {
                    for (arrival, review_url) in arrivals.drain(..) {
                        // Waits only while the outbox is behind (`Mailer::send_in_background`);
                        // arrivals meanwhile wait in `pending`, a few hundred bytes each.
                        mailer
                            .send_in_background(arrival_notice(&arrival, &reviewers, &review_url))
                            .await;
                    }
                }
                Err(error) => {
                    for (arrival, _) in &arrivals {
                        tracing::error!(error = %format!("{error:#}"), reference = %arrival.reference, "the reviewers could not be read for an arrival notice");
                    }
                }
            }
            let mut pending = mailer.pending_arrivals().lock();
            match pending.as_mut().map(std::mem::take) {
                Some(next) if !next.is_empty() => arrivals = next,
                _ => {
                    *pending = None;
                    return;
                }
            }
        }
    });
}

/// Arrivals waiting for the reviewers to be read, kept by the [`Mailer`]: `None` when no task
/// is reading them, else those to send after its next read.
#[derive(Default)]
pub struct PendingArrivals(std::sync::Mutex<Option<Vec<(Arrival, String)>>>);

impl PendingArrivals {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<(Arrival, String)>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A request's review page.
fn review_url(issuer: &str, reference: &str) -> String {
    format!("{}/review/{reference}", issuer.trim_end_matches('/'))
}

/// The email to reviewers that `arrival` is waiting for them.
pub fn arrival_notice(arrival: &Arrival, reviewers: &[String], review_url: &str) -> Notification {
    let subject = if arrival.version == 1 && arrival.purpose.is_none() {
        format!(
            "{}: new request to review, {}",
            arrival.reference, arrival.application_name
        )
    } else {
        format!(
            "{}: version {} to review, {}",
            arrival.reference, arrival.version, arrival.application_name
        )
    };
    let body = format!(
        "{organisation} sent {what} for {name}. It is waiting for a reviewer.\n\
         \n\
         Application: {name}\n\
         Reference: {reference}\n\
         Risk: {risk}\n\
         \n\
         Review it:\n\
         {review_url}\n\
         \n\
         You are getting this email because you are a reviewer on the desk. The desk's administrator can send one digest a day instead (reviewer_notices = daily).\n\
         \n\
         NHSmail application registration desk\n",
        organisation = arrival.organisation(),
        what = arrival.what(),
        name = arrival.application_name,
        reference = arrival.reference,
        risk = arrival.risk_text(),
    );
    Notification {
        to: reviewers.to_vec(),
        subject,
        body,
        reference: arrival.reference.clone(),
    }
}

/// With `daily`, at or after [`DIGEST_AT`] UTC on `now`'s day: claims the day's digest and, if
/// something arrived, was withdrawn or waits, emails it to every reviewer. `Some(line)` when this
/// run claimed the day (what it did, or that the mail refused it: then the claim is released
/// and the next run sends it); `None` when it is not due, was done, or another run holds it.
///
/// # Errors
/// The database failed.
pub async fn send_digest_due(
    pool: &AnyPool,
    mailer: &Mailer,
    issuer: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Option<String>> {
    if mailer.reviewer_notices() != ReviewerNotices::Daily {
        return Ok(None);
    }
    let now = now.to_offset(time::UtcOffset::UTC);
    let due_at = now.date().with_time(DIGEST_AT).assume_utc();
    if now < due_at {
        return Ok(None);
    }
    let day = due_at.date().to_string();
    if !reviewer_digest::claim(pool, &day, now, crate::reminders::CLAIM_LEASE).await? {
        return Ok(None);
    }
    let (from, until) = (due_at - Duration::days(1), due_at);
    let arrived = reviewer_digest::arrived_between(pool, from, until).await?;
    let withdrawn = reviewer_digest::withdrawn_between(pool, from, until).await?;
    let waiting = store::registrations::list(
        pool,
        &store::registrations::Filter {
            awaiting_decision: true,
            ..Default::default()
        },
        1,
    )
    .await?
    .total;
    let reviewers = store::users::reviewer_emails(pool).await?;
    let nothing = arrived.is_empty() && withdrawn.is_empty() && waiting == 0;
    if !nothing && !reviewers.is_empty() {
        let arrivals: Vec<Arrival> = arrived
            .into_iter()
            .map(|row| Arrival {
                reference: row.reference,
                version: row.version,
                application_name: row.application_name,
                ods_code: row.ods_code,
                organisation_name: row.organisation_name,
                risk: store::registrations::parse_risk(&row.risk).unwrap_or(Risk::Low),
                purpose: row.purpose.as_deref().and_then(Purpose::parse),
            })
            .collect();
        let digest = digest(&day, &arrivals, &withdrawn, waiting, &reviewers, issuer);
        reviewer_digest::record_counts(pool, &day, arrivals.len(), withdrawn.len(), waiting)
            .await?;
        if let Err(error) = mailer.send(&digest).await {
            let error = format!("{error:#}");
            tracing::error!(day = %day, error = %error, "reviewers' digest not sent; released for the next run");
            reviewer_digest::release(pool, &day, now).await?;
            return Ok(Some(format!(
                "reviewers' digest for {day} not sent (it is sent by the next run): {error}"
            )));
        }
        reviewer_digest::mark_sent(pool, &day, OffsetDateTime::now_utc()).await?;
        return Ok(Some(format!(
            "reviewers' digest for {day}: {} arrived, {} withdrawn, {waiting} waiting, to {} reviewer(s)",
            arrivals.len(),
            withdrawn.len(),
            reviewers.len()
        )));
    }
    // Done too: not claimed again once the lease is over.
    reviewer_digest::mark_sent(pool, &day, OffsetDateTime::now_utc()).await?;
    Ok(Some(format!(
        "reviewers' digest for {day}: nothing to send"
    )))
}

/// The day's digest.
fn digest(
    day: &str,
    arrived: &[Arrival],
    withdrawn: &[Withdrawn],
    waiting: u64,
    reviewers: &[String],
    issuer: &str,
) -> Notification {
    let mut body = format!(
        "Registration requests in the 24 hours to {} UTC on {day}.\n\n",
        DIGEST_AT
            .format(time::macros::format_description!("[hour]:[minute]"))
            .unwrap_or_default()
    );
    if arrived.is_empty() {
        body.push_str("Nothing arrived.\n\n");
    } else {
        body.push_str(&format!("Arrived ({}):\n\n", arrived.len()));
        for arrival in arrived {
            body.push_str(&format!(
                "- {reference}  {name}: {what} from {organisation}; risk {risk}\n  {url}\n",
                reference = arrival.reference,
                name = arrival.application_name,
                what = arrival.what(),
                organisation = arrival.organisation(),
                risk = arrival.risk_text(),
                url = review_url(issuer, &arrival.reference),
            ));
        }
        body.push('\n');
    }
    if !withdrawn.is_empty() {
        body.push_str(&format!(
            "Withdrawn by their organisation, no decision needed ({}):\n\n",
            withdrawn.len()
        ));
        for withdrawal in withdrawn {
            body.push_str(&format!(
                "- {}  {} ({}), by {}\n",
                withdrawal.reference,
                withdrawal.application_name,
                withdrawal.ods_code,
                withdrawal
                    .actor_email
                    .as_deref()
                    .unwrap_or("a Local Administrator"),
            ));
            if let Some(reason) = withdrawal.reason.as_deref() {
                body.push_str(&quoted(reason));
                body.push('\n');
            }
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "Waiting for a reviewer now: {waiting}.\n\
         The queue:\n\
         {}/review\n\
         \n\
         You are getting this email because you are a reviewer on the desk, which sends one digest a day (reviewer_notices = daily).\n\
         \n\
         NHSmail application registration desk\n",
        issuer.trim_end_matches('/'),
    ));
    Notification {
        to: reviewers.to_vec(),
        subject: format!(
            "Registration requests: {} arrived, {} waiting ({day})",
            arrived.len(),
            waiting
        ),
        body,
        reference: format!("digest {day}"),
    }
}
