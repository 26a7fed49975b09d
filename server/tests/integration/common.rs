//! A `TestApp` over the real router and a real database file.

#![allow(dead_code, reason = "shared by the test modules: each uses a part")]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, header};
use http_body_util::BodyExt;
use server::identity::Role;
use server::identity::passwords::{self, Password};
use server::signing::KeyRing;
use server::store::{self, directory::ServerDirectory};
use server::web::{self, AppState};
use tower::ServiceExt;

/// The router with its own temporary database.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    /// Its database: a new SQLite file in `dir`, or a new PostgreSQL database (see
    /// [`database_url`]).
    pub database_url: String,
    /// When set, `send` adds this account's session cookie to requests that carry none.
    pub session: Option<Account>,
}

/// Every `Set-Cookie` of a response.
pub fn set_cookies(response: &Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .collect()
}

/// The password every test account has.
pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in test account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its id in `users`.
    pub user_id: String,
    /// Its email.
    pub email: String,
    /// `appreg_session=…`, for the Cookie header.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// The PostgreSQL server the store tests run against as well, when set (`scripts/test` starts
/// a throwaway cluster and sets it for a second run): a URL of its maintenance database.
pub const POSTGRES_VARIABLE: &str = "APPREG_TEST_POSTGRES";

/// A new, empty database for one test: an SQLite file in `dir`, or, when [`POSTGRES_VARIABLE`]
/// names a PostgreSQL server, a new database there (made from a template that the migrations
/// already brought up to date, once per test run; the cluster is thrown away afterwards).
pub async fn database_url(dir: &std::path::Path) -> String {
    match std::env::var(POSTGRES_VARIABLE) {
        Ok(server) if !server.is_empty() => postgres_database(&server).await,
        _ => format!("sqlite://{}", dir.join("appreg.sqlite").display()),
    }
}

/// True when this run's test databases are PostgreSQL's.
pub fn on_postgres() -> bool {
    std::env::var(POSTGRES_VARIABLE).is_ok_and(|server| !server.is_empty())
}

async fn postgres_database(server: &str) -> String {
    use sqlx::{Connection, Executor};
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let with_database = |name: &str| {
        let mut url = url::Url::parse(server).unwrap();
        url.set_path(&format!("/{name}"));
        url.to_string()
    };
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = format!("appreg_template_{}", std::process::id());
            // Made on a thread of its own: the tests' runtimes come and go, the template stays.
            let server = server.to_string();
            let url = with_database(&name);
            let made = name.clone();
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(async {
                        let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
                        admin
                            .execute(
                                format!(
                                    "CREATE DATABASE {made} TEMPLATE template0 LOCALE 'C' ENCODING 'UTF8'"
                                )
                                .as_str(),
                            )
                            .await
                            .unwrap();
                        admin.close().await.unwrap();
                        store::open(&url).await.unwrap().close().await;
                    });
            })
            .join()
            .unwrap();
            name
        })
        .await;
    let name = format!("appreg_test_{}", server::random::random_hex(8));
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    with_database(&name)
}

