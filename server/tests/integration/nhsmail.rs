//! "Sign in with NHSmail" (issue 17, parts 1 and 2) against a real OpenID provider: node
//! `oidc-provider` (end2end/oidc-provider.mjs), started for each test on a free port. The desk
//! is driven through its router; the provider through HTTP, its development login page filled
//! in as a person would.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use server::identity::oidc::{CertificateKey, ClientAuth, NhsmailSignIn, OidcSettings};
use server::identity::{Role, SignInMethods};

use crate::common::{TestApp, set_cookies};

/// The desk's public URL in these tests (its callback is registered at the provider).
const DESK: &str = "http://desk.test";
/// The certificate client's key and certificate (a test-only key; see the fixtures' README).
const CLIENT_PEM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../registration/tests/fixtures/certificates/key_then_cert.pem"
);

/// A running test provider; stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider with `accounts` (login → claims).
    fn start(accounts: Value) -> Provider {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/oidc-provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("OIDC_PORT", "0")
            .env(
                "OIDC_REDIRECT_URI",
                format!("{DESK}/sign-in/nhsmail/callback"),
            )
            .env("OIDC_CLIENT_CERT", CLIENT_PEM)
            .env("OIDC_ACCOUNTS", accounts.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs end2end/oidc-provider.mjs (scripts/setup installs oidc-provider)");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let started: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the provider did not start: {line:?}"));
        Provider {
            child,
            issuer: started["issuer"].as_str().unwrap().to_string(),
        }
    }

    /// The next ID token the provider issues is changed as `change` says (see the script).
    async fn tamper_next(&self, change: Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/__test/next-id-token", self.issuer))
            .body(change.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    /// The desk's settings for this provider, with the secret client.
    fn settings(&self) -> OidcSettings {
        OidcSettings {
            issuer: self.issuer.clone(),
            client_id: "appreg-desk".to_string(),
            client_auth: ClientAuth::Secret("appreg-desk-test-secret-0123456789abcdef".to_string()),
            public_url: DESK.to_string(),
        }
    }
}

fn methods(settings: OidcSettings, local: bool) -> SignInMethods {
    SignInMethods {
        local,
        nhsmail: Some(Arc::new(NhsmailSignIn::new(settings).unwrap())),
    }
}

/// Alice is a Local Administrator of RXX01 whose token says her email is verified the Entra way
/// (`xms_edov`); Bob is a reviewer with a standard `email_verified`; Eve's email is not verified.
fn people() -> Value {
    json!({
        "alice": { "oid": "8a9f0f1e-0000-4000-8000-00000000a11c", "email": "Alice.Smith@nhs.net", "xms_edov": true, "preferred_username": "alice.smith@nhs.net", "name": "Alice Smith" },
        "bob": { "email": "bob.jones@nhs.net", "email_verified": true, "name": "Bob Jones", "roles": ["local_admin"] },
        "eve": { "oid": "8a9f0f1e-0000-4000-8000-0000000000e5", "email": "eve.taylor@nhs.net", "name": "Eve Taylor" },
        "dan": { "oid": "8a9f0f1e-0000-4000-8000-0000000000d4", "email": "dan.brown@nhs.net", "xms_edov": true, "name": "Dan Brown" },
    })
}

async fn desk(provider: &Provider) -> TestApp {
    let app = TestApp::new()
        .await
        .with_sign_in(methods(provider.settings(), true));
    app.add_account("alice.smith@nhs.net", Role::LocalAdmin, Some("RXX01"))
        .await;
    app.add_account("bob.jones@nhs.net", Role::Reviewer, None)
        .await;
    app.add_account("eve.taylor@nhs.net", Role::LocalAdmin, Some("RXX01"))
        .await;
    app
}

/// `name=value` of the cookie `name` the response sets.
fn cookie(response: &Response<Body>, name: &str) -> Option<String> {
    set_cookies(response)
        .into_iter()
        .find(|cookie| {
            cookie.starts_with(&format!("{name}=")) && !cookie.starts_with(&format!("{name}=;"))
        })
        .map(|cookie| cookie.split(';').next().unwrap().to_string())
}

fn location(response: &Response<Body>) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string()
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// A browser that began a sign-in: the provider URL it was sent to and its `appreg_nhsmail`
/// cookie.
struct Begun {
    authorize_url: String,
    browser_cookie: String,
}

/// Selects "Sign in with NHSmail" on the sign-in page (with `next`, if any).
async fn begin(app: &TestApp, next: &str) -> Begun {
    begin_in(app, next, None).await
}

/// As [`begin`], in a browser that has the `appreg_nhsmail` cookie `browser` already (a
/// sign-in begun in another tab).
async fn begin_in(app: &TestApp, next: &str, browser: Option<&str>) -> Begun {
    let path = if next.is_empty() {
        "/sign-in".to_string()
    } else {
        format!("/sign-in?next={next}")
    };
    let (page, body) = app.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(&body);
    // The link the page shows: `/sign-in/nhsmail`, with `next` when there is one.
    let link = html
        .split("id=\"nhsmail\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no Sign in with NHSmail link: {html}"))
        .replace("&amp;", "&");
    assert!(link.starts_with("/sign-in/nhsmail"), "{link}");
    let mut request = Request::get(&link);
    if let Some(browser) = browser {
        request = request.header(header::COOKIE, browser);
    }
    let (response, body) = app.send(request.body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", text(&body));
    Begun {
        authorize_url: location(&response),
        browser_cookie: cookie(&response, "appreg_nhsmail").unwrap(),
    }
}

/// Signs in at the provider as `login` (its development login page, any password) and returns
/// the desk callback's path and query the provider sends the browser to.
async fn at_provider(authorize_url: &str, login: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar: Vec<(String, String)> = Vec::new();
    let mut url = authorize_url.to_string();
    let mut form: Option<String> = None;
    for _ in 0..12 {
        if let Some(callback) = url.strip_prefix(DESK) {
            return callback.to_string();
        }
        let cookies = jar
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = match form.take() {
            Some(body) => http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
            None => http.get(&url),
        };
        let response = request.header("cookie", cookies).send().await.unwrap();
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            jar.retain(|(known, _)| known != name);
            if !value.is_empty() {
                jar.push((name.to_string(), value.to_string()));
            }
        }
        let base = reqwest::Url::parse(&url).unwrap();
        if response.status().is_redirection() {
            let to = response.headers()["location"].to_str().unwrap().to_string();
            url = base.join(&to).unwrap().to_string();
            continue;
        }
        let status = response.status();
        let html = response.text().await.unwrap();
        assert_eq!(status, 200, "the provider answered {status}: {html}");
        // The login page: <form ... action="/interaction/<uid>" method="post"> with `login`.
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no form on the provider's page: {html}"));
        url = base.join(action).unwrap().to_string();
        form = Some(format!("prompt=login&login={login}&password=any-password"));
    }
    panic!("the provider never sent the browser back to the desk");
}

