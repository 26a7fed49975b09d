//! After approval (issue 14, parts 1 and 2): a reviewer records the application as created in
//! the tenant (it becomes `live`), the client secret is handed back to the requesting
//! organisation's Local Administrators for 72 hours and then purged, each step signed in the
//! log; the secret's value never leaks.

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use server::applications::{self, Posted, SecretError};
use server::identity::{Identity, Role};
use server::signing::jws;
use time::{Duration, OffsetDateTime};

use crate::api_support::{Answer, assert_error, call, submit};
use crate::common::{Account, TestApp, approve, delegated_request};

pub(crate) const APP_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
pub(crate) const OBJECT_ID: &str = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
pub(crate) const SECRET_ID: &str = "aa4fe1b7-2c6b-4e1d-9b9c-54b0d1ee7a5c";
/// A value nobody would type by chance: every leak test greps for it.
const SECRET_VALUE: &str = "Zq8~LEAKCANARY.x1y2z3-not-a-real-secret";

/// A desk with a Local Administrator of RX1, one of RJ1 and a reviewer (shared with the pages'
/// tests in `pages_implementation`).
pub(crate) struct Desk {
    pub(crate) app: TestApp,
    pub(crate) admin: Account,
    pub(crate) other_admin: Account,
    pub(crate) rita: Account,
}

pub(crate) async fn desk() -> Desk {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let other_admin = app
        .sign_in_as("admin@rj1.nhs.net", Role::LocalAdmin, Some("RJ1"))
        .await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    Desk {
        app,
        admin,
        other_admin,
        rita,
    }
}

pub(crate) fn request_with_secret() -> Value {
    let mut request = delegated_request();
    request["client_secret"] = json!({ "lifetime_months": 12 });
    request
}

pub(crate) async fn approved(desk: &Desk, request: &Value) -> String {
    let reference = submit(&desk.app, &desk.admin, request).await;
    approve(&desk.app, &reference).await;
    reference
}

fn rfc3339(at: OffsetDateTime) -> String {
    server::store::timestamp(at)
}

fn fields(secret: Option<(&str, &str, OffsetDateTime)>) -> Value {
    json!({
        "application_id": APP_ID,
        "object_id": OBJECT_ID,
        "client_secret": secret.map(|(value, id, expires_at)| json!({
            "value": value, "secret_id": id, "expires_at": rfc3339(expires_at)
        })),
    })
}

async fn implement(desk: &Desk, account: &Account, reference: &str, body: &Value) -> Answer {
    call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/implementation"),
        Some(account),
        Some(body),
    )
    .await
}

async fn get(desk: &Desk, account: Option<&Account>, path: &str) -> Answer {
    call(&desk.app, Method::GET, path, account, None).await
}

fn in_300_days() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(300)
}

fn reviewer(email: &str) -> server::identity::Reviewer {
    server::identity::require_reviewer(&Identity {
        user_id: format!("id-{email}"),
        email: email.to_string(),
        role: Role::Reviewer,
        ods_code: None,
    })
    .unwrap()
}

fn identity_of(account: &Account, role: Role, ods: Option<&str>) -> Identity {
    Identity {
        user_id: account.user_id.clone(),
        email: account.email.clone(),
        role,
        ods_code: ods.map(str::to_string),
    }
}

