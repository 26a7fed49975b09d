//! Sign-in, sessions, CSRF and rate limiting over the real router and a real database file, and
//! `appreg user` as a user runs it.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use crate::common::TestApp;
use crate::log_capture::capture_logs;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use server::identity::passwords::{self, Password};
use server::identity::{Role, rate_limit, sessions};
use server::limits::LimitSettings;
use server::signing::KeyRing;
use server::store::{self, users::NewUser};
use server::web::{self, AppState};
use time::OffsetDateTime;

const ADMIN_EMAIL: &str = "alice.admin@nhs.net";
const ADMIN_PASSWORD: &str = "a long admin passphrase";
const REVIEWER_EMAIL: &str = "rita.reviewer@nhs.net";
const REVIEWER_PASSWORD: &str = "another long reviewer passphrase";

/// A test app with a Local Administrator of RX1 and a reviewer.
async fn app_with_accounts() -> TestApp {
    app_with_accounts_and(LimitSettings::default()).await
}

/// The same, with these limits.
async fn app_with_accounts_and(limits: LimitSettings) -> TestApp {
    crate::log_capture::install();
    let app = TestApp::with_limits(limits).await;
    add_account(
        &app,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        Role::LocalAdmin,
        Some("RX1"),
    )
    .await;
    add_account(
        &app,
        REVIEWER_EMAIL,
        REVIEWER_PASSWORD,
        Role::Reviewer,
        None,
    )
    .await;
    app
}

async fn add_account(app: &TestApp, email: &str, password: &str, role: Role, ods: Option<&str>) {
    let hash = passwords::hash(&Password::new(password)).unwrap();
    store::users::add(
        &app.state.pool,
        NewUser {
            email,
            role,
            ods_code: ods,
            password_hash: &hash,
        },
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
}

fn sign_in_request(email: &str, password: &str) -> Request<Body> {
    Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "email": email, "password": password }).to_string(),
        ))
        .unwrap()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (Response<Body>, Vec<u8>) {
    app.send(sign_in_request(email, password)).await
}

/// Signs in and returns the cookie pair (`appreg_session=…`) and the CSRF token.
async fn signed_in(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let (response, body) = sign_in(app, email, password).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", text(&body));
    let body: Value = serde_json::from_slice(&body).unwrap();
    (
        cookie_pair(&response),
        body["csrf_token"].as_str().unwrap().to_string(),
    )
}

fn set_cookie(response: &Response<Body>) -> String {
    response
        .headers()
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_string()
}

