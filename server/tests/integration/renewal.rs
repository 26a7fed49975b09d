//! Renewal and change of a registered application (issue 14, part 5): the organisation asks for
//! a new credential or a change as the next version, reviewers see it against the live version
//! and decide as on any version, the application keeps working on its live version meanwhile,
//! and once the renewal or change is recorded as made that version is live and the one before it
//! `superseded`, its credentials listed as replaced until they expire; every step signed and
//! replayed by `appreg log verify`.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};
use server::registrations::Status;
use time::{Duration, OffsetDateTime};

use crate::api_support::{Answer, assert_error, call, decide, get_page, post_page_form};
use crate::common::{Account, FIXTURES, approve, delegated_request};
use crate::implementation::{APP_ID, Desk, OBJECT_ID, SECRET_ID, approved, desk};

const NEW_SECRET_ID: &str = "5b3e0a57-8f1d-4c62-a0b4-7d9e2c1f6a83";

fn certificate(file: &str) -> Value {
    let pem = std::fs::read(format!("{FIXTURES}{file}")).unwrap();
    json!([{
        "file_name": file,
        "content_base64": base64::engine::general_purpose::STANDARD.encode(pem),
    }])
}

/// RX1's application with the certificate `rsa4096.pem` (expires 2027-11-23) and a 12-month
/// client secret.
fn request_with_certificate_and_secret() -> Value {
    let mut request = delegated_request();
    request["certificates"] = certificate("rsa4096.pem");
    request["client_secret"] = json!({ "lifetime_months": 12 });
    request
}

fn secret(id: &str, value: &str) -> Value {
    json!({
        "value": value,
        "secret_id": id,
        "expires_at": server::store::timestamp(OffsetDateTime::now_utc() + Duration::days(300)),
    })
}

async fn post(desk: &Desk, account: &Account, path: &str, body: &Value) -> Answer {
    call(&desk.app, Method::POST, path, Some(account), Some(body)).await
}

async fn get(desk: &Desk, account: &Account, path: &str) -> Value {
    let answer = call(&desk.app, Method::GET, path, Some(account), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text());
    answer.json()
}

