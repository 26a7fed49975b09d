//! Email notifications: a receipt when a request is stored, a notice when a reviewer decides.
//!
//! Messages are plain text. Without an SMTP server they are written to the outbox directory, one
//! `.eml` file a message, so a desk without mail still keeps every message it would have sent.
//! With one, a message sent in the background waits in the mail queue until the server takes
//! it (`crate::mail_queue`).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, SmtpUrl};

/// How messages leave the desk.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    reviewer_notices: crate::reviewer_notices::ReviewerNotices,
    /// Arrivals waiting for the reviewers to be read (`reviewer_notices::arrived`).
    pending_arrivals: crate::reviewer_notices::PendingArrivals,
}

enum Transport {
    /// The outbox directory (0700); each message one `.eml` file (0600).
    Outbox(Outbox),
    Smtp(Smtp),
}

/// An SMTP server, and the queue of messages waiting for it.
struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Writes the queued files (`crate::mail_queue`), as the outbox writes its messages.
    queue: Outbox,
    /// Told when a message was queued; the delivery ends when the mailer (its other owner) is
    /// dropped.
    wake: Arc<tokio::sync::Notify>,
    /// Whether this mailer's delivery has started.
    delivering: std::sync::Once,
}

/// What the outbox's thread is given.
enum OutboxJob {
    /// A message, and what to do with the outcome.
    Write(Vec<u8>, Written),
    /// Answer once every message given before is written ([`Outbox::flush`]).
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Who hears whether a message was written.
enum Written {
    /// A caller waiting for it ([`Mailer::send`]).
    Answer(tokio::sync::oneshot::Sender<anyhow::Result<()>>),
    /// Nobody: a failure is logged with the message's reference ([`Mailer::send_in_background`]).
    Log(String),
    /// The mail queue's delivery, woken once the message is queued (a failure is logged).
    Queued(String, Arc<tokio::sync::Notify>),
}

impl Written {
    fn tell(self, outcome: anyhow::Result<()>) {
        match self {
            // The caller may have gone away; the message is written all the same.
            Written::Answer(caller) => {
                let _ = caller.send(outcome);
            }
            Written::Log(reference) => match outcome {
                Ok(()) => tracing::info!(%reference, "email sent"),
                Err(error) => {
                    tracing::error!(%reference, error = %format!("{error:#}"), "email not sent");
                }
            },
            Written::Queued(reference, wake) => match outcome {
                Ok(()) => wake.notify_one(),
                Err(error) => {
                    tracing::error!(%reference, error = %format!("{error:#}"), "email not queued");
                }
            },
        }
    }
}

/// The outbox: one thread of its own writes the messages, one after another. Written from the
/// blocking pool instead, a message each on whichever thread was free, concurrent file creations
/// in the one directory contended for its lock (docs/performance.md, "The receipts' outbox").
/// Its queue is short: when the thread falls behind, a message is written from the blocking
/// pool, by at most [`OVERFLOW_WRITERS`] at a time; when those are busy too, the message waits
/// for one, and so does whoever sent it. Files are then made as fast as the file system
/// allows and no faster: the waiting is what bounds the messages held in memory, and the
/// threads writing them (unbounded, a slow disk once had 260 threads writing and the desk's
/// memory past 64 MB). The thread ends when the mailer is dropped.
struct Outbox {
    dir: PathBuf,
    /// The files' extension: `eml` in the outbox, `mail` in the mail queue.
    extension: &'static str,
    messages: std::sync::mpsc::SyncSender<OutboxJob>,
    overflow: Arc<tokio::sync::Semaphore>,
    overflow_writers: u32,
}

/// How many messages wait for the outbox's thread at most.
const OUTBOX_QUEUE: usize = 64;

/// How many messages the blocking pool writes at once when the outbox's thread is behind.
const OVERFLOW_WRITERS: u32 = 4;

/// The mail queue's directory, under the data directory (`crate::mail_queue`).
pub const MAIL_QUEUE_DIR: &str = "mail-queue";

impl Outbox {
    /// Starts the writer's thread: `queue` messages may wait for it, `overflow_writers` more
    /// are written from the blocking pool at once (the desk uses [`OUTBOX_QUEUE`] and
    /// [`OVERFLOW_WRITERS`]; tests make the outbox fall behind with fewer).
    fn start(
        dir: PathBuf,
        extension: &'static str,
        queue: usize,
        overflow_writers: u32,
    ) -> anyhow::Result<Outbox> {
        let (messages, queue) = std::sync::mpsc::sync_channel::<OutboxJob>(queue);
        let thread_dir = dir.clone();
        std::thread::Builder::new()
            .name("appreg-outbox".to_string())
            .spawn(move || {
                for job in queue {
                    match job {
                        OutboxJob::Write(bytes, written) => {
                            written.tell(write_to_outbox(&thread_dir, &bytes, extension));
                        }
                        OutboxJob::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            })
            .context("cannot start the outbox writer")?;
        Ok(Outbox {
            dir,
            extension,
            messages,
            overflow: Arc::new(tokio::sync::Semaphore::new(overflow_writers as usize)),
            overflow_writers,
        })
    }

    /// Hands `bytes` to a writer: returns once one has taken it (see the type's comment). The
    /// message is written even if the caller goes away meanwhile (a handler is dropped when its
    /// client disconnects, after its request was stored): the wait for an overflow writer is a
    /// task of its own, which the caller only waits for.
    async fn put(&self, bytes: Vec<u8>, written: Written) {
        match self.messages.try_send(OutboxJob::Write(bytes, written)) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(job)) => {
                let OutboxJob::Write(bytes, written) = job else {
                    return;
                };
                let (overflow, dir, extension) =
                    (Arc::clone(&self.overflow), self.dir.clone(), self.extension);
                let (taken, taken_by_writer) = tokio::sync::oneshot::channel::<()>();
                tokio::spawn(async move {
                    let Ok(turn) = overflow.acquire_owned().await else {
                        written.tell(Err(anyhow::anyhow!("the outbox has stopped")));
                        return;
                    };
                    let _ = taken.send(());
                    tokio::task::spawn_blocking(move || {
                        written.tell(write_to_outbox(&dir, &bytes, extension));
                        drop(turn);
                    });
                });
                // Dropped unsent (the task ended): nothing left to wait for either.
                let _ = taken_by_writer.await;
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(job)) => {
                if let OutboxJob::Write(_, written) = job {
                    written.tell(Err(anyhow::anyhow!("the outbox writer has stopped")));
                }
            }
        }
    }

