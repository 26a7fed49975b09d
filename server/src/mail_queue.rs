//! Mail for an SMTP server that survives the server being down, and the desk stopping.
//!
//! A message sent in the background (a receipt, a decision's notice) is written to the desk's
//! mail queue, `<data dir>/mail-queue`, one `.mail` file a message (its envelope on the first
//! line, then the message as it is sent), and delivered from there by one task of the desk's
//! own ([`spawn`]), which deletes the file once the SMTP server has accepted it. While the server
//! is down or answers "try again later" (a 4xx reply, a refused or dropped connection), the
//! message stays queued and is tried again after 1 s, 2 s, 4 s … up to every 10 minutes, and at
//! start (when the server cannot be reached at all, the oldest message is tried and the rest
//! wait behind it, rather than a connection timeout each); after [`GIVE_UP_AFTER`], or at once when the server refuses it for good (a 5xx reply:
//! no such mailbox, relaying denied), it is moved to `failed/` beside the queue and logged as an
//! error with its reference, for the desk's administrator. Before, a message that could not be
//! sent there and then was logged and lost.
//!
//! A file is claimed by renaming it (`.sending`) before it is sent, so two processes on one
//! queue (the server, and `appreg schedule run` from cron) never both send it; a claim left by a
//! process that stopped while sending is taken back after [`CLAIM_STALE_AFTER`]. A message is
//! therefore sent at least once, and twice only if a process stops between the server's
//! acceptance and the file's removal. Like the outbox's files, queued files are not synced: a
//! power cut just after a message was queued can lose it.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use lettre::address::{Address, Envelope};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// The queued files' extension.
pub(crate) const EXTENSION: &str = "mail";

/// How long a queued message is tried before it is moved to `failed/`.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// How long a claim (`.sending`) may be at work: sending one message takes at most a few
/// minutes (the SMTP client's timeouts); an older claim was left by a process that stopped.
pub const CLAIM_STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// The first wait before a message is tried again; it doubles with each failure.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// The longest wait between two tries of one message.
const LONGEST_RETRY: Duration = Duration::from_secs(10 * 60);

/// How often the queue is looked at with nothing else to wake it (messages queued by another
/// process, such as `appreg schedule run`).
const RESCAN: Duration = Duration::from_secs(60);

/// The first line of a queued file.
#[derive(Debug, Serialize, Deserialize)]
struct Head {
    /// The message's reference, for logs.
    reference: String,
    /// The envelope's sender (`MAIL FROM`).
    from: Option<String>,
    /// The envelope's recipients (`RCPT TO`).
    to: Vec<String>,
}

/// `message` as a queued file's bytes: its envelope and reference on the first line, then the
/// message as it is sent.
pub(crate) fn queued_bytes(reference: &str, message: &Message) -> anyhow::Result<Vec<u8>> {
    let envelope = message.envelope();
    let head = Head {
        reference: reference.to_string(),
        from: envelope.from().map(ToString::to_string),
        to: envelope.to().iter().map(ToString::to_string).collect(),
    };
    let mut bytes = serde_json::to_vec(&head).context("cannot queue the message")?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&message.formatted());
    Ok(bytes)
}

/// A queued file's reference, envelope and message.
fn parse(bytes: &[u8]) -> anyhow::Result<(String, Envelope, &[u8])> {
    let split = bytes
        .iter()
        .position(|&byte| byte == b'\n')
        .context("no envelope line")?;
    let head: Head = serde_json::from_slice(&bytes[..split]).context("the envelope line")?;
    let from = head
        .from
        .as_deref()
        .map(str::parse::<Address>)
        .transpose()
        .context("the envelope's sender")?;
    let to = head
        .to
        .iter()
        .map(|address| address.parse::<Address>())
        .collect::<Result<Vec<_>, _>>()
        .context("the envelope's recipients")?;
    let envelope = Envelope::new(from, to).context("the envelope")?;
    Ok((head.reference, envelope, &bytes[split + 1..]))
}

/// What one try of a message came to.
enum Outcome {
    /// Accepted by the server: the file is gone.
    Sent,
    /// Not now (a 4xx reply to this message): kept, to be tried again.
    Later,
    /// The server could not be reached or stopped answering: kept, to be tried again, and so
    /// are the messages after it (trying each would take a connection timeout apiece).
    Unreachable,
    /// Moved to `failed/`.
    Failed,
    /// Another process has it (or had it and is done).
    Taken,
}

/// Delivers the queue: what it tried, and when each failed message may be tried again.
pub(crate) struct Delivery {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    dir: PathBuf,
    /// Messages that failed: how many times, and when to try again (kept in memory: after a
    /// restart every queued message is tried at once).
    retries: HashMap<OsString, (u32, Instant)>,
}