/// `request`, approved and recorded as created with `secret` (a live application of RX1).
async fn live(desk: &Desk, request: &Value, secret: Value) -> String {
    let reference = approved(desk, request).await;
    let answer = post(
        desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}/implementation"),
        &json!({ "application_id": APP_ID, "object_id": OBJECT_ID, "client_secret": secret }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    reference
}

pub(crate) async fn statuses(desk: &Desk, reference: &str) -> Vec<Status> {
    server::store::registrations::versions(&desk.app.state.pool, reference)
        .await
        .unwrap()
        .into_iter()
        .map(|version| version.status)
        .collect()
}

pub(crate) async fn audit_is_clean(desk: &Desk) -> server::store::audit::Report {
    let report = server::store::audit::run(&desk.app.state.pool, None)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{}", report.render());
    report
}

#[tokio::test]
async fn a_renewal_with_a_new_certificate_and_secret_is_reviewed_against_the_live_version_and_made()
{
    let desk = desk().await;
    let request = request_with_certificate_and_secret();
    let reference = live(&desk, &request, secret(SECRET_ID, "Zq8~FIRST.secret-value")).await;
    let before = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    let old_certificate = before["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|credential| credential["kind"] == "certificate")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The organisation asks for a renewal: the new certificate, a new secret.
    let mut renewal = request.clone();
    renewal["certificates"] = certificate("rsa2048.pem");
    let answer = post(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/renewals"),
        &renewal,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["version"], 2);
    assert_eq!(answer.json()["status"], "submitted");

    // While it is reviewed, the application is live on version 1, with its credentials.
    let detail = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    assert_eq!(detail["version"], 2);
    assert_eq!(detail["status"], "submitted");
    assert_eq!(detail["purpose"], "renewal");
    assert_eq!(detail["live_version"], 1);
    assert_eq!(detail["application_status"], "live");
    assert_eq!(detail["application_id"], APP_ID);
    let listed = get(&desk, &desk.admin, "/api/v1/applications").await;
    assert_eq!(listed["applications"][0]["reference"], reference.as_str());
    assert_eq!(listed["applications"][0]["status"], "live");
    let shown = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/secret"),
    )
    .await;
    assert_eq!(shown["secret_id"], SECRET_ID);

    // Nothing else opens while it is: another renewal, or a deletion.
    let again = post(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/renewals"),
        &renewal,
    )
    .await;
    assert_error(&again, 409, "change_in_review", "a second renewal");
    let deletion = post(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/deletion"),
        &json!({ "reason": "No longer used" }),
    )
    .await;
    assert_error(
        &deletion,
        409,
        "change_in_review",
        "a deletion during a renewal",
    );

    // The reviewer's page compares it with the live version.
    let page = get_page(&desk.app, &desk.rita, &format!("/review/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Changed from the live application (version 1)")
    );
    assert!(page.body.contains("A renewal of a live application"));

    approve(&desk.app, &reference).await;
    let implementation = format!("/api/v1/registrations/{reference}/implementation");
    // A renewal asking for a secret needs the new one; the IDs are the application's own.
    let missing = post(
        &desk,
        &desk.rita,
        &implementation,
        &json!({ "application_id": "", "object_id": "", "client_secret": null }),
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.text().contains("secret_required"),
        "{}",
        missing.text()
    );
    let other_application = post(
        &desk,
        &desk.rita,
        &implementation,
        &json!({
            "application_id": NEW_SECRET_ID,
            "object_id": OBJECT_ID,
            "client_secret": secret(NEW_SECRET_ID, "Zq8~SECOND.secret-value"),
        }),
    )
    .await;
    assert_eq!(other_application.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(other_application.text().contains("application_id_changed"));
    // The old secret's id again is the wrong secret pasted.
    let same_secret = post(
        &desk,
        &desk.rita,
        &implementation,
        &json!({ "client_secret": secret(SECRET_ID, "Zq8~SECOND.secret-value") }),
    )
    .await;
    assert!(same_secret.text().contains("secret_id_already_recorded"));
    let made = post(
        &desk,
        &desk.rita,
        &implementation,
        &json!({ "client_secret": secret(NEW_SECRET_ID, "Zq8~SECOND.secret-value") }),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    assert_eq!(made.json()["version"], 2);
    assert_eq!(made.json()["application_id"], APP_ID);
    assert_eq!(
        statuses(&desk, &reference).await,
        [Status::Superseded, Status::Live]
    );
    let twice = post(
        &desk,
        &desk.rita,
        &implementation,
        &json!({ "client_secret": null }),
    )
    .await;
    assert_error(&twice, 409, "already_implemented", "a renewal made twice");

    // The new credentials, and the old ones listed as replaced until they expire.
    let detail = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    assert_eq!(detail["live_version"], 2);
    let credentials = detail["credentials"].as_array().unwrap().clone();
    let replaced: Vec<(&str, bool)> = credentials
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["replaced"].as_bool().unwrap()))
        .collect();
    assert!(
        replaced.contains(&(old_certificate.as_str(), true)),
        "{replaced:?}"
    );
    assert!(replaced.contains(&(SECRET_ID, true)), "{replaced:?}");
    assert!(replaced.contains(&(NEW_SECRET_ID, false)), "{replaced:?}");
    assert_eq!(credentials.len(), 4, "{credentials:?}");
    let shown = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/secret"),
    )
    .await;
    assert_eq!(shown["secret_id"], NEW_SECRET_ID);
    assert_eq!(shown["value"], "Zq8~SECOND.secret-value");

    // No reminder for the replaced certificate, even within days of its expiry.
    let state = &desk.app.state;
    let near_expiry = time::macros::datetime!(2027-11-10 00:00 UTC);
    let actions = server::schedule::run_due(
        &state.pool,
        &state.keys,
        &state.writer,
        &state.mailer,
        near_expiry,
    )
    .await
    .unwrap();
    let lines = format!("{actions:?}");
    assert!(!lines.contains(&old_certificate), "{lines}");

    let report = audit_is_clean(&desk).await;
    assert_eq!(report.implementations, 2);
}

#[tokio::test]
async fn a_renewal_changes_only_credentials_and_a_change_must_change_something() {
    let desk = desk().await;
    let reference = live(&desk, &delegated_request(), Value::Null).await;
    let renewals = format!("/api/v1/registrations/{reference}/renewals");
    let changes = format!("/api/v1/registrations/{reference}/changes");

    let mut renamed = delegated_request();
    renamed["application"]["name"] = json!("Ward 7 referrals, renamed");
    renamed["client_secret"] = json!({ "lifetime_months": 6 });
    let answer = post(&desk, &desk.admin, &renewals, &renamed).await;
    assert_error(&answer, 422, "not_a_renewal", "a renewal that renames");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("application.name")
    );

    let same = post(&desk, &desk.admin, &renewals, &delegated_request()).await;
    assert_error(&same, 422, "nothing_to_renew", "a renewal of nothing");
    let unchanged = post(&desk, &desk.admin, &changes, &delegated_request()).await;
    assert_error(&unchanged, 422, "no_change", "a change of nothing");

    // An invalid request is refused by the same rules as a new one.
    let mut invalid = delegated_request();
    invalid["mailboxes"] = json!(["not a mailbox"]);
    let answer = post(&desk, &desk.admin, &changes, &invalid).await;
    assert_error(&answer, 422, "invalid_request", "an invalid change");

    // Another organisation's administrator cannot learn it exists; a reviewer cannot ask.
    let answer = post(&desk, &desk.other_admin, &changes, &renamed).await;
    assert_error(&answer, 404, "not_found", "another organisation's change");
    let answer = post(&desk, &desk.rita, &changes, &renamed).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    // A request that is not live yet cannot be renewed.
    let pending = crate::api_support::submit(&desk.app, &desk.admin, &delegated_request()).await;
    let answer = post(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{pending}/changes"),
        &renamed,
    )
    .await;
    assert_error(
        &answer,
        409,
        "not_live",
        "a change before the application is live",
    );

    // Nothing was stored by any of these.
    assert_eq!(statuses(&desk, &reference).await, [Status::Live]);
    audit_is_clean(&desk).await;
}