#[tokio::test]
async fn recording_the_implementation_makes_the_request_live_with_its_credentials() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let expires = in_300_days();
    let answer = implement(
        &desk,
        &desk.rita,
        &reference,
        &fields(Some((SECRET_VALUE, SECRET_ID, expires))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["status"], "live");
    assert_eq!(body["application_id"], APP_ID);
    assert_eq!(body["tenant_id"], "37c354b2-85b0-47f5-b222-07b48d774ee3");
    assert_eq!(body["secret_id"], SECRET_ID);
    assert!(!answer.text().contains(SECRET_VALUE));

    let detail = get(
        &desk,
        Some(&desk.admin),
        &format!("/api/v1/registrations/{reference}"),
    )
    .await
    .json();
    assert_eq!(detail["status"], "live", "{detail}");
    assert_eq!(detail["application_id"], APP_ID);
    assert_eq!(detail["tenant_id"], "37c354b2-85b0-47f5-b222-07b48d774ee3");
    assert_eq!(
        detail["credentials"],
        json!([{ "kind": "secret", "id": SECRET_ID, "expires_at": rfc3339(expires), "replaced": false }])
    );

    // The signed implementation: its claims, and never the secret's value.
    let entries = server::store::log::entries(&desk.app.state.pool)
        .await
        .unwrap();
    let entry = entries.last().unwrap();
    assert_eq!(entry.kind, "implementation");
    let keys = server::store::log::key_set(&desk.app.state.pool)
        .await
        .unwrap();
    let verified = jws::verify_as(&entry.jws, &keys, "appreg-implementation+jwt").unwrap();
    let record = server::store::log::record_of(&desk.app.state.pool, &reference, 1)
        .await
        .unwrap()
        .unwrap();
    let claims = verified.claims;
    assert_eq!(claims["jti"], format!("{reference}/implementation"));
    assert_eq!(claims["reference"], reference.as_str());
    assert_eq!(claims["version"], 1);
    assert_eq!(claims["application_id"], APP_ID);
    assert_eq!(claims["object_id"], OBJECT_ID);
    assert_eq!(claims["tenant_id"], "37c354b2-85b0-47f5-b222-07b48d774ee3");
    assert_eq!(claims["implemented_by"], "rita@nhs.net");
    assert_eq!(
        claims["record_sha256"],
        server::store::log::sha256_hex(record.as_bytes())
    );
    assert_eq!(claims["secret_id"], SECRET_ID);
    assert_eq!(claims["secret_expires_at"], rfc3339(expires));
    assert!(!claims.to_string().contains(SECRET_VALUE));

    // Once only.
    let again = implement(
        &desk,
        &desk.rita,
        &reference,
        &fields(Some((SECRET_VALUE, SECRET_ID, expires))),
    )
    .await;
    assert_error(&again, 409, "already_implemented", "second implementation");

    // Exports still made for a live application (its approval is still proved).
    let export = get(
        &desk,
        Some(&desk.admin),
        &format!("/api/v1/registrations/{reference}/exports/entra-application.json"),
    )
    .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.text());

    // The queue filters by the new status.
    let live = get(&desk, Some(&desk.rita), "/api/v1/registrations?status=live")
        .await
        .json();
    assert_eq!(live["total"], 1);

    let report = server::store::audit::run(&desk.app.state.pool, None)
        .await
        .unwrap();
    assert!(report.is_ok(), "{}", report.render());
}

#[tokio::test]
async fn only_a_reviewer_records_it_and_only_for_an_approved_request() {
    let desk = desk().await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let body = fields(None);
    assert_error(
        &implement(&desk, &desk.rita, &reference, &body).await,
        409,
        "not_approved",
        "submitted",
    );
    assert_error(
        &implement(&desk, &desk.admin, &reference, &body).await,
        403,
        "forbidden",
        "a Local Administrator",
    );
    let anonymous = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/implementation"),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_error(
        &implement(&desk, &desk.rita, "AR-2222-2222", &body).await,
        404,
        "not_found",
        "unknown reference",
    );
    let unknown_field = implement(
        &desk,
        &desk.rita,
        &reference,
        &json!({ "application_id": APP_ID, "object_id": OBJECT_ID, "extra": 1 }),
    )
    .await;
    assert_error(
        &unknown_field,
        400,
        "not_an_implementation",
        "unknown field",
    );

    // Approved only in the database (no signed approval): still not approved.
    sqlx::query("UPDATE registration_request SET status = 'approved' WHERE reference = $1")
        .bind(&reference)
        .execute(&desk.app.state.pool)
        .await
        .unwrap();
    assert_error(
        &implement(&desk, &desk.rita, &reference, &body).await,
        409,
        "not_approved",
        "approved without signed decisions",
    );
}

