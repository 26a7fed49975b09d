//! Expiry reminders (issue 14, part 4): 60, 45, 30, 14 and 7 days before each credential of a
//! live application expires (its certificates and client secrets, as `GET …/registrations/{ref}`
//! lists them), an email to the organisation's Local Administrators and the application's
//! contacts; once it has expired, one notice saying so. Run by [`crate::schedule::run_due`].
//!
//! Exactly once each, across restarts and servers (docs/lifecycle.md, "Expiry reminders"):
//! 1. each run computes, from the credentials as they are now, the one message due for each
//!    ([`registration::reminders::due`]) — so a credential removed, or an application no longer
//!    live, gets nothing more;
//! 2. it **claims** them in one write transaction of the writer, each with one
//!    `INSERT … ON CONFLICT DO UPDATE … WHERE` statement on the `reminder` table's primary key
//!    (reference, kind, credential, days before) that also checks the application is still live;
//!    only a statement that changed a row is a claim. SQLite runs one write transaction at a
//!    time on the file, so of two runs (two servers, or a server and `appreg schedule run`) only
//!    the first to commit claims it; the other's statement changes nothing;
//! 3. only then it sends what it claimed, and marks each sent. A message whose sending failed is
//!    released (its row deleted) and claimed again by the next run; a claim left unsent by a run
//!    that died is taken over after [`CLAIM_LEASE`].

use std::collections::HashSet;

use lettre::message::Mailbox;
use registration::reminders::{self as rules, Slot};
use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

use crate::notify::{Mailer, Notification};
use crate::signing::KeyRing;
use crate::store::reminders::ReminderKey;
use crate::store::{self, WriteLock, registrations, timestamp};

/// How long a claim not yet marked sent belongs to the run that made it. Sending one message
/// takes seconds (the SMTP client gives up long before this); a claim older than this was left
/// by a run that stopped before it could send or release it.
pub const CLAIM_LEASE: Duration = Duration::hours(1);

/// A message due for one credential (computed, not yet claimed).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Due {
    reference: String,
    kind: &'static str,
    credential_id: String,
    expires_at: OffsetDateTime,
    slot: Slot,
}

/// What happened to one claimed message (one line of `appreg schedule run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// The application's reference.
    pub reference: String,
    /// `certificate` or `secret`.
    pub kind: &'static str,
    /// The certificate's SHA-1 thumbprint or the secret's id.
    pub credential_id: String,
    /// Which message.
    pub slot: Slot,
    /// When the credential expires (RFC 3339).
    pub expires_at: String,
    /// Whole days left when it was sent (rounded up; 0 or less once expired).
    pub days_left: i64,
    /// How many addresses it went to, or why it was not sent (it is claimed again next run).
    pub outcome: Result<usize, String>,
}

impl Reminder {
    /// The line `appreg schedule run` prints.
    pub fn line(&self) -> String {
        let what = match self.slot {
            Slot::Before(_) => format!("expires {}", rules::in_days(self.days_left)),
            Slot::Expired => format!("expired on {}", self.expires_at),
        };
        match &self.outcome {
            Ok(recipients) => format!(
                "reminder: {} {} {} {what} → {recipients} recipient{}",
                self.reference,
                self.kind,
                self.credential_id,
                if *recipients == 1 { "" } else { "s" }
            ),
            Err(error) => format!(
                "reminder not sent: {} {} {} {what}: {error} (tried again on the next run)",
                self.reference, self.kind, self.credential_id
            ),
        }
    }
}