#[tokio::test]
async fn a_rejected_change_leaves_the_application_live_and_a_change_sent_back_is_resubmitted() {
    let desk = desk().await;
    let reference = live(&desk, &delegated_request(), Value::Null).await;
    let changes = format!("/api/v1/registrations/{reference}/changes");
    let mut changed = delegated_request();
    changed["application"]["description"] = json!("Reads the referrals inbox and the clinic inbox");

    let answer = post(&desk, &desk.admin, &changes, &changed).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let rejected = decide(
        &desk.app,
        &desk.rita,
        &reference,
        "reject",
        Some("Not needed"),
    )
    .await;
    assert_eq!(rejected.status, StatusCode::CREATED, "{}", rejected.text());
    assert_eq!(
        statuses(&desk, &reference).await,
        [Status::Live, Status::Rejected]
    );
    let detail = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    assert_eq!(detail["application_status"], "live");

    // Another change may be asked; sent back, it is resubmitted as a change.
    let answer = post(&desk, &desk.admin, &changes, &changed).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let sent_back = decide(
        &desk.app,
        &desk.rita,
        &reference,
        "request_changes",
        Some("Say which clinic"),
    )
    .await;
    assert_eq!(
        sent_back.status,
        StatusCode::CREATED,
        "{}",
        sent_back.text()
    );
    changed["application"]["description"] =
        json!("Reads the referrals inbox and the fracture clinic inbox");
    let answer = post(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/versions"),
        &changed,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let detail = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}"),
    )
    .await;
    assert_eq!(detail["version"], 4);
    assert_eq!(detail["purpose"], "change");

    approve(&desk.app, &reference).await;
    let made = post(
        &desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}/implementation"),
        &json!({ "application_id": APP_ID, "object_id": OBJECT_ID }),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    assert_eq!(
        statuses(&desk, &reference).await,
        [
            Status::Superseded,
            Status::Rejected,
            Status::ChangesRequested,
            Status::Live
        ]
    );
    // Live on the changed version: the deletion may now be asked for.
    let deletion = post(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/deletion"),
        &json!({ "reason": "Replaced by the trust's new system" }),
    )
    .await;
    assert_eq!(deletion.status, StatusCode::CREATED, "{}", deletion.text());
    audit_is_clean(&desk).await;
}

#[tokio::test]
async fn a_status_or_purpose_set_in_the_database_alone_is_caught_by_the_audit() {
    let desk = desk().await;
    let reference = live(&desk, &delegated_request(), Value::Null).await;
    let mut changed = delegated_request();
    changed["application"]["supplier"] = json!("Another supplier Ltd");
    let answer = post(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{reference}/changes"),
        &changed,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    // Someone with the database marks the change live by hand, and calls it a renewal: no
    // signed entry says so (the record signed `purpose: change`).
    sqlx::query(
        "UPDATE registration_request SET status = CASE version WHEN 1 THEN 'superseded' ELSE 'live' END,
            purpose = CASE version WHEN 1 THEN NULL ELSE 'renewal' END
         WHERE reference = $1",
    )
    .bind(&reference)
    .execute(&desk.app.state.pool)
    .await
    .unwrap();
    let report = server::store::audit::run(&desk.app.state.pool, None)
        .await
        .unwrap();
    let rendered = report.render();
    assert!(
        rendered.contains("stored status is superseded")
            && rendered.contains("stored status is live"),
        "{rendered}"
    );
}

#[tokio::test]
async fn the_request_page_offers_renewal_and_change_to_the_organisation_only() {
    let desk = desk().await;
    let reference = live(&desk, &delegated_request(), Value::Null).await;
    let page = get_page(&desk.app, &desk.admin, &format!("/requests/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"request-renewal\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("action=\"/requests/{reference}/change\""))
    );
    let reviewer_page = get_page(&desk.app, &desk.rita, &format!("/requests/{reference}")).await;
    assert!(!reviewer_page.body.contains("id=\"request-renewal\""));

    // The button opens a draft holding the live version, which says what it is for.
    let started = post_page_form(
        &desk.app,
        &desk.admin,
        &format!("/requests/{reference}/change"),
        &[],
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    assert!(
        started.location.starts_with("/register/"),
        "{}",
        started.location
    );
    let form = get_page(&desk.app, &desk.admin, &started.location).await;
    assert!(
        form.body.contains("You are asking for a change of"),
        "{}",
        form.body
    );
    assert!(form.body.contains("this will be version 2"));
    // Asked again, the same draft opens.
    let again = post_page_form(
        &desk.app,
        &desk.admin,
        &format!("/requests/{reference}/renewal"),
        &[],
    )
    .await;
    assert_eq!(again.location, started.location);
    // Another organisation's administrator gets nothing.
    let other = post_page_form(
        &desk.app,
        &desk.other_admin,
        &format!("/requests/{reference}/renewal"),
        &[],
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}