/// The desk's answer to the provider sending the browser back with `callback`.
async fn come_back(
    app: &TestApp,
    callback: &str,
    browser_cookie: Option<&str>,
) -> (Response<Body>, String) {
    let mut request = Request::get(callback);
    if let Some(cookie) = browser_cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let (response, body) = app.send(request.body(Body::empty()).unwrap()).await;
    (response, text(&body))
}

/// A whole sign-in as `login`: the desk's answer at the end.
async fn sign_in_as(app: &TestApp, login: &str) -> (Response<Body>, String) {
    let begun = begin(app, "").await;
    let callback = at_provider(&begun.authorize_url, login).await;
    come_back(app, &callback, Some(&begun.browser_cookie)).await
}

/// Who the session cookie `response` set belongs to, through the API.
async fn whoami(app: &TestApp, response: &Response<Body>) -> Value {
    let session = cookie(response, "appreg_session").expect("a session cookie");
    let (answer, body) = app
        .send(
            Request::get("/api/v1/session")
                .header(header::COOKIE, session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK, "{}", text(&body));
    serde_json::from_slice(&body).unwrap()
}

async fn account_changes(app: &TestApp) -> i64 {
    crate::api_support::audit(app).await.account_changes
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_in_with_nhsmail_is_linked_once_and_keeps_the_desks_role() {
    let provider = Provider::start(people());
    let app = desk(&provider).await;

    // The request carries PKCE (S256), a state and a nonce; the cookie ties it to this browser.
    let begun = begin(&app, "/register").await;
    let url = reqwest::Url::parse(&begun.authorize_url).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["client_id"], "appreg-desk");
    assert_eq!(
        query["redirect_uri"],
        "http://desk.test/sign-in/nhsmail/callback"
    );
    assert!(query["state"].len() >= 22 && query["nonce"].len() >= 22);
    assert!(query["scope"].contains("openid") && query["scope"].contains("email"));
    assert!(begun.browser_cookie.starts_with("appreg_nhsmail="));

    // Alice's first sign-in: matched by her verified email (the token's has capitals), linked
    // by her `oid`, and sent on to the page she asked for.
    let callback = at_provider(&begun.authorize_url, "alice").await;
    let (response, body) = come_back(&app, &callback, Some(&begun.browser_cookie)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&response), "/register");
    let me = whoami(&app, &response).await;
    assert_eq!(me["email"], "alice.smith@nhs.net");
    assert_eq!(me["role"], "local_admin");
    assert_eq!(me["ods_code"], "RXX01");
    assert_eq!(account_changes(&app).await, 1, "the link is signed");
    let linked: (String, String) = sqlx::query_as("SELECT issuer, subject FROM user_identity")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(
        linked,
        (
            provider.issuer.clone(),
            "8a9f0f1e-0000-4000-8000-00000000a11c".to_string()
        )
    );

    // The link is signed in the log: who, which provider and subject.
    let jws: String = sqlx::query_scalar(
        "SELECT jws FROM log_entry WHERE kind = 'account_change' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            jws.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["change"], "sign_in_linked");
    assert_eq!(
        claims["sign_in"]["subject"],
        "8a9f0f1e-0000-4000-8000-00000000a11c"
    );

    // Her second sign-in finds her by subject: no second link, her home page.
    let (response, body) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&response), "/requests");
    assert_eq!(account_changes(&app).await, 1);

    // Bob's token says he is a local_admin (`roles`): the desk says reviewer, and that holds.
    let (response, body) = sign_in_as(&app, "bob").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&response), "/review");
    assert_eq!(whoami(&app, &response).await["role"], "reviewer");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_account_is_made_for_an_unknown_person_or_an_unverified_email() {
    let provider = Provider::start(people());
    let app = desk(&provider).await;
    let accounts_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();

    // Dan has a verified NHSmail address and no account: a page saying whom to ask.
    let (response, body) = sign_in_as(&app, "dan").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("There is no account for dan.brown@nhs.net on this desk"),
        "{body}"
    );
    assert!(body.contains("Ask the desk"), "{body}");
    assert!(cookie(&response, "appreg_session").is_none());

    // Eve's account exists, but her token does not say her email is verified: not linked.
    let (response, body) = sign_in_as(&app, "eve").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("There is no account for eve.taylor@nhs.net"),
        "{body}"
    );

    let accounts_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(accounts_after, accounts_before);
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_identity")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(links, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_account_is_not_signed_in() {
    let provider = Provider::start(people());
    let app = desk(&provider).await;
    let (response, _) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    server::identity::accounts::set_disabled(
        app.state.change_log(),
        "alice.smith@nhs.net",
        true,
        server::identity::accounts::By("cli"),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let (response, body) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("Your account on this desk is disabled"),
        "{body}"
    );
    assert!(cookie(&response, "appreg_session").is_none());
}

