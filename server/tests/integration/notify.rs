//! Email notifications: what lands in the outbox, what an SMTP server receives, and what a bad
//! SMTP setting says.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mail_parser::MimeHeaders;
use registration::Contact;
use server::config::{Config, Overrides};
use server::notify::{self, DecisionNotice, Mailer, Notification, Receipt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const PAGE: &str = "https://appreg.example.nhs.uk/registrations/AR-7K3M-Q9XD";
const ENTRY: notify::LogPosition<'static> = notify::LogPosition {
    seq: 7,
    hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
};

fn contact(name: &str, email: &str) -> Contact {
    Contact {
        name: name.into(),
        email: email.into(),
    }
}

fn contacts() -> Vec<Contact> {
    vec![
        contact("Jo Bloggs", "jo.bloggs@nhs.net"),
        // The submitter again, differently capitalised: one copy only.
        contact("Alice Admin", "Alice.Admin@NHS.net"),
        contact("Typo", "not-an-address"),
        contact("Sam Support", "sam.support@supplier.example"),
        contact("Jo again", "JO.BLOGGS@nhs.net"),
    ]
}

fn receipt_for(contacts: &[Contact]) -> Notification {
    notify::receipt(&Receipt {
        reference: "AR-7K3M-Q9XD",
        version: 1,
        application_name: "Ward Mail Connector",
        ods_code: "RX1",
        organisation_name: Some("Example Hospitals NHS Trust"),
        submitter_email: "alice.admin@nhs.net",
        contacts,
        page_url: PAGE,
        log_entry: ENTRY,
    })
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

fn addresses(address: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    address
        .map(|address| {
            address
                .iter()
                .map(|addr| addr.address().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The plain-text body with the wire's CRLF line ends turned back into LF.
fn text_body(message: &mail_parser::Message<'_>) -> String {
    message.body_text(0).unwrap().replace("\r\n", "\n")
}

#[tokio::test]
async fn the_outbox_holds_one_parseable_eml_per_message_with_the_right_headers_and_body() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mailer = Mailer::outbox(&outbox, "appreg@appreg.example.nhs.uk").unwrap();
    let contacts = contacts();

    mailer.send(&receipt_for(&contacts)).await.unwrap();

    let files = eml_files(&outbox);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    // Messages name people and requests: owner-only whatever the umask (tests run under 022).
    let mode = |path: &Path| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&outbox), 0o700);
    assert_eq!(mode(&files[0]), 0o600);
    let raw = std::fs::read(&files[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        addresses(message.to()),
        [
            "alice.admin@nhs.net",
            "jo.bloggs@nhs.net",
            "sam.support@supplier.example"
        ]
    );
    assert_eq!(addresses(message.from()), ["appreg@appreg.example.nhs.uk"]);
    assert_eq!(message.subject(), Some("AR-7K3M-Q9XD: request received"));
    let content_type = message.content_type().unwrap();
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("text", Some("plain"))
    );
    assert!(!String::from_utf8_lossy(&raw).contains("text/html"));
    let body = text_body(&message);
    assert!(
        body.starts_with(
            "We have received your request to register Ward Mail Connector for NHSmail.\n"
        ),
        "{body}"
    );
    assert!(
        body.contains("Organisation: Example Hospitals NHS Trust (RX1)\n"),
        "{body}"
    );
    assert!(body.contains("Reference: AR-7K3M-Q9XD\n"), "{body}");
    assert!(body.contains(PAGE), "{body}");
}

#[tokio::test]
async fn a_decision_in_the_outbox_carries_its_status_wording_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::outbox(dir.path(), "appreg@localhost").unwrap();
    let contacts = contacts();
    let reason = "The redirect URI must use https. Ünïcode and a long line: ".to_string()
        + &"lorem ipsum ".repeat(20);

    mailer
        .send(&notify::decision(&DecisionNotice {
            reference: "AR-7K3M-Q9XD",
            version: 2,
            application_name: "Ward Mail Connector",
            decision: registration::lifecycle::Decision::RequestChanges,
            status: registration::lifecycle::Status::ChangesRequested,
            reason: Some(&reason),
            submitter_email: "alice.admin@nhs.net",
            contacts: &contacts,
            page_url: PAGE,
            log_entry: ENTRY,
        }))
        .await
        .unwrap();

    let files = eml_files(dir.path());
    assert_eq!(files.len(), 1);
    let raw = std::fs::read(&files[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(message.subject(), Some("AR-7K3M-Q9XD: changes needed"));
    assert_eq!(addresses(message.to()).len(), 3);
    let body = text_body(&message);
    assert!(
        body.contains(
            "A reviewer has asked for changes to the request to register Ward Mail Connector."
        ),
        "{body}"
    );
    assert!(body.contains(&format!("  {}", reason.trim())), "{body}");
    assert!(body.contains("submit the request again"), "{body}");
    assert!(body.contains("Version: 2\n"), "{body}");
}

#[tokio::test]
async fn a_message_with_no_valid_recipient_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::outbox(dir.path(), "appreg@localhost").unwrap();
    let notification = Notification {
        to: vec!["nobody".into(), "".into()],
        subject: "AR-7K3M-Q9XD: request received".into(),
        body: "Hello".into(),
        reference: "AR-7K3M-Q9XD".into(),
    };

    let error = mailer.send(&notification).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "no valid recipient address for AR-7K3M-Q9XD"
    );
    assert!(eml_files(dir.path()).is_empty());
}

#[tokio::test]
async fn sending_in_the_background_writes_the_message_without_waiting_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(Mailer::outbox(dir.path(), "appreg@localhost").unwrap());

    // Returns once the outbox's writer has the message, before it is written.
    mailer.send_in_background(receipt_for(&contacts())).await;

    for _ in 0..200 {
        if !eml_files(dir.path()).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(eml_files(dir.path()).len(), 1);
}

#[test]
fn the_configured_mailer_creates_the_outbox_under_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&Overrides {
        data_dir: Some(dir.path().join("data")),
        ..Overrides::default()
    })
    .unwrap();
    assert_eq!(config.outbox_dir, dir.path().join("data").join("outbox"));

    Mailer::from_config(&config).unwrap();

    assert!(dir.path().join("data").join("outbox").is_dir());
}