    /// Returns once every message put before is written (or failed): for a command that is about
    /// to exit, which would otherwise lose what is still queued for the writers.
    async fn flush(&self) {
        // No writer of the blocking pool is at work once all their turns are free.
        if let Ok(turns) = self.overflow.acquire_many(self.overflow_writers).await {
            drop(turns);
        }
        // The thread answers once it has written everything queued before (the queue may be
        // full: waited for off the async workers).
        let (done, written) = tokio::sync::oneshot::channel();
        let messages = self.messages.clone();
        let handed =
            tokio::task::spawn_blocking(move || messages.send(OutboxJob::Flush(done)).is_ok())
                .await;
        if handed.unwrap_or(false) {
            let _ = written.await;
        }
    }

    /// Writes `bytes` and returns once it is written.
    async fn write(&self, bytes: Vec<u8>) -> anyhow::Result<()> {
        let (caller, answer) = tokio::sync::oneshot::channel();
        self.put(bytes, Written::Answer(caller)).await;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the outbox writer stopped before writing"))?
    }
}

impl Mailer {
    /// From the configuration (outbox dir by default: <data_dir>/outbox, created if missing).
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let mailer = match &config.smtp_url {
            Some(url) => Mailer::smtp(url, &config.mail_from, config.data_dir.join(MAIL_QUEUE_DIR)),
            None => Mailer::outbox(&config.outbox_dir, &config.mail_from),
        }?;
        Ok(mailer.with_reviewer_notices(config.reviewer_notices))
    }

    /// The same mailer, telling reviewers of arrivals and withdrawals as `notices` says.
    pub fn with_reviewer_notices(
        mut self,
        notices: crate::reviewer_notices::ReviewerNotices,
    ) -> Mailer {
        self.reviewer_notices = notices;
        self
    }

    /// How reviewers are told of arrivals and withdrawals.
    pub fn reviewer_notices(&self) -> crate::reviewer_notices::ReviewerNotices {
        self.reviewer_notices
    }

    /// Arrivals waiting for the reviewers to be read.
    pub fn pending_arrivals(&self) -> &crate::reviewer_notices::PendingArrivals {
        &self.pending_arrivals
    }

    /// An outbox mailer writing to `dir` (tests use this).
    pub fn outbox(dir: impl Into<PathBuf>, from: &str) -> anyhow::Result<Mailer> {
        let dir = dir.into();
        let from = parse_from(from)?;
        // Messages name people and their requests: owner-only, whatever the umask.
        crate::files::private_dir(&dir)
            .with_context(|| format!("cannot create the outbox directory {}", dir.display()))?;
        Ok(Mailer {
            transport: Transport::Outbox(Outbox::start(
                dir,
                "eml",
                OUTBOX_QUEUE,
                OVERFLOW_WRITERS,
            )?),
            from,
            reviewer_notices: crate::reviewer_notices::ReviewerNotices::default(),
            pending_arrivals: Default::default(),
        })
    }

    /// A mailer sending through the SMTP server at `url`, its messages sent in the background
    /// queued in `queue_dir` until the server takes them (`crate::mail_queue`).
    pub fn smtp(url: &SmtpUrl, from: &str, queue_dir: PathBuf) -> anyhow::Result<Mailer> {
        let from = parse_from(from)?;
        let transport = smtp_transport(url)?;
        // Messages name people and their requests: owner-only, whatever the umask.
        crate::files::private_dir(&queue_dir).with_context(|| {
            format!(
                "cannot create the mail queue's directory {}",
                queue_dir.display()
            )
        })?;
        Ok(Mailer {
            transport: Transport::Smtp(Smtp {
                transport,
                queue: Outbox::start(
                    queue_dir,
                    crate::mail_queue::EXTENSION,
                    OUTBOX_QUEUE,
                    OVERFLOW_WRITERS,
                )?,
                wake: Arc::new(tokio::sync::Notify::new()),
                delivering: std::sync::Once::new(),
            }),
            from,
            reviewer_notices: crate::reviewer_notices::ReviewerNotices::default(),
            pending_arrivals: Default::default(),
        })
    }

