//! Email notifications: a receipt when a request is stored, a notice when a reviewer decides.
//!
//! Messages are plain text. Without an SMTP server they are written to the outbox directory, one
//! `.eml` file a message, so a desk without mail still keeps every message it would have sent.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, SmtpUrl};

/// How messages leave the desk.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// From the configuration (outbox dir by default: <data_dir>/outbox, created if missing).
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) => Mailer::smtp(url, &config.mail_from),
            None => Mailer::outbox(&config.outbox_dir, &config.mail_from),
        }
    }

    /// An outbox mailer writing to `dir` (tests use this).
    pub fn outbox(dir: impl Into<PathBuf>, from: &str) -> anyhow::Result<Mailer> {
        let dir = dir.into();
        let from = parse_from(from)?;
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the outbox directory {}", dir.display()))?;
        Ok(Mailer {
            transport: Transport::Outbox(AsyncFileTransport::new(dir)),
            from,
        })
    }

    fn smtp(url: &SmtpUrl, from: &str) -> anyhow::Result<Mailer> {
        let from = parse_from(from)?;
        let transport = smtp_transport(url)?;
        Ok(Mailer {
            transport: Transport::Smtp(transport),
            from,
        })
    }

    /// Sends one message now (outbox: writes one .eml file; SMTP: delivers).
    pub async fn send(&self, notification: &Notification) -> anyhow::Result<()> {
        let message = self.message(notification)?;
        match &self.transport {
            Transport::Outbox(outbox) => {
                outbox
                    .send(message)
                    .await
                    .context("cannot write the message to the outbox")?;
            }
            Transport::Smtp(smtp) => {
                smtp.send(message)
                    .await
                    .context("the SMTP server did not accept the message")?;
            }
        }
        tracing::info!(reference = %notification.reference, subject = %notification.subject, "email sent");
        Ok(())
    }

    /// Sends in a background task; a failure is logged (reference + error, never the body), not returned:
    /// a stored submission or decision must not fail because mail is down.
    pub fn send_in_background(self: &Arc<Self>, notification: Notification) {
        let mailer = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(error) = mailer.send(&notification).await {
                tracing::error!(
                    reference = %notification.reference,
                    error = %format!("{error:#}"),
                    "email not sent"
                );
            }
        });
    }

    fn message(&self, notification: &Notification) -> anyhow::Result<Message> {
        let recipients = recipients(&notification.to, &notification.reference);
        if recipients.is_empty() {
            bail!("no valid recipient address for {}", notification.reference);
        }
        let mut builder = Message::builder().from(self.from.clone());
        for recipient in recipients {
            builder = builder.to(recipient);
        }
        builder
            .subject(notification.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(notification.body.clone())
            .context("cannot build the email")
    }
}

fn parse_from(from: &str) -> anyhow::Result<Mailbox> {
    from.parse().with_context(|| {
        format!("the mail sender '{from}' is not an email address (set mail_from, for example appreg@example.nhs.uk)")
    })
}

/// Checks the URL's shape first so a mistake is named in the desk's words, then lets lettre build it.
fn smtp_transport(url: &SmtpUrl) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    const EXAMPLES: &str = "use smtps://user:password@host:465 or smtp://host:25?tls=required (or smtp://host:25 without TLS)";
    let shown = url.redacted();
    let text = url.expose();
    let Some((scheme, rest)) = text.split_once("://") else {
        bail!("the SMTP URL '{shown}' is not a URL: {EXAMPLES}");
    };
    if scheme != "smtp" && scheme != "smtps" {
        bail!("the SMTP URL '{shown}' starts with '{scheme}://': {EXAMPLES}");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host_port.is_empty() || host_port.starts_with(':') {
        bail!("the SMTP URL '{shown}' names no server: {EXAMPLES}");
    }
    if let Some(query) = text.split_once('?').map(|(_, query)| query) {
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "required" | "opportunistic") if scheme == "smtp" => {}
                ("tls", _) if scheme == "smtps" => {
                    bail!(
                        "the SMTP URL '{shown}' sets tls= with smtps://, which always uses TLS: {EXAMPLES}"
                    )
                }
                ("tls", other) => bail!(
                    "the SMTP URL '{shown}' has tls={other}: use tls=required or tls=opportunistic"
                ),
                (other, _) => bail!(
                    "the SMTP URL '{shown}' has an unknown setting '{other}': only tls= is understood"
                ),
            }
        }
    }
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(text)
        // lettre's error may quote the URL, password included: show the redacted form only.
        .map_err(|error| {
            anyhow::anyhow!(
                "the SMTP URL '{shown}' is not valid ({}): {EXAMPLES}",
                redact_error(&error.to_string(), text, &shown)
            )
        })?;
    Ok(builder.build())
}