/// Each refused token: the change the provider makes to the next ID token.
#[tokio::test(flavor = "multi_thread")]
async fn id_tokens_with_a_wrong_issuer_audience_nonce_or_signature_or_out_of_date_are_refused() {
    let provider = Provider::start(people());
    let app = desk(&provider).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases = [
        (
            "wrong issuer",
            json!({ "claims": { "iss": "https://login.example.com/other/v2.0" } }),
        ),
        (
            "wrong audience",
            json!({ "claims": { "aud": "another-application" } }),
        ),
        ("expired", json!({ "claims": { "exp_offset": -120 } })),
        (
            "issued long ago",
            json!({ "claims": { "iat": now - 3600, "exp_offset": 600 } }),
        ),
        (
            "issued in the future",
            json!({ "claims": { "iat": now + 3600, "exp_offset": 7200 } }),
        ),
        (
            "wrong nonce",
            json!({ "claims": { "nonce": "not-the-nonce-the-desk-sent" } }),
        ),
        ("bad signature", json!({ "foreign_key": true })),
    ];
    for (case, change) in cases {
        let begun = begin(&app, "").await;
        let callback = at_provider(&begun.authorize_url, "alice").await;
        provider.tamper_next(change).await;
        let (response, body) = come_back(&app, &callback, Some(&begun.browser_cookie)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{case}: {body}"
        );
        assert!(
            body.contains("Your NHSmail sign-in could not be checked"),
            "{case}: {body}"
        );
        assert!(cookie(&response, "appreg_session").is_none(), "{case}");
    }
    // Nothing was linked by any of them; an untouched token still works.
    assert_eq!(account_changes(&app).await, 0);
    let (response, body) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_is_answered_once_and_only_in_the_browser_that_began_it() {
    let provider = Provider::start(people());
    let app = desk(&provider).await;

    // Replayed: the same answer a second time.
    let begun = begin(&app, "").await;
    let callback = at_provider(&begun.authorize_url, "alice").await;
    let (response, _) = come_back(&app, &callback, Some(&begun.browser_cookie)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (response, body) = come_back(&app, &callback, Some(&begun.browser_cookie)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("That sign-in had expired or was already used"),
        "{body}"
    );

    // Another browser (no cookie, or another's): an attacker's answer sent to someone else.
    let begun = begin(&app, "").await;
    let callback = at_provider(&begun.authorize_url, "alice").await;
    let (response, body) = come_back(&app, &callback, None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    let other = begin(&app, "").await;
    let (response, _) = come_back(&app, &callback, Some(&other.browser_cookie)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(cookie(&response, "appreg_session").is_none());

    // No state at all, and a made-up one.
    let (response, _) = come_back(
        &app,
        "/sign-in/nhsmail/callback?code=x",
        Some(&other.browser_cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (response, _) = come_back(
        &app,
        "/sign-in/nhsmail/callback?code=x&state=made-up",
        Some(&other.browser_cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // The person cancelling at the provider (error=access_denied).
    let begun = begin(&app, "").await;
    let state = reqwest::Url::parse(&begun.authorize_url)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let (response, body) = come_back(
        &app,
        &format!("/sign-in/nhsmail/callback?error=access_denied&state={state}"),
        Some(&begun.browser_cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("NHSmail did not sign you in"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_each_finish_their_sign_in_and_a_first_link_is_signed_once() {
    let provider = Provider::start(people());
    let app = desk(&provider).await;
    // A tired person selects "Sign in with NHSmail" in two tabs: the second keeps the browser's
    // cookie, so both can come back.
    let first = begin(&app, "").await;
    let second = begin_in(&app, "/register", Some(&first.browser_cookie)).await;
    assert_eq!(second.browser_cookie, first.browser_cookie);
    let first_back = at_provider(&first.authorize_url, "alice").await;
    let second_back = at_provider(&second.authorize_url, "alice").await;
    // Both finish at the same moment, each the person's first sign-in: one link, signed once.
    let (one, two) = tokio::join!(
        come_back(&app, &first_back, Some(&first.browser_cookie)),
        come_back(&app, &second_back, Some(&first.browser_cookie)),
    );
    assert_eq!(one.0.status(), StatusCode::SEE_OTHER, "{}", one.1);
    assert_eq!(two.0.status(), StatusCode::SEE_OTHER, "{}", two.1);
    assert_eq!(location(&two.0), "/register");
    assert_eq!(account_changes(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_address_cannot_fill_the_desks_waiting_sign_ins() {
    let provider = Provider::start(people());
    let app = desk(&provider).await;
    let from =
        |ip: [u8; 4]| {
            let mut request = Request::get("/sign-in/nhsmail")
                .body(Body::empty())
                .unwrap();
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from((ip, 50000)),
            ));
            request
        };
    let most = server::store::oidc::MOST_PENDING_PER_CLIENT;
    for _ in 0..most {
        let (response, _) = app.send(from([192, 0, 2, 7])).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    // Someone requesting sign-ins without finishing them, to lock everyone out: refused.
    let (response, body) = app.send(from([192, 0, 2, 7])).await;
    let body = text(&body);
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body.contains("Too many sign-ins were begun from your network"),
        "{body}"
    );
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_sign_in")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(waiting, most);
    // Everyone else still signs in.
    let (response, _) = app.send(from([198, 51, 100, 9])).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (response, body) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_is_down_gets_a_clear_page_not_a_500() {
    // A provider that takes every connection and closes it without a word, counting them.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    let app = TestApp::new().await.with_sign_in(methods(
        OidcSettings {
            issuer,
            client_id: "appreg-desk".to_string(),
            client_auth: ClientAuth::Secret("secret".to_string()),
            public_url: DESK.to_string(),
        },
        true,
    ));
    for _ in 0..3 {
        let (response, body) = app.get("/sign-in/nhsmail").await;
        let body = text(&body);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(
            body.contains("Sign-in with NHSmail is not working at the moment"),
            "{body}"
        );
        assert!(
            body.contains("or sign in with your email address and password"),
            "{body}"
        );
        assert!(cookie(&response, "appreg_nhsmail").is_none());
    }
    // Asked once: while it is down, people are told at once instead of each waiting out the
    // timeout in turn.
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_authenticates_with_a_certificate_and_follows_a_key_rotation() {
    let provider = Provider::start(people());
    let settings = OidcSettings {
        client_id: "appreg-desk-cert".to_string(),
        client_auth: ClientAuth::PrivateKey(Arc::new(
            CertificateKey::from_pem_file(std::path::Path::new(CLIENT_PEM)).unwrap(),
        )),
        ..provider.settings()
    };
    let app = TestApp::new().await.with_sign_in(methods(settings, true));
    app.add_account("alice.smith@nhs.net", Role::LocalAdmin, Some("RXX01"))
        .await;
    // private_key_jwt: the provider checks the assertion against the certificate's key.
    let (response, body) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");

    // The provider rotates its signing key: the desk has not seen the new one, fetches the
    // keys again and takes the token.
    let begun = begin(&app, "").await;
    let callback = at_provider(&begun.authorize_url, "alice").await;
    provider.tamper_next(json!({ "rotate": true })).await;
    let (response, body) = come_back(&app, &callback, Some(&begun.browser_cookie)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_local_sign_in_off_only_nhsmail_signs_people_in() {
    let provider = Provider::start(people());
    let app = TestApp::new()
        .await
        .with_sign_in(methods(provider.settings(), false));
    app.add_account("alice.smith@nhs.net", Role::LocalAdmin, Some("RXX01"))
        .await;
    let (page, body) = app.get("/sign-in").await;
    let html = text(&body);
    assert!(html.contains("Sign in with NHSmail"), "{html}");
    assert!(!html.contains("name=\"password\""), "{html}");
    assert!(!html.contains("name=\"csrf_token\""), "{html}");
    // A password posted anyway (a page from before the change) and the API's password sign-in
    // are refused.
    let (response, body) = app
        .send(
            Request::post("/sign-in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie(&page, "appreg_sign_in").unwrap())
                .body(Body::from(format!(
                    "email=alice.smith%40nhs.net&password={}&next=",
                    crate::common::PASSWORD.replace(' ', "+")
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{}", text(&body));
    assert!(text(&body).contains("Passwords are turned off on this desk"));
    let (response, body) = app
        .post_json(
            "/api/v1/session",
            json!({ "email": "alice.smith@nhs.net", "password": crate::common::PASSWORD })
                .to_string(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "local_sign_in_off");
    // NHSmail does; the header offers no "Change password", whose post would be refused.
    let (response, body) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
    let (page, body) = app
        .send(
            Request::get("/requests")
                .header(header::COOKIE, cookie(&response, "appreg_session").unwrap())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(&body);
    assert!(html.contains("alice.smith@nhs.net"), "{html}");
    assert!(!html.contains("Change password"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn on_an_nhsmail_only_desk_a_desk_administrator_adds_someone_who_then_signs_in_with_nhsmail()
{
    let provider = Provider::start(people());
    let app = TestApp::new().await;
    // The desk administrator's session began before passwords were turned off.
    let dora = app.sign_in_as("dora@nhs.net", Role::DeskAdmin, None).await;
    let app = app.with_sign_in(methods(provider.settings(), false));
    let list = crate::api_support::get_page(&app, &dora, "/accounts").await;
    assert!(
        list.body
            .contains("their first sign-in links it to this account"),
        "{}",
        list.body
    );
    let added = crate::api_support::post_page_form(
        &app,
        &dora,
        "/accounts",
        &[
            ("email", "Alice.Smith@nhs.net"),
            ("role", "local_admin"),
            ("ods_code", "RX1"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(added.location.contains("done=added"), "{}", added.location);
    // No link to set a password: there is none to set.
    assert!(app.outbox().is_empty(), "{:?}", app.outbox());
    let page = crate::api_support::get_page(&app, &dora, &added.location).await;
    assert!(
        page.body.contains("can now sign in with NHSmail"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("there is no password here to set"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Email a password reset link"),
        "{}",
        page.body
    );
    let id = added
        .location
        .trim_start_matches("/accounts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let refused = crate::api_support::post_page_form(
        &app,
        &dora,
        &format!("/accounts/{id}/password-reset"),
        &[],
    )
    .await;
    assert!(
        refused.location.contains("error=local_off"),
        "{}",
        refused.location
    );
    assert!(app.outbox().is_empty());

    // Alice signs in with NHSmail: linked to the account Dora made, as what Dora made it.
    let (response, body) = sign_in_as(&app, "alice").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{body}");
    let me = whoami(&app, &response).await;
    assert_eq!(
        (me["role"].as_str(), me["ods_code"].as_str()),
        (Some("local_admin"), Some("RX1"))
    );
    let history = crate::api_support::get_page(&app, &dora, &format!("/accounts/{id}")).await;
    assert!(
        history.body.contains("Linked to their NHSmail sign-in"),
        "{}",
        history.body
    );
}
