//! A Local Administrator withdraws their organisation's request before a reviewer decides it
//! (issue 18, part 3): signed in the log and checked by the audit, gone from the reviewers'
//! queue, the reviewers told; a stale tab's decision or second withdrawal records nothing; a
//! withdrawn renewal leaves the live application as it was; the request page's plain form.

use axum::http::{Method, StatusCode};
use registration::lifecycle::{Status, Step};
use serde_json::{Value, json};

use crate::api_support::{Answer, assert_error, call, decide, get_page, post_page_form, submit};
use crate::common::{Account, app_only_mail_request, delegated_request};
use crate::implementation::{APP_ID, Desk, OBJECT_ID, approved, desk};
use crate::renewal::{audit_is_clean, statuses};

async fn withdraw(desk: &Desk, account: &Account, reference: &str, body: Option<&Value>) -> Answer {
    call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/withdrawal"),
        Some(account),
        Some(body.unwrap_or(&json!({}))),
    )
    .await
}

async fn queue(desk: &Desk) -> Vec<String> {
    let answer = call(
        &desk.app,
        Method::GET,
        "/api/v1/registrations?status=awaiting",
        Some(&desk.rita),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["reference"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_submitted_request_is_withdrawn_signed_and_leaves_the_queue_and_the_reviewers_are_told() {
    let desk = desk().await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    assert_eq!(queue(&desk).await, std::slice::from_ref(&reference));

    // Not a reviewer's to do, nor another organisation's.
    assert_error(
        &withdraw(&desk, &desk.rita, &reference, None).await,
        403,
        "forbidden",
        "a reviewer withdrawing",
    );
    assert_error(
        &withdraw(&desk, &desk.other_admin, &reference, None).await,
        404,
        "not_found",
        "another organisation withdrawing",
    );
    assert_error(
        &withdraw(
            &desk,
            &desk.admin,
            &reference,
            Some(&json!({ "reason": "x".repeat(4001) })),
        )
        .await,
        422,
        "reason_too_long",
        "an over-long reason",
    );

    let answer = withdraw(
        &desk,
        &desk.admin,
        &reference,
        Some(&json!({ "reason": " The supplier pulled out " })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let taken = answer.json();
    assert_eq!(taken["step"], "withdraw_request");
    assert_eq!(taken["status_before"], "submitted");
    assert_eq!(taken["status"], "withdrawn");
    assert_eq!(taken["reason"], "The supplier pulled out");
    assert_eq!(taken["actor_email"], "admin@rx1.nhs.net");
    assert_eq!(statuses(&desk, &reference).await, [Status::Withdrawn]);
    assert!(
        queue(&desk).await.is_empty(),
        "a withdrawn request needs no reviewer"
    );

    // The signed step: its own typ, in the chain, checked by the audit.
    let report = audit_is_clean(&desk).await;
    assert_eq!(report.application_steps, 1);
    let entry = server::store::log::entries(&desk.app.state.pool)
        .await
        .unwrap()
        .into_iter()
        .find(|entry| entry.kind == "application_step")
        .unwrap();
    assert_eq!(entry.reference, reference);
    assert_eq!(entry.version, 1);

    // A decision from a tab opened before, and a second withdrawal, record nothing.
    assert_error(
        &decide(&desk.app, &desk.rita, &reference, "approve", None).await,
        409,
        "not_awaiting_decision",
        "approving a withdrawn request",
    );
    assert_error(
        &withdraw(&desk, &desk.admin, &reference, None).await,
        409,
        "not_allowed_now",
        "withdrawing twice",
    );
    assert_eq!(audit_is_clean(&desk).await.application_steps, 1);

    // The reviewers are told (to them, with the reason and the review page); so is the
    // organisation.
    let to_reviewers =
        crate::common::mails_with_subject(&desk.app, "request withdrawn, no decision needed", 1)
            .await;
    assert_eq!(to_reviewers.len(), 1, "{to_reviewers:?}");
    let mail = &to_reviewers[0];
    assert!(mail.contains("rita@nhs.net"), "{mail}");
    assert!(!mail.contains("admin@rx1.nhs.net>"), "{mail}");
    assert!(mail.contains("The supplier pulled out"), "{mail}");
    assert!(mail.contains(&format!("/review/{reference}")), "{mail}");
    let to_organisation =
        crate::common::mails_with_subject(&desk.app, &format!("{reference}: request withdrawn"), 1)
            .await;
    assert!(
        to_organisation
            .iter()
            .any(|mail| mail.contains("admin@rx1.nhs.net")),
        "{to_organisation:?}"
    );

    // A new request can be started from it.
    let copy = post_page_form(
        &desk.app,
        &desk.admin,
        &format!("/requests/{reference}/copy"),
        &[],
    )
    .await;
    assert_eq!(copy.status, StatusCode::SEE_OTHER, "{}", copy.body);
    assert!(copy.location.starts_with("/register/"), "{}", copy.location);
}

#[tokio::test]
async fn a_request_sent_back_or_half_approved_can_be_withdrawn_and_a_decided_one_cannot() {
    let desk = desk().await;
    // Sent back: the organisation may give up instead of changing it; its revision draft can
    // no longer be submitted.
    let sent_back = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let answer = decide(
        &desk.app,
        &desk.rita,
        &sent_back,
        "request_changes",
        Some("Name the hosting"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let answer = withdraw(&desk, &desk.admin, &sent_back, None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["status_before"], "changes_requested");
    assert_eq!(answer.json()["reason"], Value::Null);
    let resubmitted = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{sent_back}/versions"),
        Some(&desk.admin),
        Some(&delegated_request()),
    )
    .await;
    assert_eq!(
        resubmitted.status,
        StatusCode::CONFLICT,
        "{}",
        resubmitted.text()
    );
    assert_eq!(statuses(&desk, &sent_back).await, [Status::Withdrawn]);

    // Half approved (app-only mail access needs two reviewers).
    let half = submit(&desk.app, &desk.admin, &app_only_mail_request()).await;
    let answer = decide(&desk.app, &desk.rita, &half, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(
        statuses(&desk, &half).await,
        [Status::AwaitingSecondApproval]
    );
    let answer = withdraw(&desk, &desk.admin, &half, None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(statuses(&desk, &half).await, [Status::Withdrawn]);

    // Approved or rejected: decided, nothing to withdraw.
    let decided = approved(&desk, &delegated_request()).await;
    assert_error(
        &withdraw(&desk, &desk.admin, &decided, None).await,
        409,
        "not_allowed_now",
        "withdrawing an approved request",
    );
    let rejected = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let answer = decide(&desk.app, &desk.rita, &rejected, "reject", Some("No")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_error(
        &withdraw(&desk, &desk.admin, &rejected, None).await,
        409,
        "not_allowed_now",
        "withdrawing a rejected request",
    );
    assert_eq!(audit_is_clean(&desk).await.application_steps, 2);
}

#[tokio::test]
async fn a_withdrawn_renewal_leaves_the_live_application_as_it_was() {
    let desk = desk().await;
    let reference = approved(&desk, &delegated_request()).await;
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/implementation"),
        Some(&desk.rita),
        Some(&json!({ "application_id": APP_ID, "object_id": OBJECT_ID, "client_secret": null })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let changes = format!("/api/v1/registrations/{reference}/changes");
    let mut changed = delegated_request();
    changed["application"]["description"] = json!("Reads the referrals inbox and the clinic inbox");
    let answer = call(
        &desk.app,
        Method::POST,
        &changes,
        Some(&desk.admin),
        Some(&changed),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(
        statuses(&desk, &reference).await,
        [Status::Live, Status::Submitted]
    );

    let answer = withdraw(&desk, &desk.admin, &reference, None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["status"], "withdrawn");
    assert_eq!(
        statuses(&desk, &reference).await,
        [Status::Live, Status::Withdrawn]
    );
    let detail = call(
        &desk.app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}"),
        Some(&desk.admin),
        None,
    )
    .await
    .json();
    assert_eq!(detail["application_status"], "live");
    audit_is_clean(&desk).await;

    // Nothing is open any more: the application may be changed again, or deleted.
    let answer = call(
        &desk.app,
        Method::POST,
        &changes,
        Some(&desk.admin),
        Some(&changed),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(
        statuses(&desk, &reference).await,
        [Status::Live, Status::Withdrawn, Status::Submitted]
    );
    audit_is_clean(&desk).await;
}

#[tokio::test]
async fn the_request_page_withdraws_without_javascript_and_says_who_did_it() {
    let desk = desk().await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let path = format!("/requests/{reference}");

    let page = get_page(&desk.app, &desk.admin, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"withdraw-request-form\""),
        "{}",
        page.body
    );
    // A reviewer reading the request does not get the organisation's form.
    let page = get_page(&desk.app, &desk.rita, &path).await;
    assert!(!page.body.contains("withdraw-request-form"));

    // An over-long reason comes back with what was typed and the field's error.
    let long = "y".repeat(4001);
    let refused = post_page_form(
        &desk.app,
        &desk.admin,
        &format!("{path}/withdrawal"),
        &[("step", "withdraw_request"), ("reason", &long)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(
        refused.location.contains("step_error=reason_too_long"),
        "{}",
        refused.location
    );
    let page = get_page(&desk.app, &desk.admin, &refused.location).await;
    assert!(page.body.contains("step-reason-error"), "{}", page.body);
    assert!(page.body.contains(&long[..100]));
    assert_eq!(statuses(&desk, &reference).await, [Status::Submitted]);

    let done = post_page_form(
        &desk.app,
        &desk.admin,
        &format!("{path}/withdrawal"),
        &[
            ("step", "withdraw_request"),
            ("reason", "Bought another product"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location,
        format!("{path}?step_taken={}", Step::WithdrawRequest.as_str())
    );
    let page = get_page(&desk.app, &desk.admin, &done.location).await;
    assert!(
        page.body
            .contains("Request withdrawn: no reviewer will decide on it")
    );
    assert!(
        page.body.contains("Withdrawn by admin@rx1.nhs.net on"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Why: Bought another product"));
    assert!(page.body.contains("data-status=\"withdrawn\""));
    assert!(!page.body.contains("withdraw-request-form"));
    assert!(
        page.body.contains("id=\"start-from-rejected\""),
        "start again from it"
    );

    // A tab opened before the withdrawal posts again: nothing recorded, and it says so.
    let stale = post_page_form(
        &desk.app,
        &desk.admin,
        &format!("{path}/withdrawal"),
        &[("step", "withdraw_request")],
    )
    .await;
    assert!(
        stale.location.contains("step_error=not_allowed_now"),
        "{}",
        stale.location
    );
    let page = get_page(&desk.app, &desk.admin, &stale.location).await;
    assert!(page.body.contains("Nothing was recorded"), "{}", page.body);

    // The reviewer's page says there is nothing to decide.
    let page = get_page(&desk.app, &desk.rita, &format!("/review/{reference}")).await;
    assert!(
        page.body
            .contains("The organisation withdrew the request: no decision is needed."),
        "{}",
        page.body
    );
}
