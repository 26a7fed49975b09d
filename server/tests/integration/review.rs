//! The review domain over a real database: resubmission as new versions, decisions and their
//! statuses, four-eyes, signed decisions in the hash chain, and the emails each step sends.

use crate::common::{TestApp, delegated_request, local_admin_of};
use registration::{AccessType, PermissionRequest, PermissionType, RegistrationRequest};
use server::identity::{Identity, Reviewer, Role, require_reviewer};
use server::registrations::{self, Filter, Status, SubmitError};
use server::review::{self, DecideError, Decision};
use server::store::log::{self, ChainCheck};
use time::OffsetDateTime;

fn request() -> RegistrationRequest {
    RegistrationRequest::from_json(&delegated_request().to_string()).unwrap()
}

/// An app-only request for Mail.Send scoped to a group: high risk, two approvals needed.
fn app_only_mail_request() -> RegistrationRequest {
    let mut request = request();
    request.access_type = AccessType::Application;
    request.permissions = vec![PermissionRequest {
        resource: None,
        value: "Mail.Send".into(),
        permission_type: PermissionType::Application,
    }];
    request.redirect_uris.clear();
    request.access_policy_group = Some("ward7-connector-scope@nhs.net".into());
    request.client_secret = Some(registration::ClientSecret { lifetime_months: 6 });
    request
}

fn reviewer(user_id: &str) -> Reviewer {
    require_reviewer(&identity(user_id, Role::Reviewer, None)).unwrap()
}

fn identity(user_id: &str, role: Role, ods: Option<&str>) -> Identity {
    Identity {
        user_id: user_id.into(),
        email: format!("{user_id}@nhs.net"),
        role,
        ods_code: ods.map(str::to_string),
    }
}