fn smtp_error(url: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&Overrides {
        smtp_url: Some(url.parse().unwrap()),
        data_dir: Some(dir.path().to_path_buf()),
        ..Overrides::default()
    })
    .unwrap();
    match Mailer::from_config(&config) {
        Ok(_) => panic!("{url} was accepted"),
        Err(error) => format!("{error:#}"),
    }
}

#[test]
fn smtp_url_mistakes_are_named_and_never_show_the_password() {
    let examples = "use smtps://user:password@host:465 or smtp://host:25?tls=required (or smtp://host:25 without TLS)";
    assert_eq!(
        smtp_error("smtp.example.nhs.uk:25"),
        format!("the SMTP URL 'smtp.example.nhs.uk:25' is not a URL: {examples}")
    );
    assert_eq!(
        smtp_error("https://user:s3cret@smtp.example.nhs.uk"),
        format!(
            "the SMTP URL 'https://user:***@smtp.example.nhs.uk' starts with 'https://': {examples}"
        )
    );
    assert_eq!(
        smtp_error("smtps://user:s3cret@:465"),
        format!("the SMTP URL 'smtps://user:***@:465' names no server: {examples}")
    );
    assert_eq!(
        smtp_error("smtp://smtp.example.nhs.uk:25?tls=yes"),
        "the SMTP URL 'smtp://smtp.example.nhs.uk:25?tls=yes' has tls=yes: use tls=required or tls=opportunistic"
    );
    assert_eq!(
        smtp_error("smtp://smtp.example.nhs.uk:25?starttls=1"),
        "the SMTP URL 'smtp://smtp.example.nhs.uk:25?starttls=1' has an unknown setting 'starttls': only tls= is understood"
    );
    let error = smtp_error("smtps://user:s3cret@smtp.example.nhs.uk:99999");
    assert!(
        error.starts_with("the SMTP URL 'smtps://user:***@smtp.example.nhs.uk:99999' is not valid"),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "{error}");
}