    /// Sends one message now (outbox: writes one .eml file; SMTP: delivers).
    pub async fn send(&self, notification: &Notification) -> anyhow::Result<()> {
        let message = self.message(notification)?;
        match &self.transport {
            Transport::Outbox(outbox) => {
                outbox
                    .write(message.formatted())
                    .await
                    .context("cannot write the message to the outbox")?;
            }
            Transport::Smtp(smtp) => {
                smtp.transport
                    .send(message)
                    .await
                    .context("cannot send the message through the SMTP server")?;
            }
        }
        tracing::info!(reference = %notification.reference, subject = %notification.subject, "email sent");
        Ok(())
    }

    /// Sends without waiting for the message to be sent; a failure is logged (reference +
    /// error, never the body), not returned: a stored submission or decision must not fail
    /// because mail is down. Returns once a writer has taken the message, which is at once
    /// unless the writers are behind (see [`Outbox`]): to the outbox, it is written there; by
    /// SMTP, it is written to the mail queue and delivered from there ([`Mailer::start_delivery`]),
    /// tried again while the server is down (`crate::mail_queue`).
    pub async fn send_in_background(self: &Arc<Self>, notification: Notification) {
        let message = self.message(&notification);
        match &self.transport {
            Transport::Outbox(outbox) => {
                let written = Written::Log(notification.reference);
                match message {
                    Ok(message) => outbox.put(message.formatted(), written).await,
                    Err(error) => written.tell(Err(error)),
                }
            }
            Transport::Smtp(smtp) => {
                let written =
                    Written::Queued(notification.reference.clone(), Arc::clone(&smtp.wake));
                match message.and_then(|message| {
                    crate::mail_queue::queued_bytes(&notification.reference, &message)
                }) {
                    Ok(bytes) => smtp.queue.put(bytes, written).await,
                    Err(error) => written.tell(Err(error)),
                }
            }
        }
    }

    /// Starts delivering the mail queue in the background (by SMTP; nothing to do for the
    /// outbox): what an earlier run left in it first, then each message as it is queued. The
    /// server starts it as it starts; a command that exits does not (it would leave a message
    /// half sent), and calls [`Mailer::finish`] instead. Once only; it ends with the mailer.
    pub fn start_delivery(&self) {
        if let Transport::Smtp(smtp) = &self.transport {
            smtp.delivering.call_once(|| {
                crate::mail_queue::spawn(
                    crate::mail_queue::Delivery::new(
                        smtp.transport.clone(),
                        smtp.queue.dir.clone(),
                    ),
                    Arc::clone(&smtp.wake),
                );
            });
        }
    }

    /// For a command about to exit (`appreg schedule run`): returns once every message sent in
    /// the background so far is written to the outbox or the mail queue, and, by SMTP, after one
    /// try of delivering the queue (what is not sent stays queued for the server's delivery).
    pub async fn finish(&self) {
        match &self.transport {
            Transport::Outbox(outbox) => outbox.flush().await,
            Transport::Smtp(smtp) => {
                smtp.queue.flush().await;
                crate::mail_queue::Delivery::new(smtp.transport.clone(), smtp.queue.dir.clone())
                    .pass()
                    .await;
            }
        }
    }

    fn message(&self, notification: &Notification) -> anyhow::Result<Message> {
        let recipients = recipients(&notification.to, &notification.reference);
        if recipients.is_empty() {
            bail!("no valid recipient address for {}", notification.reference);
        }
        let mut builder = Message::builder()
            .from(self.from.clone())
            .message_id(Some(message_id(&notification.reference, &self.from)?));
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

/// Writes one message into the outbox as `<unix time>-<random>.<extension>`, mode 0600. It is
/// written under a hidden temporary name and renamed, so a relay reading `*.eml` (or the mail
/// queue's delivery) never sees half a message.
fn write_to_outbox(dir: &std::path::Path, bytes: &[u8], extension: &str) -> anyhow::Result<()> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).context("cannot name the outbox file")?;
    let random: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let name = format!(
        "{}-{random}.{extension}",
        time::OffsetDateTime::now_utc().unix_timestamp()
    );
    let temporary = dir.join(format!(".{name}.tmp"));
    // Not synced: like the message sent by SMTP, it is lost in a power cut just after, and
    // syncing each one would cost a disk flush per submission.
    crate::files::write_new_private_unsynced(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, dir.join(&name))
        .with_context(|| format!("cannot move {} into place", temporary.display()))
}

/// `<reference.random@sender's domain>`: unique, and it names the desk rather than the host it runs on.
fn message_id(reference: &str, from: &Mailbox) -> anyhow::Result<String> {
    let mut random = [0u8; 12];
    getrandom::fill(&mut random).context("cannot make a Message-ID")?;
    let random: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let reference: String = reference
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Ok(format!("<{reference}.{random}@{}>", from.email.domain()))
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
    // A password sent without TLS (or with STARTTLS that an attacker on the path can strip)
    // crosses the network readable by anyone on the way.
    let tls_required = scheme == "smtps"
        || text.split_once('?').is_some_and(|(_, query)| {
            form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "tls" && v == "required")
        });
    if authority.contains('@') && !tls_required {
        bail!(
            "the SMTP URL '{shown}' has a user name and password but does not require TLS, so the password would cross the network in clear: use smtps://user:password@host:465, or add ?tls=required for STARTTLS"
        );
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
    /// Where the signed record went in the desk's log.
    pub log_entry: LogPosition<'a>,
}