#[tokio::test]
async fn each_wrong_field_is_named_and_the_secret_is_never_echoed() {
    let desk = desk().await;
    let with_secret = approved(&desk, &request_with_secret()).await;
    let errors = |answer: &Answer| -> Vec<(String, String)> {
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.text()
        );
        assert!(!answer.text().contains(SECRET_VALUE), "{}", answer.text());
        answer.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["error"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let pair = |field: &str, error: &str| (field.to_string(), error.to_string());
    let bad_guids = json!({
        "application_id": "not-a-guid", "object_id": "{03ef14b0-ca33-4840-8f4f-d6e91916010e}",
        "client_secret": { "value": SECRET_VALUE, "secret_id": "x", "expires_at": rfc3339(in_300_days()) }
    });
    assert_eq!(
        errors(&implement(&desk, &desk.rita, &with_secret, &bad_guids).await),
        vec![
            pair("application_id", "application_id_not_guid"),
            pair("object_id", "object_id_not_guid"),
            pair("client_secret.secret_id", "secret_id_not_guid"),
        ]
    );
    assert_eq!(
        errors(&implement(&desk, &desk.rita, &with_secret, &fields(None)).await),
        vec![pair("client_secret.value", "secret_required")]
    );
    let too_long = fields(Some((
        SECRET_VALUE,
        SECRET_ID,
        OffsetDateTime::now_utc() + Duration::days(400),
    )));
    assert_eq!(
        errors(&implement(&desk, &desk.rita, &with_secret, &too_long).await),
        vec![pair("client_secret.expires_at", "secret_outlives_request")]
    );
    let expired = fields(Some((
        SECRET_VALUE,
        SECRET_ID,
        OffsetDateTime::now_utc() - Duration::days(1),
    )));
    assert_eq!(
        errors(&implement(&desk, &desk.rita, &with_secret, &expired).await),
        vec![pair("client_secret.expires_at", "secret_expired")]
    );

    let without_secret = approved(&desk, &delegated_request()).await;
    let unasked = fields(Some((SECRET_VALUE, SECRET_ID, in_300_days())));
    assert_eq!(
        errors(&implement(&desk, &desk.rita, &without_secret, &unasked).await),
        vec![pair("client_secret.value", "secret_not_requested")]
    );
    // Nothing was recorded by any of them.
    for reference in [&with_secret, &without_secret] {
        let detail = get(
            &desk,
            Some(&desk.rita),
            &format!("/api/v1/registrations/{reference}"),
        )
        .await
        .json();
        assert_eq!(detail["status"], "approved");
    }
}

#[tokio::test]
async fn a_pasted_graph_response_is_read_for_its_ids_and_secret() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let expires = in_300_days();
    let graph = json!({ "graph_response": {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
        "id": OBJECT_ID,
        "appId": APP_ID.to_ascii_uppercase(),
        "displayName": "Ward Mail Connector",
        "passwordCredentials": [{
            "displayName": "appreg", "hint": "Zq8", "keyId": SECRET_ID,
            "secretText": SECRET_VALUE, "endDateTime": rfc3339(expires),
            "startDateTime": rfc3339(OffsetDateTime::now_utc())
        }]
    }});
    let answer = implement(&desk, &desk.rita, &reference, &graph).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["application_id"], APP_ID, "kept lower case");
    assert_eq!(answer.json()["object_id"], OBJECT_ID);
    let secret = get(
        &desk,
        Some(&desk.admin),
        &format!("/api/v1/registrations/{reference}/secret"),
    )
    .await;
    assert_eq!(secret.status, StatusCode::OK, "{}", secret.text());
    assert_eq!(secret.json()["value"], SECRET_VALUE);

    let unreadable = approved(&desk, &delegated_request()).await;
    let answer = implement(
        &desk,
        &desk.rita,
        &unreadable,
        &json!({ "graph_response": { "id": OBJECT_ID } }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["errors"][0]["field"], "graph_response");
}