#[test]
fn a_password_is_never_sent_to_an_smtp_server_without_tls() {
    for url in [
        "smtp://desk:s3cret@smtp.example.nhs.uk:25",
        "smtp://desk:s3cret@smtp.example.nhs.uk:587?tls=opportunistic",
        "smtp://desk@smtp.example.nhs.uk:25",
    ] {
        let error = smtp_error(url);
        assert!(
            error.contains("does not require TLS, so the password would cross the network in clear: use smtps://user:password@host:465, or add ?tls=required for STARTTLS"),
            "{url}: {error}"
        );
        assert!(!error.contains("s3cret"), "{error}");
    }
}

#[test]
fn good_smtp_urls_build_a_mailer_and_the_password_stays_out_of_debug_output() {
    for url in [
        "smtps://user:s3cret@smtp.example.nhs.uk:465",
        "smtp://user:s3cret@smtp.example.nhs.uk:587?tls=required",
        "smtp://smtp.example.nhs.uk:25?tls=required",
        "smtp://smtp.example.nhs.uk:587?tls=opportunistic",
        "smtp://relay.internal:25",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(&Overrides {
            smtp_url: Some(url.parse().unwrap()),
            data_dir: Some(dir.path().to_path_buf()),
            ..Overrides::default()
        })
        .unwrap();
        Mailer::from_config(&config).unwrap_or_else(|error| panic!("{url}: {error:#}"));
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}

/// A loopback SMTP server that accepts the messages of one connection and returns their envelope
/// recipients and data, once the client says QUIT or closes the connection.
pub(crate) async fn accept_one_message(listener: TcpListener) -> (Vec<String>, String) {
    let (stream, _) = listener.accept().await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 test.local ESMTP\r\n").await.unwrap();
    let mut recipients = Vec::new();
    let mut data = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 test.local\r\n"
        } else if command.starts_with("MAIL FROM:") {
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            recipients.push(
                line["RCPT TO:".len()..]
                    .trim_matches(|c| c == '<' || c == '>' || c == ' ')
                    .to_string(),
            );
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 End with .\r\n").await.unwrap();
            while let Some(line) = lines.next_line().await.unwrap() {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push_str("\r\n");
            }
            b"250 Queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 Bye\r\n").await.unwrap();
            break;
        } else {
            b"502 Not implemented\r\n"
        };
        write.write_all(reply).await.unwrap();
    }
    (recipients, data)
}

#[tokio::test]
async fn smtp_delivers_the_message_to_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(accept_one_message(listener));
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&Overrides {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}").parse().unwrap()),
        mail_from: Some("appreg@appreg.example.nhs.uk".into()),
        data_dir: Some(dir.path().to_path_buf()),
        ..Overrides::default()
    })
    .unwrap();
    let mailer = Mailer::from_config(&config).unwrap();

    tokio::time::timeout(
        Duration::from_secs(10),
        mailer.send(&receipt_for(&contacts())),
    )
    .await
    .expect("the send timed out")
    .unwrap();

    the_receipt_reached(server).await;
}

/// What `server` ([`accept_one_message`]) received: the receipt, to its three addresses.
async fn the_receipt_reached(server: tokio::task::JoinHandle<(Vec<String>, String)>) {
    let (recipients, data) = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server did not finish")
        .unwrap();
    assert_eq!(
        recipients,
        [
            "alice.admin@nhs.net",
            "jo.bloggs@nhs.net",
            "sam.support@supplier.example"
        ]
    );
    let message = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .unwrap();
    assert_eq!(message.subject(), Some("AR-7K3M-Q9XD: request received"));
    assert_eq!(addresses(message.from()), ["appreg@appreg.example.nhs.uk"]);
    assert!(text_body(&message).contains("Reference: AR-7K3M-Q9XD\n"));
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_an_error_naming_the_failure() {
    // Bind then drop, so nothing listens on the port.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&Overrides {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}").parse().unwrap()),
        data_dir: Some(dir.path().to_path_buf()),
        ..Overrides::default()
    })
    .unwrap();
    let mailer = Mailer::from_config(&config).unwrap();

    let error = mailer.send(&receipt_for(&contacts())).await.unwrap_err();

    assert!(
        error
            .to_string()
            .starts_with("cannot send the message through the SMTP server"),
        "{error:#}"
    );
}

