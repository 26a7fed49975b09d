//! Decisions bound to what the reviewer saw, and the approval as an artefact (issue 13): a
//! decision names the version and the record it decides; a stale one (a resubmission arrived
//! meanwhile) is refused with 409 `stale_version` on the API and sent back to the page with
//! what changed and the reason typed; the signed decisions are listed and bundled with the
//! record; exports are made only for approved requests, reviewers may preview the others.

use crate::api_support::{Answer, assert_error, call, decide, submit};
use crate::common::{Account, TestApp, delegated_request};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use server::identity::Role;
use server::signing::{KeySet, jws};

struct Desk {
    app: TestApp,
    admin: Account,
    rita: Account,
    rob: Account,
}

async fn desk() -> Desk {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    let rob = app.sign_in_as("rob@nhs.net", Role::Reviewer, None).await;
    Desk {
        app,
        admin,
        rita,
        rob,
    }
}

async fn read(desk: &Desk, account: &Account, path: &str) -> Value {
    let answer = call(&desk.app, Method::GET, path, Some(account), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text());
    answer.json()
}

/// Posts a decision naming `version` and `record_sha256` as given.
async fn decide_on(
    desk: &Desk,
    reviewer: &Account,
    reference: &str,
    decision: &str,
    version: i64,
    record_sha256: &str,
) -> Answer {
    call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/decisions"),
        Some(reviewer),
        Some(&json!({
            "decision": decision,
            "reason": "Looks right",
            "version": version,
            "record_sha256": record_sha256,
        })),
    )
    .await
}

/// Version 1 read by Rita; Rob asks for changes; the admin submits a different version 2.
async fn resubmitted_while_open(desk: &Desk) -> (String, Value) {
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let seen = read(
        desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    let answer = decide(
        &desk.app,
        &desk.rob,
        &reference,
        "request_changes",
        Some("Rename it"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let mut changed = delegated_request();
    changed["application"]["name"] = json!("Ward Mail Connector 2");
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/versions"),
        Some(&desk.admin),
        Some(&changed),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    (reference, seen)
}

async fn decision_entries(desk: &Desk) -> usize {
    server::store::log::entries(&desk.app.state.pool)
        .await
        .unwrap()
        .iter()
        .filter(|entry| entry.kind == "decision")
        .count()
}

#[tokio::test]
async fn an_approval_of_the_version_read_is_not_recorded_on_a_newer_version() {
    let desk = desk().await;
    let (reference, seen) = resubmitted_while_open(&desk).await;
    assert_eq!(seen["version"], 1);
    let record_sha256 = seen["record_sha256"].as_str().unwrap();
    assert_eq!(record_sha256.len(), 64);
    let decisions_before = decision_entries(&desk).await;

    // Rita's stale tab approves what she read: version 1.
    let answer = decide_on(&desk, &desk.rita, &reference, "approve", 1, record_sha256).await;
    assert_error(&answer, 409, "stale_version", "stale approval");
    let message = answer.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("you decided on version 1, but version 2 was submitted since"),
        "{message}"
    );
    let now = read(
        &desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    assert_eq!(now["version"], 2);
    assert_eq!(
        now["status"], "submitted",
        "nothing was decided on version 2"
    );
    assert_eq!(decision_entries(&desk).await, decisions_before);

    // The right version with another record's hash is stale too.
    let answer = decide_on(&desk, &desk.rita, &reference, "approve", 2, record_sha256).await;
    assert_error(
        &answer,
        409,
        "stale_version",
        "version 2 with version 1's hash",
    );
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("record_sha256"),
        "{}",
        answer.text()
    );

    // A decision that names neither is not a decision.
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/decisions"),
        Some(&desk.rita),
        Some(&json!({ "decision": "approve" })),
    )
    .await;
    assert_error(&answer, 400, "not_a_decision", "no version");
    assert!(answer.text().contains("version"), "{}", answer.text());

    // The version alone (record_sha256 is optional on the API) still has to be the latest.
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/decisions"),
        Some(&desk.rita),
        Some(&json!({ "decision": "approve", "version": 1 })),
    )
    .await;
    assert_error(&answer, 409, "stale_version", "version 1 alone");

    // What she reads now, she can approve; the signed decision names it.
    let answer = decide_on(
        &desk,
        &desk.rita,
        &reference,
        "approve",
        2,
        now["record_sha256"].as_str().unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["version"], 2);
    assert_eq!(answer.json()["status"], "approved");
}