impl TestApp {
    /// The `appreg` binary on this desk: its data directory and database, no config file, and
    /// mail to its outbox (whatever the environment says).
    pub fn appreg_command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_appreg"));
        command
            .current_dir(self.dir.path())
            .env_remove("APPREG_CONFIG")
            .env_remove("APPREG_SMTP_URL")
            .env("APPREG_DATABASE_URL", &self.database_url)
            .env("APPREG_DATA_DIR", self.dir.path());
        command
    }

    pub async fn new() -> TestApp {
        TestApp::with_limits(server::limits::LimitSettings::default()).await
    }

    /// A new app whose limits (timeouts, concurrency, rates) are `limits`.
    pub async fn with_limits(limits: server::limits::LimitSettings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(dir.path()).await;
        let keys = dir.path().join("keys");
        TestApp::desk(dir, url, &keys, limits).await
    }

    /// Another desk on this one's database and signing keys (as several servers behind a load
    /// balancer are): its own pool, writer, outbox and limits, the same accounts and sessions.
    pub async fn another_desk(&self) -> TestApp {
        TestApp::desk(
            tempfile::tempdir().unwrap(),
            self.database_url.clone(),
            &self.dir.path().join("keys"),
            self.state.limits.settings.clone(),
        )
        .await
    }

    async fn desk(
        dir: tempfile::TempDir,
        url: String,
        keys: &std::path::Path,
        limits: server::limits::LimitSettings,
    ) -> TestApp {
        let pool = store::open(&url).await.unwrap();
        let directory = Arc::new(ServerDirectory::load(&pool).await.unwrap());
        let secrets = server::secrets::SecretBox::open(keys).unwrap();
        let keys = Arc::new(
            KeyRing::open(&pool, keys, "http://127.0.0.1:3000")
                .await
                .unwrap(),
        );
        let leptos_options = server::site::options(
            &server::site::settings().unwrap(),
            &dir.path().join("site"),
            "127.0.0.1:0".parse().unwrap(),
        );
        let mailer = Arc::new(
            server::notify::Mailer::outbox(dir.path().join("outbox"), "appreg@localhost").unwrap(),
        );
        let state = AppState {
            pool,
            directory,
            keys,
            mailer,
            writer: Arc::new(store::WriteLock::new()),
            limits: Arc::new(server::limits::Limits::new(limits)),
            leptos_options,
            applications: Arc::new(server::applications::Settings {
                tenant_id: registration::implementation::NHSMAIL_TENANT_ID.to_string(),
                secrets,
            }),
            sign_in: Arc::new(server::identity::SignInMethods::local_only()),
        };
        TestApp {
            router: web::router(state.clone()),
            state,
            dir,
            database_url: url,
            session: None,
        }
    }

    /// This app with its reviewers told of arrivals and withdrawals as `notices` says (its
    /// mailer made again, on the same outbox).
    pub fn with_reviewer_notices(
        mut self,
        notices: server::reviewer_notices::ReviewerNotices,
    ) -> TestApp {
        let mailer =
            server::notify::Mailer::outbox(self.dir.path().join("outbox"), "appreg@localhost")
                .unwrap()
                .with_reviewer_notices(notices);
        self.state.mailer = Arc::new(mailer);
        self.router = web::router(self.state.clone());
        self
    }

    /// This app with people signing in as `sign_in` says (its router made again).
    pub fn with_sign_in(mut self, sign_in: server::identity::SignInMethods) -> TestApp {
        self.state.sign_in = Arc::new(sign_in);
        self.router = web::router(self.state.clone());
        self
    }

    /// A new app whose requests are made, unless they say otherwise, by a signed-in Local
    /// Administrator of `ods_code` (email `admin@<ods>.nhs.net`).
    pub async fn as_local_admin_of(ods_code: &str) -> TestApp {
        let mut app = TestApp::new().await;
        let email = format!("admin@{}.nhs.net", ods_code.to_ascii_lowercase());
        app.session = Some(
            app.sign_in_as(&email, Role::LocalAdmin, Some(ods_code))
                .await,
        );
        app
    }

    /// Serves the app on a real socket (127.0.0.1, a free port) as `appreg serve` does, until
    /// the returned sender is dropped or sent to; the handle finishes when the server has stopped.
    pub async fn serve(
        &self,
    ) -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = self.router.clone();
        let settings = self.state.limits.settings.clone();
        let server = tokio::spawn(async move {
            web::serve::serve(listener, router, &settings, async {
                let _ = stopped.await;
            })
            .await;
        });
        (address, stop, server)
    }

    /// Takes every validation slot until the returned permits are dropped (the desk under load).
    pub fn hold_every_validation_slot(&self) -> Vec<tokio::sync::OwnedSemaphorePermit> {
        (0..self.state.limits.settings.max_validations)
            .map(|_| {
                self.state
                    .limits
                    .validation
                    .clone()
                    .try_acquire_owned()
                    .unwrap()
            })
            .collect()
    }

    /// The default account's CSRF token.
    pub fn csrf(&self) -> String {
        self.session.as_ref().expect("a signed-in app").csrf.clone()
    }

    /// Adds an account with [`PASSWORD`]; returns its id.
    pub async fn add_account(&self, email: &str, role: Role, ods_code: Option<&str>) -> String {
        let hash = passwords::hash(&Password::new(PASSWORD)).unwrap();
        store::users::add(
            &self.state.pool,
            store::users::NewUser {
                email,
                role,
                ods_code,
                password_hash: &hash,
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap()
        .id
    }

    /// Adds an account and signs it in through `POST /api/v1/session`.
    pub async fn sign_in_as(&self, email: &str, role: Role, ods_code: Option<&str>) -> Account {
        let user_id = self.add_account(email, role, ods_code).await;
        self.sign_in(email, &user_id).await
    }

    /// Signs in an existing account (with [`PASSWORD`]).
    pub async fn sign_in(&self, email: &str, user_id: &str) -> Account {
        let request = Request::post("/api/v1/session")
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({ "email": email, "password": PASSWORD }).to_string(),
            ))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200, "sign-in of {email}");
        let cookie = response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        Account {
            user_id: user_id.to_string(),
            email: email.to_string(),
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    /// The messages written to the outbox so far, each as its raw .eml text.
    pub fn outbox(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("outbox")) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
            .collect()
    }

    pub async fn send(&self, mut request: Request<Body>) -> (Response<Body>, Vec<u8>) {
        if let Some(account) = &self.session
            && !request.headers().contains_key(header::COOKIE)
        {
            request
                .headers_mut()
                .insert(header::COOKIE, account.cookie.parse().unwrap());
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let mut bytes = body.collect().await.unwrap().to_bytes().to_vec();
        if is_plain_html(&parts.headers) {
            bytes = without_hydration_markers(&bytes);
        }
        (Response::from_parts(parts, Body::empty()), bytes)
    }

    pub async fn get(&self, path: &str) -> (Response<Body>, Vec<u8>) {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: impl Into<Body>,
    ) -> (Response<Body>, serde_json::Value) {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .body(body.into())
            .unwrap();
        let (response, bytes) = self.send(request).await;
        (
            response,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Whether a response is an uncompressed HTML page.
pub(crate) fn is_plain_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
        && !headers.contains_key(header::CONTENT_ENCODING)
}

/// A page as a person sees it, for the tests that look for its text: without the empty comments
/// (`<!>`) that Leptos's erased components leave after dynamic text for hydration
/// (`.cargo/config.toml`). Text never holds them (a `<` in it is escaped), and a browser shows
/// nothing of them.
pub(crate) fn without_hydration_markers(html: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.windows(3).position(|window| window == b"<!>") {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at + 3..];
    }
    out.extend_from_slice(rest);
    out
}

/// The example request of CONTRACTS.md, adapted to real demo data (valid).
pub fn delegated_request() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../../registration/tests/data/delegated_request.json"
    ))
    .unwrap()
}