#[tokio::test]
async fn the_secret_is_the_requesting_organisations_local_administrators_only() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let path = format!("/api/v1/registrations/{reference}/secret");
    // Before it is live: nothing to show.
    assert_eq!(
        get(&desk, Some(&desk.admin), &path).await.status,
        StatusCode::NOT_FOUND
    );
    let expires = in_300_days();
    let answer = implement(
        &desk,
        &desk.rita,
        &reference,
        &fields(Some((SECRET_VALUE, SECRET_ID, expires))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());

    let own = get(&desk, Some(&desk.admin), &path).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    assert_eq!(own.headers[header::CACHE_CONTROL], "no-store");
    let body = own.json();
    assert_eq!(body["value"], SECRET_VALUE);
    assert_eq!(body["secret_id"], SECRET_ID);
    assert_eq!(body["expires_at"], rfc3339(expires));
    assert!(body["visible_until"].is_string());
    assert_error(
        &get(&desk, Some(&desk.rita), &path).await,
        403,
        "forbidden",
        "reviewer",
    );
    assert_error(
        &get(&desk, Some(&desk.other_admin), &path).await,
        404,
        "not_found",
        "another organisation",
    );
    assert_eq!(
        get(&desk, None, &path).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Stored sealed, never in clear.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT ciphertext FROM client_secret")
        .fetch_one(&desk.app.state.pool)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains(SECRET_VALUE));
}

#[tokio::test]
async fn the_secret_is_shown_for_72_hours_then_purged_with_a_signed_entry() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let state = &desk.app.state;
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let implemented = applications::implement(
        state.desk(),
        &state.applications,
        &reviewer("rita@nhs.net"),
        &reference,
        Posted::Fields(
            serde_json::from_value(fields(Some((
                SECRET_VALUE,
                SECRET_ID,
                t + Duration::days(200),
            ))))
            .unwrap(),
        ),
        t,
    )
    .await
    .unwrap();
    assert_eq!(
        implemented.secret_visible_until,
        Some(rfc3339(t + Duration::hours(72)))
    );
    let admin = identity_of(&desk.admin, Role::LocalAdmin, Some("RX1"));
    let read = |at: OffsetDateTime| {
        let admin = admin.clone();
        let reference = reference.clone();
        async move {
            applications::secret(&state.pool, &state.applications, &admin, &reference, at).await
        }
    };
    let just_before = t + Duration::hours(71) + Duration::minutes(59);
    assert_eq!(read(just_before).await.unwrap().value, SECRET_VALUE);
    assert!(matches!(
        read(t + Duration::hours(72)).await,
        Err(SecretError::Gone { .. })
    ));

    // The purge: nothing before the 72 hours, then exactly once.
    let purge = |at| applications::purge_due_secrets(&state.pool, &state.keys, &state.writer, at);
    assert!(purge(just_before).await.unwrap().is_empty());
    let purged = purge(t + Duration::hours(72)).await.unwrap();
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0].secret_id, SECRET_ID);
    assert!(purge(t + Duration::hours(73)).await.unwrap().is_empty());
    let (ciphertext, purged_at): (Option<Vec<u8>>, Option<String>) =
        sqlx::query_as("SELECT ciphertext, purged_at FROM client_secret WHERE secret_id = $1")
            .bind(SECRET_ID)
            .fetch_one(&state.pool)
            .await
            .unwrap();
    assert_eq!(ciphertext, None);
    assert_eq!(purged_at, Some(rfc3339(t + Duration::hours(72))));
    // Once purged, gone whatever the clock says.
    assert!(matches!(
        read(just_before).await,
        Err(SecretError::Gone { .. })
    ));

    let entries = server::store::log::entries(&state.pool).await.unwrap();
    let entry = entries.last().unwrap();
    assert_eq!(entry.kind, "secret_purged");
    let keys = server::store::log::key_set(&state.pool).await.unwrap();
    let claims = jws::verify_as(&entry.jws, &keys, "appreg-secret-purged+jwt")
        .unwrap()
        .claims;
    assert_eq!(claims["secret_id"], SECRET_ID);
    assert_eq!(claims["purged_at"], rfc3339(t + Duration::hours(72)));

    // The API answers 410 after the purge.
    let gone = get(
        &desk,
        Some(&desk.admin),
        &format!("/api/v1/registrations/{reference}/secret"),
    )
    .await;
    assert_error(&gone, 410, "secret_gone", "after the purge");
    assert_eq!(gone.headers[header::CACHE_CONTROL], "no-store");

    let report = server::store::audit::run(&state.pool, None).await.unwrap();
    assert!(report.is_ok(), "{}", report.render());
    assert!(
        report
            .render()
            .contains("1 implementations, 1 secret purges"),
        "{}",
        report.render()
    );
}