fn redact_error(message: &str, url: &str, shown: &str) -> String {
    message.replace(url, shown)
}

/// The valid, distinct addresses among `candidates`, in order; the first spelling of an address wins.
fn recipients(candidates: &[String], reference: &str) -> Vec<Mailbox> {
    let mut seen = HashSet::new();
    let mut mailboxes = Vec::new();
    for candidate in candidates {
        let candidate = candidate.trim();
        match candidate.parse::<Mailbox>() {
            Ok(mailbox) => {
                if seen.insert(mailbox.email.to_string().to_lowercase()) {
                    mailboxes.push(mailbox);
                }
            }
            Err(_) => {
                tracing::warn!(%reference, address = %candidate, "skipping a recipient address that is not valid");
            }
        }
    }
    mailboxes
}

/// The addresses of the submitter and the contacts, valid and deduplicated.
fn addresses(submitter: &str, contacts: &[registration::Contact], reference: &str) -> Vec<String> {
    let candidates: Vec<String> = std::iter::once(submitter.to_string())
        .chain(contacts.iter().map(|contact| contact.email.clone()))
        .collect();
    recipients(&candidates, reference)
        .into_iter()
        .map(|mailbox| mailbox.email.to_string())
        .collect()
}

/// One email: recipients (deduplicated case-insensitively, invalid addresses skipped with a warning log), subject, plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject line (starts with the reference).
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The request's reference, for logs.
    pub reference: String,
}

/// Facts for a receipt (sent after a submission or resubmission is stored).
pub struct Receipt<'a> {
    /// The request's reference.
    pub reference: &'a str,
    /// The version just stored (1 for a new request).
    pub version: i64,
    /// The application's name.
    pub application_name: &'a str,
    /// The requesting organisation's ODS code.
    pub ods_code: &'a str,
    /// The organisation's name, when the directory knows it.
    pub organisation_name: Option<&'a str>,
    /// Who submitted this version.
    pub submitter_email: &'a str,
    /// The request's contacts.
    pub contacts: &'a [registration::Contact],
    /// The request's page on the desk.
    pub page_url: &'a str,
}

/// Facts for a decision notice.
pub struct DecisionNotice<'a> {
    /// The request's reference.
    pub reference: &'a str,
    /// The version decided on.
    pub version: i64,
    /// The application's name.
    pub application_name: &'a str,
    /// `approve`, `reject` or `request_changes`.
    pub decision: &'a str,
    /// The snake_case status after the decision.
    pub status: &'a str,
    /// The reviewer's reason (required for reject and request_changes).
    pub reason: Option<&'a str>,
    /// Who submitted the version decided on.
    pub submitter_email: &'a str,
    /// The request's contacts.
    pub contacts: &'a [registration::Contact],
    /// The request's page on the desk.
    pub page_url: &'a str,
}

const SIGNATURE: &str = "NHSmail application registration desk";

fn footer(reference: &str, page_url: &str) -> String {
    format!(
        "Reference: {reference}\n\
         Quote this reference if you contact us about this request.\n\
         \n\
         View the request:\n\
         {page_url}\n\
         \n\
         You are getting this email because you submitted this request or are named as a contact on it.\n\
         \n\
         {SIGNATURE}\n"
    )
}

/// Quotes a reviewer's reason as an indented block, so it stands apart from the desk's own words.
fn quoted(reason: &str) -> String {
    let lines: Vec<String> = reason
        .trim()
        .lines()
        .map(|line| format!("  {}", line.trim_end()))
        .collect();
    lines.join("\n")
}