/// Claims and sends every reminder due at `now`, each once (see the module comment).
pub async fn send_due(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    mailer: &Mailer,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Reminder>> {
    let mut due = Vec::new();
    let mut applications = std::collections::HashMap::new();
    let live = registrations::live_references(pool).await?;
    for reference in live {
        // The application's live version (a renewal or change of it may be under review).
        let Some(stored) = registrations::application(pool, &reference).await? else {
            continue;
        };
        let Some(facts) = crate::applications::live_facts(pool, &stored).await? else {
            continue;
        };
        // A credential a renewal replaced is listed until it expires, but not reminded of: the
        // organisation has its successor.
        for credential in facts.credentials.into_iter().filter(|c| !c.replaced) {
            let expires_at = OffsetDateTime::parse(
                &credential.expires_at,
                &time::format_description::well_known::Rfc3339,
            )?;
            if let Some(slot) = rules::due(expires_at, now) {
                due.push(Due {
                    reference: reference.clone(),
                    kind: credential.kind,
                    credential_id: credential.id,
                    expires_at,
                    slot,
                });
            }
        }
        applications.insert(reference, stored);
    }
    if due.is_empty() {
        return Ok(Vec::new());
    }

    let run = crate::random::random_hex(8);
    let claimed = claim(pool, keys, writer, due, &run, now).await?;

    let mut reminders = Vec::new();
    for due in claimed {
        let stored = &applications[&due.reference];
        let days_left = rules::days_left(due.expires_at, now);
        let admins = store::users::local_admin_emails(pool, &stored.ods_code).await?;
        let contacts: Vec<String> = stored
            .request
            .contacts
            .iter()
            .map(|contact| contact.email.clone())
            .collect();
        let notification = notice(&Notice {
            reference: &due.reference,
            application_name: &stored.application_name,
            ods_code: &stored.ods_code,
            kind: due.kind,
            credential_id: &due.credential_id,
            expires_at: due.expires_at,
            slot: due.slot,
            days_left,
            page_url: &format!(
                "{}/requests/{}",
                keys.issuer().trim_end_matches('/'),
                due.reference
            ),
            recipients: &recipients(&admins, &contacts),
        });
        let outcome = match mailer.send(&notification).await {
            Ok(()) => {
                mark(
                    pool,
                    keys,
                    writer,
                    &due,
                    &run,
                    now,
                    days_left,
                    notification.to.len(),
                )
                .await?;
                Ok(notification.to.len())
            }
            Err(error) => {
                let error = format!("{error:#}");
                tracing::error!(reference = %due.reference, kind = due.kind, credential = %due.credential_id, error = %error, "expiry reminder not sent; released for the next run");
                release(pool, keys, writer, &due, &run).await?;
                Err(error)
            }
        };
        reminders.push(Reminder {
            reference: due.reference,
            kind: due.kind,
            credential_id: due.credential_id,
            slot: due.slot,
            expires_at: timestamp(due.expires_at),
            days_left,
            outcome,
        });
    }
    Ok(reminders)
}

/// Claims each of `due` for `run` in one write transaction; returns those claimed.
async fn claim(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    due: Vec<Due>,
    run: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Due>> {
    let run = run.to_string();
    writer
        .write(pool, keys, move |connection, _batch| {
            Box::pin(async move {
                let stale_before = now - CLAIM_LEASE;
                let mut claimed = Vec::new();
                for due in due {
                    let expiry = (due.expires_at, due.slot.due_at(due.expires_at));
                    let key = ReminderKey {
                        reference: &due.reference,
                        credential_kind: due.kind,
                        credential_id: &due.credential_id,
                        days_before: due.slot.days_before(),
                    };
                    if store::reminders::claim_in(connection, key, expiry, &run, now, stale_before)
                        .await?
                    {
                        claimed.push(due);
                    }
                }
                Ok::<_, anyhow::Error>(claimed)
            })
        })
        .await
}

/// Marks `due` sent by `run`.
#[expect(clippy::too_many_arguments, reason = "one statement's values")]
async fn mark(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    due: &Due,
    run: &str,
    now: OffsetDateTime,
    days_left: i64,
    recipients: usize,
) -> anyhow::Result<()> {
    let claimed = Claimed::of(due, run);
    let recipients = i64::try_from(recipients)?;
    writer
        .write(pool, keys, move |connection, _batch| {
            Box::pin(async move {
                store::reminders::mark_sent_in(
                    connection,
                    claimed.key(),
                    &claimed.run,
                    now,
                    (days_left, recipients),
                )
                .await?;
                Ok::<_, anyhow::Error>(())
            })
        })
        .await
}

/// Gives up `run`'s claim of `due` (its sending failed): the next run claims it again.
async fn release(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    due: &Due,
    run: &str,
) -> anyhow::Result<()> {
    let claimed = Claimed::of(due, run);
    writer
        .write(pool, keys, move |connection, _batch| {
            Box::pin(async move {
                store::reminders::release_in(connection, claimed.key(), &claimed.run).await?;
                Ok::<_, anyhow::Error>(())
            })
        })
        .await
}

/// A message claimed by a run, owned (for a writer job).
struct Claimed {
    reference: String,
    kind: &'static str,
    credential_id: String,
    days_before: i64,
    run: String,
}

impl Claimed {
    fn of(due: &Due, run: &str) -> Claimed {
        Claimed {
            reference: due.reference.clone(),
            kind: due.kind,
            credential_id: due.credential_id.clone(),
            days_before: due.slot.days_before(),
            run: run.to_string(),
        }
    }

    /// Its row's key in the store.
    fn key(&self) -> ReminderKey<'_> {
        ReminderKey {
            reference: &self.reference,
            credential_kind: self.kind,
            credential_id: &self.credential_id,
            days_before: self.days_before,
        }
    }
}

/// The Local Administrators' addresses then the contacts', each once (compared
/// case-insensitively), addresses that are not valid left out.
pub fn recipients(admins: &[String], contacts: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    admins
        .iter()
        .chain(contacts)
        .filter_map(|address| address.trim().parse::<Mailbox>().ok())
        .map(|mailbox| mailbox.email.to_string())
        .filter(|address| seen.insert(address.to_lowercase()))
        .collect()
}

/// What a reminder says.
pub struct Notice<'a> {
    /// The application's reference.
    pub reference: &'a str,
    /// Its name.
    pub application_name: &'a str,
    /// The requesting organisation.
    pub ods_code: &'a str,
    /// `certificate` or `secret`.
    pub kind: &'a str,
    /// The thumbprint or secret id (never a secret's value: the desk no longer has it).
    pub credential_id: &'a str,
    /// When it expires.
    pub expires_at: OffsetDateTime,
    /// Which message.
    pub slot: Slot,
    /// Whole days left (rounded up).
    pub days_left: i64,
    /// The application's page.
    pub page_url: &'a str,
    /// Who gets it.
    pub recipients: &'a [String],
}