async fn submit(app: &TestApp, request: &RegistrationRequest) -> String {
    registrations::submit(
        app.state.desk(),
        &local_admin_of("RX1"),
        request,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .reference
}

async fn decide(
    app: &TestApp,
    who: &str,
    reference: &str,
    decision: Decision,
    reason: Option<&str>,
) -> Result<Status, DecideError> {
    review::decide(
        app.state.desk(),
        &reviewer(who),
        reference,
        crate::common::seen_latest(&app.state.pool, reference).await,
        decision,
        reason,
        OffsetDateTime::now_utc(),
    )
    .await
    .map(|decided| decided.status)
}

async fn status(app: &TestApp, reference: &str) -> Status {
    server::store::registrations::latest(&app.state.pool, reference)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// Background emails are written by spawned tasks: wait until `count` are there.
async fn outbox_with(app: &TestApp, count: usize) -> Vec<String> {
    for _ in 0..200 {
        let messages = app.outbox();
        if messages.len() >= count {
            return messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("expected {count} emails, found {}", app.outbox().len());
}

#[tokio::test]
async fn one_approval_approves_a_low_risk_request() {
    let app = TestApp::new().await;
    let reference = submit(&app, &request()).await;
    assert_eq!(
        decide(&app, "r1", &reference, Decision::Approve, None)
            .await
            .unwrap(),
        Status::Approved
    );
    assert_eq!(status(&app, &reference).await, Status::Approved);
    // Nothing more to decide.
    assert!(matches!(
        decide(&app, "r2", &reference, Decision::Reject, Some("late")).await,
        Err(DecideError::NotAwaitingDecision(Status::Approved))
    ));
}

#[tokio::test]
async fn app_only_mail_needs_two_different_reviewers() {
    let app = TestApp::new().await;
    let reference = submit(&app, &app_only_mail_request()).await;
    assert_eq!(
        decide(&app, "r1", &reference, Decision::Approve, None)
            .await
            .unwrap(),
        Status::AwaitingSecondApproval
    );
    assert!(matches!(
        decide(&app, "r1", &reference, Decision::Approve, None).await,
        Err(DecideError::SecondApprovalBySameReviewer)
    ));
    assert_eq!(
        status(&app, &reference).await,
        Status::AwaitingSecondApproval
    );
    assert_eq!(
        decide(
            &app,
            "r2",
            &reference,
            Decision::Approve,
            Some("Scoped to ward 7")
        )
        .await
        .unwrap(),
        Status::Approved
    );
    let decisions = review::decisions(
        &app.state.pool,
        &identity("r3", Role::Reviewer, None),
        &reference,
    )
    .await
    .unwrap();
    let who: Vec<_> = decisions
        .iter()
        .map(|d| d.reviewer_email.as_str())
        .collect();
    assert_eq!(who, ["r1@nhs.net", "r2@nhs.net"]);
    assert_eq!(decisions[1].reason.as_deref(), Some("Scoped to ward 7"));
}

#[tokio::test]
async fn the_first_approver_may_still_send_it_back_but_a_reason_is_required() {
    let app = TestApp::new().await;
    let reference = submit(&app, &app_only_mail_request()).await;
    decide(&app, "r1", &reference, Decision::Approve, None)
        .await
        .unwrap();
    for blank in [None, Some(""), Some("   ")] {
        assert!(matches!(
            decide(&app, "r2", &reference, Decision::RequestChanges, blank).await,
            Err(DecideError::ReasonRequired)
        ));
    }
    let too_long = "x".repeat(review::MAX_REASON_CHARS + 1);
    assert!(matches!(
        decide(&app, "r2", &reference, Decision::Reject, Some(&too_long)).await,
        Err(DecideError::ReasonTooLong)
    ));
    assert_eq!(
        decide(
            &app,
            "r1",
            &reference,
            Decision::RequestChanges,
            Some("Name the group")
        )
        .await
        .unwrap(),
        Status::ChangesRequested
    );
}

#[tokio::test]
async fn no_one_decides_on_a_request_they_submitted() {
    let app = TestApp::new().await;
    let reference = submit(&app, &request()).await;
    // The submitting account (test-admin-rx1) later became a reviewer.
    assert!(matches!(
        decide(&app, "test-admin-rx1", &reference, Decision::Approve, None).await,
        Err(DecideError::OwnSubmission)
    ));
    assert!(matches!(
        decide(&app, "r1", "AR-2222-2222", Decision::Approve, None).await,
        Err(DecideError::NotFound)
    ));
}

#[tokio::test]
async fn changes_requested_then_resubmitted_makes_version_two_and_keeps_version_one() {
    let app = TestApp::new().await;
    let admin = local_admin_of("RX1");
    let first = request();
    let reference = submit(&app, &first).await;
    let now = OffsetDateTime::now_utc();

    // Only a request waiting for changes can be resubmitted.
    assert!(matches!(
        registrations::resubmit(app.state.desk(), &admin, &reference, &first, now).await,
        Err(SubmitError::NotAwaitingChanges(Status::Submitted))
    ));
    decide(
        &app,
        "r1",
        &reference,
        Decision::RequestChanges,
        Some("Add a contact"),
    )
    .await
    .unwrap();

    let mut second = first.clone();
    second.application.name = "Ward Mail Connector v2".into();
    // Another organisation's administrator cannot see it, so it is "not found" for them.
    assert!(matches!(
        registrations::resubmit(
            app.state.desk(),
            &local_admin_of("RTH"),
            &reference,
            &second,
            now
        )
        .await,
        Err(SubmitError::NotFound)
    ));
    let resubmitted = registrations::resubmit(app.state.desk(), &admin, &reference, &second, now)
        .await
        .unwrap();
    assert_eq!(
        (resubmitted.reference.as_str(), resubmitted.version),
        (reference.as_str(), 2)
    );
    assert_eq!(status(&app, &reference).await, Status::Submitted);

    let reader = identity("r9", Role::Reviewer, None);
    let versions = registrations::find_versions(&app.state.pool, &reader, &reference)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].request, first);
    assert_eq!(versions[0].status, Status::ChangesRequested);
    assert_eq!(versions[1].request, second);
    // The record of each version is signed and names its version and submitter.
    let entries = log::entries(&app.state.pool).await.unwrap();
    let kinds: Vec<_> = entries
        .iter()
        .map(|e| (e.kind.as_str(), e.version))
        .collect();
    assert_eq!(
        kinds,
        [
            ("registration_record", 1),
            ("decision", 1),
            ("registration_record", 2)
        ]
    );
}

#[tokio::test]
async fn decisions_are_signed_entries_of_the_same_chain() {
    let app = TestApp::new().await;
    let reference = submit(&app, &app_only_mail_request()).await;
    decide(&app, "r1", &reference, Decision::Approve, None)
        .await
        .unwrap();
    decide(&app, "r2", &reference, Decision::Approve, None)
        .await
        .unwrap();
    let keys = log::key_set(&app.state.pool).await.unwrap();
    assert_eq!(
        log::verify_chain(&app.state.pool, &keys).await.unwrap(),
        ChainCheck::Whole { entries: 3 }
    );
    let entries = log::entries(&app.state.pool).await.unwrap();
    let verified =
        server::signing::jws::verify_as(&entries[2].jws, &keys, server::signing::jws::DECISION_TYP)
            .unwrap();
    assert_eq!(verified.claims["reference"], reference.as_str());
    assert_eq!(verified.claims["decision"], "approve");
    assert_eq!(verified.claims["status"], "approved");
    assert_eq!(verified.claims["reviewer"], "r2@nhs.net");
    assert_eq!(verified.claims["jti"], format!("{reference}/v1/decision/2"));
    // A decision is not a request record: verifying it as one fails on its type.
    assert!(server::signing::verify(&entries[2].jws, &keys).is_err());
}

#[tokio::test]
async fn local_administrators_see_only_their_organisation() {
    let app = TestApp::new().await;
    let reference = submit(&app, &request()).await;
    let own = identity("a1", Role::LocalAdmin, Some("RX1"));
    let other = identity("a2", Role::LocalAdmin, Some("RTH"));
    let pool = &app.state.pool;
    assert!(
        registrations::find(pool, &own, &reference)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        registrations::find(pool, &other, &reference)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        registrations::find_record(pool, &other, &reference)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        registrations::find_record(pool, &own, &reference)
            .await
            .unwrap()
            .is_some()
    );
    let everything = Filter::default();
    assert_eq!(
        registrations::list(pool, &own, &everything, 1)
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        registrations::list(pool, &other, &everything, 1)
            .await
            .unwrap()
            .total,
        0
    );
    // Asking for another organisation's list gives nothing, not someone else's requests.
    let theirs = Filter {
        ods_code: Some("RX1".into()),
        ..Filter::default()
    };
    assert_eq!(
        registrations::list(pool, &other, &theirs, 1)
            .await
            .unwrap()
            .total,
        0
    );
}

#[tokio::test]
async fn receipts_and_decisions_are_emailed_to_the_submitter_and_contacts() {
    let app = TestApp::new().await;
    let reference = submit(&app, &request()).await;
    let messages = outbox_with(&app, 1).await;
    assert!(
        messages[0].contains("To: admin@rx1.nhs.net, jo.bloggs@nhs.net"),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains(&format!("Subject: {reference}: request received")));
    assert!(messages[0].contains(&format!("http://127.0.0.1:3000/requests/{reference}")));

    decide(
        &app,
        "r1",
        &reference,
        Decision::Reject,
        Some("Use the shared connector"),
    )
    .await
    .unwrap();
    let messages = outbox_with(&app, 2).await;
    let notice = messages
        .iter()
        .find(|m| m.contains("request rejected"))
        .expect("a rejection notice");
    assert!(notice.contains("Use the shared connector"));
}

/// An approval is of a request that passes the checks at the time of the decision: one whose
/// certificate expired since it was submitted is refused with the report as of then (nothing is
/// recorded), while it can still be sent back or rejected; the review page checks it again too.
#[tokio::test]
async fn an_approval_of_a_request_that_no_longer_passes_the_checks_is_refused() {
    use base64::Engine as _;
    let app = TestApp::new().await;
    let mut request = request();
    let pem = std::fs::read(format!("{}rsa4096.pem", crate::common::FIXTURES)).unwrap();
    request.certificates = vec![registration::CertificateUpload {
        file_name: "connector.pem".into(),
        content_base64: base64::engine::general_purpose::STANDARD.encode(pem),
    }];
    let reference = submit(&app, &request).await;
    // The certificate's notAfter is 2027-11-23: a reviewer deciding in 2028 cannot approve.
    let later = time::macros::datetime!(2028-01-10 09:00 UTC);
    let seen = crate::common::seen_latest(&app.state.pool, &reference).await;
    let refused = review::decide(
        app.state.desk(),
        &reviewer("rita"),
        &reference,
        seen.clone(),
        Decision::Approve,
        None,
        later,
    )
    .await
    .unwrap_err();
    let DecideError::NowInvalid(report) = &refused else {
        panic!("{refused:?}");
    };
    assert!(
        report
            .findings
            .iter()
            .any(|finding| finding.severity == registration::Severity::Error
                && finding.path.starts_with("certificates")),
        "{report:?}"
    );
    assert_eq!(
        refused.refusal(),
        Some(registration::lifecycle::DecisionRefusal::NowInvalid)
    );
    assert_eq!(status(&app, &reference).await, Status::Submitted);
    // Sending it back is still possible.
    let sent_back = review::decide(
        app.state.desk(),
        &reviewer("rita"),
        &reference,
        seen,
        Decision::RequestChanges,
        Some("The certificate has expired: upload its successor"),
        later,
    )
    .await
    .unwrap();
    assert_eq!(sent_back.status, Status::ChangesRequested);

    // Today it still passes: approved.
    let valid = submit(&app, &request).await;
    assert_eq!(
        decide(&app, "rita", &valid, Decision::Approve, None)
            .await
            .unwrap(),
        Status::Approved
    );
}