/// A port nothing listens on (bound, then let go).
async fn a_closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn smtp_mailer(port: u16, queue: &Path) -> Arc<Mailer> {
    Arc::new(
        Mailer::smtp(
            &format!("smtp://127.0.0.1:{port}").parse().unwrap(),
            "appreg@appreg.example.nhs.uk",
            queue.to_path_buf(),
        )
        .unwrap(),
    )
}

/// The queue's files with `extension` (`mail`, or `sending` while one is being sent).
fn queued(queue: &Path, extension: &str) -> Vec<PathBuf> {
    std::fs::read_dir(queue)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .collect()
}

/// Waits up to `seconds` for `done`.
async fn eventually(seconds: u64, done: impl Fn() -> bool) -> bool {
    for _ in 0..seconds * 50 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_mail_waits_in_the_queue_while_the_server_is_down_and_is_sent_once_it_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("mail-queue");
    let port = a_closed_port().await;
    let mailer = smtp_mailer(port, &queue);
    mailer.start_delivery();

    // The server is down: the receipt waits in the queue (before, it was logged and lost).
    mailer.send_in_background(receipt_for(&contacts())).await;
    assert!(eventually(5, || queued(&queue, "mail").len() == 1).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(queued(&queue, "mail").len(), 1, "tried once, and kept");
    // It names people and their requests: owner-only, like the outbox.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&queue), 0o700);
        assert_eq!(mode(&queued(&queue, "mail")[0]), 0o600);
    }

    // It comes back: the next try (1 s, then 2 s … after the first) delivers the receipt, once,
    // and the queue is empty.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let server = tokio::spawn(accept_one_message(listener));
    assert!(
        eventually(20, || queued(&queue, "mail").is_empty()
            && queued(&queue, "sending").is_empty())
        .await
    );
    the_receipt_reached(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_left_in_the_queue_by_a_desk_that_stopped_is_sent_when_the_next_one_starts() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("mail-queue");
    // A command's mailer (`appreg schedule run`): it queues, tries once, and exits.
    let stopped = smtp_mailer(a_closed_port().await, &queue);
    stopped.send_in_background(receipt_for(&contacts())).await;
    stopped.finish().await;
    drop(stopped);
    assert_eq!(queued(&queue, "mail").len(), 1);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(accept_one_message(listener));
    let started = smtp_mailer(port, &queue);
    started.start_delivery();
    assert!(eventually(10, || queued(&queue, "mail").is_empty()).await);
    the_receipt_reached(server).await;
}

/// A loopback SMTP server that refuses every recipient for good (550), as for an address that
/// does not exist.
async fn refuse_every_recipient(listener: TcpListener) {
    let (stream, _) = listener.accept().await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 test.local ESMTP\r\n").await.unwrap();
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 test.local\r\n"
        } else if command.starts_with("RCPT TO:") {
            b"550 5.1.1 No such user here\r\n"
        } else if command == "QUIT" {
            b"221 Bye\r\n"
        } else {
            b"250 OK\r\n"
        };
        if write.write_all(reply).await.is_err() || command == "QUIT" {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_the_server_refuses_for_good_is_moved_to_failed_and_not_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("mail-queue");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(refuse_every_recipient(listener));
    let mailer = smtp_mailer(port, &queue);
    mailer.start_delivery();

    mailer.send_in_background(receipt_for(&contacts())).await;

    assert!(
        eventually(10, || queue.join("failed").is_dir()
            && queued(&queue.join("failed"), "mail").len() == 1)
        .await
    );
    assert!(queued(&queue, "mail").is_empty());
    assert!(queued(&queue, "sending").is_empty());
    let kept = std::fs::read_to_string(&queued(&queue.join("failed"), "mail")[0]).unwrap();
    assert!(kept.contains("AR-7K3M-Q9XD: request received"), "{kept}");
}
