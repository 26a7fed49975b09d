//! Durability: every commit is synced (`synchronous = FULL`; group commit makes that one fsync
//! per batch), and the real `appreg serve`, killed with SIGKILL in the middle of concurrent
//! submissions and restarted on the same data directory several times, has kept every
//! submission it answered 201, in a log that verifies.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test]
async fn every_commit_is_synced_to_disk() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("appreg.sqlite").display());
    let pool = server::store::open(&url).await.unwrap();
    // Every connection of the pool, not only the first.
    let mut connections = Vec::new();
    for _ in 0..3 {
        connections.push(pool.acquire().await.unwrap());
    }
    for connection in &mut connections {
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(synchronous, 2, "synchronous = FULL");
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(journal, "wal");
    }
}

pub(crate) const PASSWORD: &str = "a long enough password";
pub(crate) const EMAIL: &str = "load.admin@nhs.net";

pub(crate) fn appreg(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_appreg"));
    command
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env_remove("APPREG_PUBLIC_URL")
        .env("APPREG_DATA_DIR", data)
        .env("APPREG_LOG", "error");
    command
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 exchange on a new connection: status, head and body, or `None` when the
/// connection failed (the server was killed, or is not up yet).
fn exchange(port: u16, request: &str) -> Option<(u16, String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8(answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head.to_string(), body.to_string()))
}

fn post(port: u16, path: &str, session: Option<&(String, String)>, body: &str) -> String {
    let auth = session.map_or(String::new(), |(cookie, csrf)| {
        format!("Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n")
    });
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{auth}Connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Signs in; the cookie and CSRF token.
pub(crate) fn sign_in(port: u16) -> (String, String) {
    let body = serde_json::json!({ "email": EMAIL, "password": PASSWORD }).to_string();
    let (status, head, body) = exchange(port, &post(port, "/api/v1/session", None, &body))
        .expect("the sign-in is answered");
    assert_eq!(status, 200, "{head}\n{body}");
    let cookie = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .starts_with("set-cookie: appreg_session=")
                .then(|| {
                    line["set-cookie: ".len()..]
                        .split(';')
                        .next()
                        .unwrap()
                        .to_string()
                })
        })
        .expect("a session cookie");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start(data: &Path, port: u16) -> Server {
    let server = Server(
        appreg(data)
            .arg("serve")
            .env("APPREG_ADDRESS", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    loop {
        let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if matches!(exchange(port, health), Some((200, _, _))) {
            return server;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "appreg serve did not answer /healthz on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Adds the Local Administrator of RX1 that [`sign_in`] signs in as.
pub(crate) fn add_local_admin(data: &Path) {
    let mut add = appreg(data)
        .args([
            "user",
            "add",
            "--email",
            EMAIL,
            "--role",
            "local_admin",
            "--ods",
            "RX1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
}

#[test]
fn submissions_answered_201_survive_sigkill_mid_load() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_local_admin(&data);
    let request = crate::common::delegated_request().to_string();
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let rounds = 3;
    for round in 0..rounds {
        let port = free_port();
        let mut server = start(&data, port);
        let session = Arc::new(sign_in(port));
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..8)
            .map(|_| {
                let (session, stop, answered, request) = (
                    session.clone(),
                    stop.clone(),
                    answered.clone(),
                    request.clone(),
                );
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let submit = post(port, "/api/v1/registrations", Some(&session), &request);
                        match exchange(port, &submit) {
                            Some((201, _, body)) => {
                                let body: serde_json::Value = serde_json::from_str(&body).unwrap();
                                answered
                                    .lock()
                                    .unwrap()
                                    .push(body["reference"].as_str().unwrap().to_string());
                            }
                            Some((status, head, body)) => {
                                panic!("submission answered {status}: {head}\n{body}")
                            }
                            // Killed mid-request: not answered, so not promised.
                            None => std::thread::sleep(Duration::from_millis(5)),
                        }
                    }
                })
            })
            .collect();
        // Kill while submissions are in flight: after some have been answered this round.
        let before = answered.lock().unwrap().len();
        let started = Instant::now();
        while answered.lock().unwrap().len() < before + 40 + 25 * round {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "too few submissions answered"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        server.0.kill().unwrap(); // SIGKILL
        server.0.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().unwrap();
        }
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 3 * 40, "{}", answered.len());

    let output = appreg(&data).args(["log", "verify"]).output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{out}");
    assert!(out.starts_with("ok: "), "{out}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", data.join("appreg.sqlite").display());
        let pool = server::store::open(&url).await.unwrap();
        for reference in &answered {
            let stored: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM registration_request WHERE reference = $1 AND version = 1",
            )
            .bind(reference)
            .fetch_one(&pool)
            .await
            .unwrap();
            let logged: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM log_entry WHERE reference = $1 AND kind = 'registration_record'",
            )
            .bind(reference)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!((stored, logged), (1, 1), "{reference} was answered 201");
        }
    });
}