/// A Local Administrator capability of `ods_code` for calling domain functions directly
/// (account id `test-admin-<ods>`, email `admin@<ods>.nhs.net`).
pub fn local_admin_of(ods_code: &str) -> server::identity::LocalAdminOf {
    let lower = ods_code.to_ascii_lowercase();
    server::identity::require_local_admin(
        &server::identity::Identity {
            user_id: format!("test-admin-{lower}"),
            email: format!("admin@{lower}.nhs.net"),
            role: Role::LocalAdmin,
            ods_code: Some(ods_code.to_string()),
        },
        ods_code,
    )
    .unwrap()
}

/// What a reviewer reading the latest version of `reference` sees: its version and the
/// SHA-256 of its signed record (what a decision must name).
pub async fn seen_latest(pool: &sqlx::AnyPool, reference: &str) -> server::review::Seen {
    let Some(latest) = store::registrations::latest(pool, reference).await.unwrap() else {
        // No such request: what a decision on it names does not matter.
        return server::review::Seen {
            version: 1,
            record_sha256: None,
        };
    };
    let record = store::log::record_of(pool, reference, latest.version)
        .await
        .unwrap()
        .unwrap();
    server::review::Seen {
        version: latest.version,
        record_sha256: Some(store::log::sha256_hex(record.as_bytes())),
    }
}