impl Delivery {
    pub(crate) fn new(transport: AsyncSmtpTransport<Tokio1Executor>, dir: PathBuf) -> Delivery {
        Delivery {
            transport,
            dir,
            retries: HashMap::new(),
        }
    }

    /// Tries each queued message that is due, oldest first; returns how long until the next
    /// one waiting to be tried again is due, if any.
    pub(crate) async fn pass(&mut self) -> Option<Duration> {
        let names = match queued(&self.dir) {
            Ok(names) => names,
            Err(error) => {
                tracing::error!(dir = %self.dir.display(), error = %format!("{error:#}"), "cannot read the mail queue");
                return Some(LONGEST_RETRY);
            }
        };
        let present: std::collections::HashSet<&OsString> = names.iter().collect();
        self.retries.retain(|name, _| present.contains(name));
        let mut next: Option<Instant> = None;
        for name in names {
            let now = Instant::now();
            if let Some(&(_, due)) = self.retries.get(&name)
                && due > now
            {
                next = Some(next.map_or(due, |next| next.min(due)));
                continue;
            }
            match self.try_one(&name).await {
                Outcome::Sent | Outcome::Failed | Outcome::Taken => {
                    self.retries.remove(&name);
                }
                outcome @ (Outcome::Later | Outcome::Unreachable) => {
                    let (attempts, due) = self.retries.entry(name).or_insert((0, now));
                    *attempts += 1;
                    *due = Instant::now() + retry_after(*attempts);
                    next = Some(next.map_or(*due, |next| next.min(*due)));
                    if matches!(outcome, Outcome::Unreachable) {
                        // The oldest message waiting is tried first when it is due again.
                        break;
                    }
                }
            }
        }
        next.map(|next| next.saturating_duration_since(Instant::now()))
    }

    /// Claims, sends and removes one queued file.
    async fn try_one(&self, name: &OsString) -> Outcome {
        let queued = self.dir.join(name);
        let claimed = sending_path(&queued);
        // The claim: whoever renames the file sends it.
        match std::fs::rename(&queued, &claimed) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Outcome::Taken,
            Err(error) => {
                tracing::error!(file = %queued.display(), error = %error, "cannot claim a queued message");
                return Outcome::Later;
            }
        }
        let bytes = match std::fs::read(&claimed) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(file = %claimed.display(), error = %error, "cannot read a queued message");
                give_back(&claimed, &queued);
                return Outcome::Later;
            }
        };
        let (reference, envelope, message) = match parse(&bytes) {
            Ok(parsed) => parsed,
            Err(error) => {
                tracing::error!(file = %queued.display(), error = %format!("{error:#}"), "a queued message cannot be read as one; moved to failed/");
                move_to_failed(&self.dir, &claimed, name);
                return Outcome::Failed;
            }
        };
        match self.transport.send_raw(&envelope, message).await {
            Ok(_) => {
                if let Err(error) = std::fs::remove_file(&claimed) {
                    tracing::error!(%reference, file = %claimed.display(), error = %error, "email sent, but its queued file could not be removed");
                }
                tracing::info!(%reference, "email sent");
                Outcome::Sent
            }
            Err(error) if error.is_permanent() => {
                tracing::error!(%reference, error = %error, "email refused by the SMTP server; moved to failed/ in the mail queue");
                move_to_failed(&self.dir, &claimed, name);
                Outcome::Failed
            }
            Err(error) => {
                let age = std::fs::metadata(&claimed)
                    .and_then(|metadata| metadata.modified())
                    .ok()
                    .and_then(|written| SystemTime::now().duration_since(written).ok())
                    .unwrap_or_default();
                if age > GIVE_UP_AFTER {
                    tracing::error!(%reference, error = %error, "email not sent for three days; moved to failed/ in the mail queue");
                    move_to_failed(&self.dir, &claimed, name);
                    return Outcome::Failed;
                }
                tracing::warn!(%reference, error = %error, "email not sent yet; kept in the mail queue to be tried again");
                give_back(&claimed, &queued);
                // A reply about this message, or no reply at all (the server is down).
                if error.is_transient() {
                    Outcome::Later
                } else {
                    Outcome::Unreachable
                }
            }
        }
    }
}

/// The wait before the `attempts`+1-th try: 1 s, 2 s, 4 s … at most [`LONGEST_RETRY`].
fn retry_after(attempts: u32) -> Duration {
    FIRST_RETRY
        .saturating_mul(1 << attempts.saturating_sub(1).min(16))
        .min(LONGEST_RETRY)
}

/// `<name>.sending`: a queued file while it is being sent.
fn sending_path(queued: &Path) -> PathBuf {
    let mut name = queued.as_os_str().to_owned();
    name.push(".sending");
    PathBuf::from(name)
}