/// The decision form as a browser posts it.
async fn post_form(
    desk: &Desk,
    account: &Account,
    reference: &str,
    fields: &[(&str, &str)],
) -> String {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let request = Request::post(format!("/review/{reference}/decisions"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &account.cookie)
        .body(Body::from(body))
        .unwrap();
    let (response, _) = desk.app.send(request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string()
}

async fn page(desk: &Desk, account: &Account, path: &str) -> String {
    let request = Request::get(path)
        .header(header::COOKIE, &account.cookie)
        .body(Body::empty())
        .unwrap();
    let (response, body) = desk.app.send(request).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    String::from_utf8(body).unwrap()
}

#[tokio::test]
async fn the_review_page_decides_on_the_version_it_shows_and_a_stale_form_shows_what_changed() {
    let desk = desk().await;
    let (reference, seen) = resubmitted_while_open(&desk).await;
    let shown = page(&desk, &desk.rita, &format!("/review/{reference}")).await;
    let latest = read(
        &desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    // The form carries what the page shows.
    assert!(shown.contains(r#"name="version" value="2""#), "{shown}");
    assert!(
        shown.contains(&format!(
            r#"name="record_sha256" value="{}""#,
            latest["record_sha256"].as_str().unwrap()
        )),
        "the form names the record it shows"
    );
    assert!(shown.contains("You are deciding on version 2"), "{shown}");

    // A form from the page as it was when version 1 was shown.
    let reason = "The mailbox list is wrong & must change </textarea><b>not markup</b>";
    let location = post_form(
        &desk,
        &desk.rita,
        &reference,
        &[
            ("csrf_token", &desk.rita.csrf),
            ("decision", "reject"),
            ("reason", reason),
            ("version", "1"),
            ("record_sha256", seen["record_sha256"].as_str().unwrap()),
        ],
    )
    .await;
    assert!(
        location.starts_with(&format!(
            "/review/{reference}?error=stale_version&decision=reject&since=1&reason="
        )),
        "{location}"
    );
    let back = page(&desk, &desk.rita, &location).await;
    assert!(back.contains("Your decision was not recorded"), "{back}");
    assert!(back.contains("a newer version was submitted"), "{back}");
    assert!(back.contains("Changed since version 1"), "{back}");
    assert!(
        back.contains("Ward Mail Connector 2"),
        "the diff shows the new name"
    );
    assert!(
        back.contains("The mailbox list is wrong ")
            && !back.contains("<b>not markup</b>")
            && back.contains("&lt;/textarea&gt;&lt;b&gt;not markup&lt;/b&gt;</textarea>"),
        "what was typed is kept: {back}"
    );
    let status = read(
        &desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    assert_eq!(status["status"], "submitted");

    // A form from before decisions named a version decides nothing either.
    let location = post_form(
        &desk,
        &desk.rita,
        &reference,
        &[("csrf_token", &desk.rita.csrf), ("decision", "approve")],
    )
    .await;
    assert!(
        location.starts_with(&format!(
            "/review/{reference}?error=stale_version&decision=approve"
        )),
        "{location}"
    );
    let status = read(
        &desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    assert_eq!(status["status"], "submitted");
}

fn keys_of(jwks: &Value) -> KeySet {
    KeySet::from_jwks(jwks)
}

#[tokio::test]
async fn the_signed_decisions_are_listed_and_bundled_with_the_record_they_decide() {
    let desk = desk().await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let answer = decide(&desk.app, &desk.rita, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let jwks = read(&desk, &desk.admin, "/.well-known/jwks.json").await;
    let keys = keys_of(&jwks);

    let listed = read(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/decisions"),
    )
    .await;
    let decisions = listed["items"].as_array().unwrap();
    assert_eq!(decisions.len(), 1);
    let verified = jws::verify_as(
        decisions[0]["jws"].as_str().unwrap(),
        &keys,
        jws::DECISION_TYP,
    )
    .unwrap();
    assert_eq!(verified.claims["decision"], "approve");
    assert_eq!(verified.claims["status"], "approved");
    assert_eq!(decisions[0]["decision"], "approve");
    assert_eq!(decisions[0]["reviewer"], "rita@nhs.net");
    assert_eq!(decisions[0]["version"], 1);
    assert!(decisions[0]["decided_at"].is_string());

    let bundle = read(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/bundle"),
    )
    .await;
    let record = bundle["record"].as_str().unwrap();
    let record_claims = jws::verify(record, &keys_of(&bundle["jwks"]))
        .unwrap()
        .claims;
    assert_eq!(record_claims["jti"], reference.as_str());
    assert_eq!(record_claims["version"], 1);
    let record_sha256 = server::store::log::sha256_hex(record.as_bytes());
    assert_eq!(bundle["record_sha256"], record_sha256.as_str());
    assert_eq!(bundle["status"], "approved");
    let bundled = bundle["decisions"].as_array().unwrap();
    assert_eq!(bundled.len(), 1);
    let decision = jws::verify_as(bundled[0].as_str().unwrap(), &keys, jws::DECISION_TYP)
        .unwrap()
        .claims;
    assert_eq!(decision["record_sha256"], record_sha256.as_str());
    assert_eq!(decision["version"], 1);

    // Another organisation's Local Administrator is told there is no such request.
    let other = desk
        .app
        .sign_in_as("admin@rth.nhs.net", Role::LocalAdmin, Some("RTH"))
        .await;
    for path in ["decisions", "bundle"] {
        let answer = call(
            &desk.app,
            Method::GET,
            &format!("/api/v1/registrations/{reference}/{path}"),
            Some(&other),
            None,
        )
        .await;
        assert_error(&answer, 404, "not_found", path);
    }
}

async fn export(desk: &Desk, account: &Account, reference: &str, name: &str) -> Answer {
    call(
        &desk.app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}/exports/{name}"),
        Some(account),
        None,
    )
    .await
}

#[tokio::test]
async fn exports_are_made_for_approved_requests_and_say_which_decisions_approved_them() {
    let desk = desk().await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    for name in ["entra-application.json", "exchange-access.ps1"] {
        for account in [&desk.admin, &desk.rita] {
            let answer = export(&desk, account, &reference, name).await;
            assert_error(&answer, 409, "not_approved", name);
            assert!(
                answer.text().contains("is not approved"),
                "{}",
                answer.text()
            );
        }
        // A reviewer's preview says what it is, in the file itself.
        let preview = export(
            &desk,
            &desk.rita,
            &reference,
            &format!("{name}?preview=true"),
        )
        .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
        assert!(
            preview.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("NOT-APPROVED-"),
            "{name}"
        );
        assert!(preview.text().contains("NOT APPROVED"), "{name}");
        // Not for a Local Administrator.
        let answer = export(
            &desk,
            &desk.admin,
            &reference,
            &format!("{name}?preview=true"),
        )
        .await;
        assert_error(&answer, 409, "not_approved", name);
    }
    let script = export(
        &desk,
        &desk.rita,
        &reference,
        "exchange-access.ps1?preview=true",
    )
    .await
    .text();
    let throw = script
        .find("\nthrow 'NOT APPROVED")
        .expect("the preview stops when run");
    assert!(
        script
            .lines()
            .take_while(|line| line.starts_with('#'))
            .count()
            >= 2
            && !script[..throw].lines().any(|line| !line.starts_with('#')),
        "nothing runs before the throw: {script}"
    );

    let answer = decide(&desk.app, &desk.rita, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let approval =
        format!("appreg {reference} version 1, approved by decision {reference}/v1/decision/1.");
    let manifest = export(&desk, &desk.admin, &reference, "entra-application.json").await;
    assert_eq!(manifest.status, StatusCode::OK, "{}", manifest.text());
    assert_eq!(manifest.json()["notes"], approval.as_str());
    let script = export(&desk, &desk.admin, &reference, "exchange-access.ps1").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.text().contains(&format!("# {approval}\n")),
        "{}",
        script.text()
    );
    assert!(!script.text().contains("NOT APPROVED"));
}

#[tokio::test]
async fn a_status_set_to_approved_by_hand_exports_nothing_and_a_rejected_request_neither() {
    let desk = desk().await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    sqlx::query("UPDATE registration_request SET status = 'approved' WHERE reference = $1")
        .bind(&reference)
        .execute(&desk.app.state.pool)
        .await
        .unwrap();
    let answer = export(&desk, &desk.admin, &reference, "entra-application.json").await;
    assert_error(
        &answer,
        409,
        "not_approved",
        "approved only in the database",
    );

    let rejected = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let answer = decide(
        &desk.app,
        &desk.rita,
        &rejected,
        "reject",
        Some("Not needed"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    for name in ["entra-application.json", "exchange-access.ps1"] {
        let answer = export(&desk, &desk.admin, &rejected, name).await;
        assert_error(&answer, 409, "not_approved", name);
        assert!(answer.text().contains("rejected"), "{}", answer.text());
    }
}