/// Approves the latest version of `reference` as reviewers `approver-1` (and `approver-2`
/// when it needs two approvals), each deciding on what they read.
pub async fn approve(app: &TestApp, reference: &str) {
    for n in 1..=2 {
        let reviewer = server::identity::require_reviewer(&server::identity::Identity {
            user_id: format!("approver-{n}"),
            email: format!("approver-{n}@nhs.net"),
            role: Role::Reviewer,
            ods_code: None,
        })
        .unwrap();
        let decided = server::review::decide(
            app.state.desk(),
            &reviewer,
            reference,
            seen_latest(&app.state.pool, reference).await,
            server::review::Decision::Approve,
            None,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        if decided.status == server::registrations::Status::Approved {
            return;
        }
    }
    panic!("{reference} was not approved by two reviewers");
}

/// The certificate fixtures of the rules crate (registration/tests/fixtures/certificates/).
pub const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../registration/tests/fixtures/certificates/"
);

/// App-only Mail.Send for RX1's application mailbox, scoped to RX1's group, with a real
/// certificate: high risk, two approvals.
pub fn app_only_mail_request() -> serde_json::Value {
    use base64::Engine as _;
    use serde_json::json;
    let mut request = delegated_request();
    let pem = std::fs::read(format!("{FIXTURES}rsa2048.pem")).unwrap();
    request["access_type"] = json!("application");
    request["permissions"] = json!([{ "value": "Mail.Send", "type": "application" }]);
    request["mailboxes"] = json!(["connector.app@nhs.net"]);
    request["redirect_uris"] = json!([]);
    request["access_policy_group"] = json!("ward7-connector-scope@nhs.net");
    request["certificates"] = json!([{
        "file_name": "connector.cer",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(pem),
    }]);
    request
}

/// The value of a page's first hidden `csrf_token` field.
pub fn hidden_csrf_token(html: &str) -> String {
    let start = "name=\"csrf_token\" value=\"";
    let at = html.find(start).expect("a csrf_token field") + start.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Whether a page's forms carry `token`, masked as pages carry it, and never `token` itself.
pub fn carries_csrf_token(html: &str, token: &str) -> bool {
    server::identity::csrf::same_token(hidden_csrf_token(html).as_bytes(), token.as_bytes())
        && !html.contains(token)
}

/// The message with quoted-printable soft line breaks and `=XX` escapes undone.
pub fn decoded(mail: &str) -> String {
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = tail.get(..2).and_then(|hex| std::str::from_utf8(hex).ok());
        match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            Some(value) if byte == b'=' => {
                bytes.push(value);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).unwrap()
}

/// The outbox's messages whose Subject holds `subject`, after waiting a little for the
/// background sender (`expected` of them; fewer after a second means fewer were sent).
pub async fn mails_with_subject(app: &TestApp, subject: &str, expected: usize) -> Vec<String> {
    let mut found = Vec::new();
    for _ in 0..50 {
        found = app
            .outbox()
            .into_iter()
            .filter(|mail| {
                mail.lines()
                    .any(|line| line.starts_with("Subject:") && line.contains(subject))
            })
            .map(|mail| decoded(&mail))
            .collect();
        if found.len() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    found
}