#[tokio::test]
async fn appreg_schedule_run_purges_what_is_due_and_prints_a_line_each() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let answer = implement(
        &desk,
        &desk.rita,
        &reference,
        &fields(Some((SECRET_VALUE, SECRET_ID, t + Duration::days(100)))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let run = |at: OffsetDateTime| {
        desk.app
            .appreg_command()
            .args(["schedule", "run", "--now", &rfc3339(at)])
            .output()
            .unwrap()
    };
    let early = run(t + Duration::hours(1));
    assert!(
        early.status.success(),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&early.stdout), "");
    let due = run(t + Duration::hours(73));
    assert!(
        due.status.success(),
        "{}",
        String::from_utf8_lossy(&due.stderr)
    );
    let out = String::from_utf8(due.stdout).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with(&format!("secret purged: {reference} secret {SECRET_ID}")),
        "{out}"
    );
    assert!(!out.contains(SECRET_VALUE));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_appreg"))
        .env("APPREG_DATA_DIR", desk.app.dir.path())
        .args(["schedule", "run", "--now", "tomorrow"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn the_secret_never_appears_in_logs_emails_the_log_records_exports_or_errors() {
    // Every thread's lines: the writer, the blocking pool and the purge log on their own.
    let (captured, _capturing) = crate::log_capture::capture_all_logs();

    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let mut answers = Vec::new();
    // A refused one first (the error must not echo it), then the real one.
    let bad = json!({ "application_id": APP_ID, "object_id": OBJECT_ID,
        "client_secret": { "value": SECRET_VALUE, "secret_id": "nope", "expires_at": "soon" } });
    answers.push(implement(&desk, &desk.rita, &reference, &bad).await);
    let malformed = format!("{{\"application_id\": \"{SECRET_VALUE}\", \"client_secret\": ");
    answers.push(
        crate::api_support::call_raw(
            &desk.app,
            Method::POST,
            &format!("/api/v1/registrations/{reference}/implementation"),
            Some(&desk.rita),
            Some(("application/json", malformed.into_bytes())),
        )
        .await,
    );
    let ok = implement(
        &desk,
        &desk.rita,
        &reference,
        &fields(Some((SECRET_VALUE, SECRET_ID, in_300_days()))),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    answers.push(ok);
    for path in [
        format!("/api/v1/registrations/{reference}"),
        format!("/api/v1/registrations/{reference}/record"),
        format!("/api/v1/registrations/{reference}/bundle"),
        format!("/api/v1/registrations/{reference}/decisions"),
        format!("/api/v1/registrations/{reference}/exports/entra-application.json"),
        format!("/api/v1/registrations/{reference}/exports/exchange-access.ps1"),
    ] {
        let answer = get(&desk, Some(&desk.admin), &path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        answers.push(answer);
    }
    // The one place it is shown.
    let shown = get(
        &desk,
        Some(&desk.admin),
        &format!("/api/v1/registrations/{reference}/secret"),
    )
    .await;
    assert_eq!(shown.json()["value"], SECRET_VALUE);
    // The pages (the Local Administrator's shows it, by design; the reviewer's must not).
    let (response, page) = desk
        .app
        .send(
            http::Request::get(format!("/review/{reference}"))
                .header(header::COOKIE, &desk.rita.cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        !String::from_utf8_lossy(&page).contains(SECRET_VALUE),
        "the reviewer's page"
    );

    let state = &desk.app.state;
    applications::purge_due_secrets(
        &state.pool,
        &state.keys,
        &state.writer,
        OffsetDateTime::now_utc() + Duration::hours(72),
    )
    .await
    .unwrap();

    // The notice reaches the outbox (sent in the background).
    let mut outbox = Vec::new();
    for _ in 0..200 {
        outbox = desk.app.outbox();
        if outbox.iter().any(|mail| mail.contains("application live")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        outbox.iter().any(|mail| mail.contains("application live")),
        "no live notice"
    );
    assert!(
        outbox.iter().any(|mail| mail.contains(APP_ID)),
        "the notice names the application ID"
    );

    for mail in &outbox {
        assert!(
            !mail.contains(SECRET_VALUE),
            "an email holds the secret:\n{mail}"
        );
    }
    for answer in &answers {
        assert!(
            !answer.text().contains(SECRET_VALUE),
            "an answer holds the secret: {}",
            answer.text()
        );
    }
    for entry in server::store::log::entries(&state.pool).await.unwrap() {
        let payload = entry.jws.split('.').nth(1).unwrap();
        use base64::Engine as _;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&claims).contains(SECRET_VALUE),
            "log entry {}",
            entry.seq
        );
        assert!(!entry.jws.contains(SECRET_VALUE));
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT request_json, report_json FROM registration_request")
            .fetch_all(&state.pool)
            .await
            .unwrap();
    for (request, report) in rows {
        assert!(!request.contains(SECRET_VALUE) && !report.contains(SECRET_VALUE));
    }
    // Nothing on disk in clear either: the database, its WAL, the keys and the outbox.
    for file in walk(desk.app.dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes
                .windows(SECRET_VALUE.len())
                .any(|w| w == SECRET_VALUE.as_bytes()),
            "{} holds the secret in clear",
            file.display()
        );
    }
    let logged = captured.text();
    // The capture saw this test's own lines (the desk's key file was made in it), not nothing.
    assert!(
        logged.contains("made the client-secrets key"),
        "tracing was captured:\n{logged}"
    );
    assert!(
        !logged.contains(SECRET_VALUE),
        "tracing holds the secret:\n{logged}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn a_secret_id_already_recorded_is_refused_by_its_field_not_a_server_error() {
    let desk = desk().await;
    let first = approved(&desk, &request_with_secret()).await;
    let second = approved(&desk, &request_with_secret()).await;
    let body = fields(Some((SECRET_VALUE, SECRET_ID, in_300_days())));
    let answer = implement(&desk, &desk.rita, &first, &body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    // The same secret pasted for another application (a retry, or the wrong tab).
    let again = implement(&desk, &desk.rita, &second, &body).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.text()
    );
    let refused = again.json();
    assert_eq!(refused["errors"][0]["field"], "client_secret.secret_id");
    assert_eq!(refused["errors"][0]["error"], "secret_id_already_recorded");
    assert!(!again.text().contains(SECRET_VALUE));
    let status = server::store::registrations::latest(&desk.app.state.pool, &second)
        .await
        .unwrap()
        .unwrap()
        .status;
    assert_eq!(status, server::registrations::Status::Approved);
}
