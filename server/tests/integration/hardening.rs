//! What anyone on the network can do to the desk (issue: hardening), tried against the real
//! server on a real socket: slow and stalled clients, floods of connections and requests.
//! docs/security.md lists each control with the test here that proves it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::{TestApp, delegated_request};
use server::limits::LimitSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response read off a raw socket.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Reads one response (headers, then `Content-Length` bytes of body) from `stream`.
async fn read_response(stream: &mut TcpStream) -> Raw {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed before a response: {buffer:?}");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed inside the body");
        buffer.extend_from_slice(&chunk[..n]);
    }
    Raw {
        status,
        headers,
        body: String::from_utf8_lossy(&buffer[head_end..head_end + length]).to_string(),
    }
}

/// Sends a whole GET and reads its response on a new connection.
async fn get(address: SocketAddr, path: &str) -> Raw {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: desk\r\n\r\n").as_bytes())
        .await
        .unwrap();
    read_response(&mut stream).await
}

/// Opens a connection and sends `bytes` only.
async fn send_part(address: SocketAddr, bytes: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes.as_bytes()).await.unwrap();
    stream
}

/// How long until the server closes `stream` (reads until EOF or a reset), at most `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut sink = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
    .map(|()| start.elapsed())
}

/// A validate call whose body is announced but only partly sent: its handler waits on it.
fn half_sent_validate() -> String {
    "POST /api/v1/registrations/validate HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ods_code\"".to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_is_closed_within_the_header_timeout() {
    let app = TestApp::with_limits(LimitSettings {
        header_read_timeout: Duration::from_secs(1),
        ..LimitSettings::default()
    })
    .await;
    let (address, _stop, _server) = app.serve().await;
    let mut stream = send_part(address, "GET /healthz HTTP/1.1\r\nHost: de").await;
    let closed = closed_within(&mut stream, Duration::from_secs(5)).await;
    assert!(
        closed.is_some_and(|after| after < Duration::from_secs(3)),
        "still open: {closed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_or_goes_idle_is_closed_after_the_idle_timeout() {
    let app = TestApp::with_limits(LimitSettings {
        idle_timeout: Duration::from_secs(1),
        ..LimitSettings::default()
    })
    .await;
    let (address, _stop, _server) = app.serve().await;
    let mut silent = TcpStream::connect(address).await.unwrap();
    let closed = closed_within(&mut silent, Duration::from_secs(5)).await;
    assert!(
        closed.is_some_and(|after| after < Duration::from_secs(3)),
        "{closed:?}"
    );

    // A keep-alive connection is served, then closed once idle.
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: desk\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut stream).await.status, 200);
    let closed = closed_within(&mut stream, Duration::from_secs(5)).await;
    assert!(
        closed.is_some_and(|after| after < Duration::from_secs(3)),
        "{closed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_answered_408_in_json() {
    let app = TestApp::with_limits(LimitSettings {
        body_read_timeout: Duration::from_secs(1),
        ..LimitSettings::default()
    })
    .await;
    let (address, _stop, _server) = app.serve().await;
    let mut stream = send_part(address, &half_sent_validate()).await;
    let response = tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .expect("an answer, not a hang");
    assert_eq!(response.status, 408, "{response:?}");
    assert_eq!(response.json()["error"], "body_timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_slowly_is_cut_off_at_the_request_timeout() {
    let app = TestApp::with_limits(LimitSettings {
        request_timeout: Duration::from_secs(1),
        ..LimitSettings::default()
    })
    .await;
    let (address, _stop, _server) = app.serve().await;
    let mut stream = send_part(address, &half_sent_validate()).await;
    let (mut reader, mut writer) = stream.split();
    // One byte every 200 ms: never stalled long enough for the body timeout.
    let trickle = async {
        for _ in 0..50 {
            if writer.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let answer = async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = reader.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            buffer.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&buffer).to_string()
    };
    let started = Instant::now();
    let head = tokio::select! {
        head = answer => head,
        () = trickle => panic!("no answer while the body trickled for 10 s"),
    };
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: 2"),
        "{head}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_in_flight_limit_requests_are_shed_with_503_and_healthz_still_answers() {
    let app = TestApp::with_limits(LimitSettings {
        max_in_flight: 2,
        ..LimitSettings::default()
    })
    .await;
    let (address, _stop, _server) = app.serve().await;
    // Two requests whose handlers wait on their bodies hold both permits.
    let _first = send_part(address, &half_sent_validate()).await;
    let _second = send_part(address, &half_sent_validate()).await;
    let started = Instant::now();
    while app.state.limits.in_flight.available_permits() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the two requests never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shed = get(address, "/api/v1/openapi.json").await;
    assert_eq!(
        shed.status, 503,
        "a third request is shed once two are in flight"
    );
    assert_eq!(shed.header("retry-after"), Some("2"));
    assert_eq!(shed.json()["error"], "busy");
    let page = get(address, "/").await;
    assert_eq!(page.status, 503);
    assert!(page.body.contains("busy"), "{}", page.body);
    let health = get(address, "/healthz").await;
    assert_eq!(health.status, 200, "{health:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_a_connection_is_answered_503_and_closed_then_refused() {
    let app = TestApp::with_limits(LimitSettings {
        max_connections: 2,
        overflow_connections: 1,
        // The silent connections below must stay open however slowly a loaded machine runs
        // this test: the slow-client timeouts are other tests' business.
        header_read_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        ..LimitSettings::default()
    })
    .await;
    let (address, _stop, _server) = app.serve().await;
    let _a = TcpStream::connect(address).await.unwrap();
    let _b = TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The third is over the limit: answered, but only with 503, and closed after it.
    let mut third = TcpStream::connect(address).await.unwrap();
    third
        .write_all(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: desk\r\n\r\n")
        .await
        .unwrap();
    let response = read_response(&mut third).await;
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(
        closed_within(&mut third, Duration::from_secs(2))
            .await
            .is_some()
    );
    // A health check over the limit is still answered (and closed after it: until the desk has
    // let it go it counts as open, and the connections below would be counted against it).
    let mut health = TcpStream::connect(address).await.unwrap();
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: desk\r\n\r\n")
        .await
        .unwrap();
    let answered = read_response(&mut health).await;
    assert_eq!(answered.status, 200);
    assert!(
        closed_within(&mut health, Duration::from_secs(2))
            .await
            .is_some()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Past the overflow too, a connection is closed without an answer.
    let _c = TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut refused = TcpStream::connect(address).await.unwrap();
    let _ = refused
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: desk\r\n\r\n")
        .await;
    let mut sink = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), refused.read_to_end(&mut sink)).await;
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "refused outright, not answered: {read:?} {sink:?}"
    );
    // Once the others go, the desk serves normally again.
    drop((_a, _b, _c, third));
    let started = Instant::now();
    loop {
        let mut stream = TcpStream::connect(address).await.unwrap();
        let _ = stream
            .write_all(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: desk\r\n\r\n")
            .await;
        let mut head = [0u8; 12];
        if stream.read_exact(&mut head).await.is_ok() && head.ends_with(b"200") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still refusing"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_within_the_grace_period_whatever_stalled_clients_do() {
    let app = TestApp::with_limits(LimitSettings {
        shutdown_grace: Duration::from_secs(1),
        header_read_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        body_read_timeout: Duration::from_secs(60),
        ..LimitSettings::default()
    })
    .await;
    let (address, stop, server) = app.serve().await;
    let _stalled_header = send_part(address, "GET / HTTP/1.1\r\nHost: de").await;
    let _stalled_body = send_part(address, &half_sent_validate()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops, whatever stalled clients do")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_request_on_a_real_socket_is_unaffected() {
    let app = TestApp::new().await;
    let (address, _stop, _server) = app.serve().await;
    let body = delegated_request().to_string();
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /api/v1/registrations/validate HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let response = read_response(&mut stream).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["valid"], true, "{}", response.body);
    // Keep-alive: a second request on the same connection.
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: desk\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut stream).await.status, 200);
}

/// The finding codes of a report, with their paths.
fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_validation_gets_the_rules_not_the_mailbox_directory_and_is_rate_limited() {
    let app = TestApp::with_limits(LimitSettings {
        anonymous_validation_burst: 3,
        anonymous_validation_every: Duration::from_secs(60),
        ..LimitSettings::default()
    })
    .await;
    let mut request = delegated_request();
    request["mailboxes"] = serde_json::json!([
        "ward8.referrals@nhs.net",
        "demo.outpatients.rj1@nhs.net",
        "demo.person.rx1@nhs.net"
    ]);
    // Another trust's group: whose it is, is the directory's to tell.
    request["access_policy_group"] = serde_json::json!("demo.scope.rj1@nhs.net");
    let body = request.to_string();
    let (response, report) = app
        .post_json("/api/v1/registrations/validate", body.clone())
        .await;
    assert_eq!(response.status(), 200);
    let anonymous = findings(&report);
    assert!(
        anonymous.contains(&("mailboxes".into(), "mailbox.directory_not_consulted".into())),
        "{anonymous:?}"
    );
    assert!(
        anonymous.contains(&(
            "access_policy_group".into(),
            "access_policy_group.directory_not_consulted".into()
        )),
        "{anonymous:?}"
    );
    // Nothing says which address is a mailbox or a group, whose, or whether a person's.
    for code in [
        "mailbox.unknown",
        "mailbox.other_organisation",
        "mailbox.personal_for_app_only",
        "access_policy_group.not_in_directory",
        "access_policy_group.not_a_group",
        "access_policy_group.other_organisation",
    ] {
        assert!(
            !anonymous.iter().any(|(_, c)| c == code),
            "{code}: {anonymous:?}"
        );
    }
    assert!(!report.to_string().contains("GUY'S"), "{report}");

    // Signed in, the same request is checked against the directory.
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", server::identity::Role::Reviewer, None)
        .await;
    let signed_in = |body: String| {
        http::Request::post("/api/v1/registrations/validate")
            .header("content-type", "application/json")
            .header("cookie", &reviewer.cookie)
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let (response, bytes) = app.send(signed_in(body.clone())).await;
    assert_eq!(response.status(), 200);
    let known = findings(&serde_json::from_slice(&bytes).unwrap());
    assert!(
        known.contains(&("mailboxes[0]".into(), "mailbox.unknown".into())),
        "{known:?}"
    );
    assert!(
        known.contains(&("mailboxes[1]".into(), "mailbox.other_organisation".into())),
        "{known:?}"
    );
    assert!(
        known.contains(&(
            "access_policy_group".into(),
            "access_policy_group.other_organisation".into()
        )),
        "{known:?}"
    );

    // Three anonymous checks from one address, then 429 with Retry-After.
    for _ in 0..2 {
        let (response, _) = app
            .post_json("/api/v1/registrations/validate", body.clone())
            .await;
        assert_eq!(response.status(), 200);
    }
    let (response, error) = app
        .post_json("/api/v1/registrations/validate", body.clone())
        .await;
    assert_eq!(response.status(), 429);
    assert_eq!(error["error"], "rate_limited");
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // A signed-in caller is not limited by it.
    for _ in 0..5 {
        let (response, _) = app.send(signed_in(body.clone())).await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_past_its_slots_is_answered_503_not_queued_without_end() {
    let app = TestApp::with_limits(LimitSettings {
        validation_wait: Duration::from_millis(100),
        ..LimitSettings::default()
    })
    .await;
    let held = app.hold_every_validation_slot();
    let (response, error) = app
        .post_json(
            "/api/v1/registrations/validate",
            delegated_request().to_string(),
        )
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(error["error"], "busy");
    assert_eq!(response.headers()["retry-after"], "2");
    drop(held);
    let (response, _) = app
        .post_json(
            "/api/v1/registrations/validate",
            delegated_request().to_string(),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_request_past_the_request_timeout_is_answered_503_and_logged_with_its_path() {
    let app = TestApp::with_limits(LimitSettings {
        request_timeout: Duration::from_millis(300),
        validation_wait: Duration::from_secs(30),
        ..LimitSettings::default()
    })
    .await;
    let held = app.hold_every_validation_slot();
    let (logs, _capturing) = crate::log_capture::capture_logs();
    let (response, error) = app
        .post_json(
            "/api/v1/registrations/validate",
            delegated_request().to_string(),
        )
        .await;
    drop(held);
    assert_eq!(response.status(), 503);
    assert_eq!(error["error"], "timeout");
    assert_eq!(response.headers()["retry-after"], "2");
    let logs = logs.text();
    assert!(
        logs.contains("longer than the request timeout")
            && logs.contains("POST")
            && logs.contains("/api/v1/registrations/validate"),
        "{logs}"
    );
}