/// The receipt sent after a submission or resubmission is stored.
pub fn receipt(facts: &Receipt<'_>) -> Notification {
    let organisation = match facts.organisation_name {
        Some(name) => format!("{name} ({})", facts.ods_code),
        None => facts.ods_code.to_string(),
    };
    let (subject, opening) = if facts.version <= 1 {
        (
            format!("{}: request received", facts.reference),
            format!(
                "We have received your request to register {} for NHSmail.",
                facts.application_name
            ),
        )
    } else {
        (
            format!("{}: changed request received", facts.reference),
            format!(
                "We have received the changes to your request to register {} for NHSmail. This is version {} of the request.",
                facts.application_name, facts.version
            ),
        )
    };
    let body = format!(
        "{opening}\n\
         \n\
         Application: {application}\n\
         Organisation: {organisation}\n\
         Version: {version}\n\
         \n\
         What happens next\n\
         \n\
         A reviewer will check the request. We will email you when they approve it, reject it or ask for changes.\n\
         \n\
         You do not need to do anything now.\n\
         \n\
         {footer}",
        application = facts.application_name,
        version = facts.version,
        footer = footer(facts.reference, facts.page_url),
    );
    Notification {
        to: addresses(facts.submitter_email, facts.contacts, facts.reference),
        subject,
        body,
        reference: facts.reference.to_string(),
    }
}

/// The notice sent after a reviewer decides; its wording follows the status the decision led to.
pub fn decision(facts: &DecisionNotice<'_>) -> Notification {
    let name = facts.application_name;
    let reason = facts
        .reason
        .map(str::trim)
        .filter(|reason| !reason.is_empty());
    let (headline, text) = match facts.status {
        "awaiting_second_approval" => (
            "first approval given",
            format!(
                "A reviewer has approved the request to register {name}.\n\
                 \n\
                 A second reviewer must also approve it, because it asks for app-only access to mailboxes. \
                 This access lets the application read or send mail without a person signing in, so two reviewers check it.\n\
                 \n\
                 What happens next\n\
                 \n\
                 We will email you when the second reviewer has decided. You do not need to do anything now."
            ),
        ),
        "approved" => (
            "request approved",
            format!(
                "The request to register {name} has been approved.\n\
                 \n\
                 What happens next\n\
                 \n\
                 You can now download the signed registration record from the request page."
            ),
        ),
        "changes_requested" => (
            "changes needed",
            format!(
                "A reviewer has asked for changes to the request to register {name}.\n\
                 \n\
                 What the reviewer said:\n\
                 \n\
                 {reason}\n\
                 \n\
                 What you need to do\n\
                 \n\
                 Sign in and open the request from the link below. Change what the reviewer asked for, then submit the request again. \
                 A reviewer will check it again after you submit it.",
                reason = quoted(reason.unwrap_or("No reason was given.")),
            ),
        ),
        "rejected" => (
            "request rejected",
            format!(
                "The request to register {name} has been rejected.\n\
                 \n\
                 Why it was rejected:\n\
                 \n\
                 {reason}\n\
                 \n\
                 What happens next\n\
                 \n\
                 This request is closed. If you still need to register the application, fix the problem and submit a new request.",
                reason = quoted(reason.unwrap_or("No reason was given.")),
            ),
        ),
        other => (
            "status changed",
            format!(
                "The status of the request to register {name} is now: {}.",
                other.replace('_', " ")
            ),
        ),
    };
    // A reviewer's note on an approval is worth passing on; reject and changes already quote it.
    let note = match (facts.status, reason) {
        ("approved" | "awaiting_second_approval", Some(reason)) => {
            format!("\n\nThe reviewer added this note:\n\n{}", quoted(reason))
        }
        _ => String::new(),
    };
    let body = format!(
        "{text}{note}\n\
         \n\
         Application: {name}\n\
         Version: {version}\n\
         \n\
         {footer}",
        version = facts.version,
        footer = footer(facts.reference, facts.page_url),
    );
    Notification {
        to: addresses(facts.submitter_email, facts.contacts, facts.reference),
        subject: format!("{}: {headline}", facts.reference),
        body,
        reference: facts.reference.to_string(),
    }
}