/// An entry of the desk's tamper-evident log, as an email names it: anyone can later check
/// that the log still holds it (`appreg log verify --checkpoint`, docs/security.md).
#[derive(Debug, Clone, Copy)]
pub struct LogPosition<'a> {
    /// The entry's sequence number.
    pub seq: i64,
    /// Its `entry_hash` (hex SHA-256).
    pub hash: &'a str,
}

/// Facts for a decision notice.
pub struct DecisionNotice<'a> {
    /// The request's reference.
    pub reference: &'a str,
    /// The version decided on.
    pub version: i64,
    /// The application's name.
    pub application_name: &'a str,
    /// What was decided.
    pub decision: registration::lifecycle::Decision,
    /// The status after the decision.
    pub status: registration::lifecycle::Status,
    /// The reviewer's reason (required for reject and request_changes).
    pub reason: Option<&'a str>,
    /// Who submitted the version decided on.
    pub submitter_email: &'a str,
    /// The request's contacts.
    pub contacts: &'a [registration::Contact],
    /// The request's page on the desk.
    pub page_url: &'a str,
    /// Where the signed decision went in the desk's log.
    pub log_entry: LogPosition<'a>,
}

const SIGNATURE: &str = "NHSmail application registration desk";

fn footer(reference: &str, page_url: &str, entry: LogPosition<'_>) -> String {
    format!(
        "Reference: {reference}\n\
         Quote this reference if you contact us about this request.\n\
         \n\
         View the request:\n\
         {page_url}\n\
         \n\
         Log entry: {seq}\n\
         Entry hash: {hash}\n\
         This is where the desk's tamper-evident log holds this step. Keep it: anyone can check later that the log still holds it unchanged.\n\
         \n\
         You are getting this email because you submitted this request or are named as a contact on it.\n\
         \n\
         {SIGNATURE}\n",
        seq = entry.seq,
        hash = entry.hash,
    )
}

/// Quotes a reviewer's reason as an indented block, so it stands apart from the desk's own words.
pub(crate) fn quoted(reason: &str) -> String {
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
        footer = footer(facts.reference, facts.page_url, facts.log_entry),
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
    // A reviewer's note on an approval is worth passing on; reject and changes quote it as the reason.
    let note = reason.map_or(String::new(), |reason| {
        format!("The reviewer added this note:\n\n{}\n\n", quoted(reason))
    });
    use registration::lifecycle::Status;
    let (headline, text) = match facts.status {
        Status::AwaitingSecondApproval => (
            "first approval given",
            format!(
                "A reviewer has approved the request to register {name}.\n\
                 \n\
                 A second reviewer must also approve it, because it asks for app-only access to mailboxes. \
                 This access lets the application read or send mail without a person signing in, so two reviewers check it.\n\
                 \n\
                 {note}\
                 What happens next\n\
                 \n\
                 We will email you when the second reviewer has decided. You do not need to do anything now."
            ),
        ),
        Status::Approved => (
            "request approved",
            format!(
                "The request to register {name} has been approved.\n\
                 \n\
                 {note}\
                 What happens next\n\
                 \n\
                 You can now download the signed registration record from the request page."
            ),
        ),
        Status::ChangesRequested => (
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
        Status::Rejected => (
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
        // A decision leads to one of the four above; any other status is stated in words.
        other => (
            "status changed",
            format!(
                "The status of the request to register {name} is now: {}.",
                other.text().to_lowercase()
            ),
        ),
    };
    let body = format!(
        "{text}\n\
         \n\
         Application: {name}\n\
         Version: {version}\n\
         \n\
         {footer}",
        version = facts.version,
        footer = footer(facts.reference, facts.page_url, facts.log_entry),
    );
    Notification {
        to: addresses(facts.submitter_email, facts.contacts, facts.reference),
        subject: format!("{}: {headline}", facts.reference),
        body,
        reference: facts.reference.to_string(),
    }
}

/// Facts for the notice that an application is live. It never carries the client secret: the
/// email says where to see it, and until when.
pub struct ImplementationNotice<'a> {
    /// The request's reference.
    pub reference: &'a str,
    /// The application's name.
    pub application_name: &'a str,
    /// The Application (client) ID.
    pub application_id: &'a str,
    /// The tenant.
    pub tenant_id: &'a str,
    /// Until when the Local Administrators can see the client secret, when one was issued.
    pub secret_visible_until: Option<&'a str>,
    /// For a renewal or change of the application made: which, and the version now live.
    pub made: Option<(registration::change::Purpose, i64)>,
    /// Who submitted the request.
    pub submitter_email: &'a str,
    /// The request's contacts.
    pub contacts: &'a [registration::Contact],
    /// The request's page on the desk.
    pub page_url: &'a str,
    /// Where the signed implementation went in the desk's log.
    pub log_entry: LogPosition<'a>,
}

/// The notice sent when a reviewer records the application as created in the tenant.
pub fn implementation(facts: &ImplementationNotice<'_>) -> Notification {
    let name = facts.application_name;
    let secret = match facts.secret_visible_until {
        Some(until) => format!(
            "Client secret\n\
             \n\
             A client secret was issued. For security it is not in this email. A Local Administrator of your organisation can see it on the request page until {until} (72 hours). \
             After that it is destroyed and cannot be shown again: copy it into the application's configuration before then.\n\
             \n"
        ),
        None => String::new(),
    };
    let headline = match facts.made {
        None => format!("The application {name} has been created in NHSmail and is now live."),
        Some((purpose, version)) => format!(
            "The {what} of the application {name} has been made in NHSmail: version {version} is now live. \
             Deploy its new credentials, then stop using the ones it replaced (the request page lists them until they expire).",
            what = match purpose {
                registration::change::Purpose::Renewal => "renewal",
                registration::change::Purpose::Change => "change",
            }
        ),
    };
    let body = format!(
        "{headline}\n\
         \n\
         Application (client) ID: {application_id}\n\
         Tenant ID: {tenant_id}\n\
         Authorisation endpoint: {authorize}\n\
         Token endpoint: {token}\n\
         \n\
         {secret}\
         {footer}",
        application_id = facts.application_id,
        tenant_id = facts.tenant_id,
        authorize = registration::implementation::authorize_endpoint(facts.tenant_id),
        token = registration::implementation::token_endpoint(facts.tenant_id),
        footer = footer(facts.reference, facts.page_url, facts.log_entry),
    );
    Notification {
        to: addresses(facts.submitter_email, facts.contacts, facts.reference),
        subject: match facts.made {
            None => format!("{}: application live", facts.reference),
            Some((registration::change::Purpose::Renewal, _)) => {
                format!("{}: renewal made", facts.reference)
            }
            Some((registration::change::Purpose::Change, _)) => {
                format!("{}: change made", facts.reference)
            }
        },
        body,
        reference: facts.reference.to_string(),
    }
}

/// Facts for the notice of a step of a registered application's deletion or recovery.
pub struct StepNotice<'a> {
    /// The application's reference.
    pub reference: &'a str,
    /// Its name.
    pub application_name: &'a str,
    /// The requesting organisation.
    pub ods_code: &'a str,
    /// What was done.
    pub step: registration::lifecycle::Step,
    /// Who did it (`None`: the desk's scheduler).
    pub actor_email: Option<&'a str>,
    /// Why, when given.
    pub reason: Option<&'a str>,
    /// Until when the deleted application can be recovered ("10 February 2027 at 09:30 UTC").
    pub recoverable_until: Option<&'a str>,
    /// The organisation's Local Administrators, then the contacts (deduplicated).
    pub recipients: &'a [String],
    /// The application's page on the desk.
    pub page_url: &'a str,
    /// Where the signed step went in the desk's log.
    pub log_entry: LogPosition<'a>,
}