/// "30 September 2026 at 12:00 UTC".
pub fn long_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(time::macros::format_description!(
        "[day padding:none] [month repr:long] [year] at [hour]:[minute] UTC"
    ))
    .unwrap_or_else(|_| timestamp(at))
}

/// The email for one reminder or expiry notice.
pub fn notice(facts: &Notice<'_>) -> Notification {
    let name = facts.application_name;
    let (credential, identified) = match facts.kind {
        "certificate" => (
            "certificate",
            format!("Certificate thumbprint (SHA-1): {}", facts.credential_id),
        ),
        _ => (
            "client secret",
            format!("Client secret ID: {}", facts.credential_id),
        ),
    };
    let date = long_date(facts.expires_at);
    let (subject, opening, todo) = match facts.slot {
        Slot::Before(_) => {
            let when = rules::in_days(facts.days_left);
            (
                format!("{}: {credential} expires {when}", facts.reference),
                format!("A {credential} of the application {name} expires {when}, on {date}."),
                format!(
                    "Request a renewal before it expires: sign in, open the application from the link below and ask for a new {credential}. \
                     Once the renewal is approved, put the new {credential} into the application's configuration before {date}. \
                     After that date the application cannot sign in to NHSmail with the old one."
                ),
            )
        }
        Slot::Expired => (
            format!("{}: {credential} expired", facts.reference),
            format!(
                "A {credential} of the application {name} expired on {date}. The application can no longer sign in to NHSmail with it."
            ),
            format!(
                "If the application still needs it, request a renewal now: sign in, open the application from the link below and ask for a new {credential}. \
                 If the application uses another credential that is still valid, you do not need to do anything."
            ),
        ),
    };
    let body = format!(
        "{opening}\n\
         \n\
         Application: {name}\n\
         {identified}\n\
         Expires: {date}\n\
         \n\
         What you need to do\n\
         \n\
         {todo}\n\
         \n\
         Reference: {reference}\n\
         Quote this reference if you contact us about this application.\n\
         \n\
         View the application:\n\
         {page_url}\n\
         \n\
         You are getting this email because you are a Local Administrator of {ods_code} or are named as a contact on this application. \
         Reminders are sent 60, 45, 30, 14 and 7 days before each credential expires.\n\
         \n\
         NHSmail application registration desk\n",
        reference = facts.reference,
        page_url = facts.page_url,
        ods_code = facts.ods_code,
    );
    Notification {
        to: facts.recipients.to_vec(),
        subject,
        body,
        reference: facts.reference.to_string(),
    }
}