/// The queue's messages, oldest first (their names start with the time they were queued);
/// claims older than [`CLAIM_STALE_AFTER`] are given back first.
fn queued(dir: &Path) -> anyhow::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if text.starts_with('.') {
            continue;
        }
        if let Some(queued) = text.strip_suffix(".sending") {
            if is_stale_claim(&entry.path()) {
                let queued = OsString::from(queued);
                give_back(&entry.path(), &dir.join(&queued));
                names.push(queued);
            }
            continue;
        }
        if text.ends_with(&format!(".{EXTENSION}")) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Whether the claim at `path` was made longer ago than [`CLAIM_STALE_AFTER`] (renaming a file
/// sets its change time).
fn is_stale_claim(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    let claimed_at = std::time::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(metadata.ctime()).unwrap_or_default());
    SystemTime::now()
        .duration_since(claimed_at)
        .is_ok_and(|age| age > CLAIM_STALE_AFTER)
}

/// Returns a claimed file to the queue.
fn give_back(claimed: &Path, queued: &Path) {
    if let Err(error) = std::fs::rename(claimed, queued) {
        tracing::error!(file = %claimed.display(), error = %error, "cannot return a message to the mail queue");
    }
}

/// Moves a claimed file to `failed/` under its queued name.
fn move_to_failed(dir: &Path, claimed: &Path, name: &OsString) {
    let failed = dir.join("failed");
    let moved = crate::files::private_dir(&failed)
        .and_then(|()| std::fs::rename(claimed, failed.join(name)).map_err(Into::into));
    if let Err(error) = moved {
        tracing::error!(file = %claimed.display(), error = %format!("{error:#}"), "cannot move a message to failed/ in the mail queue");
    }
}

/// Delivers the queue in the background until `wake` has no other owner (the mailer is gone):
/// at once, whenever `wake` is notified (a message was queued), when a failed message is due
/// again, and every minute.
pub(crate) fn spawn(mut delivery: Delivery, wake: Arc<tokio::sync::Notify>) {
    tokio::spawn(async move {
        while Arc::strong_count(&wake) > 1 {
            let wait = delivery.pass().await.map_or(RESCAN, |due| due.min(RESCAN));
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_again_after_1_2_4_seconds_and_at_most_every_10_minutes() {
        let waits: Vec<u64> = (1..=12).map(|n| retry_after(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(retry_after(u32::MAX), LONGEST_RETRY);
    }

    #[tokio::test]
    async fn a_server_that_cannot_be_reached_is_tried_once_a_pass_not_once_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let message = Message::builder()
            .from("appreg@example.nhs.uk".parse().unwrap())
            .to("jo.bloggs@nhs.net".parse().unwrap())
            .subject("AR-7K3M-Q9XD: request received")
            .body("Reference: AR-7K3M-Q9XD\n".to_string())
            .unwrap();
        for n in 0..3 {
            std::fs::write(
                dir.path().join(format!("1796524647-{n}.{EXTENSION}")),
                queued_bytes("AR-7K3M-Q9XD", &message).unwrap(),
            )
            .unwrap();
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .build();
        let mut delivery = Delivery::new(transport, dir.path().to_path_buf());

        let due = delivery
            .pass()
            .await
            .expect("a message waits to be tried again");

        assert!(due <= FIRST_RETRY, "{due:?}");
        let tried: Vec<_> = delivery.retries.keys().cloned().collect();
        assert_eq!(tried, [OsString::from(format!("1796524647-0.{EXTENSION}"))]);
        assert_eq!(queued(dir.path()).unwrap().len(), 3, "all kept");
    }

    #[test]
    fn a_queued_file_reads_back_as_its_envelope_and_message() {
        let message = Message::builder()
            .from("appreg@example.nhs.uk".parse().unwrap())
            .to("jo.bloggs@nhs.net".parse().unwrap())
            .to("sam@supplier.example".parse().unwrap())
            .subject("AR-7K3M-Q9XD: request received")
            .body("Reference: AR-7K3M-Q9XD\n".to_string())
            .unwrap();
        let bytes = queued_bytes("AR-7K3M-Q9XD", &message).unwrap();
        let (reference, envelope, sent) = parse(&bytes).unwrap();
        assert_eq!(reference, "AR-7K3M-Q9XD");
        assert_eq!(
            envelope.from().map(ToString::to_string).as_deref(),
            Some("appreg@example.nhs.uk")
        );
        let to: Vec<String> = envelope.to().iter().map(ToString::to_string).collect();
        assert_eq!(to, ["jo.bloggs@nhs.net", "sam@supplier.example"]);
        assert_eq!(sent, message.formatted());
        assert!(parse(b"not an envelope").is_err());
    }
}