fn cookie_pair(response: &Response<Body>) -> String {
    set_cookie(response).split(';').next().unwrap().to_string()
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn with_cookie(method: &str, path: &str, cookie: &str, csrf: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, cookie);
    if let Some(csrf) = csrf {
        builder = builder.header("x-csrf-token", csrf);
    }
    builder.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn sign_in_sets_an_http_only_same_site_cookie_and_answers_role_and_csrf_token() {
    let app = app_with_accounts().await;
    let (response, body) = sign_in(&app, "  Alice.Admin@NHS.net ", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", text(&body));
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("appreg_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    assert_eq!(
        response.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let body = json_of(&body);
    assert_eq!(body["role"], "local_admin");
    assert_eq!(body["ods_code"], "RX1");
    let csrf = body["csrf_token"].as_str().unwrap();
    assert!(csrf.len() >= 43, "{csrf}");

    let (response, body) = app
        .send(with_cookie(
            "GET",
            "/api/v1/session",
            &cookie_pair(&response),
            None,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json_of(&body),
        json!({ "email": ADMIN_EMAIL, "role": "local_admin", "ods_code": "RX1", "csrf_token": csrf })
    );
}

#[tokio::test]
async fn a_reviewer_signs_in_without_an_organisation() {
    let app = app_with_accounts().await;
    let (response, body) = sign_in(&app, REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_of(&body);
    assert_eq!(body["role"], "reviewer");
    assert_eq!(body["ods_code"], Value::Null);
}

#[tokio::test]
async fn over_https_the_cookie_is_a_secure_host_cookie_and_hsts_is_sent() {
    let app = app_with_accounts().await;
    let keys = KeyRing::open(
        &app.state.pool,
        &app.dir.path().join("keys"),
        "https://appreg.nhs.net",
    )
    .await
    .unwrap();
    let router = web::router(AppState {
        keys: Arc::new(keys),
        ..app.state.clone()
    });
    let response =
        tower::ServiceExt::oneshot(router.clone(), sign_in_request(ADMIN_EMAIL, ADMIN_PASSWORD))
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response);
    assert!(cookie.contains("; Secure"), "{cookie}");
    // The __Host- prefix: only this host, over https, can set or overwrite it.
    assert!(cookie.starts_with("__Host-appreg_session="), "{cookie}");
    assert_eq!(
        response.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000; includeSubDomains"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let token = pair.trim_start_matches("__Host-appreg_session=");
    let session = |cookie: String| {
        Request::get("/api/v1/session")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    };
    let response = tower::ServiceExt::oneshot(router.clone(), session(pair.clone()))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The same token under the bare name could have been planted over http: not accepted.
    let response = tower::ServiceExt::oneshot(router, session(format!("appreg_session={token}")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Over plain http no HSTS is sent (browsers ignore it there anyway).
    let (response, _) = app.get("/healthz").await;
    assert!(
        !response
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer_in_comparable_time() {
    let app = app_with_accounts().await;
    // Warm up the connection pool and code paths so that the timings compare the work done.
    let _ = sign_in(&app, REVIEWER_EMAIL, "warming up only").await;

    let started = Instant::now();
    let (wrong, wrong_body) = sign_in(&app, ADMIN_EMAIL, "not the right password").await;
    let wrong_time = started.elapsed();
    let started = Instant::now();
    let (unknown, unknown_body) = sign_in(&app, "nobody@nhs.net", "not the right password").await;
    let unknown_time = started.elapsed();

    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_body, unknown_body,
        "the bodies must be byte-identical"
    );
    assert_eq!(json_of(&wrong_body)["error"], "invalid_credentials");
    assert!(wrong.headers().get(header::SET_COOKIE).is_none());
    // Without the dummy verification an unknown email answers in a small fraction of the time.
    assert!(
        unknown_time * 4 >= wrong_time && wrong_time * 4 >= unknown_time,
        "unknown email {unknown_time:?} vs wrong password {wrong_time:?}"
    );
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_its_sessions_end() {
    let app = app_with_accounts().await;
    let (cookie, _) = signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    sqlx::query("UPDATE users SET disabled_at = '2026-01-01T00:00:00Z' WHERE email = $1")
        .bind(ADMIN_EMAIL)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let (response, body) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&body)["error"], "invalid_credentials");
    let (response, _) = app
        .send(with_cookie("GET", "/api/v1/session", &cookie, None))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_sign_in_bodies_get_json_errors() {
    let app = app_with_accounts().await;
    let (response, body) = app
        .send(
            Request::post("/api/v1/session")
                .header("content-type", "text/plain")
                .body(Body::from("email=a&password=b"))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(json_of(&body)["error"], "unsupported_media_type");
    for bad in [
        "not json",
        r#"{"email": "alice.admin@nhs.net"}"#,
        r#"{"email": 1, "password": "x"}"#,
        r#"{"email": "a@nhs.net", "password": "x", "remember": true}"#,
    ] {
        let (response, body) = app.post_json("/api/v1/session", bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["error"], "invalid_body", "{bad}");
    }
}

#[tokio::test]
async fn the_session_route_answers_401_json_without_a_session() {
    let app = app_with_accounts().await;
    let (response, body) = app.get("/api/v1/session").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&body)["error"], "unauthenticated");
    let (response, _) = app
        .send(with_cookie(
            "GET",
            "/api/v1/session",
            "appreg_session=made-up-token",
            None,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_email_even_for_the_right_password() {
    let app = app_with_accounts().await;
    for attempt in 1..=rate_limit::FREE_FAILURES_PER_ACCOUNT {
        let (response, _) = sign_in(&app, ADMIN_EMAIL, "guess number one").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let (response, body) = sign_in(&app, "ALICE.ADMIN@nhs.net", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = json_of(&body);
    assert_eq!(body["error"], "rate_limited");
    assert!(body["message"].as_str().unwrap().contains("minute"));
    let retry_after: u64 = response
        .headers()
        .get(header::RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    // Another account is not locked by someone guessing this one.
    let (response, _) = sign_in(&app, REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_emails_are_rate_limited_like_known_ones() {
    let app = app_with_accounts().await;
    let now = OffsetDateTime::now_utc();
    for _ in 0..rate_limit::FREE_FAILURES_PER_ACCOUNT {
        rate_limit::record_failure(&app.state.pool, "nobody@nhs.net", "198.51.100.7", now)
            .await
            .unwrap();
    }
    let (response, _) = sign_in(&app, "nobody@nhs.net", "whatever it is").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client_address() {
    let app = app_with_accounts().await;
    let now = OffsetDateTime::now_utc();
    for n in 0..rate_limit::MAX_FAILURES_PER_CLIENT {
        rate_limit::record_failure(
            &app.state.pool,
            &format!("user{n}@nhs.net"),
            "203.0.113.9",
            now,
        )
        .await
        .unwrap();
    }
    let from = |ip: [u8; 4]| {
        let mut request = sign_in_request(ADMIN_EMAIL, ADMIN_PASSWORD);
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 50000))));
        request
    };
    let (response, body) = app.send(from([203, 0, 113, 9])).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        text(&body)
    );
    let (response, _) = app.send(from([192, 0, 2, 1])).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_successful_sign_in_forgets_the_emails_failures() {
    let app = app_with_accounts().await;
    for _ in 1..rate_limit::FREE_FAILURES_PER_ACCOUNT {
        let (response, _) = sign_in(&app, ADMIN_EMAIL, "guess number two").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (response, _) = sign_in(&app, ADMIN_EMAIL, "guess number three").await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "not yet limited"
    );
}

#[tokio::test]
async fn sign_out_needs_the_csrf_token_and_then_the_cookie_no_longer_works() {
    let app = app_with_accounts().await;
    let (cookie, csrf) = signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (response, _) = app
        .send(with_cookie("DELETE", "/api/v1/session", "", None))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "no session: 401 first"
    );

    let (response, body) = app
        .send(with_cookie("DELETE", "/api/v1/session", &cookie, None))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(json_of(&body)["error"], "csrf");
    let wrong = format!("{}x", &csrf[..csrf.len() - 1]);
    let (response, body) = app
        .send(with_cookie(
            "DELETE",
            "/api/v1/session",
            &cookie,
            Some(&wrong),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(json_of(&body)["error"], "csrf");
    // The other account's token does not do either.
    let (_, other_csrf) = signed_in(&app, REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
    let (response, _) = app
        .send(with_cookie(
            "DELETE",
            "/api/v1/session",
            &cookie,
            Some(&other_csrf),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let (response, body) = app
        .send(with_cookie(
            "DELETE",
            "/api/v1/session",
            &cookie,
            Some(&csrf),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", text(&body));
    let cleared = set_cookie(&response);
    assert!(cleared.starts_with("appreg_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let (response, _) = app
        .send(with_cookie("GET", "/api/v1/session", &cookie, None))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (response, _) = app
        .send(with_cookie(
            "DELETE",
            "/api/v1/session",
            &cookie,
            Some(&csrf),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_the_tokens_hash_is_stored() {
    let app = app_with_accounts().await;
    let (cookie, _) = signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = cookie.trim_start_matches("appreg_session=");
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(ids, vec![sessions::SessionToken::new(token).id()]);
    assert!(ids.iter().all(|id| !id.contains(token)));
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_expiry() {
    let app = app_with_accounts().await;
    let (cookie, _) = signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    sqlx::query("UPDATE sessions SET expires_at = '2020-01-01T00:00:00Z'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let (response, _) = app
        .send(with_cookie("GET", "/api/v1/session", &cookie, None))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "an expired session is deleted when met");
}

#[tokio::test]
async fn a_session_ends_after_30_idle_minutes_and_12_hours_in_all() {
    let app = app_with_accounts().await;
    let (cookie, _) = signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = sessions::SessionToken::new(cookie.trim_start_matches("appreg_session="));
    let pool = &app.state.pool;
    let start = OffsetDateTime::now_utc();
    let minutes = |n: i64| start + time::Duration::minutes(n);

    // Used every 29 minutes, it lives until the absolute limit.
    let mut at = start;
    while at + time::Duration::minutes(29) < start + sessions::ABSOLUTE_TIMEOUT {
        at += time::Duration::minutes(29);
        assert!(
            sessions::resume(pool, &token, at).await.unwrap().is_some(),
            "alive at {at}"
        );
    }
    assert!(
        sessions::resume(pool, &token, minutes(12 * 60 + 1))
            .await
            .unwrap()
            .is_none()
    );

    let (cookie, _) = signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = sessions::SessionToken::new(cookie.trim_start_matches("appreg_session="));
    let start = OffsetDateTime::now_utc();
    assert!(
        sessions::resume(pool, &token, start + time::Duration::minutes(29))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        sessions::resume(pool, &token, start + time::Duration::minutes(60))
            .await
            .unwrap()
            .is_none(),
        "idle for 31 minutes"
    );
    let (response, _) = app
        .send(with_cookie("GET", "/api/v1/session", &cookie, None))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn no_password_or_token_reaches_the_logs_or_debug_output() {
    let app = app_with_accounts().await;
    let (captured, guard) = capture_logs();

    let (response, _) = sign_in(&app, ADMIN_EMAIL, "a wrong password here").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (response, body) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = cookie_pair(&response);
    let token = cookie.trim_start_matches("appreg_session=").to_string();
    let csrf = json_of(&body)["csrf_token"].as_str().unwrap().to_string();
    let (response, _) = app
        .send(with_cookie(
            "DELETE",
            "/api/v1/session",
            &cookie,
            Some(&csrf),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    drop(guard);

    let logs = captured.text();
    assert!(
        logs.contains("signed in"),
        "the test captured the logs: {logs}"
    );
    for secret in [ADMIN_PASSWORD, "a wrong password here", &token, &csrf] {
        assert!(!logs.contains(secret), "{secret} logged:\n{logs}");
    }

    let credentials: server::identity::PasswordCredentials =
        serde_json::from_value(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
            .unwrap();
    let shown = format!("{credentials:?}");
    assert!(!shown.contains(ADMIN_PASSWORD), "{shown}");
    let token = sessions::SessionToken::new("secret-token-value");
    assert!(!format!("{token:?}").contains("secret-token-value"));
    let server::identity::SignedIn { identity, session } = {
        let (cookie, _) = signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = sessions::SessionToken::new(cookie.trim_start_matches("appreg_session="));
        sessions::resume(&app.state.pool, &token, OffsetDateTime::now_utc())
            .await
            .unwrap()
            .unwrap()
    };
    let shown = format!("{identity:?} {session:?}");
    assert!(!shown.contains(session.csrf_token()), "{shown}");
}

// ---- `appreg user` -------------------------------------------------------------------------

fn appreg(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_appreg"));
    command
        .current_dir(dir)
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env("APPREG_DATA_DIR", dir.join("data"));
    command
}

/// Runs `appreg user add ARGS` with `stdin` and returns (exit code, stdout, stderr).
fn user_add(dir: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = appreg(dir)
        .args(["user", "add"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn user_add_reads_the_password_from_stdin_and_stores_an_argon2id_hash() {
    let dir = tempfile::tempdir().unwrap();
    let password = "correct horse battery staple";
    let (code, out, err) = user_add(
        dir.path(),
        &[
            "--email",
            "Alice.Admin@NHS.net",
            "--role",
            "local_admin",
            "--ods",
            "rx1",
        ],
        &format!("{password}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        "added local_admin alice.admin@nhs.net for RX1 (NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST)"
    );
    assert!(!out.contains(password) && !err.contains(password));

    let (code, out, err) = user_add(
        dir.path(),
        &["--email", "rita.reviewer@nhs.net", "--role", "reviewer"],
        "a reviewer's long passphrase\r\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "added reviewer rita.reviewer@nhs.net");

    let output = appreg(dir.path()).args(["user", "list"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let listing = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(
        lines[0].starts_with("alice.admin@nhs.net  local_admin  RX1"),
        "{listing}"
    );
    assert!(
        lines[1].starts_with("rita.reviewer@nhs.net  reviewer     -"),
        "{listing}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!(
            "sqlite://{}",
            dir.path().join("data/appreg.sqlite").display()
        );
        let pool = store::open(&url).await.unwrap();
        let hash = store::users::password_hash(&pool, "alice.admin@nhs.net")
            .await
            .unwrap()
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(passwords::verify(&Password::new(password), &hash));
        // The \r\n of a Windows-made file is not part of the password.
        let hash = store::users::password_hash(&pool, "rita.reviewer@nhs.net")
            .await
            .unwrap()
            .unwrap();
        assert!(passwords::verify(
            &Password::new("a reviewer's long passphrase"),
            &hash
        ));
    });
}

#[test]
fn user_add_and_set_role_make_desk_administrators_who_have_no_organisation() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = user_add(
        dir.path(),
        &["--email", "Dora@NHS.net", "--role", "desk_admin"],
        "a desk administrator's passphrase\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "added desk_admin dora@nhs.net");
    let (code, _, err) = user_add(
        dir.path(),
        &[
            "--email",
            "dan@nhs.net",
            "--role",
            "desk_admin",
            "--ods",
            "RX1",
        ],
        "a desk administrator's passphrase\n",
    );
    assert_eq!(code, 1);
    assert!(err.contains("leave out --ods"), "{err}");
    let run = |args: &[&str]| {
        let output = appreg(dir.path()).args(args).output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (_, listed, _) = run(&["user", "list"]);
    assert!(
        listed.starts_with("dora@nhs.net  desk_admin   -"),
        "{listed}"
    );
    let (code, out, err) = user_add(
        dir.path(),
        &["--email", "rita@nhs.net", "--role", "reviewer"],
        "a reviewer's long passphrase\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&[
        "user",
        "set-role",
        "--email",
        "rita@nhs.net",
        "--role",
        "desk_admin",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        "rita@nhs.net is now desk_admin; it had no session"
    );
    let (code, out, err) = run(&["log", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 account changes"), "{out}");
    let (_, help, _) = run(&["user", "add", "--help"]);
    assert!(help.contains("desk_admin"), "{help}");
}

#[test]
fn user_disable_and_enable_are_signed_and_say_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = user_add(
        dir.path(),
        &["--email", "leaver@nhs.net", "--role", "reviewer"],
        "a reviewer's long passphrase\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let run = |args: &[&str]| {
        let output = appreg(dir.path()).args(args).output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["user", "disable", "--email", "Leaver@NHS.net"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        "leaver@nhs.net is disabled: it can no longer sign in; it had no session"
    );
    let (_, out, _) = run(&["user", "disable", "--email", "leaver@nhs.net"]);
    assert_eq!(
        out.trim(),
        "leaver@nhs.net was already disabled: nothing changed"
    );
    let (_, out, _) = run(&["user", "list"]);
    assert!(out.contains("  disabled 20"), "{out}");
    let (code, out, err) = run(&["user", "enable", "--email", "leaver@nhs.net"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        "leaver@nhs.net is enabled: it can sign in again"
    );
    let (code, _, err) = run(&["user", "disable", "--email", "nobody@nhs.net"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("there is no account with the email nobody@nhs.net"),
        "{err}"
    );
    // Added, disabled, enabled: three signed changes, and the account matches the last.
    let (code, out, err) = run(&["log", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 account changes"), "{out}");
}

#[test]
fn user_add_refuses_a_duplicate_email_whatever_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--email", "rita.reviewer@nhs.net", "--role", "reviewer"];
    let (code, _, err) = user_add(dir.path(), &args, "a long enough password\n");
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = user_add(
        dir.path(),
        &["--email", "RITA.Reviewer@nhs.net", "--role", "reviewer"],
        "another long enough password\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("already an account with the email rita.reviewer@nhs.net"),
        "{err}"
    );
}

#[test]
fn user_add_refuses_a_password_under_12_characters() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = user_add(
        dir.path(),
        &["--email", "rita.reviewer@nhs.net", "--role", "reviewer"],
        "elevenchars\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("too short") && err.contains("at least 12"),
        "{err}"
    );
    let (code, _, err) = user_add(
        dir.path(),
        &["--email", "rita.reviewer@nhs.net", "--role", "reviewer"],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("standard input"), "{err}");
}

#[test]
fn user_add_checks_the_ods_code_and_that_it_fits_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let email = "alice.admin@nhs.net";
    let cases: [(&[&str], &str); 5] = [
        (
            &["--email", email, "--role", "local_admin", "--ods", "RX1!"],
            "--ods RX1!",
        ),
        (
            &["--email", email, "--role", "local_admin", "--ods", "ZZZ"],
            "--ods ZZZ",
        ),
        (&["--email", email, "--role", "local_admin"], "add --ods"),
        (
            &["--email", email, "--role", "reviewer", "--ods", "RX1"],
            "leave out --ods",
        ),
        (
            &[
                "--email",
                "not-an-email",
                "--role",
                "local_admin",
                "--ods",
                "RX1",
            ],
            "not an email",
        ),
    ];
    for (args, expected) in cases {
        let (code, out, err) = user_add(dir.path(), args, "a long enough password\n");
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let output = appreg(dir.path()).args(["user", "list"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
}

/// The statuses of `requests` sent all at once.
async fn statuses_of_a_burst(app: &TestApp, requests: Vec<Request<Body>>) -> Vec<StatusCode> {
    let mut burst = tokio::task::JoinSet::new();
    for request in requests {
        let router = app.router.clone();
        burst.spawn(async move {
            tower::ServiceExt::oneshot(router, request)
                .await
                .unwrap()
                .status()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = burst.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|&&s| s == status).count()
}

/// A sign-in from the address `ip`, with the given cookies.
fn sign_in_from(ip: [u8; 4], email: &str, password: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = sign_in_request(email, password);
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 50000))));
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().unwrap());
    }
    request
}

/// The `appreg_device=…` pair a successful sign-in set.
fn device_cookie(response: &Response<Body>) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap())
        .find(|value| value.starts_with("appreg_device="))
        .expect("a device cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_burst_of_50_guesses_gets_no_more_password_checks_than_the_limit() {
    let app = app_with_accounts_and(LimitSettings {
        max_password_hashes: 64,
        ..LimitSettings::default()
    })
    .await;
    let guesses = (0..50)
        .map(|n| {
            sign_in_from(
                [203, 0, 113, 66],
                ADMIN_EMAIL,
                &format!("guess number {n}"),
                None,
            )
        })
        .collect();
    let statuses = statuses_of_a_burst(&app, guesses).await;
    let checked = count(&statuses, StatusCode::UNAUTHORIZED);
    assert_eq!(
        checked,
        usize::try_from(rate_limit::FREE_FAILURES_PER_ACCOUNT).unwrap(),
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        50 - checked
    );
    assert_eq!(
        store::sign_in::attempts_for(&app.state.pool, ADMIN_EMAIL)
            .await
            .unwrap(),
        rate_limit::FREE_FAILURES_PER_ACCOUNT
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_answers_503_when_every_password_check_is_busy_and_counts_nothing() {
    let app = app_with_accounts_and(LimitSettings {
        max_password_hashes: 1,
        ..LimitSettings::default()
    })
    .await;
    let held = app
        .state
        .limits
        .password_hashing
        .clone()
        .try_acquire_owned()
        .unwrap();
    let (response, body) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    assert_eq!(json_of(&body)["error"], "busy");
    assert_eq!(
        store::sign_in::attempts_for(&app.state.pool, ADMIN_EMAIL)
            .await
            .unwrap(),
        0
    );
    drop(held);
    let (response, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_user_signs_in_from_their_own_browser_during_an_attack() {
    let app = app_with_accounts_and(LimitSettings {
        max_password_hashes: 64,
        ..LimitSettings::default()
    })
    .await;
    let trust = [198, 51, 100, 10];
    // Alice signed in from her browser at the trust before: it holds a device cookie.
    let (response, _) = app
        .send(sign_in_from(trust, ADMIN_EMAIL, ADMIN_PASSWORD, None))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let alices_browser = device_cookie(&response);
    assert!(
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| {
                let v = v.to_str().unwrap();
                v.starts_with("appreg_device=")
                    && v.contains("HttpOnly; SameSite=Strict; Path=/")
                    && v.contains("Max-Age=31536000")
            })
    );

    // An attacker guesses her password in parallel, from outside and from the trust's own
    // shared address, and fills the address's allowance with failures on other accounts.
    let now = OffsetDateTime::now_utc();
    for n in 0..rate_limit::MAX_FAILURES_PER_CLIENT {
        rate_limit::record_failure(
            &app.state.pool,
            &format!("user{n}@nhs.net"),
            "198.51.100.10",
            now,
        )
        .await
        .unwrap();
    }
    let guesses = (0..50)
        .map(|n| {
            let from = if n % 2 == 0 { [203, 0, 113, 66] } else { trust };
            sign_in_from(from, ADMIN_EMAIL, &format!("guess {n}"), None)
        })
        .collect();
    let statuses = statuses_of_a_burst(&app, guesses).await;
    assert!(
        count(&statuses, StatusCode::UNAUTHORIZED) <= 5,
        "{statuses:?}"
    );
    assert_eq!(count(&statuses, StatusCode::OK), 0);

    // From a browser that never signed in, even the right password must wait...
    let (response, _) = app
        .send(sign_in_from(trust, ADMIN_EMAIL, ADMIN_PASSWORD, None))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and so must the reviewer, new to this browser at the trust's address.
    let (response, _) = app
        .send(sign_in_from(trust, REVIEWER_EMAIL, REVIEWER_PASSWORD, None))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // But Alice's own browser is not locked by failures from elsewhere.
    let (response, body) = app
        .send(sign_in_from(
            trust,
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            Some(&alices_browser),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", text(&body));
    // It keeps its device cookie.
    assert_eq!(device_cookie(&response), alices_browser);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_browser_guessing_is_limited_on_its_own_and_locks_no_one_else_out() {
    let app = app_with_accounts_and(LimitSettings {
        max_password_hashes: 64,
        ..LimitSettings::default()
    })
    .await;
    let (response, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let browser = device_cookie(&response);
    let guesses = (0..20)
        .map(|n| {
            sign_in_from(
                [192, 0, 2, 5],
                ADMIN_EMAIL,
                &format!("guess {n}"),
                Some(&browser),
            )
        })
        .collect();
    let statuses = statuses_of_a_burst(&app, guesses).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        usize::try_from(rate_limit::MAX_FAILURES_PER_DEVICE).unwrap(),
        "{statuses:?}"
    );
    let (response, _) = app
        .send(sign_in_from(
            [192, 0, 2, 5],
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            Some(&browser),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another browser is not affected by that browser's failures.
    let (response, _) = app
        .send(sign_in_from(
            [192, 0, 2, 6],
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            None,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // A device cookie issued to another account counts for nothing here.
    let (response, _) = app
        .send(sign_in_from(
            [192, 0, 2, 6],
            REVIEWER_EMAIL,
            "a wrong guess",
            Some(&browser),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        store::sign_in::attempts_for(&app.state.pool, REVIEWER_EMAIL)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_too_long_to_be_an_account_costs_no_password_check_and_no_record() {
    let app = app_with_accounts().await;
    let long = format!("{}@nhs.net", "a".repeat(300));
    let started = Instant::now();
    for _ in 0..20 {
        let (response, body) = sign_in(&app, &long, "whatever it is").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json_of(&body)["error"], "invalid_credentials");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        store::sign_in::attempts_for(&app.state.pool, &long)
            .await
            .unwrap(),
        0
    );
    // A password longer than any account's is refused without a hash, but counts as a guess.
    let (response, _) = sign_in(&app, ADMIN_EMAIL, &"p".repeat(5000)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        store::sign_in::attempts_for(&app.state.pool, ADMIN_EMAIL)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_from_another_site_is_refused() {
    let app = app_with_accounts().await;
    let mut request = sign_in_request(ADMIN_EMAIL, ADMIN_PASSWORD);
    request
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let (response, body) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(json_of(&body)["error"], "cross_site");
    assert!(response.headers().get(header::SET_COOKIE).is_none());
}

#[test]
fn user_reset_password_emails_a_one_time_link_and_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = user_add(
        dir.path(),
        &["--email", "forgetful@nhs.net", "--role", "reviewer"],
        "a reviewer's long passphrase\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let output = appreg(dir.path())
        .args(["user", "reset-password", "--email", "Forgetful@NHS.net"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.starts_with("a one-time link to set a new password was emailed to forgetful@nhs.net (it works once, until "),
        "{out}"
    );
    assert!(
        !out.contains("/reset-password/"),
        "the link is in the email only: {out}"
    );
    let mails: Vec<String> = std::fs::read_dir(dir.path().join("data/outbox"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
        .collect();
    assert_eq!(mails.len(), 1);
    let mail = crate::common::decoded(&mails[0]);
    assert!(mail.contains("To: forgetful@nhs.net"), "{mail}");
    assert!(mail.contains("/reset-password/"), "{mail}");
    // Unknown and disabled accounts get nothing.
    let output = appreg(dir.path())
        .args(["user", "reset-password", "--email", "nobody@nhs.net"])
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("there is no account with the email nobody@nhs.net")
    );
    // A desk where only NHSmail signs people in has no password to reset.
    let output = appreg(dir.path())
        .args(["user", "reset-password", "--email", "forgetful@nhs.net"])
        .env("APPREG_LOCAL_SIGN_IN", "off")
        .env(
            "APPREG_OIDC_ISSUER",
            "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/v2.0",
        )
        .env(
            "APPREG_OIDC_CLIENT_ID",
            "00000000-0000-0000-0000-00000000c11e",
        )
        .env("APPREG_OIDC_CLIENT_SECRET", "a secret")
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("passwords are turned off on this desk"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("data/outbox"))
            .unwrap()
            .count(),
        1
    );
}