/// The reminders already sent (for tests and audits): see [`store::reminders::sent`].
pub use crate::store::reminders::sent;

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const EXPIRES: OffsetDateTime = datetime!(2026-09-30 12:00 UTC);

    fn reminder(slot: Slot, days_left: i64, kind: &'static str) -> Notification {
        notice(&Notice {
            reference: "AR-7K3M-Q9XD",
            application_name: "Ward Mail Connector",
            ods_code: "RX1",
            kind,
            credential_id: "3F2A9C",
            expires_at: EXPIRES,
            slot,
            days_left,
            page_url: "https://appreg.example.nhs.uk/requests/AR-7K3M-Q9XD",
            recipients: &["admin@rx1.nhs.net".to_string()],
        })
    }

    #[test]
    fn a_reminder_says_what_expires_when_and_what_to_do() {
        let mail = reminder(Slot::Before(7), 5, "certificate");
        assert_eq!(mail.subject, "AR-7K3M-Q9XD: certificate expires in 5 days");
        assert!(mail.body.starts_with(
            "A certificate of the application Ward Mail Connector expires in 5 days, on 30 September 2026 at 12:00 UTC.\n\n\
             Application: Ward Mail Connector\n\
             Certificate thumbprint (SHA-1): 3F2A9C\n"
        ), "{}", mail.body);
        assert!(mail.body.contains("Request a renewal before it expires"));
        assert!(
            mail.body
                .contains("\nhttps://appreg.example.nhs.uk/requests/AR-7K3M-Q9XD\n")
        );
        assert!(!mail.body.contains("in 7 days"), "{}", mail.body);
    }

    #[test]
    fn a_secret_is_named_by_its_id_and_one_day_is_singular() {
        let mail = reminder(Slot::Before(7), 1, "secret");
        assert_eq!(mail.subject, "AR-7K3M-Q9XD: client secret expires in 1 day");
        assert!(mail.body.contains("Client secret ID: 3F2A9C\n"));
    }

    #[test]
    fn an_expiry_notice_says_it_expired_not_that_it_expires() {
        let mail = reminder(Slot::Expired, -3, "secret");
        assert_eq!(mail.subject, "AR-7K3M-Q9XD: client secret expired");
        assert!(mail.body.starts_with(
            "A client secret of the application Ward Mail Connector expired on 30 September 2026 at 12:00 UTC."
        ));
        assert!(!mail.body.contains("expires in"));
    }

    #[test]
    fn recipients_are_the_local_administrators_then_the_contacts_once_each() {
        assert_eq!(
            recipients(
                &["admin@rx1.nhs.net".into(), "Second@rx1.nhs.net".into()],
                &[
                    "jo.bloggs@nhs.net".into(),
                    "ADMIN@rx1.nhs.net".into(),
                    "not an address".into()
                ]
            ),
            [
                "admin@rx1.nhs.net",
                "Second@rx1.nhs.net",
                "jo.bloggs@nhs.net"
            ]
        );
    }

    #[test]
    fn the_printed_line_names_the_credential_the_days_and_the_recipients() {
        let line = Reminder {
            reference: "AR-7K3M-Q9XD".into(),
            kind: "certificate",
            credential_id: "3F2A9C".into(),
            slot: Slot::Before(7),
            expires_at: timestamp(EXPIRES),
            days_left: 5,
            outcome: Ok(3),
        }
        .line();
        assert_eq!(
            line,
            "reminder: AR-7K3M-Q9XD certificate 3F2A9C expires in 5 days → 3 recipients"
        );
    }
}