/// The notice of a deletion or recovery step, to the organisation's Local Administrators and the
/// application's contacts.
pub fn application_step(facts: &StepNotice<'_>) -> Notification {
    use registration::lifecycle::{RECOVERY_DAYS, Step};
    let name = facts.application_name;
    let who = facts.actor_email.unwrap_or("The desk");
    let reason = facts
        .reason
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(quoted);
    let recoverable = facts.recoverable_until.map_or(String::new(), |until| {
        format!(
            "It can be recovered until {until}: a Local Administrator of your organisation can ask for this on the application's page. \
             After that it is purged and a new registration is needed.\n"
        )
    });
    let (headline, text) = match facts.step {
        Step::RequestDeletion => (
            "deletion requested",
            format!(
                "{who} asked for the application {name} to be deleted.\n\
                 \n\
                 Why:\n\
                 \n\
                 {reason}\n\
                 \n\
                 What happens next\n\
                 \n\
                 A reviewer checks the request. Once they confirm it, NHSmail deletes the application and it can no longer sign in to NHSmail. \
                 It can then be recovered for {RECOVERY_DAYS} days. If this deletion was not expected, contact the desk now, quoting the reference below.",
                reason = reason.as_deref().unwrap_or("  No reason was given."),
            ),
        ),
        Step::ConfirmDeletion => (
            "application deleted",
            format!(
                "The application {name} has been deleted from NHSmail (confirmed by {who}). It can no longer sign in to NHSmail.\n\
                 \n\
                 {recoverable}"
            ),
        ),
        Step::DeclineDeletion => (
            "deletion declined",
            format!(
                "A reviewer ({who}) declined the request to delete the application {name}. It stays live and keeps working.\n\
                 \n\
                 What the reviewer said:\n\
                 \n\
                 {reason}\n",
                reason = reason.as_deref().unwrap_or("  No reason was given."),
            ),
        ),
        Step::RequestRecovery => (
            "recovery requested",
            format!(
                "{who} asked for the deleted application {name} to be recovered.\n\
                 {reason}\
                 \n\
                 What happens next\n\
                 \n\
                 A reviewer checks the request. Once they confirm it, the application is live again with the same Application (client) ID and credentials.\n\
                 \n\
                 {recoverable}",
                reason = reason.map_or(String::new(), |reason| format!("\nWhy:\n\n{reason}\n")),
            ),
        ),
        Step::ConfirmRecovery => (
            "application recovered",
            format!(
                "The application {name} has been recovered (confirmed by {who}). It is live again with the same Application (client) ID and credentials.\n\
                 \n\
                 Check that its certificates and client secrets have not expired meanwhile: the application's page lists them with their expiry.\n"
            ),
        ),
        Step::DeclineRecovery => (
            "recovery declined",
            format!(
                "A reviewer ({who}) declined the request to recover the application {name}. It stays deleted.\n\
                 \n\
                 What the reviewer said:\n\
                 \n\
                 {reason}\n\
                 \n\
                 {recoverable}",
                reason = reason.as_deref().unwrap_or("  No reason was given."),
            ),
        ),
        Step::WithdrawDeletion => (
            "deletion request withdrawn",
            format!(
                "{who} withdrew the request to delete the application {name}. It stays live and keeps working.\n"
            ),
        ),
        Step::WithdrawRecovery => (
            "recovery request withdrawn",
            format!(
                "{who} withdrew the request to recover the application {name}. It stays deleted.\n\
                 \n\
                 {recoverable}"
            ),
        ),
        Step::WithdrawRequest => (
            "request withdrawn",
            format!(
                "{who} withdrew the registration request for {name}. No reviewer will decide on it, and nothing changes in NHSmail.\n\
                 {reason}\
                 \n\
                 If your organisation still needs the application, start a new request from this one on its page.\n",
                reason = reason.map_or(String::new(), |reason| format!("\nWhy:\n\n{reason}\n")),
            ),
        ),
        Step::Purge => (
            "application purged",
            format!(
                "The application {name} was deleted more than {RECOVERY_DAYS} days ago and was not recovered, so it has been removed for good. \
                 It can no longer be recovered.\n\
                 \n\
                 If your organisation needs it again, submit a new registration request.\n"
            ),
        ),
    };
    let body = format!(
        "{text}\n\
         Application: {name}\n\
         Reference: {reference}\n\
         Quote this reference if you contact us about this application.\n\
         \n\
         View the application:\n\
         {page_url}\n\
         \n\
         Log entry: {seq}\n\
         Entry hash: {hash}\n\
         This is where the desk's tamper-evident log holds this step. Keep it: anyone can check later that the log still holds it unchanged.\n\
         \n\
         You are getting this email because you are a Local Administrator of {ods_code} or are named as a contact on this application.\n\
         \n\
         {SIGNATURE}\n",
        reference = facts.reference,
        page_url = facts.page_url,
        seq = facts.log_entry.seq,
        hash = facts.log_entry.hash,
        ods_code = facts.ods_code,
    );
    Notification {
        to: facts.recipients.to_vec(),
        subject: format!("{}: {headline}", facts.reference),
        body,
        reference: facts.reference.to_string(),
    }
}

/// The one-time link to set a new local password (`appreg user reset-password`), to the account's
/// own address only. `until` is when it stops working ("6 December 2026 at 14:30 UTC").
pub fn password_reset_link(email: &str, link: &str, until: &str) -> Notification {
    let body = format!(
        "Someone running the application registration desk asked for you to set a new password for your account, {email}.\n\
         \n\
         Set a new password:\n\
         {link}\n\
         \n\
         The link works once, until {until}. When you have set the password, every place you were signed in is signed out: sign in again with the new password.\n\
         \n\
         If you did not expect this, do not use the link, and tell the desk's administrators.\n\
         \n\
         {SIGNATURE}\n"
    );
    Notification {
        to: vec![email.to_string()],
        subject: "Set a new password for the application registration desk".to_string(),
        body,
        reference: "password reset".to_string(),
    }
}

/// The notice to the desk's reviewers that an organisation withdrew a request: nobody needs to
/// decide on it any more (a reviewer who claimed it, or gave its first approval, stops there).
pub fn withdrawal_to_reviewers(facts: &StepNotice<'_>, review_url: &str) -> Notification {
    let who = facts.actor_email.unwrap_or("A Local Administrator");
    let reason = facts
        .reason
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map_or(String::new(), |reason| {
            format!("\nWhy:\n\n{}\n", quoted(reason))
        });
    let body = format!(
        "{who} ({ods_code}) withdrew the registration request for {name}. It needs no decision any more: it has left the review queue.\n\
         {reason}\
         \n\
         Application: {name}\n\
         Reference: {reference}\n\
         \n\
         The request's page:\n\
         {review_url}\n\
         \n\
         Log entry: {seq}\n\
         Entry hash: {hash}\n\
         \n\
         You are getting this email because you are a reviewer on the desk.\n\
         \n\
         {SIGNATURE}\n",
        name = facts.application_name,
        ods_code = facts.ods_code,
        reference = facts.reference,
        seq = facts.log_entry.seq,
        hash = facts.log_entry.hash,
    );
    Notification {
        to: facts.recipients.to_vec(),
        subject: format!("{}: request withdrawn, no decision needed", facts.reference),
        body,
        reference: facts.reference.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "https://appreg.example.nhs.uk/registrations/AR-7K3M-Q9XD";

    fn contacts() -> Vec<registration::Contact> {
        vec![
            registration::Contact {
                name: "Jo Bloggs".into(),
                email: "jo.bloggs@nhs.net".into(),
            },
            registration::Contact {
                name: "Same as submitter".into(),
                email: "ALICE.ADMIN@nhs.net".into(),
            },
            registration::Contact {
                name: "Typo".into(),
                email: "jo.bloggs at nhs.net".into(),
            },
        ]
    }

    fn decided(decision: &str, status: &str, reason: Option<&str>) -> Notification {
        super::decision(&DecisionNotice {
            reference: "AR-7K3M-Q9XD",
            version: 3,
            application_name: "Ward Mail Connector",
            decision: registration::lifecycle::Decision::parse(decision).unwrap(),
            status: registration::lifecycle::Status::parse(status).unwrap(),
            reason,
            submitter_email: "alice.admin@nhs.net",
            contacts: &contacts(),
            page_url: PAGE,
            log_entry: ENTRY,
        })
    }

    fn received(version: i64, organisation_name: Option<&str>) -> Notification {
        receipt(&Receipt {
            reference: "AR-7K3M-Q9XD",
            version,
            application_name: "Ward Mail Connector",
            ods_code: "RX1",
            organisation_name,
            submitter_email: "alice.admin@nhs.net",
            contacts: &contacts(),
            page_url: PAGE,
            log_entry: ENTRY,
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_message_reaches_the_outbox_even_when_its_writer_falls_behind() {
        // Four times what the writer's queue holds, sent at once: those the queue cannot take
        // are written from the blocking pool; none is lost and each is one whole file.
        let dir = tempfile::tempdir().unwrap();
        let mailer = Arc::new(Mailer::outbox(dir.path(), "appreg@nhs.net").unwrap());
        let sends: Vec<_> = (0..OUTBOX_QUEUE * 4)
            .map(|n| {
                let mailer = Arc::clone(&mailer);
                tokio::spawn(async move {
                    mailer
                        .send(&received(i64::try_from(n).unwrap() + 1, None))
                        .await
                })
            })
            .collect();
        for send in sends {
            send.await.unwrap().unwrap();
        }
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), OUTBOX_QUEUE * 4);
        for file in files {
            assert_eq!(
                file.extension().and_then(|e| e.to_str()),
                Some("eml"),
                "{file:?}"
            );
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(text.contains("AR-7K3M-Q9XD"), "{file:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messages_sent_in_the_background_all_reach_the_outbox_when_it_is_behind() {
        // Four times the queue, at once: past the queue and the overflow's writers, a sender
        // waits for a writer instead of leaving the message to a thread of its own. Half the
        // senders give up waiting at once, as a handler is dropped when its client disconnects
        // after the request was stored: every message is still written once, whole.
        // A queue of one and one overflow writer, so that the outbox is behind at once.
        let dir = tempfile::tempdir().unwrap();
        let mailer = Arc::new(Mailer {
            transport: Transport::Outbox(
                Outbox::start(dir.path().to_path_buf(), "eml", 1, 1).unwrap(),
            ),
            ..Mailer::outbox(dir.path(), "appreg@nhs.net").unwrap()
        });
        let sends: Vec<_> = (0..OUTBOX_QUEUE * 4)
            .map(|n| {
                let mailer = Arc::clone(&mailer);
                tokio::spawn(async move {
                    let send =
                        mailer.send_in_background(received(i64::try_from(n).unwrap() + 1, None));
                    if n % 2 == 0 {
                        send.await;
                    } else {
                        let _ = tokio::time::timeout(std::time::Duration::ZERO, send).await;
                    }
                })
            })
            .collect();
        for send in sends {
            send.await.unwrap();
        }
        let written = || {
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().and_then(|e| e.to_str()) == Some("eml"))
                .collect::<Vec<_>>()
        };
        for _ in 0..500 {
            if written().len() == OUTBOX_QUEUE * 4 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let files = written();
        assert_eq!(files.len(), OUTBOX_QUEUE * 4);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(text.contains("AR-7K3M-Q9XD"), "{file:?}");
        }
    }

    const ENTRY: LogPosition<'static> = LogPosition {
        seq: 42,
        hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    };

    /// Every message ends with the reference to quote, the link, the log entry and the reason
    /// the reader got it.
    fn assert_footer(notification: &Notification) {
        assert!(
            notification.body.contains(&format!(
                "Reference: AR-7K3M-Q9XD\nQuote this reference if you contact us about this request.\n\nView the request:\n{PAGE}\n\nLog entry: 42\nEntry hash: {}\n",
                ENTRY.hash
            )),
            "{}",
            notification.body
        );
        assert_eq!(notification.reference, "AR-7K3M-Q9XD");
    }

    #[test]
    fn recipients_are_the_submitter_and_contacts_once_each_without_invalid_addresses() {
        assert_eq!(
            received(1, None).to,
            ["alice.admin@nhs.net", "jo.bloggs@nhs.net"]
        );
        assert_eq!(
            decided("approve", "approved", None).to,
            ["alice.admin@nhs.net", "jo.bloggs@nhs.net"]
        );
    }

    #[test]
    fn a_first_receipt_says_what_was_received_and_what_happens_next() {
        let notification = received(1, Some("Example Hospitals NHS Trust"));
        assert_eq!(notification.subject, "AR-7K3M-Q9XD: request received");
        assert!(notification.body.starts_with(
            "We have received your request to register Ward Mail Connector for NHSmail.\n\n\
             Application: Ward Mail Connector\n\
             Organisation: Example Hospitals NHS Trust (RX1)\n\
             Version: 1\n\n\
             What happens next\n\n\
             A reviewer will check the request. We will email you when they approve it, reject it or ask for changes.\n\n\
             You do not need to do anything now.\n\n"
        ), "{}", notification.body);
        assert_footer(&notification);
    }

    #[test]
    fn a_resubmission_receipt_names_the_new_version() {
        let notification = received(2, None);
        assert_eq!(
            notification.subject,
            "AR-7K3M-Q9XD: changed request received"
        );
        assert!(notification.body.starts_with(
            "We have received the changes to your request to register Ward Mail Connector for NHSmail. This is version 2 of the request.\n"
        ), "{}", notification.body);
        assert!(notification.body.contains("Organisation: RX1\n"));
        assert_footer(&notification);
    }

    #[test]
    fn a_first_approval_says_a_second_reviewer_must_approve_app_only_mailbox_access() {
        let notification = decided("approve", "awaiting_second_approval", None);
        assert_eq!(notification.subject, "AR-7K3M-Q9XD: first approval given");
        assert!(notification.body.starts_with(
            "A reviewer has approved the request to register Ward Mail Connector.\n\n\
             A second reviewer must also approve it, because it asks for app-only access to mailboxes."
        ), "{}", notification.body);
        assert!(notification.body.contains(
            "What happens next\n\nWe will email you when the second reviewer has decided. You do not need to do anything now.\n"
        ));
        assert!(!notification.body.contains("note"));
        assert_footer(&notification);
    }

    #[test]
    fn an_approval_points_to_the_signed_record_and_passes_on_a_note() {
        let notification = decided(
            "approve",
            "approved",
            Some("Checked with the ward manager."),
        );
        assert_eq!(notification.subject, "AR-7K3M-Q9XD: request approved");
        assert!(
            notification.body.starts_with(
                "The request to register Ward Mail Connector has been approved.\n\n\
             The reviewer added this note:\n\n  Checked with the ward manager.\n\n\
             What happens next\n\n\
             You can now download the signed registration record from the request page.\n\n\
             Application: Ward Mail Connector\nVersion: 3\n"
            ),
            "{}",
            notification.body
        );
        assert_footer(&notification);
    }

    #[test]
    fn a_request_for_changes_quotes_the_reason_and_says_how_to_resubmit() {
        let notification = decided(
            "request_changes",
            "changes_requested",
            Some("Use https for the redirect URI.\nName a second contact."),
        );
        assert_eq!(notification.subject, "AR-7K3M-Q9XD: changes needed");
        assert!(notification.body.starts_with(
            "A reviewer has asked for changes to the request to register Ward Mail Connector.\n\n\
             What the reviewer said:\n\n\
             \x20 Use https for the redirect URI.\n\
             \x20 Name a second contact.\n\n\
             What you need to do\n\n\
             Sign in and open the request from the link below. Change what the reviewer asked for, then submit the request again. \
             A reviewer will check it again after you submit it.\n"
        ), "{}", notification.body);
        assert_footer(&notification);
    }

    #[test]
    fn a_rejection_quotes_the_reason_and_says_the_request_is_closed() {
        let notification = decided(
            "reject",
            "rejected",
            Some("This is not an NHS application."),
        );
        assert_eq!(notification.subject, "AR-7K3M-Q9XD: request rejected");
        assert!(notification.body.starts_with(
            "The request to register Ward Mail Connector has been rejected.\n\n\
             Why it was rejected:\n\n  This is not an NHS application.\n\n\
             What happens next\n\n\
             This request is closed. If you still need to register the application, fix the problem and submit a new request.\n"
        ), "{}", notification.body);
        assert_footer(&notification);
    }

    #[test]
    fn each_status_has_its_own_subject_and_opening() {
        let notices = [
            decided("approve", "awaiting_second_approval", None),
            decided("approve", "approved", None),
            decided("request_changes", "changes_requested", Some("x")),
            decided("reject", "rejected", Some("x")),
        ];
        let subjects: HashSet<&str> = notices.iter().map(|n| n.subject.as_str()).collect();
        let openings: HashSet<&str> = notices
            .iter()
            .map(|n| n.body.lines().next().unwrap())
            .collect();
        assert_eq!(subjects.len(), notices.len());
        assert_eq!(openings.len(), notices.len());
    }

    #[test]
    fn an_unexpected_status_is_stated_in_words() {
        let notification = decided("approve", "deletion_requested", None);
        assert_eq!(notification.subject, "AR-7K3M-Q9XD: status changed");
        assert!(notification.body.starts_with(
            "The status of the request to register Ward Mail Connector is now: deletion requested.\n"
        ));
    }

    #[test]
    fn the_message_id_names_the_reference_and_the_senders_domain() {
        let from: Mailbox = "appreg@appreg.example.nhs.uk".parse().unwrap();
        let id = message_id("AR-7K3M-Q9XD", &from).unwrap();
        assert!(id.starts_with("<AR-7K3M-Q9XD."), "{id}");
        assert!(id.ends_with("@appreg.example.nhs.uk>"), "{id}");
        assert_ne!(id, message_id("AR-7K3M-Q9XD", &from).unwrap());
    }

    #[test]
    fn a_sender_that_is_not_an_address_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = Mailer::outbox(dir.path(), "appreg desk").err().unwrap();
        assert_eq!(
            error.to_string(),
            "the mail sender 'appreg desk' is not an email address (set mail_from, for example appreg@example.nhs.uk)"
        );
    }
}
